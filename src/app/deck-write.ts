// Deck files stay the truth on the device that has them: when the database learns of a change to a card of a deck
// backed by a file here (a sync brought another device's edit, a card added on a device without the file, a
// removal), the change is written into the file the way `recall edit` and `recall add` write it: the entry edited in
// place, a new entry appended, an entry cut out. Then the file is read again, so the record of what was last read
// of it holds the new text. Entries changed in the file since it was last read are not overwritten: they are the
// user's newer word, and that read applies them (as edits made now, which win by time).
import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import { planDeckSync } from '../decks/match.js';
import { appendEntry, entryText, replaceEntryAt } from '../decks/edit.js';
import { notesFromCards, parseDeck, type ParsedNote } from '../decks/parse.js';
import { LEECH_TAG } from '../core/leech.js';
import { detectFormat } from '../importers/detect.js';
import type { CardSpec } from '../core/types.js';
import type { DeckRow } from '../store/api.js';
import { cardSpecOf } from './export.js';
import { writeFileAtomic } from './files.js';
import { applyDeck, changedSinceRead, hashText, lastReadOf, type SyncContext } from './sync.js';

export interface WriteThroughResult {
  /** Deck files changed. */
  files: string[];
  /** Files left as they were although the database changed (missing, not writable, with problems), for the report. */
  warnings: string[];
}

/** The leech tag is recall's, never the file's. */
function withoutLeech(spec: CardSpec): CardSpec {
  if (!spec.tags?.includes(LEECH_TAG)) return spec;
  const tags = spec.tags.filter((t) => t !== LEECH_TAG);
  const { tags: _old, ...rest } = spec;
  return tags.length ? { ...rest, tags } : rest;
}

const VALID_ID = /^[A-Za-z0-9_.-]+$/;

function isDeckFile(path: string, text: string): boolean {
  try {
    return detectFormat(path, Buffer.from(text.slice(0, 4096))) === 'recall';
  } catch {
    return false;
  }
}

function groupByLine<T>(xs: readonly T[], line: (x: T) => number | undefined): Map<number, T[]> {
  const m = new Map<number, T[]>();
  for (const x of xs) {
    const l = line(x);
    if (l === undefined) continue;
    const g = m.get(l);
    if (g) g.push(x);
    else m.set(l, [x]);
  }
  return m;
}

/** Writes the database's version of every file-backed deck among `decks` into its file (see the top of this file). */
export function writeDecksThrough(ctx: SyncContext, decks: readonly DeckRow[]): WriteThroughResult {
  const out: WriteThroughResult = { files: [], warnings: [] };
  for (const deck of decks) {
    if (deck.origin !== 'file' || !deck.path) continue;
    try {
      writeDeckThrough(ctx, deck, out);
    } catch (e) {
      out.warnings.push(`${deck.path}: not updated (${e instanceof Error ? e.message : String(e)}); the database keeps the change`);
    }
  }
  return out;
}

/** The file-backed decks of this device. */
export function fileBackedDecks(ctx: SyncContext): DeckRow[] {
  return ctx.store.decks().filter((d) => d.origin === 'file' && d.path !== null);
}

