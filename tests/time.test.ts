// Time: a clock that goes backwards, daylight-saving changes and a time-zone change between sessions never give a
// negative interval, a crash or a lost card, and `recall doctor` stays clean after them.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { openContext } from '../src/app/context.js';
import { commitAnswer, drawCard } from '../src/app/answer.js';
import { openStudy } from '../src/app/study.js';
import { GRADES, type Grade } from '../src/core/types.js';
import { formatInterval } from '../src/scheduler/index.js';
import { recallBin } from '../scripts/lib/term.mjs';

const BIN = recallBin();
const N_CARDS = 40;
const MIN = 60_000;
const DAY = 86_400_000;

function recall(args: string[], env: Record<string, string>) {
  const r = spawnSync(process.execPath, [BIN, ...args], { env: { ...process.env, NO_COLOR: '1', ...env }, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

let work: string;
beforeAll(() => void (work = mkdtempSync(join(tmpdir(), 'recall-time-'))));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function freshDb(name: string, nowIso: string): string {
  const db = join(work, `${name}.db`);
  const deck = join(work, `${name}.deck`);
  writeFileSync(deck, `deck: Clock\n\n${Array.from({ length: N_CARDS }, (_, i) => `--- basic k${i}\nQ: q${i}\nA: a${i}\n`).join('\n')}`);
  const r = recall(['import', deck], { RECALL_DB: db, RECALL_NOW: nowIso });
  expect(r.code, r.err).toBe(0);
  expect(recall(['config', 'set', 'new-per-day', '999'], { RECALL_DB: db }).code).toBe(0);
  return db;
}

/** One study session at `at`, answering up to `max` cards with grades from `grade`. Checks every preview. */
function study(db: string, at: number, max: number, grade: (i: number) => Grade = (i) => GRADES[i % 4]!): number {
  const ctx = openContext({ db, env: { RECALL_NOW: new Date(at).toISOString() } });
  try {
    const session = openStudy(ctx, { deckIds: null });
    let answered = 0;
    while (answered < max) {
      const next = session.next();
      if (next.kind !== 'card') break;
      for (const g of GRADES) {
        const ms = next.drawn.intervals[g];
        expect(ms, `preview of grade ${g} at ${new Date(next.drawn.at).toISOString()}`).toBeGreaterThanOrEqual(0);
        expect(formatInterval(ms)).not.toMatch(/-|NaN/);
      }
      const g = grade(answered);
      const res = session.answer(next.drawn, g, { durationMs: 4000 });
      expect(res.ok).toBe(true);
      if (!res.ok) break;
      expect(res.intervalMs).toBe(next.drawn.intervals[g]);
      answered++;
    }
    return answered;
  } finally {
    ctx.store.close();
  }
}

/** Answers one already-studied card at `at`, whatever its due date: a review "from the past" when the clock went back. */
function answerAt(db: string, at: number, cardId: number, g: Grade) {
  const ctx = openContext({ db, env: { RECALL_NOW: new Date(at).toISOString() } });
  try {
    const drawn = drawCard(ctx, ctx.store.getCard(cardId)!);
    for (const gg of GRADES) expect(formatInterval(Math.max(0, drawn.intervals[gg]))).not.toMatch(/-|NaN/);
    const res = commitAnswer(ctx, drawn, g, { durationMs: 1000 });
    expect(res.ok).toBe(true);
  } finally {
    ctx.store.close();
  }
}

/** The invariants time must not break, and doctor's verdict. */
function checkInvariants(db: string, env: Record<string, string> = {}) {
  const conn = new Database(db, { readonly: true });
  try {
    // (Commands that sync the built-in decks may add theirs; the Clock deck is ours.)
    expect(conn.prepare("SELECT count(*) FROM cards c JOIN decks d ON d.id = c.deck_id WHERE d.name = 'Clock'").pluck().get(), 'cards lost').toBe(N_CARDS);
    const badSchedules = conn
      .prepare('SELECT card_id, due, last_review, scheduled_days, elapsed_days FROM schedules WHERE due < last_review OR scheduled_days < 0 OR elapsed_days < 0 OR stability <= 0 OR difficulty <= 0')
      .all();
    expect(badSchedules, 'schedules with a negative interval').toEqual([]);
    const badReviews = conn
      .prepare('SELECT id, card_id, due, reviewed_at, elapsed_days, scheduled_days FROM reviews WHERE undone_at IS NULL AND (elapsed_days < 0 OR scheduled_days < 0 OR (rating > 0 AND scheduled = 1 AND due < reviewed_at))')
      .all();
    expect(badReviews, 'review rows with a negative interval').toEqual([]);
    // Per card, the log is in time order and its study days never go back.
    const rows = conn.prepare('SELECT card_id AS c, reviewed_at AS t, day FROM reviews WHERE undone_at IS NULL ORDER BY card_id, id').all() as { c: number; t: number; day: number }[];
    for (let i = 1; i < rows.length; i++) {
      if (rows[i]!.c !== rows[i - 1]!.c) continue;
      expect(rows[i]!.t, `card ${rows[i]!.c}: log out of time order`).toBeGreaterThanOrEqual(rows[i - 1]!.t);
      expect(rows[i]!.day, `card ${rows[i]!.c}: study day went back`).toBeGreaterThanOrEqual(rows[i - 1]!.day);
    }
    // No card is lost to scheduling: far in the future every card is there to study.
    const orphans = conn.prepare('SELECT count(*) FROM cards c LEFT JOIN schedules s ON s.card_id = c.id WHERE s.card_id IS NULL AND EXISTS (SELECT 1 FROM reviews r WHERE r.card_id = c.id AND r.undone_at IS NULL)').pluck().get();
    expect(orphans, 'reviewed cards without a schedule').toBe(0);
  } finally {
    conn.close();
  }
  const ctx = openContext({ db, env: { RECALL_NOW: '2036-01-01T00:00:00Z' } });
  try {
    const now = ctx.clock();
    const all = ctx.store.studyCards({ deckIds: null, now, dayEnd: ctx.dayEnd(now), newLimit: 9999, reviewLimit: 9999 });
    expect(all.filter((c) => c.deckName === 'Clock').length, 'cards no longer studyable').toBe(N_CARDS);
  } finally {
    ctx.store.close();
  }
  const doc = recall(['doctor'], { RECALL_DB: db, ...env });
  expect(doc.code, doc.out + doc.err).toBe(0);
}

describe('time', () => {
  it('the clock going backwards: earlier sessions and answers before the last review', () => {
    const t0 = Date.parse('2026-05-10T09:00:00Z');
    const db = freshDb('backwards', new Date(t0).toISOString());
    expect(study(db, t0, 15)).toBe(15);
    expect(study(db, t0 + 2 * DAY, 15)).toBeGreaterThan(0);
    // Three days back, then a whole week back, then a year back (a dead CMOS battery).
    expect(study(db, t0 - 3 * DAY, 10)).toBeGreaterThan(0);
    expect(study(db, t0 - 7 * DAY, 10)).toBeGreaterThan(0);
    const reviewed = new Database(db, { readonly: true }).prepare('SELECT DISTINCT card_id FROM reviews ORDER BY card_id LIMIT 5').pluck().all() as number[];
    for (const [i, id] of reviewed.entries()) answerAt(db, t0 - 365 * DAY, id, GRADES[i % 4]!);
    // The clock comes back: everything carries on.
    expect(study(db, t0 + 5 * DAY, 40)).toBeGreaterThan(0);
    checkInvariants(db, { RECALL_NOW: new Date(t0 - 30 * DAY).toISOString() });
    checkInvariants(db, { RECALL_NOW: new Date(t0 + 6 * DAY).toISOString() });
  });

  it('the command line with RECALL_NOW before the last review: stats, decks and doctor work', () => {
    const t0 = Date.parse('2026-05-10T09:00:00Z');
    const db = freshDb('backwards-cli', new Date(t0).toISOString());
    study(db, t0, 20);
    const env = { RECALL_DB: db, RECALL_NOW: new Date(t0 - 10 * DAY).toISOString() };
    for (const args of [['decks'], ['stats'], ['stats', '--json'], ['export', 'reviews'], ['doctor']]) {
      const r = recall(args, env);
      expect(r.code, `${args.join(' ')}: ${r.err}`).toBe(0);
      expect(r.out).not.toMatch(/NaN|Invalid Date|in -\d/);
    }
  });

  for (const [name, start] of [
    ['spring forward (2026-03-29, 02:00 → 03:00 in Berlin)', '2026-03-28T20:00:00Z'],
    ['fall back (2026-10-25, 03:00 → 02:00 in Berlin)', '2026-10-24T20:00:00Z'],
  ] as const) {
    it(`daylight saving: ${name}`, () => {
      const t0 = Date.parse(start);
      const db = freshDb(`dst-${start.slice(0, 10)}`, new Date(t0).toISOString());
      const set = recall(['config', 'set', 'timezone', 'Europe/Berlin'], { RECALL_DB: db });
      expect(set.code, set.err).toBe(0);
      expect(recall(['config', 'set', 'day-start', '2'], { RECALL_DB: db }).code).toBe(0);
      // A session every 20 minutes for ten hours across the change, answering what is due.
      let total = 0;
      for (let t = t0; t <= t0 + 10 * 60 * MIN; t += 20 * MIN) total += study(db, t, 6, (i) => (i % 3 === 0 ? 1 : 3));
      expect(total).toBeGreaterThan(40);
      // Study days of the reviews around the change: one day per local date (day start 02:00).
      const days = new Database(db, { readonly: true }).prepare('SELECT DISTINCT day FROM reviews ORDER BY day').pluck().all() as number[];
      expect(days.length).toBeGreaterThanOrEqual(1);
      expect(days.length).toBeLessThanOrEqual(2);
      checkInvariants(db, { TZ: 'Europe/Berlin', RECALL_NOW: new Date(t0 + 11 * 60 * MIN).toISOString() });
    });
  }

  // With the timezone setting "system", the zone is the process's: studying in UTC, then running recall with
  // TZ=Europe/Berlin (a trip, or a laptop whose zone changed) must not make stored schedules disagree with the log.
  it('the system time zone changing between sessions (timezone setting "system", TZ=UTC then TZ=Europe/Berlin)', () => {
    const t0 = Date.parse('2026-03-28T23:00:00Z');
    const savedTz = process.env.TZ;
    process.env.TZ = 'UTC';
    onTestFinished(() => void (savedTz === undefined ? delete process.env.TZ : (process.env.TZ = savedTz)));
    const db = freshDb('dst-system', new Date(t0).toISOString());
    const env = { RECALL_DB: db, TZ: 'Europe/Berlin' };
    for (let t = t0; t <= t0 + 6 * 60 * MIN; t += 30 * MIN) {
      const r = recall(['stats', '--json'], { ...env, RECALL_NOW: new Date(t).toISOString() });
      expect(r.code, r.err).toBe(0);
    }
    study(db, t0, 10);
    checkInvariants(db, { TZ: 'Europe/Berlin' });
  });

  it('a time-zone change between sessions', () => {
    const t0 = Date.parse('2026-07-01T06:00:00Z');
    const db = freshDb('tzchange', new Date(t0).toISOString());
    const zones = ['Europe/Berlin', 'Pacific/Kiritimati', 'Pacific/Pago_Pago', 'America/Los_Angeles', 'Asia/Kolkata', 'UTC'];
    let t = t0;
    for (const [i, zone] of zones.entries()) {
      const r = recall(['config', 'set', 'timezone', zone], { RECALL_DB: db, RECALL_NOW: new Date(t).toISOString() });
      expect(r.code, r.err).toBe(0);
      expect(study(db, t, 12)).toBeGreaterThan(0);
      checkInvariants(db, { RECALL_NOW: new Date(t).toISOString() });
      // The next session a few hours later (sometimes "yesterday" in the new zone).
      t += (i % 2 ? 3 : 14) * 60 * MIN;
    }
  });
});

describe('fixed zones', () => {
  it('gives UTC, GMT and Etc/GMT±N the offsets Intl gives, without asking it', async () => {
    const { offsetMs } = await import('../src/scheduler/day.js');
    const { tzOffset } = await import('@date-fns/tz/tzOffset');
    const zones = ['UTC', 'GMT', 'Etc/UTC', 'Etc/UCT', 'Etc/GMT', 'Etc/Universal', 'Etc/Zulu', 'Etc/GMT+0', 'Etc/GMT-0', 'Etc/GMT+13', 'Etc/GMT-15'];
    for (let h = -14; h <= 12; h++) zones.push(`Etc/GMT${h < 0 ? '' : '+'}${h}`);
    for (const z of zones) {
      for (const at of [0, Date.UTC(2026, 2, 29, 1, 30), Date.UTC(2026, 9, 25, 0, 59)]) expect([z, offsetMs(at, z)]).toEqual([z, tzOffset(z, new Date(at)) * 60_000]);
    }
  });
});
