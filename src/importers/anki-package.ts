import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { decompress as zstdDecompress } from 'fzstd';
import { RecallError } from '../core/errors.js';
import type { ImportPlan, PlannedCard, PlannedDeck, PlannedReview } from '../core/import-plan.js';
import { decodeRecallRecord, plausibleDay, type RecallNoteRecord } from '../core/recall-record.js';
import { CardState, type AnkiOrigin, type CardContent } from '../core/types.js';
import { readAnkiSqlite, type AnkiCardRow, type AnkiNoteRow, type AnkiRawCollection, type AnkiRevlogRow } from '../store/anki-reader.js';
import { diag, type ImportDiagnostic } from './diagnostics.js';
import { htmlToText } from './html.js';

// Reads an Anki package (.apkg/.colpkg zip) or a bare collection (.anki2/.anki21) into an ImportPlan.
// Unreadable input throws a RecallError naming the file and what to do; located, non-fatal findings go to
// plan.warnings as ImportDiagnostics (line 0: a package has no lines).

export interface AnkiPackageOptions {
  /** Put every card into this deck instead of the Anki deck names. */
  deck?: string;
  /** A directory for the private copy of the collection; the user's file is never opened by SQLite. */
  tmpDir: string;
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
}

const GiB = 1024 ** 3;
const MAX_UNCOMPRESSED = 2 * GiB;
const MAX_RATIO = 1000;
const DAY_MS = 86_400_000;
const MAX_DURATION_MS = 3_600_000;
const COLLECTION_NAMES = ['collection.anki21b', 'collection.anki21', 'collection.anki2'] as const;

const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04];
const ZIP_EMPTY_MAGIC = [0x50, 0x4b, 0x05, 0x06];
const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd];
const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

function startsWith(bytes: Uint8Array, magic: ArrayLike<number>): boolean {
  if (bytes.length < magic.length) return false;
  for (let i = 0; i < magic.length; i++) if (bytes[i] !== magic[i]) return false;
  return true;
}

const REEXPORT_HINT = "re-export it from Anki (File > Export, 'Anki Deck Package'), ticking 'Support older Anki versions' if the import still fails";

/** Messages do not repeat the file name: RecallError.format() prints `file: message`. */
function fail(file: string, code: string, message: string, hint: string = REEXPORT_HINT): RecallError {
  return new RecallError(code, message, { file, hint });
}

// ---------------------------------------------------------------------------------------------------------
// Container: zip / zstd / SQLite bytes

function unzipCollection(bytes: Uint8Array, file: string): { name: string; data: Uint8Array } {
  // Bit 0 of the general-purpose flags marks an encrypted entry; fflate would only report garbage.
  if (bytes.length >= 8 && ((bytes[6] ?? 0) & 1) === 1) {
    throw fail(file, 'anki-encrypted', 'This is an encrypted zip', 'export the deck again from Anki without a password');
  }
  let total = 0;
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes, {
      filter: (f) => {
        // Declared sizes are checked before anything is inflated, so a zip bomb costs nothing. Only the entries
        // we extract count: media files are never inflated, and a media-heavy package may legitimately be big.
        const wanted = (COLLECTION_NAMES as readonly string[]).includes(f.name);
        if (wanted) total += f.originalSize;
        if (total > MAX_UNCOMPRESSED) {
          throw fail(file, 'anki-too-large', 'This zip declares more than 2 GiB of uncompressed collection data; refusing to unpack it', 'this is not a plausible Anki package; check where the file came from');
        }
        if (wanted && f.originalSize > 64 * 1024 * 1024 && f.originalSize / Math.max(1, f.size) > MAX_RATIO) {
          throw fail(file, 'anki-too-large', `${f.name} in this zip claims a compression ratio above ${MAX_RATIO}:1; refusing to unpack it`, 'this is not a plausible Anki package; check where the file came from');
        }
        return wanted;
      },
    });
  } catch (e) {
    if (e instanceof RecallError) throw e;
    throw fail(file, 'anki-bad-zip', `Not a readable zip (${(e as Error).message || 'damaged'}); it may be truncated or damaged`, 'download or export it again and check that the copy is complete');
  }
  for (const name of COLLECTION_NAMES) {
    const data = files[name];
    if (data) return { name, data };
  }
  throw fail(file, 'anki-no-collection', `This zip contains no Anki collection (collection.anki21b, collection.anki21 or collection.anki2)`, 'pass an .apkg or .colpkg exported by Anki');
}

