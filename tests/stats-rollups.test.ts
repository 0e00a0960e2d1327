// The statistics read rollups (daily, card_counts: migration 10), never the log: they must stay exactly what a
// recomputation from the log and the cards gives, whatever writes (answers, undo, card actions, imports, sync), and
// `recall doctor` must find and rebuild a damaged one.
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { applyCardAction } from '../src/app/card-actions.js';
import { importPaths } from '../src/app/import.js';
import { syncWith } from '../src/app/log-sync.js';
import { undoLast } from '../src/app/undo.js';
import type { Grade } from '../src/core/types.js';
import { DIFFICULTY_EDGES, MASTERY_STABILITY, MATURE_DAYS, STABILITY_EDGES } from '../src/stats/compute.js';
import { MIGRATIONS } from '../src/store/migrations.js';
import { runCli, runJson, tempDir } from './helpers/cli.js';
import { DAY, T0, answer, openDevice, readRows, writeDecks, type Device } from './helpers/devices.js';

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.reverse()) c();
  cleanups = [];
});

const clean = { daily: 0, cardCounts: 0 };
const SPANISH = new URL('./fixtures/anki-spanish/SpanishAnkiExportReal.apkg', import.meta.url).pathname;

function devices() {
  const t = tempDir('recall-rollups-');
  cleanups.push(t.cleanup);
  const decks = writeDecks(t.dir, 8);
  const a = openDevice(t.dir, 'a', decks);
  const b = openDevice(t.dir, 'b', decks);
  cleanups.push(() => a.close(), () => b.close());
  return { dir: t.dir, a, b };
}

type Op =
  | { kind: 'answer'; dev: 0 | 1; card: number; grade: Grade }
  | { kind: 'undo'; dev: 0 | 1 }
  | { kind: 'move'; dev: 0 | 1; card: number }
  | { kind: 'card'; dev: 0 | 1; card: number; action: 'suspend' | 'unsuspend' | 'forget' | 'bury' }
  | { kind: 'setDue'; dev: 0 | 1; card: number; days: number }
  | { kind: 'time'; hours: number }
  | { kind: 'sync'; from: 0 | 1 };

