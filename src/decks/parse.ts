// Parser and writer for recall deck files (docs/deck-format.md). The parser is a state machine over classified
// lines; it never throws on bad input: every problem becomes a Diagnostic with its line and a hint.
import { CARD_TYPES } from '../core/types.js';
import type { CardContent, CardExtras, CardSpec, CardType, ChoiceOption, ClassifyItem } from '../core/types.js';
import type { Diagnostic } from '../core/errors.js';
import { normalizeAnswer } from '../core/normalize.js';
import { clozeLimitProblem, clozeNumbers, parseCloze } from './cloze.js';

export interface DeckHeader {
  name: string;
  description: string;
  source: string;
}

/** The content of one entry, before it is expanded into cards. */
export type NoteBody =
  | { type: 'basic'; front: string; back: string }
  | { type: 'reversed'; front: string; back: string }
  | { type: 'cloze'; text: string }
  | { type: 'typed'; prompt: string; answers: string[] }
  | { type: 'choice'; prompt: string; options: ChoiceOption[] }
  | { type: 'multi'; prompt: string; options: ChoiceOption[] }
  | { type: 'truefalse'; statement: string; answer: boolean }
  | { type: 'classify'; prompt: string; categories: string[]; items: ClassifyItem[] };

/** One entry of a deck file: a separator line and its fields. */
export interface ParsedNote extends CardExtras {
  /** The id as written after the type; absent when the entry has none. */
  id?: string;
  /** `id`, or a provisional `~hash` of the type and main text when the entry has no id. */
  uid: string;
  /** False when `uid` is provisional: the sync then matches the entry by similar text. */
  hasId: boolean;
  type: CardType;
  /** 1-based line of the separator. */
  line: number;
  body: NoteBody;
  cards: CardSpec[];
}

export interface ParsedDeck {
  file: string;
  header: DeckHeader;
  /** Entries without errors; an entry with any diagnostic produces no note and no cards. */
  notes: ParsedNote[];
  cards: CardSpec[];
  /** Sorted by line. Any diagnostic means the file should not be synced. */
  diagnostics: Diagnostic[];
}

export const HEADER_KEYS = ['deck', 'description', 'source'] as const;
const COMMON_KEYS = ['explain', 'source', 'tags'] as const;

/** Keys each type accepts besides the common ones, required ones first. */
const TYPE_KEYS: Record<CardType, { required: string[]; optional: string[] }> = {
  basic: { required: ['Q', 'A'], optional: [] },
  reversed: { required: ['Q', 'A'], optional: [] },
  cloze: { required: ['T'], optional: [] },
  typed: { required: ['Q', 'A'], optional: ['accept'] },
  choice: { required: ['Q'], optional: [] },
  multi: { required: ['Q'], optional: [] },
  truefalse: { required: ['Q', 'A'], optional: [] },
  classify: { required: ['Q', 'categories'], optional: [] },
};

export function validKeys(type: CardType): string[] {
  const k = TYPE_KEYS[type];
  return [...k.required, ...k.optional, ...COMMON_KEYS];
}

const ID_RE = /^[A-Za-z0-9_.-]+$/;
/** The same bound as Anki imports: no card holds a megabyte of text. */
const MAX_VALUE_CHARS = 2 ** 20;

// ---------------------------------------------------------------------------------------------------------------
// Line classification: each physical line is classified once, without context; the state machine gives it meaning.

type Line =
  | { kind: 'blank' }
  | { kind: 'comment' }
  | { kind: 'separator'; rest: string }
  | { kind: 'continuation'; text: string }
  /** `asItem` is set when the line also reads as a classify item (`- [x] TEXT => CAT`): context decides. */
  | { kind: 'option'; correct: boolean; text: string; asItem?: { text: string; category: string } }
  | { kind: 'item'; text: string; category: string }
  | { kind: 'dash'; text: string }
  | { kind: 'keyValue'; key: string; value: string }
  | { kind: 'other'; text: string };