/** Reads a zstd frame's declared content size, when the header carries one. */
function zstdContentSize(bytes: Uint8Array): number | undefined {
  const desc = bytes[4];
  if (desc === undefined) return undefined;
  const fcsFlag = desc >> 6;
  const single = (desc >> 5) & 1;
  const dictBytes = [0, 1, 2, 4][desc & 3]!;
  let pos = 5 + (single ? 0 : 1) + dictBytes;
  const width = fcsFlag === 0 ? (single ? 1 : 0) : [0, 2, 4, 8][fcsFlag]!;
  if (width === 0 || pos + width > bytes.length) return undefined;
  let size = 0;
  for (let i = width - 1; i >= 0; i--) size = size * 256 + bytes[pos + i]!;
  pos += width;
  return width === 2 ? size + 256 : size;
}

function unzstd(bytes: Uint8Array, file: string, what: string): Uint8Array {
  const declared = zstdContentSize(bytes);
  if (declared !== undefined && declared > MAX_UNCOMPRESSED) {
    throw fail(file, 'anki-too-large', `${what} declares more than 2 GiB; refusing to decompress it`, 'this is not a plausible Anki collection');
  }
  try {
    return zstdDecompress(bytes);
  } catch (e) {
    throw fail(file, 'anki-bad-zstd', `${what} cannot be decompressed (${(e as Error).message}); the package is damaged or truncated`);
  }
}

/** SQLite bytes of the collection inside `bytes`, whatever the container. */
export function collectionBytes(bytes: Uint8Array, file: string): Uint8Array {
  let data = bytes;
  let what = '';
  if (startsWith(bytes, ZIP_MAGIC) || startsWith(bytes, ZIP_EMPTY_MAGIC)) {
    const inner = unzipCollection(bytes, file);
    data = inner.data;
    what = inner.name;
  }
  if (startsWith(data, ZSTD_MAGIC)) data = unzstd(data, file, what);
  if (!startsWith(data, SQLITE_MAGIC)) {
    throw fail(file, 'anki-not-collection', `${what === '' ? 'The file' : what} is neither an Anki package (zip) nor an SQLite collection`, 'pass an .apkg or .colpkg exported by Anki, or a collection.anki2 file');
  }
  checkSqliteLength(data, file);
  return data;
}

/** A truncated database often opens and only fails on some pages; the header says how long it must be. */
function checkSqliteLength(data: Uint8Array, file: string): void {
  if (data.length < 100) {
    throw fail(file, 'anki-truncated', `The collection is truncated (${data.length} bytes)`, 'copy or export the file again and check that the copy is complete');
  }
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const rawPage = view.getUint16(16);
  const pageSize = rawPage === 1 ? 65536 : rawPage;
  const pages = view.getUint32(28);
  // The in-header page count is valid only when "version-valid-for" equals the change counter.
  const valid = view.getUint32(92) === view.getUint32(24);
  if (valid && pages > 0 && pageSize >= 512 && data.length < pages * pageSize) {
    throw fail(file, 'anki-truncated', `The collection is truncated (${data.length} of ${pages * pageSize} bytes)`, 'copy or export the file again and check that the copy is complete');
  }
}

/**
 * Anki 2.1.28+ declares name columns `COLLATE unicase`, a collation only Anki registers; SQLite then refuses
 * even plain scans of those tables, and better-sqlite3 cannot register collations. In our private copy the
 * schema text is rewritten in place to the built-in NOCASE, padded to the same length so no page changes size.
 * We never depend on the order those indexes keep.
 */
