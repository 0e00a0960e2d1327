import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CardState, Rating, Schedule } from '../src/core/types.js';
import { DEFAULT_SETTINGS } from '../src/core/types.js';
import { createScheduler, dayStartInstant, studyDay } from '../src/scheduler/index.js';
import {
  bucketIndex,
  computeStats,
  DIFFICULTY_EDGES,
  R_EDGES,
  STABILITY_EDGES,
  decayOf,
  forecast,
  forgettingCurve,
  FSRS6_DEFAULT_DECAY,
  retrievabilityNow,
  streaks,
} from '../src/stats/compute.js';
import { statsToCsv } from '../src/stats/csv.js';
import { heatmap, renderStats } from '../src/stats/render.js';
import type { DeckCountRow, DueBucket, MemoryGroup, StatsInput } from '../src/stats/types.js';
import Database from 'better-sqlite3';
import { openStore, type Store } from '../src/store/store.js';

const HOUR = 3_600_000;
const DAY = 86_400_000;
const TZ = 'UTC';
const DAY_START = 4;
/** 2026-11-23 12:00 UTC; with days starting at 04:00 UTC, study day N runs from N*DAY + 4h. */
const NOW = Date.UTC(2026, 10, 23, 12, 0);
const TODAY = studyDay(NOW, TZ, DAY_START);
/** An instant on study day `d` at `hour` (>= 4). */
const at = (d: number, hour = 10) => d * DAY + hour * HOUR;
const dayStarts = Array.from({ length: 31 }, (_, i) => dayStartInstant(TODAY + i, TZ, DAY_START));

function schedule(over: Partial<Schedule>): Schedule {
  return {
    state: 2, due: NOW, stability: 10, difficulty: 5, elapsedDays: 0, scheduledDays: 10, learningSteps: 0, reps: 3, lapses: 0,
    lastReview: NOW - DAY, ...over,
  };
}

