// One card at a time: find it (`recall show`), add one (`recall add`), change one (`recall edit`). Deck files stay the
// source of truth: a card added to a deck that comes from a file is appended to that file in its format, and a
// card of such a deck is edited in the file itself; cards of other decks live in the database, where an edit is an
// `edit` event. Either way the card keeps its id and its history, and `recall undo` takes the change back.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CardEvent } from '../core/card-events.js';
import { RecallError, formatDiagnostic, type Diagnostic } from '../core/errors.js';
import { LEECH_TAG } from '../core/leech.js';
import { nearest } from '../core/suggest.js';
import { CARD_TYPES, type CardContent, type CardSpec, type CardType } from '../core/types.js';
import { appendEntry, entryLine, entryText, removeEntry } from '../decks/edit.js';
import { cardContentJson } from '../decks/match.js';
import { expandNote, notesFromCards, parseDeck, type ParsedNote } from '../decks/parse.js';
import type { DeckRow, HistoryReview } from '../store/api.js';
import type { Context } from './context.js';
import { checkDeckName } from './deck-admin.js';
import { writeDecksThrough } from './deck-write.js';
import { cardSpecOf } from './export.js';
import { writeFileAtomic } from './files.js';
import { resolveSearch, searchCardIds, toHit, type CardHit } from './search.js';
import { applyDeck, builtinDeckDir, hashText, parseDeckFile } from './sync.js';

// ---------------------------------------------------------------------------------------------------------------
// Finding one card

/**
 * The card a user means by CARD: a card id (digits), a card guid (as `recall show --json` gives it), or a search
 * query that matches exactly one card.
 */
export function resolveCard(ctx: Context, ref: string): number {
  const r = ref.trim();
  if (/^\d+$/.test(r) && ctx.store.getCard(Number(r))) return Number(r);
  const byGuid = ctx.store.cardByGuid(r);
  if (byGuid !== undefined) return byGuid;
  if (/^\d+$/.test(r)) throw new RecallError('no-such-card', `No card with id ${r}`, { hint: 'recall search QUERY lists cards with their ids', exitCode: 2 });
  const ids = searchCardIds(ctx, r);
  if (ids.length === 1) return ids[0]!;
  if (ids.length === 0) throw new RecallError('no-such-card', `No card matches "${r}"`, { hint: 'give a card id, or a query that matches one card (recall search QUERY)', exitCode: 2 });
  throw new RecallError('many-cards', `${ids.length} cards match "${r}"; this command takes one`, {
    hint: `narrow the query, or give a card id: recall search '${r.replace(/'/g, "'\\''")}' lists them`,
    exitCode: 2,
  });
}

export interface CardEventView {
  at: number;
  kind: CardEvent['data']['kind'];
  data: Record<string, unknown>;
  undone: boolean;
  device: string;
}

export interface CardInfo extends CardHit {
  origin: DeckRow['origin'];
  /** The deck file the card comes from and the line of its entry, when it comes from one. */
  file: string | null;
  line: number | null;
  reviews: HistoryReview[];
  events: CardEventView[];
}

/** Everything about one card, as Anki's card info shows it. */
export function cardInfo(ctx: Context, cardId: number): CardInfo {
  // The card as search sees it (removed or not), so show and search agree on every figure.
  const q = { ...resolveSearch(ctx, `id:${Math.trunc(cardId)}`), includeRemoved: true };
  const now = q.now;
  const row = ctx.store.searchCards(q).rows[0];
  if (!row) throw new RecallError('no-such-card', `No card with id ${cardId}`, { exitCode: 2 });
  const deck = ctx.store.deckById(row.deckId)!;
  const { file, line } = locate(deck, row.noteUid);
  return {
    ...toHit(ctx, row, now),
    origin: deck.origin,
    file,
    line,
    reviews: ctx.store.reviewHistory(cardId),
    events: ctx.store.cardEvents(cardId).map((e) => {
      const { kind, ...data } = e.data;
      return { at: e.at, kind, data, undone: e.undone, device: e.device };
    }),
  };
}

