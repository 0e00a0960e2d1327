// Pure aggregations from the rows the store reads: streaks, retention, forecast, per-deck figures, distributions.
import type {
  Bucket,
  DailyRow,
  DeckStats,
  DueBucket,
  QuizResult,
  Rate,
  RetentionPeriod,
  RetentionRow,
  StatsInput,
  StatsReport,
} from './types.js';

export const DAY_MS = 86_400_000;

/**
 * Interval (in days) from which a card counts as mature, as in Anki. For retention a review is mature when the
 * days elapsed since the card's previous answer (`reviews.elapsed_days`) are at least this; Anki uses the last
 * scheduled interval (`lastIvl`), which is the same for reviews done on time and smaller for overdue ones.
 * For card counts, a review card is mature when its current scheduled interval is at least this.
 */
export const MATURE_DAYS = 21;

/** Stability from which a card counts as mastered. */
export const MASTERY_STABILITY = 21;

/** Decay of FSRS-6's default parameters (ts-fsrs `FSRS6_DEFAULT_DECAY`). */
export const FSRS6_DEFAULT_DECAY = 0.1542;
/** Decay of FSRS-4.5/5 parameter sets, which have no w[20]. */
export const FSRS5_DEFAULT_DECAY = 0.5;

/** The forgetting-curve decay of a parameter set: w[20] for FSRS-6 (21 numbers), 0.5 for older sets, default otherwise. */
export function decayOf(parameters: readonly number[] | null): number {
  if (!parameters) return FSRS6_DEFAULT_DECAY;
  if (parameters.length >= 21 && parameters[20]! > 0) return parameters[20]!;
  return FSRS5_DEFAULT_DECAY;
}

/**
 * FSRS-6 forgetting curve R(t) = (1 + factor * t / S)^-decay, with factor chosen so that R(S) = 0.9. Like ts-fsrs,
 * the factor is rounded to 8 decimals so results match the scheduler's.
 */
export function forgettingCurve(decay: number, elapsedDays: number, stability: number): number {
  return curveAt(curveFactor(decay), decay, elapsedDays, stability);
}

/**
 * The curve itself, for a caller that holds `curveFactor(decay)`: the statistics' pass over every card calls this
 * one function rather than three (~1 ms of a cold `recall stats`, most of it before V8 optimizes the calls away).
 */
export function curveAt(factor: number, decay: number, elapsedDays: number, stability: number): number {
  if (stability <= 0) return 0;
  return Math.pow(1 + (factor * Math.max(0, elapsedDays)) / stability, -decay);
}

let lastDecay = Number.NaN;
let lastFactor = 0;
/**
 * The factor that makes R(S) = 0.9 for a decay, rounded to 8 decimals like ts-fsrs. Remembered for the last decay
 * asked, since it is called once per card.
 */
export function curveFactor(decay: number): number {
  if (decay !== lastDecay) {
    lastFactor = Math.round((Math.pow(0.9, -1 / decay) - 1) * 1e8) / 1e8;
    lastDecay = decay;
  }
  return lastFactor;
}

/**
 * Retrievability of a card now, null for a card never answered. Elapsed time is in fractional days since the last
 * answer, as Anki's statistics compute it; the scheduler counts whole study days, so the two agree at the same
 * time of day.
 */
export function retrievabilityNow(card: { stability: number; lastReview: number | null }, now: number, decay: number): number | null {
  if (card.lastReview === null) return null;
  return retrievabilityAt(card.stability, card.lastReview, now, decay);
}

/** retrievabilityNow of an answered card, from its two numbers (the statistics call it once per card, objectless). */
export function retrievabilityAt(stability: number, lastReview: number, now: number, decay: number): number {
  return forgettingCurve(decay, (now - lastReview) / DAY_MS, stability);
}

