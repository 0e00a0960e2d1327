// Writing output files safely: never clobber without --force, never leave a half-written file behind.
import { accessSync, closeSync, constants, fsyncSync, linkSync, openSync, readdirSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { RecallError } from '../core/errors.js';

/**
 * Writes `data` (a string, bytes, or chunks for output too large to build in memory) to `path` through a temporary file
 * in the same directory, renamed over the target at the end, so readers see the old file or the new one, never a
 * partial one. Refuses a directory, and an existing file unless `force`. Returns the bytes written.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array | Iterable<string>, opts: { force?: boolean } = {}): number {
  checkOutPath(path, opts);
  const out = openTemp(path);
  try {
    if (data instanceof Uint8Array) out.bytes += writeAll(out.fd, data);
    const chunks = typeof data === 'string' ? [data] : data instanceof Uint8Array ? [] : data;
    let pending = '';
    for (const chunk of chunks) {
      pending += chunk;
      // Batch small chunks (one per row) into writes of about 64 KiB.
      if (pending.length >= 65_536) {
        out.bytes += writeSync(out.fd, pending);
        pending = '';
      }
    }
    if (pending) out.bytes += writeSync(out.fd, pending);
    return publish(out, path, opts);
  } catch (e) {
    throw failed(out, path, e);
  }
}

/**
 * writeFileAtomic for bytes that arrive asynchronously (a package being deflated), written as they come instead of
 * gathered first. `source` is called once the temporary file is open: a stream begun before a check that then fails
 * would be left with nobody to read it, or its errors.
 */
export async function writeFileAtomicFrom(path: string, source: () => AsyncIterable<Uint8Array>, opts: { force?: boolean } = {}): Promise<number> {
  checkOutPath(path, opts);
  const out = openTemp(path);
  try {
    for await (const chunk of source()) out.bytes += writeAll(out.fd, chunk);
    return publish(out, path, opts);
  } catch (e) {
    throw failed(out, path, e);
  }
}

/**
 * What writeFileAtomic refuses, asked up front: a command that works for seconds before it writes (an export) checks
 * its target first, so a typo in the path does not cost the whole run.
 */
export function checkOutPath(path: string, opts: { force?: boolean } = {}): void {
  const existing = statOrNull(path);
  if (existing?.isDirectory()) {
    throw new RecallError('out-is-dir', `${path} is a directory`, { hint: 'give a file name, e.g. ' + join(path, 'export.csv') });
  }
  if (existing && !opts.force) throw outExists(path);
  const dir = dirname(path);
  if (!statOrNull(dir)?.isDirectory()) {
    throw new RecallError('out-no-dir', `The folder ${dir} does not exist`, { hint: 'create it first, or choose another --out' });
  }
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    throw new RecallError('write-failed', `Cannot write in the folder ${dir}`, { file: path, hint: 'check the permissions of the folder, or choose another --out' });
  }
}

/**
 * A name for a scratch file beside `path` (`what` says what it holds), hidden and named after the process, on the
 * same file system as the output: a large intermediate (an export's database) then takes disk, not memory, and not
 * the space of a /tmp that may be memory itself. The caller removes it.
 */
export function scratchBeside(path: string, what?: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now().toString(36)}${what ? `.${what}` : ''}.tmp`);
}

/**
 * Removes what killed runs left beside `path`: scratch and temporary files of its name (scratchBeside) whose process
 * is gone and which nobody has written for ten minutes (a file on a shared folder may be another machine's, whose
 * process ids mean nothing here; one being written is never that old). A kill cannot clean up after itself, and an
 * export's scratch collection is as large as the collection.
 */
export function removeStaleScratch(path: string): void {
  // The files' own times are the system's: so is the age compared with them (not a command's clock, which tests fix).
  const now = Date.now();
  const dir = dirname(path);
  const prefix = `.${basename(path)}.`;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue;
    const m = /^(\d{1,10})\.[0-9a-z]{1,12}(?:\.[a-z0-9]{1,16})?\.tmp$/.exec(name.slice(prefix.length));
    if (!m || processAlive(Number(m[1]))) continue;
    const file = join(dir, name);
    const st = statOrNull(file);
    if (st?.isFile() && now - st.mtimeMs > STALE_SCRATCH_MS) removeIfThere(file);
  }
}

const STALE_SCRATCH_MS = 10 * 60_000;

function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists, as another user's.
    return (e as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/** Removes a file if it is there. */
export function removeIfThere(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

interface TempOut {
  tmp: string;
  fd: number | null;
  bytes: number;
}

function openTemp(path: string): TempOut & { fd: number } {
  const tmp = scratchBeside(path);
  try {
    return { tmp, fd: openSync(tmp, 'wx', 0o644), bytes: 0 };
  } catch (e) {
    throw failed({ tmp, fd: null, bytes: 0 }, path, e);
  }
}

function writeAll(fd: number, data: Uint8Array): number {
  let done = 0;
  while (done < data.length) done += writeSync(fd, data, done, data.length - done);
  return done;
}

/** Syncs the temporary file and puts it in place: over the target with `force`, else only where none has appeared. */
function publish(out: TempOut, path: string, opts: { force?: boolean }): number {
  fsyncSync(out.fd!);
  closeSync(out.fd!);
  out.fd = null;
  if (opts.force) renameSync(out.tmp, path);
  else {
    // link() fails if a file appeared at `path` since the check above, where rename() would replace it.
    try {
      linkSync(out.tmp, path);
      unlinkSync(out.tmp);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      // Some file systems (FAT, some network mounts) have no hard links; fall back to the checked rename.
      if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENOSYS') renameSync(out.tmp, path);
      else throw e;
    }
  }
  return out.bytes;
}

/** Closes and removes the temporary file; the error as the user should see it. */
function failed(out: TempOut, path: string, e: unknown): RecallError {
  if (out.fd !== null) closeSync(out.fd);
  removeIfThere(out.tmp);
  if (e instanceof RecallError) return e;
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'EEXIST') return outExists(path);
  if (code === 'ENOSPC' || code === 'EDQUOT') return diskFull(path);
  return new RecallError('write-failed', `Cannot write ${path}: ${(e as Error).message}`, { hint: 'check the path and its permissions' });
}

/** The disk holding `path` is full (the temporary file is gone by then). */
function diskFull(path: string): RecallError {
  return new RecallError('disk-full', `The disk is full; ${path} was not written`, { file: path, hint: 'free some space on that disk, or choose another --out' });
}

function outExists(path: string): RecallError {
  return new RecallError('out-exists', `${path} already exists`, { hint: 'pass --force to overwrite it, or choose another --out' });
}

function statOrNull(path: string) {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}