/** The deck file of a deck (built-in decks: inside recall's decks folder), if it exists. */
function deckFile(deck: DeckRow): string | null {
  if (!deck.path) return null;
  const path = deck.origin === 'builtin' ? join(builtinDeckDir(), deck.path) : deck.origin === 'file' ? deck.path : null;
  return path && existsSync(path) ? path : null;
}

function locate(deck: DeckRow, noteUid: string): { file: string | null; line: number | null } {
  const file = deckFile(deck);
  if (!file) return { file: null, line: null };
  const parsed = parseDeck(readFileSync(file, 'utf8'), file);
  return { file, line: entryLine(parsed.notes, noteUid) ?? null };
}

// ---------------------------------------------------------------------------------------------------------------
// Adding

/** A card as given by `recall add`'s flags or form. Which fields a type takes: FIELDS_BY_TYPE. */
export interface NoteInput {
  type: CardType;
  front?: string;
  back?: string;
  text?: string;
  accept?: string[];
  correct?: string[];
  wrong?: string[];
  categories?: string[];
  /** Classify items, `TEXT => CATEGORY`. */
  items?: string[];
  explain?: string;
  source?: string;
  tags?: string[];
  /** The id in the deck; made from the question when not given. */
  id?: string;
}

type InputField = Exclude<keyof NoteInput, 'type'>;
const COMMON: InputField[] = ['explain', 'source', 'tags', 'id'];
export const FIELDS_BY_TYPE: Record<CardType, InputField[]> = {
  basic: ['front', 'back'],
  reversed: ['front', 'back'],
  cloze: ['text'],
  typed: ['front', 'back', 'accept'],
  choice: ['front', 'correct', 'wrong'],
  multi: ['front', 'correct', 'wrong'],
  truefalse: ['front', 'back'],
  classify: ['front', 'categories', 'items'],
};
const FLAG: Record<InputField, string> = {
  front: '--front', back: '--back', text: '--text', accept: '--accept', correct: '--correct', wrong: '--wrong', categories: '--category',
  items: '--item', explain: '--explain', source: '--source', tags: '--tags', id: '--id',
};
/** The deck-file keys as the flags that fill them, for messages. */
const KEY_FLAGS: [RegExp, string][] = [[/\bQ:/g, '--front'], [/\bA:/g, '--back'], [/\bT:/g, '--text'], [/\baccept:/g, '--accept'], [/\bcategories:/g, '--category']];

function field(out: string[], key: string, value: string): void {
  const lines = value.replace(/\r\n?/g, '\n').split('\n').map((l) => l.trimEnd());
  out.push(`${key}: ${lines[0] ?? ''}`.trimEnd());
  for (const l of lines.slice(1)) out.push(l ? `  ${l}` : '');
}

const oneLine = (s: string) => s.replace(/\s*[\r\n]+\s*/g, ' ').trim();

/** The entry in deck-file syntax, for the parser to validate. */
function inputEntry(input: NoteInput, id: string | undefined): string {
  const out = [`--- ${input.type}${id ? ` ${id}` : ''}`];
  const t = input.type;
  if (t === 'cloze') {
    if (input.text !== undefined) field(out, 'T', input.text);
  } else if (input.front !== undefined) field(out, 'Q', input.front);
  if ((t === 'basic' || t === 'reversed' || t === 'typed' || t === 'truefalse') && input.back !== undefined) field(out, 'A', input.back);
  if (t === 'typed' && input.accept?.length) out.push(`accept: ${input.accept.map(oneLine).join(' | ')}`);
  if (t === 'choice' || t === 'multi') {
    for (const c of input.correct ?? []) out.push(`- [x] ${oneLine(c)}`);
    for (const w of input.wrong ?? []) out.push(`- [ ] ${oneLine(w)}`);
  }
  if (t === 'classify') {
    if (input.categories?.length) out.push(`categories: ${input.categories.map(oneLine).join(' | ')}`);
    for (const it of input.items ?? []) out.push(`- ${oneLine(it)}`);
  }
  if (input.explain) field(out, 'explain', input.explain);
  if (input.source) field(out, 'source', input.source);
  if (input.tags?.length) out.push(`tags: ${input.tags.map((x) => x.replace(/\s+/g, '_')).join(' ')}`);
  return out.join('\n');
}

