import { closeSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { RecallError } from '../core/errors.js';
import type { ImportPlan, PlannedCard, PlannedDeck, PlannedReview } from '../core/import-plan.js';
import { decodeRecallRecord, plausibleDay, type RecallNoteRecord } from '../core/recall-record.js';
import { plural } from '../core/plural.js';
import { sanitize } from '../core/text.js';
import { CardState, type AnkiOrigin, type CardContent } from '../core/types.js';
import { AnkiSchemaError, readAnkiSqlite, type AnkiRawCollection, type Loose } from '../store/anki-reader.js';
import { ankiGuid } from '../exporters/anki-note.js';
import { diag, type ImportDiagnostic } from './diagnostics.js';
import { htmlToText } from './html.js';
import { openInputFile } from './input.js';
import { int, num } from './loose.js';
import { ReviewLog, type RevlogRow } from './review-log.js';
import { startReviewLog, type PendingRevlog } from './revlog-read.js';
import { unpackCollection, unpackMedia } from './unpack.js';

export type { RevlogRow };

// Reads an Anki package (.apkg/.colpkg zip) or a bare collection (.anki2/.anki21) into an ImportPlan.
// Unreadable input throws a RecallError naming the file and what to do; located, non-fatal findings go to
// plan.warnings as ImportDiagnostics (line 0: a package has no lines).

export interface AnkiPackageOptions {
  /** Put every card into this deck instead of the Anki deck names. */
  deck?: string;
  /** A directory for the private copy of the collection; the user's file is never opened by SQLite. */
  tmpDir: string;
  /** The time of the import: review-log rows dated later than a day after it are skipped. */
  now?: number;
}

/** Where each revlog row went; the counts add up to `revlogRows`. */
export interface AnkiImportStats {
  notes: number;
  cards: number;
  revlogRows: number;
  /** Answers (rating 1-4) that replay: scheduled = true. */
  rated: number;
  /** Manual rows (reset, set due date, rescheduled): rating 0. */
  manual: number;
  /** Filtered-deck reviews that did not reschedule: scheduled = false. */
  cram: number;
  /** Answers before the card's last reset or last learning run: kept as history, scheduled = false. */
  superseded: number;
  /** Rows of cards that no longer exist in the collection: not imported. */
  orphaned: number;
  /** Rows whose ease was remapped from the v1 scheduler's 3-button learning. */
  remappedV1: number;
  /** Rows with values Anki never writes (ease 'abc', dates outside JavaScript's range) or dated in the future. */
  malformed: number;
}

const DAY_MS = 86_400_000;
const MAX_DURATION_MS = 3_600_000;
/** Same bound as text imports: no card holds a megabyte of text. Longer notes are skipped, never read into memory. */
export const MAX_NOTE_BYTES = 2 ** 20;
/** Templates are Anki's, but a hostile package could make them huge; the template renderer scans them a few times. */
const MAX_TEMPLATE_CHARS = 100_000;
/** A note with more cards than this is not studied card by card; Anki's largest image-occlusion notes stay well below. */
export const MAX_CARDS_PER_NOTE = 100;

const REEXPORT_HINT = "re-export it from Anki (File > Export, 'Anki Deck Package'), ticking 'Support older Anki versions' if the import still fails";
const CHECK_DB_HINT = 'in Anki, run Tools > Check Database, then export again';

/** Messages do not repeat the file name: RecallError.format() prints `file: message`. */
function fail(file: string, code: string, message: string, hint: string = REEXPORT_HINT): RecallError {
  return new RecallError(code, message, { file, hint });
}

/** A collection read but for its review log, which is being read meanwhile (src/importers/revlog-read.ts). */
interface ReadCollection {
  raw: AnkiRawCollection;
  /** The review log, once read; throws what reading it threw, as a RecallError naming the file. */
  log(): ReviewLog;
  /** Stops the log's reading if it still runs and removes the private copy. */
  dispose(): void;
}

function readCollection(path: string, tmpDir: string, latest: number): ReadCollection {
  let dir: string;
  try {
    dir = mkdtempSync(join(tmpDir, 'recall-anki-'));
  } catch (e) {
    throw new RecallError('tmp-dir', `Cannot create a temporary directory in ${tmpDir}: ${(e as Error).message}`, {
      hint: 'check that the directory exists and is writable',
    });
  }
  let pending: PendingRevlog | undefined;
  const dispose = () => {
    pending?.abandon();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const copy = join(dir, 'collection.sqlite');
    const { fd, size } = openInputFile(path, Number.MAX_SAFE_INTEGER, '');
    try {
      unpackCollection(fd, size, path, copy);
    } finally {
      closeSync(fd);
    }
    let raw: AnkiRawCollection;
    try {
      // The log's reading starts once the schema is checked, and runs while the other tables are read and planned.
      raw = readAnkiSqlite(copy, { maxNoteBytes: MAX_NOTE_BYTES, onChecked: () => (pending = startReviewLog(copy, latest)) });
    } catch (e) {
      throw collectionError(e, path, tmpDir);
    }
    const log = () => {
      try {
        return pending!.wait();
      } catch (e) {
        throw collectionError(e, path, tmpDir);
      }
    };
    return { raw, log, dispose };
  } catch (e) {
    dispose();
    throw e;
  }
}

/** What reading the collection threw, as the user should see it. */
function collectionError(e: unknown, path: string, tmpDir: string): RecallError {
  if (e instanceof RecallError) return e;
  if (e instanceof AnkiSchemaError) return fail(path, 'anki-unsupported', `Not an Anki collection recall can read: ${e.message}`, CHECK_DB_HINT);
  const msg = (e as Error).message || String(e);
  const code = (e as { code?: string }).code ?? '';
  if (code === 'SQLITE_NOTADB') {
    return fail(path, 'anki-not-collection', 'The collection is not a readable SQLite database (encrypted or damaged)');
  }
  if (code.startsWith('SQLITE_CORRUPT')) return fail(path, 'anki-corrupt', `The collection is damaged (${msg})`, CHECK_DB_HINT);
  if (code === 'SQLITE_FULL' || code === 'SQLITE_IOERR_WRITE') {
    return new RecallError('disk-full', `The disk is full: there is no room to read the collection in ${tmpDir}`, { file: path, hint: 'free some space (or point TMPDIR at a disk with room) and import again' });
  }
  return fail(path, 'anki-unsupported', `Not an Anki collection recall can read (${msg})`);
}

// ---------------------------------------------------------------------------------------------------------
// Note types

interface Template { name: string; qfmt: string; afmt: string }
interface NoteType { id: number; name: string; cloze: boolean; fields: string[]; templates: Template[]; css: string; sortField: number }

/** Top-level fields of a protobuf message: enough for Anki's notetype and template configs. */
function readProto(bytes: Uint8Array): Map<number, (number | Uint8Array)[]> {
  const out = new Map<number, (number | Uint8Array)[]>();
  let pos = 0;
  const varint = (): number => {
    let result = 0;
    let mul = 1;
    for (;;) {
      const b = bytes[pos++];
      if (b === undefined) throw new Error('truncated protobuf');
      result += (b & 0x7f) * mul;
      if (b < 0x80) return result;
      mul *= 128;
    }
  };
  while (pos < bytes.length) {
    const key = varint();
    const field = Math.floor(key / 8);
    const wire = key & 7;
    let value: number | Uint8Array;
    if (wire === 0) value = varint();
    else if (wire === 2) {
      const len = varint();
      value = bytes.subarray(pos, pos + len);
      pos += len;
    } else if (wire === 1) { value = 0; pos += 8; }
    else if (wire === 5) { value = 0; pos += 4; }
    else throw new Error(`unsupported protobuf wire type ${wire}`);
    const list = out.get(field) ?? [];
    list.push(value);
    out.set(field, list);
  }
  return out;
}

const utf8 = new TextDecoder();

// Values from the file, checked one by one: a collection damaged by hand, by a buggy add-on or on purpose may hold
// any SQLite type in any column.

/** Text, decoding a blob as UTF-8; undefined for NULL and numbers. */
function text(v: Loose | undefined): string | undefined {
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) return utf8.decode(v);
  return undefined;
}

