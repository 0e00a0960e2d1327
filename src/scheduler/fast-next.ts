// One answer as ts-fsrs's `FSRS#next` computes it (v5.x, short-term scheduler, the strategies index.ts registers),
// for replaying long logs. `next` builds a scheduler object per call, computes every grade of a review card and
// seeds a fresh alea generator (a string hash) for each fuzzed interval: about 13 µs an answer, the largest part of
// importing a million answers. Here only the answered grade is computed (plus the neighbours its interval is
// bounded by), the fuzz draw is made once, and times stay numbers. The memory-state formulas are ts-fsrs's own
// (`engine.next_state`, `forgetting_curve`, `get_fuzz_range`), so values are the same to the last bit; what is
// written again here is the control flow of its BasicScheduler, and tests/replay-fast.test.ts checks the two agree
// on random logs under every kind of settings. Anything unusual (a time outside the range where ts-fsrs's day
// arithmetic is plain, a state or grade it does not know) returns null and the caller asks ts-fsrs itself.
import { get_fuzz_range, type FSRS, type Grade as FsrsGrade, type State, type TLearningStepsStrategy } from 'ts-fsrs';

const DAY = 24 * 60 * 60 * 1000;
/** ts-fsrs counts days with Date.UTC(year, month, date), which reads years 0-99 as 1900-1999: stay after year 100. */
const MIN_TIME = Date.UTC(100, 0, 1) + 2 * DAY;
const MAX_TIME = 8.64e15;

/** A ts-fsrs card with times as epoch ms (`lastReview` null for none). */
export interface FsrsCardMs {
  due: number;
  stability: number;
  difficulty: number;
  elapsedDays: number;
  scheduledDays: number;
  learningSteps: number;
  reps: number;
  lapses: number;
  state: number;
  lastReview: number | null;
}

/** The seed recall gives ts-fsrs's fuzz (see index.ts): the day of the review time, the repetition, the memory. */
export function fuzzSeed(reviewTime: number, reps: number, difficulty: number, stability: number): string {
  return `${Math.floor(reviewTime / DAY)}_${reps}_${difficulty * stability}`;
}

// The first number of ts-fsrs's alea generator for a seed: Baagøe's Alea, whose three state words start as the
// hash ("mash") of a space, three times, minus the hash of the seed. Only the first word matters for the first
// draw, so the seed is hashed once. The arithmetic is the published algorithm's, step by step.
const MASH_START = 0xefc8249d;
function mashStep(n: number, code: number): number {
  let x = n + code;
  let h = 0.02519603282416938 * x;
  x = h >>> 0;
  h -= x;
  h *= x;
  x = h >>> 0;
  h -= x;
  return x + h * 0x100000000;
}
const TWO_POW_MINUS_32 = 2.3283064365386963e-10;
/** The mash state after hashing ' ' three times, and the first state word it gave. */
const [MASH_AFTER_SPACES, FIRST_WORD] = (() => {
  let n = MASH_START;
  n = mashStep(n, 32);
  const s0 = (n >>> 0) * TWO_POW_MINUS_32;
  n = mashStep(n, 32);
  n = mashStep(n, 32);
  return [n, s0] as const;
})();

export function aleaFirst(seed: string): number {
  let n = MASH_AFTER_SPACES;
  for (let i = 0; i < seed.length; i++) n = mashStep(n, seed.charCodeAt(i));
  let s0 = FIRST_WORD - (n >>> 0) * TWO_POW_MINUS_32;
  if (s0 < 0) s0 += 1;
  const t = 2091639 * s0 + 1 * TWO_POW_MINUS_32;
  return t - (t | 0);
}

type StepTable = ReturnType<TLearningStepsStrategy>;

/**
 * `next(card, reviewTime, grade)` as ts-fsrs's `engine.next` would answer it, with `engine` configured as index.ts
 * configures it and `strategy` the learning-steps strategy in effect; null when the caller should ask ts-fsrs.
 */