describe('pure aggregations', () => {
  it('counts streaks across gaps; the current one ends yesterday when today has no answers', () => {
    const days = [1, 2, 3, 5, 6, 9, 10];
    expect(streaks(days, 10)).toEqual({ current: 2, longest: 3, daysStudied: 7 });
    expect(streaks(days, 11)).toEqual({ current: 2, longest: 3, daysStudied: 7 });
    expect(streaks(days, 12)).toEqual({ current: 0, longest: 3, daysStudied: 7 });
    expect(streaks([4, 4, 3], 4)).toEqual({ current: 2, longest: 2, daysStudied: 2 });
    expect(streaks([], 4)).toEqual({ current: 0, longest: 0, daysStudied: 0 });
  });

  it('reproduces the scheduler\'s retrievability with the FSRS-6 curve', () => {
    const sched = createScheduler({ ...DEFAULT_SETTINGS, enableFuzz: false, timeZone: TZ, dayStartHour: DAY_START });
    let s = sched.answer(null, at(TODAY - 40), 3).schedule;
    s = sched.answer(s, at(TODAY - 38), 3).schedule;
    s = sched.answer(s, at(TODAY - 30), 2).schedule;
    // At the same time of day the scheduler's whole study days equal our fractional days.
    for (const k of [0, 1, 5, 17, 60]) {
      const now = s.lastReview! + k * DAY;
      const ours = retrievabilityNow({ stability: s.stability, lastReview: s.lastReview }, now, FSRS6_DEFAULT_DECAY)!;
      expect(ours).toBeCloseTo(sched.retrievability(s, now), 6);
    }
    expect(forgettingCurve(FSRS6_DEFAULT_DECAY, 12, 12)).toBeCloseTo(0.9, 6);
    expect(forgettingCurve(0.5, 3, 3)).toBeCloseTo(0.9, 6);
    expect(retrievabilityNow({ stability: 0, lastReview: null }, NOW, 0.5)).toBeNull();
  });

  it('takes the decay from w[20], falling back for older parameter sets', () => {
    expect(decayOf(null)).toBe(0.1542);
    expect(decayOf([...Array(20).fill(1), 0.3])).toBe(0.3);
    expect(decayOf(Array(19).fill(1))).toBe(0.5);
  });

  it('bins the forecast by study day, overdue counted today', () => {
    const b = (at: number, count = 1): DueBucket => ({ at, count });
    const f = forecast(
      [
        b(NOW - 5 * DAY, 2), // overdue → today
        b(at(TODAY, 23)), // later today
        b(at(TODAY + 1, 5)), // tomorrow
        b((TODAY + 2) * DAY + 3 * HOUR), // 03:00 on the next date is still study day +1
        b(at(TODAY + 2, 4)), // exactly the start of day +2
        b(at(TODAY + 29, 12), 4), // last day shown
        b(at(TODAY + 30, 12)), // beyond
      ],
      dayStarts,
    );
    expect(f).toHaveLength(30);
    expect(f.slice(0, 3)).toEqual([3, 2, 1]);
    expect(f[29]).toBe(4);
    expect(f.reduce((a, x) => a + x, 0)).toBe(10);
  });

  // The two walk sorted input instead of searching; these reference versions search, in any order.
  it('streaks and the forecast agree with plain searches, for days and buckets in any order', () => {
    const naiveStreaks = (days: number[], today: number) => {
      const set = new Set(days.filter((d) => d <= today));
      let longest = 0;
      for (const d of set) {
        let n = 0;
        while (set.has(d + n)) n++;
        longest = Math.max(longest, n);
      }
      let current = 0;
      for (let d = set.has(today) ? today : today - 1; set.has(d); d--) current++;
      return { current, longest, daysStudied: set.size };
    };
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -5, max: 40 }), { maxLength: 60 }), fc.integer({ min: -3, max: 42 }), (days, today) => {
        expect(streaks(days, today)).toEqual(naiveStreaks(days, today));
      }),
      { numRuns: 500 },
    );
    const naiveForecast = (buckets: DueBucket[]) => {
      const out = new Array<number>(30).fill(0);
      for (const b of buckets) {
        if (b.at < dayStarts[1]!) out[0]! += b.count;
        else for (let i = 1; i < 30; i++) if (dayStarts[i]! <= b.at && b.at < dayStarts[i + 1]!) out[i]! += b.count;
      }
      return out;
    };
    const bucket = fc.record({ at: fc.integer({ min: dayStarts[0]! - 3 * DAY, max: dayStarts[30]! + DAY }), count: fc.integer({ min: 1, max: 9 }) });
    fc.assert(
      fc.property(fc.array(bucket, { maxLength: 40 }), fc.boolean(), (buckets, sorted) => {
        const input = sorted ? [...buckets].sort((a, b) => a.at - b.at) : buckets;
        expect(forecast(input, dayStarts)).toEqual(naiveForecast(input));
      }),
      { numRuns: 500 },
    );
  });
});