/** Checks which fields were given against the type, then the card itself with the deck parser. */
export function validateInput(input: NoteInput, id?: string): ParsedNote {
  if (!CARD_TYPES.includes(input.type)) {
    const near = nearest(input.type, CARD_TYPES, 1)[0];
    throw new RecallError('bad-type', `Unknown card type "${input.type}"${near ? ` (did you mean ${near}?)` : ''}`, { hint: `types: ${CARD_TYPES.join(', ')}`, exitCode: 2 });
  }
  const allowed = [...FIELDS_BY_TYPE[input.type], ...COMMON];
  for (const k of Object.keys(input) as (keyof NoteInput)[]) {
    if (k === 'type' || input[k] === undefined || (Array.isArray(input[k]) && (input[k] as unknown[]).length === 0)) continue;
    if (!allowed.includes(k)) {
      throw new RecallError('bad-field', `${FLAG[k]} is not a field of a ${input.type} card`, { hint: takes(input.type), exitCode: 2 });
    }
  }
  if (id !== undefined && !/^[A-Za-z0-9_.-]+$/.test(id)) throw new RecallError('bad-id', `"${id}" is not a card id`, { hint: 'ids use only letters, digits, -, _ and .', exitCode: 2 });
  const parsed = parseDeck(`deck: x\n\n${inputEntry(input, id)}\n`, 'card');
  if (parsed.diagnostics.length || parsed.notes.length !== 1) {
    const first = parsed.diagnostics[0];
    const message = first ? flagsFor(first.message) : 'the card could not be read';
    throw new RecallError('bad-card', `The card is not valid: ${message}`, { hint: first?.hint ? `${flagsFor(first.hint)}; ${takes(input.type)}` : takes(input.type), exitCode: 2 });
  }
  return parsed.notes[0]!;
}

function takes(type: CardType): string {
  return `a ${type} card takes ${FIELDS_BY_TYPE[type].map((f) => FLAG[f]).join(', ')} (and --explain, --source, --tags, --id)`;
}

function flagsFor(text: string): string {
  let out = text;
  for (const [re, flag] of KEY_FLAGS) out = out.replace(re, flag);
  return out;
}

/** An id for a new entry: a few words of its question, made unique among `taken`. */
export function makeId(note: ParsedNote, taken: ReadonlySet<string>): string {
  const b = note.body;
  const main = b.type === 'cloze' ? b.text.replace(/\{\{(?:c\d+::)?([^:}]*)[^}]*\}\}/g, '$1') : b.type === 'truefalse' ? b.statement : 'front' in b ? b.front : b.prompt;
  const words = main.normalize('NFKD').toLowerCase().replace(/[^a-z0-9\s]/g, ' ').split(/\s+/).filter(Boolean).slice(0, 5);
  const base = words.join('-').slice(0, 40).replace(/-+$/, '') || 'card';
  let id = base;
  for (let i = 2; taken.has(id) || [...taken].some((t) => t.startsWith(`${id}::`)); i++) id = `${base}-${i}`;
  return id;
}

export interface AddResult {
  deck: string;
  createdDeck: boolean;
  cardIds: number[];
  /** The entry's id in its deck. */
  id: string;
  /** The deck file the entry was appended to, and its line there. */
  file: string | null;
  line: number | null;
  actionUid: string;
}

/** The deck a card is added to: existing (case-insensitive), else made when `create` or nothing similar exists. */
function deckForAdd(ctx: Context, raw: string, create: boolean): { deck: DeckRow | null; name: string } {
  const decks = ctx.store.decks();
  const deck = decks.find((d) => d.name === raw) ?? decks.find((d) => d.name.toLowerCase() === raw.trim().toLowerCase());
  if (deck) {
    if (deck.origin === 'builtin') {
      throw new RecallError('builtin-deck', `"${deck.name}" is a built-in deck; its cards come with recall`, {
        hint: 'add the card to a deck of your own: recall add --deck "My deck" ... (a new deck is made for it)',
        exitCode: 2,
      });
    }
    return { deck, name: deck.name };
  }
  const name = checkDeckName(raw);
  const near = nearest(name, decks.map((d) => d.name));
  if (near.length && !create) {
    throw new RecallError('no-such-deck', `No deck named "${name}"`, {
      hint: `did you mean ${near.map((n) => `"${n}"`).join(' or ')}? To make a new deck "${name}", pass --create`,
      exitCode: 2,
    });
  }
  return { deck: null, name };
}

