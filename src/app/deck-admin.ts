// `recall deck list | rename | delete | hide | unhide` as use cases. Each change is one undoable action.
// - rename keeps the deck's uid (its identity on every device) and renames its `::` subdecks with it; for a deck that
//   comes from a deck file, the file's `deck:` line is changed too, so the file stays the source of truth.
// - delete gives every card of the deck (and its subdecks) a `remove` event in one action: the review log is kept
//   for the statistics, and `recall undo` (or importing the deck file again) brings the cards back.
// - hide is a setting per deck uid, so it travels with sync and survives upgrades of the built-in decks; hidden
//   decks leave sessions, counts and statistics, and can still be imported into, searched and studied by name.
import { plural } from '../core/plural.js';
import { existsSync, readFileSync } from 'node:fs';
import { RecallError } from '../core/errors.js';
import { DECK_HIDDEN_PREFIX } from '../core/settings.js';
import { setHeaderName } from '../decks/edit.js';
import type { DeckRow } from '../store/api.js';
import type { Context } from './context.js';
import { matchDecks, resolveDeck } from './decks.js';
import { writeFileAtomic } from './files.js';
import { commitSettings } from './options.js';
import { hashText, parseDeckFile } from './sync.js';

export interface DeckListEntry {
  id: number;
  uid: string;
  name: string;
  origin: DeckRow['origin'];
  /** The deck file it comes from (built-in decks: the file inside recall's decks folder). */
  path: string | null;
  preset: string | null;
  hidden: boolean;
  /** Every card was deleted (removed) and none added since: listed only with `--all`. */
  deleted: boolean;
  new: number;
  learning: number;
  due: number;
  suspended: number;
  total: number;
  leeches: number;
}

/** Every deck with its counts; deleted decks only with `all`, hidden ones unless `visibleOnly`. */
export function listDecks(ctx: Context, opts: { all?: boolean; visibleOnly?: boolean; leeches?: boolean } = {}): DeckListEntry[] {
  const now = ctx.clock();
  const counts = new Map(ctx.store.deckCounts(now, ctx.dayEnd(now)).map((c) => [c.name, c]));
  // Counting leeches reads every card's tags: only where they are shown.
  const leeches = opts.leeches === false ? new Map<number, number>() : ctx.store.leechCounts(null);
  const hidden = ctx.hiddenDeckIds();
  const out: DeckListEntry[] = [];
  for (const d of ctx.store.decks()) {
    const c = counts.get(d.name) ?? { new: 0, learning: 0, due: 0, suspended: 0, total: 0 };
    const deleted = c.total === 0 && ctx.store.cardIds({ deckIds: [d.id], includeRemoved: true, includeSuspended: true }).length > 0;
    if (deleted && !opts.all) continue;
    if (opts.visibleOnly && hidden.has(d.id)) continue;
    out.push({
      id: d.id, uid: d.uid, name: d.name, origin: d.origin, path: d.path, preset: ctx.presetOf(d.id), hidden: hidden.has(d.id), deleted,
      new: c.new, learning: c.learning, due: c.due, suspended: c.suspended, total: c.total, leeches: leeches.get(d.id) ?? 0,
    });
  }
  return out;
}

/** A deck name as typed for a new name: one line, printable, not empty. */
export function checkDeckName(raw: string): string {
  const name = raw.trim();
  if (!name || name.length > 200 || /[\u0000-\u001f\u007f-\u009f]/.test(name) || /^::|::$|::::/.test(name)) {
    throw new RecallError('bad-deck-name', `"${raw}" is not a deck name`, { hint: 'a deck name is one line of up to 200 printable characters; levels are separated by ::', exitCode: 2 });
  }
  return name;
}

function refuseBuiltin(decks: readonly DeckRow[], what: string): void {
  const builtin = decks.find((d) => d.origin === 'builtin');
  if (builtin) {
    throw new RecallError('builtin-deck', `"${builtin.name}" is a built-in deck; built-in decks cannot be ${what}`, {
      hint: `hide it instead: recall deck hide "${builtin.name}"`,
      exitCode: 2,
    });
  }
}

/** The deck file of a deck, when it still exists and its header still names the deck. */
function fileOf(d: DeckRow): string | null {
  return d.origin === 'file' && d.path && existsSync(d.path) ? d.path : null;
}

export interface RenameEntry {
  id: number;
  from: string;
  to: string;
  /** The deck file whose `deck:` line was changed. */
  file: string | null;
}