const OPTION_RE = /^-[ \t]+\[([ xX])\](?:[ \t]+(.*))?$/;
const KEY_RE = /^([A-Za-z][A-Za-z0-9_-]*):(.*)$/;

function classifyLine(raw: string): Line {
  if (/^\s*$/.test(raw)) return { kind: 'blank' };
  if (raw.startsWith('  ') || raw.startsWith('\t')) {
    // One level of indentation is syntax; deeper indentation belongs to the value (code, nested lists).
    return { kind: 'continuation', text: raw.slice(raw.startsWith('\t') ? 1 : 2).trimEnd() };
  }
  if (raw.startsWith('#')) return { kind: 'comment' };
  if (/^---(\s|$)/.test(raw)) return { kind: 'separator', rest: raw.slice(3).trim() };
  if (/^-(\s|$)/.test(raw)) {
    const body = raw.slice(1).trim();
    // The last `=>` splits, so an item's text may itself contain `=>`; categories cannot.
    const arrow = body.lastIndexOf('=>');
    const item = arrow === -1 ? undefined : { text: body.slice(0, arrow).trim(), category: body.slice(arrow + 2).trim() };
    const opt = OPTION_RE.exec(raw);
    if (opt) {
      const line: Line = { kind: 'option', correct: opt[1] !== ' ', text: (opt[2] ?? '').trim() };
      if (item) line.asItem = item;
      return line;
    }
    if (item) return { kind: 'item', ...item };
    return { kind: 'dash', text: body };
  }
  const kv = KEY_RE.exec(raw);
  if (kv) return { kind: 'keyValue', key: kv[1]!, value: kv[2]!.trim() };
  return { kind: 'other', text: raw.trim() };
}

// ---------------------------------------------------------------------------------------------------------------
// State machine

interface FieldDraft {
  key: string;
  line: number;
  /** First line is the text after the colon; the rest are continuation lines (blank ones kept inside). */
  lines: string[];
}

interface EntryDraft {
  type: CardType;
  id?: string;
  line: number;
  fields: Map<string, FieldDraft>;
  options: { correct: boolean; text: string; line: number }[];
  items: { text: string; category: string; line: number }[];
  /** Malformed option or item lines, already reported: counted so they do not also cause a 'too few' error. */
  brokenListLines: number;
  failed: boolean;
}

type State =
  | { kind: 'header' }
  | { kind: 'entry'; draft: EntryDraft }
  /** After a separator too broken to use: ignore lines until the next separator, so one typo is one error. */
  | { kind: 'skip' };

function fieldValue(f: FieldDraft): { value: string; valueLine: number } {
  let start = 0;
  while (start < f.lines.length && f.lines[start] === '') start++;
  return { value: f.lines.slice(start).join('\n'), valueLine: f.line + start };
}

function suggestKey(key: string, valid: readonly string[]): string | undefined {
  return valid.find((k) => k.toLowerCase() === key.toLowerCase());
}

function keyHint(key: string, valid: readonly string[], what: string): string {
  const near = suggestKey(key, valid);
  const list = `valid keys for ${what}: ${valid.join(', ')}`;
  return near ? `keys are case-sensitive: did you mean ${near}:? (${list})` : list;
}

function cyrb53(str: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < str.length; i++) {
    const ch = str.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36);
}

/** Provisional uid of an entry without id: stable while its type and (normalized) main text stay the same. */
export function provisionalUid(body: NoteBody): string {
  return `~${cyrb53(`${body.type}\n${normalizeAnswer(mainText(body))}`)}`;
}

/** The field that identifies an entry: the question, or the cloze text. */
export function mainText(body: NoteBody): string {
  switch (body.type) {
    case 'basic':
    case 'reversed':
      return body.front;
    case 'cloze':
      return body.text;
    case 'truefalse':
      return body.statement;
    default:
      return body.prompt;
  }
}

