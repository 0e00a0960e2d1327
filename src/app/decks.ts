// Deck names as users type them: matched case-insensitively, as Anki does, an exact match first; a parent name takes
// in its `::` subdecks; a name that matches nothing is answered with the nearest ones.
import { RecallError } from '../core/errors.js';
import { nearest } from '../core/suggest.js';
import type { DeckRow } from '../store/api.js';
import type { Context } from './context.js';

/** The decks a name stands for: the exact name (else its case-insensitive match) and its subdecks. */
export function matchDecks(decks: readonly DeckRow[], name: string): DeckRow[] {
  const exact = decks.find((d) => d.name === name) ?? decks.find((d) => d.name.toLowerCase() === name.toLowerCase());
  const prefix = `${(exact?.name ?? name).toLowerCase()}::`;
  return decks.filter((d) => d === exact || d.name.toLowerCase().startsWith(prefix));
}

function noSuchDeck(name: string, decks: readonly DeckRow[]): RecallError {
  const near = nearest(name, decks.map((d) => d.name));
  const hint = near.length
    ? `did you mean ${near.map((n) => `"${n}"`).join(' or ')}? (recall decks lists them all)`
    : decks.length
      ? 'recall decks lists the decks'
      : 'there are no decks yet: import one with recall import PATH';
  return new RecallError('no-such-deck', `No deck named "${name}"`, { hint, exitCode: 2 });
}

/** Deck ids for `--deck` names (null when none are given: every deck). */
export function resolveDeckIds(ctx: Context, names: readonly string[] | undefined): number[] | null {
  if (!names?.length) return null;
  const decks = ctx.store.decks();
  const ids = new Set<number>();
  for (const name of names) {
    const matched = matchDecks(decks, name);
    if (matched.length === 0) throw noSuchDeck(name, decks);
    for (const d of matched) ids.add(d.id);
  }
  return [...ids];
}

/** One deck by name (case-insensitive, exact first), without its subdecks. */
export function resolveDeck(ctx: Context, name: string): DeckRow {
  const decks = ctx.store.decks();
  const deck = decks.find((d) => d.name === name) ?? decks.find((d) => d.name.toLowerCase() === name.toLowerCase());
  if (!deck) throw noSuchDeck(name, decks);
  return deck;
}