describe('statistics over a database', () => {
  let dir: string;
  let store: Store;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'recall-stats-'));
    store = openStore(join(dir, 'recall.db'), { now: NOW });
  });
  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const deck = (name: string) =>
    store.upsertDeck({ name, description: '', source: '', origin: 'file', path: null, fileHash: null }, NOW - 500 * DAY);
  const card = (deckId: number, uid: string, suspended = false) => {
    const id = store.insertCard(deckId, { uid, noteUid: uid, content: { type: 'basic', front: `Q ${uid}`, back: `A ${uid}` } }, 0, NOW - 500 * DAY);
    if (suspended) store.appendEvent(id, { kind: 'suspend' }, { at: NOW - 500 * DAY, day: TODAY - 500 });
    return id;
  };
  /** Takes an answer back as `recall undo` does: marked undone, out of the rollup, schedule as the caller says. */
  const undo = (a: { actionUid: string; cardId: number }, rebuilt: Schedule | null) =>
    store.transaction(() => {
      for (const r of store.markActionUndone(a.actionUid, NOW).reviews) store.unbumpDaily(r);
      store.setSchedule(a.cardId, rebuilt);
    });
  const answer = (cardId: number, o: { day: number; rating: Rating; stateBefore: CardState; elapsedDays?: number; scheduled?: boolean; kind?: 'review' | 'quiz'; durationMs?: number; attemptId?: number; hour?: number; schedule?: Schedule }) => {
    const actionUid = store.beginAction('answer', at(o.day, o.hour), { cardId });
    store.recordAnswer({
      cardId,
      rating: o.rating,
      stateBefore: o.stateBefore,
      schedule: o.schedule ?? schedule({ lastReview: at(o.day, o.hour) }),
      elapsedDays: o.elapsedDays ?? 0,
      reviewedAt: at(o.day, o.hour),
      durationMs: o.durationMs ?? 5000,
      kind: o.kind ?? 'review',
      scheduled: o.scheduled ?? true,
      day: o.day,
      attemptId: o.attemptId ?? null,
      actionUid,
    });
    return { actionUid, cardId };
  };

  /** A second connection to the same file, for what a test does behind recall's back. */
  const sqlite = <T>(fn: (db: Database.Database) => T): T => {
    const db = new Database(store.path);
    try {
      return fn(db);
    } finally {
      db.close();
    }
  };

  const input = (deckIds: number[] | null = null, days = 30): StatsInput => ({
    ...store.statsRows({ deckIds, today: TODAY, now: NOW, dayEnd: dayStarts[1]!, horizon: dayStarts[30]!, decay: FSRS6_DEFAULT_DECAY }),
    today: TODAY,
    days,
    dayStarts,
  });

  it('computes retention young/mature per period, ignoring undone, unscheduled, non-review and manual rows', () => {
    const d = deck('ret');
    const ids = Array.from({ length: 6 }, (_, i) => card(d, `c${i}`));
    // A deterministic spread of review-state answers over 400 days; the expectation is computed from this list alone.
    const counted: { day: number; elapsed: number; rating: Rating }[] = [];
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    for (let i = 0; i < 300; i++) {
      const day = TODAY - Math.floor(rand() * 400);
      const elapsed = Math.floor(rand() * 50);
      const rating = (1 + Math.floor(rand() * 4)) as Rating;
      answer(ids[i % 6]!, { day, rating, stateBefore: 2, elapsedDays: elapsed });
      counted.push({ day, elapsed, rating });
    }
    // Today gets a few of each kind for the "day" period.
    for (const [elapsed, rating] of [[3, 3], [3, 1], [30, 4], [40, 3], [25, 1]] as const) {
      answer(ids[0]!, { day: TODAY, rating, stateBefore: 2, elapsedDays: elapsed });
      counted.push({ day: TODAY, elapsed, rating });
    }
    // Noise that must not count.
    const undone = answer(ids[1]!, { day: TODAY, rating: 1, stateBefore: 2, elapsedDays: 30 });
    undo(undone, null);
    answer(ids[2]!, { day: TODAY, rating: 1, stateBefore: 2, elapsedDays: 30, scheduled: false, kind: 'quiz' });
    answer(ids[3]!, { day: TODAY, rating: 1, stateBefore: 1, elapsedDays: 0 });
    answer(ids[3]!, { day: TODAY, rating: 1, stateBefore: 3, elapsedDays: 0 });
    answer(ids[4]!, { day: TODAY, rating: 0, stateBefore: 2, elapsedDays: 30 });

    const expectFor = (period: number) => {
      const inPeriod = counted.filter((c) => c.day > TODAY - period && c.day <= TODAY);
      const part = (rows: typeof counted) => ({ total: rows.length, passed: rows.filter((r) => r.rating > 1).length });
      return { young: part(inPeriod.filter((c) => c.elapsed < 21)), mature: part(inPeriod.filter((c) => c.elapsed >= 21)), all: part(inPeriod) };
    };
    const report = computeStats(input(), NOW);
    for (const [name, period] of [['day', 1], ['week', 7], ['month', 30], ['year', 365]] as const) {
      const e = expectFor(period);
      const got = report.retention[name];
      for (const g of ['young', 'mature', 'all'] as const) {
        expect({ total: got[g].total, passed: got[g].passed }, `${name}.${g}`).toEqual(e[g]);
        expect(got[g].rate).toBe(e[g].total ? e[g].passed / e[g].total : null);
      }
    }
    // Today's hand-placed answers are there (random ones may add to them).
    expect(report.retention.day.young.total).toBeGreaterThanOrEqual(2);
    expect(report.retention.day.mature.total).toBeGreaterThanOrEqual(3);
    // The deck filter reaches the retention query too.
    const other = deck('other');
    expect(computeStats(input([other]), NOW).retention.year.all.total).toBe(0);
  });

  it('reads streaks, today and the per-day chart from the daily rollup', () => {
    const d = deck('d');
    const c = card(d, 'a');
    const studied = [TODAY - 10, TODAY - 9, TODAY - 8, TODAY - 7, TODAY - 5, TODAY - 1, TODAY];
    for (const day of studied) answer(c, { day, rating: 3, stateBefore: 2, elapsedDays: 1, durationMs: 2000 });
    answer(c, { day: TODAY, rating: 1, stateBefore: 2, elapsedDays: 1, durationMs: 4000 });
    answer(c, { day: TODAY, rating: 3, stateBefore: 0, durationMs: 1000 });
    // An undone answer leaves a day with a zero rollup: not a studied day.
    const u = answer(c, { day: TODAY - 3, rating: 3, stateBefore: 2 });
    undo(u, null);

    let r = computeStats(input(null, 14), NOW);
    expect(r.streak).toEqual({ current: 2, longest: 4, daysStudied: 7 });
    expect(r.today).toMatchObject({ reviewed: 3, newCards: 1, again: 1, timeMs: 7000, againRate: 1 / 3 });
    expect(r.reviewsPerDay).toHaveLength(14);
    expect(r.reviewsPerDay.at(-1)).toMatchObject({ day: TODAY, date: '2026-11-23', reviews: 3 });
    expect(r.reviewsPerDay.map((x) => x.reviews)).toEqual([0, 0, 0, 1, 1, 1, 1, 0, 1, 0, 0, 0, 1, 3]);
    expect(r.heatmap.reviews.length % 7).toBe((TODAY - r.heatmap.startDay + 1) % 7);
    expect(r.heatmap.reviews.at(-1)).toBe(3);

    // Proof that the chart reads `daily`, not the log: a changed rollup shows up as is.
    sqlite((db) => db.prepare('UPDATE daily SET reviews = 42 WHERE day = ?').run(TODAY - 5));
    r = computeStats(input(null, 14), NOW);
    expect(r.reviewsPerDay.find((x) => x.day === TODAY - 5)!.reviews).toBe(42);

    // Tomorrow, with nothing studied yet, the streak still counts through yesterday.
    const tomorrow = computeStats({ ...input(), today: TODAY + 1 }, NOW + DAY);
    expect(tomorrow.streak.current).toBe(2);
    expect(computeStats({ ...input(), today: TODAY + 2 }, NOW + 2 * DAY).streak.current).toBe(0);
  });

  it('counts decks: new, learning, young, mature, suspended, mastery and average retrievability', () => {
    const a = deck('alpha');
    const b = deck('beta');
    const n = card(a, 'new');
    const young = card(a, 'young');
    const mature = card(a, 'mature');
    const susp = card(a, 'susp', true);
    const learn = card(a, 'learn');
    card(b, 'b-new');
    // Due today but buried until tomorrow: not "still due"; a young review card of beta otherwise.
    const buried = card(b, 'b-buried');
    store.setSchedule(buried, schedule({ state: 2, stability: 3, scheduledDays: 3, lastReview: NOW - 3 * DAY, due: NOW - HOUR }));
    store.appendEvent(buried, { kind: 'bury', until: dayStarts[1]! }, { at: NOW - HOUR, day: TODAY });
    store.setSchedule(young, schedule({ state: 2, stability: 5, scheduledDays: 5, lastReview: NOW - 2 * DAY, due: NOW + 3 * DAY }));
    store.setSchedule(mature, schedule({ state: 2, stability: 30, scheduledDays: 25, lastReview: NOW - 30 * DAY, due: NOW - DAY }));
    store.setSchedule(susp, schedule({ state: 2, stability: 40, scheduledDays: 40, lastReview: NOW - 10 * DAY }));
    store.setSchedule(learn, schedule({ state: 1, stability: 1, scheduledDays: 0, lastReview: NOW - HOUR, due: NOW + HOUR }));
    void n;
    const r = computeStats(input(), NOW);
    const alpha = r.decks.find((d) => d.name === 'alpha')!;
    expect(alpha).toMatchObject({ new: 1, learning: 1, young: 1, mature: 1, suspended: 1, total: 5 });
    // Stability >= 21: the mature card and the suspended one, of five cards.
    expect(alpha.mastery).toBe(2 / 5);
    const rs = [forgettingCurve(FSRS6_DEFAULT_DECAY, 2, 5), forgettingCurve(FSRS6_DEFAULT_DECAY, 30, 30), forgettingCurve(FSRS6_DEFAULT_DECAY, 10, 40), forgettingCurve(FSRS6_DEFAULT_DECAY, 1 / 24, 1)];
    expect(alpha.averageRetrievability).toBeCloseTo(rs.reduce((x, y) => x + y, 0) / 4, 10);
    expect(r.decks.find((d) => d.name === 'beta')).toMatchObject({ new: 1, young: 1, total: 2, mastery: 0 });
    expect(r.decks.find((d) => d.name === 'beta')!.averageRetrievability).toBeCloseTo(forgettingCurve(FSRS6_DEFAULT_DECAY, 3, 3), 10);
    // Due today: the overdue mature card and the learning card; the suspended one is not shown.
    expect(r.today).toMatchObject({ dueReviews: 1, dueLearning: 1, stillDue: 2 });
    expect(r.forecast[0]!.due).toBe(2);
    expect(r.forecast[3]!.due).toBe(1);
    expect(r.distributions.stability.reduce((x, b) => x + b.count, 0)).toBe(5);
    expect(r.distributions.stability.find((b) => b.label === '30d-90d')!.count).toBe(2);
    const rHist = R_EDGES.map(() => 0);
    for (const x of [...rs, forgettingCurve(FSRS6_DEFAULT_DECAY, 3, 3)]) rHist[bucketIndex(R_EDGES, x)]!++;
    expect(r.distributions.retrievability.map((b) => b.count)).toEqual(rHist);
    // A deck with parameters of its own forgets along its own curve.
    const own = computeStats({ ...store.statsRows({ deckIds: null, today: TODAY, now: NOW, dayEnd: dayStarts[1]!, horizon: dayStarts[30]!, decay: FSRS6_DEFAULT_DECAY, deckDecay: { [a]: 0.5 } }), today: TODAY, days: 30, dayStarts }, NOW);
    const rs5 = [forgettingCurve(0.5, 2, 5), forgettingCurve(0.5, 30, 30), forgettingCurve(0.5, 10, 40), forgettingCurve(0.5, 1 / 24, 1)];
    expect(own.decks.find((d) => d.name === 'alpha')!.averageRetrievability).toBeCloseTo(rs5.reduce((x, y) => x + y, 0) / 4, 10);
    // A deck filter keeps only that deck.
    const betaOnly = computeStats(input([b]), NOW);
    expect(betaOnly.decks.map((d) => d.name)).toEqual(['beta']);
    expect(betaOnly.today.stillDue).toBe(0);
    expect(betaOnly.forecast[0]!.due).toBe(1);
  });

  it("counts review cards due up to today's end as due today, those due at its end tomorrow", () => {
    const a = deck('alpha');
    const end = dayStarts[1]!;
    const due = (uid: string, at: number) => store.setSchedule(card(a, uid), schedule({ state: 2, stability: 5, scheduledDays: 5, lastReview: NOW - 5 * DAY, due: at }));
    due('overdue', NOW - 2 * DAY);
    due('last-minute', end - 60_000);
    due('last-quarter', end - 900_000);
    due('before-it', end - 900_001);
    due('at-end', end);
    due('tomorrow-noon', end + 12 * HOUR);
    const r = computeStats(input(), NOW);
    expect(r.today).toMatchObject({ dueReviews: 4, dueLearning: 0, stillDue: 4 });
    expect(r.forecast.slice(0, 3).map((f) => f.due)).toEqual([4, 2, 0]);
  });

  it('reports quiz attempts with a score per deck', () => {
    const a = deck('alpha');
    const b = deck('beta');
    const ca = card(a, 'qa');
    const cb = card(b, 'qb');
    const attempt = store.createQuizAttempt(NOW - HOUR, {}, 4);
    store.finishQuizAttempt(attempt, NOW, 4, 3);
    for (const [c, rating] of [[ca, 3], [ca, 1], [cb, 3], [cb, 4]] as const) {
      answer(c, { day: TODAY, rating, stateBefore: 2, kind: 'quiz', scheduled: false, attemptId: attempt });
    }
    const r = computeStats(input(), NOW);
    expect(r.quizzes).toEqual([
      {
        id: attempt, startedAt: NOW - HOUR, finishedAt: NOW, questions: 4, correct: 3, planned: 4, unfinished: false, score: 0.75,
        decks: [{ deck: 'alpha', answered: 2, correct: 1, score: 0.5 }, { deck: 'beta', answered: 2, correct: 2, score: 1 }],
      },
    ]);
    // An attempt whose process ended before it was scored: its answers in the log say how far it got.
    const left = store.createQuizAttempt(NOW - HOUR / 2, {}, 20);
    for (const [c, rating] of [[ca, 3], [cb, 1]] as const) answer(c, { day: TODAY, rating, stateBefore: 2, kind: 'quiz', scheduled: false, attemptId: left });
    expect(computeStats(input(), NOW).quizzes[1]).toMatchObject({ questions: 2, correct: 1, planned: 20, unfinished: true, finishedAt: null });
    // Quiz answers without --schedule are not in the daily rollup.
    expect(r.today.reviewed).toBe(0);
    expect(computeStats(input([b]), NOW).quizzes[0]!.decks).toEqual([{ deck: 'beta', answered: 2, correct: 2, score: 1 }]);
  });
});

