// The only module that imports ts-fsrs. Everything else sees plain `Schedule` values in epoch ms.
import { fsrs, createEmptyCard, BasicLearningStepsStrategy, State, StrategyMode, type Card, type FSRS, type Grade as FsrsGrade, type StepUnit, type TLearningStepsStrategy } from 'ts-fsrs';
import type { CardState, Grade, Schedule, SchedulerSettings } from '../core/types.js';
import { GRADES } from '../core/types.js';
import { stepMs } from '../core/settings.js';
import { resolveTimeZone, toSchedulerTime } from './day.js';
import { createFastNext, fuzzSeed, type FsrsCardMs } from './fast-next.js';

export { studyDay, nextDayStart, dayStartInstant, resolveTimeZone, isValidTimeZone, assertTimeZone, LOCAL_ZONE, buildZoneTable, useZoneTable, zoneTableCovers } from './day.js';

/** The result of answering a card with one grade: the new schedule and what the log entry records. */
export interface Outcome {
  grade: Grade;
  stateBefore: CardState;
  schedule: Schedule;
  /** Days since the previous answer, in study days. */
  elapsedDays: number;
  /** The study day the answer counts for (never before the previous answer's), when the caller gave one. */
  day?: number;
}

/** An entry of a card's log as replay needs it. */
/**
 * An entry of a card's log as replay needs it. `day` is the study day recorded with the entry: replay uses it,
 * not today's time zone, so a later change of time zone or day start cannot change the past.
 */
export type ReplayEntry =
  | { rating: Grade; reviewedAt: number; day?: number }
  | { rating: 0; reviewedAt: number; day?: number; manual: { state: CardState; due: number } };

/** Study days of the answer being made and of the previous one, when known from the log. */
export interface DayHint {
  day?: number;
  lastReviewDay?: number;
}

/**
 * What each grade does to a card in its (re)learning steps, as ts-fsrs's basic strategy decides it: Again goes back
 * to the first step, Hard repeats the current one (the mean of the first two, or 1.5 times a single step), Good moves
 * to the next; a review card that lapses goes to the relearning step it is on. In milliseconds, whole seconds.
 */
export function stepOutcomes(
  learning: readonly number[],
  relearning: readonly number[],
  state: CardState,
  curStep: number,
): Partial<Record<Grade, { ms: number; next: number }>> {
  const steps = state === 3 || state === 2 ? relearning : learning;
  if (steps.length === 0 || curStep >= steps.length) return {};
  const first = steps[0]!;
  if (state === 2) return { 1: { ms: steps[Math.max(0, curStep)]!, next: 0 } };
  const out: Partial<Record<Grade, { ms: number; next: number }>> = {
    1: { ms: first, next: 0 },
    2: { ms: Math.round((steps.length === 1 ? first * 1.5 : (first + steps[1]!) / 2) / 1000) * 1000, next: curStep },
  };
  const next = steps[curStep + 1];
  if (next) out[3] = { ms: next, next: curStep + 1 };
  return out;
}

export interface Scheduler {
  readonly settings: SchedulerSettings;
  readonly timeZone: string;
  /** All four outcomes for a card at `now` (Anki-style: compute all, commit one). `null` = a new card. */
  preview(schedule: Schedule | null, now: number, days?: DayHint): Record<Grade, Outcome>;
  answer(schedule: Schedule | null, now: number, grade: Grade, days?: DayHint): Outcome;
  /** Rebuild a schedule from a card's log. Entries must be chronological; `null` when the log is empty. */
  replay(entries: readonly ReplayEntry[]): { schedule: Schedule | null; outcomes: Outcome[] };
  /** Probability of recall at `now`, 0..1 (0 for new cards). */
  retrievability(schedule: Schedule | null, now: number): number;
  defaultParameters(): number[];
}

const HOUR = 3_600_000;

