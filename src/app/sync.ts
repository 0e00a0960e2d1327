// Brings deck files into the database: built-in decks on start, recall deck files on import.
import { createRequire } from 'node:module';
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RecallError, formatDiagnostic, type Diagnostic } from '../core/errors.js';
import { plural } from '../core/plural.js';
import { parseDeck, type ParsedDeck } from '../decks/parse.js';
import { cardContentJson, planDeckSync, type ExistingCard, type SyncPlan } from '../decks/match.js';
import type { CardSpec } from '../core/types.js';
import type { DeckRow, Store } from '../store/api.js';
import { versionOf } from '../store/store.js';

/** What deck sync needs of a command's context. */
export interface SyncContext {
  store: Store;
  clock: () => number;
  day(ms: number): number;
}

export interface SyncResult {
  deck: string;
  added: number;
  updated: number;
  unchanged: number;
  removed: number;
  skipped: boolean;
}

/** The decks/ folder shipped with recall: next to dist/ in a checkout or an installed package. */
export function builtinDeckDir(): string {
  const here = fileURLToPath(new URL('.', import.meta.url));
  for (const candidate of [resolve(here, '../decks'), resolve(here, '../../decks')]) {
    if (existsSync(candidate) && statSync(candidate).isDirectory()) return candidate;
  }
  return resolve(here, '../decks');
}

/**
 * Deck files (`*.deck`) under a path, sorted, so sync order and positions are stable. Only regular files are
 * listed (a FIFO or a device named `x.deck` is not one), and a folder reached twice through symbolic links is
 * walked once, so a link back up the tree cannot loop.
 */
export function deckFilesUnder(path: string, seen = new Set<string>()): string[] {
  const st = statSync(path);
  if (!st.isDirectory()) return [path];
  const real = realpathSync(path);
  if (seen.has(real)) return [];
  seen.add(real);
  const out: string[] = [];
  for (const name of readdirSync(path).sort()) {
    const full = join(path, name);
    let entry;
    try {
      entry = statSync(full);
    } catch {
      continue; // a dangling link, or an entry gone since the listing
    }
    if (entry.isDirectory()) out.push(...deckFilesUnder(full, seen));
    else if (entry.isFile() && name.endsWith('.deck')) out.push(full);
  }
  return out;
}

export function parseDeckFile(file: string, text?: string): ParsedDeck {
  const parsed = parseDeck(text ?? readFileSync(file, 'utf8'), file);
  if (parsed.diagnostics.length > 0) {
    // Located at the first problem (file and line reach --json's error too); the others are listed after it.
    const [first, ...rest] = parsed.diagnostics as [Diagnostic, ...Diagnostic[]];
    const shown = rest.slice(0, 19).map(formatDiagnostic).join('\n');
    const more = rest.length > 19 ? `\n... and ${rest.length - 19} more` : '';
    const check = `run recall check ${file} for the full list`;
    if (rest.length === 0) throw new RecallError('deck-invalid', first.message, { file, line: first.line, hint: first.hint ?? check });
    const firstHint = first.hint ? `\n  hint: ${first.hint}` : '';
    throw new RecallError('deck-invalid', `${first.message}${firstHint}\nand ${plural(rest.length, 'more problem')}:\n${shown}${more}`, { file, line: first.line, hint: check });
  }
  return parsed;
}

/**
 * Applies a parsed deck file to the database (the caller runs this inside a transaction). Cards keep their rows,
 * and so their history, when they are matched; a changed card gets an edit event (its earlier version stays in its
 * history); cards gone from the file get a remove event, never deleted, and a restore event if they come back.
 *
 * A user's deck file (origin `file`) is one of several writers of its cards: sync brings edits and cards made on
 * other devices. So a re-read is three-way, against what this device last read of the file (`lastRead`):
 * - an entry whose text is as last read says nothing new: the database (which may hold a later edit, or a removal,
 *   from another device) wins; only an entry changed since the last read is applied, as an edit made now;
 * - only cards that were read from the file before and are gone from it now are removed: cards made in the
 *   database (added on a device without the file, synced in, added before the file existed) are never removed by
 *   a re-read.
 * Built-in decks have one writer, their file: it always wins.
 */