export function parseDeck(text: string, file: string): ParsedDeck {
  const diagnostics: Diagnostic[] = [];
  const report = (line: number, message: string, hint: string): void => {
    diagnostics.push({ file, line, message, hint });
  };
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);

  const headerFields = new Map<string, FieldDraft>();
  const notes: ParsedNote[] = [];
  const idLines = new Map<string, number>();
  const usedUids = new Set<string>();
  let state: State = { kind: 'header' };
  let open: FieldDraft | null = null;
  let pendingBlanks = 0;

  const fail = (line: number, message: string, hint: string): void => {
    report(line, message, hint);
    if (state.kind === 'entry') state.draft.failed = true;
  };

  const startEntry = (rest: string, line: number): State => {
    const words = rest.split(/\s+/).filter(Boolean);
    const typeWord = words[0];
    if (typeWord === undefined) {
      report(line, 'separator without a question type', `write \`--- TYPE [ID]\`; types: ${CARD_TYPES.join(', ')}`);
      return { kind: 'skip' };
    }
    if (!(CARD_TYPES as readonly string[]).includes(typeWord)) {
      const near = CARD_TYPES.find((t) => t === typeWord.toLowerCase());
      report(line, `unknown question type "${typeWord}"`, `${near ? `types are lowercase: did you mean ${near}? ` : ''}types: ${CARD_TYPES.join(', ')}`);
      return { kind: 'skip' };
    }
    const draft: EntryDraft = { type: typeWord as CardType, line, fields: new Map(), options: [], items: [], brokenListLines: 0, failed: false };
    const id = words[1];
    if (words.length > 2) {
      report(line, `unexpected text after the id: "${words.slice(2).join(' ')}"`, 'an id is one word of letters, digits, -, _ and .');
      draft.failed = true;
    }
    if (id !== undefined) {
      if (!ID_RE.test(id)) {
        report(line, `invalid id "${id}"`, 'ids use only letters, digits, -, _ and .');
        draft.failed = true;
      } else {
        const first = idLines.get(id);
        if (first !== undefined) {
          report(line, `duplicate id "${id}" (first used on line ${first})`, 'ids must be unique within the file; rename one of them');
          draft.failed = true;
        } else idLines.set(id, line);
        draft.id = id;
      }
    }
    return { kind: 'entry', draft };
  };

  const finishEntry = (d: EntryDraft): void => {
    const note = buildNote(d, fail, usedUids);
    if (note) notes.push(note);
  };

  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const cls = classifyLine(lines[i]!);

    if (cls.kind === 'continuation') {
      if (open) {
        for (; pendingBlanks > 0; pendingBlanks--) open.lines.push('');
        open.lines.push(cls.text);
      } else if (state.kind !== 'skip') {
        fail(lineNo, 'indented line without a field above it', 'indentation continues the `key: value` line above; start keys, options and items at the beginning of the line');
      }
      continue;
    }
    if (cls.kind === 'blank') {
      // A blank line inside a long value is kept only if another indented line follows.
      if (open) pendingBlanks++;
      continue;
    }
    open = null;
    pendingBlanks = 0;
    if (cls.kind === 'comment') continue;

    if (cls.kind === 'separator') {
      if (state.kind === 'entry') finishEntry(state.draft);
      state = startEntry(cls.rest, lineNo);
      continue;
    }

    switch (state.kind) {
      case 'skip':
        break;
      case 'header': {
        if (cls.kind === 'keyValue') {
          if ((HEADER_KEYS as readonly string[]).includes(cls.key)) {
            const prev = headerFields.get(cls.key);
            if (prev) fail(lineNo, `duplicate header key ${cls.key}: (first on line ${prev.line})`, 'give each header key once');
            else {
              open = { key: cls.key, line: lineNo, lines: [cls.value] };
              headerFields.set(cls.key, open);
            }
          } else {
            const isCardKey = CARD_TYPES.some((t) => validKeys(t).includes(cls.key));
            fail(
              lineNo,
              `key ${cls.key}: before the first card`,
              isCardKey
                ? 'start a card with a separator line `--- TYPE [ID]` before its fields'
                : keyHint(cls.key, HEADER_KEYS, 'the header'),
            );
          }
        } else if (cls.kind === 'other' && cls.text.startsWith('---')) {
          fail(lineNo, 'malformed separator', 'a separator is `--- TYPE [ID]`, with a space after the dashes');
        } else {
          fail(lineNo, 'line outside a card', 'the header holds only `deck:`, `description:` and `source:`; start a card with `--- TYPE [ID]`');
        }
        break;
      }
      case 'entry': {
        const d = state.draft;
        const listTypes = d.type === 'choice' || d.type === 'multi';
        switch (cls.kind) {
          case 'keyValue': {
            const valid = validKeys(d.type);
            if (!valid.includes(cls.key)) {
              fail(lineNo, `unknown key ${cls.key}: for a ${d.type} card`, keyHint(cls.key, valid, d.type));
              break;
            }
            const prev = d.fields.get(cls.key);
            if (prev) {
              fail(lineNo, `duplicate key ${cls.key}: (first on line ${prev.line})`, 'give each key once; continue long values on indented lines');
              break;
            }
            open = { key: cls.key, line: lineNo, lines: [cls.value] };
            d.fields.set(cls.key, open);
            break;
          }
          case 'option':
            if (listTypes) d.options.push({ correct: cls.correct, text: cls.text, line: lineNo });
            else if (d.type === 'classify' && cls.asItem) d.items.push({ ...cls.asItem, line: lineNo });
            else if (d.type === 'classify') {
              d.brokenListLines++;
              fail(lineNo, 'option line in a classify card', 'classify items are `- TEXT => CATEGORY`');
            } else fail(lineNo, `option line in a ${d.type} card`, 'option lines `- [x] TEXT` belong to choice and multi cards; indent a list that is part of a value');
            break;
          case 'item':
            if (listTypes) d.brokenListLines++;
            if (d.type === 'classify') d.items.push({ text: cls.text, category: cls.category, line: lineNo });
            else if (listTypes) fail(lineNo, 'option line without a box', 'write `- [x] TEXT` for a correct option and `- [ ] TEXT` for a wrong one');
            else fail(lineNo, `item line in a ${d.type} card`, 'item lines `- TEXT => CATEGORY` belong to classify cards; indent a list that is part of a value');
            break;
          case 'dash':
            if (listTypes || d.type === 'classify') d.brokenListLines++;
            if (d.type === 'classify') fail(lineNo, 'classify item without a category', 'write `- TEXT => CATEGORY`');
            else if (listTypes) fail(lineNo, 'option line without a box', 'write `- [x] TEXT` for a correct option and `- [ ] TEXT` for a wrong one');
            else fail(lineNo, `list line in a ${d.type} card`, 'list lines belong to choice, multi and classify cards; indent a list that is part of a value');
            break;
          case 'other':
            if (cls.text.startsWith('---')) fail(lineNo, 'malformed separator', 'a separator is `--- TYPE [ID]`, with a space after the dashes');
            else fail(lineNo, 'unrecognized line', 'fields are `key: value`; indent continuation lines with two spaces or a tab');
            break;
        }
        break;
      }
    }
  }
  if (state.kind === 'entry') finishEntry(state.draft);

  const header: DeckHeader = { name: '', description: '', source: '' };
  const headerKeyName = { deck: 'name', description: 'description', source: 'source' } as const;
  for (const [key, f] of headerFields) {
    const { value } = fieldValue(f);
    if (!value) report(f.line, `empty value for ${key}:`, key === 'deck' ? 'give the deck a name: `deck: NAME`' : `write a value after ${key}: or remove the line`);
    header[headerKeyName[key as (typeof HEADER_KEYS)[number]]] = value;
  }
  // First among the line-1 problems: it is the one to fix first.
  if (!headerFields.has('deck')) {
    diagnostics.unshift({ file, line: 1, message: 'missing `deck:` header', hint: 'start the file with `deck: NAME` before the first card' });
  }

  diagnostics.sort((a, b) => a.line - b.line);
  return { file, header, notes, cards: notes.flatMap((n) => n.cards), diagnostics };
}