/** Local date (YYYY-MM-DD) of a study day number. */
export function dayDate(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** Monday = 0 ... Sunday = 6; study day 0 (1970-01-01) was a Thursday. */
export function weekday(day: number): number {
  return (((day + 3) % 7) + 7) % 7;
}

/**
 * Current and longest run of consecutive days with answers. The current streak includes today when there were
 * answers today; otherwise it is the run ending yesterday (today is not over yet).
 */
export function streaks(days: readonly number[], today: number): { current: number; longest: number; daysStudied: number } {
  // Six years of days: a typed array sorts them natively, where a comparator was a call per comparison (~0.3 ms of a
  // cold `recall stats`).
  const sorted = Float64Array.from(days).sort();
  let longest = 0;
  let run = 0;
  let prev = Number.NaN;
  let studied = 0;
  for (let i = 0; i < sorted.length; i++) {
    const d = sorted[i]!;
    if (d > today) break;
    if (d === prev) continue;
    studied++;
    run = d === prev + 1 ? run + 1 : 1;
    if (run > longest) longest = run;
    prev = d;
  }
  // The current streak ends today, or yesterday when today has no answers yet: counted back from the last day.
  let current = 0;
  if (prev === today || prev === today - 1) current = run;
  return { current, longest, daysStudied: studied };
}

function rate(total: number, passed: number): Rate {
  return { total, passed, rate: total > 0 ? passed / total : null };
}

/** Pass rates of young and mature review-state answers over the `periodDays` days ending today. */
export function retentionOver(rows: readonly RetentionRow[], today: number, periodDays: number): RetentionPeriod {
  let yt = 0, yp = 0, mt = 0, mp = 0;
  for (const r of rows) {
    if (r.day > today || r.day <= today - periodDays) continue;
    if (r.mature) {
      mt += r.total;
      mp += r.passed;
    } else {
      yt += r.total;
      yp += r.passed;
    }
  }
  return { young: rate(yt, yp), mature: rate(mt, mp), all: rate(yt + mt, yp + mp) };
}

/**
 * Review cards falling due on each of the next `dayStarts.length - 1` study days, from buckets of due times;
 * cards already overdue count today.
 */
export function forecast(buckets: readonly DueBucket[], dayStarts: readonly number[]): number[] {
  const n = Math.max(0, dayStarts.length - 1);
  const out = new Array<number>(n).fill(0);
  if (n === 0) return out;
  // Buckets come in time order from the store: the day is found by walking on from the last one, not by a search
  // per bucket (2k quarter hours: ~0.6 ms of a cold `recall stats`). Any order stays correct: an earlier bucket
  // starts the walk again from the first day.
  let day = 1;
  for (const b of buckets) {
    if (b.at < dayStarts[1]!) {
      out[0]! += b.count;
      continue;
    }
    if (b.at >= dayStarts[n]!) continue;
    if (b.at < dayStarts[day]!) day = 1;
    // dayStarts[n] > b.at, so the walk stops by day n - 1.
    while (dayStarts[day + 1]! <= b.at) day++;
    out[day]! += b.count;
  }
  return out;
}

function makeBuckets(edges: readonly number[], label: (from: number, to: number | null) => string): Bucket[] {
  return edges.map((from, i) => {
    const to = i + 1 < edges.length ? edges[i + 1]! : null;
    return { label: label(from, to), from, to, count: 0 };
  });
}

/** Bucket lower bounds; the store bins cards by these (see `MemoryGroup`). */
export const STABILITY_EDGES: readonly number[] = [0, 1, 3, 7, 14, 21, 30, 90, 180, 365];
/** Difficulty runs from 1 to 10; the last bucket holds 9 to 10 inclusive. */
export const DIFFICULTY_EDGES: readonly number[] = [1, 2, 3, 4, 5, 6, 7, 8, 9];
export const R_EDGES: readonly number[] = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];

/** Index of the bucket `v` falls in: the last edge <= v, values below the first edge going to the first bucket. */
export function bucketIndex(edges: readonly number[], v: number): number {
  for (let i = edges.length - 1; i > 0; i--) if (v >= edges[i]!) return i;
  return 0;
}

const days = (d: number) => (d >= 365 ? `${d / 365}y` : `${d}d`);
const pct = (r: number) => `${Math.round(r * 100)}%`;

export function emptyDistributions(): StatsReport['distributions'] {
  return {
    stability: makeBuckets(STABILITY_EDGES, (f, t) => (t === null ? `${days(f)}+` : `${days(f)}-${days(t)}`)),
    difficulty: makeBuckets(DIFFICULTY_EDGES, (f) => `${f}-${f + 1}`),
    retrievability: makeBuckets(R_EDGES, (f, t) => `${pct(f)}-${pct(t ?? 1)}`),
  };
}

/** First day of the heatmap: a Monday, 52 weeks before the Monday of this week. */
function heatmapStart(today: number): number {
  return today - weekday(today) - 52 * 7;
}

/**
 * The first day whose figures the report shows (the heatmap's and the `days` chart's); before it, only whether a
 * day had answers matters (streaks).
 */
export function detailFrom(today: number, days: number): number {
  return Math.min(today - days + 1, heatmapStart(today));
}

