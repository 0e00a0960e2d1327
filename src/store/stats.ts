// Reads for `recall stats` and `recall export`. The statistics never scan the log or hand 100k cards to JS: per-day
// figures and true retention come from the `daily` rollup, card counts and the distributions from `card_counts`
// (src/store/rollups.ts), what is due from index ranges; only retrievability, which moves with the clock, is
// computed per card, in one pass over an index.
import type { Db } from './db.js';
import type { ExportCardRow, ExportReviewRow, FsrsReviewRow, StatsQuery, StatsRows } from './api.js';
import type { DailyRow, DeckCountRow, DeckInfo, DueBucket, MemoryGroup, QuizAttemptRow, RetentionRow, RetrievabilityRow } from '../stats/types.js';
import { bucketIndex, curveAt, curveFactor, DAY_MS, R_EDGES } from '../stats/compute.js';
import { SOURCE_KEY_SQL } from './migrations.js';

/** A `card_counts` key's category (its digits above the last two, halved), as `DeckCountRow` names it. */
const CATEGORIES = ['new', 'learning', 'young', 'mature', 'suspended'] as const;

/**
 * Card counts per deck and the stability and difficulty distributions: answered cards from the `card_counts` rollup
 * (migration 10, kept by a trigger), a few hundred rows instead of 100k cards, each keyed
 * (category * 2 + mastered) * 100 + stability bucket * 10 + difficulty bucket; new cards from the `cards_counts`
 * index, one range per deck.
 */
function readCardCounts(db: Db, deckIds: readonly number[] | null): { deckCounts: DeckCountRow[]; memory: MemoryGroup[] } {
  const rows = db
    .prepare(`SELECT deck_id, stats_key, cards FROM card_counts WHERE cards != 0 ${deckFilter(deckIds, 'deck_id')} ORDER BY deck_id, stats_key`)
    .raw()
    .all() as [number, number, number][];
  const unanswered = db
    .prepare(`SELECT deck_id, suspended, count(*) FROM cards WHERE ${inDeckList(deckIds, 'deck_id')} AND removed = 0 AND suspended IN (0, 1) AND state = 0 GROUP BY deck_id, suspended`)
    .raw()
    .all() as [number, number, number][];
  const decks = new Map<number, DeckCountRow>();
  const deck = (deckId: number) => {
    let d = decks.get(deckId);
    if (!d) decks.set(deckId, (d = { deckId, new: 0, learning: 0, young: 0, mature: 0, suspended: 0, total: 0, mastered: 0 }));
    return d;
  };
  for (const [deckId, suspended, count] of unanswered) {
    const d = deck(deckId);
    d.total += count;
    d[suspended === 1 ? 'suspended' : 'new'] += count;
  }
  // Rows come by deck, then key: a deck's groups are found by their last two digits in an array of that deck's
  // own, not by a string key in a map (1,355 rows: ~1.4 -> ~0.3 ms in a cold process).
  const memory: MemoryGroup[] = [];
  let groups: (MemoryGroup | undefined)[] = [];
  let counts: DeckCountRow | null = null;
  for (let i = 0; i < rows.length; i++) {
    // Indexed, not destructured: destructuring goes through the iterator protocol in code not yet optimized.
    const row = rows[i]!;
    const deckId = row[0];
    const key = row[1];
    const count = row[2];
    if (counts === null || counts.deckId !== deckId) {
      counts = deck(deckId);
      groups = new Array<MemoryGroup | undefined>(100);
    }
    const memoryKey = key % 100;
    const k = (key - memoryKey) / 100;
    counts.total += count;
    counts[CATEGORIES[k >> 1]!] += count;
    if ((k & 1) === 1) counts.mastered += count;
    // Retrievability comes apart (readRetrievability): these groups only bin stability and difficulty.
    let m = groups[memoryKey];
    if (m === undefined) {
      m = { deckId, stability: (memoryKey - (memoryKey % 10)) / 10, difficulty: memoryKey % 10, retrievability: null, count: 0, retrievabilitySum: 0 };
      groups[memoryKey] = m;
      memory.push(m);
    }
    m.count += count;
  }
  return { deckCounts: [...decks.values()], memory };
}

const TOP_BUCKET = R_EDGES.length - 1;
const TOP_EDGE = R_EDGES[TOP_BUCKET]!;