export function createFastNext(
  engine: FSRS,
  strategy: TLearningStepsStrategy,
): (card: FsrsCardMs, reviewTime: number, grade: number) => { card: FsrsCardMs; elapsedDays: number } | null {
  const params = engine.parameters;
  const enableFuzz = params.enable_fuzz;
  const maximumInterval = params.maximum_interval;
  const intervalModifier = engine.interval_modifier;
  // The strategy is a pure function of (state, current step); its answers are kept per pair.
  const tables = new Map<number, StepTable>();
  const stepsOf = (state: number, step: number): StepTable => {
    if (!Number.isInteger(step) || step < 0 || step > 1000) return strategy(params, state as State, step);
    const key = state * 1024 + step;
    let t = tables.get(key);
    if (!t) tables.set(key, (t = strategy(params, state as State, step)));
    return t;
  };

  return (card, reviewTime, grade) => {
    const prev = card.state;
    if (prev !== 0 && prev !== 1 && prev !== 2 && prev !== 3) return null;
    if (grade !== 1 && grade !== 2 && grade !== 3 && grade !== 4) return null;
    if (!(reviewTime >= MIN_TIME && reviewTime <= MAX_TIME)) return null;
    const last = card.lastReview;
    if (last !== null && !(last >= MIN_TIME && last <= MAX_TIME)) return null;

    const elapsed = prev !== 0 && last !== null ? Math.floor(reviewTime / DAY) - Math.floor(last / DAY) : 0;
    const reps = card.reps + 1;
    const seed = fuzzSeed(reviewTime, reps, card.difficulty, card.stability);
    let draw: number | undefined;
    const interval = (stability: number): number => {
      const ivl = Math.min(Math.max(1, Math.round(stability * intervalModifier)), maximumInterval);
      if (!enableFuzz || ivl < 2.5) return Math.round(ivl);
      draw ??= aleaFirst(seed);
      const { min_ivl, max_ivl } = get_fuzz_range(ivl, elapsed, maximumInterval);
      return Math.floor(draw * (max_ivl - min_ivl + 1) + min_ivl);
    };
    const memory = { difficulty: card.difficulty, stability: card.stability };
    const out: FsrsCardMs = {
      due: card.due, stability: 0, difficulty: 0, elapsedDays: elapsed, scheduledDays: card.scheduledDays,
      learningSteps: card.learningSteps, reps, lapses: card.lapses, state: prev, lastReview: reviewTime,
    };
    /** BasicScheduler#applyLearningSteps. */
    const learningSteps = (toState: number) => {
      const info = stepsOf(prev, card.learningSteps || 0)[grade as FsrsGrade];
      const minutes = Math.max(0, info?.scheduled_minutes ?? 0);
      const nextStep = Math.max(0, info?.next_step ?? 0);
      if (minutes > 0 && minutes < 1440) {
        out.learningSteps = nextStep;
        out.scheduledDays = 0;
        out.state = toState;
        out.due = reviewTime + Math.round(minutes) * 60 * 1000;
      } else {
        out.state = 2;
        if (minutes >= 1440) {
          out.learningSteps = nextStep;
          out.due = reviewTime + Math.round(minutes) * 60 * 1000;
          out.scheduledDays = Math.floor(minutes / 1440);
        } else {
          out.learningSteps = 0;
          const days = interval(out.stability);
          out.scheduledDays = days;
          out.due = reviewTime + days * 24 * 60 * 60 * 1000;
        }
      }
    };

    if (prev !== 2) {
      // New, learning, relearning: the memory state moves, the steps decide when the card comes back.
      const next = engine.next_state(memory, elapsed, grade);
      out.difficulty = next.difficulty;
      out.stability = next.stability;
      learningSteps(prev === 0 ? 1 : prev);
    } else {
      const r = engine.forgetting_curve(elapsed, card.stability);
      if (grade === 1) {
        const again = engine.next_state(memory, elapsed, 1, r);
        out.difficulty = again.difficulty;
        out.stability = again.stability;
        learningSteps(3);
        out.lapses += 1;
      } else {
        // Hard is kept below Good and Easy above it, so the answered grade's interval needs its neighbours'.
        const hard = engine.next_state(memory, elapsed, 2, r);
        const good = engine.next_state(memory, elapsed, 3, r);
        let hardDays = interval(hard.stability);
        let goodDays = interval(good.stability);
        hardDays = Math.min(hardDays, goodDays);
        goodDays = Math.max(goodDays, hardDays + 1);
        let chosen = grade === 2 ? hard : good;
        let days = grade === 2 ? hardDays : goodDays;
        if (grade === 4) {
          chosen = engine.next_state(memory, elapsed, 4, r);
          days = Math.max(interval(chosen.stability), goodDays + 1);
        }
        out.difficulty = chosen.difficulty;
        out.stability = chosen.stability;
        out.scheduledDays = days;
        out.due = reviewTime + days * 24 * 60 * 60 * 1000;
        out.state = 2;
        out.learningSteps = 0;
      }
    }
    // ts-fsrs's Date would be invalid beyond JavaScript's range: let it say so itself.
    if (!(Math.abs(out.due) <= MAX_TIME)) return null;
    return { card: out, elapsedDays: elapsed };
  };
}
