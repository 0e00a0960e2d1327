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

  it('schema 4 to 5: suspended, buried and removed flags become the first events of the log, and stay as they were', () => {
    const path = join(work, 'flags.db');
    oldDatabase(path, 4);
    const db = new Database(path);
    const t = Date.parse('2026-01-10T10:00:00Z');
    const deck = db.prepare("SELECT id FROM decks WHERE name = 'Old deck'").pluck().get() as number;
    const add = db.prepare("INSERT INTO cards(deck_id, uid, note_uid, type, content, position, suspended, removed, buried_until, created_at, updated_at) VALUES (?, ?, ?, 'basic', ?, 9, ?, ?, ?, ?, ?)");
    add.run(deck, 'sus', 'sus', JSON.stringify({ type: 'basic', front: 's', back: 's' }), 1, 0, null, t, t + 1);
    add.run(deck, 'bur', 'bur', JSON.stringify({ type: 'basic', front: 'b', back: 'b' }), 0, 0, t + 400 * 86_400_000, t, t + 2);
    // A card removed from its deck file was also suspended by schema 4.
    add.run(deck, 'rem', 'rem', JSON.stringify({ type: 'basic', front: 'r', back: 'r' }), 1, 1, null, t, t + 3);
    db.prepare("INSERT INTO reviews(uid, card_id, rating, state_before, state_after, due, stability, difficulty, elapsed_days, scheduled_days, reviewed_at, duration_ms, kind, scheduled, day) VALUES ('old-r', (SELECT id FROM cards WHERE uid = 'c1'), 3, 0, 1, ?, 1, 5, 0, 0, ?, 1000, 'review', 1, 20463)").run(t + 600_000, t);
    db.close();
    const env = { RECALL_DB: path, RECALL_NOW: '2026-02-01T09:00:00Z' };
    expect(recall(['decks'], env).code).toBe(0);
    const after = new Database(path, { readonly: true });
    const device = after.prepare("SELECT value FROM local WHERE key = 'deviceId'").pluck().get() as string;
    expect(device).toMatch(/^[0-9a-f]{16}$/);
    const events = after.prepare("SELECT c.uid, e.kind, e.at, e.device, e.data FROM card_events e JOIN cards c ON c.id = e.card_id ORDER BY c.uid").all();
    expect(events).toEqual([
      { uid: 'bur', kind: 'bury', at: t + 2, device, data: JSON.stringify({ until: t + 400 * 86_400_000 }) },
      { uid: 'rem', kind: 'remove', at: t + 3, device, data: null },
      { uid: 'sus', kind: 'suspend', at: t + 1, device, data: null },
    ]);
    const flags = after.prepare("SELECT uid, suspended, removed, buried_until AS b FROM cards WHERE uid IN ('sus', 'bur', 'rem') ORDER BY uid").all();
    expect(flags).toEqual([
      { uid: 'bur', suspended: 0, removed: 0, b: t + 400 * 86_400_000 },
      { uid: 'rem', suspended: 0, removed: 1, b: null },
      { uid: 'sus', suspended: 1, removed: 0, b: null },
    ]);
    // Old answers are this device's rows now.
    expect(after.prepare("SELECT device FROM reviews WHERE uid = 'old-r'").pluck().get()).toBe(device);
    after.close();
    // The flags are what the events say (the hand-made review above has no schedule; that is doctor's other check).
    expect(JSON.parse(recall(['doctor', '--json'], env).out)).toMatchObject({ cardFlagMismatches: [], staleCardStates: 0 });
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
    // (An index the migration drops and builds again is dropped first: a table cannot share its name.)
    if (index) db.exec(`DROP INDEX IF EXISTS ${index}; CREATE TABLE ${index} (x)`);
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
