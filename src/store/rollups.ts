// The statistics' rollups (migrations 3 and 10): `daily` (per study day and deck: answers, again, time, new cards,
// true-retention counts) and `card_counts` (cards per deck by what the statistics show of them). Both are sums of
// what the log and the cards say; this module holds the one definition of each, from which they are rebuilt and
// against which `recall doctor` checks them. Triggers keep card_counts; daily is kept where answers are written,
// undone, imported and synced, and by a trigger when a card changes deck.
import type { Db } from './db.js';

/**
 * Answers counted in `daily.reviews` and the rest: rated, not undone, and either rescheduling or imported (Anki's
 * cram answers were still answers given that day, as Anki's graphs count them).
 */
const COUNTED = `(r.scheduled = 1 OR r.kind = 'import')`;
/**
 * Answers counted for true retention: given in the review state, as the source recorded it for imported history
 * (Anki's revlog type), else as replay gave it, and only answers that rescheduled. Young/mature by the days since
 * the card's previous answer (MATURE_DAYS = 21); passed = not Again.
 */
const IN_REVIEW = `coalesce(r.source_state, CASE WHEN r.scheduled = 1 THEN r.state_before END) = 2`;

/**
 * `daily` rows as the log says they are, for the answers `where` selects (always rated and not undone). With no
 * `where`, every answer: read in the table's own order, not through the per-day index, whose order costs a random
 * row lookup per answer (a million answers: ~2 s scanned against ~4 s through the index).
 */
export function dailyFromLog(where?: string): string {
  return `SELECT r.day AS day, c.deck_id AS deck_id, sum(${COUNTED}) AS reviews, sum(${COUNTED} AND r.rating = 1) AS again,
      sum(CASE WHEN ${COUNTED} THEN r.duration_ms ELSE 0 END) AS duration_ms, sum(${COUNTED} AND r.state_before = 0) AS new_cards,
      sum(${IN_REVIEW} AND r.elapsed_days < 21) AS young_total, sum(${IN_REVIEW} AND r.elapsed_days < 21 AND r.rating > 1) AS young_passed,
      sum(${IN_REVIEW} AND r.elapsed_days >= 21) AS mature_total, sum(${IN_REVIEW} AND r.elapsed_days >= 21 AND r.rating > 1) AS mature_passed
    FROM reviews r ${where === undefined ? 'NOT INDEXED ' : ''}JOIN cards c ON c.id = r.card_id
    WHERE r.undone_at IS NULL AND r.rating > 0 AND (${COUNTED} OR ${IN_REVIEW}) AND (${where ?? '1'})
    GROUP BY r.day, c.deck_id`;
}

export const DAILY_COLUMNS = 'day, deck_id, reviews, again, duration_ms, new_cards, young_total, young_passed, mature_total, mature_passed';
const DAILY_FIGURES = 'reviews, again, duration_ms, new_cards, young_total, young_passed, mature_total, mature_passed';

/**
 * Where an answer counts in its day's true-retention counts: 0 young, 2 mature (the passed count is the next one),
 * -1 nowhere. `reviewState` is the state it was given in: the source's (`source_state`), else, for an answer that
 * rescheduled, replay's (`state_before`), else null.
 */
export function retentionSlot(rating: number, reviewState: number | null, elapsedDays: number): -1 | 0 | 2 {
  if (rating <= 0 || reviewState !== 2) return -1;
  return elapsedDays >= 21 ? 2 : 0;
}

/** What one answer adds to its day's true-retention counts: [young total, young passed, mature total, mature passed]. */
export function retentionDelta(r: { rating: number; scheduled: boolean; stateBefore: number; sourceState?: number | null; elapsedDays: number }): number[] {
  const delta = [0, 0, 0, 0];
  const slot = retentionSlot(r.rating, r.sourceState ?? (r.scheduled ? r.stateBefore : null), r.elapsedDays);
  if (slot >= 0) {
    delta[slot] = 1;
    if (r.rating > 1) delta[slot + 1] = 1;
  }
  return delta;
}

/** `card_counts` as the cards say it is. */
const CARD_COUNTS_FROM_CARDS = 'SELECT deck_id, stats_key, count(*) AS cards FROM cards WHERE stats_key IS NOT NULL GROUP BY deck_id, stats_key';

/** Rows of the rollups that differ from what the log and the cards say (zero rows count as absent). */
export function staleRollups(db: Db): { daily: number; cardCounts: number } {
  const nonZero = DAILY_FIGURES.split(', ').map((c) => `${c} != 0`).join(' OR ');
  const daily = db
    .prepare(
      `SELECT count(*) FROM (
         SELECT ${DAILY_COLUMNS} FROM daily WHERE ${nonZero} EXCEPT SELECT * FROM (${dailyFromLog()})
         UNION ALL
         SELECT * FROM (SELECT * FROM (${dailyFromLog()}) WHERE ${nonZero}) EXCEPT SELECT ${DAILY_COLUMNS} FROM daily)`,
    )
    .pluck()
    .get() as number;
  const cardCounts = db
    .prepare(
      `SELECT count(*) FROM (
         SELECT deck_id, stats_key, cards FROM card_counts WHERE cards != 0 EXCEPT ${CARD_COUNTS_FROM_CARDS}
         UNION ALL
         SELECT * FROM (${CARD_COUNTS_FROM_CARDS} EXCEPT SELECT deck_id, stats_key, cards FROM card_counts))`,
    )
    .pluck()
    .get() as number;
  return { daily, cardCounts };
}

/** The two statements that recompute `daily` for every day, from the log. */
export const REBUILD_DAILY_ALL = ['DELETE FROM daily', `INSERT INTO daily(${DAILY_COLUMNS}) ${dailyFromLog()}`] as const;

/** Recomputes `daily` for every day, from the log. */
export function rebuildDailyRows(db: Db): void {
  for (const text of REBUILD_DAILY_ALL) db.exec(text);
}

/** The two statements that recompute `daily` for the days of a JSON array bound to each (sync). */
export const REBUILD_DAILY_DAYS = [
  'DELETE FROM daily WHERE day IN (SELECT value FROM json_each(?))',
  `INSERT INTO daily(${DAILY_COLUMNS}) ${dailyFromLog('r.day IN (SELECT value FROM json_each(?))')}`,
] as const;

export function rebuildCardCounts(db: Db): void {
  db.exec('DELETE FROM card_counts');
  db.exec(`INSERT INTO card_counts(deck_id, stats_key, cards) ${CARD_COUNTS_FROM_CARDS}`);
}
