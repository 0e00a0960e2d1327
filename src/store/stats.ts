// Reads for `recall stats` and `recall export`. Per-day figures come from the `daily` rollup, never a scan of the
// log; retention reads only the last year of it through the `reviews_retention` index (migration 2).
import type { Db } from './db.js';
import type { DailyRow, DeckCountRow, DeckInfo, DueBucket, MemoryGroup, QuizAttemptRow, RetentionRow } from '../stats/types.js';
import { curveFactor, DIFFICULTY_EDGES, MASTERY_STABILITY, MATURE_DAYS, R_EDGES, STABILITY_EDGES } from '../stats/compute.js';

export interface StatsRows {
  daily: DailyRow[];
  retention: RetentionRow[];
  deckCounts: DeckCountRow[];
  memory: MemoryGroup[];
  dueToday: { reviews: number; learning: number };
  dueBuckets: DueBucket[];
  decks: DeckInfo[];
  quizzes: QuizAttemptRow[];
}

/** `CASE` giving the index of the bucket `expr` falls in, as `bucketIndex` does. */
function bucketCase(expr: string, edges: readonly number[]): string {
  const whens = edges.map((e, i) => ({ e, i })).slice(1).reverse().map(({ e, i }) => `WHEN ${expr} >= ${e} THEN ${i}`);
  return `CASE ${whens.join(' ')} ELSE 0 END`;
}

/** `deckIds` null = every deck. */
function deckFilter(deckIds: readonly number[] | null, column: string): string {
  if (deckIds === null) return '';
  // Ids are integers from the database, so inlining them is safe and keeps one statement for any count.
  return `AND ${column} IN (${deckIds.map((id) => Math.trunc(id)).join(',') || 'NULL'})`;
}

/**
 * `now` decides which buried cards are back and what retrievability is now; `dayEnd` is when today ends,
 * `horizon` the end of the forecast; `decay` the forgetting-curve decay, `deckDecay` that of decks with parameters
 * of their own. Cards are counted and binned in SQL: marshalling 100k cards to JS cost ~400 ms, the grouped rows
 * almost nothing.
 */