/** Renames a deck and its subdecks (their uids stay); the deck files they come from follow. */
export function renameDeck(ctx: Context, oldName: string, newRaw: string): { renamed: RenameEntry[]; actionUid: string } {
  const deck = resolveDeck(ctx, oldName);
  const newName = checkDeckName(newRaw);
  const decks = ctx.store.decks();
  const family = matchDecks(decks, deck.name).filter((d) => d.id === deck.id || d.name.startsWith(`${deck.name}::`));
  refuseBuiltin(family, 'renamed');
  const plan = family.map((d) => ({ deck: d, to: newName + d.name.slice(deck.name.length) }));
  for (const p of plan) {
    const clash = decks.find((d) => d.name.toLowerCase() === p.to.toLowerCase() && !family.includes(d));
    if (clash) throw new RecallError('deck-exists', `A deck named "${clash.name}" already exists`, { hint: 'choose another name, or delete that deck first', exitCode: 2 });
  }
  if (plan.every((p) => p.to === p.deck.name)) throw new RecallError('same-name', `The deck is already named "${deck.name}"`, { exitCode: 2 });
  // Files are checked before anything changes: each must parse, before and after.
  const files = plan.map((p) => {
    const path = fileOf(p.deck);
    if (!path) return null;
    const text = readFileSync(path, 'utf8');
    if (parseDeckFile(path, text).header.name !== p.deck.name) return null;
    const changed = setHeaderName(text, p.to);
    if (changed === null) return null;
    parseDeckFile(path, changed);
    return { path, before: text, after: changed };
  });
  const now = ctx.clock();
  const renamed: RenameEntry[] = [];
  const actionUid = ctx.store.transaction(() => {
    const uid = ctx.store.beginAction('deck-rename', now, {
      label: `the rename of "${deck.name}" to "${newName}"`,
      renames: plan.map((p, i) => ({ id: p.deck.id, from: p.deck.name, to: p.to, file: files[i]?.path ?? null, fileHash: files[i] ? hashText(files[i]!.after) : null })),
    });
    // Through a temporary name first, so renaming `a` to `a::b` (or swapping levels) never collides midway.
    for (const p of plan) ctx.store.renameDeck(p.deck.id, `\u0000rename:${p.deck.id}`);
    plan.forEach((p, i) => {
      ctx.store.renameDeck(p.deck.id, p.to);
      const f = files[i];
      if (f) {
        writeFileAtomic(f.path, f.after, { force: true });
        ctx.store.upsertDeck({ name: p.to, description: p.deck.description, source: p.deck.source, origin: p.deck.origin, path: p.deck.path, fileHash: hashText(f.after) }, now);
      }
      renamed.push({ id: p.deck.id, from: p.deck.name, to: p.to, file: f?.path ?? null });
    });
    return uid;
  });
  return { renamed, actionUid };
}

/** Undo of a rename: the old names back, and each deck file's `deck:` line if the file is still as the rename left it. */
export function undoRename(ctx: Context, data: Record<string, unknown>): string[] {
  const notes: string[] = [];
  const renames = (data.renames ?? []) as { id: number; from: string; to: string; file: string | null; fileHash: string | null }[];
  for (const r of renames) ctx.store.renameDeck(r.id, `\u0000undo:${r.id}`);
  for (const r of renames) {
    ctx.store.renameDeck(r.id, r.from);
    if (!r.file) continue;
    const text = existsSync(r.file) ? readFileSync(r.file, 'utf8') : null;
    const back = text !== null && hashText(text) === r.fileHash ? setHeaderName(text, r.from) : null;
    if (back === null) {
      notes.push(`${r.file} changed since the rename: set its deck: line back to "${r.from}" yourself`);
      continue;
    }
    writeFileAtomic(r.file, back, { force: true });
    const d = ctx.store.deckById(r.id)!;
    ctx.store.upsertDeck({ name: r.from, description: d.description, source: d.source, origin: d.origin, path: d.path, fileHash: hashText(back) }, ctx.clock());
  }
  return notes;
}

export interface DeleteResult {
  decks: string[];
  cards: number;
  dryRun: boolean;
  actionUid: string | null;
}

/** Removes every card of a deck and its subdecks in one action; their review history stays. */
export function deleteDeck(ctx: Context, name: string, opts: { dryRun?: boolean } = {}): DeleteResult {
  const deck = resolveDeck(ctx, name);
  const family = ctx.store.decks().filter((d) => d.id === deck.id || d.name.toLowerCase().startsWith(`${deck.name.toLowerCase()}::`));
  refuseBuiltin(family, 'deleted');
  const cards = ctx.store.liveCardIds(family.map((d) => d.id));
  const decks = family.map((d) => d.name);
  if (opts.dryRun || cards.length === 0) return { decks, cards: cards.length, dryRun: Boolean(opts.dryRun), actionUid: null };
  const actionUid = ctx.store.transaction(() => {
    const now = ctx.clock();
    const uid = ctx.store.beginAction('deck-delete', now, { label: `the deletion of "${deck.name}" (${plural(cards.length, 'card')})`, decks, cards: cards.length });
    const meta = { at: now, day: ctx.day(now), actionUid: uid };
    for (const id of cards) ctx.store.appendEvent(id, { kind: 'remove' }, meta);
    return uid;
  });
  return { decks, cards: cards.length, dryRun: false, actionUid };
}

/** Hides (or shows again) a deck and its subdecks. */
export function hideDeck(ctx: Context, name: string, hide: boolean): { decks: string[]; changed: string[]; actionUid: string | null } {
  const deck = resolveDeck(ctx, name);
  const family = ctx.store.decks().filter((d) => d.id === deck.id || d.name.toLowerCase().startsWith(`${deck.name.toLowerCase()}::`));
  const hidden = ctx.hiddenDeckIds();
  const changing = family.filter((d) => hidden.has(d.id) !== hide);
  // Shown again is stored as false, not as a missing key: sync keeps the last writer of each key, and a removal
  // would leave nothing to compare.
  const actionUid = commitSettings(
    ctx,
    changing.map((d) => ({ key: `${DECK_HIDDEN_PREFIX}${d.uid}`, before: ctx.store.getSetting(`${DECK_HIDDEN_PREFIX}${d.uid}`), after: hide })),
    `${hide ? 'hiding' : 'showing'} "${deck.name}"`,
  );
  return { decks: family.map((d) => d.name), changed: changing.map((d) => d.name), actionUid };
}