export function applyDeck(
  store: Store,
  parsed: ParsedDeck,
  opts: { origin: 'builtin' | 'file'; path: string; hash: string; now: number; day: number; deckName?: string; dryRun?: boolean; actionUid?: string },
): SyncResult {
  const name = opts.deckName ?? parsed.header.name;
  const existingDeck = store.deckByName(name);
  const existing = existingDeck ? store.cardsOfDeck(existingDeck.id) : [];
  const plan = planDeckSync(existing, parsed.cards);
  const kept = opts.origin === 'file' && existingDeck ? threeWay(plan, lastReadOf(store, existingDeck, opts.hash), existing) : [];
  const result: SyncResult = {
    deck: name,
    added: plan.add.length,
    updated: plan.update.length,
    unchanged: plan.unchanged.length,
    removed: plan.remove.length,
    skipped: false,
  };
  if (opts.dryRun) return result;
  const deckId = store.upsertDeck(
    { name, description: parsed.header.description, source: parsed.header.source, origin: opts.origin, path: opts.path, fileHash: opts.hash },
    opts.now,
  );
  // New cards are studied in file order: the entry's line, then the card's order within the entry.
  const position = (spec: { line?: number }) => spec.line ?? 0;
  const meta = { at: opts.now, day: opts.day, actionUid: opts.actionUid ?? null };
  const rows = new Map(existing.map((c) => [c.id, c]));
  for (const u of plan.update) {
    const row = rows.get(u.id)!;
    const after = versionOf(u.spec);
    if (after.uid !== row.uid || after.noteUid !== row.noteUid || after.content !== row.contentJson) {
      store.appendEvent(u.id, { kind: 'edit', before: { uid: row.uid, noteUid: row.noteUid, content: row.contentJson }, after }, meta);
    }
    if (row.removed) store.appendEvent(u.id, { kind: 'restore' }, meta);
    store.setPosition(u.id, position(u.spec));
  }
  for (const u of plan.unchanged) store.setPosition(u.id, position(u.spec));
  for (const spec of plan.add) store.insertCard(deckId, spec, position(spec), opts.now);
  for (const id of plan.remove) store.appendEvent(id, { kind: 'remove' }, meta);
  if (opts.origin === 'file') {
    const read = new Map<string, string>();
    for (const u of [...plan.update, ...plan.unchanged]) read.set(u.spec.uid, entryHash(u.spec));
    for (const spec of [...plan.add, ...kept]) read.set(spec.uid, entryHash(spec));
    recordRead(store, store.deckById(deckId)!.uid, read);
  }
  return result;
}

/** What this device last read of a deck's file: each card's uid (as matched) and the hash of its entry's text then. */
export type LastRead = Map<string, string>;

const readKey = (deckUid: string) => `deckFileRead:${deckUid}`;

/** A card's entry as read from its file, as a short hash: its ids and its content. */
export function entryHash(spec: CardSpec): string {
  return hashText(`${spec.uid}\u0000${spec.noteUid}\u0000${cardContentJson(spec)}`).slice(0, 16);
}

/**
 * What was last read of the deck's file. A database from before this record has none: when the file is the one
 * last read (its hash), every entry is as read; otherwise nothing is known (null): the file's text wins, as it
 * always did, and no card is removed.
 */
export function lastReadOf(store: Store, deck: DeckRow, fileHash: string): LastRead | 'as-read' | null {
  const raw = store.getLocal(readKey(deck.uid));
  if (raw !== undefined) {
    try {
      return new Map(Object.entries(JSON.parse(raw) as Record<string, string>));
    } catch {
      // A damaged record is no record.
    }
  }
  return deck.fileHash !== null && deck.fileHash === fileHash ? 'as-read' : null;
}

/** Remembers, in this database's local state (it never travels: another device has its own file), what was read. */
export function recordRead(store: Store, deckUid: string, read: LastRead): void {
  store.setLocal(readKey(deckUid), JSON.stringify(Object.fromEntries(read)));
}

/** Whether the file's entry for this card changed since the last read. */
export function changedSinceRead(base: LastRead | 'as-read' | null, spec: CardSpec): boolean {
  if (base === 'as-read') return false;
  if (base === null) return true;
  return base.get(spec.uid) !== entryHash(spec);
}

/**
 * Narrows a file-vs-database plan by the last read (see applyDeck): the database wins where the file did not change.
 * Returns the entries left out because they are as last read but their cards are no longer in this deck (moved away).
 */
function threeWay(plan: SyncPlan, base: LastRead | 'as-read' | null, existing: readonly ExistingCard[]): CardSpec[] {
  const changed = (spec: CardSpec) => changedSinceRead(base, spec);
  plan.unchanged.push(...plan.update.filter((u) => !changed(u.spec)));
  plan.update = plan.update.filter((u) => changed(u.spec));
  const kept = base === null ? [] : plan.add.filter((spec) => !changed(spec));
  if (kept.length) plan.add = plan.add.filter(changed);
  // Only cards read from the file before, and gone from it now, are removed by reading it.
  const uidOf = new Map(existing.map((e) => [e.id, e.uid]));
  plan.remove = base instanceof Map ? plan.remove.filter((id) => base.has(uidOf.get(id)!)) : [];
  return kept;
}

