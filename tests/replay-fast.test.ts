// Replay computes answers without ts-fsrs's per-call scheduler (src/scheduler/fast-next.ts). Its results must be
// exactly what answering one entry after another through ts-fsrs gives: same schedules, same log values, to the bit.
import fc from 'fast-check';
import { fsrs, get_fuzz_range } from 'ts-fsrs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, type CardState, type Schedule, type SchedulerSettings } from '../src/core/types.js';
import { createScheduler, studyDay, type Outcome, type ReplayEntry, type Scheduler } from '../src/scheduler/index.js';
import { aleaFirst } from '../src/scheduler/fast-next.js';

const DAY = 86_400_000;

/** A result or the error thrown: a log ts-fsrs refuses (a negative elapsed time) must be refused alike. */
function attempt<T>(fn: () => T): T | { error: string } {
  try {
    return fn();
  } catch (e) {
    return { error: String(e) };
  }
}

/** The replay loop as it was before fast-next: every answer through `answer`, i.e. ts-fsrs's `next`. */
function referenceReplay(s: Scheduler, entries: readonly ReplayEntry[]): { schedule: Schedule | null; outcomes: Outcome[] } {
  let schedule: Schedule | null = null;
  let lastReviewDay: number | undefined;
  const outcomes: Outcome[] = [];
  for (const e of entries) {
    if (e.rating === 0) {
      const before = (schedule?.state ?? 0) as CardState;
      schedule = e.manual.state === 0 || !schedule
        ? { state: 0, due: e.manual.due, stability: 0, difficulty: 0, elapsedDays: 0, scheduledDays: 0, learningSteps: 0, reps: 0, lapses: 0, lastReview: null }
        : { ...(schedule as Schedule), state: e.manual.state, due: Math.max(e.manual.due, e.reviewedAt), scheduledDays: Math.max(0, Math.round((e.manual.due - e.reviewedAt) / DAY)) };
      if (schedule.lastReview === null) lastReviewDay = undefined;
      outcomes.push({ grade: 1, stateBefore: before, schedule, elapsedDays: 0 });
      continue;
    }
    const o = s.answer(schedule, e.reviewedAt, e.rating, { day: e.day, lastReviewDay });
    outcomes.push(o);
    schedule = o.schedule;
    if (e.day !== undefined) lastReviewDay = Math.max(e.day, lastReviewDay ?? e.day);
  }
  return { schedule, outcomes };
}

const settingsArb: fc.Arbitrary<SchedulerSettings> = fc.record({
  desiredRetention: fc.constantFrom(0.7, 0.85, 0.9, 0.95, 0.97),
  maximumInterval: fc.constantFrom(36500, 365, 30, 7),
  learningSteps: fc.constantFrom([], ['1m'], ['1m', '10m'], ['30s', '1.5h'], ['10m', '1d'], ['2d'], ['1m', '5m', '1h', '12h']),
  relearningSteps: fc.constantFrom([], ['10m'], ['5m', '1h'], ['90s'], ['2d']),
  enableFuzz: fc.boolean(),
  parameters: fc.constantFrom(null, [...fsrs({}).parameters.w].map((w, i) => (i === 20 ? 0.35 : w * 1.1)), [...fsrs({}).parameters.w].map((w, i) => (i < 4 ? w * 3 : w))),
  dayStartHour: fc.integer({ min: 0, max: 23 }),
  timeZone: fc.constantFrom('UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Australia/Lord_Howe', 'Etc/GMT+5', null),
});

/** A log: answers minutes to months apart (now and then a clock that went back), resets and reschedules, recorded days or none. */
const logArb = fc
  .record({
    start: fc.integer({ min: Date.UTC(1971, 0, 1), max: Date.UTC(2035, 0, 1) }),
    steps: fc.array(
      fc.record({
        gap: fc.oneof(fc.integer({ min: 0, max: 3_600_000 }), fc.integer({ min: 0, max: 400 * DAY }), fc.integer({ min: -3 * DAY, max: 0 })),
        rating: fc.constantFrom(0, 1, 1, 2, 3, 3, 3, 4),
        manualState: fc.constantFrom(0, 1, 2, 3),
        manualDue: fc.integer({ min: 0, max: 60 * DAY }),
        day: fc.constantFrom('study', 'study', 'study', 'study', 'none', 'skewed'),
        skew: fc.integer({ min: -2, max: 2 }),
      }),
      { minLength: 1, maxLength: 40 },
    ),
  });

