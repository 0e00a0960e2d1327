// A parsed query bound to a collection and a moment: deck patterns become deck ids (a pattern that names no deck is
// a located error with the nearest names), day counts become instants. The result is plain data the store compiles
// to SQL; it carries no text that SQL would need to trust.
import { nearest } from '../core/suggest.js';
import type { Grade } from '../core/types.js';
import { matchDeckNames } from './match.js';
import { queryError, type PropField, type PropOp, type QueryNode, type Term } from './query.js';

export type ResolvedTerm =
  | Exclude<Term, { key: 'deck' } | { key: 'rated' } | { key: 'added' }>
  | { key: 'deck'; deckIds: number[] }
  /** Answered (rating 1-4, not undone) at or after `since`. */
  | { key: 'rated'; since: number; grade: Grade | null }
  /** Created at or after `since`. */
  | { key: 'added'; since: number };

export type ResolvedNode =
  | { kind: 'all' }
  | { kind: 'and' | 'or'; items: ResolvedNode[] }
  | { kind: 'not'; item: ResolvedNode }
  | { kind: 'term'; term: ResolvedTerm };

/** The forgetting curve of a deck's parameters: R = (1 + factor * days / S) ^ -decay. */
export interface Curve {
  factor: number;
  decay: number;
}

export interface ResolvedQuery {
  root: ResolvedNode;
  now: number;
  /** When today's study day started and ends. */
  todayStart: number;
  dayEnd: number;
  /** The curve of each deck with parameters of its own; `curve` for the rest. */
  curve: Curve;
  deckCurves: Record<number, Curve>;
  /** Whether removed cards are searched: only when the query asks for them (`is:removed`). */
  includeRemoved: boolean;
}

export interface ResolveEnv {
  decks: readonly { id: number; name: string }[];
  now: number;
  todayStart: number;
  dayEnd: number;
  /** The instant the study day `days - 1` days before today started (1 = today). */
  daysAgoStart: (days: number) => number;
  curve: Curve;
  deckCurves: Record<number, Curve>;
}

export type { PropField, PropOp };

export function resolveQuery(node: QueryNode, env: ResolveEnv): ResolvedQuery {
  let includeRemoved = false;
  const walk = (n: QueryNode): ResolvedNode => {
    switch (n.kind) {
      case 'all':
        return n;
      case 'and':
      case 'or':
        return { kind: n.kind, items: n.items.map(walk) };
      case 'not':
        return { kind: 'not', item: walk(n.item) };
      case 'term': {
        const t = n.term;
        switch (t.key) {
          case 'deck': {
            const matched = matchDeckNames(t.pattern, env.decks);
            if (matched.length === 0) {
              // Near full names, or near the last level of one (`Spansh` for `Lang::Spanish`).
              const leaf = (name: string) => name.slice(name.lastIndexOf('::') + 2 || 0);
              const near = [...new Set([...nearest(t.pattern.source, env.decks.map((d) => d.name)), ...env.decks.filter((d) => d.name.includes('::') && nearest(t.pattern.source, [leaf(d.name)]).length).map((d) => d.name)])].slice(0, 3);
              throw queryError(
                n.column,
                `no deck matches "${t.pattern.source}"${near.length ? ` (did you mean ${near.map((x) => `"${x}"`).join(' or ')}?)` : ''}`,
                'deck names ignore case; * matches any text; quote names with spaces: "deck:My Deck"; recall deck list shows them all',
              );
            }
            return { kind: 'term', term: { key: 'deck', deckIds: matched.map((d) => d.id) } };
          }
          case 'rated':
            return { kind: 'term', term: { key: 'rated', since: env.daysAgoStart(t.days), grade: t.grade } };
          case 'added':
            return { kind: 'term', term: { key: 'added', since: env.daysAgoStart(t.days) } };
          case 'is':
            if (t.value === 'removed') includeRemoved = true;
            return { kind: 'term', term: t };
          default:
            return { kind: 'term', term: t };
        }
      }
    }
  };
  const root = walk(node);
  return { root, now: env.now, todayStart: env.todayStart, dayEnd: env.dayEnd, curve: env.curve, deckCurves: env.deckCurves, includeRemoved };
}