function patchUnicase(copy: Buffer): void {
  const needle = Buffer.from('COLLATE unicase', 'latin1');
  const replacement = Buffer.from('COLLATE nocase ', 'latin1');
  const lower = Buffer.from(needle.toString('latin1').toLowerCase(), 'latin1');
  for (const n of [needle, lower]) {
    for (let at = copy.indexOf(n); at !== -1; at = copy.indexOf(n, at + n.length)) replacement.copy(copy, at);
  }
}

function readCollection(sqlite: Uint8Array, file: string, tmpDir: string): AnkiRawCollection {
  const copy = Buffer.from(sqlite);
  // Bytes 18-19 = 2 mark WAL mode, which would want -wal/-shm files next to the copy; 1 is rollback journal.
  if (copy[18] === 2) copy[18] = 1;
  if (copy[19] === 2) copy[19] = 1;
  patchUnicase(copy);
  let dir: string;
  try {
    dir = mkdtempSync(join(tmpDir, 'recall-anki-'));
  } catch (e) {
    throw new RecallError('tmp-dir', `Cannot create a temporary directory in ${tmpDir}: ${(e as Error).message}`, {
      hint: 'check that the directory exists and is writable',
    });
  }
  try {
    const path = join(dir, 'collection.sqlite');
    writeFileSync(path, copy, { mode: 0o600 });
    try {
      return readAnkiSqlite(path);
    } catch (e) {
      const msg = (e as Error).message || String(e);
      const code = (e as { code?: string }).code ?? '';
      if (code === 'SQLITE_NOTADB') {
        throw fail(file, 'anki-not-collection', 'The collection is not a readable SQLite database (encrypted or damaged)');
      }
      if (code.startsWith('SQLITE_CORRUPT')) {
        throw fail(file, 'anki-corrupt', `The collection is damaged (${msg})`, "in Anki, run Tools > Check Database, then export again");
      }
      throw fail(file, 'anki-unsupported', `Not an Anki collection recall can read (${msg})`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
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

function protoString(msg: Map<number, (number | Uint8Array)[]>, field: number): string {
  const v = msg.get(field)?.[0];
  return v instanceof Uint8Array ? utf8.decode(v) : '';
}

function parseJson(text: string, file: string, what: string): unknown {
  try {
    return text ? JSON.parse(text) : {};
  } catch {
    throw fail(file, 'anki-corrupt', `The collection's ${what} is not valid JSON`, 'in Anki, run Tools > Check Database, then export again');
  }
}

function noteTypes(raw: AnkiRawCollection, file: string): Map<number, NoteType> {
  const out = new Map<number, NoteType>();
  if (raw.notetypeRows.length > 0) {
    for (const nt of raw.notetypeRows) {
      let kind = 0;
      let css = '';
      let sortField = 0;
      try {
        const config = readProto(nt.config);
        const k = config.get(1)?.[0];
        kind = typeof k === 'number' ? k : 0;
        const sf = config.get(2)?.[0];
        sortField = typeof sf === 'number' ? sf : 0;
        css = protoString(config, 3);
      } catch { /* unreadable config: treat as a standard note type */ }
      const templates = raw.templateRows.filter((t) => t.ntid === nt.id).map((t) => {
        let msg = new Map<number, (number | Uint8Array)[]>();
        try { msg = readProto(t.config); } catch { /* empty template */ }
        return { name: t.name, qfmt: protoString(msg, 1), afmt: protoString(msg, 2) };
      });
      const fields = raw.fieldRows.filter((f) => f.ntid === nt.id).map((f) => f.name);
      out.set(Number(nt.id), { id: Number(nt.id), name: nt.name, cloze: kind === 1, fields, templates, css, sortField });
    }
    return out;
  }
  const models = parseJson(raw.models, file, 'note types') as Record<string, {
    id: number | string; name: string; type?: number; css?: unknown; sortf?: unknown;
    flds?: { name: string; ord: number }[]; tmpls?: { name: string; ord: number; qfmt: string; afmt: string }[];
  }>;
  for (const m of Object.values(models)) {
    const fields = [...(m.flds ?? [])].sort((a, b) => a.ord - b.ord).map((f) => f.name);
    const templates = [...(m.tmpls ?? [])].sort((a, b) => a.ord - b.ord).map((t) => ({ name: t.name, qfmt: t.qfmt ?? '', afmt: t.afmt ?? '' }));
    out.set(Number(m.id), {
      id: Number(m.id), name: m.name, cloze: m.type === 1, fields, templates,
      css: typeof m.css === 'string' ? m.css : '', sortField: typeof m.sortf === 'number' ? m.sortf : 0,
    });
  }
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
export function classifyRevlog(rows: readonly AnkiRevlogRow[]): { classes: RevlogClass[]; windowStart: number } {
  const isManual = (r: AnkiRevlogRow) => r.ease === 0 || r.type === 4 || r.type === 5;
  const isCram = (r: AnkiRevlogRow) => !isManual(r) && r.type === 3 && r.factor === 0;
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

/** One card's revlog rows (chronological) as planned reviews, with how many fell in each class. */
export function planReviews(rows: readonly AnkiRevlogRow[], guid: string, ord: number, remapV1: boolean): { reviews: PlannedReview[]; counts: Record<RevlogClass, number>; remapped: number } {
  const { classes, windowStart } = classifyRevlog(rows);
  const counts: Record<RevlogClass, number> = { rated: 0, manual: 0, cram: 0, superseded: 0 };
  let remapped = 0;
  let afterStart = false;
  const reviews = rows.map((r, i): PlannedReview => {
    const cls = classes[i]!;
    counts[cls]++;
    const base = {
      sourceKey: `anki:${guid}:${ord}:${r.id}`,
      reviewedAt: r.id,
      durationMs: Math.min(MAX_DURATION_MS, Math.max(0, Math.round(r.time) || 0)),
    };
    if (cls === 'manual') {
      // Manual rows before the counted window stay history too, so replay starts at the window.
      const scheduled = i >= windowStart;
      const manual = r.ivl === 0
        ? { state: CardState.New, due: r.id }
        : r.ivl > 0
          ? { state: CardState.Review, due: r.id + r.ivl * DAY_MS }
          : { state: CardState.Relearning, due: r.id - r.ivl * 1000 };
      if (manual.state === CardState.New) afterStart = true;
      return { ...base, rating: 0, scheduled, manual };
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
    return sourceState === undefined ? { ...base, rating, scheduled: cls === 'rated' } : { ...base, rating, scheduled: cls === 'rated', sourceState };
  });
  return { reviews, counts, remapped };
}

// ---------------------------------------------------------------------------------------------------------
// The way back to Anki

/** The note type is kept with every card of it: a forged, huge one must not multiply into gigabytes. */
const MAX_NOTE_TYPE_CHARS = 256 * 1024;

/** The Anki note of a card, as Anki stored it; undefined when its note type is too large to keep per card. */
function ankiOrigin(note: AnkiNoteRow, nt: NoteType, card: AnkiCardRow, values: string[]): AnkiOrigin | undefined {
  const size = nt.css.length + nt.templates.reduce((n, t) => n + t.name.length + t.qfmt.length + t.afmt.length, 0);
  if (size > MAX_NOTE_TYPE_CHARS) return undefined;
  return {
    guid: note.guid,
    noteId: Number(note.id),
    cardId: Number(card.id),
    ord: card.ord,
    mod: Number(note.mod) || 0,
    noteType: {
      id: nt.id,
      name: nt.name,
      kind: nt.cloze ? 1 : 0,
      fields: [...nt.fields],
      templates: nt.templates.map((t) => ({ name: t.name, qfmt: t.qfmt, afmt: t.afmt })),
      css: nt.css,
      sortField: nt.sortField,
    },
    fields: values,
  };
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
      try { out[key] = JSON.parse(utf8.decode(val)); } catch { /* a non-JSON value we do not need */ }
    }
    return out;
  }
  return (parseJson(raw.conf, file, 'settings') ?? {}) as Record<string, unknown>;
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
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new RecallError('file-unreadable', `Cannot read the file: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (e as Error).message}`, {
      file: path, hint: 'check the path',
    });
  }
  const raw = readCollection(collectionBytes(bytes, path), path, opts.tmpDir);
  return buildPlan(raw, path, opts);
}

export function readAnkiPackage(path: string, opts: AnkiPackageOptions): ImportPlan {
  return readAnkiPackageWithStats(path, opts).plan;
}

function buildPlan(raw: AnkiRawCollection, file: string, opts: AnkiPackageOptions): { plan: ImportPlan; stats: AnkiImportStats } {
  if (raw.ver < 11 || raw.ver > 18) {
    throw fail(file, 'anki-unsupported', `Anki collection schema ${raw.ver} is not supported (recall reads 11 to 18)`);
  }
  const warnings: ImportDiagnostic[] = [];
  const warn = (message: string, hint?: string) => warnings.push(diag('warning', file, 0, message, hint));
  const conf = configMap(raw, file);
  const schedVer = typeof conf.schedVer === 'number' ? conf.schedVer : 1;
  // Schema 18 comes from Anki 2.1.50+, which no longer runs v1; older files without schedVer are v1.
  const remapV1 = raw.ver < 18 && schedVer < 2;

  const types = noteTypes(raw, file);
  const layouts = new Map<number, Layout>();
  for (const nt of types.values()) {
    const layout = layoutOf(nt);
    layouts.set(nt.id, layout);
    if (layout === 'generic') {
      warn(`Anki note type "${nt.name}" (${nt.templates.length} card templates) is not basic, reversed, cloze or type-in; its cards are imported as basic cards showing the fields of their template`);
    }
  }

  const deckNames = new Map<number, string>();
  if (raw.deckRows.length > 0) {
    for (const d of raw.deckRows) deckNames.set(Number(d.id), d.name.split('\u001f').join('::'));
  } else {
    const decks = parseJson(raw.decks, file, 'decks') as Record<string, { id: number | string; name: string; desc?: string }>;
    for (const d of Object.values(decks)) deckNames.set(Number(d.id), d.name);
  }
  const deckDesc = new Map<number, string>();
  if (raw.deckRows.length === 0 && raw.decks) {
    const decks = parseJson(raw.decks, file, 'decks') as Record<string, { id: number | string; desc?: string }>;
    for (const d of Object.values(decks)) if (d.desc) deckDesc.set(Number(d.id), htmlToText(d.desc));
  }

  const notes = new Map(raw.notes.map((n) => [Number(n.id), n]));
  const revlogByCard = new Map<number, AnkiRevlogRow[]>();
  for (const r of raw.revlog) {
    const list = revlogByCard.get(r.cid) ?? [];
    list.push(r);
    revlogByCard.set(r.cid, list);
  }

  const stats: AnkiImportStats = {
    notes: raw.notes.length, cards: 0, revlogRows: raw.revlog.length,
    rated: 0, manual: 0, cram: 0, superseded: 0, orphaned: 0, remappedV1: 0,
  };
  const decks = new Map<string, PlannedDeck>();
  const imported = new Set<number>();
  let skippedCards = 0;
  const records = new Map<number, RecallNoteRecord | null>();
  const recordOf = (note: AnkiNoteRow): RecallNoteRecord | null => {
    let r = records.get(Number(note.id));
    if (r === undefined) records.set(Number(note.id), (r = decodeRecallRecord(note.data)));
    return r;
  };
  const ownUids = new Set<string>();
  const oversizedTypes = new Set<string>();
  for (const card of raw.cards as AnkiCardRow[]) {
    const note = notes.get(Number(card.nid));
    const nt = note ? types.get(Number(note.mid)) : undefined;
    if (!note || !nt) {
      skippedCards++;
      continue;
    }
    const values = note.flds.split('\u001f');
    const layout = layouts.get(nt.id) ?? 'generic';
    const built = buildContent(nt, layout, values, card.ord);
    const noteUid = `anki:${note.guid}`;
    const homeDeck = card.odid ? card.odid : card.did;
    const deckName = opts.deck ?? deckNames.get(Number(homeDeck)) ?? 'Default';
    const tags = note.tags.split(/\s+/).filter(Boolean);
    const history = planReviews(revlogByCard.get(card.id) ?? [], note.guid, card.ord, remapV1);
    for (const k of Object.keys(history.counts) as RevlogClass[]) stats[k] += history.counts[k];
    stats.remappedV1 += history.remapped;
    // A package recall wrote carries each card as recall had it (question types Anki lacks, exact text) and the
    // study day of each answer; notes that came from Anki keep their Anki note for the way back.
    const kept = recordOf(note)?.cards[String(card.ord)];
    const own = kept?.card && !ownUids.has(`${deckName}\u0000${kept.card.uid}`) ? kept.card : undefined;
    if (kept?.days) withRecordedDays(history.reviews, kept.days);
    let planned: PlannedCard;
    if (own) {
      ownUids.add(`${deckName}\u0000${own.uid}`);
      const { uid, noteUid: ownNote, content, explanation, source, tags: ownTags } = own;
      planned = { uid, noteUid: ownNote, content, reviews: history.reviews, ankiCardId: card.id, uidInDeck: true };
      if (explanation) planned.explanation = explanation;
      if (source) planned.source = source;
      if (ownTags?.length) planned.tags = ownTags;
    } else {
      planned = {
        uid: noteUid + built.uidSuffix,
        noteUid,
        content: built.content,
        reviews: history.reviews,
        ankiCardId: card.id,
      };
      if (tags.length) planned.tags = tags;
      if (built.explanation) planned.explanation = built.explanation;
      const origin = ankiOrigin(note, nt, card, values);
      if (origin) planned.anki = origin;
      else oversizedTypes.add(nt.name);
    }
    if (card.queue === -1) planned.suspended = true;
    if (card.queue === -2 || card.queue === -3) planned.buried = true;
    let deck = decks.get(deckName);
    if (!deck) {
      deck = { name: deckName, cards: [] };
      const desc = opts.deck === undefined ? deckDesc.get(Number(homeDeck)) : undefined;
      if (desc) deck.description = desc;
      decks.set(deckName, deck);
    }
    deck.cards.push(planned);
    imported.add(card.id);
    stats.cards++;
  }
  for (const name of oversizedTypes) {
    warn(`Anki note type "${name}" is larger than ${MAX_NOTE_TYPE_CHARS / 1024} KiB; its notes are not kept for export to Anki and would go back as Basic notes`);
  }
  if (skippedCards > 0) warn(`${skippedCards} cards have no note or note type in the collection and are skipped`, 'in Anki, run Tools > Check Database, then export again');
  for (const [cid, rows] of revlogByCard) if (!imported.has(cid)) stats.orphaned += rows.length;
  if (stats.orphaned > 0) warn(`${stats.orphaned} review-log rows belong to cards deleted in Anki and are not imported`);

  const offset = typeof conf.localOffset === 'number' ? conf.localOffset : typeof conf.creationOffset === 'number' ? conf.creationOffset : undefined;
  const timeZone = offset === undefined ? null : etcZoneForOffset(offset);
  if (offset !== undefined && timeZone === null) warn(`The collection's UTC offset (${-offset} minutes) is not a whole hour; its time zone is not imported`);
  const rollover = typeof conf.rollover === 'number' && conf.rollover >= 0 && conf.rollover <= 23 ? conf.rollover : 4;

  const plan: ImportPlan = {
    file,
    format: 'anki-package',
    decks: [...decks.values()],
    warnings,
    timeZone,
    dayStartHour: rollover,
  };
  return { plan, stats };
}