export function computeStats(input: StatsInput, now: number): StatsReport {
  const { today } = input;
  const byDay = new Map<number, DailyRow>();
  for (const r of input.daily) {
    const prev = byDay.get(r.day);
    if (prev) {
      byDay.set(r.day, { day: r.day, reviews: prev.reviews + r.reviews, again: prev.again + r.again, durationMs: prev.durationMs + r.durationMs, newCards: prev.newCards + r.newCards });
    } else byDay.set(r.day, r);
  }
  const studied = [...(input.studiedBefore ?? []), ...[...byDay.values()].filter((r) => r.reviews > 0).map((r) => r.day)];
  const todayRow = byDay.get(today);

  const deckStats = new Map<number, DeckStats & { rSum: number; rCount: number; mastered: number }>();
  const counts = new Map(input.deckCounts.map((c) => [c.deckId, c]));
  const leeches = new Map((input.leeches ?? []).map((l) => [l.deckId, l.count]));
  for (const d of input.decks) {
    const c = counts.get(d.id);
    deckStats.set(d.id, {
      id: d.id, name: d.name, new: c?.new ?? 0, learning: c?.learning ?? 0, young: c?.young ?? 0, mature: c?.mature ?? 0,
      suspended: c?.suspended ?? 0, total: c?.total ?? 0, averageRetrievability: null, mastery: null, leeches: leeches.get(d.id) ?? 0, rSum: 0, rCount: 0,
      mastered: c?.mastered ?? 0,
    });
  }
  const dist = emptyDistributions();
  for (const g of input.memory) {
    const ds = deckStats.get(g.deckId);
    if (ds && g.retrievability !== null) {
      ds.rSum += g.retrievabilitySum;
      ds.rCount += g.count;
    }
    dist.stability[g.stability]!.count += g.count;
    dist.difficulty[g.difficulty]!.count += g.count;
    if (g.retrievability !== null) dist.retrievability[g.retrievability]!.count += g.count;
  }
  for (const r of input.retrievability ?? []) {
    const ds = deckStats.get(r.deckId);
    if (ds) {
      ds.rSum += r.sum;
      ds.rCount += r.count;
    }
    r.buckets.forEach((n, i) => (dist.retrievability[i]!.count += n));
  }

  const reviewsPerDay: StatsReport['reviewsPerDay'] = [];
  for (let d = today - input.days + 1; d <= today; d++) {
    const r = byDay.get(d);
    reviewsPerDay.push({ day: d, date: dayDate(d), reviews: r?.reviews ?? 0, again: r?.again ?? 0, newCards: r?.newCards ?? 0, timeMs: r?.durationMs ?? 0 });
  }

  const startDay = heatmapStart(today);
  const heat: number[] = [];
  for (let d = startDay; d <= today; d++) heat.push(byDay.get(d)?.reviews ?? 0);

  const fc = forecast(input.dueBuckets, input.dayStarts);
  const deckNames = new Map(input.decks.map((d) => [d.id, d.name]));
  const quizzes: QuizResult[] = input.quizzes.map((q) => {
    // An attempt whose process ended before it was scored still has its answers in the log.
    const answered = q.decks.reduce((n, d) => n + d.answered, 0);
    const scored = q.finishedAt !== null;
    const questions = scored ? q.questions : answered;
    const correct = scored ? q.correct : q.decks.reduce((n, d) => n + d.correct, 0);
    return {
    id: q.id,
    startedAt: q.startedAt,
    finishedAt: q.finishedAt,
    questions,
    correct,
    planned: q.planned ?? null,
    unfinished: !scored || (q.planned !== null && q.planned !== undefined && questions < q.planned),
    score: questions > 0 ? correct / questions : null,
    decks: q.decks.map((d) => ({ deck: deckNames.get(d.deckId) ?? `#${d.deckId}`, answered: d.answered, correct: d.correct, score: d.answered > 0 ? d.correct / d.answered : null })),
    };
  });

  return {
    today: {
      day: today,
      date: dayDate(today),
      reviewed: todayRow?.reviews ?? 0,
      newCards: todayRow?.newCards ?? 0,
      timeMs: todayRow?.durationMs ?? 0,
      again: todayRow?.again ?? 0,
      againRate: todayRow && todayRow.reviews > 0 ? todayRow.again / todayRow.reviews : null,
      dueReviews: input.dueToday.reviews,
      dueLearning: input.dueToday.learning,
      stillDue: input.dueToday.reviews + input.dueToday.learning,
    },
    streak: streaks(studied, today),
    reviewsPerDay,
    heatmap: { startDay, endDay: today, reviews: heat, max: Math.max(0, ...heat) },
    retention: {
      day: retentionOver(input.retention, today, 1),
      week: retentionOver(input.retention, today, 7),
      month: retentionOver(input.retention, today, 30),
      year: retentionOver(input.retention, today, 365),
    },
    forecast: fc.map((due, i) => ({ day: today + i, date: dayDate(today + i), due })),
    decks: [...deckStats.values()].map(({ rSum, rCount, mastered, ...d }) => ({
      ...d,
      averageRetrievability: rCount > 0 ? rSum / rCount : null,
      mastery: d.total > 0 ? mastered / d.total : null,
    })),
    leeches: [...deckStats.values()].reduce((n, d) => n + d.leeches, 0),
    distributions: dist,
    quizzes,
  };
}
