// recall cards, their schedules and their review logs as the rows of an Anki collection (schema 11, the layout of
// `collection.anki21` in a package that Anki 2.1.50 and later import). Pure: the clock, the time zone and every
// row come in as arguments; `store/anki-writer.ts` writes the result and `exporters/anki-package.ts` zips it.
//
// Units, as Anki keeps them:
// - ids (notes, cards, revlog) are epoch milliseconds; `mod` is epoch seconds;
// - a review card's `due` is a day number counted from the collection's creation day (`col.crt`) with the day
//   starting at `rollover` o'clock, so it is computed with recall's own study days (same zone, same day start);
//   an intraday learning card's `due` is epoch seconds, an interday one's a day number; a new card's its position;
// - `ivl` is days; in the revlog, days after the answer, or negative seconds for a learning step;
// - `factor` is the SM-2 ease in permille on cards, and Anki's FSRS difficulty (0.1-1.1, x1000) in the revlog;
// - `cards.data` holds the FSRS memory state as Anki 23.10+ writes it: {"s":stability,"d":difficulty 1-10,"dr":...}.
import { hash } from 'node:crypto';
import { encodeRecallRecord, type RecallCardRecord } from '../core/recall-record.js';
import type { AnkiNoteTypeOrigin, CardContent, CardSpec, CardState, Rating, Schedule } from '../core/types.js';
import { noteBodyOf } from '../decks/parse.js';
import { decodeEntities } from '../importers/html.js';
import { dayStartInstant, offsetMs, studyDay } from '../scheduler/day.js';
import { curveFactor, decayOf } from '../stats/compute.js';
import { ankiGuid, ankiNote, ankiOrd } from './anki-note.js';

const DAY_MS = 86_400_000;
const INT32_MAX = 2 ** 31 - 1;

// ---------------------------------------------------------------------------------------------------------
// Input

/** One answer of a card's log (not undone), as stored. */
export interface ExportReview {
  reviewedAt: number;
  rating: Rating;
  stateBefore: CardState;
  stateAfter: CardState;
  /** Schedule after the answer (for rows that did not reschedule: the unchanged one). */
  due: number;
  difficulty: number;
  scheduledDays: number;
  durationMs: number;
  scheduled: boolean;
  /** The state an imported answer had in its source (Anki's revlog type + 1, 0 = first answer); null for recall's own. */
  sourceState: number | null;
  /** The study day recorded with the answer. */
  day: number;
}

/** A card of a deck; a deck's cards come in deck order, which is the order new cards are studied in. */
export interface ExportCard {
  spec: CardSpec;
  suspended: boolean;
  buriedUntil: number | null;
  createdAt: number;
  updatedAt: number;
  schedule: Schedule | null;
  reviews: CardLog;
}

/**
 * A card's answers, chronological: their number and the first one's time without building them, and the answers
 * themselves when the card is written. A collection's log is a million answers: the database hands it over in
 * columns (store/export-source.ts), and each card's answers exist as objects only while that card is written.
 */
export interface CardLog {
  readonly length: number;
  readonly firstAt: number | null;
  all(): readonly ExportReview[];
}

/** A CardLog of answers at hand. */
export function cardLog(reviews: readonly ExportReview[]): CardLog {
  return { length: reviews.length, firstAt: reviews[0]?.reviewedAt ?? null, all: () => reviews };
}

export interface ExportDeck {
  name: string;
  description: string;
  cards: ExportCard[];
}

export interface AnkiExportSettings {
  desiredRetention: number;
  maximumInterval: number;
  learningSteps: string[];
  relearningSteps: string[];
  newPerDay: number;
  reviewsPerDay: number;
  /** The FSRS parameters in force (the defaults written out when none were fitted). */
  parameters: number[];
  /** Lapses that make a card a leech (0: never); what then happens to it. */
  leechThreshold: number;
  leechAction: 'tag' | 'suspend';
}

export interface AnkiExportInput {
  now: number;
  /** IANA zone (or `local`) and hour the study day starts: Anki's day numbers must count the same days. */
  timeZone: string;
  dayStartHour: number;
  /** When the recall database was created; the collection's creation day is the earliest of this and any answer. */
  createdAt: number;
  /** The global options: Anki's Default options group, for every deck without a preset. */
  settings: AnkiExportSettings;
  /** Decks on a preset, by deck name: the preset's name and the options in force for them (global + preset). */
  deckPresets: Record<string, { preset: string; settings: AnkiExportSettings }>;
  decks: ExportDeck[];
}

// ---------------------------------------------------------------------------------------------------------
// Output: the rows of the schema-11 tables

export interface AnkiColRow {
  crt: number; mod: number; scm: number; ver: number; dty: number; usn: number; ls: number;
  conf: string; models: string; decks: string; dconf: string; tags: string;
}
export interface AnkiNoteOut {
  id: number; guid: string; mid: number; mod: number; usn: number; tags: string; flds: string; sfld: string;
  csum: number; flags: number; data: string;
}
export interface AnkiCardOut {
  id: number; nid: number; did: number; ord: number; mod: number; usn: number; type: number; queue: number;
  due: number; ivl: number; factor: number; reps: number; lapses: number; left: number; odue: number; odid: number;
  flags: number; data: string;
}
export interface AnkiRevlogOut {
  id: number; cid: number; usn: number; ease: number; ivl: number; lastIvl: number; factor: number; time: number; type: number;
}

