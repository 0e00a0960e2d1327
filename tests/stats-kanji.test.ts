// `recall stats --json` on a real imported history, checked against figures computed straight from Anki's revlog.
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, runJson, tempDir } from './helpers/cli.js';

const KANJI = join(__dirname, 'fixtures/anki-kanjiplot/collection.anki2');
// The day after the collection's last review, so a year of retention covers its whole history.
const NOW = '2013-09-13T12:00:00Z';
let t: ReturnType<typeof tempDir>;
let db: string;
const env = () => ({ RECALL_DB: db, RECALL_NOW: NOW, TZ: 'UTC' });

beforeAll(() => {
  ensureBuilt();
  t = tempDir();
  db = join(t.dir, 'r.db');
  runJson(['config', 'set', 'timezone', 'Europe/Berlin'], env());
  runJson(['import', KANJI], env());
});
afterAll(() => t.cleanup());

/** The raw revlog, read independently of recall's importer. */
function rawRevlog() {
  const anki = new Database(KANJI, { readonly: true, fileMustExist: true });
  const rows = anki.prepare('SELECT r.id, r.ease, r.type FROM revlog r WHERE r.cid IN (SELECT id FROM cards)').all() as { id: number; ease: number; type: number }[];
  anki.close();
  return rows;
}

describe('recall stats on the kanjiplot history', () => {
  it('reports its review count and a true retention equal to the raw revlog\'s', () => {
    const stats = runJson<any>(['stats', '--days', '365'], env());
    const raw = rawRevlog();
    const answers = raw.filter((r) => r.ease > 0);
    // Every answer of the history falls within the last 365 days here: the per-day series adds up to the count.
    const perDay = (stats.reviewsPerDay as { reviews: number }[]).reduce((s, d) => s + d.reviews, 0);
    expect(perDay).toBe(answers.length);
    expect((stats.heatmap.reviews as number[]).reduce((s, n) => s + n, 0)).toBe(answers.length);
    expect(stats.streak.longest).toBeGreaterThan(0);
    // True retention as Anki computes it: answers in the review state (revlog type 1), passed = not Again.
    const reviews = raw.filter((r) => r.type === 1 && r.ease > 0);
    const passed = reviews.filter((r) => r.ease > 1).length;
    const year = stats.retention.year.all;
    expect(year.total).toBe(reviews.length);
    expect(year.passed).toBe(passed);
    expect(year.rate).toBeCloseTo(passed / reviews.length, 10);
  });
});