describe('rendering', () => {
  it('never runs two month labels together in the heatmap, and keeps every full month', () => {
    // Columns start on 2025-09-15, a Monday: the first three are a partial September, October's first is the fourth.
    const startDay = Math.round(Date.UTC(2025, 8, 15) / DAY);
    const reviews = Array.from({ length: 7 * 20 }, (_, i) => (i % 5) + 1);
    const [labels] = heatmap({ startDay, endDay: startDay + reviews.length - 1, reviews, max: 5 }, { width: 80 });
    expect(labels).not.toMatch(/[a-z][A-Z]/);
    expect(labels!.trim().split(/\s+/)).toEqual(['Oct', 'Nov', 'Dec', 'Jan']);
    // Where the first month has room, it keeps its label.
    const [wide] = heatmap({ startDay: startDay - 14, endDay: startDay + reviews.length - 1, reviews: [...Array(14).fill(1), ...reviews], max: 5 }, { width: 80 });
    expect(wide!.trim().split(/\s+/)).toEqual(['Sep', 'Oct', 'Nov', 'Dec', 'Jan']);
  });

  it('counts in the singular when there is one', () => {
    const one: StatsInput = { today: TODAY, days: 30, daily: [{ day: TODAY, reviews: 1, again: 0, durationMs: 4000, newCards: 0 }], retention: [], deckCounts: [], memory: [], dueToday: { reviews: 1, learning: 0 }, dueBuckets: [{ at: NOW + DAY, count: 1 }], decks: [], quizzes: [], dayStarts };
    const text = renderStats(computeStats(one, NOW), { width: 80, color: false });
    expect(text).toContain('(1 review)');
    expect(text).toContain('(1 review, busiest day 1)');
    expect(text).toContain('(1 review; overdue counted today)');
    expect(text).toContain('Still due 1 (1 review, 0 learning)');
    expect(text).toContain('Streak 1 day, longest 1, 1 day studied');
    expect(text).not.toMatch(/\b1 (reviews|days|cards)\b/);
  });

  /** A fixed report input, independent of the database. */
  function sampleInput(): StatsInput {
    const daily = [];
    for (let i = 0; i < 120; i++) {
      const day = TODAY - i;
      if (i % 9 === 4 || i === 1) continue;
      daily.push({ day, reviews: (i * 7) % 23 + 1, again: i % 3, durationMs: 4000 * ((i * 7) % 23 + 1), newCards: i % 4 });
    }
    // Counts as the store would report them for 40 cards in two decks.
    const deckCounts: DeckCountRow[] = [
      { deckId: 1, new: 5, learning: 2, young: 11, mature: 7, suspended: 1, total: 26, mastered: 14 },
      { deckId: 2, new: 3, learning: 1, young: 8, mature: 2, suspended: 0, total: 14, mastered: 10 },
    ];
    // 32 answered cards, grouped the way the store groups them.
    const groups = new Map<string, MemoryGroup>();
    for (let i = 0; i < 32; i++) {
      const deckId = i % 3 === 0 ? 2 : 1;
      const stability = (i * 11) % 80 + 0.5;
      const difficulty = 1 + ((i * 3) % 9);
      const r = forgettingCurve(FSRS6_DEFAULT_DECAY, (i * 3) % 30, stability);
      const g = { deckId, stability: bucketIndex(STABILITY_EDGES, stability), difficulty: bucketIndex(DIFFICULTY_EDGES, difficulty), retrievability: bucketIndex(R_EDGES, r) };
      const key = JSON.stringify(g);
      const prev = groups.get(key) ?? { ...g, count: 0, retrievabilitySum: 0 };
      prev.count++;
      prev.retrievabilitySum += r;
      groups.set(key, prev);
    }
    const memory = [...groups.values()];
    const dueBuckets: DueBucket[] = [];
    for (let i = 0; i < 22; i++) dueBuckets.push({ at: NOW + ((i * 13) % 40) * DAY - 2 * DAY, count: 1 + (i % 2) });
    return {
      today: TODAY,
      days: 30,
      daily,
      retention: [
        { day: TODAY, mature: false, total: 10, passed: 9 },
        { day: TODAY - 3, mature: true, total: 20, passed: 19 },
        { day: TODAY - 100, mature: true, total: 50, passed: 44 },
      ],
      deckCounts,
      memory,
      dueToday: { reviews: 2, learning: 1 },
      dueBuckets,
      decks: [{ id: 1, name: 'AWS::Security' }, { id: 2, name: 'Spanish vocabulary' }],
      quizzes: [
        { id: 1, startedAt: NOW - 3 * DAY, finishedAt: NOW - 3 * DAY + HOUR, questions: 20, correct: 14, planned: 20, decks: [{ deckId: 1, answered: 20, correct: 14 }] },
        { id: 2, startedAt: NOW - HOUR, finishedAt: NOW, questions: 10, correct: 9.5, planned: null, decks: [{ deckId: 1, answered: 5, correct: 5 }, { deckId: 2, answered: 5, correct: 4 }] },
        // Left with Ctrl-C after 12 of 20 questions.
        { id: 3, startedAt: NOW - HOUR / 2, finishedAt: NOW, questions: 12, correct: 9, planned: 20, decks: [{ deckId: 1, answered: 12, correct: 9 }] },
      ],
      dayStarts,
    };
  }

  const GOLDEN = new URL('./golden/stats-80.txt', import.meta.url);

  it('matches the golden panels at width 80 without colour', () => {
    const text = renderStats(computeStats(sampleInput(), NOW), { width: 80, color: false });
    if (process.env.UPDATE_GOLDEN) {
      mkdirSync(new URL('./golden/', import.meta.url), { recursive: true });
      writeFileSync(GOLDEN, text);
    }
    expect(existsSync(GOLDEN)).toBe(true);
    expect(text).toBe(readFileSync(GOLDEN, 'utf8'));
    for (const line of text.split('\n')) expect([...line].length, line).toBeLessThanOrEqual(80);
    expect(text).not.toContain('\u001b[');
  });

  it('stays within narrow widths and colours only when asked', () => {
    const report = computeStats(sampleInput(), NOW);
    for (const width of [40, 60]) {
      for (const line of renderStats(report, { width, color: false }).split('\n')) expect([...line].length, line).toBeLessThanOrEqual(width);
    }
    expect(renderStats(report, { width: 80, color: true })).toContain('\u001b[1m');
  });

  it('says so when there is nothing to chart', () => {
    const empty: StatsInput = { today: TODAY, days: 30, daily: [], retention: [], deckCounts: [], memory: [], dueToday: { reviews: 0, learning: 0 }, dueBuckets: [], decks: [], quizzes: [], dayStarts };
    const text = renderStats(computeStats(empty, NOW), { width: 80, color: false });
    for (const s of ['(no reviews in this period)', '(no reviews in the past year)', '(no reviews due)', '(no decks)', '(no answered cards)', '(no quizzes yet)']) {
      expect(text).toContain(s);
    }
    expect(text).toContain('Streak 0 days, longest 0, 0 days studied');
  });

  it('writes the long CSV with one figure per row', () => {
    const csv = statsToCsv(computeStats(sampleInput(), NOW));
    const lines = csv.trimEnd().split('\n');
    expect(lines[0]).toBe('panel,key,subkey,value');
    expect(lines).toContain('today,reviewed,,1');
    expect(lines).toContain('retention,day,young_rate,0.9');
    expect(lines).toContain('deck,AWS::Security,total,26');
    expect(lines).toContain('forecast,2026-11-23,due,' + computeStats(sampleInput(), NOW).forecast[0]!.due);
    for (const l of lines) expect(l.split(',').length).toBe(4);
  });
});