/**
 * The review log as columns, an answer per index in the order built; `usn` is -1 throughout. A million answers as
 * row objects cost a whole-collection export ~100 MB of heap and its garbage collection; typed arrays sit outside
 * the heap and are never traced.
 */
export interface AnkiRevlogColumns {
  length: number;
  id: Float64Array; cid: Float64Array; ease: Float64Array; ivl: Float64Array; lastIvl: Float64Array; factor: Float64Array;
  time: Float64Array; type: Float64Array;
}

function revlogColumns(length: number): AnkiRevlogColumns {
  const column = () => new Float64Array(length);
  return {
    length, id: column(), cid: column(), ease: column(), ivl: column(), lastIvl: column(), factor: column(), time: column(), type: column(),
  };
}

/** The log as row objects (for tests, and for reading a small log). */
export function revlogRows(c: AnkiRevlogColumns): AnkiRevlogOut[] {
  return Array.from({ length: c.length }, (_, i) => ({
    id: c.id[i]!, cid: c.cid[i]!, usn: -1, ease: c.ease[i]!, ivl: c.ivl[i]!, lastIvl: c.lastIvl[i]!, factor: c.factor[i]!,
    time: c.time[i]!, type: c.type[i]!,
  }));
}

export interface AnkiCollection {
  col: AnkiColRow;
  notes: AnkiNoteOut[];
  cards: AnkiCardOut[];
  revlog: AnkiRevlogColumns;
  /** Review-log ids moved by a millisecond because two answers shared one (Anki's id is the primary key). */
  shiftedRevlogIds: number;
  /** Notes whose Anki note type, as recorded, did not fit their fields: fields padded or cut to the note type. */
  refitNotes: number;
}

// ---------------------------------------------------------------------------------------------------------
// Anki's stock note types, with Anki's names, fields and templates

const CARD_CSS = '.card {\n    font-family: arial;\n    font-size: 20px;\n    text-align: center;\n    color: black;\n    background-color: white;\n}\n';
const CLOZE_CSS = `${CARD_CSS}.cloze {\n    font-weight: bold;\n    color: blue;\n}\n.nightMode .cloze {\n    color: lightblue;\n}\n`;
const ANSWER = '{{FrontSide}}\n\n<hr id=answer>\n\n';

type StockKind = 'Basic' | 'Basic (and reversed card)' | 'Basic (type in the answer)' | 'Cloze';

/** Fixed ids, so two exports from recall bring one set of note types into Anki, not one per package. */
const STOCK: Record<StockKind, AnkiNoteTypeOrigin> = {
  Basic: {
    id: 1_700_000_000_001, name: 'Basic', kind: 0, fields: ['Front', 'Back'], css: CARD_CSS, sortField: 0,
    templates: [{ name: 'Card 1', qfmt: '{{Front}}', afmt: `${ANSWER}{{Back}}` }],
  },
  'Basic (and reversed card)': {
    id: 1_700_000_000_002, name: 'Basic (and reversed card)', kind: 0, fields: ['Front', 'Back'], css: CARD_CSS, sortField: 0,
    templates: [
      { name: 'Card 1', qfmt: '{{Front}}', afmt: `${ANSWER}{{Back}}` },
      { name: 'Card 2', qfmt: '{{Back}}', afmt: `${ANSWER}{{Front}}` },
    ],
  },
  'Basic (type in the answer)': {
    id: 1_700_000_000_003, name: 'Basic (type in the answer)', kind: 0, fields: ['Front', 'Back'], css: CARD_CSS, sortField: 0,
    templates: [{ name: 'Card 1', qfmt: '{{Front}}\n\n{{type:Back}}', afmt: '{{Front}}\n\n<hr id=answer>\n\n{{type:Back}}' }],
  },
  Cloze: {
    id: 1_700_000_000_004, name: 'Cloze', kind: 1, fields: ['Text', 'Back Extra'], css: CLOZE_CSS, sortField: 0,
    templates: [{ name: 'Cloze', qfmt: '{{cloze:Text}}', afmt: '{{cloze:Text}}<br>\n{{Back Extra}}' }],
  },
};

/** Question types Anki has no note type for: Basic notes, tagged so they can be found. */
const TAGGED_TYPES = new Set(['choice', 'multi', 'truefalse', 'classify']);

// ---------------------------------------------------------------------------------------------------------
// Small conversions

/** recall text as Anki field HTML: markup characters escaped, line breaks as <br>. */
export function textToHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r?\n/g, '<br>');
}

/** A field as Anki sorts and checksums it: tags removed, images by file name, entities decoded. */
export function stripHtml(html: string): string {
  const withImages = html.replace(/<img\b[^>]*?\bsrc\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))[^>]*>/gi, (_m, a, b, c) => ` ${a ?? b ?? c} `);
  return decodeEntities(withImages.replace(/<[^>]*>/g, ''));
}

/** Anki's duplicate-check checksum: the first 4 bytes of the SHA-1 of the stripped first field, as an integer. */
export function fieldChecksum(text: string): number {
  return parseInt(hash('sha1', text, 'hex').slice(0, 8), 16);
}

