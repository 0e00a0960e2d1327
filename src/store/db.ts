import DatabaseConstructor from 'better-sqlite3';
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RecallError } from '../core/errors.js';
import { storageError } from './errors.js';
import { MIGRATIONS, SCHEMA_VERSION } from './migrations.js';

export type Db = DatabaseConstructor.Database;

// The CLI bundle carries better-sqlite3's JavaScript (only its native addon stays outside), so V8's code cache covers
// it: loading the package's dozen files from node_modules cost ~8 ms of every start (resolving, reading, compiling).

let addonPath: string | null | undefined;
/**
 * Where better-sqlite3's native addon is. Left to itself it finds it with the `bindings` package, which parses a
 * stack trace and probes a dozen paths on every start (5-10 ms measured here); resolving the package from here
 * costs about as much. The addon sits in one place in a standard install, next to the bundle (dist/) or the
 * sources (src/store/), or beside recall in the node_modules of an app that installed it: tried in that order,
 * else the library's own search.
 */
function nativeAddon(): string | null {
  if (addonPath === undefined) {
    addonPath = null;
    const addon = 'better-sqlite3/build/Release/better_sqlite3.node';
    for (const base of ['../node_modules/', '../../node_modules/', '../../']) {
      const candidate = fileURLToPath(new URL(base + addon, import.meta.url));
      if (existsSync(candidate)) {
        addonPath = candidate;
        break;
      }
    }
  }
  return addonPath;
}

/** A better-sqlite3 connection: every database recall opens (its own, an Anki collection, a package it writes). */
export function sqlite(path: string, opts: DatabaseConstructor.Options = {}): Db {
  const addon = nativeAddon();
  return new DatabaseConstructor(path, addon ? { ...opts, nativeBinding: addon } : opts);
}

/**
 * Opens (creating if needed) a recall database: WAL so readers never block the writer, a busy timeout so two
 * sessions on one file wait for each other instead of failing, foreign keys on, and migrations applied in order.
 */
export function openDb(path: string, opts: { readonly?: boolean; now?: number } = {}): Db {
  if (path !== ':memory:') {
    const dir = dirname(path);
    if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (existsSync(path) && statSync(path).isDirectory()) {
      throw new RecallError('db-is-dir', `The database path ${path} is a directory`, { hint: 'pass a file path with --db or RECALL_DB' });
    }
    // The review history is private: a new database is readable by its owner only (SQLite gives its -wal and
    // -shm files the same mode). An empty file is a valid empty database.
    if (!existsSync(path) && !opts.readonly) {
      try {
        closeSync(openSync(path, 'wx', 0o600));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw storageError(e, path) ?? openFailure(path, e);
      }
    }
  }
  let db: Db;
  try {
    db = sqlite(path, { readonly: opts.readonly ?? false, fileMustExist: opts.readonly ?? false });
    db.pragma('busy_timeout = 10000');
  } catch (e) {
    throw storageError(e, path) ?? openFailure(path, e);
  }
  try {
    // The version is checked before anything is written: a database from a newer recall, or a file that is not
    // ours, must be left byte for byte as it was (switching to WAL alone rewrites the header).
    const version = checkVersion(db, path);
    if (version > 0 && version < SCHEMA_VERSION && path !== ':memory:' && !opts.readonly) backup(db, path, version);
    let wal = true;
    if (!opts.readonly) {
      try {
        db.pragma('journal_mode = WAL');
      } catch (e) {
        // Another recall is filling this (new) database through a rollback journal (Store.fillingWrite), and
        // leaving that mode needs the file to itself. Reads see the file as it was until that write puts pages into
        // it (a cache spill or its commit), then wait for its commit; a write waits for it as for any other. The
        // WAL comes back when that write ends.
        if (!String((e as { code?: unknown }).code).startsWith('SQLITE_BUSY')) throw e;
        wal = false;
      }
      // An automatic checkpoint lands on whichever answer fills the WAL and costs it tens of milliseconds; the
      // store checkpoints when a command ends instead (PASSIVE, never blocking another session).
      db.pragma('wal_autocheckpoint = 0');
    }
    // FULL: an acknowledged answer survives power loss, not only a killed process. In WAL a commit then costs one
    // fsync of the log (~0.3 ms here, against ~0.09 ms with NORMAL); answers stay well under a millisecond.
    // Out of WAL (above), EXTRA: a commit there is the unlinking of the journal, made durable by syncing the folder.
    db.pragma(wal ? 'synchronous = FULL' : 'synchronous = EXTRA');
    db.pragma('foreign_keys = ON');
    if (version < SCHEMA_VERSION) migrate(db, path, version, opts.now ?? Date.now());
  } catch (e) {
    db.close();
    if (e instanceof RecallError) throw e;
    throw storageError(e, path) ?? openFailure(path, e);
  }
  return db;
}