function writeDeckThrough(ctx: SyncContext, deck: DeckRow, out: WriteThroughResult): void {
  const { store } = ctx;
  const file = deck.path!;
  const existing = store.cardsOfDeck(deck.id);
  if (!existsSync(file)) {
    if (existing.some((c) => !c.removed)) out.warnings.push(`${file} (deck "${deck.name}") is missing: its changes are kept in the database only`);
    return;
  }
  const text = readFileSync(file, 'utf8');
  // A deck imported from recall's JSON export also has origin `file`: only a recall deck file is written into.
  if (!isDeckFile(file, text)) return;
  const parsed = parseDeck(text, file);
  if (parsed.diagnostics.length) {
    out.warnings.push(`${file} has problems (recall check ${file}); it was not updated, the database keeps the changes`);
    return;
  }
  // A deleted deck (every card removed) leaves its file alone: the file is how the user gets the deck back.
  if (existing.every((c) => c.removed)) return;
  const base = lastReadOf(store, deck, hashText(text));
  // Without a record of the last read the file's text cannot be told apart from a newer edit: leave it.
  if (base === null) return;
  const plan = planDeckSync(existing, parsed.cards);
  const byLine = new Map(parsed.notes.map((n) => [n.line, n]));
  const rows = new Map(existing.map((c) => [c.id, c]));
  const matched = new Set([...plan.update, ...plan.unchanged].map((u) => u.id));
  // Entries to write again (by the line of their separator) with the database's version of their cards, or to cut.
  const rewrite = new Map<number, { note: ParsedNote; noteUid: string }>();
  const cut = new Set<number>();
  for (const u of plan.update) {
    if (changedSinceRead(base, u.spec) || u.spec.line === undefined) continue;
    const note = byLine.get(u.spec.line);
    if (!note) continue;
    const row = rows.get(u.id)!;
    if (row.removed) continue;
    rewrite.set(note.line, { note, noteUid: row.noteUid });
  }
  // An entry whose every card the database removed, or moved to another deck, while the file kept it as read.
  const addsAt = groupByLine(plan.add, (s) => s.line);
  const matchedAt = groupByLine([...plan.update, ...plan.unchanged], (u) => u.spec.line);
  for (const note of parsed.notes) {
    if (rewrite.has(note.line)) continue;
    const specs = addsAt.get(note.line) ?? [];
    const ups = matchedAt.get(note.line) ?? [];
    const gone = ups.every((u) => rows.get(u.id)!.removed) && specs.every((s) => !changedSinceRead(base, s));
    const asRead = ups.every((u) => !changedSinceRead(base, u.spec));
    if (gone && asRead && (ups.length > 0 || specs.length > 0) && base !== 'as-read') cut.add(note.line);
  }
  // Cards made in the database (never read from the file) that are not in it: appended.
  const fresh = existing.filter((c) => !c.removed && !matched.has(c.id) && (base === 'as-read' || !base.has(c.uid)));
  const taken = new Set(parsed.notes.map((n) => n.uid));
  const appended: string[] = [];
  const groups = new Map<string, CardSpec[]>();
  for (const c of fresh) {
    const g = groups.get(c.noteUid) ?? [];
    g.push(withoutLeech(cardSpecOf(c)));
    groups.set(c.noteUid, g);
  }
  for (const [noteUid, specs] of groups) {
    const notes = notesFromCards(specs);
    if (notes.length !== 1) {
      out.warnings.push(`${file}: the cards of entry "${noteUid}" of deck "${deck.name}" could not be written as one entry; they are kept in the database`);
      continue;
    }
    const provisional = noteUid.startsWith('~');
    if (!provisional && (!VALID_ID.test(noteUid) || taken.has(noteUid))) {
      out.warnings.push(`${file}: the id "${noteUid}" of a card of deck "${deck.name}" is taken or not valid in a deck file; the card is kept in the database`);
      continue;
    }
    taken.add(noteUid);
    appended.push(entryText({ ...notes[0]!, hasId: !provisional, ...(provisional ? {} : { id: noteUid }) }));
  }
  if (rewrite.size === 0 && cut.size === 0 && appended.length === 0) return;

  let next = text;
  const separators = parsed.notes.map((n) => n.line);
  // Bottom up, so the lines above each change stay where the parse saw them.
  const changes = [...[...rewrite.keys()].map((l) => ({ line: l, kind: 'rewrite' as const })), ...[...cut].map((l) => ({ line: l, kind: 'cut' as const }))].sort((a, b) => b.line - a.line);
  for (const ch of changes) {
    if (ch.kind === 'cut') {
      next = replaceEntryAt(next, separators, ch.line, null);
      continue;
    }
    const { note, noteUid } = rewrite.get(ch.line)!;
    const cards = store.noteCards(deck.id, noteUid).filter((c) => !c.removed).map((c) => withoutLeech(cardSpecOf(c)));
    const notes = notesFromCards(cards);
    if (notes.length !== 1) {
      out.warnings.push(`${file}:${note.line}: the entry could not be written from the database's version; it was left as it is`);
      continue;
    }
    const id = note.hasId ? { hasId: true, id: note.id ?? note.uid } : { hasId: false };
    next = replaceEntryAt(next, separators, ch.line, entryText({ ...notes[0]!, ...id }));
  }
  for (const entry of appended) next = appendEntry(next, entry);
  if (next === text) return;
  const reparsed = parseDeck(next, file);
  if (reparsed.diagnostics.length) {
    out.warnings.push(`${file}: the database's changes would not make a valid deck file; it was left as it is`);
    return;
  }
  try {
    accessSync(file, constants.W_OK);
    // A file marked read-only is left alone even by a user the system would let write it (root).
    if ((statSync(file).mode & 0o222) === 0) throw new Error('read-only');
  } catch {
    out.warnings.push(`${file} is not writable: the changes to deck "${deck.name}" are kept in the database only`);
    return;
  }
  // The user may have saved the file since it was read here: their text wins, this write waits for the next time.
  if (readFileSync(file, 'utf8') !== text) {
    out.warnings.push(`${file} changed while the deck's changes were being written; it was left as it is`);
    return;
  }
  writeFileAtomic(file, next, { force: true });
  out.files.push(file);
  const now = ctx.clock();
  store.transaction(() => applyDeck(store, reparsed, { origin: 'file', path: file, hash: hashText(next), now, day: ctx.day(now), deckName: deck.name }));
}