function bytes(v: Loose | undefined): Uint8Array {
  if (v instanceof Uint8Array) return v;
  if (typeof v === 'string') return new TextEncoder().encode(v);
  return new Uint8Array(0);
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function protoString(msg: Map<number, (number | Uint8Array)[]>, field: number): string {
  const v = msg.get(field)?.[0];
  return v instanceof Uint8Array ? utf8.decode(v) : '';
}

function parseJson(value: Loose, file: string, what: string): unknown {
  const t = text(value) ?? '';
  try {
    return t ? JSON.parse(t) : {};
  } catch {
    throw fail(file, 'anki-corrupt', `The collection's ${what} is not valid JSON`, CHECK_DB_HINT);
  }
}

/** A template as the renderer may use it: over-long ones are dropped (their cards show the note's fields). */
const boundedTemplate = (t: unknown): string => (typeof t === 'string' && t.length <= MAX_TEMPLATE_CHARS ? t : '');

function noteTypes(raw: AnkiRawCollection, file: string, warn: (m: string, h?: string) => void): Map<number, NoteType> {
  const out = new Map<number, NoteType>();
  if (raw.notetypeRows.length > 0) {
    for (const nt of raw.notetypeRows) {
      const id = int(nt.id);
      if (id === undefined) {
        warn(`A note type with an unreadable id (${String(nt.id)}) is skipped, with its notes`, CHECK_DB_HINT);
        continue;
      }
      let kind = 0;
      let css = '';
      let sortField = 0;
      try {
        const config = readProto(bytes(nt.config));
        const k = config.get(1)?.[0];
        kind = typeof k === 'number' ? k : 0;
        const sf = config.get(2)?.[0];
        sortField = typeof sf === 'number' ? sf : 0;
        css = protoString(config, 3);
      } catch { /* unreadable config: treat as a standard note type */ }
      const templates = raw.templateRows.filter((t) => int(t.ntid) === id).map((t) => {
        let msg = new Map<number, (number | Uint8Array)[]>();
        try { msg = readProto(bytes(t.config)); } catch { /* empty template */ }
        return { name: text(t.name) ?? '', qfmt: boundedTemplate(protoString(msg, 1)), afmt: boundedTemplate(protoString(msg, 2)) };
      });
      const fields = raw.fieldRows.filter((f) => int(f.ntid) === id).map((f) => text(f.name) ?? '');
      out.set(id, { id, name: text(nt.name) ?? String(id), cloze: kind === 1, fields, templates, css, sortField });
    }
    return out;
  }
  const models = parseJson(raw.models, file, 'note types');
  if (!isRecord(models)) throw fail(file, 'anki-corrupt', "The collection's note types are not a JSON object", CHECK_DB_HINT);
  let broken = 0;
  for (const m of Object.values(models)) {
    const id = isRecord(m) ? int(typeof m.id === 'string' || typeof m.id === 'number' ? m.id : undefined) : undefined;
    if (!isRecord(m) || id === undefined) {
      broken++;
      continue;
    }
    const list = (v: unknown) => (Array.isArray(v) ? v.filter(isRecord) : []);
    const ord = (v: Record<string, unknown>) => (typeof v.ord === 'number' ? v.ord : 0);
    const fields = list(m.flds).sort((a, b) => ord(a) - ord(b)).map((f) => (typeof f.name === 'string' ? f.name : ''));
    const templates = list(m.tmpls).sort((a, b) => ord(a) - ord(b)).map((t) => ({
      name: typeof t.name === 'string' ? t.name : '', qfmt: boundedTemplate(t.qfmt), afmt: boundedTemplate(t.afmt),
    }));
    out.set(id, {
      id, name: typeof m.name === 'string' ? m.name : String(id), cloze: m.type === 1, fields, templates,
      css: typeof m.css === 'string' ? m.css : '', sortField: typeof m.sortf === 'number' ? m.sortf : 0,
    });
  }
  if (broken > 0) warn(`${plural(broken, 'note type is', 'note types are')} damaged (empty or without an id); ${broken === 1 ? 'its' : 'their'} notes are skipped`, CHECK_DB_HINT);
  return out;
}

const SECTION = /\{\{([#^])\s*([^}]+?)\s*\}\}([\s\S]*?)\{\{\/\s*\2\s*\}\}/g;
const ANSWER_RULE = /<hr\s+id\s*=\s*["']?answer["']?\s*\/?>/i;

/** Field names a template shows (section markers and FrontSide excluded). */
function shownFields(tmpl: string): Set<string> {
  const names = new Set<string>();
  for (const m of tmpl.matchAll(/\{\{([^#^/}][^}]*)\}\}/g)) {
    const ref = m[1]!.trim();
    if (ref === 'FrontSide') continue;
    names.add(ref.slice(ref.lastIndexOf(':') + 1).trim());
  }
  return names;
}

/** Anki's template language, minus styling: sections, field references with filters, FrontSide. */
function renderTemplate(tmpl: string, fields: Map<string, string>, frontSide: string): string {
  let s = tmpl;
  for (let i = 0; i < 8; i++) {
    const next = s.replace(SECTION, (_m, op: string, name: string, inner: string) => {
      const present = (fields.get(name) ?? '').trim() !== '';
      return (op === '#') === present ? inner : '';
    });
    if (next === s) break;
    s = next;
  }
  return s.replace(/\{\{([^}]*)\}\}/g, (_m, refRaw: string) => {
    const ref = refRaw.trim();
    if (ref === 'FrontSide') return frontSide;
    if (ref.startsWith('type:')) return ''; // the answer box of typed cards
    return fields.get(ref.slice(ref.lastIndexOf(':') + 1).trim()) ?? '';
  });
}

function renderAnswer(afmt: string, fields: Map<string, string>): string {
  const parts = afmt.split(ANSWER_RULE);
  // Without the <hr id=answer> rule, the back is the template minus the repeated front.
  return renderTemplate(parts.length > 1 ? parts.slice(1).join('') : afmt, fields, '');
}

type Layout = 'basic' | 'reversed' | 'cloze' | 'typed' | 'generic';

function sameSet(a: Set<string>, b: Set<string>): boolean {
  return a.size > 0 && a.size === b.size && [...a].every((x) => b.has(x));
}

function layoutOf(nt: NoteType): Layout {
  if (nt.cloze) return 'cloze';
  if (nt.templates.some((t) => /\{\{type:/.test(t.qfmt) || /\{\{type:/.test(t.afmt))) return 'typed';
  if (nt.templates.length === 1) return 'basic';
  if (nt.templates.length === 2) {
    const [t0, t1] = nt.templates as [Template, Template];
    const q0 = shownFields(t0.qfmt);
    const q1 = shownFields(t1.qfmt);
    const a0 = new Set([...shownFields(t0.afmt)].filter((f) => !q0.has(f)));
    const a1 = new Set([...shownFields(t1.afmt)].filter((f) => !q1.has(f)));
    if (sameSet(q0, a1) && sameSet(q1, a0)) return 'reversed';
  }
  return 'generic';
}

interface BuiltCard { uidSuffix: string; content: CardContent; explanation?: string }

function buildContent(nt: NoteType, layout: Layout, values: string[], ord: number): BuiltCard {
  const fields = new Map(nt.fields.map((name, i) => [name, values[i] ?? '']));
  const template = nt.templates[Math.min(ord, nt.templates.length - 1)] ?? { name: '', qfmt: '', afmt: '' };
  const sides = (t: Template): { front: string; back: string } => {
    let front = htmlToText(renderTemplate(t.qfmt, fields, ''));
    let back = htmlToText(renderAnswer(t.afmt, fields));
    if (front === '') {
      front = htmlToText(values[0] ?? '');
      back = htmlToText(values[1] ?? '');
    }
    return { front, back };
  };
  switch (layout) {
    case 'cloze': {
      const ref = /\{\{(?:[^}]*:)?cloze:([^}]+)\}\}/.exec(nt.templates[0]?.qfmt ?? '')?.[1]?.trim();
      const textIdx = Math.max(0, ref ? nt.fields.indexOf(ref) : 0);
      const extra = nt.fields
        .map((_n, i) => (i === textIdx ? '' : htmlToText(values[i] ?? '')))
        .filter(Boolean)
        .join('\n');
      const built: BuiltCard = { uidSuffix: `::c${ord + 1}`, content: { type: 'cloze', text: htmlToText(values[textIdx] ?? ''), index: ord + 1 } };
      if (extra) built.explanation = extra;
      return built;
    }
    case 'typed': {
      const answerField = /\{\{type:(?:[^}]*:)?([^}:]+)\}\}/.exec(template.qfmt + template.afmt)?.[1]?.trim() ?? nt.fields[1] ?? '';
      const { front } = sides(template);
      const answer = htmlToText(fields.get(answerField) ?? '');
      return { uidSuffix: ord === 0 ? '' : `::t${ord + 1}`, content: { type: 'typed', prompt: front, answers: answer ? [answer] : [] } };
    }
    case 'reversed': {
      const { front, back } = sides(nt.templates[0]!);
      return { uidSuffix: ord === 1 ? '::r' : '', content: { type: 'reversed', front, back, direction: ord === 1 ? 'backward' : 'forward' } };
    }
    case 'basic':
    case 'generic': {
      const { front, back } = sides(template);
      return { uidSuffix: ord === 0 ? '' : `::t${ord + 1}`, content: { type: 'basic', front, back } };
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Review history

export type RevlogClass = 'rated' | 'manual' | 'cram' | 'superseded';

/**
 * Classifies one card's revlog rows (chronological) the way Anki's FSRS code selects training data:
 * - manual: ease 0, or type 4 (manual: set due date, forget) / type 5 (rescheduled). Rating 0; a type 4 row
 *   with ivl 0 resets to New, others put the card in Review due ivl days later.
 * - cram: type 3 (filtered deck) with factor 0. Anki writes factor 0 when a filtered deck did not reschedule;
 *   filtered reviews that did reschedule carry the card's ease factor and count as real answers. Kept as history
 *   with scheduled = false, which is also what FSRS does (it drops them from training).
 * - superseded: answers before the card's last learning run (or last reset). Anki's FSRS uses only the history
 *   from the first learning step of the last run of learning entries (old Anki versions reset cards without
 *   logging it); earlier rows cannot have shaped the current memory state, so they are history: scheduled = false.
 * - rated: the rest, scheduled = true.
 */
export function classifyRevlog(rows: readonly RevlogRow[]): { classes: RevlogClass[]; windowStart: number } {
  const isManual = (r: RevlogRow) => r.ease === 0 || r.type === 4 || r.type === 5;
  const isCram = (r: RevlogRow) => !isManual(r) && r.type === 3 && r.factor === 0;
  let start = 0;
  let firstLearn: number | undefined;
  for (let i = rows.length - 1; i >= 0; i--) {
    const r = rows[i]!;
    if (isCram(r)) continue;
    if (!isManual(r) && r.type === 0) firstLearn = i;
    else if (firstLearn !== undefined) break;
    else if (isManual(r) && r.ivl === 0) {
      // A reset with no learning after it: the window starts at the reset itself.
      firstLearn = i;
      break;
    }
  }
  if (firstLearn !== undefined) start = firstLearn;
  const classes = rows.map((r, i): RevlogClass => {
    if (isManual(r)) return 'manual';
    if (isCram(r)) return 'cram';
    return i < start ? 'superseded' : 'rated';
  });
  return { classes, windowStart: start };
}

/** How many of one card's revlog rows (chronological) fall in each class, and how many had their ease remapped. */
function countHistory(rows: readonly RevlogRow[], remapV1: boolean): { counts: Record<RevlogClass, number>; remapped: number } {
  const { classes } = classifyRevlog(rows);
  const counts: Record<RevlogClass, number> = { rated: 0, manual: 0, cram: 0, superseded: 0 };
  let remapped = 0;
  classes.forEach((cls, i) => {
    counts[cls]++;
    const r = rows[i]!;
    if (cls !== 'manual' && remapV1 && (r.ease === 2 || r.ease === 3) && (r.type === 0 || r.type === 2)) remapped++;
  });
  return { counts, remapped };
}

/** One card's revlog rows (chronological) as planned reviews, with how many fell in each class. */
export function planReviews(rows: readonly RevlogRow[], guid: string, ord: number, remapV1: boolean): { reviews: PlannedReview[]; counts: Record<RevlogClass, number>; remapped: number } {
  const { classes, windowStart } = classifyRevlog(rows);
  const counts: Record<RevlogClass, number> = { rated: 0, manual: 0, cram: 0, superseded: 0 };
  let remapped = 0;
  let afterStart = false;
  // A plain loop and one object literal per row: a million rows go through here in a large import.
  const prefix = `anki:${guid}:${ord}:`;
  const reviews: PlannedReview[] = new Array<PlannedReview>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    const cls = classes[i]!;
    counts[cls]++;
    const sourceKey = prefix + String(r.id);
    const durationMs = Math.min(MAX_DURATION_MS, Math.max(0, Math.round(r.time) || 0));
    if (cls === 'manual') {
      // Manual rows before the counted window stay history too, so replay starts at the window.
      const scheduled = i >= windowStart;
      const manual = r.ivl === 0
        ? { state: CardState.New, due: r.id }
        : r.ivl > 0
          ? { state: CardState.Review, due: r.id + r.ivl * DAY_MS }
          : { state: CardState.Relearning, due: r.id - r.ivl * 1000 };
      if (manual.state === CardState.New) afterStart = true;
      reviews[i] = { sourceKey, reviewedAt: r.id, durationMs, rating: 0, scheduled, manual };
      continue;
    }
    let ease = r.ease;
    // Anki's v1 -> v2 upgrade: in learning/relearning the v1 scheduler had 3 buttons (2 = Good, 3 = Easy).
    if (remapV1 && (ease === 2 || ease === 3) && (r.type === 0 || r.type === 2)) {
      ease += 1;
      remapped++;
    }
    const rating = Math.min(4, Math.max(1, ease)) as 1 | 2 | 3 | 4;
    // Keep the state Anki recorded (revlog type: 0 learn, 1 review, 2 relearn, 3 filtered), as the optimizer's CSV
    // gives it (review_state = type + 1, New for the first answer of the history that counts, or the first after a reset): replay with
    // our learning steps cannot know it, and filtered-deck answers (4) have no state of ours at all.
    const sourceState = afterStart || i === windowStart ? 0 : r.type >= 0 && r.type <= 3 ? r.type + 1 : undefined;
    afterStart = false;
    const scheduled = cls === 'rated';
    reviews[i] = sourceState === undefined
      ? { sourceKey, reviewedAt: r.id, durationMs, rating, scheduled }
      : { sourceKey, reviewedAt: r.id, durationMs, rating, scheduled, sourceState };
  }
  return { reviews, counts, remapped };
}

// ---------------------------------------------------------------------------------------------------------
// The way back to Anki

/** The note type is kept with every card of it: a forged, huge one must not multiply into gigabytes. */
const MAX_NOTE_TYPE_CHARS = 256 * 1024;

/** The Anki note of a card, as Anki stored it; undefined when its note type is too large to keep per card. */
function ankiOrigin(note: { id: number; guid: string; mod: number }, nt: NoteType, card: { id: number; ord: number }, values: string[]): AnkiOrigin | undefined {
  const noteType = noteTypeOrigin(nt);
  if (!noteType) return undefined;
  return { guid: note.guid, noteId: note.id, cardId: card.id, ord: card.ord, mod: note.mod, noteType, fields: values };
}

/** One origin object per note type, shared by its cards (and written to JSON once: see cardContentJson). */
const noteTypeOrigins = new WeakMap<NoteType, AnkiOrigin['noteType'] | null>();
function noteTypeOrigin(nt: NoteType): AnkiOrigin['noteType'] | undefined {
  let origin = noteTypeOrigins.get(nt);
  if (origin === undefined) {
    const size = nt.css.length + nt.templates.reduce((n, t) => n + t.name.length + t.qfmt.length + t.afmt.length, 0);
    origin = size > MAX_NOTE_TYPE_CHARS ? null : {
      id: nt.id,
      name: nt.name,
      kind: nt.cloze ? 1 : 0,
      fields: [...nt.fields],
      templates: nt.templates.map((t) => ({ name: t.name, qfmt: t.qfmt, afmt: t.afmt })),
      css: nt.css,
      sortField: nt.sortField,
    };
    noteTypeOrigins.set(nt, origin);
  }
  return origin ?? undefined;
}

/** The study days recall recorded with a card's answers, where plausible: history then replays as it was studied. */
function withRecordedDays(reviews: PlannedReview[], days: Record<string, number>): void {
  for (const r of reviews) {
    const day = plausibleDay(days[String(r.reviewedAt)], r.reviewedAt);
    if (day !== undefined) r.day = day;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Collection settings

function configMap(raw: AnkiRawCollection, file: string): Record<string, unknown> {
  if (raw.config.length > 0) {
    const out: Record<string, unknown> = {};
    for (const { key, val } of raw.config) {
      const k = text(key);
      if (k === undefined) continue;
      try { out[k] = JSON.parse(utf8.decode(bytes(val))); } catch { /* a non-JSON value we do not need */ }
    }
    return out;
  }
  const conf = parseJson(raw.conf, file, 'settings');
  return isRecord(conf) ? conf : {};
}

/**
 * Anki keeps a UTC offset in minutes with the sign of JavaScript's getTimezoneOffset (300 = UTC-5), not a zone.
 * IANA's `Etc/GMT+N` zones have the same reversed sign (Etc/GMT+5 = UTC-5) and no daylight saving, so that is
 * the closest zone we can name; offsets that are not whole hours have no Etc zone and give null.
 */
export function etcZoneForOffset(offsetMinutes: number): string | null {
  if (!Number.isInteger(offsetMinutes) || offsetMinutes % 60 !== 0) return null;
  const hours = offsetMinutes / 60;
  if (hours < -14 || hours > 12) return null;
  return hours === 0 ? 'Etc/GMT' : `Etc/GMT${hours > 0 ? '+' : '-'}${Math.abs(hours)}`;
}

// ---------------------------------------------------------------------------------------------------------

export function readAnkiPackageWithStats(path: string, opts: AnkiPackageOptions): { plan: ImportPlan; stats: AnkiImportStats } {
  const collection = readCollection(path, opts.tmpDir, (opts.now ?? Number.POSITIVE_INFINITY) + DAY_MS);
  let built: { plan: ImportPlan; stats: AnkiImportStats };
  try {
    built = buildPlan(collection.raw, collection.log, path, opts);
  } finally {
    collection.dispose();
  }
  const { fd, size } = openInputFile(path, Number.MAX_SAFE_INTEGER, '');
  try {
    // The files stay in the caller's temporary folder until the import has kept them.
    const { files, skipped } = unpackMedia(fd, size, path, () => mkdtempSync(join(opts.tmpDir, 'recall-media-')));
    if (files.length) built.plan.media = files;
    for (const s of skipped) built.plan.warnings.push(diag('warning', path, 0, `In the collection: the media file "${sanitize(s.name).slice(0, 80)}" is not kept: ${s.reason}`));
  } finally {
    closeSync(fd);
  }
  return built;
}

export function readAnkiPackage(path: string, opts: AnkiPackageOptions): ImportPlan {
  return readAnkiPackageWithStats(path, opts).plan;
}

/** "3 notes have" / "1 note has". */
const notesHave = (n: number) => plural(n, 'note has', 'notes have');

/**
 * A note as a warning names it: its id and the start of its first field as text ("note 1402 "猫 (cat)""), made inert
 * and cut short, so the user can find it in Anki's browser (nid:1402).
 */
export function noteRef(id: unknown, flds: unknown): string {
  const raw = typeof flds === 'string' ? flds : flds instanceof Uint8Array ? Buffer.from(flds.subarray(0, 4096)).toString('utf8') : '';
  const first = sanitize(htmlToText(raw.slice(0, 4096).split('\u001f')[0] ?? '')).replace(/\s+/g, ' ').trim();
  const label = first.length > 40 ? `${first.slice(0, 39)}…` : first;
  const shownId = typeof id === 'number' || typeof id === 'bigint' || typeof id === 'string' ? sanitize(String(id)).slice(0, 24) : '?';
  return `note ${shownId}${label ? ` "${label}"` : ''}`;
}

/**
 * The plan of the collection's cards. The review log is asked for (`takeLog`) only after the cards' content is
 * built, so that its reading on another thread overlaps that work.
 */
function buildPlan(raw: AnkiRawCollection, takeLog: () => ReviewLog, file: string, opts: AnkiPackageOptions): { plan: ImportPlan; stats: AnkiImportStats } {
  const ver = int(raw.ver);
  if (ver === undefined || ver < 11 || ver > 18) {
    throw fail(file, 'anki-unsupported', `Anki collection schema ${String(raw.ver)} is not supported (recall reads 11 to 18)`);
  }
  const warnings: ImportDiagnostic[] = [];
  // A package has no lines: each problem names the note it is about, or says it is about the collection as a whole.
  const located = (message: string, where?: string) => (where ? `${where}: ${message}` : `In the collection: ${message}`);
  const warn = (message: string, hint?: string, where?: string) => warnings.push(diag('warning', file, 0, located(message, where), hint));
  // Left out of the import: reported like a skipped row of a text file, and refused under --strict.
  const skip = (message: string, hint?: string, where?: string) => warnings.push(diag('error', file, 0, located(message, where), hint));
  /** The first note of a counted problem, as an example the user can search for in Anki. */
  const example = (ref: string | undefined) => (ref ? `, e.g. ${ref}` : '');
  const conf = configMap(raw, file);
  const schedVer = typeof conf.schedVer === 'number' ? conf.schedVer : 1;
  // Schema 18 comes from Anki 2.1.50+, which no longer runs v1; older files without schedVer are v1.
  const remapV1 = ver < 18 && schedVer < 2;

  const types = noteTypes(raw, file, warn);
  const layouts = new Map<number, Layout>();
  for (const nt of types.values()) {
    const layout = layoutOf(nt);
    layouts.set(nt.id, layout);
    if (layout === 'generic') {
      warn(`Anki note type "${nt.name}" (${nt.templates.length} card templates) is not basic, reversed, cloze or type-in; its cards are imported as basic cards showing the fields of their template`);
    }
  }

  const deckNames = new Map<number, string>();
  const deckDesc = new Map<number, string>();
  if (raw.deckRows.length > 0) {
    for (const d of raw.deckRows) {
      const id = int(d.id);
      const name = text(d.name);
      if (id !== undefined && name) deckNames.set(id, name.split('\u001f').join('::'));
    }
  } else {
    const decks = parseJson(raw.decks, file, 'decks');
    let broken = 0;
    for (const d of isRecord(decks) ? Object.values(decks) : []) {
      const id = isRecord(d) && (typeof d.id === 'number' || typeof d.id === 'string') ? int(d.id) : undefined;
      if (!isRecord(d) || id === undefined || typeof d.name !== 'string') {
        broken++;
        continue;
      }
      deckNames.set(id, d.name);
      if (typeof d.desc === 'string' && d.desc) deckDesc.set(id, htmlToText(d.desc.slice(0, MAX_NOTE_BYTES)));
    }
    if (broken > 0) warn(`${plural(broken, 'deck is', 'decks are')} damaged (empty or without a name); ${broken === 1 ? 'its' : 'their'} cards go to "Default"`, CHECK_DB_HINT);
  }

  // Notes: each keeps its guid, which identifies it across imports; a missing or repeated one gets a guid derived
  // from the note's id, so no two notes of the file ever fold into one card.
  interface Note { id: number; guid: string; mid: number; mod: number; tags: string[]; values: string[]; data: string | null }
  const notes = new Map<number, Note>();
  const guids = new Set<string>();
  let noGuid = 0;
  let dupGuid = 0;
  let badNotes = 0;
  let blobNotes = 0;
  let emptyNotes = 0;
  const firstOf: Record<'noGuid' | 'dupGuid' | 'blob' | 'empty' | 'bad', string | undefined> = { noGuid: undefined, dupGuid: undefined, blob: undefined, empty: undefined, bad: undefined };
  const mark = (k: keyof typeof firstOf, ref: string) => (firstOf[k] ??= ref);
  for (const n of raw.notes) {
    const id = int(n.id);
    const mid = int(n.mid);
    if (id === undefined || mid === undefined) {
      badNotes++;
      mark('bad', noteRef(n.id, n.flds));
      continue;
    }
    if (n.fldsBytes !== null && n.fldsBytes > MAX_NOTE_BYTES) {
      skip(`it is ${(n.fldsBytes / 2 ** 20).toFixed(1)} MB long; notes are limited to ${MAX_NOTE_BYTES / 2 ** 20} MB: skipped`, 'no flashcard holds that much text; check the note in Anki', noteRef(id, n.flds).replace(/^note/, 'Note'));
      continue;
    }
    if (n.flds === null) {
      emptyNotes++;
      mark('empty', noteRef(id, null));
      continue;
    }
    if (n.flds instanceof Uint8Array || n.tags instanceof Uint8Array) {
      blobNotes++;
      mark('blob', noteRef(id, n.flds));
    }
    let guid = text(n.guid)?.trim() ?? '';
    if (guid === '') {
      noGuid++;
      mark('noGuid', noteRef(id, n.flds));
      guid = `nid:${id}`;
    } else if (guids.has(guid)) {
      dupGuid++;
      mark('dupGuid', noteRef(id, n.flds));
      guid = `${guid}#nid:${id}`;
    }
    guids.add(guid);
    notes.set(id, {
      id, guid, mid, mod: int(n.mod) ?? 0, tags: (text(n.tags) ?? '').split(/\s+/).filter(Boolean), values: (text(n.flds) ?? '').split('\u001f'),
      data: typeof n.data === 'string' ? n.data : null,
    });
  }
  if (emptyNotes > 0) skip(`${notesHave(emptyNotes)} no fields (NULL)${example(firstOf.empty)}: skipped`, CHECK_DB_HINT);
  if (badNotes > 0) skip(`${notesHave(badNotes)} an id or note type that is not a number${example(firstOf.bad)}: skipped`, CHECK_DB_HINT);
  if (noGuid > 0) warn(`${notesHave(noGuid)} no guid${example(firstOf.noGuid)}; each is identified by its note id instead`, CHECK_DB_HINT);
  if (dupGuid > 0) warn(`${plural(dupGuid, 'note repeats', 'notes repeat')} the guid of an earlier note${example(firstOf.dupGuid)}; each is imported as a note of its own, identified by its note id`, CHECK_DB_HINT);
  if (blobNotes > 0) warn(`${plural(blobNotes, 'note stores its', 'notes store their')} fields or tags as binary data${example(firstOf.blob)}; read as UTF-8 text`, CHECK_DB_HINT);

  // The review log's own problems are reported here, after the notes', once the log has been read (below).
  const logProblemsAt = warnings.length;

  const stats: AnkiImportStats = {
    notes: raw.notes.length, cards: 0, revlogRows: 0,
    rated: 0, manual: 0, cram: 0, superseded: 0, orphaned: 0, remappedV1: 0, malformed: 0,
  };
  /** The log, once read (after the loop over the cards); the cards' histories are planned from it later still. */
  let revlog: ReviewLog | undefined;
  const decks = new Map<string, PlannedDeck>();
  const imported = new Set<number>();
  let skippedCards = 0;
  let badCards = 0;
  let overLimit = 0;
  let firstSkippedCard: string | undefined;
  let firstOverLimit: string | undefined;
  const records = new Map<number, RecallNoteRecord | null>();
  const recordOf = (note: Note): RecallNoteRecord | null => {
    let r = records.get(note.id);
    if (r === undefined) records.set(note.id, (r = decodeRecallRecord(note.data)));
    return r;
  };
  const ownUids = new Set<string>();
  const oversizedTypes = new Set<string>();
  for (const card of raw.cards) {
    const cid = int(card.id);
    const nid = int(card.nid);
    const ord = int(card.ord);
    if (cid === undefined || nid === undefined || ord === undefined || ord < 0) {
      badCards++;
      continue;
    }
    const note = notes.get(nid);
    const nt = note ? types.get(note.mid) : undefined;
    if (!note || !nt) {
      skippedCards++;
      firstSkippedCard ??= note ? noteRef(note.id, note.values.join('\u001f')) : `card ${cid} (of note ${nid}, not in the collection)`;
      continue;
    }
    if (ord >= MAX_CARDS_PER_NOTE) {
      overLimit++;
      firstOverLimit ??= noteRef(note.id, note.values.join('\u001f'));
      continue;
    }
    const layout = layouts.get(nt.id) ?? 'generic';
    const built = buildContent(nt, layout, note.values, ord);
    const noteUid = `anki:${note.guid}`;
    const odid = int(card.odid) ?? 0;
    const homeDeck = odid ? odid : (int(card.did) ?? 0);
    const deckName = opts.deck ?? deckNames.get(homeDeck) ?? 'Default';
    // A package recall wrote carries each card as recall had it (question types Anki lacks, exact text) and the
    // study day of each answer; notes that came from Anki keep their Anki note for the way back.
    const kept = recordOf(note)?.cards[String(ord)];
    const own = kept?.card && !ownUids.has(`${deckName}\u0000${kept.card.uid}`) ? kept.card : undefined;
    const days = kept?.days;
    const guid = note.guid;
    let planned: PlannedCard;
    if (own) {
      ownUids.add(`${deckName}\u0000${own.uid}`);
      const { uid, noteUid: ownNote, content, explanation, source, tags: ownTags } = own;
      planned = { uid, noteUid: ownNote, content, reviews: [], ankiCardId: cid, uidInDeck: true };
      if (explanation) planned.explanation = explanation;
      if (source) planned.source = source;
      if (ownTags?.length) planned.tags = ownTags;
    } else {
      planned = { uid: noteUid + built.uidSuffix, noteUid, content: built.content, reviews: [], ankiCardId: cid };
      if (note.tags.length) planned.tags = note.tags;
      if (built.explanation) planned.explanation = built.explanation;
      const origin = ankiOrigin(note, nt, { id: cid, ord }, note.values);
      if (origin) planned.anki = origin;
      else oversizedTypes.add(nt.name);
      // One of recall's notes back from Anki, which drops notes.data: the import looks for the card it was.
      // The guid recall gives its notes (ankiGuid), up to the note's uid.
      const home = ankiGuid(deckName, '');
      const mod = int(card.mod);
      const changed = mod !== undefined && mod > 0 ? { changedAt: mod * 1000 } : {};
      if (guid.startsWith(home) && guid.length > home.length && !guid.includes('#nid:')) {
        planned.recallHome = { deck: deckName, key: guid.slice(home.length), ord, ...changed };
      } else if (guid.startsWith('recall:') && !guid.includes('#nid:') && opts.deck === undefined) {
        planned.recallGuid = { guid, ord, ...changed };
      }
    }
    // The history is planned when it is read (by the import, card by card as it writes), from the compact log.
    Object.defineProperty(planned, 'reviews', {
      enumerable: true,
      configurable: true,
      get(): PlannedReview[] {
        const reviews = planReviews(revlog!.rows(cid), guid, ord, remapV1).reviews;
        if (days) withRecordedDays(reviews, days);
        return reviews;
      },
    });
    const queue = int(card.queue) ?? 0;
    if (queue === -1) planned.suspended = true;
    if (queue === -2 || queue === -3) planned.buried = true;
    let deck = decks.get(deckName);
    if (!deck) {
      deck = { name: deckName, cards: [] };
      const desc = opts.deck === undefined ? deckDesc.get(homeDeck) : undefined;
      if (desc) deck.description = desc;
      decks.set(deckName, deck);
    }
    deck.cards.push(planned);
    imported.add(cid);
    stats.cards++;
  }
  revlog = takeLog();
  stats.revlogRows = revlog.rowsRead;
  const logProblems: ImportDiagnostic[] = [];
  for (const { count, first } of revlog.problems()) {
    stats.malformed += count;
    logProblems.push(diag('error', file, 0, located(`${plural(count, 'review-log row')} skipped, e.g. ${first}`), first.includes('future') ? "check the computer's clock where the reviews were made" : CHECK_DB_HINT));
  }
  // One line per kind of bad row (review-log.ts has six), however many rows.
  warnings.splice(logProblemsAt, 0, ...logProblems);
  for (const cid of imported) {
    const counted = countHistory(revlog.rows(cid), remapV1);
    for (const k of Object.keys(counted.counts) as RevlogClass[]) stats[k] += counted.counts[k];
    stats.remappedV1 += counted.remapped;
  }
  for (const name of oversizedTypes) {
    warn(`The note type "${name}" is larger than ${MAX_NOTE_TYPE_CHARS / 1024} KiB; its notes are not kept for export to Anki and would go back as Basic notes`);
  }
  if (badCards > 0) skip(`${plural(badCards, 'card has', 'cards have')} an id, note or template number that is not a number: skipped`, CHECK_DB_HINT);
  if (skippedCards > 0) warn(`${plural(skippedCards, 'card has', 'cards have')} no note or note type${example(firstSkippedCard)}; skipped`, CHECK_DB_HINT);
  if (overLimit > 0) skip(`${plural(overLimit, 'card belongs', 'cards belong')} to notes with more than ${MAX_CARDS_PER_NOTE} cards${example(firstOverLimit)}; those beyond the ${MAX_CARDS_PER_NOTE}th are skipped`, 'split such notes in Anki into smaller ones');
  for (const [cid, { count }] of revlog.counts()) if (!imported.has(cid)) stats.orphaned += count;
  if (stats.orphaned > 0) warn(`${plural(stats.orphaned, 'review-log row belongs', 'review-log rows belong')} to cards deleted in Anki and ${stats.orphaned === 1 ? 'is' : 'are'} not imported`);

  const offset = typeof conf.localOffset === 'number' ? conf.localOffset : typeof conf.creationOffset === 'number' ? conf.creationOffset : undefined;
  const timeZone = offset === undefined ? null : etcZoneForOffset(offset);
  if (offset !== undefined && timeZone === null) warn(`The collection's UTC offset (${-offset} minutes) is not a whole hour; its time zone is not imported`);
  const rollover = typeof conf.rollover === 'number' && Number.isInteger(conf.rollover) && conf.rollover >= 0 && conf.rollover <= 23 ? conf.rollover : 4;

  const plan: ImportPlan = {
    file,
    format: 'anki-package',
    decks: [...decks.values()],
    warnings,
    timeZone,
    dayStartHour: rollover,
    reviewCount: stats.rated + stats.manual + stats.cram + stats.superseded,
  };
  return { plan, stats };
}