function openFailure(path: string, e: unknown): RecallError {
  return new RecallError('db-open', `Cannot open the database: ${(e as Error).message}`, {
    file: path,
    hint: 'check the path and its permissions, or pass another with --db',
  });
}

/** The schema version, after refusing files that are not recall databases or are newer than this recall. */
function checkVersion(db: Db, path: string): number {
  let version: number;
  let tables: number;
  try {
    version = db.pragma('user_version', { simple: true }) as number;
    tables = (db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get() as { n: number }).n;
  } catch (e) {
    const code = String((e as { code?: unknown }).code ?? '');
    // Only a file SQLite cannot read as a database is "not ours"; a read-only folder or a full disk is said as such.
    if (code !== 'SQLITE_NOTADB' && !code.startsWith('SQLITE_CORRUPT')) throw storageError(e, path) ?? openFailure(path, e);
    throw new RecallError('db-corrupt', `This is not a recall database (${(e as Error).message})`, {
      file: path,
      hint: 'move the file away, or pass another path with --db',
    });
  }
  if (!Number.isInteger(version) || version < 0) {
    throw new RecallError('db-foreign', `This SQLite file has schema version ${version}, which no recall writes; it is not a recall database`, {
      file: path,
      hint: 'pass another path with --db; the file has not been changed',
    });
  }
  if (version > SCHEMA_VERSION) {
    throw new RecallError('db-too-new', `${path} was written by a newer recall (schema ${version}; this one knows ${SCHEMA_VERSION})`, {
      hint: 'upgrade recall; the database has not been changed',
    });
  }
  if (version === 0 && tables > 0) {
    throw new RecallError('db-foreign', `${path} is an SQLite file but not a recall database`, {
      hint: 'pass another path with --db; to import an Anki collection use `recall import`',
    });
  }
  return version;
}

/** Keeps a copy of the data as it was before an upgrade changes it: `<db>.v<N>.bak`, written once. */
function backup(db: Db, path: string, version: number): void {
  const target = `${path}.v${version}.bak`;
  if (existsSync(target)) return;
  // A database already in WAL mode keeps recent changes in the -wal file: fold them in first.
  if (String(db.pragma('journal_mode', { simple: true })).toLowerCase() === 'wal') db.pragma('wal_checkpoint(TRUNCATE)');
  copyFileSync(path, target);
}

/** Applies the missing migrations in one transaction: on failure the schema stays as it was. */
function migrate(db: Db, path: string, version: number, now: number): void {
  const apply = db.transaction(() => {
    for (let v = version; v < SCHEMA_VERSION; v++) db.exec(MIGRATIONS[v]!);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
    if (version === 0) db.prepare('INSERT OR IGNORE INTO settings(key, value) VALUES (?, ?)').run('createdAt', JSON.stringify(now));
  });
  try {
    apply.immediate();
  } catch (e) {
    if (version === 0) throw e;
    throw new RecallError('db-migrate', `Cannot upgrade ${path} from schema ${version} to ${SCHEMA_VERSION}: ${(e as Error).message}`, {
      hint: `the database was not changed; a copy is in ${path}.v${version}.bak`,
    });
  }
}