/** Adds one entry (one card, or two for reversed, one per deletion for cloze) as one undoable action. */
export function addNote(ctx: Context, deckName: string, input: NoteInput, opts: { create?: boolean } = {}): AddResult {
  validateInput(input, input.id);
  const { deck, name } = deckForAdd(ctx, deckName, Boolean(opts.create));
  const now = ctx.clock();
  const file = deck && deck.origin === 'file' ? deckFile(deck) : null;
  if (deck && file) {
    const text = readFileSync(file, 'utf8');
    const parsed = parseFileOrExplain(file, text);
    const taken = new Set(parsed.notes.map((n) => n.uid));
    const id = input.id ?? makeId(validateInput(input), taken);
    if (taken.has(id)) throw new RecallError('id-taken', `The id "${id}" is already used in ${file}`, { hint: 'choose another --id', exitCode: 2 });
    const entry = inputEntry(input, id);
    const after = appendEntry(text, entry);
    const reparsed = parseFileOrExplain(file, after);
    writeFileAtomic(file, after, { force: true });
    const hash = hashText(after);
    return ctx.store.transaction(() => {
      const actionUid = ctx.store.beginAction('add', now, { label: `the card added to "${deck.name}"`, file, entry, fileHash: hash, deckId: deck.id });
      applyDeck(ctx.store, reparsed, { origin: 'file', path: deck.path!, hash, now, day: ctx.day(now), deckName: deck.name, actionUid });
      const cardIds = ctx.store.noteCards(deck.id, id).map((c) => c.id);
      return { deck: deck.name, createdDeck: false, cardIds, id, file, line: entryLine(reparsed.notes, id) ?? null, actionUid };
    });
  }
  return ctx.store.transaction(() => {
    const deckId = deck?.id ?? ctx.store.upsertDeck({ name, description: '', source: '', origin: 'user', path: null, fileHash: null }, now);
    const existing = ctx.store.cardsOfDeck(deckId);
    const taken = new Set([...existing.map((c) => c.noteUid), ...existing.map((c) => c.uid)]);
    const id = input.id ?? makeId(validateInput(input), taken);
    if (taken.has(id)) throw new RecallError('id-taken', `The id "${id}" is already used in "${name}"`, { hint: 'choose another --id', exitCode: 2 });
    const note = validateInput(input, id);
    const position = ctx.store.maxPosition(deckId) + 1;
    const cardIds = note.cards.map((spec) => ctx.store.insertCard(deckId, { ...spec, line: undefined } as CardSpec, position, now));
    const actionUid = ctx.store.beginAction('add', now, { label: `the card added to "${name}"`, cardIds, deckId, createdDeck: deck === null });
    return { deck: name, createdDeck: deck === null, cardIds, id, file: null, line: null, actionUid };
  });
}

function parseFileOrExplain(file: string, text: string) {
  try {
    return parseDeckFile(file, text);
  } catch (e) {
    if (e instanceof RecallError) throw new RecallError(e.code, e.message, { hint: `fix the deck file first (recall check ${file}); nothing was changed`, exitCode: 1 });
    throw e;
  }
}