export function createScheduler(settings: SchedulerSettings): Scheduler {
  const timeZone = resolveTimeZone(settings.timeZone);
  const engine: FSRS = fsrs({
    request_retention: settings.desiredRetention,
    maximum_interval: settings.maximumInterval,
    enable_fuzz: settings.enableFuzz,
    enable_short_term: true,
    learning_steps: settings.learningSteps as StepUnit[],
    relearning_steps: settings.relearningSteps as StepUnit[],
    ...(settings.parameters ? { w: settings.parameters } : {}),
  });
  const DAY = 24 * HOUR;
  // The shift that puts instant `ms` on its study day in ts-fsrs's UTC calendar; with a recorded `day`, that day.
  // Fuzz is seeded by ts-fsrs from the exact review time, which our zone shift changes: a learner who moves to
  // another zone would see past intervals replay differently. Seed from the study day (recorded with each answer,
  // so replay sees the same one), the repetition count and the memory state instead.
  engine.useStrategy(StrategyMode.SEED, function seed() {
    return fuzzSeed(this.review_time.getTime(), this.current.reps, this.current.difficulty, this.current.stability);
  });
  // ts-fsrs counts steps in whole minutes (it reads `1.5h` as 1h and `30s` not at all). Steps that are whole minutes
  // are left to it, so schedules stay exactly as they always were; any other step set is given to it through a
  // strategy in fractional minutes, and the due time of a (re)learning outcome is then set to the second.
  const exactSteps = [...settings.learningSteps, ...settings.relearningSteps].some((st) => !/^\d+m$|^\d+h$|^\d+d$/.test(st));
  const learningMs = settings.learningSteps.map(stepMs);
  const relearningMs = settings.relearningSteps.map(stepMs);
  let stepsStrategy: TLearningStepsStrategy = BasicLearningStepsStrategy;
  if (exactSteps) {
    stepsStrategy = (_params, state, curStep) => {
      const out: Partial<Record<FsrsGrade, { scheduled_minutes: number; next_step: number }>> = {};
      for (const [g, o] of Object.entries(stepOutcomes(learningMs, relearningMs, state as unknown as CardState, curStep))) {
        out[Number(g) as FsrsGrade] = { scheduled_minutes: o.ms / 60_000, next_step: o.next };
      }
      return out;
    };
    engine.useStrategy(StrategyMode.LEARNING_STEPS, stepsStrategy);
  }
  // Replay computes each answer as engine.next would, without its per-call scheduler object (see fast-next.ts).
  const fastNext = createFastNext(engine, stepsStrategy);
  const shift = (ms: number, day?: number) => {
    const shifted = toSchedulerTime(ms, timeZone, settings.dayStartHour);
    const correction = day === undefined ? 0 : (day - Math.floor(shifted / DAY)) * DAY;
    return shifted + correction - ms;
  };

  const toCard = (s: Schedule | null, now: number, lastReviewDay?: number): Card => {
    if (!s) return createEmptyCard(new Date(now + shift(now)));
    const lastShift = s.lastReview === null ? 0 : shift(s.lastReview, lastReviewDay);
    return {
      due: new Date(s.due + lastShift),
      stability: s.stability,
      difficulty: s.difficulty,
      elapsed_days: s.elapsedDays,
      scheduled_days: s.scheduledDays,
      learning_steps: s.learningSteps,
      reps: s.reps,
      lapses: s.lapses,
      state: s.state as unknown as State,
      last_review: s.lastReview === null ? undefined : new Date(s.lastReview + lastShift),
    };
  };
  // Due dates come back in shifted time; undo the shift of `now`, so a 1-day interval is exactly 24 h later.
  const fromCard = (c: Card, now: number, nowShift: number): Schedule => ({
    state: c.state as unknown as CardState,
    due: Math.max(now, c.due.getTime() - nowShift),
    stability: c.stability,
    difficulty: c.difficulty,
    elapsedDays: c.elapsed_days,
    scheduledDays: c.scheduled_days,
    learningSteps: c.learning_steps,
    reps: c.reps,
    lapses: c.lapses,
    lastReview: now,
  });

  const answer = (schedule: Schedule | null, now: number, grade: Grade, days: DayHint = {}): Outcome => {
    // A clock that went backwards must not produce an answer before the previous one.
    const at = schedule?.lastReview != null ? Math.max(now, schedule.lastReview) : now;
    let day = days.day;
    if (day !== undefined && days.lastReviewDay !== undefined && day < days.lastReviewDay) day = days.lastReviewDay;
    const nowShift = shift(at, day);
    const result = engine.next(toCard(schedule, at, days.lastReviewDay), new Date(at + nowShift), grade as unknown as FsrsGrade);
    return outcome(schedule, grade, at, nowShift, fromCard(result.card, at, nowShift), result.log.elapsed_days, day);
  };

  /** What `answer` gives, computed by fastNext (ts-fsrs itself when fastNext declines). */
  const replayAnswer = (schedule: Schedule | null, now: number, grade: Grade, days: DayHint): Outcome => {
    const at = schedule?.lastReview != null ? Math.max(now, schedule.lastReview) : now;
    let day = days.day;
    if (day !== undefined && days.lastReviewDay !== undefined && day < days.lastReviewDay) day = days.lastReviewDay;
    const nowShift = shift(at, day);
    let card: FsrsCardMs;
    if (schedule) {
      const lastShift = schedule.lastReview === null ? 0 : shift(schedule.lastReview, days.lastReviewDay);
      card = {
        due: schedule.due + lastShift, stability: schedule.stability, difficulty: schedule.difficulty, elapsedDays: schedule.elapsedDays,
        scheduledDays: schedule.scheduledDays, learningSteps: schedule.learningSteps, reps: schedule.reps, lapses: schedule.lapses,
        state: schedule.state, lastReview: schedule.lastReview === null ? null : schedule.lastReview + lastShift,
      };
    } else {
      card = { due: at + nowShift, stability: 0, difficulty: 0, elapsedDays: 0, scheduledDays: 0, learningSteps: 0, reps: 0, lapses: 0, state: 0, lastReview: null };
    }
    const fast = fastNext(card, at + nowShift, grade);
    if (!fast) return answer(schedule, now, grade, days);
    const c = fast.card;
    const next: Schedule = {
      state: c.state as CardState, due: Math.max(at, c.due - nowShift), stability: c.stability, difficulty: c.difficulty, elapsedDays: c.elapsedDays,
      scheduledDays: c.scheduledDays, learningSteps: c.learningSteps, reps: c.reps, lapses: c.lapses, lastReview: at,
    };
    return outcome(schedule, grade, at, nowShift, next, fast.elapsedDays, day);
  };

  const outcome = (schedule: Schedule | null, grade: Grade, at: number, nowShift: number, next: Schedule, elapsedDays: number, day: number | undefined): Outcome => {
    if (exactSteps && (next.state === 1 || next.state === 3) && next.scheduledDays === 0) {
      const step = stepOutcomes(learningMs, relearningMs, (schedule?.state ?? 0) as CardState, schedule?.learningSteps ?? 0)[grade];
      if (step) next.due = at + step.ms;
    }
    return {
      grade,
      stateBefore: (schedule?.state ?? 0) as CardState,
      schedule: next,
      elapsedDays,
      ...(day === undefined ? {} : { day }),
    };
  };

  return {
    settings,
    timeZone,
    preview(schedule, now, days) {
      const out = {} as Record<Grade, Outcome>;
      for (const g of GRADES) out[g] = answer(schedule, now, g, days);
      return out;
    },
    answer,
    replay(entries) {
      let schedule: Schedule | null = null;
      let lastReviewDay: number | undefined;
      const outcomes: Outcome[] = [];
      for (const e of entries) {
        if (e.rating === 0) {
          const before = (schedule?.state ?? 0) as CardState;
          schedule = manual(schedule, e.reviewedAt, e.manual.state, e.manual.due);
          if (schedule.lastReview === null) lastReviewDay = undefined;
          outcomes.push({ grade: 1, stateBefore: before, schedule, elapsedDays: 0 });
          continue;
        }
        const o = replayAnswer(schedule, e.reviewedAt, e.rating, { day: e.day, lastReviewDay });
        outcomes.push(o);
        schedule = o.schedule;
        if (e.day !== undefined) lastReviewDay = Math.max(e.day, lastReviewDay ?? e.day);
      }
      return { schedule, outcomes };
    },
    retrievability(schedule, now) {
      if (!schedule || schedule.state === 0 || schedule.lastReview === null) return 0;
      return engine.get_retrievability(toCard(schedule, now), new Date(now + shift(now)), false);
    },
    defaultParameters() {
      return [...fsrs({}).parameters.w];
    },
  };
}