/** The names of the built-in decks: those in the database and those shipped in `dir` (their `deck:` lines). */
export function builtinDeckNames(dir = builtinDeckDir(), stored: { name: string; origin: string }[] = []): Set<string> {
  const names = new Set(stored.filter((d) => d.origin === 'builtin').map((d) => d.name));
  if (!existsSync(dir)) return names;
  for (const file of deckFilesUnder(dir)) {
    const name = /^deck:(.*)$/m.exec(readFileSync(file, 'utf8'))?.[1]?.trim();
    if (name) names.add(name);
  }
  return names;
}

let crypto: typeof import('node:crypto') | undefined;
/** SHA-256 of a deck file's text. node:crypto is loaded on first use: most starts hash nothing (see syncBuiltinDecks). */
export function hashText(text: string): string {
  crypto ??= createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto');
  return crypto.createHash('sha256').update(text).digest('hex');
}

/** What the built-in files look like from outside (name, size, modification time) and what the database holds of them. */
function builtinFingerprint(dir: string, files: string[], known: Map<string | null, DeckRow>): string {
  const onDisk = files.map((f) => {
    const st = statSync(f);
    return `${f.slice(dir.length + 1)}:${st.size}:${st.mtimeMs}`;
  });
  const stored = [...known.values()].map((d) => `${d.path}:${d.fileHash}`).sort();
  return `${dir}\n${onDisk.join('\n')}\n${stored.join('\n')}`;
}

/**
 * Keeps the built-in decks in step with decks/, on every start. When the files look as they did at the last sync
 * (names, sizes, times) and the database holds what that sync wrote, nothing is read; otherwise every file is read
 * and hashed, and only those whose hash changed are applied. A broken built-in file is reported, not fatal, so
 * studying other decks still works.
 */
export function syncBuiltinDecks(ctx: SyncContext, dir = builtinDeckDir()): { results: SyncResult[]; errors: string[] } {
  const { store } = ctx;
  const now = ctx.clock();
  const results: SyncResult[] = [];
  const errors: string[] = [];
  if (!existsSync(dir)) return { results, errors };
  const known = new Map(store.decks().filter((d) => d.origin === 'builtin').map((d) => [d.path, d]));
  const files = deckFilesUnder(dir);
  const before = builtinFingerprint(dir, files, known);
  if (store.getLocal(FINGERPRINT_KEY) === before) {
    for (const d of known.values()) results.push({ deck: d.name, added: 0, updated: 0, unchanged: 0, removed: 0, skipped: true });
    return { results, errors };
  }
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    const hash = hashText(text);
    const rel = file.slice(dir.length + 1);
    const prior = known.get(rel);
    if (prior && prior.fileHash === hash) {
      results.push({ deck: prior.name, added: 0, updated: 0, unchanged: 0, removed: 0, skipped: true });
      continue;
    }
    try {
      const parsed = parseDeckFile(file, text);
      // A deck of the user's own that already has this name is never overwritten by a built-in one (imports
      // refuse built-in names, but a database from before that rule may hold one).
      // Names are compared ignoring case, as they are matched: "aws organizations" of yours would shadow it too.
      const lower = parsed.header.name.toLowerCase();
      const mine = store.deckByName(parsed.header.name) ?? store.decks().find((d) => d.origin !== 'builtin' && d.name.toLowerCase() === lower);
      if (mine && mine.origin !== 'builtin') {
        errors.push(`the built-in deck "${parsed.header.name}" is not installed: a deck of yours has that name ("${mine.name}"; rename yours with recall deck rename to get it)`);
        continue;
      }
      results.push(store.transaction(() => applyDeck(store, parsed, { origin: 'builtin', path: rel, hash, now, day: ctx.day(now) })));
    } catch (e) {
      errors.push(e instanceof RecallError ? e.format() : String(e));
    }
  }
  // Remembered only when every file applied: a broken or refused one is looked at again on the next start.
  if (errors.length === 0) {
    const after = builtinFingerprint(dir, files, new Map(store.decks().filter((d) => d.origin === 'builtin').map((d) => [d.path, d])));
    store.transaction(() => store.setLocal(FINGERPRINT_KEY, after));
  }
  return { results, errors };
}

const FINGERPRINT_KEY = 'builtinDecks';