/** Undo of an add: the entry taken out of its deck file (if the file still holds it as added), the cards removed. */
export function undoAdd(ctx: Context, data: Record<string, unknown>): string[] {
  const notes: string[] = [];
  const now = ctx.clock();
  const meta = { at: now, day: ctx.day(now) };
  if (typeof data.file === 'string' && typeof data.entry === 'string') {
    const file = data.file;
    const deck = ctx.store.deckById(data.deckId as number);
    const text = existsSync(file) ? readFileSync(file, 'utf8') : null;
    const back = text === null ? null : removeEntry(text, data.entry);
    if (back === null || !deck) {
      notes.push(`the card is still in ${file}: remove its entry there`);
      return notes;
    }
    writeFileAtomic(file, back, { force: true });
    const parsed = parseDeck(back, file);
    if (parsed.diagnostics.length === 0) {
      applyDeck(ctx.store, parsed, { origin: 'file', path: deck.path!, hash: hashText(back), now, day: meta.day, deckName: deck.name });
    }
    return notes;
  }
  for (const id of (data.cardIds ?? []) as number[]) {
    const card = ctx.store.getCard(id);
    if (card && !card.removed) ctx.store.appendEvent(id, { kind: 'remove' }, meta);
  }
  return notes;
}

// ---------------------------------------------------------------------------------------------------------------
// Editing

/** What `recall edit` opens: the deck file itself at the card's entry, or the card's entry alone. */
export type EditTarget =
  /** `header`: the file's own `deck:` name (a deck imported with --deck has another name in the database). */
  | { kind: 'file'; cardId: number; deck: string; header: string; file: string; line: number; text: string }
  | { kind: 'card'; cardId: number; deck: string; deckId: number; noteUid: string; cardIds: number[]; text: string };

export type EditOutcome =
  | { ok: true; changed: boolean; cardIds: number[]; actionUid: string | null }
  /** The text has problems: show them and let the user fix them (the editor opens again). */
  | { ok: false; diagnostics: Diagnostic[] };

const EDIT_HELP = [
  '# recall edit: change the entry below, save and close the editor. The card keeps its history.',
  '# Lines starting with # are ignored; leave the deck: line as it is. Empty the file to cancel.',
];

/** The card's entry (with its siblings: both sides of a reversed pair, every deletion of a cloze). */
function noteGroup(ctx: Context, cardId: number): { deck: DeckRow; cards: { id: number; spec: CardSpec }[]; note: ParsedNote } {
  const card = ctx.store.getCard(cardId)!;
  const deck = ctx.store.deckById(card.deckId)!;
  const rows = ctx.store.noteCards(deck.id, card.noteUid).filter((c) => !c.removed);
  const all = rows.map((r) => ({ id: r.id, spec: cardSpecOf(r) }));
  const notes = notesFromCards(all.map((c) => stripLeech(c.spec)));
  if (notes.length === 1) return { deck, cards: all, note: notes[0]! };
  const own = all.filter((c) => c.id === cardId);
  return { deck, cards: own, note: notesFromCards(own.map((c) => ({ ...stripLeech(c.spec), noteUid: c.spec.uid })))[0]! };
}

/** The leech tag is recall's; the editor shows the card as its author wrote it. */
function stripLeech(spec: CardSpec): CardSpec {
  if (!spec.tags?.includes(LEECH_TAG)) return spec;
  const tags = spec.tags.filter((t) => t !== LEECH_TAG);
  const { tags: _old, ...rest } = spec;
  return tags.length ? { ...rest, tags } : rest;
}

export function prepareEdit(ctx: Context, cardId: number): EditTarget {
  const card = ctx.store.getCard(cardId);
  if (!card) throw new RecallError('no-such-card', `No card with id ${cardId}`, { exitCode: 2 });
  if (card.removed) throw new RecallError('card-removed', 'That card was removed from its deck', { hint: 'recall undo brings back a deck you deleted; a card gone from its deck file returns when its entry does', exitCode: 2 });
  const deck = ctx.store.deckById(card.deckId)!;
  if (deck.origin === 'builtin') {
    throw new RecallError('builtin-deck', `"${deck.name}" is a built-in deck; its cards are updated with recall and cannot be edited`, {
      hint: 'suspend a card you disagree with (recall suspend id:N), or add your own version to a deck of yours',
      exitCode: 2,
    });
  }
  const file = deck.origin === 'file' ? deckFile(deck) : null;
  if (file) {
    // A change the database holds and the file does not yet (a sync that could not write it) goes in first, so the
    // editor opens the card's current text.
    writeDecksThrough(ctx, [deck]);
    const text = readFileSync(file, 'utf8');
    const parsed = parseDeck(text, file);
    if (parsed.diagnostics.length) {
      throw new RecallError('deck-invalid', `${file} has problems; fix them before editing one of its cards`, { hint: `recall check ${file} lists them`, exitCode: 1 });
    }
    const line = entryLine(parsed.notes, card.noteUid);
    // A card the file does not hold (one an Anki package added to this deck) is edited as a card, as in an Anki deck.
    if (line !== undefined) return { kind: 'file', cardId, deck: deck.name, header: parsed.header.name, file, line, text };
  }
  const group = noteGroup(ctx, cardId);
  const id = /^[A-Za-z0-9_.-]+$/.test(group.note.uid) && !group.note.uid.startsWith('~');
  const entry = entryText({ ...group.note, hasId: id, ...(id ? { id: group.note.uid } : {}) });
  const text = `${EDIT_HELP.join('\n')}\ndeck: ${deck.name}\n\n${entry}\n`;
  return { kind: 'card', cardId, deck: deck.name, deckId: deck.id, noteUid: card.noteUid, cardIds: group.cards.map((c) => c.id), text };
}