type Log = typeof logArb extends fc.Arbitrary<infer T> ? T : never;

function toEntries(log: Log, settings: SchedulerSettings): ReplayEntry[] {
  let t = log.start;
  return log.steps.map((st) => {
    t += st.gap;
    const study = studyDay(t, settings.timeZone ?? 'local', settings.dayStartHour);
    const day = st.day === 'none' ? undefined : st.day === 'study' ? study : study + st.skew;
    if (st.rating === 0) return { rating: 0, reviewedAt: t, day, manual: { state: st.manualState as CardState, due: t + st.manualDue } };
    return { rating: st.rating as 1 | 2 | 3 | 4, reviewedAt: t, day };
  });
}

describe('fast replay', () => {
  it("gives exactly what answering through ts-fsrs gives, for any settings and log", () => {
    fc.assert(
      fc.property(settingsArb, logArb, (settings, log) => {
        const s = createScheduler(settings);
        const entries = toEntries(log, settings);
        expect(attempt(() => s.replay(entries))).toEqual(attempt(() => referenceReplay(s, entries)));
      }),
      { numRuns: Number(process.env.REPLAY_RUNS ?? 400) },
    );
  });

  it('agrees on long histories with fuzz on (thousands of review-state answers)', () => {
    const s = createScheduler({ ...DEFAULT_SETTINGS, timeZone: 'Europe/Berlin' });
    let seed = 7;
    const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    for (let card = 0; card < 200; card++) {
      const entries: ReplayEntry[] = [];
      let schedule: Schedule | null = null;
      let t = Date.UTC(2019, 0, 1) + Math.floor(rnd() * 365 * DAY);
      for (let k = 0; k < 40; k++) {
        const rating = (rnd() < 0.15 ? 1 : rnd() < 0.1 ? 2 : rnd() < 0.9 ? 3 : 4) as 1 | 2 | 3 | 4;
        entries.push({ rating, reviewedAt: t, day: studyDay(t, 'Europe/Berlin', 4) });
        schedule = s.answer(schedule, t, rating, {}).schedule;
        t = Math.max(t + 60_000, schedule.due + Math.floor(rnd() * 3 * DAY));
      }
      expect(s.replay(entries)).toEqual(referenceReplay(s, entries));
    }
  });

  it('hands times outside the plain date range back to ts-fsrs', () => {
    const s = createScheduler({ ...DEFAULT_SETTINGS, timeZone: 'UTC' });
    for (const start of [Date.UTC(50, 0, 1), 8.64e15 - 400 * DAY, 0]) {
      const entries: ReplayEntry[] = [3, 3, 3, 1, 3, 3].map((rating, i) => ({ rating: rating as 1 | 3, reviewedAt: start + i * 9 * DAY }));
      expect(s.replay(entries)).toEqual(referenceReplay(s, entries));
    }
  });

  it("draws the fuzz factor alea would draw for the seed", () => {
    // ts-fsrs's apply_fuzz with a wide range reveals the draw: floor(f * (max - min + 1) + min).
    const engine = fsrs({ enable_fuzz: true, maximum_interval: 36500 });
    for (const seed of ['', '0_1_0', '20454_7_37.81234', 'x'.repeat(300), '-1_2_NaN', '19999_12_123.00000000000001']) {
      engine.seed = seed;
      const f = aleaFirst(seed);
      const { min_ivl, max_ivl } = get_fuzz_range(36500, 0, 36500);
      expect(max_ivl - min_ivl).toBeGreaterThan(1000);
      expect(engine.apply_fuzz(36500, 0)).toBe(Math.floor(f * (max_ivl - min_ivl + 1) + min_ivl));
    }
  });
});
