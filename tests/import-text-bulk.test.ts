// A large Anki text export into a collection that holds none of its notes writes its cards without looking each one
// up, and builds the card indexes once at the end: the database must end exactly as the card-by-card way leaves it.
import Database from 'better-sqlite3';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openContext } from '../src/app/context.js';
import { importPaths } from '../src/app/import.js';
import { tempDir } from './helpers/cli.js';

const env = { RECALL_NOW: '2026-06-01T09:00:00Z', TZ: 'UTC' };

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.reverse()) c();
  cleanups = [];
});

function fresh(name: string) {
  const t = tempDir('recall-text-bulk-');
  cleanups.push(t.cleanup);
  const db = join(t.dir, name);
  const ctx = openContext({ db, env });
  cleanups.push(() => ctx.store.close());
  return { dir: t.dir, db, ctx };
}

/**
 * 6,000 notes (more than the bulk threshold) in two decks, with what makes the card-by-card way do more than insert:
 * a note in both decks (found by its guid and moved), a guid with `#` (its own and another's `#2` suffix), notes
 * without guid (identified by their first field), a duplicate row (skipped), cloze and reversed notes.
 */
function textFile(dir: string): string {
  const rows = ['#separator:tab', '#html:false', '#guid column:1', '#deck column:2', '#notetype column:3'];
  for (let i = 0; i < 6000; i++) {
    const deck = i % 10 === 0 ? 'Bulk::B' : 'Bulk::A';
    const guid = i % 5 === 0 ? '' : `g${(i * 7919) % 100003}`;
    if (i % 97 === 0) rows.push(`${guid}\t${deck}\tCloze\t{{c1::word ${i}}} and {{c2::other}}\textra`);
    else if (i % 89 === 0) rows.push(`${guid}\t${deck}\tBasic (and reversed card)\tfront ${i}\tback ${i}`);
    else rows.push(`${guid}\t${deck}\tBasic\tfront ${i}\tback ${i}`);
  }
  rows.push('g7919\tBulk::B\tBasic\tmoved front\tmoved back'); // note 1's guid again, in the other deck
  rows.push('\tBulk::A\tBasic\tfront 5\tagain'); // the same first field without guid: a duplicate, skipped
  rows.push('abc\tBulk::A\tBasic\tabc front\tback');
  rows.push('abc#2\tBulk::B\tBasic\tabc#2 front\tback');
  rows.push('abc\tBulk::B\tBasic\tabc moved\tback');
  const file = join(dir, 'bulk.txt');
  writeFileSync(file, `${rows.join('\n')}\n`);
  return file;
}

function contents(db: string) {
  const conn = new Database(db, { readonly: true });
  try {
    return {
      schema: conn.prepare("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name").all(),
      cards: conn.prepare('SELECT * FROM cards ORDER BY id').all(),
      byGuid: conn.prepare('SELECT guid, id FROM cards INDEXED BY cards_guid ORDER BY guid').all(),
      counts: conn.prepare('SELECT deck_id, removed, suspended, state, count(*) AS n FROM cards INDEXED BY cards_counts GROUP BY 1, 2, 3, 4').all(),
      newOrder: conn.prepare('SELECT id FROM cards INDEXED BY cards_new_order WHERE suspended = 0 AND removed = 0 ORDER BY deck_id, position, id').all(),
      notes: conn.prepare('SELECT deck_id, note_uid, id FROM cards INDEXED BY cards_note ORDER BY deck_id, note_uid, id').all(),
      decks: conn.prepare('SELECT id, uid, name, origin FROM decks ORDER BY id').all(),
      events: conn.prepare('SELECT card_id, kind, at, day, data FROM card_events ORDER BY id').all(),
      integrity: conn.pragma('integrity_check', { simple: true }),
    };
  } finally {
    conn.close();
  }
}

describe('a large Anki text import into a collection without its notes', () => {
  it('writes the same rows and indexes as looking up and inserting card by card', () => {
    const a = fresh('a.db');
    const file = textFile(a.dir);
    const report = importPaths(a.ctx, [file]);
    expect(report.cardsAdded).toBeGreaterThan(6000);
    expect(report.cardsUpdated).toBe(2);
    expect(report.skipped.map((d) => d.line)).toEqual([6007]);
    const fast = contents(a.db);
    expect(fast.integrity).toBe('ok');
    expect(fast.events.map((e) => (e as { kind: string }).kind)).toEqual(['edit', 'move', 'edit', 'move']);

    // The card-by-card way: the collection is said to hold guids of every kind, so every card is looked up.
    const b = fresh('b.db');
    b.ctx.store.hasGuidPrefix = () => true;
    const slowReport = importPaths(b.ctx, [file]);
    expect(slowReport).toEqual(report);
    expect(contents(b.db)).toEqual(fast);
  });

  it('a second import of the same file finds every card', () => {
    const { dir, ctx } = fresh('c.db');
    const file = textFile(dir);
    importPaths(ctx, [file]);
    const again = importPaths(ctx, [file]);
    expect(again.cardsAdded).toBe(0);
  });

  it('a dry run, or an import that fails after the cards are written, leaves the database as it was', () => {
    const { dir, db, ctx } = fresh('d.db');
    const file = textFile(dir);
    const before = contents(db);
    expect(importPaths(ctx, [file], { dryRun: true }).cardsAdded).toBeGreaterThan(6000);
    expect(contents(db)).toEqual(before);
    // The second file's deck cannot be written: the first file's cards and the indexes go back as they were.
    const other = join(dir, 'other.txt');
    writeFileSync(other, '#separator:tab\nfront\tback\n');
    const upsert = ctx.store.upsertDeck.bind(ctx.store);
    ctx.store.upsertDeck = (d, now) => {
      if (d.name === 'other') throw new Error('the disk broke');
      return upsert(d, now);
    };
    expect(() => importPaths(ctx, [file, other])).toThrow('the disk broke');
    expect(contents(db)).toEqual(before);
  });
});
