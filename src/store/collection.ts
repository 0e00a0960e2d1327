// Reads and writes for managing the collection (recall deck, add, edit, show, per-deck limits), kept apart from
// store.ts so each concern stays small.
import type { Statement } from 'better-sqlite3';
import { RecallError } from '../core/errors.js';
import type { Db } from './db.js';
import type { CollectionStore, DeckCardRow, HistoryReview } from './api.js';
import type { ResolvedQuery } from '../search/resolve.js';
import { compileQuery } from './search.js';

/** A deck filter by id list bound as one JSON parameter, so the statement text is the same for any list. */
function deckClause(deckIds: readonly number[] | null | undefined, params: unknown[], column = 'c.deck_id'): string {
  if (!deckIds) return '';
  params.push(JSON.stringify(deckIds.map((id) => Math.trunc(id))));
  return `AND ${column} IN (SELECT value FROM json_each(?))`;
}

/** The search filter of a session or quiz as an extra condition on `c`. */
export function queryClause(query: ResolvedQuery | null | undefined, params: unknown[]): string {
  if (!query) return '';
  const compiled = compileQuery(query);
  params.push(...compiled.params);
  // Schedule columns are reached through a subquery, so callers need not join schedules themselves.
  return compiled.usesSchedule
    ? `AND c.id IN (SELECT c.id FROM cards c LEFT JOIN schedules s ON s.card_id = c.id WHERE ${compiled.where})`
    : `AND (${compiled.where})`;
}

export function createCollectionStore(db: Db, sql: (text: string) => Statement<unknown[]>): CollectionStore {
  return {
    renameDeck(id, name) {
      try {
        sql('UPDATE decks SET name = ? WHERE id = ?').run(name, id);
      } catch (e) {
        if (/UNIQUE/.test((e as Error).message)) throw new RecallError('deck-exists', `A deck named "${name}" already exists`, { hint: 'choose another name', exitCode: 2 });
        throw e;
      }
    },
    cardByGuid(guid) {
      return sql('SELECT id FROM cards WHERE guid = ?').pluck().get(guid) as number | undefined;
    },
    doneByDeck(day) {
      const rows = sql('SELECT deck_id AS deckId, new_cards AS newDone, reviews - new_cards AS reviewsDone FROM daily WHERE day = ?').all(day) as {
        deckId: number;
        newDone: number;
        reviewsDone: number;
      }[];
      return new Map(rows.map((r) => [r.deckId, { newDone: r.newDone, reviewsDone: r.reviewsDone }]));
    },
    waitingByDeck(opts) {
      const params: unknown[] = [opts.dayEnd, opts.now];
      const decks = deckClause(opts.deckIds, params);
      const query = queryClause(opts.query, params);
      const rows = sql(
        `SELECT c.deck_id AS deckId, coalesce(sum(c.state = 2 AND c.due < ?), 0) AS reviews, coalesce(sum(c.state = 0), 0) AS news FROM cards c
         WHERE c.suspended = 0 AND c.removed = 0 AND (c.buried_until IS NULL OR c.buried_until <= ?) ${decks} ${query} GROUP BY c.deck_id`,
      ).all(...params) as { deckId: number; reviews: number; news: number }[];
      return new Map(rows.map((r) => [r.deckId, { reviews: r.reviews, news: r.news }]));
    },
    leechCounts(deckIds) {
      const params: unknown[] = [];
      const decks = deckClause(deckIds, params);
      // The partial index cards_leech (migration 10) holds the few cards whose content mentions the tag at all.
      const rows = sql(
        `SELECT c.deck_id AS deckId, count(*) AS n FROM cards c
         WHERE instr(c.content, '"leech"') > 0 AND c.removed = 0 AND EXISTS (SELECT 1 FROM json_each(c.content, '$.tags') t WHERE t.value = 'leech') ${decks}
         GROUP BY c.deck_id`,
      ).all(...params) as { deckId: number; n: number }[];
      return new Map(rows.map((r) => [r.deckId, r.n]));
    },
    liveCardIds(deckIds) {
      const params: unknown[] = [];
      const decks = deckClause(deckIds, params);
      return sql(`SELECT c.id FROM cards c WHERE c.removed = 0 ${decks} ORDER BY c.id`).pluck().all(...params) as number[];
    },
    maxPosition(deckId) {
      return (sql('SELECT max(position) FROM cards WHERE deck_id = ?').pluck().get(deckId) as number | null) ?? 0;
    },
    noteCards(deckId, noteUid) {
      return (
        sql('SELECT id, uid, note_uid AS noteUid, content AS contentJson, removed FROM cards WHERE deck_id = ? AND note_uid = ? ORDER BY id').all(deckId, noteUid) as (Omit<
          DeckCardRow,
          'removed'
        > & { removed: number })[]
      ).map((r) => ({ ...r, removed: r.removed === 1 }));
    },
    reviewHistory(cardId) {
      return (
        sql(
          `SELECT uid, reviewed_at AS reviewedAt, day, rating, kind, scheduled, state_before AS stateBefore, state_after AS stateAfter, due,
             stability, difficulty, elapsed_days AS elapsedDays, scheduled_days AS scheduledDays, duration_ms AS durationMs, device,
             undone_at AS undoneAt
           FROM reviews WHERE card_id = ? ORDER BY reviewed_at, id`,
        ).all(cardId) as (Omit<HistoryReview, 'scheduled'> & { scheduled: number })[]
      ).map((r) => ({ ...r, scheduled: r.scheduled === 1 }));
    },
    updateActionData(uid, data) {
      sql('UPDATE actions SET data = ? WHERE uid = ?').run(JSON.stringify(data), uid);
    },
    cardCreatedAt(cardId) {
      return sql('SELECT created_at FROM cards WHERE id = ?').pluck().get(cardId) as number | undefined;
    },
  };
}
