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

/**
 * Groups of decks whose names differ only in case, each sorted, the groups by their first name. New names are refused
 * (refuseCaseVariant); a database from before that rule may still hold such decks, and only a rename separates them.
 */
export function caseVariantDecks(names: Iterable<string>): string[][] {
  const groups = new Map<string, string[]>();
  for (const name of names) {
    const key = name.toLowerCase();
    const group = groups.get(key);
    if (group) group.push(name);
    else groups.set(key, [name]);
  }
  return [...groups.values()]
    .filter((g) => g.length > 1)
    .map((g) => g.sort())
    .sort((a, b) => (a[0]! < b[0]! ? -1 : 1));
}

/**
 * Deck names are unique ignoring case, as they are matched: a new deck (or a deck's new name) that differs from an
 * existing one only in case would leave `--deck`, `export deck` and `deck delete` picking one of the two.
 * `taken` are the existing names; `name` equal to one of them exactly is that deck, not a new one.
 */
export function refuseCaseVariant(taken: Iterable<string>, name: string, opts: { file?: string; hint?: string } = {}): void {
  const lower = name.toLowerCase();
  for (const t of taken) {
    if (t === name || t.toLowerCase() !== lower) continue;
    throw new RecallError('deck-name-case', `"${name}" differs only in case from the deck "${t}"; deck names ignore case`, {
      ...(opts.file ? { file: opts.file } : {}),
      hint: opts.hint ?? `use the existing name exactly ("${t}"), or choose another name`,
      exitCode: 2,
    });
  }
}