/** A text with nothing but comments and blank lines: the user emptied it to cancel. */
export function isEmptyEdit(text: string): boolean {
  return text.split(/\r\n|\r|\n/).every((l) => l.trim() === '' || l.startsWith('#'));
}

/** Applies the edited text: the deck file written and synced, or the card's new version as edit events. */
export function applyEdit(ctx: Context, target: EditTarget, edited: string): EditOutcome {
  return target.kind === 'file' ? applyFileEdit(ctx, target, edited) : applyCardEdit(ctx, target, edited);
}

function applyFileEdit(ctx: Context, target: Extract<EditTarget, { kind: 'file' }>, edited: string): EditOutcome {
  const parsed = parseDeck(edited, target.file);
  if (parsed.diagnostics.length) return { ok: false, diagnostics: parsed.diagnostics };
  if (parsed.header.name !== target.header) {
    return { ok: false, diagnostics: [{ file: target.file, line: 1, message: `the deck: line must stay "${target.header}"`, hint: `rename the deck with recall deck rename "${target.deck}" NEW` }] };
  }
  if (edited === target.text) return { ok: true, changed: false, cardIds: [], actionUid: null };
  const current = existsSync(target.file) ? readFileSync(target.file, 'utf8') : null;
  if (current !== target.text) {
    throw new RecallError('file-changed', `${target.file} changed while it was being edited; nothing was saved`, { hint: 'run recall edit again', exitCode: 1 });
  }
  const deck = ctx.store.deckByName(target.deck)!;
  writeFileAtomic(target.file, edited, { force: true });
  const now = ctx.clock();
  const hash = hashText(edited);
  return ctx.store.transaction(() => {
    const actionUid = ctx.store.beginAction('edit', now, { label: `the edit of ${target.file}`, cardId: target.cardId, file: target.file, before: target.text, fileHash: hash, deckId: deck.id });
    applyDeck(ctx.store, parsed, { origin: 'file', path: deck.path!, hash, now, day: ctx.day(now), deckName: deck.name, actionUid });
    return { ok: true as const, changed: true, cardIds: [target.cardId], actionUid };
  });
}

/** The role of a card in its entry: which deletion of a cloze, which side of a reversed pair. */
function roleOf(content: CardContent): string {
  return content.type === 'cloze' ? `c${content.index}` : content.type === 'reversed' ? content.direction : '';
}