/** Validate a finished entry and build its note; null (with diagnostics reported) when it has problems. */
function buildNote(
  d: EntryDraft,
  fail: (line: number, message: string, hint: string) => void,
  usedUids: Set<string>,
): ParsedNote | null {
  let ok = !d.failed;
  const err = (line: number, message: string, hint: string): void => {
    fail(line, message, hint);
    ok = false;
  };
  const values = new Map<string, { value: string; line: number; valueLine: number }>();
  for (const [key, f] of d.fields) {
    const v = fieldValue(f);
    // A blank back is a card of its own kind (Anki has front-only notes, and exports them): allowed when written.
    if (!v.value && key === 'A' && (d.type === 'basic' || d.type === 'reversed')) values.set(key, { ...v, line: f.line });
    else if (!v.value) err(f.line, `empty value for ${key}:`, `write a value after ${key}: or continue it on indented lines`);
    else if (v.value.length > MAX_VALUE_CHARS) err(f.line, `the value of ${key}: is ${(v.value.length / 2 ** 20).toFixed(1)} MB long; values are limited to 1 MB`, 'no card holds that much text; split it into several cards');
    else values.set(key, { ...v, line: f.line });
  }
  for (const key of TYPE_KEYS[d.type].required) {
    if (!d.fields.has(key)) err(d.line, `${d.type} card without ${key}:`, `add a line \`${key}: ...\`; keys for ${d.type}: ${validKeys(d.type).join(', ')}`);
  }
  const get = (key: string): string => values.get(key)?.value ?? '';

  let body: NoteBody | null = null;
  switch (d.type) {
    case 'basic':
    case 'reversed':
      body = { type: d.type, front: get('Q'), back: get('A') };
      break;
    case 'cloze': {
      const t = values.get('T');
      if (t) {
        const parsed = parseCloze(t.value);
        for (const p of parsed.problems) err(t.valueLine + countNewlines(t.value, p.offset), p.message, p.hint);
        if (!parsed.segments.some((s) => s.kind === 'deletion')) err(t.line, 'cloze without deletions', 'mark hidden text with {{answer}} or {{answer::hint}}');
        const numbers = new Set(parsed.segments.flatMap((s) => (s.kind === 'deletion' ? [s.number] : []))).size;
        const tooMany = clozeLimitProblem(t.value, numbers);
        if (tooMany) err(t.line, tooMany.message, tooMany.hint);
      }
      body = { type: 'cloze', text: get('T') };
      break;
    }
    case 'typed': {
      const accept = (values.get('accept')?.value ?? '').split('|').map((s) => s.trim()).filter(Boolean);
      const acc = values.get('accept');
      if (acc && accept.length === 0) err(acc.line, 'empty value for accept:', 'list other accepted answers separated by |');
      body = { type: 'typed', prompt: get('Q'), answers: [get('A'), ...accept.filter((a) => a !== get('A'))] };
      break;
    }
    case 'choice':
    case 'multi': {
      checkOptions(d, err);
      body = { type: d.type, prompt: get('Q'), options: d.options.map((o) => ({ text: o.text, correct: o.correct })) };
      break;
    }
    case 'truefalse': {
      const a = values.get('A');
      let answer = false;
      if (a) {
        const v = a.value.toLowerCase();
        if (v === 'true') answer = true;
        else if (v !== 'false') err(a.line, `truefalse answer "${a.value}" is not true or false`, 'write `A: true` or `A: false`');
      }
      body = { type: 'truefalse', statement: get('Q'), answer };
      break;
    }
    case 'classify': {
      const c = values.get('categories');
      const categories = (c?.value ?? '').split('|').map((s) => s.trim()).filter(Boolean);
      if (c) {
        if (categories.length < 2) err(c.line, 'classify card with fewer than two categories', 'list the categories separated by |, e.g. `categories: AWS | Customer`');
        const seen = new Set<string>();
        for (const cat of categories) {
          if (seen.has(cat)) err(c.line, `duplicate category "${cat}"`, 'list each category once');
          if (cat.includes('=>')) err(c.line, `category "${cat}" contains =>`, '=> separates an item from its category');
          seen.add(cat);
        }
      }
      if (d.items.length + d.brokenListLines < 2) err(d.line, `classify card with ${d.items.length} item${d.items.length === 1 ? '' : 's'}`, 'add at least two lines `- TEXT => CATEGORY`');
      for (const it of d.items) {
        if (!it.text) err(it.line, 'classify item without text', 'write `- TEXT => CATEGORY`');
        if (!it.category) err(it.line, 'classify item without a category', 'write `- TEXT => CATEGORY`');
        else if (c && !categories.includes(it.category)) {
          err(it.line, `unknown category "${it.category}"`, `categories of this card: ${categories.join(', ')}`);
        }
      }
      body = { type: 'classify', prompt: get('Q'), categories, items: d.items.map((it) => ({ text: it.text, category: it.category })) };
      break;
    }
  }
  if (!ok || !body) return null;

  const extras: CardExtras = {};
  const explain = values.get('explain');
  if (explain) extras.explanation = explain.value;
  const source = values.get('source');
  if (source) extras.source = source.value;
  const tags = values.get('tags');
  if (tags) extras.tags = tags.value.split(/\s+/).filter(Boolean);

  let uid: string;
  if (d.id !== undefined) uid = d.id;
  else {
    const base = provisionalUid(body);
    uid = base;
    // Identical entries without ids would share a uid; number the later ones.
    for (let n = 2; usedUids.has(uid); n++) uid = `${base}.${n}`;
  }
  usedUids.add(uid);
  const note: ParsedNote = { uid, hasId: d.id !== undefined, type: d.type, line: d.line, body, ...extras, cards: [] };
  if (d.id !== undefined) note.id = d.id;
  note.cards = expandNote(note);
  return note;
}

