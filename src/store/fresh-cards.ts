// Writes of many new cards at once (an Anki text export of tens of thousands of notes into a collection that has few
// cards): one statement run per card, and the card indexes built once at the end instead of updated per card.
import type { Statement } from 'better-sqlite3';
import type { CardSpec } from '../core/types.js';
import type { Db } from './db.js';

export interface FreshCardStore {
  /**
   * Whether any card's guid starts with `prefix` (e.g. `ankitxt:`). An import that finds none at its start knows
   * every card of that kind it meets is new, until it has written one itself, without looking each one up.
   */
  hasGuidPrefix(prefix: string): boolean;
  /**
   * Creates cards whose uid is a global uid (see isGlobalUid) that no card holds as its guid, and that are distinct:
   * each card's guid is its uid, so nothing is looked up first (the caller holds the transaction and knows, see
   * hasGuidPrefix). The same rows as insertCard one by one, with consecutive ids in the order given.
   */
  insertFreshCards(deckId: number, cards: readonly { spec: CardSpec; json: string; position: number }[], now: number): void;
}

/**
 * Indexes of `cards` an insert only maintains (no lookup while cards are written goes through them), and the guid
 * index, whose uniqueness the caller guarantees for these rows. Dropped and built again from the definitions the
 * database holds (the same schema, rows sorted once) when a batch outgrows the table. (cards_buried stays: a new card
 * has no entry in it, and building it would read the whole table.)
 */
const DEFERRABLE = ['cards_note', 'cards_new_order', 'cards_counts', 'cards_guid'];
/** Below this many new cards, keeping the indexes up to date costs a few milliseconds anyway. */
const DEFER_MIN_CARDS = 5_000;

export function createFreshCardStore(db: Db, sql: (text: string) => Statement<unknown[]>): FreshCardStore {
  return {
    hasGuidPrefix(prefix) {
      // The guid index, as a range: every string starting with the prefix sorts between it and its successor.
      const end = prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
      return sql('SELECT 1 FROM cards WHERE guid >= ? AND guid < ? LIMIT 1').pluck().get(prefix, end) !== undefined;
    },
    insertFreshCards(deckId, cards, now) {
      if (cards.length === 0) return;
      let rebuild: string[] = [];
      if (cards.length >= DEFER_MIN_CARDS) {
        // Card ids are never reused: the largest is at least the number of cards.
        const held = (sql('SELECT max(id) FROM cards').pluck().get() as number | null) ?? 0;
        if (cards.length > held) {
          rebuild = DEFERRABLE.map((name) => sql("SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'cards' AND name = ?").pluck().get(name) as string | undefined)
            .filter((d): d is string => typeof d === 'string');
          for (const name of DEFERRABLE) db.exec(`DROP INDEX IF EXISTS ${name}`);
        }
      }
      const insert = sql('INSERT INTO cards(deck_id, uid, guid, note_uid, type, content, position, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
      for (const { spec, json, position } of cards) {
        insert.run(deckId, spec.uid, spec.uid, spec.noteUid, spec.content.type, json, position, now, now);
      }
      // DDL is transactional: if the import fails later, the rollback brings the indexes back as they were.
      for (const d of rebuild) db.exec(d);
    },
  };
}