export function readStatsRows(
  db: Db,
  opts: { deckIds: readonly number[] | null; today: number; now: number; dayEnd: number; horizon: number; decay: number; deckDecay?: Record<number, number> },
): StatsRows {
  const daily = db
    .prepare(
      `SELECT day, sum(reviews) AS reviews, sum(again) AS again, sum(duration_ms) AS durationMs, sum(new_cards) AS newCards
       FROM daily WHERE 1 ${deckFilter(opts.deckIds, 'deck_id')} GROUP BY day HAVING sum(reviews) > 0 ORDER BY day`,
    )
    .all() as DailyRow[];

  // Review-state answers that moved the schedule; `rating > 0` skips manual entries. The conditions match the
  // partial index `reviews_retention` (migration 2), grouped by day alone so SQLite streams it in index order.
  // A deck filter as a subquery (one lookup table) rather than a join (one cards lookup per answer): 4x faster.
  const inDecks = opts.deckIds === null ? '' : `AND r.card_id IN (SELECT id FROM cards WHERE 1 ${deckFilter(opts.deckIds, 'deck_id')})`;
  const retentionDays = db
    .prepare(
      `SELECT r.day AS day, count(*) AS total, sum(r.rating > 1) AS passed,
         sum(r.elapsed_days >= ${MATURE_DAYS}) AS matureTotal, sum(r.elapsed_days >= ${MATURE_DAYS} AND r.rating > 1) AS maturePassed
       FROM reviews r
       WHERE r.state_before = 2 AND r.day > ? AND r.day <= ? AND r.scheduled = 1 AND r.rating > 0 AND r.undone_at IS NULL ${inDecks}
       GROUP BY r.day`,
    )
    .all(opts.today - 365, opts.today) as { day: number; total: number; passed: number; matureTotal: number; maturePassed: number }[];
  const retention: RetentionRow[] = [];
  for (const r of retentionDays) {
    if (r.total > r.matureTotal) retention.push({ day: r.day, mature: false, total: r.total - r.matureTotal, passed: r.passed - r.maturePassed });
    if (r.matureTotal > 0) retention.push({ day: r.day, mature: true, total: r.matureTotal, passed: r.maturePassed });
  }

  // Every card query walks cards in rowid order and finds its schedule by the same key, so both tables are read
  // in order: 100k cards in ~30 ms. Through an index (schedules_due, cards_note) the lookups jump around the
  // file and cost 4-10 times as much.
  const cardFilter = `c.removed = 0 ${deckFilter(opts.deckIds, 'c.deck_id')}`;
  const deckCounts = db
    .prepare(
      `SELECT c.deck_id AS deckId,
         sum(c.suspended = 0 AND (s.state IS NULL OR s.state = 0)) AS new,
         sum(c.suspended = 0 AND s.state IN (1, 3)) AS learning,
         sum(c.suspended = 0 AND s.state = 2 AND s.scheduled_days < ${MATURE_DAYS}) AS young,
         sum(c.suspended = 0 AND s.state = 2 AND s.scheduled_days >= ${MATURE_DAYS}) AS mature,
         sum(c.suspended = 1) AS suspended,
         count(*) AS total,
         sum(s.state > 0 AND s.stability >= ${MASTERY_STABILITY}) AS mastered
       FROM cards c NOT INDEXED LEFT JOIN schedules s ON s.card_id = c.id WHERE ${cardFilter} GROUP BY c.deck_id`,
    )
    .all() as DeckCountRow[];
  for (const d of deckCounts) d.mastered ??= 0;

  // The forgetting curve of src/stats/compute.ts (`forgettingCurve`) in SQL, with the factor computed in JS so
  // both round it alike; tests hold the two to the same figures.
  const curves = Object.entries(opts.deckDecay ?? {}).map(([id, decay]) => `(${Math.trunc(Number(id))}, ${-decay}, ${curveFactor(decay)})`);
  const curveCte = `WITH curve(deck_id, decay, factor) AS (VALUES (NULL, ${-opts.decay}, ${curveFactor(opts.decay)})${curves.map((c) => `, ${c}`).join('')})`;
  const memory = db
    .prepare(
      `${curveCte}
       SELECT deckId, ${bucketCase('stability', STABILITY_EDGES)} AS stability, ${bucketCase('difficulty', DIFFICULTY_EDGES)} AS difficulty,
         CASE WHEN r IS NULL THEN NULL ELSE ${bucketCase('r', R_EDGES)} END AS retrievability, count(*) AS count, coalesce(sum(r), 0) AS retrievabilitySum
       FROM (
         SELECT c.deck_id AS deckId, s.stability, s.difficulty,
           CASE WHEN s.last_review IS NULL THEN NULL WHEN s.stability <= 0 THEN 0.0
             ELSE pow(1 + coalesce(k.factor, d.factor) * max(0, (@now - s.last_review) / 86400000.0) / s.stability, coalesce(k.decay, d.decay)) END AS r
         FROM cards c NOT INDEXED CROSS JOIN schedules s ON s.card_id = c.id
           JOIN curve d ON d.deck_id IS NULL LEFT JOIN curve k ON k.deck_id = c.deck_id
         WHERE s.state > 0 AND ${cardFilter}
       ) GROUP BY 1, 2, 3, 4`,
    )
    .all({ now: opts.now }) as MemoryGroup[];

  const dueToday = db
    .prepare(
      `SELECT coalesce(sum(s.state = 2), 0) AS reviews, coalesce(sum(s.state IN (1, 3)), 0) AS learning
       FROM cards c NOT INDEXED CROSS JOIN schedules s ON s.card_id = c.id
       WHERE s.state > 0 AND s.due < ? AND c.suspended = 0 AND (c.buried_until IS NULL OR c.buried_until <= ?) AND ${cardFilter}`,
    )
    .get(opts.dayEnd, opts.now) as { reviews: number; learning: number };

  // Quarter hours: every time zone's day start falls on one, so binning the buckets by day start is exact.
  const Q = 900_000;
  const dueBuckets = (
    db
      .prepare(
        `SELECT CAST(max(s.due, ?) / ${Q} AS INTEGER) * ${Q} AS at, count(*) AS count
         FROM cards c NOT INDEXED CROSS JOIN schedules s ON s.card_id = c.id
         WHERE s.state = 2 AND s.due < ? AND c.suspended = 0 AND ${cardFilter} GROUP BY 1`,
      )
      .all(opts.dayEnd - Q, opts.horizon) as DueBucket[]
  );

  const decks = db.prepare(`SELECT id, name FROM decks WHERE 1 ${deckFilter(opts.deckIds, 'id')} ORDER BY name`).all() as DeckInfo[];

  const quizDecks = db
    .prepare(
      `SELECT r.attempt_id AS attemptId, c.deck_id AS deckId, count(*) AS answered, sum(r.rating > 1) AS correct
       FROM reviews r JOIN cards c ON c.id = r.card_id
       WHERE r.kind = 'quiz' AND r.attempt_id IS NOT NULL AND r.undone_at IS NULL ${deckFilter(opts.deckIds, 'c.deck_id')}
       GROUP BY r.attempt_id, c.deck_id ORDER BY r.attempt_id, c.deck_id`,
    )
    .all() as { attemptId: number; deckId: number; answered: number; correct: number }[];
  const perAttempt = new Map<number, QuizAttemptRow['decks']>();
  for (const q of quizDecks) {
    const list = perAttempt.get(q.attemptId) ?? [];
    list.push({ deckId: q.deckId, answered: q.answered, correct: q.correct });
    perAttempt.set(q.attemptId, list);
  }
  const attempts = db
    .prepare('SELECT id, started_at AS startedAt, finished_at AS finishedAt, questions, correct FROM quiz_attempts ORDER BY started_at, id')
    .all() as Omit<QuizAttemptRow, 'decks'>[];
  // With a deck filter, only attempts that asked something from those decks.
  const quizzes = attempts
    .filter((a) => opts.deckIds === null || perAttempt.has(a.id))
    .map((a) => ({ ...a, decks: perAttempt.get(a.id) ?? [] }));

  return { daily, retention, deckCounts, memory, dueToday, dueBuckets, decks, quizzes };
}

