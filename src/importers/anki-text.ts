import { hash } from 'node:crypto';
import { basename, extname } from 'node:path';
import { parse } from 'csv-parse/sync';
import { RecallError } from '../core/errors.js';
import type { ImportPlan, PlannedCard, PlannedDeck, PlannedReview } from '../core/import-plan.js';
import type { CardContent } from '../core/types.js';
import { diag, type ImportDiagnostic } from './diagnostics.js';
import { clozeLimitProblem } from '../decks/cloze.js';
import { htmlToText, stripControl } from './html.js';
import { needsSanitizing } from '../core/text.js';

export { planErrors, type ImportDiagnostic } from './diagnostics.js';

// Anki's "Notes in Plain Text" format: optional `#key:value` header lines, then one note per row.
// Whole-file problems (bad header value, unclosed quote) throw a RecallError with file:line; per-row problems
// become ImportDiagnostics in plan.warnings, 'error' ones meaning the plan must not be applied.

export interface AnkiTextOptions {
  /** Put every note into this deck, whatever the file says. */
  deck?: string;
}

const MAX_FIELD_CHARS = 2 ** 20;

/** A text row has no history: its cards share one empty list, frozen so that nothing can add to it. */
const NO_REVIEWS = Object.freeze([]) as unknown as PlannedReview[];

const SEPARATOR_NAMES: Record<string, string> = {
  comma: ',', semicolon: ';', tab: '\t', space: ' ', pipe: '|', colon: ':',
};

type NoteKind = 'basic' | 'reversed' | 'optional-reversed' | 'cloze' | 'typed';

const NOTETYPES: Record<string, NoteKind> = {
  '': 'basic',
  basic: 'basic',
  'basic (and reversed card)': 'reversed',
  'basic (optional reversed card)': 'optional-reversed',
  cloze: 'cloze',
  'basic (type in the answer)': 'typed',
};

/** How many field columns each kind reads; a row with more is skipped. */
const FIELD_COUNT: Record<NoteKind, number> = { basic: 2, reversed: 2, 'optional-reversed': 3, cloze: 2, typed: 2 };
/** How many a row needs: a cloze note is whole without its Back Extra, any other needs a front and a back. */
const MIN_FIELDS: Record<NoteKind, number> = { basic: 2, reversed: 2, 'optional-reversed': 2, cloze: 1, typed: 2 };

function separatorName(sep: string): string {
  const named = Object.entries(SEPARATOR_NAMES).find(([, v]) => v === sep)?.[0];
  return named ? `a ${named}` : `"${sep}"`;
}

interface Header {
  separator?: string;
  html?: boolean;
  tags: string[];
  columnsRaw?: string;
  notetype?: string;
  deck?: string;
  notetypeColumn?: number;
  deckColumn?: number;
  tagsColumn?: number;
  guidColumn?: number;
}

const COLUMN_KEYS = {
  'notetype column': 'notetypeColumn',
  'deck column': 'deckColumn',
  'tags column': 'tagsColumn',
  'guid column': 'guidColumn',
} as const;

function parseSeparator(value: string, file: string, line: number): string {
  const named = SEPARATOR_NAMES[value.trim().toLowerCase()];
  if (named !== undefined) return named;
  // A literal one-character separator is taken as written (a space included).
  if ([...value].length === 1) return value;
  if ([...value.trim()].length === 1) return value.trim();
  throw new RecallError('anki-text-header', `Unknown separator "${value}"`, {
    file, line, hint: 'use one of Comma, Semicolon, Tab, Space, Pipe, Colon, or a single character',
  });
}

/** Reads the `#key:value` lines at the top. Returns the header and how many lines it spans. */
function readHeader(lines: string[], file: string, warnings: ImportDiagnostic[]): { header: Header; count: number } {
  const header: Header = { tags: [] };
  let count = 0;
  for (const raw of lines) {
    if (!raw.startsWith('#')) break;
    count++;
    const line = count;
    const m = /^#([a-zA-Z ]+):(.*)$/.exec(raw.replace(/\r$/, ''));
    if (!m) continue; // a comment before the data
    const key = m[1]!.trim().toLowerCase();
    const value = m[2]!;
    switch (key) {
      case 'separator':
        header.separator = parseSeparator(value, file, line);
        break;
      case 'html': {
        const v = value.trim().toLowerCase();
        if (v === 'true' || v === 'false') header.html = v === 'true';
        else warnings.push(diag('warning', file, line, `#html: expects true or false, got "${value.trim()}"; using false`));
        break;
      }
      case 'tags':
        header.tags.push(...value.split(/\s+/).filter(Boolean));
        break;
      case 'columns':
        header.columnsRaw = value;
        break;
      case 'notetype':
        header.notetype = value.trim();
        break;
      case 'deck':
        header.deck = value.trim();
        break;
      case 'notetype column':
      case 'deck column':
      case 'tags column':
      case 'guid column': {
        const n = Number(value.trim());
        if (!Number.isInteger(n) || n < 1) {
          throw new RecallError('anki-text-header', `#${key}: expects a column number from 1, got "${value.trim()}"`, {
            file, line, hint: 'columns are counted from 1, e.g. "#guid column:1"',
          });
        }
        header[COLUMN_KEYS[key]] = n;
        break;
      }
      default:
        // Unknown keys are comments to us, as they are to Anki.
        break;
    }
  }
  return { header, count };
}

