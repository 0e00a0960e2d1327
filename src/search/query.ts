// The search query language (README "Searching"), modelled on Anki's: bare words and "quoted phrases" match any
// field, `key:value` terms filter, `-` negates, `or` and parentheses group. Pure: text in, a syntax tree or a
// located error out. The tokenizer is an explicit state machine over characters; the parser is a small recursive
// descent with a bounded depth. Nothing here knows SQL: src/store compiles the tree, with every value bound.
import { RecallError } from '../core/errors.js';
import { nearest } from '../core/suggest.js';
import { CARD_TYPES, type CardType, type Grade } from '../core/types.js';

/** A text pattern: `*` (unescaped) is a wildcard. `parts` are the literal pieces between wildcards, lowercased. */
export interface Pattern {
  parts: string[];
  /** The pattern as typed, for messages. */
  source: string;
}

export const IS_VALUES = ['new', 'learn', 'review', 'due', 'suspended', 'buried', 'leech', 'removed'] as const;
export type IsValue = (typeof IS_VALUES)[number];

export const PROP_FIELDS = ['ivl', 'due', 'lapses', 'reps', 'stability', 'difficulty', 'retrievability'] as const;
export type PropField = (typeof PROP_FIELDS)[number];
const PROP_ALIASES: Record<string, PropField> = { interval: 'ivl', s: 'stability', d: 'difficulty', r: 'retrievability' };

export const PROP_OPS = ['=', '!=', '<', '<=', '>', '>='] as const;
export type PropOp = (typeof PROP_OPS)[number];

export type Term =
  | { key: 'text'; pattern: Pattern }
  | { key: 'deck'; pattern: Pattern }
  /** `pattern` null: `tag:none`, cards without tags. */
  | { key: 'tag'; pattern: Pattern | null }
  | { key: 'is'; value: IsValue }
  | { key: 'type'; value: CardType }
  | { key: 'prop'; field: PropField; op: PropOp; value: number }
  | { key: 'rated'; days: number; grade: Grade | null }
  | { key: 'added'; days: number }
  | { key: 'id'; ids: number[] };

export type TermKey = Term['key'];
export const KEYS = ['deck', 'tag', 'is', 'type', 'prop', 'rated', 'added', 'id'] as const;

export type QueryNode =
  | { kind: 'all' }
  | { kind: 'and'; items: QueryNode[] }
  | { kind: 'or'; items: QueryNode[] }
  | { kind: 'not'; item: QueryNode }
  /** `column`: 1-based position of the term in the query, for messages about it (an unknown deck, say). */
  | { kind: 'term'; term: Term; column: number };

/** Bounds that keep any query cheap to parse, compile and run: SQLite's expression depth is never approached. */
export const MAX_QUERY_LENGTH = 2000;
export const MAX_TERMS = 64;
export const MAX_DEPTH = 16;
const MAX_DAYS = 36_500;

/** A query that cannot be read: `column N: what is wrong`, with what to do instead. Exit code 2 (usage). */
export function queryError(column: number, message: string, hint?: string): RecallError {
  return new RecallError('bad-query', `column ${column}: ${message}`, { column, hint: hint ?? 'see "Searching" in the README for the query syntax', exitCode: 2 });
}

// ---------------------------------------------------------------------------------------------------------------
// Tokenizer: a state machine over characters.

type Token =
  | { type: 'lparen' | 'rparen' | 'neg'; column: number }
  /** A word, possibly with quoted stretches. `chars` holds its characters with escapes resolved. */
  | { type: 'word'; column: number; chars: Char[]; bare: boolean };

interface Char {
  ch: string;
  /** 1-based column of the character in the query. */
  column: number;
  /** Escaped with `\`: never a wildcard or a key separator. */
  literal: boolean;
}