/**
 * Retrievability now of every answered card, per deck: how many have one, their sum, and how many fall in each
 * bucket of `R_EDGES`. It depends on the time, so it cannot be kept in a rollup: one pass over the covering index
 * `cards_counts` (which carries stability and last review since migration 11), in deck order so SQLite groups
 * without sorting, each card handed to an aggregate that applies the statistics' own curve (`curveAt`, as
 * `retrievabilityAt` does).
 * The curve written in SQL, with the buckets as a CASE, took a third longer (82k cards: ~37 against ~28 ms in a warm
 * process, ~51 against ~40 ms in a cold one), and was a second definition of it.
 */
function readRetrievability(db: Db, deckIds: readonly number[] | null, opts: { now: number; decay: number; deckDecay?: Record<number, number> }): RetrievabilityRow[] {
  const deckDecay = new Map(Object.entries(opts.deckDecay ?? {}).map(([id, d]) => [Number(id), d]));
  interface Pass { decay: number; factor: number; count: number; sum: number; carry: number; buckets: number[] }
  const now = opts.now;
  const add = (p: Pass, stability: number | null, lastReview: number | null): void => {
    // A card answered has both copies; a NULL one counts as no retrievability, as it did in SQL.
    if (stability === null || lastReview === null) return;
    // retrievabilityAt, with the factor worked out once per deck.
    const r = curveAt(p.factor, p.decay, (now - lastReview) / DAY_MS, stability);
    p.count++;
    // Compensated (Neumaier) as SQLite's sum() is: the mean of 80k values keeps its last digits.
    const t = p.sum + r;
    p.carry += Math.abs(p.sum) >= Math.abs(r) ? p.sum - t + r : r - t + p.sum;
    p.sum = t;
    // Most cards sit in the top bucket: that one is found without the general search (bucketIndex, the same answer).
    p.buckets[r >= TOP_EDGE ? TOP_BUCKET : bucketIndex(R_EDGES, r)]!++;
  };
  // The deck is passed only when some deck has a curve of its own: each argument costs on every card (~1 ms).
  const perDeck = deckDecay.size > 0;
  const step = perDeck
    ? (p: Pass, deckId: number, stability: number | null, lastReview: number | null) => {
        if (p.decay !== p.decay) {
          p.decay = deckDecay.get(deckId) ?? opts.decay;
          p.factor = curveFactor(p.decay);
        }
        add(p, stability, lastReview);
      }
    : add;
  db.aggregate('recall_retrievability', {
    start: (): Pass => ({ decay: perDeck ? Number.NaN : opts.decay, factor: perDeck ? Number.NaN : curveFactor(opts.decay), count: 0, sum: 0, carry: 0, buckets: new Array<number>(R_EDGES.length).fill(0) }),
    // @types/better-sqlite3 declares a step of one argument; SQLite passes it every argument of the call.
    step: step as unknown as (p: Pass) => void,
    result: (p: Pass) => JSON.stringify([p.count, p.sum + p.carry, p.buckets]),
  });
  const rows = db
    .prepare(
      `SELECT deck_id, recall_retrievability(${perDeck ? 'deck_id, ' : ''}stability_copy, last_review_copy) FROM cards
       WHERE state > 0 AND removed = 0 ${deckFilter(deckIds, 'deck_id')} GROUP BY deck_id`,
    )
    .raw()
    .all() as [number, string][];
  return rows.map(([deckId, json]) => {
    const [count, sum, buckets] = JSON.parse(json) as [number, number, number[]];
    return { deckId, count, sum, buckets };
  });
}

/**
 * Unsuspended, unburied cards due before today ends, by state, from the `cards_counts` index (which has no burial:
 * the few buried cards are counted through `cards_buried` and taken off). The review cards are counted by the
 * forecast already (`reviewsBeforeDayEnd`, buried ones included): only learning cards are counted here.
 */
function readDueToday(db: Db, deckIds: readonly number[] | null, opts: { now: number; dayEnd: number }, reviewsBeforeDayEnd: number): { reviews: number; learning: number } {
  // One index range per deck and state (the deck list spelled out, else SQLite scans the whole index).
  const due = (states: string) => `${inDeckList(deckIds, 'deck_id')} AND removed = 0 AND suspended = 0 AND state IN (${states}) AND due < @dayEnd`;
  const learning = db.prepare(`SELECT count(*) FROM cards INDEXED BY cards_counts WHERE ${due('1, 3')}`).pluck().get({ dayEnd: opts.dayEnd }) as number;
  const [buriedReviews, buriedLearning] = db
    .prepare(`SELECT count(*) FILTER (WHERE state = 2), count(*) FILTER (WHERE state != 2) FROM cards INDEXED BY cards_buried
      WHERE buried_until IS NOT NULL AND buried_until > @now AND ${due('1, 2, 3')}`)
    .raw()
    .get({ now: opts.now, dayEnd: opts.dayEnd }) as [number, number];
  return { reviews: reviewsBeforeDayEnd - buriedReviews, learning: learning - buriedLearning };
}