/** Anki's guess when there is no `#separator:`: tab if the first data line has one, else ; or , by count. */
function guessSeparator(body: string): string {
  let first = '';
  for (let at = 0; at <= body.length; ) {
    const end = body.indexOf('\n', at);
    const l = body.slice(at, end === -1 ? body.length : end);
    if (l.trim() !== '' && !l.startsWith('#')) {
      first = l;
      break;
    }
    if (end === -1) break;
    at = end + 1;
  }
  if (first.includes('\t')) return '\t';
  const semis = first.split(';').length - 1;
  const commas = first.split(',').length - 1;
  if (semis === 0 && commas === 0) return '\t';
  return semis > commas ? ';' : ',';
}

function kindOf(notetype: string): NoteKind | undefined {
  return NOTETYPES[notetype.trim().toLowerCase()];
}

function defaultDeckName(file: string): string {
  const base = basename(file);
  return base.slice(0, base.length - extname(base).length) || 'Imported';
}

function hashText(text: string): string {
  // crypto.hash: one call, no Hash object per note (Node 20.12+).
  return hash('sha256', text, 'hex').slice(0, 16);
}

function clozeNumbers(text: string): number[] {
  const nums = new Set<number>();
  for (const m of text.matchAll(/\{\{c(\d+)::/g)) {
    const n = Number(m[1]);
    if (n > 0) nums.add(n);
  }
  return [...nums].sort((a, b) => a - b);
}

export function parseAnkiText(text: string, file: string, opts: AnkiTextOptions = {}): ImportPlan {
  const warnings: ImportDiagnostic[] = [];
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  // The `#` lines at the top are the header; the rest of the text, as it is, is the body.
  const head: string[] = [];
  let bodyStart = 0;
  while (src.charCodeAt(bodyStart) === 35 /* # */) {
    const end = src.indexOf('\n', bodyStart);
    head.push(src.slice(bodyStart, end === -1 ? src.length : end));
    bodyStart = end === -1 ? src.length : end + 1;
  }
  const { header, count: headerLines } = readHeader(head, file, warnings);
  const body = src.slice(bodyStart);
  const separator = header.separator ?? guessSeparator(body);
  const html = header.html ?? false;

  // Special columns: 1-based header numbers, or names in #columns: when no number was given.
  const columnNames = header.columnsRaw !== undefined ? header.columnsRaw.split(separator).map((c) => c.trim()) : undefined;
  const byName = (name: string): number | undefined => {
    const i = columnNames?.findIndex((c) => c.toLowerCase() === name) ?? -1;
    return i >= 0 ? i : undefined;
  };
  const special = {
    guid: header.guidColumn !== undefined ? header.guidColumn - 1 : byName('guid'),
    notetype: header.notetypeColumn !== undefined ? header.notetypeColumn - 1 : byName('notetype'),
    deck: header.deckColumn !== undefined ? header.deckColumn - 1 : byName('deck'),
    tags: header.tagsColumn !== undefined ? header.tagsColumn - 1 : byName('tags'),
  };
  const specialSet = new Set(Object.values(special).filter((v): v is number => v !== undefined));

  const quoted = body.includes('"');
  let records: Records;
  try {
    records = quoted ? fromCsv(parse(body, {
      delimiter: separator,
      quote: '"',
      relax_column_count: true,
      relax_quotes: true,
      info: true,
      comment: '#',
      comment_no_infix: true,
      skip_empty_lines: true,
    }) as unknown as { record: string[]; info: { lines: number } }[]) : splitUnquoted(body, separator);
  } catch (e) {
    const err = e as { message?: string; lines?: number };
    throw new RecallError('anki-text-parse', `Cannot read the rows: ${err.message ?? String(e)}`, {
      file,
      line: headerLines + (err.lines ?? 1),
      hint: 'check the quoting near this line: a field that starts with " must end with " (write "" for a quote inside it)',
    });
  }

  const decks = new Map<string, PlannedDeck>();
  /** Per deck, the notes taken (a note is its deck and its id). */
  const seen = new Map<string, Set<string>>();
  let notes = 0;
  const unknownNotetypes = new Set<string>();
  // Sanitizing is a no-op on text with none of the characters it removes: when the whole body has none, no field has
  // any (outside quotes every \r ends a line, so no field holds one).
  const inert = !html && !needsSanitizing(quoted ? body : body.replace(/\r/g, ''));
  const fieldText = (v: string): string => (inert ? v.trim() : html ? htmlToText(v) : stripControl(v).trim());
  let rows = 0;
  let shapeErrors = 0;
  // Per file, not per row: a big export has tens of thousands of rows.
  const fileDeck = header.deck || defaultDeckName(file);
  const kinds = new Map<string, NoteKind | undefined>();
  const columnsFor = new Map<number, number[]>();
  const headerTags = [...new Set(header.tags)];
  const cell = (record: string[], i: number | undefined): string => (i === undefined ? '' : (record[i] ?? '').trim());

  for (let r = 0; r < records.rows.length; r++) {
    const record = records.rows[r]!;
    // The record's last line; quoted newlines inside it push the first line back.
    let newlines = 0;
    if (quoted) for (const f of record) for (let at = f.indexOf('\n'); at !== -1; at = f.indexOf('\n', at + 1)) newlines++;
    const line = headerLines + records.lines[r]! - newlines;
    let blank = true;
    for (const f of record) {
      if (f.trim() !== '') {
        blank = false;
        break;
      }
    }
    if (blank) continue;
    rows++;
    // No card holds a megabyte of text; such a field is a broken export or an attack on memory and the terminal.
    const huge = record.findIndex((f) => f.length > MAX_FIELD_CHARS);
    if (huge >= 0) {
      warnings.push(diag('error', file, line, `Field ${huge + 1} is ${(record[huge]!.length / 2 ** 20).toFixed(1)} MB long; fields are limited to 1 MB: skipped`, 'check the quoting before this line: an unclosed " swallows the rest of the file'));
      continue;
    }

    const notetype = cell(record, special.notetype) || header.notetype || 'Basic';
    let kind = kinds.get(notetype);
    if (!kinds.has(notetype)) kinds.set(notetype, (kind = kindOf(notetype)));
    if (kind === undefined) {
      if (!unknownNotetypes.has(notetype)) {
        unknownNotetypes.add(notetype);
        warnings.push(diag('warning', file, line, `Unknown note type "${notetype}": imported as basic from its first two fields`, 'recall knows Basic, Basic (and reversed card), Basic (optional reversed card), Basic (type in the answer) and Cloze'));
      }
      kind = 'basic';
    }

    const expected = columnNames?.length ?? FIELD_COUNT[kind] + specialSet.size;
    // Empty fields at the end of a row (a trailing separator) are no fields at all.
    let width = record.length;
    while (width > expected && (record[width - 1] ?? '').trim() === '') width--;
    if (width > expected) {
      shapeErrors++;
      warnings.push(diag('error', file, line, `Row has ${width} fields but ${expected} are expected: skipped`, 'check the separator, or quote fields that contain it (write "" for a quote inside a quoted field)'));
      continue;
    }
    const needed = (columnNames?.length ?? MIN_FIELDS[kind] + specialSet.size);
    if (width < needed) {
      shapeErrors++;
      warnings.push(diag('error', file, line, `Row has ${width} field${width === 1 ? '' : 's'} but a ${notetype} note needs ${needed}: skipped`, `separate the fields with ${separatorName(separator)}, or name the separator in a "#separator:" line at the top`));
      continue;
    }
    const span = Math.max(expected, record.length);
    let fieldCols = columnsFor.get(span);
    if (!fieldCols) {
      fieldCols = [];
      for (let i = 0; i < span; i++) if (!specialSet.has(i)) fieldCols.push(i);
      columnsFor.set(span, fieldCols);
    }
    // The kind's fields in column order (every kind reads two or three); missing ones are empty.
    const fieldCount = FIELD_COUNT[kind];
    const first = fieldCols.length > 0 ? fieldText(record[fieldCols[0]!] ?? '') : '';
    const second = fieldCols.length > 1 ? fieldText(record[fieldCols[1]!] ?? '') : '';
    const third = fieldCount > 2 && fieldCols.length > 2 ? fieldText(record[fieldCols[2]!] ?? '') : '';

    if (first === '') {
      warnings.push(diag('error', file, line, 'The first field is empty: skipped', 'every note needs its first field; fill it in or delete the row'));
      continue;
    }

    const guid = cell(record, special.guid);
    const noteUid = guid ? `anki:${guid}` : `ankitxt:${hashText(first)}`;
    const deckName = opts.deck ?? (cell(record, special.deck) || fileDeck);
    let seenInDeck = seen.get(deckName);
    if (!seenInDeck) seen.set(deckName, (seenInDeck = new Set()));
    if (seenInDeck.has(noteUid)) {
      warnings.push(diag('error', file, line, guid ? `Duplicate guid "${guid}": skipped` : 'Duplicate first field: skipped', 'without a guid column, notes are identified by their first field'));
      continue;
    }

    const rowTags = cell(record, special.tags);
    const tags = rowTags === '' ? (headerTags.length ? [...headerTags] : undefined) : [...new Set([...header.tags, ...rowTags.split(/\s+/).filter(Boolean)])];
    const base = (uid: string, content: CardContent): PlannedCard =>
      tags?.length ? { uid, noteUid, content, line, reviews: NO_REVIEWS, tags } : { uid, noteUid, content, line, reviews: NO_REVIEWS };
    let cards: PlannedCard | PlannedCard[];
    if (kind === 'optional-reversed') kind = third !== '' ? 'reversed' : 'basic';
    switch (kind) {
      case 'basic':
        cards = base(noteUid, { type: 'basic', front: first, back: second });
        break;
      case 'reversed':
        if (second === '') {
          warnings.push(diag('error', file, line, 'A reversed note needs a back field (the front of its reverse card): skipped', 'fill in the second field, or use the Basic note type'));
          continue;
        }
        cards = [
          base(noteUid, { type: 'reversed', front: first, back: second, direction: 'forward' }),
          base(`${noteUid}::r`, { type: 'reversed', front: first, back: second, direction: 'backward' }),
        ];
        break;
      case 'typed':
        if (second === '') {
          warnings.push(diag('error', file, line, 'A type-in-the-answer note needs an answer in its second field: skipped'));
          continue;
        }
        cards = base(noteUid, { type: 'typed', prompt: first, answers: [second] });
        break;
      case 'cloze': {
        const nums = clozeNumbers(first);
        if (nums.length === 0) {
          warnings.push(diag('error', file, line, 'A cloze note without deletions: skipped', 'mark deletions as {{c1::answer}} or {{c1::answer::hint}}'));
          continue;
        }
        const tooMany = clozeLimitProblem(first, nums.length);
        if (tooMany) {
          warnings.push(diag('error', file, line, `${tooMany.message}: skipped`, tooMany.hint));
          continue;
        }
        cards = [];
        for (const n of nums) {
          const card = base(`${noteUid}::c${n}`, { type: 'cloze', text: first, index: n });
          if (second) card.explanation = second;
          cards.push(card);
        }
        break;
      }
    }
    seenInDeck.add(noteUid);
    notes++;
    let deck = decks.get(deckName);
    if (!deck) {
      deck = { name: deckName, cards: [] };
      decks.set(deckName, deck);
    }
    if (Array.isArray(cards)) deck.cards.push(...cards);
    else deck.cards.push(cards);
  }

  // A file most of whose rows have the wrong number of fields is not a deck (a one-column list, a licence, a
  // text saved with the wrong extension): refused whole, rather than imported as cards without backs.
  if (rows > 0 && shapeErrors > notes) {
    const firstProblem = warnings.find((w) => w.severity === 'error');
    throw new RecallError('not-a-deck', `This does not look like an Anki text export: ${notes === 0 ? 'none' : `only ${notes}`} of its ${rows} rows ${notes === 1 ? 'is a note' : 'are notes'}${firstProblem ? ` (line ${firstProblem.line}: ${firstProblem.message.replace(/: skipped$/, '')})` : ''}`, {
      file,
      hint: `an Anki text file has one note per line, its fields (front, back, ...) separated by ${separatorName(separator)}; Anki writes one with File > Export > Notes in Plain Text. A recall deck file ends in .deck`,
    });
  }
  return { file, format: 'anki-text', decks: [...decks.values()], warnings };
}

/** Rows as lists of fields, with the (1-based) line of the body each one ends on. */
interface Records {
  rows: string[][];
  lines: number[];
}

function fromCsv(parsed: { record: string[]; info: { lines: number } }[]): Records {
  return { rows: parsed.map((p) => p.record), lines: parsed.map((p) => p.info.lines) };
}

/**
 * Without a single quote character a row is a line and a field is what lies between separators: the same records
 * csv-parse gives (comments and blank lines skipped, 1-based lines), about ten times faster on a big export.
 */
function splitUnquoted(body: string, separator: string): Records {
  const rows: string[][] = [];
  const lines: number[] = [];
  const all = body.includes('\r') ? body.split(/\r?\n|\r/) : body.split('\n');
  for (let i = 0; i < all.length; i++) {
    const l = all[i]!;
    if (l === '' || l.charCodeAt(0) === 35 /* # */) continue;
    rows.push(l.split(separator));
    lines.push(i + 1);
  }
  return { rows, lines };
}
