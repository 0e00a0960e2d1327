// The search query compiled to SQL. Every value of the query reaches SQLite as a bound parameter: the SQL text of a
// query depends only on its shape (which keys, which operators, how nested), never on what was typed, so no input
// can change what the statement does. Patterns are matched by `recall_match`, a linear matcher (src/search/match.ts)
// registered on the connection: SQLite's own GLOB and LIKE backtrack on many wildcards.
import type { Statement } from 'better-sqlite3';
import type { Db } from './db.js';
import { fieldsText, matchHierarchical, matchPattern } from '../search/match.js';
import type { Pattern } from '../search/query.js';
import type { ResolvedNode, ResolvedQuery, ResolvedTerm } from '../search/resolve.js';
import type { SearchOptions, SearchRow, SearchSort, SearchStore } from './api.js';

export interface CompiledQuery {
  /** A boolean SQL expression over `c` (cards) and `s` (schedules, LEFT JOINed when `usesSchedule`). */
  where: string;
  params: unknown[];
  usesSchedule: boolean;
}

const OPS: Record<string, string> = { '=': '=', '!=': '!=', '<': '<', '<=': '<=', '>': '>', '>=': '>=' };

const MATCH_MODE = { anchored: 0, contains: 1, hierarchical: 2 } as const;

/**
 * The same query compiled for the same shape always gives the same SQL text (tests hold it to that): which keys,
 * operators and nesting, and how many decks or ids a term stands for; never the text typed.
 */
export function compileQuery(q: ResolvedQuery): CompiledQuery {
  const params: unknown[] = [];
  let usesSchedule = false;
  const bind = (v: unknown) => {
    params.push(v);
    return '?';
  };
  // Buried cards are few and have a partial index of their own: asking it keeps a filter on the cards_counts index,
  // where reading each card's buried_until would visit every matching row.
  const buried = () => `SELECT b.id FROM cards b WHERE b.buried_until > ${bind(q.now)}`;
  const term = (t: ResolvedTerm): string => {
    switch (t.key) {
      case 'text':
        return `recall_match(${bind(JSON.stringify(t.pattern.parts))}, recall_fields(c.content), ${MATCH_MODE.contains})`;
      case 'deck':
        // One placeholder per deck: with the list's length known, SQLite walks the cards_counts index per deck
        // (through json_each it guessed the list's size and scanned every card).
        return `c.deck_id IN (${t.deckIds.map((id) => bind(id)).join(', ')})`;
      case 'tag':
        if (t.pattern === null) return `coalesce(json_array_length(c.content, '$.tags'), 0) = 0`;
        return `EXISTS (SELECT 1 FROM json_each(c.content, '$.tags') t WHERE recall_match(${bind(JSON.stringify(t.pattern.parts))}, t.value, ${MATCH_MODE.hierarchical}))`;
      case 'is':
        switch (t.value) {
          case 'new':
            return 'c.state = 0';
          case 'learn':
            return 'c.state IN (1, 3)';
          case 'review':
            return 'c.state IN (2, 3)';
          case 'due':
            // As a session would show them: reviews due before today ends, learning cards due now; not set aside.
            // Written as one range (state 1-3, due before today ends) and a check, so the cards_counts index serves
            // it: learning cards due now are due before the day ends too.
            return `(c.suspended = 0 AND c.state IN (1, 2, 3) AND c.due < ${bind(q.dayEnd)} AND (c.state = 2 OR c.due <= ${bind(q.now)})
              AND c.id NOT IN (${buried()}))`;
          case 'suspended':
            return 'c.suspended = 1';
          case 'buried':
            return `c.id IN (${buried()})`;
          case 'leech':
            return `EXISTS (SELECT 1 FROM json_each(c.content, '$.tags') t WHERE t.value = ${bind('leech')})`;
          case 'removed':
            return 'c.removed = 1';
        }
        break;
      case 'type':
        return `c.type = ${bind(t.value)}`;
      case 'prop': {
        const op = OPS[t.op]!;
        usesSchedule = true;
        switch (t.field) {
          case 'ivl':
            return `(c.state != 0 AND s.scheduled_days ${op} ${bind(t.value)})`;
          case 'due':
            return `(c.state != 0 AND floor((c.due - ${bind(q.todayStart)}) / 86400000.0) ${op} ${bind(t.value)})`;
          case 'lapses':
            return `coalesce(s.lapses, 0) ${op} ${bind(t.value)}`;
          case 'reps':
            return `coalesce(s.reps, 0) ${op} ${bind(t.value)}`;
          case 'stability':
            return `(c.state != 0 AND s.stability ${op} ${bind(t.value)})`;
          case 'difficulty':
            return `(c.state != 0 AND s.difficulty ${op} ${bind(t.value)})`;
          case 'retrievability': {
            // The forgetting curve of the card's deck (its preset's parameters), as recall stats computes it. The
            // parameters are bound in the order their placeholders appear in the text.
            const curves = JSON.stringify(Object.fromEntries(Object.entries(q.deckCurves).map(([id, c]) => [`d${id}`, [c.factor, c.decay]])));
            const factor = `coalesce(json_extract(${bind(curves)}, '$.d' || c.deck_id || '[0]'), ${bind(q.curve.factor)})`;
            const elapsed = `max(0, (${bind(q.now)} - s.last_review) / 86400000.0)`;
            const decay = `coalesce(json_extract(${bind(curves)}, '$.d' || c.deck_id || '[1]'), ${bind(q.curve.decay)})`;
            return `(c.state != 0 AND s.last_review IS NOT NULL AND s.stability > 0 AND pow(1 + ${factor} * ${elapsed} / s.stability, -${decay}) ${op} ${bind(t.value)})`;
          }
        }
        break;
      }
      case 'rated':
        return `EXISTS (SELECT 1 FROM reviews r WHERE r.card_id = c.id AND r.reviewed_at >= ${bind(t.since)} AND r.rating > 0 AND r.undone_at IS NULL${
          t.grade === null ? '' : ` AND r.rating = ${bind(t.grade)}`
        })`;
      case 'added':
        return `c.created_at >= ${bind(t.since)}`;
      case 'id':
        return `c.id IN (${t.ids.map((id) => bind(id)).join(', ')})`;
    }
    throw new Error(`unhandled search term ${JSON.stringify(t)}`);
  };
  const node = (n: ResolvedNode): string => {
    switch (n.kind) {
      case 'all':
        return '1';
      case 'term':
        return term(n.term);
      case 'not':
        // NULL (an unknown value) counts as not matching, so its negation matches.
        return `NOT coalesce((${node(n.item)}), 0)`;
      case 'and':
      case 'or':
        return `(${n.items.map(node).join(n.kind === 'and' ? ' AND ' : ' OR ')})`;
    }
  };
  const body = node(q.root);
  const where = q.includeRemoved ? body : `c.removed = 0 AND ${body}`;
  return { where, params, usesSchedule };
}

