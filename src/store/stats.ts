// Reads for `recall stats` and `recall export`. Per-day figures come from the `daily` rollup, never a scan of the
// log; retention reads only the last year of it through the `reviews_true_retention` index (migration 4).
import type { Db } from './db.js';
import type { ExportCardRow, ExportReviewRow, FsrsReviewRow, StatsQuery, StatsRows } from './api.js';
import type { DailyRow, DeckCountRow, DeckInfo, DueBucket, MemoryGroup, QuizAttemptRow, RetentionRow } from '../stats/types.js';
import { bucketIndex, curveFactor, DIFFICULTY_EDGES, MASTERY_STABILITY, MATURE_DAYS, R_EDGES, STABILITY_EDGES } from '../stats/compute.js';


/**
 * Card counts per deck, what is due today, and the memory state of answered cards binned for the distributions,
 * in one pass over the cards. Each card becomes one integer code (deck, category, mastered, due today, answered,
 * stability and difficulty bucket) and its retrievability now; SQLite hands both over as two JSON arrays. That
 * avoids both a GROUP BY (SQLite sorts every row for it) and marshalling row by row: 100k cards in ~150 ms instead
 * of ~400 ms. JS then counts the distinct codes.
 */
function readCardSummary(
  db: Db,
  cardFilter: string,
  opts: { now: number; dayEnd: number; decay: number; deckDecay?: Record<number, number> },
): { deckCounts: DeckCountRow[]; memory: MemoryGroup[]; dueToday: { reviews: number; learning: number } } {
  // The forgetting curve of src/stats/compute.ts (`forgettingCurve`) in SQL, with the factor computed in JS so
  // both round it alike; tests hold the two to the same figures.
  const perDeck = Object.entries(opts.deckDecay ?? {});
  const choose = (f: (decay: number) => number) =>
    perDeck.length === 0
      ? String(f(opts.decay))
      : `CASE c.deck_id ${perDeck.map(([id, d]) => `WHEN ${Math.trunc(Number(id))} THEN ${f(d)}`).join(' ')} ELSE ${f(opts.decay)} END`;
  const answered = 's.state IS NOT NULL AND s.state > 0';
  const code = `(((((c.deck_id * 5
      + CASE WHEN c.suspended = 1 THEN 4 WHEN s.state IS NULL OR s.state = 0 THEN 0 WHEN s.state IN (1, 3) THEN 1
          WHEN s.scheduled_days >= ${MATURE_DAYS} THEN 3 ELSE 2 END) * 2
      + (${answered} AND s.stability >= ${MASTERY_STABILITY})) * 3
      + CASE WHEN c.suspended = 0 AND (c.buried_until IS NULL OR c.buried_until <= @now) AND s.due < @dayEnd
          THEN CASE WHEN s.state = 2 THEN 1 WHEN s.state IN (1, 3) THEN 2 ELSE 0 END ELSE 0 END) * 2
      + (${answered})) * ${STABILITY_EDGES.length}
      + ${bucketCase('s.stability', STABILITY_EDGES)}) * ${DIFFICULTY_EDGES.length}
      + ${bucketCase('s.difficulty', DIFFICULTY_EDGES)}`;
  const r = `CASE WHEN NOT (${answered}) OR s.last_review IS NULL THEN NULL WHEN s.stability <= 0 THEN 0.0
      ELSE pow(1 + ${choose(curveFactor)} * max(0, (@now - s.last_review) / 86400000.0) / s.stability, ${choose((d) => -d)}) END`;
  const row = db
    .prepare(
      `SELECT json_group_array(code) AS codes, json_group_array(r) AS rs FROM (
         SELECT ${code} AS code, ${r} AS r FROM cards c NOT INDEXED LEFT JOIN schedules s ON s.card_id = c.id WHERE ${cardFilter})`,
    )
    .get({ now: opts.now, dayEnd: opts.dayEnd }) as { codes: string; rs: string };
  const codes = JSON.parse(row.codes) as number[];
  const rs = JSON.parse(row.rs) as (number | null)[];

  // Count identical (code, R bucket) pairs, then decode each distinct code once.
  const groups = new Map<number, { count: number; rSum: number }>();
  for (let i = 0; i < codes.length; i++) {
    const rv = rs[i] ?? null;
    const key = codes[i]! * 16 + (rv === null ? 15 : bucketIndex(R_EDGES, rv));
    const g = groups.get(key);
    if (g) {
      g.count++;
      g.rSum += rv ?? 0;
    } else groups.set(key, { count: 1, rSum: rv ?? 0 });
  }
  const decks = new Map<number, DeckCountRow>();
  const memory = new Map<string, MemoryGroup>();
  const dueToday = { reviews: 0, learning: 0 };
  for (const [key, g] of groups) {
    let k = Math.floor(key / 16);
    const rBucket = key % 16;
    const difficulty = k % DIFFICULTY_EDGES.length;
    k = Math.floor(k / DIFFICULTY_EDGES.length);
    const stability = k % STABILITY_EDGES.length;
    k = Math.floor(k / STABILITY_EDGES.length);
    const isAnswered = k % 2 === 1;
    k = Math.floor(k / 2);
    const due = k % 3;
    k = Math.floor(k / 3);
    const mastered = k % 2 === 1;
    k = Math.floor(k / 2);
    const category = k % 5;
    const deckId = Math.floor(k / 5);
    const d = decks.get(deckId) ?? { deckId, new: 0, learning: 0, young: 0, mature: 0, suspended: 0, total: 0, mastered: 0 };
    decks.set(deckId, d);
    d.total += g.count;
    d[(['new', 'learning', 'young', 'mature', 'suspended'] as const)[category]!] += g.count;
    if (mastered) d.mastered += g.count;
    if (due === 1) dueToday.reviews += g.count;
    if (due === 2) dueToday.learning += g.count;
    if (!isAnswered) continue;
    const retrievability = rBucket === 15 ? null : rBucket;
    const mKey = `${deckId}:${stability}:${difficulty}:${retrievability}`;
    const m = memory.get(mKey) ?? { deckId, stability, difficulty, retrievability, count: 0, retrievabilitySum: 0 };
    memory.set(mKey, m);
    m.count += g.count;
    m.retrievabilitySum += g.rSum;
  }
  return { deckCounts: [...decks.values()], memory: [...memory.values()], dueToday };
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
export function readStatsRows(db: Db, opts: StatsQuery): StatsRows {
  const daily = db
    .prepare(
      `SELECT day, sum(reviews) AS reviews, sum(again) AS again, sum(duration_ms) AS durationMs, sum(new_cards) AS newCards
       FROM daily WHERE 1 ${deckFilter(opts.deckIds, 'deck_id')} GROUP BY day HAVING sum(reviews) > 0 ORDER BY day`,
    )
    .all() as DailyRow[];

  // Answers given in the review state (as the source recorded it, else as replay gave it); `rating > 0` skips manual entries. The conditions match the
  // partial index `reviews_true_retention` (migration 4), grouped by day alone so SQLite streams it in index order.
  // A deck filter as a subquery (one lookup table) rather than a join (one cards lookup per answer): 4x faster.
  const inDecks = opts.deckIds === null ? '' : `AND r.card_id IN (SELECT id FROM cards WHERE 1 ${deckFilter(opts.deckIds, 'deck_id')})`;
  const retentionDays = db
    .prepare(
      `SELECT r.day AS day, count(*) AS total, sum(r.rating > 1) AS passed,
         sum(r.elapsed_days >= ${MATURE_DAYS}) AS matureTotal, sum(r.elapsed_days >= ${MATURE_DAYS} AND r.rating > 1) AS maturePassed
       FROM reviews r
       WHERE coalesce(r.source_state, CASE WHEN r.scheduled = 1 THEN r.state_before END) = 2 AND r.day > ? AND r.day <= ? AND r.rating > 0 AND r.undone_at IS NULL ${inDecks}
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
  const cards = readCardSummary(db, cardFilter, opts);

  // Quarter hours: every time zone's day start falls on one, so binning the buckets by day start is exact.
  const Q = 900_000;
  // Each card carries a copy of its schedule's state and due time (migration 4): the forecast reads the covering
  // cards_counts index alone, no schedules (100k cards: ~40 ms -> ~14 ms).
  const dueBuckets = (
    db
      .prepare(
        `SELECT CAST(max(c.due, ?) / ${Q} AS INTEGER) * ${Q} AS at, count(*) AS count
         FROM cards c WHERE c.state = 2 AND c.due < ? AND c.suspended = 0 AND ${cardFilter} GROUP BY 1`,
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
    .prepare('SELECT id, started_at AS startedAt, finished_at AS finishedAt, questions, correct, planned FROM quiz_attempts ORDER BY started_at, id')
    .all() as Omit<QuizAttemptRow, 'decks'>[];
  // With a deck filter, only attempts that asked something from those decks.
  const quizzes = attempts
    .filter((a) => opts.deckIds === null || perAttempt.has(a.id))
    .map((a) => ({ ...a, decks: perAttempt.get(a.id) ?? [] }));

  return { daily, retention, ...cards, dueBuckets, decks, quizzes };
}

const REVIEW_COLUMNS = `id, uid, card_id, rating, state_before, state_after, due, stability, difficulty, elapsed_days,
  scheduled_days, reviewed_at, duration_ms, kind, scheduled, answer, source_key, attempt_id, day, source_state`;

/**
 * Streams the log (not undone rows) ordered by card then time, so a million rows never sit in memory at once.
 * The query starts on the first read, not on the call: an unread iterator must not keep the connection busy.
 * Card uids and deck names come from a map read up front rather than a join per row (1M rows: ~2x faster).
 */
export function* iterateReviews(db: Db, opts: { deckIds: readonly number[] | null }): Generator<ExportReviewRow> {
  const cards = new Map<number, [string, string]>();
  const cardRows = db
    .prepare(`SELECT c.id, c.uid, d.name FROM cards c JOIN decks d ON d.id = c.deck_id WHERE 1 ${deckFilter(opts.deckIds, 'c.deck_id')}`)
    .raw()
    .all() as [number, string, string][];
  for (const [id, uid, deck] of cardRows) cards.set(id, [uid, deck]);
  const stmt = db
    .prepare(`SELECT ${REVIEW_COLUMNS} FROM reviews WHERE undone_at IS NULL ${inCards(opts.deckIds)} ORDER BY card_id, reviewed_at, id`)
    .raw();
  // Raw rows in REVIEW_COLUMNS order: a million objects with named keys cost twice as much to build.
  type Raw = [number, string, number, number, number, number, number, number, number, number, number, number, number, string, number, string | null, string | null, number | null, number, number | null];
  for (const r of stmt.iterate() as IterableIterator<Raw>) {
    const [uid, deck] = cards.get(r[2]) ?? ['', ''];
    yield {
      id: r[0], uid: r[1], cardId: r[2], cardUid: uid, deck, rating: r[3], stateBefore: r[4], stateAfter: r[5], due: r[6],
      stability: r[7], difficulty: r[8], elapsedDays: r[9], scheduledDays: r[10], reviewedAt: r[11], durationMs: r[12],
      kind: r[13], scheduled: r[14], answer: r[15], sourceKey: r[16], attemptId: r[17], day: r[18], sourceState: r[19],
    };
  }
}

/** The answers the optimizer learns from (rated, schedule-moving, not undone), by card then time, streamed. */
export function* iterateFsrsRows(db: Db, opts: { deckIds: readonly number[] | null }): Generator<FsrsReviewRow> {
  const stmt = db
    .prepare(
      `SELECT card_id, reviewed_at, rating, coalesce(source_state, state_before), duration_ms FROM reviews
       WHERE undone_at IS NULL AND scheduled = 1 AND rating BETWEEN 1 AND 4 ${inCards(opts.deckIds)}
       ORDER BY card_id, reviewed_at, id`,
    )
    .raw();
  yield* stmt.iterate() as IterableIterator<FsrsReviewRow>;
}

function inCards(deckIds: readonly number[] | null): string {
  return deckIds === null ? '' : `AND card_id IN (SELECT id FROM cards WHERE 1 ${deckFilter(deckIds, 'deck_id')})`;
}

/** A deck's cards in deck order (removed cards left out). */
export function deckCards(db: Db, deckId: number): ExportCardRow[] {
  return (
    db
      .prepare('SELECT id, uid, note_uid AS noteUid, content AS contentJson, suspended FROM cards WHERE deck_id = ? AND removed = 0 ORDER BY position, id')
      .all(deckId) as (Omit<ExportCardRow, 'suspended'> & { suspended: number })[]
  ).map((r) => ({ ...r, suspended: r.suspended === 1 }));
}