/** Learning steps such as `30s`, `10m`, `1h`, `1d` in minutes, as Anki's options store them (fractions allowed). */
export function stepMinutes(step: string): number {
  const m = /^(\d+(?:\.\d+)?)([smhd])$/.exec(step);
  if (!m) return 1;
  const n = Number(m[1]);
  const minutes = m[2] === 'd' ? n * 1440 : m[2] === 'h' ? n * 60 : m[2] === 's' ? n / 60 : n;
  return Math.round(minutes * 1e4) / 1e4;
}

/** A deck name as Anki keeps it: parts trimmed, empty parts dropped (and `Default` when nothing is left). */
export function ankiDeckName(name: string): string {
  return name.split('::').map((p) => p.trim()).filter(Boolean).join('::') || 'Default';
}

/** Anki's tags: no spaces inside a tag; stored space-separated with a space at either end. */
function tagString(tags: readonly string[]): string {
  const clean = [...new Set(tags.map((t) => t.trim().replace(/\s+/g, '_')).filter(Boolean))];
  return clean.length ? ` ${clean.join(' ')} ` : '';
}

/** Anki's revlog `factor` for an FSRS answer: the difficulty after it, mapped from 1-10 to 0.1-1.1, in permille. */
function difficultyFactor(difficulty: number): number {
  const d = Math.min(10, Math.max(1, difficulty));
  return Math.round(((d - 1) / 9 + 0.1) * 1000);
}

const round = (x: number, places: number) => Math.round(x * 10 ** places) / 10 ** places;

// ---------------------------------------------------------------------------------------------------------
// Ids

/**
 * A set of numbers in one Float64Array (open addressing, NaN = empty slot). A Set of a million ids above 2^31 keeps
 * each as a heap number and was most of the time spent handing out review-log ids.
 */
class NumberSet {
  private slots = new Float64Array(1024).fill(NaN);
  private size = 0;
  private slotOf(v: number): number {
    const mask = this.slots.length - 1;
    // Integers up to 2^53: mix the low and high 32 bits.
    let i = Math.imul((v % 4294967296) ^ Math.imul(Math.floor(v / 4294967296), 0x9e3779b1), 0x85ebca6b) & mask;
    for (;;) {
      const x = this.slots[i]!;
      if (x === v || x !== x) return i;
      i = (i + 1) & mask;
    }
  }
  has(v: number): boolean {
    return this.slots[this.slotOf(v)] === v;
  }
  add(v: number): void {
    const i = this.slotOf(v);
    if (this.slots[i] === v) return;
    this.slots[i] = v;
    if (++this.size * 2 > this.slots.length) this.grow();
  }
  private grow(): void {
    const old = this.slots;
    this.slots = new Float64Array(old.length * 2).fill(NaN);
    for (const x of old) if (x === x) this.slots[this.slotOf(x)] = x;
  }
}

/** Hands out unique ids near a wanted value (Anki ids are creation times in ms; a clash moves to the next free one). */
class IdPool {
  private readonly taken = new NumberSet();
  private last = 0;
  /** `wanted` itself when free (ids kept from Anki); else the next free id after it. */
  keep(wanted: number): number | undefined {
    if (!Number.isSafeInteger(wanted) || wanted <= 0 || this.taken.has(wanted)) return undefined;
    this.taken.add(wanted);
    return wanted;
  }
  /** A fresh id: ascending in the order asked for, never before `from`. */
  next(from: number): number {
    let id = Math.max(Math.floor(from), this.last + 1);
    while (this.taken.has(id)) id++;
    this.taken.add(id);
    this.last = id;
    return id;
  }
  /** `wanted` or the first free id after it, without moving the ascending counter (review-log ids are answer times). */
  near(wanted: number): number {
    let id = Math.floor(wanted);
    while (this.taken.has(id)) id++;
    this.taken.add(id);
    return id;
  }
}

// ---------------------------------------------------------------------------------------------------------
// The mapping

interface NoteDraft {
  deckName: string;
  guid: string;
  type: AnkiNoteTypeOrigin;
  fields: string[];
  tags: string[];
  mod: number;
  preferredId?: number;
  /** True when the note is kept from Anki; else recall's cards go into notes.data. */
  fromAnki: boolean;
  cards: { card: ExportCard; ord: number; deckName: string; preferredId?: number }[];
}

