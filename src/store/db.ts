import Database from 'better-sqlite3';
import { copyFileSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { RecallError } from '../core/errors.js';
import { MIGRATIONS, SCHEMA_VERSION } from './migrations.js';

export type Db = Database.Database;

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
  }
  let db: Db;
  try {
    db = new Database(path, { readonly: opts.readonly ?? false, fileMustExist: opts.readonly ?? false });
    db.pragma('busy_timeout = 10000');
    if (!opts.readonly) db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
  } catch (e) {
    throw new RecallError('db-open', `Cannot open the database ${path}: ${(e as Error).message}`, {
      hint: 'check the path and its permissions, or pass another with --db',
    });
  }
  try {
    migrate(db, path, opts.now ?? Date.now());
  } catch (e) {
    db.close();
    throw e;
  }
  return db;
}

function migrate(db: Db, path: string, now: number): void {
  let version: number;
  try {
    version = db.pragma('user_version', { simple: true }) as number;
  } catch (e) {
    throw new RecallError('db-corrupt', `${path} is not a recall database (${(e as Error).message})`, {
      hint: 'move the file away, or pass another path with --db',
    });
  }
  if (version > SCHEMA_VERSION) {
    throw new RecallError('db-too-new', `${path} was written by a newer recall (schema ${version}; this one knows ${SCHEMA_VERSION})`, {
      hint: 'upgrade recall; the database has not been changed',
    });
  }
  if (version === SCHEMA_VERSION) return;
  if (version === 0) {
    const tables = db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get() as { n: number };
    if (tables.n > 0) {
      throw new RecallError('db-foreign', `${path} is an SQLite file but not a recall database`, {
        hint: 'pass another path with --db; to import an Anki collection use `recall import`',
      });
    }
  } else if (path !== ':memory:') {
    // Keep a copy of the data as it was before an upgrade changes it.
    db.pragma('wal_checkpoint(TRUNCATE)');
    copyFileSync(path, `${path}.v${version}.bak`);
  }
  const apply = db.transaction(() => {
    for (let v = version; v < SCHEMA_VERSION; v++) db.exec(MIGRATIONS[v]!);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
    if (version === 0) db.prepare('INSERT OR IGNORE INTO settings(key, value) VALUES (?, ?)').run('createdAt', JSON.stringify(now));
  });
  apply.immediate();
}
