import type { Db } from './db.js';

// Lookups that make importing a package recall wrote idempotent: its cards are found in their own deck (deck-file
// ids are unique only per deck), and answers already in the log are recognised even without a source key.

export interface ImportLookup {
  /** The card with this uid in this deck. */
  cardInDeck(deckId: number, uid: string): { id: number; deckId: number; content: string; suspended: number } | undefined;
  /** Whether the card's log already holds this answer (same time to the millisecond, same rating). */
  hasAnswer(cardId: number, reviewedAt: number, rating: number): boolean;
}

export function importLookup(db: Db): ImportLookup {
  const inDeck = db.prepare('SELECT id, deck_id AS deckId, content, suspended FROM cards WHERE deck_id = ? AND uid = ?');
  const answer = db.prepare('SELECT 1 FROM reviews WHERE card_id = ? AND reviewed_at = ? AND rating = ? AND undone_at IS NULL LIMIT 1').pluck();
  return {
    cardInDeck: (deckId, uid) => inDeck.get(deckId, uid) as ReturnType<ImportLookup['cardInDeck']>,
    hasAnswer: (cardId, reviewedAt, rating) => answer.get(cardId, reviewedAt, rating) !== undefined,
  };
}
