// Upgrades: a database written by an older schema is migrated in place after a byte-for-byte backup
// (`<db>.v<N>.bak`); one written by a newer recall, or an SQLite file that is not recall's, is refused with a
// message and exit 1, and not one byte of it changes.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS, SCHEMA_VERSION } from '../src/store/migrations.js';
import { recallBin } from '../scripts/lib/term.mjs';

const BIN = recallBin();
const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

function recall(args: string[], env: Record<string, string>) {
  const r = spawnSync(process.execPath, [BIN, ...args], { env: { ...process.env, NO_COLOR: '1', ...env }, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

let work: string;
beforeAll(() => void (work = mkdtempSync(join(tmpdir(), 'recall-upgrade-'))));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A database as recall at schema `version` left it: its migrations only, with a deck, cards, a review and settings. */
function oldDatabase(path: string, version: number): void {
  const db = new Database(path);
  for (let v = 0; v < version; v++) db.exec(MIGRATIONS[v]!);
  db.pragma(`user_version = ${version}`);
  const t = Date.parse('2026-01-10T10:00:00Z');
  db.prepare("INSERT INTO settings(key, value) VALUES ('createdAt', ?), ('newPerDay', '7')").run(String(t));
  const deck = db.prepare("INSERT INTO decks(name, description, source, origin, path, file_hash, created_at) VALUES ('Old deck', '', '', 'file', NULL, NULL, ?)").run(t).lastInsertRowid;
  db
    .prepare("INSERT INTO cards(deck_id, uid, note_uid, type, content, position, created_at, updated_at) VALUES (?, 'c1', 'c1', 'basic', ?, 0, ?, ?)")
    .run(deck, JSON.stringify({ type: 'basic', front: 'old front', back: 'old back' }), t, t);
  db.prepare("INSERT INTO cards(deck_id, uid, note_uid, type, content, position, created_at, updated_at) VALUES (?, 'c2', 'c2', 'basic', ?, 1, ?, ?)").run(
    deck, JSON.stringify({ type: 'basic', front: 'second', back: 'card' }), t, t,
  );
  db.close();
}

describe('upgrades', () => {
  it(`has migrations to test (MIGRATIONS.length = ${MIGRATIONS.length})`, () => {
    expect(SCHEMA_VERSION).toBe(MIGRATIONS.length);
    expect(MIGRATIONS.length).toBeGreaterThanOrEqual(1);
  });

  const olderVersions = Array.from({ length: Math.max(0, MIGRATIONS.length - 1) }, (_, i) => i + 1);
  it.skipIf(olderVersions.length === 0).each(olderVersions)('a schema %i database is backed up, then migrated in place', (version) => {
    const path = join(work, `v${version}.db`);
    oldDatabase(path, version);
    const before = sha(path);
    const env = { RECALL_DB: path, RECALL_NOW: '2026-02-01T09:00:00Z' };
    const r = recall(['decks', '--json'], env);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('Old deck');
    // The backup is the file exactly as it was.
    const bak = `${path}.v${version}.bak`;
    expect(existsSync(bak)).toBe(true);
    expect(sha(bak)).toBe(before);
    const db = new Database(path, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    // The old deck's cards are all there (the built-in decks were added beside them on start).
    expect(db.prepare("SELECT count(*) FROM cards c JOIN decks d ON d.id = c.deck_id WHERE d.name = 'Old deck'").pluck().get()).toBe(2);
    expect(db.prepare("SELECT value FROM settings WHERE key = 'newPerDay'").pluck().get()).toBe('7');
    db.close();
    // The migrated database works: a review is recorded by the current code, doctor is happy.
    expect(recall(['doctor'], env).code).toBe(0);
    // A second start does not back up again or change the backup.
    expect(recall(['decks'], env).code).toBe(0);
    expect(readdirSync(work).filter((f) => f.startsWith(`v${version}.db.v`))).toEqual([`v${version}.db.v${version}.bak`]);
    expect(sha(bak)).toBe(before);
  });

  it('a migration that fails leaves the database as it was (one transaction) and says so', () => {
    if (MIGRATIONS.length < 2) return;
    // Sabotage: a table the next migration wants to create or alter already exists in a conflicting shape.
    const path = join(work, 'sabotaged.db');
    oldDatabase(path, MIGRATIONS.length - 1);
    const db = new Database(path);
    // Make the last migration's statement fail by creating each index or column it adds in advance.
    const last = MIGRATIONS[MIGRATIONS.length - 1]!;
    const index = /CREATE INDEX (\w+)/.exec(last)?.[1];
    const column = /ALTER TABLE (\w+) ADD COLUMN (\w+)/.exec(last);
    if (index) db.exec(`CREATE TABLE ${index} (x)`);
    else if (column) db.exec(`ALTER TABLE ${column[1]} ADD COLUMN ${column[2]} INTEGER`);
    else return void db.close();
    db.close();
    const before = sha(path);
    const r = recall(['decks'], { RECALL_DB: path });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^recall: /);
    expect(r.err).not.toMatch(/^\s+at /m);
    const after = new Database(path, { readonly: true });
    expect(after.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length - 1);
    after.close();
    expect(existsSync(`${path}.v${MIGRATIONS.length - 1}.bak`)).toBe(true);
    expect(sha(`${path}.v${MIGRATIONS.length - 1}.bak`)).toBe(before);
  });

  for (const mode of ['wal', 'delete'] as const) {
    it(`a database from a newer recall (journal mode ${mode}) is refused, exit 1, and not one byte changes`, () => {
      const path = join(work, `newer-${mode}.db`);
      expect(recall(['config', 'set', 'new-per-day', '5'], { RECALL_DB: path }).code).toBe(0);
      const db = new Database(path);
      db.pragma(`journal_mode = ${mode}`);
      db.pragma(`user_version = ${SCHEMA_VERSION + 7}`);
      db.close();
      const files = () => readdirSync(work).filter((f) => f.startsWith(`newer-${mode}.db`)).sort();
      const listed = files();
      const before = sha(path);
      for (const args of [['decks'], ['doctor'], ['import', 'tests/fixtures/anki-spanish/Example-Deck.txt'], ['config', 'set', 'new-per-day', '9']]) {
        const r = recall(args, { RECALL_DB: path });
        expect(r.code, `${args.join(' ')}: ${r.err}`).toBe(1);
        expect(r.err).toMatch(/newer recall/);
        expect(r.err).toMatch(/hint: upgrade recall/);
        expect(r.err).not.toMatch(/^\s+at /m);
        expect(sha(path), `${args.join(' ')} changed the file`).toBe(before);
      }
      // No backup, no stray files beside it.
      expect(files().filter((f) => !f.endsWith('-wal') && !f.endsWith('-shm'))).toEqual(listed.filter((f) => !f.endsWith('-wal') && !f.endsWith('-shm')));
      const check = new Database(path, { readonly: true });
      expect(check.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION + 7);
      check.close();
    });
  }

  it('an SQLite file that is not a recall database is refused and left alone', () => {
    const path = join(work, 'foreign.db');
    const db = new Database(path);
    db.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes(body) VALUES (\'mine\')');
    db.close();
    const before = sha(path);
    const r = recall(['decks'], { RECALL_DB: path });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/not a recall database/);
    expect(sha(path)).toBe(before);
  });

  it('a file that is not SQLite at all is refused and left alone', () => {
    const path = join(work, 'text.db');
    writeFileSync(path, 'just some text, not a database\n'.repeat(100));
    const before = sha(path);
    const r = recall(['decks'], { RECALL_DB: path });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^recall: /);
    expect(r.err).not.toMatch(/unexpected error|^\s+at /m);
    expect(sha(path)).toBe(before);
  });
});
