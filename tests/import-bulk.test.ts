// A large import into a small log builds the log's report indexes once at the end, in its transaction: whatever
// happens, the database ends with the same schema, and the indexes answer as if they had been kept all along.
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openContext } from '../src/app/context.js';
import { importPaths } from '../src/app/import.js';
import { findScheduleMismatches } from '../src/app/maintenance.js';
import { tempDir } from './helpers/cli.js';

const SPANISH = 'tests/fixtures/anki-spanish/SpanishAnkiExportReal.apkg';
const KANJI = 'tests/fixtures/anki-kanjiplot/collection.anki2';
const env = { RECALL_NOW: '2026-06-01T09:00:00Z', TZ: 'UTC' };

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.reverse()) c();
  cleanups = [];
});

function fresh(name: string) {
  const t = tempDir('recall-bulk-');
  cleanups.push(t.cleanup);
  const db = join(t.dir, name);
  const ctx = openContext({ db, env });
  cleanups.push(() => ctx.store.close());
  return { db, ctx };
}

/** The schema of the log and what its report indexes hold, read through them. */
function reviewIndexes(db: string) {
  const conn = new Database(db, { readonly: true });
  try {
    return {
      schema: conn.prepare("SELECT name, sql FROM sqlite_master WHERE tbl_name = 'reviews' ORDER BY name").all(),
      byDay: conn.prepare('SELECT day, rating, count(*) AS n, sum(duration_ms) AS ms FROM reviews INDEXED BY reviews_day GROUP BY day, rating').all(),
      integrity: conn.pragma('integrity_check', { simple: true }),
    };
  } finally {
    conn.close();
  }
}

describe('a large import into a small log', () => {
  it('leaves the indexes as a row-by-row import would: same schema, same contents, integrity ok', () => {
    // The kanji collection first (9k answers: below the threshold, indexes kept), then Spanish (31k: more than the
    // log holds, so they are built at the end).
    const a = fresh('a.db');
    importPaths(a.ctx, [KANJI]);
    const before = reviewIndexes(a.db).schema;
    importPaths(a.ctx, [SPANISH]);
    const after = reviewIndexes(a.db);
    expect(after.schema).toEqual(before);
    expect(after.integrity).toBe('ok');
    expect(findScheduleMismatches(a.ctx)).toEqual([]);
    // The same rows written the other way round: Spanish into the empty log (built at the end), then kanji.
    const b = fresh('b.db');
    importPaths(b.ctx, [SPANISH]);
    importPaths(b.ctx, [KANJI]);
    expect(reviewIndexes(b.db).byDay).toEqual(after.byDay);
  });

  it('a dry run, or an import that fails, leaves the indexes where they were', () => {
    const { db, ctx } = fresh('c.db');
    const schema = reviewIndexes(db).schema;
    expect(schema.map((r) => (r as { name: string }).name)).toContain('reviews_day');
    const report = importPaths(ctx, [SPANISH], { dryRun: true });
    expect(report.reviewsImported).toBeGreaterThan(30_000);
    expect(reviewIndexes(db).schema).toEqual(schema);
    // A failure half-way through the writes (here a thrown error; a full disk would do the same).
    const write = ctx.store.insertImportedReviews.bind(ctx.store);
    let calls = 0;
    ctx.store.insertImportedReviews = (rows) => {
      if (++calls === 500) throw new Error('the disk broke');
      write(rows);
    };
    expect(() => importPaths(ctx, [SPANISH])).toThrow('the disk broke');
    expect(calls).toBe(500);
    expect(reviewIndexes(db).schema).toEqual(schema);
    expect(ctx.store.cardIds({ includeSuspended: true, includeRemoved: true })).toEqual([]);
  });
});