function checkOptions(d: EntryDraft, err: (line: number, message: string, hint: string) => void): void {
  const q = d.fields.get('Q');
  const indentedList = q !== undefined && q.lines.some((l) => OPTION_RE.test(l.trim()));
  if (d.options.length + d.brokenListLines < 2) {
    err(
      d.line,
      `${d.type} card with ${d.options.length} option${d.options.length === 1 ? '' : 's'}`,
      indentedList
        ? 'option lines must start at the beginning of the line; indented ones continue Q:'
        : 'add at least two lines `- [x] TEXT` (correct) or `- [ ] TEXT` (wrong)',
    );
  }
  const seen = new Map<string, number>();
  for (const o of d.options) {
    if (!o.text) err(o.line, 'option without text', 'write `- [x] TEXT` or `- [ ] TEXT`');
    const first = seen.get(o.text);
    if (o.text && first !== undefined) err(o.line, `duplicate option "${o.text}" (first on line ${first})`, 'each option must differ');
    else seen.set(o.text, o.line);
  }
  const correct = d.options.filter((o) => o.correct);
  if (d.type === 'choice') {
    if (correct.length === 0 && d.options.length >= 2) err(d.line, 'choice card without a correct option', 'mark exactly one option `- [x] TEXT`; use `multi` for several');
    if (correct.length > 1) err(correct[1]!.line, `choice card with ${correct.length} correct options`, 'mark exactly one option `- [x]`; use `multi` for select-all-that-apply');
  } else if (correct.length === 0 && d.options.length >= 2) {
    err(d.line, 'multi card without a correct option', 'mark at least one option `- [x] TEXT`');
  }
}

