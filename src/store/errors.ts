// What database and disk failures mean to the user. No better-sqlite3 import: the CLI's top-level error handler
// uses this without loading the driver.
import { RecallError } from '../core/errors.js';

/**
 * What a failure of the database or the disk under it means to the user, or null for other errors. Every
 * change is one transaction, so whatever failed was not half written.
 */
export function storageError(e: unknown, path: string): RecallError | null {
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return null;
  const file = (e as { path?: unknown }).path;
  const where = typeof file === 'string' ? file : path;
  if (code === 'SQLITE_FULL' || code === 'ENOSPC' || code === 'EDQUOT') {
    return new RecallError('disk-full', 'The disk is full; nothing of this command was saved', {
      file: where,
      hint: 'free some space on that disk and run the command again',
    });
  }
  if (code.startsWith('SQLITE_READONLY') || code === 'EROFS') {
    return new RecallError('db-read-only', 'The database cannot be written (a read-only file, folder or disk); nothing was changed', {
      file: path,
      hint: `make the file and its folder writable (e.g. chmod u+w on both), or pass another database with --db`,
    });
  }
  if (code === 'EACCES' || code === 'EPERM' || code === 'SQLITE_PERM' || code === 'SQLITE_AUTH') {
    return new RecallError('no-permission', 'Permission denied', { file: where, hint: 'check the permissions of the file and its folder' });
  }
  if (code === 'SQLITE_CANTOPEN') {
    return new RecallError('db-open', 'Cannot open the database file, or create its journal next to it', {
      file: path,
      hint: 'check that the file and its folder exist and that you may write to both, or pass another with --db',
    });
  }
  if (code === 'SQLITE_BUSY' || code.startsWith('SQLITE_LOCKED')) {
    return new RecallError('db-busy', 'The database is locked by another program', { file: path, hint: 'close the other recall session (or program) using it and try again' });
  }
  if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT')) {
    return new RecallError('db-corrupt', `The database is damaged (${(e as Error).message})`, { file: path, hint: 'run recall doctor; the backups next to it (*.bak) hold earlier copies' });
  }
  if (code === 'SQLITE_IOERR_WRITE' || code === 'SQLITE_IOERR_FSYNC' || code === 'EFBIG') {
    return new RecallError('disk-full', 'Writing to the disk failed (it may be full, or the file too large for it); nothing of this command was saved', {
      file: path,
      hint: 'free some space on that disk and run the command again',
    });
  }
  if (code.startsWith('SQLITE_IOERR') || code === 'EIO') {
    return new RecallError('db-io', `A disk error while using the database (${(e as Error).message})`, { file: path, hint: 'the disk may be failing or disconnected; check it, then run recall doctor' });
  }
  return null;
}
