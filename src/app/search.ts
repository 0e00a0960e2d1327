// Search as a use case: a query string in, the matching cards out (or a located error). One entry point for every
// command that takes a query: `recall search`, the bulk card actions, `review --query`, `quiz --query`, and
// `export deck --query` (`searchCardIds`).
import { RecallError } from '../core/errors.js';
import { LEECH_TAG } from '../core/leech.js';
import type { CardContent, CardExtras } from '../core/types.js';
import { dayStartInstant } from '../scheduler/index.js';
import { parseQuery } from '../search/query.js';
import { resolveQuery, type Curve, type ResolvedQuery } from '../search/resolve.js';
import { curveFactor, decayOf, retrievabilityNow } from '../stats/compute.js';
import type { SearchOptions, SearchRow, SearchSort } from '../store/api.js';
import type { Context } from './context.js';

export const SEARCH_SORTS: readonly SearchSort[] = ['deck', 'id', 'due', 'added', 'interval', 'lapses', 'reps', 'stability', 'difficulty'];
export const STATE_NAMES = ['new', 'learning', 'review', 'relearning'] as const;

/** A card as search returns it: every field, ready for JSON or a table. */
export interface CardHit {
  id: number;
  guid: string;
  deck: string;
  deckId: number;
  uid: string;
  note: string;
  type: CardContent['type'];
  content: CardContent & CardExtras;
  tags: string[];
  state: (typeof STATE_NAMES)[number];
  /** Epoch ms; null for a new card. */
  due: number | null;
  /** Days to the next review as scheduled; null for a new card. */
  intervalDays: number | null;
  stability: number | null;
  difficulty: number | null;
  /** Probability of recall now, from the deck's forgetting curve; null for a card never answered. */
  retrievability: number | null;
  reps: number;
  lapses: number;
  lastReview: number | null;
  suspended: boolean;
  buried: boolean;
  removed: boolean;
  leech: boolean;
  added: number;
}

const curveOf = (parameters: readonly number[] | null): Curve => {
  const decay = decayOf(parameters);
  return { factor: curveFactor(decay), decay };
};

/** Parses and binds a query to this collection now; a malformed query throws `column N: ...` (exit 2). */
export function resolveSearch(ctx: Context, text: string): ResolvedQuery {
  const node = parseQuery(text);
  const now = ctx.clock();
  const today = ctx.day(now);
  const start = (day: number) => dayStartInstant(day, ctx.timeZone, ctx.settings.dayStartHour);
  const decks = ctx.store.decks();
  const deckCurves: Record<number, Curve> = {};
  for (const d of decks) {
    if (ctx.presetOf(d.id) !== null && ctx.optionsFor(d.id).parameters !== ctx.settings.parameters) deckCurves[d.id] = curveOf(ctx.optionsFor(d.id).parameters);
  }
  return resolveQuery(node, {
    decks,
    now,
    todayStart: start(today),
    dayEnd: ctx.dayEnd(now),
    daysAgoStart: (days) => start(today - days + 1),
    curve: curveOf(ctx.settings.parameters),
    deckCurves,
  });
}

/** Ids of every card a query matches (for bulk actions and `export deck --query`), in id order. */
export function searchCardIds(ctx: Context, text: string): number[] {
  return ctx.store.searchIds(resolveSearch(ctx, text));
}

/** A query's matches (a page of them, by `limit`/`offset`) and how many there are in all. */
export function searchCards(ctx: Context, text: string, opts: SearchOptions = {}): { total: number; cards: CardHit[] } {
  if (opts.sort !== undefined && !SEARCH_SORTS.includes(opts.sort)) {
    throw new RecallError('bad-sort', `Cannot sort by "${opts.sort}"`, { hint: `sort by one of: ${SEARCH_SORTS.join(', ')}`, exitCode: 2 });
  }
  const q = resolveSearch(ctx, text);
  const { total, rows } = ctx.store.searchCards(q, opts);
  return { total, cards: rows.map((r) => toHit(ctx, r, q.now)) };
}

export function toHit(ctx: Context, r: SearchRow, now: number): CardHit {
  const content = JSON.parse(r.contentJson) as CardContent & CardExtras;
  const answered = r.state !== 0;
  const tags = content.tags ?? [];
  return {
    id: r.id,
    guid: r.guid,
    deck: r.deckName,
    deckId: r.deckId,
    uid: r.uid,
    note: r.noteUid,
    type: content.type,
    content,
    tags,
    state: STATE_NAMES[r.state as 0 | 1 | 2 | 3] ?? 'new',
    due: answered ? r.due : null,
    intervalDays: answered ? r.intervalDays : null,
    stability: answered ? r.stability : null,
    difficulty: answered ? r.difficulty : null,
    retrievability: answered && r.stability !== null ? retrievabilityNow({ stability: r.stability, lastReview: r.lastReview }, now, decayOf(ctx.optionsFor(r.deckId).parameters)) : null,
    reps: r.reps,
    lapses: r.lapses,
    lastReview: r.lastReview,
    suspended: r.suspended,
    buried: r.buriedUntil !== null && r.buriedUntil > now,
    removed: r.removed,
    leech: tags.includes(LEECH_TAG),
    added: r.createdAt,
  };
}