function applyCardEdit(ctx: Context, target: Extract<EditTarget, { kind: 'card' }>, edited: string): EditOutcome {
  const parsed = parseDeck(edited, 'card');
  const where = (line: number, message: string, hint: string): EditOutcome => ({ ok: false, diagnostics: [{ file: 'card', line, message, hint }] });
  if (parsed.diagnostics.length) return { ok: false, diagnostics: parsed.diagnostics };
  if (parsed.header.name !== target.deck) return where(1, `the deck: line must stay "${target.deck}"`, 'cards are edited in their deck');
  if (parsed.notes.length !== 1) return where(1, `${parsed.notes.length} entries; the editor holds exactly one`, 'edit the one entry; add cards with recall add');
  if (edited === target.text) return { ok: true, changed: false, cardIds: [], actionUid: null };
  const note = parsed.notes[0]!;
  const specs = expandNote({ ...note, uid: target.noteUid, line: 0 });
  const rows = ctx.store.noteCards(target.deckId, target.noteUid);
  // The edited cards by role; a removed sibling fills a role only when no edited card has it (it comes back).
  const byRole = new Map(
    [...rows.filter((r) => r.removed && !target.cardIds.includes(r.id)), ...rows.filter((r) => target.cardIds.includes(r.id))].map((r) => [roleOf(cardSpecOf(r).content), r]),
  );
  const now = ctx.clock();
  return ctx.store.transaction(() => {
    let actionUid: string | null = null;
    const begin = () => (actionUid ??= ctx.store.beginAction('edit', now, { label: `the edit of card ${target.cardId}`, cardId: target.cardId, inserted: [] as number[] }));
    const meta = () => ({ at: now, day: ctx.day(now), actionUid: begin() });
    const kept = new Set<number>();
    const inserted: number[] = [];
    for (const spec of specs) {
      const row = byRole.get(roleOf(spec.content));
      if (row) {
        kept.add(row.id);
        const old = cardSpecOf(row);
        const content = cardContentJson({ ...spec, uid: row.uid, noteUid: row.noteUid });
        // Unchanged apart from the leech tag: the card keeps it.
        const same = content === row.contentJson || content === cardContentJson(stripLeech(old));
        if (row.removed) ctx.store.appendEvent(row.id, { kind: 'restore' }, meta());
        if (!same) {
          ctx.store.appendEvent(row.id, { kind: 'edit', before: { uid: row.uid, noteUid: row.noteUid, content: row.contentJson }, after: { uid: row.uid, noteUid: row.noteUid, content } }, meta());
        }
      } else {
        // A deletion (or side) the entry did not have: a new sibling card.
        const taken = new Set(ctx.store.cardsOfDeck(target.deckId).map((c) => c.uid));
        let uid = spec.uid;
        for (let i = 2; taken.has(uid); i++) uid = `${spec.uid}.${i}`;
        begin();
        inserted.push(ctx.store.insertCard(target.deckId, { ...spec, uid, line: undefined } as CardSpec, ctx.store.maxPosition(target.deckId) + 1, now));
      }
    }
    for (const id of target.cardIds) if (!kept.has(id)) ctx.store.appendEvent(id, { kind: 'remove' }, meta());
    if (actionUid && inserted.length) ctx.store.updateActionData(actionUid, { label: `the edit of card ${target.cardId}`, cardId: target.cardId, inserted });
    return { ok: true as const, changed: actionUid !== null, cardIds: [...kept, ...inserted], actionUid };
  });
}

/** Undo of an edit: events are taken back by undo itself; here the deck file's text, and cards the edit created. */
export function undoEdit(ctx: Context, data: Record<string, unknown>): string[] {
  const now = ctx.clock();
  const meta = { at: now, day: ctx.day(now) };
  for (const id of (data.inserted ?? []) as number[]) {
    const card = ctx.store.getCard(id);
    if (card && !card.removed) ctx.store.appendEvent(id, { kind: 'remove' }, meta);
  }
  if (typeof data.file !== 'string' || typeof data.before !== 'string') return [];
  const file = data.file;
  const text = existsSync(file) ? readFileSync(file, 'utf8') : null;
  if (text === null || hashText(text) !== data.fileHash) return [`${file} changed since the edit; it was left as it is`];
  writeFileAtomic(file, data.before, { force: true });
  const deck = ctx.store.deckById(data.deckId as number);
  const parsed = parseDeck(data.before, file);
  if (deck && parsed.diagnostics.length === 0) {
    applyDeck(ctx.store, parsed, { origin: 'file', path: deck.path!, hash: hashText(data.before), now, day: meta.day, deckName: deck.name });
  }
  return [];
}

/** The problems of an edited text, one per line, for the terminal. */
export function describeProblems(diagnostics: readonly Diagnostic[]): string {
  return diagnostics.map(formatDiagnostic).join('\n');
}