type LexState = 'between' | 'word' | 'quoted' | 'wordEscape' | 'quotedEscape';

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let state: LexState = 'between';
  let word: Extract<Token, { type: 'word' }> | null = null;
  let quoteColumn = 0;
  const startWord = (column: number) => {
    word = { type: 'word', column, chars: [], bare: true };
    tokens.push(word);
  };
  const push = (ch: string, column: number, literal: boolean) => word!.chars.push({ ch, column, literal });

  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    const column = i + 1;
    const space = /\s/.test(ch);
    switch (state) {
      case 'between':
        if (space) break;
        if (ch === '(' || ch === ')') tokens.push({ type: ch === '(' ? 'lparen' : 'rparen', column });
        else if (ch === '-') {
          if (i + 1 >= text.length || /\s/.test(text[i + 1]!)) {
            throw queryError(column, '"-" must be followed by the term it negates', 'write -term without a space, or "-" in quotes to search for it');
          }
          tokens.push({ type: 'neg', column });
        }
        else if (ch === '"') {
          startWord(column);
          word!.bare = false;
          quoteColumn = column;
          state = 'quoted';
        } else if (ch === '\\') {
          startWord(column);
          word!.bare = false;
          state = 'wordEscape';
        } else {
          startWord(column);
          push(ch, column, false);
          state = 'word';
        }
        break;
      case 'word':
        if (space) state = 'between';
        else if (ch === '(' || ch === ')') {
          tokens.push({ type: ch === '(' ? 'lparen' : 'rparen', column });
          state = 'between';
        } else if (ch === '"') {
          word!.bare = false;
          quoteColumn = column;
          state = 'quoted';
        } else if (ch === '\\') {
          word!.bare = false;
          state = 'wordEscape';
        } else push(ch, column, false);
        break;
      case 'quoted':
        if (ch === '"') state = 'word';
        else if (ch === '\\') state = 'quotedEscape';
        else push(ch, column, false);
        break;
      case 'wordEscape':
      case 'quotedEscape':
        push(ch, column, true);
        state = state === 'wordEscape' ? 'word' : 'quoted';
        break;
    }
  }
  if (state === 'quoted' || state === 'quotedEscape') throw queryError(quoteColumn, 'this quote is never closed', 'close the phrase with " (write \\" for a quote inside it)');
  if (state === 'wordEscape') throw queryError(text.length, 'a backslash at the end escapes nothing', 'remove it, or write \\\\ for a backslash');
  return tokens;
}

// ---------------------------------------------------------------------------------------------------------------
// Parser

const isWord = (t: Token | undefined, w: string): boolean =>
  t?.type === 'word' && t.bare && t.chars.length === w.length && t.chars.map((c) => c.ch).join('').toLowerCase() === w;

export function parseQuery(text: string): QueryNode {
  if (text.length > MAX_QUERY_LENGTH) throw queryError(MAX_QUERY_LENGTH + 1, `the query is longer than ${MAX_QUERY_LENGTH} characters`, 'search with fewer terms');
  const tokens = tokenize(text);
  let pos = 0;
  let terms = 0;
  const end = text.length + 1;
  const columnAt = (t: Token | undefined) => t?.column ?? end;

  const parseOr = (depth: number): QueryNode => {
    const items = [parseAnd(depth)];
    while (isWord(tokens[pos], 'or')) {
      const orTok = tokens[pos++]!;
      const next = tokens[pos];
      if (!next || next.type === 'rparen' || isWord(next, 'or')) throw queryError(orTok.column, '"or" needs a term after it');
      items.push(parseAnd(depth));
    }
    return items.length === 1 ? items[0]! : { kind: 'or', items };
  };

  const parseAnd = (depth: number): QueryNode => {
    const items: QueryNode[] = [];
    for (;;) {
      const t = tokens[pos];
      if (!t || t.type === 'rparen') break;
      if (isWord(t, 'or')) {
        if (items.length === 0) throw queryError(t.column, '"or" needs a term before it');
        break;
      }
      if (isWord(t, 'and')) {
        if (items.length === 0) throw queryError(t.column, '"and" needs a term before it');
        pos++;
        const next = tokens[pos];
        if (!next || next.type === 'rparen' || isWord(next, 'or') || isWord(next, 'and')) throw queryError(t.column, '"and" needs a term after it');
        continue;
      }
      items.push(parseUnary(depth));
    }
    if (items.length === 0) throw queryError(columnAt(tokens[pos]), 'a term is missing here');
    return items.length === 1 ? items[0]! : { kind: 'and', items };
  };

  const parseUnary = (depth: number): QueryNode => {
    const t = tokens[pos]!;
    if (t.type === 'neg') {
      pos++;
      const next = tokens[pos];
      if (!next || next.type === 'rparen' || isWord(next, 'or') || isWord(next, 'and')) {
        throw queryError(t.column, '"-" must be followed by the term it negates', 'write -term without a space, or quote "-" to search for it');
      }
      return { kind: 'not', item: parseUnary(depth) };
    }
    if (t.type === 'lparen') {
      if (depth >= MAX_DEPTH) throw queryError(t.column, `parentheses nest deeper than ${MAX_DEPTH} levels`, 'simplify the query');
      pos++;
      if (tokens[pos]?.type === 'rparen') throw queryError(t.column, 'empty parentheses', 'put a term inside them, or remove them');
      const inner = parseOr(depth + 1);
      if (tokens[pos]?.type !== 'rparen') throw queryError(t.column, 'this "(" is never closed', 'add the matching ")"');
      pos++;
      return inner;
    }
    if (t.type === 'rparen') throw queryError(t.column, '")" without a matching "("', 'remove it, or write \\) to search for it');
    pos++;
    if (++terms > MAX_TERMS) throw queryError(t.column, `more than ${MAX_TERMS} terms`, 'search with fewer terms');
    return { kind: 'term', term: parseTerm(t as Extract<Token, { type: 'word' }>), column: t.column };
  };

  if (tokens.length === 0) return { kind: 'all' };
  const node = parseOr(0);
  if (pos < tokens.length) {
    const t = tokens[pos]!;
    throw queryError(t.column, t.type === 'rparen' ? '")" without a matching "("' : 'unexpected text', 'remove it, or write \\) to search for it');
  }
  return node;
}