/** Sort keys, most significant first; `NULL` last whichever the direction (new cards have no due or interval). */
const SORTS: Record<SearchSort, { expr: string; nullsLast?: boolean }[]> = {
  // By deck, then when due; new cards last, in deck order. The position is read only for new cards: for the rest the
  // cards_counts index holds every key, so sorting thousands of due cards never touches the table.
  deck: [{ expr: 'd.name' }, { expr: 'c.state = 0' }, { expr: 'CASE WHEN c.state != 0 THEN c.due END' }, { expr: 'CASE WHEN c.state = 0 THEN c.position END' }, { expr: 'c.id' }],
  id: [{ expr: 'c.id' }],
  due: [{ expr: 'c.due', nullsLast: true }, { expr: 'c.id' }],
  added: [{ expr: 'c.created_at' }, { expr: 'c.id' }],
  interval: [{ expr: 's.scheduled_days', nullsLast: true }, { expr: 'c.id' }],
  lapses: [{ expr: 'coalesce(s.lapses, 0)' }, { expr: 'c.id' }],
  reps: [{ expr: 'coalesce(s.reps, 0)' }, { expr: 'c.id' }],
  stability: [{ expr: 's.stability', nullsLast: true }, { expr: 'c.id' }],
  difficulty: [{ expr: 's.difficulty', nullsLast: true }, { expr: 'c.id' }],
};
export const SEARCH_SORTS = Object.keys(SORTS) as SearchSort[];

const ROW_SELECT = `SELECT c.id, c.guid, c.deck_id AS deckId, d.name AS deckName, c.uid, c.note_uid AS noteUid, c.type, c.content,
  c.suspended, c.buried_until AS buriedUntil, c.removed, c.position, c.created_at AS createdAt, c.state, c.due,
  s.stability, s.difficulty, s.scheduled_days AS scheduledDays, s.reps, s.lapses, s.last_review AS lastReview`;

/** A small cache of parsed patterns: a statement calls the matcher once per row with the same few patterns. */
function patternCache() {
  const cache = new Map<string, Pattern>();
  return (json: string): Pattern => {
    let p = cache.get(json);
    if (!p) {
      if (cache.size > 256) cache.clear();
      p = { parts: JSON.parse(json) as string[], source: '' };
      cache.set(json, p);
    }
    return p;
  };
}