/** The notes a deck's cards form, the way the deck file groups them: a reversed pair or a cloze text is one note. */
function draftNotes(deck: ExportDeck, ankiNotes: Map<string, NoteDraft>): NoteDraft[] {
  const out: NoteDraft[] = [];
  const groups = new Map<string, ExportCard[]>();
  for (const c of deck.cards) {
    const origin = c.spec.anki;
    if (origin) {
      // One Anki note, whatever recall decks its cards are in now; a second card of the same ordinal cannot join it.
      let note = ankiNotes.get(origin.guid);
      if (!note) {
        note = {
          deckName: deck.name, guid: origin.guid, type: origin.noteType, fields: [...origin.fields], tags: c.spec.tags ?? [],
          mod: origin.mod, preferredId: origin.noteId, fromAnki: true, cards: [],
        };
        ankiNotes.set(origin.guid, note);
        out.push(note);
      }
      if (!note.cards.some((x) => x.ord === origin.ord)) {
        note.cards.push({ card: c, ord: origin.ord, deckName: deck.name, preferredId: origin.cardId });
        continue;
      }
    }
    const key = c.spec.noteUid;
    const g = groups.get(key);
    if (g) g.push(c);
    else groups.set(key, [c]);
  }
  for (const [noteUid, group] of groups) {
    const t = group[0]!.spec.content.type;
    const same = group.every((c) => c.spec.content.type === t);
    const ords = group.map((c) => ankiOrd(c.spec.content));
    if (same && (t === 'reversed' || t === 'cloze') && new Set(ords).size === group.length) {
      const main = group.find((c) => c.spec.content.type === 'reversed' && c.spec.content.direction === 'forward') ?? group[0]!;
      out.push(recallNote(deck.name, noteUid, main, group.map((card, i) => ({ card, ord: ords[i]!, deckName: deck.name }))));
    } else if (group.length === 1) {
      out.push(recallNote(deck.name, noteUid, group[0]!, [{ card: group[0]!, ord: ankiOrd(group[0]!.spec.content), deckName: deck.name }]));
    } else {
      for (const c of group) out.push(recallNote(deck.name, c.spec.uid, c, [{ card: c, ord: ankiOrd(c.spec.content), deckName: deck.name }]));
    }
  }
  return out;
}

function recallNote(deckName: string, noteUid: string, main: ExportCard, cards: NoteDraft['cards']): NoteDraft {
  const { noteType, fields } = ankiNote(noteBodyOf(main.spec.content), main.spec.explanation);
  const type = main.spec.content.type;
  const tags = [...(main.spec.tags ?? []), ...(TAGGED_TYPES.has(type) ? [`recall::${type}`] : [])];
  return {
    deckName,
    guid: ankiGuid(deckName, noteUid),
    type: STOCK[noteType as StockKind],
    fields: fields.map(textToHtml),
    tags,
    mod: Math.floor(Math.max(...cards.map((c) => c.card.updatedAt)) / 1000),
    fromAnki: false,
    cards,
  };
}

/**
 * SM-2's ease (permille) after an answer, as Anki keeps it beside FSRS (and uses if FSRS is turned off): 2500 at
 * graduation, moved by answers given in review; a reset clears it.
 */
function nextEase(ease: number, r: ExportReview): number {
  if (!r.scheduled) return ease;
  if (r.rating === 0) return r.stateAfter === 0 ? 0 : ease || 2500;
  // A history that starts in review (kept from Anki without its learning) starts from the initial ease.
  let e = ease || (r.stateBefore === 2 || r.stateBefore === 3 ? 2500 : 0);
  if (r.stateBefore === 2) {
    if (r.rating === 1) e = Math.max(1300, e - 200);
    else if (r.rating === 2) e = Math.max(1300, e - 150);
    else if (r.rating === 4) e += 150;
  }
  return r.stateAfter === 2 && e === 0 ? 2500 : e;
}

/**
 * encodeRecallRecord's text for a note's record, each card's `days` given as JSON text (see above). JSON.stringify
 * writes the record's ordinal keys in ascending order, and each card's `card` before its `days`; so does this.
 */
function recordJson(record: Record<string, RecallCardRecord>, daysJson: ReadonlyMap<number, string>): string {
  if (daysJson.size === 0) return encodeRecallRecord({ v: 1, cards: record });
  const marked: Record<string, RecallCardRecord> = {};
  for (const [ord, kept] of Object.entries(record)) {
    marked[ord] = daysJson.has(Number(ord)) ? { ...kept, days: { [DAYS_MARK]: Number(ord) } } : kept;
  }
  return encodeRecallRecord({ v: 1, cards: marked }).replace(DAYS_MARK_PATTERN, (_m, ord: string) => daysJson.get(Number(ord))!);
}

/** Stands in for a card's days in the record's JSON until the text written for them replaces it. */
const DAYS_MARK = '\u0000days';
const DAYS_MARK_PATTERN = /\{"\\u0000days":(\d+)\}/g;

