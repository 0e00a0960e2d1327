import { closeSync, constants, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';
import { RecallError } from '../core/errors.js';

// Reading input files safely: what the user names may be a folder, a FIFO, a device or a symlink to /dev/zero.
// The type is checked before anything is read, the check is repeated on the open descriptor (the path may change
// in between), the open never blocks (O_NONBLOCK: a FIFO without a writer would wait forever), and reads stop at
// a limit whatever the file claims to be (files under /proc say they are empty).

export type InputKind = 'file' | 'dir';

function kindName(st: Stats): string {
  if (st.isFIFO()) return 'a named pipe (FIFO)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

function notAFile(path: string, st: Stats): RecallError {
  return new RecallError('not-a-file', `This is ${kindName(st)}, not a file recall can import`, {
    file: path,
    hint: 'pass a regular file (or a folder of .deck files); to import from a pipe, save it to a file first',
  });
}

/** Whether `path` is a regular file or a folder (symlinks followed); anything else is refused with a RecallError. */
export function inputKind(path: string): InputKind {
  let st: Stats;
  try {
    st = statSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new RecallError('no-such-file', 'No such file or folder', { file: path, hint: 'check the path' });
    if (code === 'ELOOP') throw new RecallError('symlink-loop', 'This is a loop of symbolic links', { file: path, hint: 'pass the file itself' });
    if (code === 'EACCES' || code === 'EPERM') throw new RecallError('no-permission', 'Permission denied', { file: path, hint: 'check the permissions of the file and its folders' });
    throw new RecallError('file-unreadable', `Cannot read it: ${(e as Error).message}`, { file: path, hint: 'check the path' });
  }
  if (st.isDirectory()) return 'dir';
  if (st.isFile()) return 'file';
  throw notAFile(path, st);
}

/** Opens a regular file for reading, refusing anything else; the caller closes the descriptor. */
export function openInputFile(path: string, maxBytes: number, tooLargeHint: string): { fd: number; size: number } {
  inputKind(path);
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'EISDIR' ? 'it is a folder' : (e as Error).message;
    throw new RecallError('file-unreadable', `Cannot open it: ${why}`, { file: path, hint: 'check the path and its permissions' });
  }
  const st = fstatSync(fd);
  if (!st.isFile()) {
    closeSync(fd);
    throw notAFile(path, st);
  }
  if (st.size > maxBytes) {
    closeSync(fd);
    throw tooLarge(path, st.size, maxBytes, tooLargeHint);
  }
  return { fd, size: st.size };
}

function tooLarge(path: string, size: number, maxBytes: number, hint: string): RecallError {
  const mib = (n: number) => `${(n / 2 ** 20).toFixed(n < 2 ** 20 ? 2 : 0)} MiB`;
  return new RecallError('import-too-large', `This file is ${size > maxBytes ? `larger than ${mib(maxBytes)} (${mib(size)})` : 'too large'}; recall reads at most ${mib(maxBytes)} of it`, { file: path, hint });
}

/** The whole content of a regular file of at most `maxBytes`; refuses folders, FIFOs, devices and larger files. */
export function readInputFile(path: string, maxBytes: number, tooLargeHint = 'split the file into smaller ones'): Buffer {
  const { fd, size } = openInputFile(path, maxBytes, tooLargeHint);
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    const chunkSize = Math.min(Math.max(size, 65_536), 16 * 2 ** 20);
    for (;;) {
      const buf = Buffer.allocUnsafe(Math.min(chunkSize, maxBytes + 1 - total));
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      total += n;
      if (total > maxBytes) throw tooLarge(path, total, maxBytes, tooLargeHint);
      chunks.push(n === buf.length ? buf : buf.subarray(0, n));
    }
    return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
  } catch (e) {
    if (e instanceof RecallError) throw e;
    throw new RecallError('file-unreadable', `Cannot read it: ${(e as Error).message}`, { file: path, hint: 'check the file; it may be on a failing disk or a disconnected share' });
  } finally {
    closeSync(fd);
  }
}

/** UTF-8 text of an input file (a leading byte-order mark is kept; the parsers drop it). */
export function readInputText(path: string, maxBytes: number, tooLargeHint?: string): string {
  return readInputFile(path, maxBytes, tooLargeHint).toString('utf8');
}