function countNewlines(s: string, end: number): number {
  let n = 0;
  for (let i = 0; i < end && i < s.length; i++) if (s.charCodeAt(i) === 10) n++;
  return n;
}

function withExtras<T extends CardExtras>(target: T, src: CardExtras): T {
  if (src.explanation !== undefined) target.explanation = src.explanation;
  if (src.source !== undefined) target.source = src.source;
  if (src.tags !== undefined) target.tags = [...src.tags];
  return target;
}

/** The cards an entry produces: reversed → `ID` and `ID::r`; cloze → `ID::cN` per deletion number; others → `ID`. */
export function expandNote(note: Pick<ParsedNote, 'uid' | 'line' | 'body'> & CardExtras): CardSpec[] {
  const { uid, body } = note;
  const make = (cardUid: string, content: CardContent): CardSpec => {
    const spec: CardSpec = { uid: cardUid, noteUid: uid, content };
    withExtras(spec, note);
    if (note.line > 0) spec.line = note.line;
    return spec;
  };
  switch (body.type) {
    case 'reversed':
      return [
        make(uid, { type: 'reversed', front: body.front, back: body.back, direction: 'forward' }),
        make(`${uid}::r`, { type: 'reversed', front: body.front, back: body.back, direction: 'backward' }),
      ];
    case 'cloze':
      return clozeNumbers(body.text).map((n) => make(`${uid}::c${n}`, { type: 'cloze', text: body.text, index: n }));
    case 'basic':
      return [make(uid, { type: 'basic', front: body.front, back: body.back })];
    case 'typed':
      return [make(uid, { type: 'typed', prompt: body.prompt, answers: [...body.answers] })];
    case 'choice':
    case 'multi':
      return [make(uid, { type: body.type, prompt: body.prompt, options: body.options.map((o) => ({ ...o })) })];
    case 'truefalse':
      return [make(uid, { type: 'truefalse', statement: body.statement, answer: body.answer })];
    case 'classify':
      return [make(uid, { type: 'classify', prompt: body.prompt, categories: [...body.categories], items: body.items.map((i) => ({ ...i })) })];
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Writing

/** Whitespace the parser would drop anyway: trailing spaces per line and blank lines around the value. */
function cleanValue(v: string): string {
  // trim() on the joined lines, not a regex: `\n+$` retried at every newline of a long blank run is quadratic.
  const lines = v.replace(/\r\n|\r/g, '\n').split('\n').map((l) => l.trimEnd());
  let start = 0;
  let end = lines.length;
  while (start < end && lines[start] === '') start++;
  while (end > start && lines[end - 1] === '') end--;
  return lines.slice(start, end).join('\n').replace(/^[ \t]+/, '');
}

function writeField(out: string[], key: string, value: string): void {
  const [first, ...rest] = cleanValue(value).split('\n');
  out.push(first ? `${key}: ${first}` : `${key}:`);
  for (const l of rest) out.push(l ? `  ${l}` : '');
}

/** Option and item text must fit on one line. */
function oneLine(s: string): string {
  return s.split(/[\r\n]/).map((l) => l.trim()).filter(Boolean).join(' ');
}

/**
 * Write a deck in the recall format. For notes that came from parseDeck, parsing the output gives the same cards.
 * Text that the format cannot hold is adapted: newlines in options and items become spaces, invalid ids have
 * their invalid characters replaced by `-`, and entries without an id are written without one.
 */
export function serializeDeck(header: DeckHeader, notes: ParsedNote[]): string {
  const out: string[] = [];
  writeField(out, 'deck', header.name);
  if (header.description.trim()) writeField(out, 'description', header.description);
  if (header.source.trim()) writeField(out, 'source', header.source);
  const usedIds = new Set<string>();
  for (const note of notes) {
    out.push('');
    let sep = `--- ${note.body.type}`;
    if (note.hasId) {
      const base = (note.id ?? note.uid).replace(/[^A-Za-z0-9_.-]/g, '-') || 'card';
      let id = base;
      for (let n = 2; usedIds.has(id); n++) id = `${base}-${n}`;
      usedIds.add(id);
      sep += ` ${id}`;
    }
    out.push(sep);
    const b = note.body;
    switch (b.type) {
      case 'basic':
      case 'reversed':
        writeField(out, 'Q', b.front);
        writeField(out, 'A', b.back);
        break;
      case 'cloze':
        writeField(out, 'T', b.text);
        break;
      case 'typed': {
        const [canonical = '', ...others] = b.answers;
        writeField(out, 'Q', b.prompt);
        writeField(out, 'A', canonical);
        if (others.length) out.push(`accept: ${others.map(oneLine).join(' | ')}`);
        break;
      }
      case 'choice':
      case 'multi':
        writeField(out, 'Q', b.prompt);
        for (const o of b.options) out.push(`- [${o.correct ? 'x' : ' '}] ${oneLine(o.text)}`);
        break;
      case 'truefalse':
        writeField(out, 'Q', b.statement);
        out.push(`A: ${b.answer ? 'true' : 'false'}`);
        break;
      case 'classify':
        writeField(out, 'Q', b.prompt);
        out.push(`categories: ${b.categories.map(oneLine).join(' | ')}`);
        for (const it of b.items) out.push(`- ${oneLine(it.text)} => ${oneLine(it.category)}`);
        break;
    }
    if (note.explanation) writeField(out, 'explain', note.explanation);
    if (note.source) writeField(out, 'source', note.source);
    if (note.tags && note.tags.length) out.push(`tags: ${note.tags.join(' ')}`);
  }
  return `${out.join('\n')}\n`;
}

/** The entry a card's content belongs to (a reversed card's pair, a cloze card's text). */
export function noteBodyOf(c: CardContent): NoteBody {
  switch (c.type) {
    case 'reversed':
      return { type: 'reversed', front: c.front, back: c.back };
    case 'cloze':
      return { type: 'cloze', text: c.text };
    default:
      return c;
  }
}

/**
 * Group cards back into entries by noteUid: a reversed pair becomes one reversed entry, the cards of one cloze text
 * one cloze entry; every other card is its own entry. The notes' cards are re-expanded from the entry, so a lone
 * reversed card gains its sibling and a cloze entry has a card per deletion of its text.
 */
export function notesFromCards(cards: CardSpec[]): ParsedNote[] {
  const groups = new Map<string, CardSpec[]>();
  for (const c of cards) {
    const g = groups.get(c.noteUid);
    if (g) g.push(c);
    else groups.set(c.noteUid, [c]);
  }
  const notes: ParsedNote[] = [];
  const makeNote = (uid: string, first: CardSpec, body: NoteBody): void => {
    const note: ParsedNote = { uid, hasId: !uid.startsWith('~'), type: body.type, line: first.line ?? 0, body, cards: [] };
    if (note.hasId) note.id = uid;
    withExtras(note, first);
    note.cards = expandNote(note);
    notes.push(note);
  };
  for (const [noteUid, group] of groups) {
    const types = new Set(group.map((c) => c.content.type));
    const first = group[0]!;
    const t = first.content.type;
    if (types.size === 1 && (t === 'reversed' || t === 'cloze')) {
      // Prefer the forward card's text; both carry the same front and back.
      const src = group.find((c) => c.content.type === 'reversed' && c.content.direction === 'forward') ?? first;
      makeNote(noteUid, src, noteBodyOf(src.content));
    } else if (group.length === 1 && t !== 'reversed' && t !== 'cloze') {
      makeNote(noteUid, first, noteBodyOf(first.content));
    } else {
      for (const c of group) makeNote(c.uid, c, noteBodyOf(c.content));
    }
  }
  return notes;
}