export function buildAnkiCollection(input: AnkiExportInput): AnkiCollection {
  const { now, timeZone, dayStartHour: rollover, settings } = input;
  const day = (ms: number) => studyDay(ms, timeZone, rollover);

  // The collection's creation day: the first day anything happened, so every day number is positive.
  let first = Math.min(input.createdAt, now);
  for (const d of input.decks) for (const c of d.cards) {
    first = Math.min(first, c.createdAt);
    if (c.reviews.firstAt !== null) first = Math.min(first, c.reviews.firstAt);
  }
  const day0 = day(first);
  const crtMs = dayStartInstant(day0, timeZone, rollover);
  const crt = Math.floor(crtMs / 1000);
  const dayNumber = (ms: number) => day(ms) - day0;
  const minutesWest = (ms: number) => -Math.round(offsetMs(ms, timeZone) / 60_000);

  // Decks (with the parents of subdecks, which Anki expects to exist) and their options groups. Anki's deck names are
  // unique regardless of case and have no empty or padded parts; recall decks that Anki would see as one become one.
  const deckIds = new Map<string, number>([['default', 1]]);
  const deckNames: string[] = [];
  const keyOf = (recallName: string) => ankiDeckName(recallName).toLowerCase();
  for (const d of input.decks) {
    const parts = ankiDeckName(d.name).split('::');
    for (let i = 1; i <= parts.length; i++) {
      const name = parts.slice(0, i).join('::');
      if (!deckIds.has(name.toLowerCase())) {
        deckIds.set(name.toLowerCase(), crtMs + deckIds.size);
        deckNames.push(name);
      }
    }
  }
  // One Anki options group per recall preset in use, with that preset's options (retention, steps, limits, leeches,
  // parameters); decks without one share Default, which carries the global options.
  const presets = new Map<string, { id: number; name: string; settings: AnkiExportSettings }>();
  const presetOfDeck = new Map<string, { id: number; name: string; settings: AnkiExportSettings }>();
  for (const d of input.decks) {
    const own = input.deckPresets[d.name];
    if (!own) continue;
    let group = presets.get(own.preset);
    if (!group) presets.set(own.preset, (group = { id: presets.size + 2, name: own.preset, settings: own.settings }));
    if (!presetOfDeck.has(keyOf(d.name))) presetOfDeck.set(keyOf(d.name), group);
  }
  const settingsOf = (deckName: string) => presetOfDeck.get(keyOf(deckName))?.settings ?? settings;

  // Notes and cards. A guid names one note in Anki: a recall note that would repeat one (a second card of an Anki
  // note's ordinal, a note in two decks of one name) gets its own.
  const ankiNotes = new Map<string, NoteDraft>();
  const drafts = input.decks.flatMap((d) => draftNotes(d, ankiNotes));
  const guids = new Set<string>();
  for (const note of drafts) {
    let guid = note.guid;
    for (let n = 2; guids.has(guid); n++) guid = `${note.guid}#${n}`;
    note.guid = guid;
    guids.add(guid);
  }

  // Note types: the four stock ones, and every Anki note type kept with a card. One id per schema; names unique.
  const types = new Map<number, { type: AnkiNoteTypeOrigin; signature: string }>();
  const names = new Set<string>();
  // Anki's note type names are unique regardless of case, as deck names are.
  const signatureOf = (t: AnkiNoteTypeOrigin) => JSON.stringify([t.kind, t.fields, t.templates.map((x) => x.name)]);
  const register = (t: AnkiNoteTypeOrigin): AnkiNoteTypeOrigin => {
    const signature = signatureOf(t);
    const known = types.get(t.id);
    if (known && known.signature === signature) return known.type;
    let id = t.id;
    while (types.has(id)) id++;
    let name = t.name.trim() || 'Note type';
    for (let n = 2; names.has(name.toLowerCase()); n++) name = `${t.name.trim() || 'Note type'}-${n}`;
    const type = { ...t, id, name };
    types.set(id, { type, signature });
    names.add(name.toLowerCase());
    return type;
  };
  // The user's own note types keep their names. recall's notes go into the user's own Basic, Cloze, ... where one
  // has the stock fields and templates count (Anki then adds no note type of its own); else into recall's stock
  // types, which give way if a name is taken.
  for (const note of drafts) if (note.fromAnki) note.type = register(note.type);
  const own = [...types.values()].map((x) => x.type);
  const fits = (mine: AnkiNoteTypeOrigin, t: AnkiNoteTypeOrigin) =>
    mine.name.toLowerCase() === t.name.toLowerCase() && mine.kind === t.kind && mine.templates.length === t.templates.length &&
    JSON.stringify(mine.fields) === JSON.stringify(t.fields);
  const stock = new Map(Object.values(STOCK).map((t) => [t.id, own.find((mine) => fits(mine, t)) ?? register(t)]));
  for (const note of drafts) if (!note.fromAnki) note.type = stock.get(note.type.id)!;

  const noteIds = new IdPool();
  const cardIds = new IdPool();
  const revlogIds = new IdPool();
  for (const note of drafts) if (note.preferredId !== undefined) note.preferredId = noteIds.keep(note.preferredId);
  for (const note of drafts) for (const c of note.cards) if (c.preferredId !== undefined) c.preferredId = cardIds.keep(c.preferredId);

  const notes: AnkiNoteOut[] = [];
  const cards: AnkiCardOut[] = [];
  let answers = 0;
  for (const note of drafts) for (const { card } of note.cards) answers += card.reviews.length;
  const revlog = revlogColumns(answers);
  let at = 0;
  const tagSet = new Set<string>();
  let shiftedRevlogIds = 0;
  let refitNotes = 0;
  let newPosition = 0;

  for (const note of drafts) {
    const created = Math.min(...note.cards.map((c) => c.card.createdAt));
    const nid = note.preferredId ?? noteIds.next(created);
    const fieldCount = Math.max(1, note.type.fields.length);
    const fields = note.fields.slice(0, fieldCount);
    while (fields.length < fieldCount) fields.push('');
    if (note.fields.length !== fieldCount) refitNotes++;
    const tags = tagString(note.tags);
    for (const t of tags.trim().split(' ')) if (t) tagSet.add(t);
    const record: Record<string, RecallCardRecord> = {};
    const daysJson = new Map<number, string>();

    for (const { card, ord, deckName, preferredId } of note.cards) {
      const cid = preferredId ?? cardIds.next(card.createdAt);
      const did = deckIds.get(keyOf(deckName)) ?? 1;
      const options = settingsOf(deckName);
      const s = card.schedule;
      const log = card.reviews.all();
      const ease = log.reduce(nextEase, 0);
      const sched = scheduleFields(s, ease, options, options.parameters, day, dayNumber, () => newPosition++);
      let queue = sched.queue;
      if (card.suspended) queue = -1;
      else if (card.buriedUntil !== null && card.buriedUntil > now) queue = -3;
      const lastTouch = Math.max(card.updatedAt, s?.lastReview ?? 0);
      cards.push({
        id: cid, nid, did, ord, mod: Math.floor(lastTouch / 1000), usn: -1, type: sched.type, queue, due: sched.due,
        ivl: sched.ivl, factor: sched.factor, reps: s?.reps ?? 0, lapses: s?.lapses ?? 0, left: sched.left,
        odue: 0, odid: 0, flags: 0, data: sched.data,
      });

      // The log: Anki's ids are the answer times, unique across the collection. The study days go into the note's
      // record as JSON text, written here: an object keyed by a million distinct ids costs V8 a hidden class each.
      let days = '';
      let indexLike = false;
      let lastIvl = 0;
      let running = 0;
      // Answers before the first that counts were kept from Anki as history; see putRevlogRow.
      const counted = log.findIndex((r) => r.scheduled);
      log.forEach((r, i) => {
        const id = revlogIds.near(r.reviewedAt);
        if (id !== r.reviewedAt) shiftedRevlogIds++;
        running = nextEase(running, r);
        const ivl = putRevlogRow(revlog, at++, r, id, cid, lastIvl, day, running, counted === -1 || i < counted);
        if (r.scheduled) lastIvl = ivl;
        // Both are integers (an id from the pool, a study day from the log): JSON as they print.
        days += `${days ? ',' : '{'}"${id}":${r.day}`;
        // An id that is an array index (before 1970-02-19) is a key JSON.stringify would put in numeric order.
        if (id >= 0 && id < 4294967295) indexLike = true;
      });
      const kept: RecallCardRecord = {};
      if (!note.fromAnki) {
        const { anki: _anki, ...spec } = card.spec;
        kept.card = { uid: spec.uid, noteUid: spec.noteUid, content: spec.content };
        if (spec.explanation) kept.card.explanation = spec.explanation;
        if (spec.source) kept.card.source = spec.source;
        if (spec.tags?.length) kept.card.tags = spec.tags;
      }
      if (log.length && indexLike) kept.days = JSON.parse(`${days}}`) as Record<string, number>;
      else if (log.length) daysJson.set(ord, `${days}}`);
      if (kept.card || log.length) record[String(ord)] = kept;
    }

    const sortText = stripHtml(fields[Math.min(note.type.sortField, fields.length - 1)] ?? '');
    notes.push({
      id: nid, guid: note.guid, mid: note.type.id, mod: note.mod, usn: -1, tags, flds: fields.join('\u001f'),
      sfld: sortText, csum: fieldChecksum(stripHtml(fields[0] ?? '')), flags: 0,
      data: Object.keys(record).length ? recordJson(record, daysJson) : '',
    });
  }

  const conf = {
    activeDecks: [1], curDeck: 1, newSpread: 0, collapseTime: 1200, timeLim: 0, estTimes: true, dueCounts: true,
    curModel: STOCK.Basic.id, nextPos: newPosition + 1, sortType: 'noteFld', sortBackwards: false, addToCur: true,
    dayLearnFirst: false, schedVer: 2, sched2021: true, rollover,
    creationOffset: minutesWest(crtMs), localOffset: minutesWest(now),
    // recall schedules with FSRS; the memory states in cards.data continue where it left off.
    fsrs: true,
  };
  const models: Record<string, unknown> = {};
  for (const { type } of types.values()) models[String(type.id)] = noteTypeJson(type);
  const decks: Record<string, unknown> = { '1': deckJson(1, 'Default', '', 1) };
  const descriptions = new Map<string, string>();
  for (const d of input.decks) if (d.description && !descriptions.has(keyOf(d.name))) descriptions.set(keyOf(d.name), d.description);
  for (const name of deckNames) {
    const key = name.toLowerCase();
    const id = deckIds.get(key)!;
    decks[String(id)] = deckJson(id, name, textToHtml(descriptions.get(key) ?? ''), presetOfDeck.get(key)?.id ?? 1);
  }
  const dconf: Record<string, unknown> = { '1': optionsJson(1, 'Default', settings) };
  for (const p of presets.values()) dconf[String(p.id)] = optionsJson(p.id, `recall: ${p.name}`, p.settings);

  return {
    col: {
      crt, mod: now, scm: now, ver: 11, dty: 0, usn: 0, ls: 0,
      conf: JSON.stringify(conf), models: JSON.stringify(models), decks: JSON.stringify(decks), dconf: JSON.stringify(dconf),
      tags: JSON.stringify(Object.fromEntries([...tagSet].sort().map((t) => [t, 0]))),
    },
    notes,
    cards,
    revlog,
    shiftedRevlogIds,
    refitNotes,
  };
}