export function createSearchStore(db: Db, sql: (text: string) => Statement<unknown[]>): SearchStore {
  const pattern = patternCache();
  db.function('recall_match', { deterministic: true }, (parts: unknown, text: unknown, mode: unknown) => {
    if (typeof parts !== 'string' || typeof text !== 'string') return 0;
    const p = pattern(parts);
    if (mode === MATCH_MODE.hierarchical) return matchHierarchical(p, text) ? 1 : 0;
    return matchPattern(p, text, mode === MATCH_MODE.contains) ? 1 : 0;
  });
  db.function('recall_fields', { deterministic: true }, (content: unknown) => (typeof content === 'string' ? fieldsText(content) : ''));

  const from = (c: CompiledQuery, forceSchedule: boolean) =>
    `FROM cards c JOIN decks d ON d.id = c.deck_id${c.usesSchedule || forceSchedule ? ' LEFT JOIN schedules s ON s.card_id = c.id' : ''} WHERE ${c.where}`;

  return {
    searchCards(q: ResolvedQuery, opts: SearchOptions = {}): { total: number; rows: SearchRow[] } {
      const c = compileQuery(q);
      const limit = opts.limit === undefined || opts.limit <= 0 ? 0 : Math.trunc(opts.limit);
      const offset = Math.max(0, Math.trunc(opts.offset ?? 0));
      if (limit === 0 && offset === 0) {
        const rows = (sql(`${ROW_SELECT} ${from(c, true)} ORDER BY ${orderBy(opts)}`).all(...c.params) as RawRow[]).map(toRow);
        return { total: rows.length, rows };
      }
      // A page: the count, the page's ids in order (the sort keys only: SQLite keeps just the top rows), then the
      // page's rows by id. Sorting full rows to keep 100 of 17k cost ~250 ms; this costs ~10 ms.
      const total = sql(`SELECT count(*) FROM cards c${c.usesSchedule ? ' LEFT JOIN schedules s ON s.card_id = c.id' : ''} WHERE ${c.where}`).pluck().get(...c.params) as number;
      const page = sql(`SELECT c.id ${from(c, needsSchedule(opts))} ORDER BY ${orderBy(opts)} LIMIT ? OFFSET ?`).pluck().all(...c.params, limit === 0 ? -1 : limit, offset) as number[];
      if (page.length === 0) return { total, rows: [] };
      const byId = new Map(
        (sql(`${ROW_SELECT} FROM cards c JOIN decks d ON d.id = c.deck_id LEFT JOIN schedules s ON s.card_id = c.id WHERE c.id IN (SELECT value FROM json_each(?))`).all(JSON.stringify(page)) as RawRow[]).map(
          (r) => [r.id, toRow(r)],
        ),
      );
      return { total, rows: page.map((id) => byId.get(id)!) };
    },
    countCards(q: ResolvedQuery): number {
      const c = compileQuery(q);
      return sql(`SELECT count(*) ${from(c, false)}`).pluck().get(...c.params) as number;
    },
    searchIds(q: ResolvedQuery): number[] {
      const c = compileQuery(q);
      return sql(`SELECT c.id ${from(c, false)} ORDER BY c.id`).pluck().all(...c.params) as number[];
    },
  };
}

/** Whether a sort reads the schedule. */
function needsSchedule(opts: SearchOptions): boolean {
  return SORTS[opts.sort ?? 'deck'].some((k) => k.expr.includes('s.'));
}

/** ORDER BY for a sort, each key reversed for `reverse`. */
function orderBy(opts: SearchOptions): string {
  return SORTS[opts.sort ?? 'deck']
    .map((k) => `${k.nullsLast ? `${k.expr} IS NULL, ` : ''}${k.expr}${opts.reverse ? ' DESC' : ''}`)
    .join(', ');
}

interface RawRow {
  id: number;
  guid: string;
  deckId: number;
  deckName: string;
  uid: string;
  noteUid: string;
  type: string;
  content: string;
  suspended: number;
  buriedUntil: number | null;
  removed: number;
  position: number;
  createdAt: number;
  state: number;
  due: number | null;
  stability: number | null;
  difficulty: number | null;
  scheduledDays: number | null;
  reps: number | null;
  lapses: number | null;
  lastReview: number | null;
}

function toRow(r: RawRow): SearchRow {
  return {
    id: r.id,
    guid: r.guid,
    deckId: r.deckId,
    deckName: r.deckName,
    uid: r.uid,
    noteUid: r.noteUid,
    contentJson: r.content,
    suspended: r.suspended === 1,
    buriedUntil: r.buriedUntil,
    removed: r.removed === 1,
    position: r.position,
    createdAt: r.createdAt,
    state: r.state,
    due: r.due,
    stability: r.stability,
    difficulty: r.difficulty,
    intervalDays: r.scheduledDays,
    reps: r.reps ?? 0,
    lapses: r.lapses ?? 0,
    lastReview: r.lastReview,
  };
}
