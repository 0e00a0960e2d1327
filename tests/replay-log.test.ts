// The store's replayLog (five columns, for replaying every card: a first sync, a preset change, `recall doctor`)
// gives exactly what replayEntries makes of the card's full log: the same rows, in the same order, the same fields.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openContext } from '../src/app/context.js';
import { replayEntries } from '../src/app/replay.js';
import { recallBin } from '../scripts/lib/term.mjs';

const T0 = Date.parse('2026-04-01T09:00:00Z');
let work: string;
let db: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'recall-replay-log-'));
  db = join(work, 'r.db');
  const deck = join(work, 'd.deck');
  writeFileSync(deck, `deck: Log\n\n${Array.from({ length: 4 }, (_, i) => `--- basic l${i}\nQ: q${i}\nA: a${i}\n`).join('\n')}`);
  const r = spawnSync(process.execPath, [recallBin(), 'import', deck], { env: { ...process.env, NO_COLOR: '1', RECALL_DB: db }, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const row = fc.record({
  card: fc.nat(3),
  rating: fc.integer({ min: 0, max: 4 }),
  scheduled: fc.boolean(),
  undone: fc.boolean(),
  // Few distinct times and devices: rows at the same millisecond are ordered by device, then uid.
  at: fc.nat(5),
  device: fc.constantFrom('aaaa', 'bbbb', 'cccc'),
  stateAfter: fc.integer({ min: 0, max: 3 }),
  due: fc.nat(1000),
  day: fc.integer({ min: 20_000, max: 20_010 }),
});

describe('replayLog', () => {
  it('equals replayEntries of the full card log, for any log (ties, manual entries, unscheduled and undone rows)', () => {
    const ctx = openContext({ db, env: {} });
    const cardIds = ctx.store.allCardIds();
    expect(cardIds.length).toBe(4);
    let n = 0;
    try {
      fc.assert(
        fc.property(fc.array(row, { maxLength: 30 }), (rows) => {
          const conn = new Database(db);
          try {
            conn.exec('DELETE FROM reviews');
            const ins = conn.prepare(`INSERT INTO reviews(uid, card_id, rating, state_before, state_after, due, stability, difficulty, elapsed_days,
              scheduled_days, reviewed_at, duration_ms, kind, scheduled, day, device, undone_at) VALUES (?, ?, ?, 0, ?, ?, 1.5, 5, 0, 0, ?, 1000, 'review', ?, ?, ?, ?)`);
            for (const r of rows) {
              ins.run(`u${n++}`, cardIds[r.card], r.rating, r.stateAfter, T0 + r.due * 60_000, T0 + r.at * 1000, r.scheduled ? 1 : 0, r.day, r.device, r.undone ? T0 + 9e6 : null);
            }
          } finally {
            conn.close();
          }
          for (const id of cardIds) expect(ctx.store.replayLog(id)).toEqual(replayEntries(ctx.store.cardLog(id)));
        }),
        { numRuns: 200, seed: 20261203 },
      );
    } finally {
      ctx.store.close();
    }
  });
});