interface ScheduleFields { type: number; queue: number; due: number; ivl: number; factor: number; left: number; data: string }

/** A card's schedule in Anki's columns (before suspension or burying). */
function scheduleFields(
  s: Schedule | null,
  ease: number,
  settings: AnkiExportSettings,
  params: readonly number[],
  day: (ms: number) => number,
  dayNumber: (ms: number) => number,
  nextPosition: () => number,
): ScheduleFields {
  if (!s || s.state === 0) return { type: 0, queue: 0, due: nextPosition(), ivl: 0, factor: 0, left: 0, data: '{}' };
  const decay = decayOf(params.length ? [...params] : null);
  const data: Record<string, number> = {};
  if (s.stability > 0 && s.difficulty > 0) {
    data.s = round(s.stability, 4);
    data.d = round(s.difficulty, 3);
    data.dr = round(settings.desiredRetention, 2);
    if (params.length >= 21) data.decay = round(decay, 3);
  }
  if (s.lastReview !== null) data.lrt = Math.floor(s.lastReview / 1000);
  const json = JSON.stringify(data);
  // A step that ends on a later study day waits in Anki's interday queue, counted in days; else in seconds.
  const since = s.lastReview ?? s.due;
  const learningDue = day(s.due) > day(since) ? { queue: 3, due: dayNumber(s.due) } : { queue: 1, due: Math.round(s.due / 1000) };
  if (s.state === 1) {
    const left = Math.max(1, settings.learningSteps.length - s.learningSteps);
    return { type: 1, ...learningDue, ivl: 0, factor: ease, left, data: json };
  }
  if (s.state === 3) {
    // Anki keeps the interval the card returns to after relearning: FSRS's for its stability now.
    const t = (s.stability / curveFactor(decay)) * (Math.pow(settings.desiredRetention, -1 / decay) - 1);
    const ivl = Math.min(settings.maximumInterval, Math.max(1, Math.round(t)));
    const left = Math.max(1, settings.relearningSteps.length - s.learningSteps);
    return { type: 3, ...learningDue, ivl, factor: ease || 2500, left, data: json };
  }
  const ivl = Math.max(1, s.scheduledDays || day(s.due) - day(since));
  return { type: 2, queue: 2, due: dayNumber(s.due), ivl, factor: ease || 2500, left: 0, data: json };
}

