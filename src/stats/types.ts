// Rows the store reads for the statistics, and the report computed from them. Plain data, no I/O.
/** One study day of the `daily` rollup, summed over the selected decks. */
export interface DailyRow {
  day: number;
  reviews: number;
  again: number;
  durationMs: number;
  newCards: number;
}

/** Review-state answers of one study day, split young/mature (see `MATURE_DAYS`). */
export interface RetentionRow {
  day: number;
  mature: boolean;
  total: number;
  passed: number;
}

/** Card counts of one deck (removed cards left out), counted by the store. */
export interface DeckCountRow {
  deckId: number;
  /** Unsuspended, never scheduled or New. */
  new: number;
  /** Unsuspended, Learning or Relearning. */
  learning: number;
  /** Unsuspended Review cards with a scheduled interval below `MATURE_DAYS`, and at or above it. */
  young: number;
  mature: number;
  suspended: number;
  total: number;
  /** Cards past New with stability >= `MASTERY_STABILITY` (suspended ones included). */
  mastered: number;
}

/**
 * Cards past New (suspended ones included) of one deck that share a stability, difficulty and retrievability
 * bucket (indexes into `STABILITY_EDGES`, `DIFFICULTY_EDGES`, `R_EDGES`), with the sum of their retrievability
 * now. The store groups them so that 100k cards never travel to JS one by one.
 */
export interface MemoryGroup {
  deckId: number;
  stability: number;
  difficulty: number;
  /** null for cards without a last answer, whose retrievability is unknown. */
  retrievability: number | null;
  count: number;
  retrievabilitySum: number;
}

/**
 * Retrievability now of one deck's answered cards (suspended ones included): how many have one (a last answer),
 * its sum, and how many fall in each bucket of `R_EDGES`.
 */
export interface RetrievabilityRow {
  deckId: number;
  count: number;
  sum: number;
  buckets: number[];
}

/** Unsuspended Review cards due in the quarter hour starting at `at`; overdue cards are folded into the first. */
export interface DueBucket {
  at: number;
  count: number;
}

export interface DeckInfo {
  id: number;
  name: string;
}

export interface QuizDeckRow {
  deckId: number;
  answered: number;
  correct: number;
}

export interface QuizAttemptRow {
  id: number;
  startedAt: number;
  finishedAt: number | null;
  questions: number;
  correct: number;
  /** Questions the quiz set out to ask (null for attempts stored before this was kept). */
  planned: number | null;
  /** Answers of the attempt per deck, from reviews with kind = 'quiz'. */
  decks: QuizDeckRow[];
}

export interface StatsInput {
  /** The current study day. */
  today: number;
  /** Days of history in the reviews-per-day chart. */
  days: number;
  /** Every day with answers (any order); days before the chart still count for streaks and the heatmap. */
  daily: DailyRow[];
  /** Days with answers before the first day of `daily`, when it starts at `detailFrom` (only streaks need them). */
  studiedBefore?: number[];
  /** Days within the last year; older rows are ignored. */
  retention: RetentionRow[];
  deckCounts: DeckCountRow[];
  memory: MemoryGroup[];
  /** Retrievability per deck, for stores that read it apart from `memory` (whose groups then have none). */
  retrievability?: RetrievabilityRow[];
  /** Unsuspended, unburied cards due before today ends. */
  dueToday: { reviews: number; learning: number };
  /** Review cards due before the forecast horizon `dayStarts[last]`, by quarter hour (time zones shift by 15 min steps). */
  dueBuckets: DueBucket[];
  decks: DeckInfo[];
  quizzes: QuizAttemptRow[];
  /** Cards tagged leech per deck (removed cards left out); absent = none counted. */
  leeches?: { deckId: number; count: number }[];
  /**
   * `dayStarts[i]` is the instant study day `today + i` starts, for i = 0..forecastDays (DST-aware, so computed by
   * the caller). `dayStarts[1]` is the end of today.
   */
  dayStarts: number[];
}

export interface Rate {
  total: number;
  passed: number;
  /** passed / total, null when there were no answers. */
  rate: number | null;
}

export interface RetentionPeriod {
  young: Rate;
  mature: Rate;
  all: Rate;
}

export interface Bucket {
  label: string;
  /** Lower bound (inclusive) and upper bound (exclusive; null = open). */
  from: number;
  to: number | null;
  count: number;
}

export interface DeckStats {
  id: number;
  name: string;
  new: number;
  learning: number;
  young: number;
  mature: number;
  suspended: number;
  total: number;
  /** Mean retrievability now of the deck's reviewed cards; null when none has been reviewed. */
  averageRetrievability: number | null;
  /** Share of the deck's cards whose stability is at least 21 days; null for an empty deck. */
  mastery: number | null;
  /** Cards tagged leech: lapsed `leechThreshold` times (recall search is:leech lists them). */
  leeches: number;
}

export interface QuizDeckResult {
  deck: string;
  answered: number;
  correct: number;
  score: number | null;
}

export interface QuizResult {
  id: number;
  startedAt: number;
  finishedAt: number | null;
  /** Questions answered. */
  questions: number;
  correct: number;
  /** Questions the quiz set out to ask, when known. */
  planned: number | null;
  /** Left before the last question (Ctrl-C, q, or the process ended). */
  unfinished: boolean;
  score: number | null;
  decks: QuizDeckResult[];
}

export interface DayCount {
  day: number;
  /** Local date of the study day, YYYY-MM-DD. */
  date: string;
}

export interface StatsReport {
  today: {
    day: number;
    date: string;
    reviewed: number;
    newCards: number;
    timeMs: number;
    again: number;
    againRate: number | null;
    dueReviews: number;
    dueLearning: number;
    stillDue: number;
  };
  streak: { current: number; longest: number; daysStudied: number };
  reviewsPerDay: (DayCount & { reviews: number; again: number; newCards: number; timeMs: number })[];
  heatmap: {
    /** First day shown: a Monday, 52 weeks before the Monday of this week. */
    startDay: number;
    endDay: number;
    /** Reviews per day from `startDay` to `endDay` inclusive. */
    reviews: number[];
    max: number;
  };
  retention: { day: RetentionPeriod; week: RetentionPeriod; month: RetentionPeriod; year: RetentionPeriod };
  forecast: (DayCount & { due: number })[];
  decks: DeckStats[];
  /** Leeches over the decks shown. */
  leeches: number;
  distributions: { stability: Bucket[]; difficulty: Bucket[]; retrievability: Bucket[] };
  quizzes: QuizResult[];
}