/** `column IN (the decks)`: the given ones, or every deck. */
function inDeckList(deckIds: readonly number[] | null, column: string): string {
  return deckIds === null ? `${column} IN (SELECT id FROM decks)` : `${column} IN (${deckIds.map((id) => Math.trunc(id)).join(',') || 'NULL'})`;
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
  // Six years of days by deck are ~44k rows: summing them all cost ~12 ms. Only the days the report shows need
  // their figures, and true retention (from the rollup's counts, migration 10) only the last year's, which the
  // report shows as well: one scan serves both. Before those days, streaks only ask which days had answers.
  const from = opts.detailFrom ?? Number.MIN_SAFE_INTEGER;
  const retentionFrom = opts.today - 364;
  const days = db
    .prepare(
      `SELECT day, sum(reviews), sum(again), sum(duration_ms), sum(new_cards), sum(young_total), sum(young_passed), sum(mature_total), sum(mature_passed)
       FROM daily WHERE day >= ? ${deckFilter(opts.deckIds, 'deck_id')} GROUP BY day ORDER BY day`,
    )
    .raw()
    .all(Math.min(from, retentionFrom)) as [number, number, number, number, number, number, number, number, number][];
  const daily: DailyRow[] = [];
  const retention: RetentionRow[] = [];
  for (const [day, reviews, again, durationMs, newCards, youngTotal, youngPassed, matureTotal, maturePassed] of days) {
    if (day >= from && reviews > 0) daily.push({ day, reviews, again, durationMs, newCards });
    if (day < retentionFrom || day > opts.today) continue;
    if (youngTotal > 0) retention.push({ day, mature: false, total: youngTotal, passed: youngPassed });
    if (matureTotal > 0) retention.push({ day, mature: true, total: matureTotal, passed: maturePassed });
  }
  const studiedBefore = opts.detailFrom === undefined
    ? []
    : (db.prepare(`SELECT DISTINCT day FROM daily WHERE day < ? AND reviews > 0 ${deckFilter(opts.deckIds, 'deck_id')}`).pluck().all(from) as number[]);

  const cards = {
    ...readCardCounts(db, opts.deckIds),
    retrievability: readRetrievability(db, opts.deckIds, opts),
  };

  // Quarter hours counted from today's last one: day lengths are whole quarter hours (DST moves clocks by an hour
  // or half of one), so binning the buckets by day start is exact, and the first bucket is today's last quarter.
  const Q = 900_000;
  // Each card carries a copy of its schedule's state and due time (migration 4): the forecast reads the covering
  // cards_counts index alone, no schedules (100k cards: ~40 ms -> ~14 ms).
  // Cards already overdue are counted apart and folded into the first bucket: only the month ahead is grouped.
  const first = Math.trunc(opts.dayEnd) - Q;
  const review = `${inDeckList(opts.deckIds, 'c.deck_id')} AND c.removed = 0 AND c.suspended = 0 AND c.state = 2`;
  const overdue = db.prepare(`SELECT count(*) FROM cards c WHERE ${review} AND c.due < ?`).pluck().get(first) as number;
  // Bound as BigInt: better-sqlite3 binds a number as REAL, and the buckets must be integer arithmetic.
  const dueBuckets = db
    .prepare(`SELECT @first + CAST((c.due - @first) / ${Q} AS INTEGER) * ${Q} AS at, count(*) AS count FROM cards c WHERE ${review} AND c.due >= @first AND c.due < @horizon GROUP BY 1 ORDER BY 1`)
    .all({ first: BigInt(first), horizon: opts.horizon }) as DueBucket[];
  const lastQuarter = dueBuckets.find((b) => b.at === first);
  // The review cards due today are those overdue and those of today's last quarter hour: counting them again
  // from the index cost ~1.5 ms of the command's ~65.
  const dueToday = readDueToday(db, opts.deckIds, opts, overdue + (lastQuarter?.count ?? 0));
  if (overdue > 0) {
    if (lastQuarter) lastQuarter.count += overdue;
    else dueBuckets.push({ at: first, count: overdue });
  }

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

  return { daily, studiedBefore, retention, ...cards, dueToday, dueBuckets, decks, quizzes };
}

const REVIEW_COLUMNS = `id, uid, card_id, rating, state_before, state_after, due, stability, difficulty, elapsed_days,
  scheduled_days, reviewed_at, duration_ms, kind, scheduled, answer, ${SOURCE_KEY_SQL()}, attempt_id, day, source_state`;

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