/** The word split at its first unescaped `:` when what precedes it is a key-like name; else plain text. */
function parseTerm(t: Extract<Token, { type: 'word' }>): Term {
  const chars = t.chars;
  const colon = chars.findIndex((c) => c.ch === ':' && !c.literal);
  const name = colon > 0 ? chars.slice(0, colon).map((c) => c.ch).join('') : '';
  if (colon > 0 && /^[A-Za-z]+$/.test(name) && chars.slice(0, colon).every((c) => !c.literal)) {
    const key = name.toLowerCase();
    const value = chars.slice(colon + 1);
    const valueColumn = value[0]?.column ?? chars[colon]!.column + 1;
    if (!(KEYS as readonly string[]).includes(key)) {
      const near = nearest(key, KEYS, 1)[0];
      throw queryError(
        t.column,
        `unknown key "${name}"${near ? ` (did you mean ${near}?)` : ''}`,
        `keys: ${KEYS.join(', ')}; to search for text with a colon, escape it: ${name}\\:...`,
      );
    }
    if (value.length === 0) throw queryError(valueColumn, `${key}: needs a value`, `e.g. ${EXAMPLES[key as (typeof KEYS)[number]]}`);
    return parseKeyed(key as (typeof KEYS)[number], value, valueColumn);
  }
  if (chars.length === 0) throw queryError(t.column, 'an empty phrase matches nothing useful', 'remove the empty quotes ""');
  return { key: 'text', pattern: toPattern(chars) };
}

const EXAMPLES: Record<(typeof KEYS)[number], string> = {
  deck: 'deck:Spanish or "deck:My Deck::Verbs*"',
  tag: 'tag:verbs',
  is: 'is:due',
  type: 'type:cloze',
  prop: 'prop:ivl>=10',
  rated: 'rated:7 or rated:7:1',
  added: 'added:30',
  id: 'id:123,456',
};

const text = (chars: Char[]) => chars.map((c) => c.ch).join('');

function toPattern(chars: Char[]): Pattern {
  const parts: string[] = [''];
  for (const c of chars) {
    if (c.ch === '*' && !c.literal) parts.push('');
    else parts[parts.length - 1] += c.ch;
  }
  // Consecutive wildcards are one: `a**b` is `a*b`.
  const merged = parts.filter((p, i) => i === 0 || i === parts.length - 1 || p !== '');
  return { parts: merged.map((p) => p.toLowerCase()), source: text(chars) };
}