const dev01 = fc.constantFrom<0 | 1>(0, 1);
// Few cards, so that answers pile up on them: cards reach the review state, where true retention counts.
const cardIx = fc.integer({ min: 0, max: 3 });
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('answer' as const), dev: dev01, card: cardIx, grade: fc.constantFrom<Grade>(1, 2, 3, 4) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('undo' as const), dev: dev01 }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('move' as const), dev: dev01, card: cardIx }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('card' as const), dev: dev01, card: cardIx, action: fc.constantFrom('suspend' as const, 'unsuspend' as const, 'forget' as const, 'bury' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('setDue' as const), dev: dev01, card: cardIx, days: fc.integer({ min: 0, max: 40 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('time' as const), hours: fc.integer({ min: 1, max: 24 * 40 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('sync' as const), from: dev01 }) },
);

/** Card ids of a device in a fixed order (same guids on both devices, so the same cards). */
function cardIds(d: Device): number[] {
  const ids = d.ctx.store.allCardIds();
  const guid = new Map(ids.map((id) => [id, d.ctx.store.getCard(id)!.guid]));
  return ids.sort((x, y) => (guid.get(x)! < guid.get(y)! ? -1 : 1));
}

async function apply(o: Op, devs: [Device, Device], now: { t: number }): Promise<void> {
  if (o.kind === 'time') {
    now.t += o.hours * 3_600_000;
    for (const d of devs) d.at(now.t);
    return;
  }
  if (o.kind === 'sync') {
    const [from, to] = o.from === 0 ? devs : [devs[1], devs[0]];
    await syncWith(from.ctx, to.db, { env: { RECALL_NOW: new Date(now.t).toISOString() } });
    return;
  }
  const d = devs[o.dev];
  if (o.kind === 'undo') {
    undoLast(d.ctx);
    return;
  }
  const ids = cardIds(d);
  const id = ids[o.card % ids.length]!;
  if (o.kind === 'answer') {
    const card = d.ctx.store.getCard(id)!;
    if (card.removed) return;
    try {
      answer(d, id, o.grade);
    } catch {
      // refused (changed elsewhere): nothing written
    }
  } else if (o.kind === 'move') {
    const card = d.ctx.store.getCard(id)!;
    const other = d.ctx.store.decks().find((x) => x.id !== card.deckId && x.origin === 'file');
    if (other) applyCardAction(d.ctx, [id], { kind: 'move', deckId: other.id });
  } else if (o.kind === 'card') {
    applyCardAction(d.ctx, [id], { kind: o.action });
  } else {
    applyCardAction(d.ctx, [id], { kind: 'set-due', days: o.days });
  }
}

/**
 * What `recall decks` shows, counted card by card (the way it was before the counts came from card_counts): the
 * store's deckCounts must give the same whatever happened to the cards.
 */
function deckCountsByCard(d: Device, now: number): unknown[] {
  const dayEnd = d.ctx.dayEnd(now);
  const conn = new Database(d.db, { readonly: true });
  try {
    const range = 'SELECT count(*) FROM cards c WHERE c.deck_id = d.id AND c.removed = 0';
    const active = `${range} AND c.suspended = 0 AND (c.buried_until IS NULL OR c.buried_until <= @now)`;
    return conn
      .prepare(
        `SELECT d.name, (${active} AND c.state = 0) AS new, (${active} AND c.state IN (1, 3)) AS learning,
           (${active} AND c.state = 2 AND c.due < @dayEnd) AS due, (${range} AND c.suspended = 1) AS suspended, (${range}) AS total
         FROM decks d ORDER BY d.name`,
      )
      .all({ now, dayEnd });
  } finally {
    conn.close();
  }
}

describe('statistics rollups', () => {
  it('equal a recomputation from the log after any answers, undos, moves, card actions and syncs', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 10, maxLength: 40 }), async (ops) => {
        const { a, b } = devices();
        const now = { t: T0 };
        try {
          for (const o of ops) await apply(o, [a, b], now);
          expect(a.ctx.store.staleRollups()).toEqual(clean);
          expect(b.ctx.store.staleRollups()).toEqual(clean);
          for (const d of [a, b]) expect(d.ctx.store.deckCounts(now.t, d.ctx.dayEnd(now.t))).toEqual(deckCountsByCard(d, now.t));
        } finally {
          for (const c of cleanups.splice(0).reverse()) c();
        }
      }),
      { numRuns: 25 },
    );
  }, 240_000);

  it('equal a recomputation after importing Anki history, answering and undoing on top of it, and a sync', async () => {
    const { a, b } = devices();
    importPaths(a.ctx, [SPANISH]);
    expect(a.ctx.store.staleRollups()).toEqual(clean);
    const rows = new Database(a.db, { readonly: true });
    const reviews = rows.prepare("SELECT count(*) FROM daily WHERE young_total + mature_total > 0").pluck().get() as number;
    rows.close();
    expect(reviews).toBeGreaterThan(0);
    a.at(T0 + 3 * DAY);
    for (const id of cardIds(a).slice(0, 10)) answer(a, id, 3);
    undoLast(a.ctx);
    expect(a.ctx.store.staleRollups()).toEqual(clean);
    expect(a.ctx.store.deckCounts(a.now, a.ctx.dayEnd(a.now))).toEqual(deckCountsByCard(a, a.now));
    await syncWith(a.ctx, b.db, { env: { RECALL_NOW: new Date(a.now).toISOString() } });
    expect(b.ctx.store.staleRollups()).toEqual(clean);
    expect(a.ctx.store.staleRollups()).toEqual(clean);
  }, 120_000);

  it('equal a recomputation after a sync that brings most of the days (rebuilt whole) and one that brings a few', async () => {
    const { a, b } = devices();
    const ids = cardIds(a);
    // 600 study days on a (the whole-log rebuild starts at 500 days, when they are most of the days known), a card a
    // day, with an undo and a move among them; b has days of its own that a lacks.
    for (let day = 0; day < 600; day++) {
      a.at(T0 + day * DAY);
      answer(a, ids[day % ids.length]!, day % 7 === 0 ? 1 : 3);
      if (day === 300) undoLast(a.ctx);
    }
    const card = a.ctx.store.getCard(ids[0]!)!;
    applyCardAction(a.ctx, [ids[0]!], { kind: 'move', deckId: a.ctx.store.decks().find((x) => x.id !== card.deckId && x.origin === 'file')!.id });
    const bIds = cardIds(b);
    for (const day of [700, 701, 702]) {
      b.at(T0 + day * DAY);
      answer(b, bIds[1]!, 3);
    }
    // Non-zero rows: an incremental update can leave a row at zero where a rebuild leaves none.
    const daily = (db: string) =>
      readRows(db, 'SELECT day, (SELECT name FROM decks WHERE id = deck_id) AS deck, reviews, again, new_cards, young_total, young_passed, mature_total, mature_passed FROM daily WHERE reviews + again + duration_ms + new_cards + young_total + mature_total > 0 ORDER BY day, deck');
    b.at(T0 + 710 * DAY);
    await syncWith(b.ctx, a.db, { env: { RECALL_NOW: new Date(b.now).toISOString() } });
    expect(b.ctx.store.staleRollups()).toEqual(clean);
    const rows = daily(b.db);
    expect(new Set(rows.map((r) => (r as { day: number }).day)).size).toBe(600 - 1 + 3);
    // A few days more, rebuilt day by day.
    a.at(T0 + 720 * DAY);
    answer(a, ids[2]!, 1);
    undoLast(a.ctx);
    answer(a, ids[3]!, 4);
    await syncWith(b.ctx, a.db, { env: { RECALL_NOW: new Date(a.now).toISOString() } });
    expect(b.ctx.store.staleRollups()).toEqual(clean);
    a.close();
    expect(daily(b.db)).toEqual(daily(a.db));
  }, 120_000);

  it('doctor finds a damaged rollup and --fix rebuilds it, leaving the statistics as they were', () => {
    const { a } = devices();
    a.at(T0 + DAY);
    for (const id of cardIds(a).slice(0, 6)) answer(a, id, 3);
    a.at(T0 + 30 * DAY);
    for (const id of cardIds(a).slice(0, 6)) answer(a, id, 1);
    a.close();
    const env = { RECALL_DB: a.db, RECALL_NOW: new Date(T0 + 30 * DAY).toISOString() };
    const before = runJson(['stats', '--json'], env);
    const conn = new Database(a.db);
    conn.exec('UPDATE daily SET young_total = young_total + 2, reviews = reviews + 1 WHERE (day, deck_id) = (SELECT day, deck_id FROM daily ORDER BY day, deck_id LIMIT 1)');
    conn.exec('UPDATE card_counts SET cards = cards + 5 WHERE stats_key = (SELECT max(stats_key) FROM card_counts)');
    conn.close();
    const sick = runCli(['doctor', '--json'], env);
    expect(sick.code).toBe(1);
    expect(JSON.parse(sick.stdout).staleRollups).toEqual({ daily: 1, cardCounts: 1 });
    expect(runCli(['doctor', '--fix', '--json'], env).code).toBe(0);
    const well = runJson(['doctor', '--json'], env);
    expect(well.staleRollups).toEqual(clean);
    expect(well.ok).toBe(true);
    expect(runJson(['stats', '--json'], env)).toEqual(before);
  }, 60_000);

  it("migration 10 bins cards with the edges of src/stats/compute.ts", () => {
    // The stats_key expression spells the edges out (a shipped migration never changes): if the constants change,
    // a new migration must redefine the column.
    const m = MIGRATIONS[9]!;
    const stab = [...m.matchAll(/WHEN stability_copy >= (\d+) THEN (\d)/g)].map((x) => [Number(x[1]), Number(x[2])]);
    expect(stab.map(([e]) => e).reverse()).toEqual(STABILITY_EDGES.slice(1));
    expect(stab.map(([, i]) => i).reverse()).toEqual(STABILITY_EDGES.slice(1).map((_, i) => i + 1));
    const diff = [...m.matchAll(/WHEN difficulty_copy >= (\d+) THEN (\d)/g)].map((x) => Number(x[1]));
    expect(diff.reverse()).toEqual(DIFFICULTY_EDGES.slice(1));
    expect(m).toContain(`interval_copy >= ${MATURE_DAYS} THEN 3`);
    expect(m).toContain(`(stability_copy >= ${MASTERY_STABILITY})) * 100`);
  });
});
