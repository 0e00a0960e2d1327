// Reads for `recall stats` and `recall export`. Per-day figures come from the `daily` rollup, never a scan of the
// log; retention reads only the last year of the log through the `reviews_day` index.
import type { Db } from './db.js';
import type { CardRow, DailyRow, DeckInfo, QuizAttemptRow, RetentionRow } from '../stats/types.js';
import { MATURE_DAYS } from '../stats/compute.js';

export interface StatsRows {
  daily: DailyRow[];
  retention: RetentionRow[];
  cards: CardRow[];
  decks: DeckInfo[];
  quizzes: QuizAttemptRow[];
}

/** `deckIds` null = every deck. */
function deckFilter(deckIds: readonly number[] | null, column: string): string {
  if (deckIds === null) return '';
  // Ids are integers from the database, so inlining them is safe and keeps one statement for any count.
  return `AND ${column} IN (${deckIds.map((id) => Math.trunc(id)).join(',') || 'NULL'})`;
}

export function readStatsRows(db: Db, opts: { deckIds: readonly number[] | null; today: number }): StatsRows {
  const daily = db
    .prepare(
      `SELECT day, sum(reviews) AS reviews, sum(again) AS again, sum(duration_ms) AS durationMs, sum(new_cards) AS newCards
       FROM daily WHERE 1 ${deckFilter(opts.deckIds, 'deck_id')} GROUP BY day HAVING sum(reviews) > 0 ORDER BY day`,
    )
    .all() as DailyRow[];

  // Review-state answers that moved the schedule; `rating > 0` skips manual entries.
  const retentionSql =
    opts.deckIds === null
      ? `SELECT day, elapsed_days >= ${MATURE_DAYS} AS mature, count(*) AS total, sum(rating > 1) AS passed
         FROM reviews WHERE day > ? AND day <= ? AND state_before = 2 AND scheduled = 1 AND rating > 0 AND undone_at IS NULL
         GROUP BY day, mature`
      : `SELECT r.day, r.elapsed_days >= ${MATURE_DAYS} AS mature, count(*) AS total, sum(r.rating > 1) AS passed
         FROM reviews r JOIN cards c ON c.id = r.card_id
         WHERE r.day > ? AND r.day <= ? AND r.state_before = 2 AND r.scheduled = 1 AND r.rating > 0 AND r.undone_at IS NULL
           ${deckFilter(opts.deckIds, 'c.deck_id')}
         GROUP BY r.day, mature`;
  const retention = (db.prepare(retentionSql).all(opts.today - 365, opts.today) as { day: number; mature: number; total: number; passed: number }[]).map(
    (r) => ({ day: r.day, mature: r.mature === 1, total: r.total, passed: r.passed }),
  );

  // raw() skips building an object per row by name; 100k cards read in a few tens of milliseconds.
  const cardRows = db
    .prepare(
      `SELECT c.deck_id, c.suspended, c.buried_until, s.state, s.due, s.stability, s.difficulty, s.scheduled_days, s.last_review
       FROM cards c LEFT JOIN schedules s ON s.card_id = c.id WHERE c.removed = 0 ${deckFilter(opts.deckIds, 'c.deck_id')}`,
    )
    .raw()
    .all() as [number, number, number | null, number | null, number | null, number | null, number | null, number | null, number | null][];
  const cards: CardRow[] = cardRows.map((r) => ({
    deckId: r[0],
    suspended: r[1] === 1,
    buriedUntil: r[2],
    state: r[3] as CardRow['state'],
    due: r[4],
    stability: r[5] ?? 0,
    difficulty: r[6] ?? 0,
    scheduledDays: r[7] ?? 0,
    lastReview: r[8],
  }));

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

  return { daily, retention, cards, decks, quizzes };
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