/**
 * A manual entry (Anki's "forget" or "set due date"): a reset makes the card new again; a reschedule keeps the
 * memory state and only moves the due date.
 */
function manual(schedule: Schedule | null, at: number, state: CardState, due: number): Schedule {
  if (state === 0 || !schedule) {
    return { state: 0, due, stability: 0, difficulty: 0, elapsedDays: 0, scheduledDays: 0, learningSteps: 0, reps: 0, lapses: 0, lastReview: null };
  }
  return { ...schedule, state, due: Math.max(due, at), scheduledDays: Math.max(0, Math.round((due - at) / (24 * HOUR))) };
}

/** A short label for the wait until `due`, as shown on the answer buttons: `1m`, `10m`, `3h`, `4d`, `2.1mo`, `1.5y`. */
export function formatInterval(ms: number): string {
  // Each unit is chosen after rounding, so a span shows one way: 23h40m is "1d" (as the 1-day button says), never "24h";
  // 59.6 minutes is "1h", 29.6 days "1mo".
  const minutes = Math.max(0, ms) / 60_000;
  if (minutes < 1) return '<1m';
  if (Math.round(minutes) < 60) return `${Math.round(minutes)}m`;
  const hours = minutes / 60;
  if (Math.round(hours) < 24) return `${Math.round(hours)}h`;
  const days = hours / 24;
  if (Math.round(days) < 30) return `${Math.round(days)}d`;
  if (days < 365) return `${(days / 30).toFixed(1).replace(/\.0$/, '')}mo`;
  return `${(days / 365).toFixed(1).replace(/\.0$/, '')}y`;
}