/**
 * One answer as Anki's revlog row, written at `at` of the columns; returns its `ivl`. `beforeCounted`: the answer
 * comes before the first one that moves the schedule.
 */
function putRevlogRow(
  out: AnkiRevlogColumns, at: number, r: ExportReview, id: number, cid: number, lastIvl: number, day: (ms: number) => number, ease: number,
  beforeCounted: boolean,
): number {
  const time = Math.min(INT32_MAX, Math.max(0, Math.round(r.durationMs) || 0));
  let type: number;
  let ivl = 0;
  let factor: number;
  if (r.rating === 0) {
    // A manual entry: a reset to new (interval 0), or a due date set by hand.
    const wait = Math.max(0, r.due - r.reviewedAt);
    ivl = r.stateAfter === 0 ? 0 : r.stateAfter === 2 ? Math.max(1, Math.round(wait / DAY_MS)) : -Math.round(wait / 1000);
    factor = r.stateAfter === 0 ? 0 : ease;
    type = 4;
  } else {
    // The kind Anki recorded for imported answers; for recall's own, the state the card was in. An answer that did
    // not move the schedule (a quiz, a cram review) is Anki's filtered-deck review with factor 0, which Anki's FSRS
    // leaves out as well.
    type = r.sourceState !== null
      ? Math.max(0, r.sourceState - 1)
      : !r.scheduled ? 3 : r.stateBefore === 3 ? 2 : r.stateBefore === 2 ? 1 : 0;
    if (r.scheduled) {
      if (r.stateAfter === 2) ivl = Math.max(1, r.scheduledDays);
      else if (day(r.due) > day(r.reviewedAt)) ivl = day(r.due) - day(r.reviewedAt);
      else ivl = -Math.max(0, Math.round((r.due - r.reviewedAt) / 1000));
    }
    // Anki marks a filtered-deck answer that did not reschedule by factor 0. An answer imported from Anki that no
    // longer counts because a later learning run superseded it (before the first counted one) was a real answer
    // there: it keeps a factor, so it is read back as the same history and not as a cram review.
    const supersededFromAnki = r.sourceState !== null && beforeCounted;
    factor = r.scheduled || supersededFromAnki ? difficultyFactor(r.difficulty) : 0;
  }
  out.id[at] = id;
  out.cid[at] = cid;
  out.ease[at] = r.rating;
  out.ivl[at] = ivl;
  out.lastIvl[at] = lastIvl;
  out.factor[at] = factor;
  out.time[at] = time;
  out.type[at] = type;
  return ivl;
}

// ---------------------------------------------------------------------------------------------------------
// The JSON in `col`, shaped as Anki writes schema 11

function noteTypeJson(t: AnkiNoteTypeOrigin): Record<string, unknown> {
  // Which fields each template needs (what schema-11 clients generated cards from): those its question shows.
  const req = t.templates.map((tmpl, ord) => {
    const refs = new Set([...tmpl.qfmt.matchAll(/\{\{([^}]*)\}\}/g)].map((m) => m[1]!.slice(m[1]!.lastIndexOf(':') + 1).trim()));
    const shown = t.fields.flatMap((f, i) => (refs.has(f) ? [i] : []));
    return [ord, 'any', shown.length ? shown : [0]];
  });
  return {
    id: t.id, name: t.name, type: t.kind, mod: 0, usn: 0, sortf: Math.min(t.sortField, Math.max(0, t.fields.length - 1)), did: null,
    tmpls: t.templates.map((tmpl, ord) => ({
      name: tmpl.name, ord, qfmt: tmpl.qfmt, afmt: tmpl.afmt, bqfmt: '', bafmt: '', did: null, bfont: '', bsize: 0,
    })),
    flds: t.fields.map((name, ord) => ({
      name, ord, sticky: false, rtl: false, font: 'Arial', size: 20, description: '', plainText: false, collapsed: false,
      excludeFromSearch: false,
    })),
    css: t.css,
    latexPre: '\\documentclass[12pt]{article}\n\\special{papersize=3in,5in}\n\\usepackage[utf8]{inputenc}\n\\usepackage{amssymb,amsmath}\n\\pagestyle{empty}\n\\setlength{\\parindent}{0in}\n\\begin{document}\n',
    latexPost: '\\end{document}',
    latexsvg: false,
    req: t.kind === 1 ? [[0, 'any', [0]]] : req,
  };
}