/** The review log as exported: not undone, with the card's uid and deck. */
export interface ExportReviewRow {
  id: number;
  uid: string;
  cardId: number;
  cardUid: string;
  deck: string;
  rating: number;
  stateBefore: number;
  stateAfter: number;
  due: number;
  stability: number;
  difficulty: number;
  elapsedDays: number;
  scheduledDays: number;
  reviewedAt: number;
  durationMs: number;
  kind: string;
  scheduled: number;
  answer: string | null;
  sourceKey: string | null;
  attemptId: number | null;
  day: number;
}

/**
 * Streams the log (not undone rows) ordered by card then time, so a million rows never sit in memory at once.
 * The query starts on the first read, not on the call: an unread iterator must not keep the connection busy.
 */
export function* iterateReviews(db: Db, opts: { deckIds: readonly number[] | null; ratingsOnly?: boolean }): Generator<ExportReviewRow> {
  const only = opts.ratingsOnly ? 'AND r.scheduled = 1 AND r.rating BETWEEN 1 AND 4' : '';
  const stmt = db.prepare(
    `SELECT r.id, r.uid, r.card_id AS cardId, c.uid AS cardUid, d.name AS deck, r.rating, r.state_before AS stateBefore,
       r.state_after AS stateAfter, r.due, r.stability, r.difficulty, r.elapsed_days AS elapsedDays,
       r.scheduled_days AS scheduledDays, r.reviewed_at AS reviewedAt, r.duration_ms AS durationMs, r.kind, r.scheduled,
       r.answer, r.source_key AS sourceKey, r.attempt_id AS attemptId, r.day
     FROM reviews r JOIN cards c ON c.id = r.card_id JOIN decks d ON d.id = c.deck_id
     WHERE r.undone_at IS NULL ${only} ${deckFilter(opts.deckIds, 'c.deck_id')}
     ORDER BY r.card_id, r.reviewed_at, r.id`,
  );
  yield* stmt.iterate() as IterableIterator<ExportReviewRow>;
}

export interface ExportCardRow {
  id: number;
  uid: string;
  noteUid: string;
  contentJson: string;
  suspended: boolean;
}

/** A deck's cards in deck order (removed cards left out). */
export function deckCards(db: Db, deckId: number): ExportCardRow[] {
  return (
    db
      .prepare('SELECT id, uid, note_uid AS noteUid, content AS contentJson, suspended FROM cards WHERE deck_id = ? AND removed = 0 ORDER BY position, id')
      .all(deckId) as (Omit<ExportCardRow, 'suspended'> & { suspended: number })[]
  ).map((r) => ({ ...r, suspended: r.suspended === 1 }));
}
