// The device id travels inside the database file: a file copied to another machine (or another folder) would write
// rows under the same id as the original, and two devices sharing an id break what the id is for (undo takes back
// "this device's" last action; the sync tells devices apart). So the id is kept together with where it belongs: a
// hash of the host name, the machine id and the file's real path. When they no longer match, the file was copied
// or moved: it gets a new id, and the rows already written keep the id of the device that wrote them.
import { readFileSync, realpathSync } from 'node:fs';
import { hostname } from 'node:os';
import type { Db } from './db.js';

function machineId(): string {
  for (const f of ['/etc/machine-id', '/var/lib/dbus/machine-id']) {
    try {
      return readFileSync(f, 'utf8').trim();
    } catch {
      // not on this system
    }
  }
  return '';
}

/**
 * A fingerprint of a string (two 32-bit FNV-1a hashes, 16 hex digits). It only has to tell one place from another,
 * and node:crypto costs every start ~3 ms to load.
 */
function fingerprint(text: string): string {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
  }
  return (a >>> 0).toString(16).padStart(8, '0') + (b >>> 0).toString(16).padStart(8, '0');
}

export function deviceHome(path: string): string {
  let real = path;
  try {
    real = realpathSync(path);
  } catch {
    // not created yet: the path as given
  }
  return fingerprint(`${hostname()}\0${machineId()}\0${real}`);
}

/** Mints a new device id when the file is not where its id was given (see above). Returns whether it did. */
export function checkDeviceHome(db: Db, path: string): boolean {
  const home = deviceHome(path);
  const get = db.prepare("SELECT value FROM local WHERE key = 'deviceHome'").pluck();
  if (get.get() === home) return false;
  const put = db.prepare('INSERT INTO local(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value');
  let minted = false;
  db.transaction(() => {
    const stored = get.get() as string | undefined;
    if (stored === home) return;
    // The first time (a database made before device homes existed, or a new one) the id stays: it is this device's.
    if (stored !== undefined) {
      put.run('deviceId', Array.from(globalThis.crypto.getRandomValues(new Uint8Array(8)), (x) => x.toString(16).padStart(2, '0')).join(''));
      minted = true;
    }
    put.run('deviceHome', home);
  }).immediate();
  return minted;
}