function choose<T extends string>(raw: string, allowed: readonly T[], aliases: Record<string, T>, column: number, what: string): T {
  const v = raw.toLowerCase();
  if ((allowed as readonly string[]).includes(v)) return v as T;
  if (aliases[v]) return aliases[v]!;
  const found = nearest(v, [...allowed, ...Object.keys(aliases)], 1)[0];
  const near = found === undefined ? undefined : (aliases[found] ?? found);
  throw queryError(column, `unknown ${what} "${raw}"${near ? ` (did you mean ${near}?)` : ''}`, `${what}s: ${allowed.join(', ')}`);
}

function wholeNumber(raw: string, column: number, what: string, min: number, max: number): number {
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) throw queryError(column, `${what} must be a whole number from ${min} to ${max}, not "${raw}"`);
  return Number(raw);
}

function parseKeyed(key: (typeof KEYS)[number], value: Char[], column: number): Term {
  const raw = text(value);
  switch (key) {
    case 'deck':
      return { key: 'deck', pattern: toPattern(value) };
    case 'tag':
      if (raw.toLowerCase() === 'none' && value.every((c) => !c.literal)) return { key: 'tag', pattern: null };
      return { key: 'tag', pattern: toPattern(value) };
    case 'is':
      return { key: 'is', value: choose(raw, IS_VALUES, { learning: 'learn', suspend: 'suspended', bury: 'buried' }, column, 'state') };
    case 'type':
      return { key: 'type', value: choose(raw, CARD_TYPES, { 'true-false': 'truefalse', multiple: 'multi', select: 'multi' }, column, 'type') };
    case 'prop': {
      const m = /^([A-Za-z]+)(<=|>=|!=|=|<|>)(.*)$/.exec(raw);
      if (!m) {
        const field = /^[A-Za-z]*/.exec(raw)![0];
        if (field) choose(field, PROP_FIELDS, PROP_ALIASES, column, 'property');
        throw queryError(column + field.length, `prop: needs an operator (${PROP_OPS.join(' ')}) and a number after "${field || 'the property'}"`, 'e.g. prop:ivl>=10');
      }
      const field = choose(m[1]!, PROP_FIELDS, PROP_ALIASES, column, 'property');
      const numberColumn = column + m[1]!.length + m[2]!.length;
      const n = m[3]!;
      if (!/^-?\d+(\.\d+)?$/.test(n) || n.length > 20) throw queryError(numberColumn, `"${n}" is not a number`, 'e.g. prop:ivl>=10 or prop:retrievability<0.8');
      return { key: 'prop', field, op: m[2] as PropOp, value: Number(n) };
    }
    case 'rated': {
      const [days, grade, ...rest] = raw.split(':');
      if (rest.length) throw queryError(column, `rated: takes days and at most one grade, not "${raw}"`, 'e.g. rated:7 or rated:7:1 (1 Again ... 4 Easy)');
      const d = wholeNumber(days!, column, 'rated: days', 1, MAX_DAYS);
      if (grade === undefined) return { key: 'rated', days: d, grade: null };
      return { key: 'rated', days: d, grade: wholeNumber(grade, column + days!.length + 1, 'the grade', 1, 4) as Grade };
    }
    case 'added':
      return { key: 'added', days: wholeNumber(raw, column, 'added: days', 1, MAX_DAYS) };
    case 'id': {
      const ids: number[] = [];
      let offset = 0;
      for (const part of raw.split(',')) {
        if (ids.length >= 1000) throw queryError(column + offset, 'id: takes at most 1000 ids');
        ids.push(wholeNumber(part, column + offset, 'a card id', 1, Number.MAX_SAFE_INTEGER));
        offset += part.length + 1;
      }
      return { key: 'id', ids };
    }
  }
}

/** Every term of a tree, with its column. */
export function termsOf(node: QueryNode): { term: Term; column: number }[] {
  switch (node.kind) {
    case 'all':
      return [];
    case 'term':
      return [{ term: node.term, column: node.column }];
    case 'not':
      return termsOf(node.item);
    case 'and':
    case 'or':
      return node.items.flatMap(termsOf);
  }
}
