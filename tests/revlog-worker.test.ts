// The review log of an Anki collection read on the built worker thread (dist/revlog-worker.js) is the log read in
// place, row for row, problems included; a failure there reaches the importing thread with its driver code.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { readAnkiPackageWithStats } from '../src/importers/anki-package.js';
import { readReviewLog, startReviewLog } from '../src/importers/revlog-read.js';
import { RecallError } from '../src/core/errors.js';
import type { ReviewLog } from '../src/importers/review-log.js';
import { makeCollection } from './helpers/anki.js';
import { ROOT, ensureBuilt, tempDir } from './helpers/cli.js';

const WORKER = pathToFileURL(join(ROOT, 'dist/revlog-worker.js'));
const t0 = Date.parse('2025-01-01T00:00:00Z');
const LATEST = Date.parse('2026-01-01T00:00:00Z');
let t: ReturnType<typeof tempDir>;
beforeAll(() => {
  ensureBuilt();
  t = tempDir();
});
afterAll(() => t.cleanup());

function contents(log: ReviewLog) {
  const cards = [...log.counts()].map(([cid, { count }]) => ({ cid, count, rows: log.rows(cid) }));
  return { rowsRead: log.rowsRead, problems: log.problems(), cards };
}

describe('the review log read on a worker thread', () => {
  it('has its worker built next to the CLI', () => {
    // Without it startReviewLog reads in place, and the tests below would compare that with itself.
    expect(existsSync(fileURLToPath(WORKER)), 'dist/revlog-worker.js: run npm run build').toBe(true);
  });

  it('is the log read in place: rows by card, problems with their first row', () => {
    const path = join(t.dir, 'log.anki2');
    makeCollection(path, {
      notes: [1, 2, 3].map((id) => ({ id, guid: `g${id}`, flds: `f${id}\u001fb${id}` })),
      cards: [1, 2, 3].map((i) => ({ id: 10 + i, nid: i })),
      revlog: [
        { id: t0 + 5000, cid: 11, ease: 3, ivl: 3 },
        { id: t0, cid: 11, ease: 1, ivl: -600 },
        { id: t0 + 1000, cid: 12, ease: 'abc' },
        { id: 9e15, cid: 12, ease: 3 },
        { id: t0 + 2000, cid: 13, ease: 3, ivl: 2.5, time: 1234.5 },
        { id: LATEST + 86_400_000, cid: 13, ease: 3 },
        { id: t0 + 3000, cid: 'x', ease: 2 },
      ],
    });
    const inPlace = readReviewLog(path, LATEST);
    const viaWorker = startReviewLog(path, LATEST, WORKER).wait();
    expect(contents(viaWorker)).toEqual(contents(inPlace));
    // The check has teeth: this log has two usable cards, four kinds of problem.
    expect(contents(inPlace).cards.map((c) => [c.cid, c.count])).toEqual([[11, 2], [13, 1]]);
    expect(inPlace.rows(11).map((r) => r.id)).toEqual([t0, t0 + 5000]);
    expect(inPlace.problems()).toHaveLength(4);
  });

  it('a real Anki collection (kanjiplot) gives the same log both ways', () => {
    const path = join(ROOT, 'tests/fixtures/anki-kanjiplot/collection.anki2');
    const inPlace = readReviewLog(path, Number.POSITIVE_INFINITY);
    expect(inPlace.rowsRead).toBeGreaterThan(1000);
    expect(contents(startReviewLog(path, Number.POSITIVE_INFINITY, WORKER).wait())).toEqual(contents(inPlace));
  });

  it("a failure on the worker is thrown where the log is waited for, with SQLite's code", () => {
    const pending = startReviewLog(join(t.dir, 'missing.anki2'), LATEST, WORKER);
    let caught: unknown;
    try {
      pending.wait();
    } catch (e) {
      caught = e;
    }
    expect((caught as { code?: string }).code).toBe('SQLITE_CANTOPEN');
    // Taken once only.
    expect(() => pending.wait()).toThrow(/taken already/);
  });

  it('a log of 150,000 bad rows, each with a value of its own, is one line of the report', () => {
    // The kind of problem is what is wrong (here: the card id is not a number), not the value: each distinct bad
    // value was once a kind of its own, 150,000 lines (and before that a crash, as one call's arguments).
    const path = join(t.dir, 'many.anki2');
    makeCollection(path, { notes: [{ id: 1, guid: 'g', flds: 'a\u001fb' }], cards: [{ id: 11, nid: 1 }] });
    const db = new Database(path);
    const rev = db.prepare('INSERT INTO revlog VALUES (?, ?, 0, 3, 1, 0, 2500, 5000, 1)');
    db.transaction(() => {
      for (let i = 0; i < 150_000; i++) rev.run(t0 + i, `x${i}`);
    })();
    db.close();
    const { plan, stats } = readAnkiPackageWithStats(path, { tmpDir: t.dir, now: LATEST });
    expect(stats.malformed).toBe(150_000);
    const lines = plan.warnings.filter((w) => /review-log rows? skipped/.test(w.message));
    expect(lines.map((w) => w.message)).toEqual([expect.stringMatching(/^In the collection: 150000 review-log rows skipped, e\.g\. row \d+: its card id x0 is not a number/)]);
  });

  // Workers that fail the way a real one can without a message: killed by running out of memory (it exits, and its
  // exit handler raises the flag), or stuck (it never answers). The importing thread must give up, not hang.
  /** A worker script in the test's folder; it gets the same workerData as the real one. */
  function stubWorker(name: string, body: string): URL {
    const file = join(t.dir, name);
    writeFileSync(file, `import { workerData } from 'node:worker_threads';\nconst { flag } = workerData;\n${body}\n`);
    return pathToFileURL(file);
  }
  const thrown = (f: () => unknown): unknown => {
    try {
      f();
    } catch (e) {
      return e;
    }
    throw new Error('expected a throw');
  };

  it('a worker that exits without posting is reported as soon as its flag is up', () => {
    const dies = stubWorker('dies.mjs', 'Atomics.store(flag, 0, 1); Atomics.notify(flag, 0); process.exit(1);');
    // Patience of a minute: the error must come from the flag, not from the stall count.
    const e = thrown(() => startReviewLog(join(t.dir, 'unused.anki2'), LATEST, dies).wait());
    expect(e).toBeInstanceOf(RecallError);
    expect((e as RecallError).code).toBe('revlog-thread');
  });

  it('a worker that stops making progress is given up after the stall count, while one that ticks is waited for', () => {
    // Ticks progress 60 times, 50 ms apart, then writes a mark and falls silent without exiting. With a patience of
    // eight waits (~1.6 s, the worker's start-up included, room for a loaded machine) the ticks keep it alive for
    // their 3 s: the mark is there when the wait gives up. A wait that ignored progress would give up at ~1.6 s.
    const mark = join(t.dir, 'ticked-60');
    const stalls = stubWorker(
      'stalls.mjs',
      `import { writeFileSync } from 'node:fs';\nconst nap = new Int32Array(new SharedArrayBuffer(4));\nfor (let i = 0; i < 60; i++) { Atomics.wait(nap, 0, 0, 50); Atomics.add(flag, 1, 1); }\nwriteFileSync(${JSON.stringify(mark)}, '');\nAtomics.wait(nap, 0, 0);`,
    );
    const e = thrown(() => startReviewLog(join(t.dir, 'unused.anki2'), LATEST, stalls, 8).wait());
    expect((e as RecallError).code).toBe('revlog-thread');
    expect(existsSync(mark)).toBe(true);
    const silent = stubWorker('silent.mjs', 'Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);');
    expect((thrown(() => startReviewLog(join(t.dir, 'unused.anki2'), LATEST, silent, 1).wait()) as RecallError).code).toBe('revlog-thread');
  });
});
