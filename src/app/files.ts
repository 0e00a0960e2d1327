// Writing output files safely: never clobber without --force, never leave a half-written file behind.
import { closeSync, fsyncSync, linkSync, openSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { RecallError } from '../core/errors.js';

/**
 * Writes `data` (a string, bytes, or chunks for output too large to build in memory) to `path` through a temporary file
 * in the same directory, renamed over the target at the end, so readers see the old file or the new one, never a
 * partial one. Refuses a directory, and an existing file unless `force`. Returns the bytes written.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array | Iterable<string>, opts: { force?: boolean } = {}): number {
  const existing = statOrNull(path);
  if (existing?.isDirectory()) {
    throw new RecallError('out-is-dir', `${path} is a directory`, { hint: 'give a file name, e.g. ' + join(path, 'export.csv') });
  }
  if (existing && !opts.force) {
    throw new RecallError('out-exists', `${path} already exists`, { hint: 'pass --force to overwrite it, or choose another --out' });
  }
  const dir = dirname(path);
  const dirStat = statOrNull(dir);
  if (!dirStat?.isDirectory()) {
    throw new RecallError('out-no-dir', `The folder ${dir} does not exist`, { hint: 'create it first, or choose another --out' });
  }
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${Date.now().toString(36)}.tmp`);
  let fd: number | null = null;
  let bytes = 0;
  try {
    fd = openSync(tmp, 'wx', 0o644);
    if (data instanceof Uint8Array) {
      while (bytes < data.length) bytes += writeSync(fd, data, bytes, data.length - bytes);
    }
    const chunks = typeof data === 'string' ? [data] : data instanceof Uint8Array ? [] : data;
    let pending = '';
    for (const chunk of chunks) {
      pending += chunk;
      // Batch small chunks (one per row) into writes of about 64 KiB.
      if (pending.length >= 65_536) {
        bytes += writeSync(fd, pending);
        pending = '';
      }
    }
    if (pending) bytes += writeSync(fd, pending);
    fsyncSync(fd);
    closeSync(fd);
    fd = null;
    if (opts.force) renameSync(tmp, path);
    else {
      // link() fails if a file appeared at `path` since the check above, where rename() would replace it.
      try {
        linkSync(tmp, path);
        unlinkSync(tmp);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        // Some file systems (FAT, some network mounts) have no hard links; fall back to the checked rename.
        if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENOSYS') renameSync(tmp, path);
        else throw e;
      }
    }
    return bytes;
  } catch (e) {
    if (fd !== null) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      // already gone
    }
    if (e instanceof RecallError) throw e;
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new RecallError('out-exists', `${path} already exists`, { hint: 'pass --force to overwrite it, or choose another --out' });
    }
    throw new RecallError('write-failed', `Cannot write ${path}: ${(e as Error).message}`, { hint: 'check the path and its permissions' });
  }
}

function statOrNull(path: string) {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}