function deckJson(id: number, name: string, desc: string, conf: number): Record<string, unknown> {
  return {
    id, mod: 0, name, usn: 0, lrnToday: [0, 0], revToday: [0, 0], newToday: [0, 0], timeToday: [0, 0], collapsed: false,
    browserCollapsed: false, desc, dyn: 0, conf, extendNew: 0, extendRev: 0, reviewLimit: null, newLimit: null,
    reviewLimitToday: null, newLimitToday: null,
  };
}

function optionsJson(id: number, name: string, s: AnkiExportSettings): Record<string, unknown> {
  const params = s.parameters;
  const fsrs = { fsrsWeights: [] as number[], fsrsParams5: [] as number[], fsrsParams6: [] as number[] };
  if (params.length >= 21) fsrs.fsrsParams6 = [...params];
  else if (params.length >= 19) fsrs.fsrsParams5 = [...params];
  else if (params.length >= 17) fsrs.fsrsWeights = [...params];
  return {
    id, mod: 0, name, usn: 0, maxTaken: 60, autoplay: true, timer: 0, replayq: true,
    new: { bury: false, delays: s.learningSteps.map(stepMinutes), initialFactor: 2500, ints: [1, 4, 0], order: 1, perDay: s.newPerDay },
    rev: { bury: false, ease4: 1.3, ivlFct: 1.0, maxIvl: s.maximumInterval, perDay: s.reviewsPerDay, hardFactor: 1.2 },
    // Anki's leech actions: 0 suspends, 1 only tags. It cannot turn leeches off; 9999 lapses (its maximum) comes closest.
    lapse: {
      delays: s.relearningSteps.map(stepMinutes), leechAction: s.leechAction === 'suspend' ? 0 : 1,
      leechFails: s.leechThreshold > 0 ? s.leechThreshold : 9999, minInt: 1, mult: 0.0,
    },
    dyn: false, newMix: 0, newPerDayMinimum: 0, interdayLearningMix: 0, reviewOrder: 0, newSortOrder: 0, newGatherPriority: 0,
    buryInterdayLearning: false, ...fsrs, desiredRetention: s.desiredRetention, ignoreRevlogsBeforeDate: '',
    easyDaysPercentages: [1, 1, 1, 1, 1, 1, 1], stopTimerOnAnswer: false, secondsToShowQuestion: 0, secondsToShowAnswer: 0,
    questionAction: 0, answerAction: 0, waitForAudio: true, sm2Retention: 0.9, weightSearch: '',
  };
}

/**
 * The small collection Anki puts beside the real one as `collection.anki2`: what an Anki too old to read
 * `collection.anki21` opens instead, a single note asking for an update.
 */
export function buildLegacyNotice(now: number, message: string): AnkiCollection {
  const basic = STOCK.Basic;
  const settings: AnkiExportSettings = {
    desiredRetention: 0.9, maximumInterval: 36500, learningSteps: ['1m', '10m'], relearningSteps: ['10m'], newPerDay: 20, reviewsPerDay: 200, parameters: [],
    leechThreshold: 8, leechAction: 'tag',
  };
  const secs = Math.floor(now / 1000);
  const field = textToHtml(message);
  return {
    col: {
      crt: secs, mod: now, scm: now, ver: 11, dty: 0, usn: 0, ls: 0,
      conf: JSON.stringify({ activeDecks: [1], curDeck: 1, curModel: basic.id, nextPos: 2, schedVer: 2, sched2021: true, sortType: 'noteFld' }),
      models: JSON.stringify({ [String(basic.id)]: noteTypeJson(basic) }),
      decks: JSON.stringify({ '1': deckJson(1, 'Default', '', 1) }),
      dconf: JSON.stringify({ '1': optionsJson(1, 'Default', settings) }),
      tags: '{}',
    },
    notes: [{
      id: now, guid: 'recall-update-anki', mid: basic.id, mod: secs, usn: -1, tags: '', flds: `${field}\u001f`,
      sfld: stripHtml(field), csum: fieldChecksum(stripHtml(field)), flags: 0, data: '',
    }],
    cards: [{
      id: now, nid: now, did: 1, ord: 0, mod: secs, usn: -1, type: 0, queue: 0, due: 1, ivl: 0, factor: 0, reps: 0,
      lapses: 0, left: 0, odue: 0, odid: 0, flags: 0, data: '{}',
    }],
    revlog: revlogColumns(0),
    shiftedRevlogIds: 0,
    refitNotes: 0,
  };
}
