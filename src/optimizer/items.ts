// Turns the review log into FSRS training items, the way the official optimizer does it.
//
// The construction mirrors `convertCsvToFsrsItems` of @open-spaced-repetition/binding 0.5.0 (its convert.rs) so that
// recall's optimizer sees exactly the items the reference tool sees on the same history; tests compare the two item by
// item on a real Anki log. Where our log knows more than the CSV (manual resets), we follow Anki's rslib
// (`reviews_for_fsrs`), which the binding's rule approximates.
import type { CardState, Grade, Rating, ReviewKind } from '../core/types.js';
import { RecallError } from '../core/errors.js';
import { assertTimeZone, studyDay } from '../scheduler/day.js';

/** One review-log entry as the optimizer needs it. */
export interface OptimizerRow {
  cardId: number;
  /** Epoch ms (UTC). */
  reviewedAt: number;
  rating: Rating;
  scheduled: boolean;
  kind: ReviewKind;
  /**
   * State before the answer. Decides where a card's usable history starts (a New/Learning answer). Unknown
   * (`undefined`) is treated as "not learning", except that a history whose rows carry no state at all starts at its
   * first rated row: recall logs every answer from the card's first one, so that row was a New card.
   */
  stateBefore?: CardState;
  /** State after the answer; a manual row that leaves the card New is a reset ("forget"). */
  stateAfter?: CardState;
}

export interface TrainingReview {
  rating: Grade;
  /** Study days since the previous review of the item; 0 for the first. */
  deltaT: number;
}

/** All reviews of one card up to and including the one being predicted. */
export interface TrainingItem {
  reviews: TrainingReview[];
}

export interface TrainingSet {
  items: TrainingItem[];
  /** Rated reviews in the histories that produced at least one item (what the optimizer learns from). */
  reviews: number;
  /** Cards that produced at least one item. */
  cards: number;
}

export interface DayOptions {
  timeZone: string;
  /** Hour (0-23) at which a study day starts in `timeZone`. */
  dayStartHour: number;
}

/**
 * Whether the binding can take the item. Its optimizer predicts the LAST review of an item, and only long-term ones
 * (at least one study day after the previous review): evaluate() rejects an item whose last review has deltaT 0
 * ("InvalidInput", measured with 0.5.0), and aborts the whole process (a Rust panic, not an exception) on an item
 * with no deltaT > 0 at all. convertCsvToFsrsItems applies this same rule, as does Anki's `reviews_for_fsrs`.
 */
export function predictsLongTermReview(item: TrainingItem): boolean {
  const last = item.reviews[item.reviews.length - 1];
  return item.reviews.length >= 2 && last !== undefined && last.deltaT > 0;
}

function isRated(row: OptimizerRow): row is OptimizerRow & { rating: Grade } {
  return row.scheduled && row.rating >= 1 && row.rating <= 4;
}

function isReset(row: OptimizerRow): boolean {
  // Only an explicit "left the card New" counts: a manual reschedule (set due date) keeps the memory history.
  return row.rating === 0 && row.stateAfter === 0;
}

function isLearning(row: OptimizerRow): boolean {
  return row.stateBefore === 0 || row.stateBefore === 1;
}

/**
 * The part of one card's chronological history that FSRS can learn from, or [] when none.
 *
 * - Everything up to the last reset is dropped (Anki: a reset starts a new memory).
 * - Unrated rows (rating 0, or `scheduled: false` such as unscheduled quiz answers and cram) are skipped; they do
 *   not interrupt a learning block either.
 * - The history starts at the first row of the LAST contiguous block of New/Learning answers (binding and Anki
 *   alike): a card first seen mid-review (imported without its learning steps) has no known initial state and is
 *   dropped rather than guessed.
 */
export function usableHistory(sortedRows: readonly OptimizerRow[]): OptimizerRow[] {
  let from = 0;
  for (let i = sortedRows.length - 1; i >= 0; i--) {
    if (isReset(sortedRows[i]!)) {
      from = i + 1;
      break;
    }
  }
  const rated = sortedRows.slice(from).filter(isRated);
  if (rated.length === 0) return [];
  if (rated.every((r) => r.stateBefore === undefined)) return rated;
  let start = -1;
  for (let i = rated.length - 1; i >= 0; i--) {
    if (isLearning(rated[i]!)) start = i;
    else if (start >= 0) break;
  }
  return start < 0 ? [] : rated.slice(start);
}

/**
 * Training items of one card: for every k ≥ 2 whose k-th review came on a later study day than the (k-1)-th, the
 * first k reviews. Same-day reviews get deltaT 0: they stay in the history of later items (short-term memory) but
 * are never predicted themselves. Each item comes with the time of its last review.
 */
export function itemsForHistory(history: readonly OptimizerRow[], opts: DayOptions): { at: number; item: TrainingItem }[] {
  const reviews: TrainingReview[] = [];
  const items: { at: number; item: TrainingItem }[] = [];
  let prevDay = 0;
  history.forEach((row, i) => {
    const day = studyDay(row.reviewedAt, opts.timeZone, opts.dayStartHour);
    // Clamped like the binding: a day can only go backwards through clock oddities, never in real use.
    const deltaT = i === 0 ? 0 : Math.max(0, day - prevDay);
    prevDay = day;
    reviews.push({ rating: row.rating as Grade, deltaT });
    if (i >= 1 && deltaT > 0) items.push({ at: row.reviewedAt, item: { reviews: reviews.slice() } });
  });
  return items;
}

/**
 * All training items of a review log. Rows may come in any order; they are grouped per card and sorted by time
 * (ties keep input order). Items come in the order of the review they predict, as Anki passes them: the
 * time-series-split evaluation treats the list as chronological, trains on the start and tests on the rest.
 */
export function buildTrainingItems(rows: readonly OptimizerRow[], opts: DayOptions): TrainingSet {
  assertTimeZone(opts.timeZone);
  if (!Number.isInteger(opts.dayStartHour) || opts.dayStartHour < 0 || opts.dayStartHour > 23) {
    throw new RecallError('bad-day-start', `The day start hour must be a whole number from 0 to 23, not ${opts.dayStartHour}`, {
      exitCode: 2,
    });
  }
  const byCard = new Map<number, OptimizerRow[]>();
  for (const row of rows) {
    const list = byCard.get(row.cardId);
    if (list) list.push(row);
    else byCard.set(row.cardId, [row]);
  }
  const timed: { at: number; item: TrainingItem }[] = [];
  let reviews = 0;
  let cards = 0;
  for (const list of byCard.values()) {
    // Array.prototype.sort is stable, so same-millisecond rows keep their log order.
    list.sort((a, b) => a.reviewedAt - b.reviewedAt);
    const history = usableHistory(list);
    const cardItems = itemsForHistory(history, opts);
    if (cardItems.length === 0) continue;
    timed.push(...cardItems);
    reviews += history.length;
    cards++;
  }
  timed.sort((a, b) => a.at - b.at);
  return { items: timed.map((t) => t.item), reviews, cards };
}
