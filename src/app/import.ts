// Applies import plans to the database. Every file is read and checked first; then everything is written in one
// transaction, so a failure anywhere leaves the database exactly as it was.
import { closeSync, mkdtempSync, readSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { RecallError, formatDiagnostic, type Diagnostic } from '../core/errors.js';
import { plural } from '../core/plural.js';
import type { ImportPlan, PlannedCard, PlannedReview } from '../core/import-plan.js';
import type { CardContent, CardState, Schedule } from '../core/types.js';
import { ankiGuid, ankiOrd } from '../exporters/anki-note.js';
import type { ParsedDeck } from '../decks/parse.js';
import { readAnkiPackage } from '../importers/anki-package.js';
import { parseAnkiText, planErrors, type ImportDiagnostic } from '../importers/anki-text.js';
import { detectFormat } from '../importers/detect.js';
import { parseRecallJson } from '../importers/recall-json.js';
import { inputKind, openInputFile, readInputText } from '../importers/input.js';
import { assertTimeZone, studyDay, type ReplayEntry, type Scheduler } from '../scheduler/index.js';
import { cardJson, isGlobalUid } from '../store/store.js';
import { retentionSlot } from '../store/rollups.js';
import type { ImportedReview } from '../store/api.js';
import type { Context } from './context.js';
import { discardWritten, importMedia, renameRefs } from './media.js';
import { replayEntries } from './replay.js';
import { refuseCaseVariant } from './decks.js';
import { applyDeck, builtinDeckDir, builtinDeckNames, deckFilesUnder, hashText, parseDeckFile, syncBuiltinDecks } from './sync.js';

export interface ImportOptions {
  deck?: string;
  dryRun?: boolean;
  timeZone?: string;
  dayStartHour?: number;
  /** All or nothing: a file with any row that would be skipped is refused. */
  strict?: boolean;
  onProgress?: (done: number, total: number, label: string) => void;
}

export interface ImportReport {
  cardsAdded: number;
  cardsUpdated: number;
  cardsUnchanged: number;
  /** Cards no longer in their deck file: marked removed (history kept; putting them back in the file restores them). */
  cardsRemoved: number;
  reviewsImported: number;
  /** Media files of the packages: newly kept in the media folder, and already there (same content). */
  mediaStored: number;
  mediaReused: number;
  decks: string[];
  warnings: string[];
  /** Rows (notes, review-log rows) left out because of a problem, each with its file and line. */
  skipped: Diagnostic[];
  files: { file: string; format: string; cardsAdded: number; cardsUpdated: number; cardsUnchanged: number; cardsRemoved: number; reviewsImported: number }[];
  dryRun: boolean;
}

type Loaded =
  /** `builtin`: the file is one of recall's own decks (its path inside decks/), synced as on start. */
  | { kind: 'recall'; file: string; parsed: ParsedDeck; text: string; builtin?: string }
  | { kind: 'plan'; file: string; plan: ImportPlan };

class DryRunRollback extends Error {}

/** Deck files and Anki text exports are read whole; a real one is a few MB, so this only stops absurd inputs. */
const MAX_TEXT_BYTES = 64 * 2 ** 20;
const TEXT_TOO_LARGE_HINT = 'split the file, or export the collection from Anki as a package (.apkg) instead';

function readHead(path: string): Buffer {
  const { fd } = openInputFile(path, Number.MAX_SAFE_INTEGER, '');
  try {
    const buf = Buffer.alloc(512);
    const n = readSync(fd, buf, 0, buf.length, 0);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/**
 * A deck in a file may not take the name of a built-in deck (in any case): importing into it would mark the
 * built-in cards removed, and the next start would sync them back over the imported ones. Refused, with the way out.
 * A subdeck under a built-in deck's name (`AWS Organizations::Mine`) is a deck of its own, as `deck rename` allows.
 * Nor may a new deck differ from an existing one only in case (deck names are matched ignoring case).
 */
function refuseDeckName(name: string, file: string, names: DeckNames, viaFlag: boolean): void {
  const clash = [...names.builtin].find((b) => b.toLowerCase() === name.toLowerCase());
  if (clash !== undefined) {
    throw new RecallError('builtin-deck-name', `"${name}" is the name of ${clash === name ? 'a built-in deck' : `the built-in deck "${clash}"`}; importing into it would replace the built-in cards`, {
      file: file || undefined,
      hint: viaFlag ? 'choose another name with --deck' : `import it under another name, e.g. --deck "${clash} (mine)"`,
      exitCode: 2,
    });
  }
  refuseCaseVariant(names.taken, name, {
    file: file || undefined,
    hint: viaFlag ? 'give --deck the existing name exactly to import into that deck, or choose another name' : 'change the deck: line (or pass --deck) to the existing name exactly, or to another name',
  });
  names.taken.add(name);
}

interface DeckNames {
  builtin: Set<string>;
  /** The collection's deck names and those this import makes. */
  taken: Set<string>;
}

/**
 * A deck of a package recall wrote itself: every card is one of recall's own, found by its deck-file id, or (the
 * package went through Anki, which drops recall's record) by the guid recall gave its note for this deck.
 */
function isOwnBuiltinExport(deck: ImportPlan['decks'][number]): boolean {
  return deck.cards.length > 0 && deck.cards.every((c) => c.uidInDeck === true || c.recallHome?.deck === deck.name);
}

/** Refuses a plan whose rows had problems when the import is strict; reports them otherwise. */
function checkSkipped(plan: ImportPlan, opts: ImportOptions): void {
  const errors = planErrors(plan);
  if (errors.length === 0 || !opts.strict) return;
  const shown = errors.slice(0, 20).map(formatDiagnostic).join('\n');
  const more = errors.length > 20 ? `\n... and ${errors.length - 20} more` : '';
  throw new RecallError('import-invalid', `${plural(errors.length, 'row has', 'rows have')} problems; with --strict nothing was imported:\n${shown}${more}`, {
    file: plan.file,
    ...(errors[0]?.line ? { line: errors[0].line } : {}),
    hint: 'fix the rows named above, or import without --strict to import the good rows and skip these',
  });
}

/** A deck file, read and parsed; one of recall's own built-in files is recognised by where it lives. */
function loadDeckFile(file: string, opts: ImportOptions, names: DeckNames): Loaded {
  const text = readInputText(file, MAX_TEXT_BYTES, TEXT_TOO_LARGE_HINT);
  const parsed = parseDeckFile(file, text);
  const dir = realpathSync(builtinDeckDir());
  const real = realpathSync(file);
  if (opts.deck === undefined && real.startsWith(`${dir}${sep}`)) return { kind: 'recall', file, text, parsed, builtin: relative(dir, real) };
  if (opts.deck === undefined) refuseDeckName(parsed.header.name, file, names, false);
  return { kind: 'recall', file, text, parsed };
}

/** Reads and checks every path; nothing is written. Throws the first unreadable file's error. */
function loadAll(paths: string[], opts: ImportOptions, tmpDir: string, now: number, names: DeckNames): Loaded[] {
  const loaded: Loaded[] = [];
  if (opts.deck !== undefined) refuseDeckName(opts.deck, '', names, true);
  for (const path of paths) {
    // The type is checked before anything is opened: a folder, a FIFO or a device each get their own answer.
    if (inputKind(path) === 'dir') {
      const files = deckFilesUnder(path);
      if (files.length === 0) throw new RecallError('empty-dir', 'This folder holds no .deck files', { file: path, hint: 'recall imports a folder of deck files (*.deck); pass Anki files one by one' });
      for (const file of files) {
        loaded.push(loadDeckFile(file, opts, names));
      }
      continue;
    }
    const format = detectFormat(path, readHead(path));
    if (format === 'recall' || format === 'recall-dir') {
      loaded.push(loadDeckFile(path, opts, names));
    } else {
      const plan =
        format === 'anki-text'
          ? parseAnkiText(readInputText(path, MAX_TEXT_BYTES, TEXT_TOO_LARGE_HINT), path, { deck: opts.deck })
          : format === 'recall-json'
            ? parseRecallJson(readInputText(path, MAX_TEXT_BYTES, TEXT_TOO_LARGE_HINT), path, { deck: opts.deck })
            : readAnkiPackage(path, { deck: opts.deck, tmpDir, now });
      checkSkipped(plan, opts);
      // A package recall wrote of one of its built-in decks (every card carries its deck-file id) is that deck's
      // history coming home, from this machine or another: it is merged, never refused. Anything else by that name is.
      for (const d of plan.decks) {
        if ((isOwnBuiltinExport(d) && names.builtin.has(d.name)) || (opts.deck !== undefined && d.name === opts.deck)) continue;
        if (opts.deck === undefined) refuseDeckName(d.name, path, names, false);
        else refuseCaseVariant(names.taken, d.name, { file: path });
      }
      loaded.push({ kind: 'plan', file: path, plan });
    }
  }
  return loaded;
}

export function importPaths(ctx: Context, paths: string[], opts: ImportOptions = {}): ImportReport {
  if (opts.timeZone) assertTimeZone(opts.timeZone);
  const tmpDir = mkdtempSync(join(tmpdir(), 'recall-import-'));
  const report: ImportReport = { cardsAdded: 0, cardsUpdated: 0, cardsUnchanged: 0, cardsRemoved: 0, reviewsImported: 0, mediaStored: 0, mediaReused: 0, decks: [], warnings: [], skipped: [], files: [], dryRun: Boolean(opts.dryRun) };
  // Media files written in this import: removed again if its transaction does not commit.
  const written: string[] = [];
  try {
    const now = ctx.clock();
    const decks = ctx.store.decks();
    const builtin = builtinDeckNames(undefined, decks);
    const loaded = loadAll(paths, opts, tmpDir, now, { builtin, taken: new Set(decks.map((d) => d.name)) });
    // A package recall wrote of a built-in deck merges into that deck: it must be in place first, as on every start.
    const homecoming = loaded.some((l) => l.kind === 'plan' && l.plan.decks.some((d) => builtin.has(d.name) && isOwnBuiltinExport(d)));
    if (homecoming && !opts.dryRun) syncBuiltinDecks(ctx);
    try {
      const daily = new DailyTally();
      const guids = new FreshGuids(ctx.store);
      const reviewRows = loaded.reduce((n, l) => n + (l.kind === 'plan' ? (l.plan.reviewCount ?? l.plan.decks.reduce((m, d) => m + d.cards.reduce((k, c) => k + c.reviews.length, 0), 0)) : 0), 0);
      const cardRows = loaded.reduce((n, l) => n + (l.kind === 'plan' ? l.plan.decks.reduce((m, d) => m + d.cards.length, 0) : l.parsed.cards.length), 0);
      // A collection of years is hundreds of thousands of rows in one transaction: index pages stay in memory. 96 MiB
      // imports the bench collection (100k cards / 934k answers) as fast as 256 did, into a new database, into one
      // of 10k cards and into a copy of itself (10.9-15.3 s each way), with 65-170 MB less peak memory; 32-64 MiB
      // spill pages and cost up to a second.
      ctx.store.reserveCache(96);
      // Into a new database, a large import's pages reach the disk once (Store.fillingWrite); a dry run writes nothing.
      ctx.store.fillingWrite(opts.dryRun ? 0 : reviewRows + cardRows, () => ctx.store.transaction(() => {
        const rebuildIndexes = ctx.store.deferReportIndexes(reviewRows);
        for (const item of loaded) {
          const fileReport = { file: item.file, format: item.kind === 'recall' ? 'recall' : item.plan.format, cardsAdded: 0, cardsUpdated: 0, cardsUnchanged: 0, cardsRemoved: 0, reviewsImported: 0 };
          if (item.kind === 'recall') {
            guids.forget();
            const r = item.builtin
              ? applyDeck(ctx.store, item.parsed, { origin: 'builtin', path: item.builtin, hash: hashText(item.text), now, day: ctx.day(now) })
              : applyDeck(ctx.store, item.parsed, { origin: 'file', path: item.file, hash: hashText(item.text), now, day: ctx.day(now), deckName: opts.deck });
            fileReport.cardsAdded = r.added;
            fileReport.cardsUpdated = r.updated;
            fileReport.cardsRemoved = r.removed;
            fileReport.cardsUnchanged = r.unchanged;
            if (!report.decks.includes(r.deck)) report.decks.push(r.deck);
          } else {
            applyPlan(ctx, item.plan, opts, now, fileReport, report, daily, written, guids);
            for (const w of item.plan.warnings) {
              if ((w as Partial<ImportDiagnostic>).severity === 'error') report.skipped.push({ file: w.file, line: w.line, message: w.message, ...(w.hint ? { hint: w.hint } : {}) });
              else report.warnings.push(formatDiagnostic(w));
            }
          }
          report.files.push(fileReport);
          report.cardsAdded += fileReport.cardsAdded;
          report.cardsUpdated += fileReport.cardsUpdated;
          report.cardsUnchanged += fileReport.cardsUnchanged;
          report.cardsRemoved += fileReport.cardsRemoved;
          report.reviewsImported += fileReport.reviewsImported;
        }
        rebuildIndexes();
        // The per-day rollup gains the imported answers, counted as they were written (no rescan of the log).
        daily.flush(ctx.store);
        if (opts.dryRun) throw new DryRunRollback();
      }));
    } catch (e) {
      discardWritten(written);
      if (!(e instanceof DryRunRollback)) throw e;
    }
    return report;
  } finally {
    rmSync(tmpDir, { recursive: true, force: true });
  }
}

function applyPlan(
  ctx: Context,
  plan: ImportPlan,
  opts: ImportOptions,
  now: number,
  fileReport: { cardsAdded: number; cardsUpdated: number; cardsUnchanged: number; reviewsImported: number },
  report: ImportReport,
  daily: DailyTally,
  written: string[],
  guids: FreshGuids,
): void {
  const { store } = ctx;
  // The package's pictures and sounds first: a name another file holds already is renamed, in the cards too.
  const media = importMedia(ctx, plan.media ?? [], { dryRun: opts.dryRun });
  written.push(...media.written);
  report.mediaStored += media.stored;
  report.mediaReused += media.reused;
  for (const [from, to] of media.renamed) report.warnings.push(`${plan.file}: In the collection: the media file name "${from}" is taken by another file; this package's file is kept as "${to}"`);
  // The history's days are counted in the time zone it was studied in: the flag, else the collection's own, else ours.
  const timeZone = opts.timeZone ?? plan.timeZone ?? ctx.timeZone;
  const dayStartHour = opts.dayStartHour ?? plan.dayStartHour ?? ctx.settings.dayStartHour;
  const dayOf = (ms: number) => studyDay(ms, timeZone, dayStartHour);
  const meta = { at: now, day: ctx.day(now) };
  const total = plan.decks.reduce((n, d) => n + d.cards.length, 0);
  let done = 0;
  // Whether the log holds imported answers at all: if not (a first import), a new card's answers need no lookup.
  const keysInLog = store.hasSourceKeyPrefix('anki:');
  /** A source key's card part (`anki:<guid>:<ord>:`): every answer of the card shares it. */
  const keyPrefix = (key: string) => key.slice(0, key.lastIndexOf(':') + 1);

  for (const deck of plan.decks) {
    // A built-in deck's own export merges into it: the deck file stays the truth of its cards (no new cards, no
    // edits, the deck row untouched); what comes in is the history and the learner's flags.
    const named = store.deckByName(deck.name);
    // recall's own notes name the deck they were exported from; renamed since, the deck is found by its uid, which
    // keeps the name it was created with.
    // Renamed in Anki instead, the deck's notes still carry recall's name for it in their guids.
    const renamed = named ? undefined : renamedHomeDeck(deck) ?? ankiRenamedDeck(deck);
    const existingDeck = named ?? renamed;
    const intoBuiltin = existingDeck?.origin === 'builtin' && isOwnBuiltinExport(deck);
    const origin = plan.format === 'recall-json' ? 'file' : 'anki';
    // A deck of another kind keeps its row as well: a deck file's deck that gets its own export back (or cards
    // added from a package) stays tied to its file, which `recall edit` and `recall add` write to.
    const deckId = existingDeck && (renamed || intoBuiltin || existingDeck.origin !== 'anki' || origin !== 'anki')
      ? existingDeck.id
      : store.upsertDeck({ name: deck.name, description: deck.description ?? '', source: deck.source ?? plan.file, origin, path: plan.file, fileHash: null }, now);
    // Built when a card brings history (a text export has none; building ts-fsrs's scheduler costs a few ms).
    let scheduler: Scheduler | undefined;
    const deckName = existingDeck?.name ?? deck.name;
    if (!report.decks.includes(deckName)) report.decks.push(deckName);
    let notInBuiltin = 0;
    // New cards known to be new without a lookup, written together before anything else reads or writes cards.
    const pending: { spec: PlannedCard; json: string; position: number }[] = [];
    const flush = () => {
      store.insertFreshCards(deckId, pending, now);
      pending.length = 0;
    };
    deck.cards.forEach((planned, index) => {
      let card = media.renamed.size
        ? { ...planned, content: renameRefs(planned.content, media.renamed), ...(planned.anki ? { anki: renameRefs(planned.anki, media.renamed) } : {}) }
        : planned;
      // In a deck renamed in Anki, a note's guid names the deck it is in here.
      const prefix = renamed ? ankiGuid(renamed.name, '') : undefined;
      const byName = prefix !== undefined && card.recallGuid?.guid.startsWith(prefix) ? card.recallGuid : undefined;
      if (byName) {
        const key = byName.guid.slice(prefix!.length);
        card = { ...card, recallHome: { deck: renamed!.name, key, ord: byName.ord, ...(byName.changedAt === undefined ? {} : { changedAt: byName.changedAt }) } };
      }
      // One of recall's own cards back from Anki without recall's record: that card, as recall has it (Anki's note
      // is a rendering of it), with what Anki added to its history and flags.
      const home = card.recallHome ? recallHomeCard(card.recallHome, deckId) : undefined;
      const json = home ? home.contentJson : cardJson(card);
      // Anki notes are one per collection (guid), so their cards are followed into whichever deck they are in; cards
      // recall exported with their deck-file ids are unique only within their deck.
      const byGuid = !home && !card.uidInDeck && isGlobalUid(card.uid);
      // Read once: an Anki package plans a card's history each time it is read (PlannedCard.reviews is a getter).
      const reviews = card.reviews;
      if (byGuid && !intoBuiltin && !card.suspended && !card.buried && reviews.length === 0 && guids.claim(card.uid)) {
        pending.push({ spec: card, json, position: index });
        fileReport.cardsAdded++;
        done++;
        if (opts.onProgress && (done % 200 === 0 || done === total)) opts.onProgress(done, total, deck.name);
        return;
      }
      flush();
      // A card with history or flags is looked up unless it is known to be new (FreshGuids): 100k lookups of a
      // collection's import cost ~0.25 s.
      const existing = home ?? (byGuid && !intoBuiltin && guids.claim(card.uid) ? undefined : store.cardByUid(card.uid, byGuid ? undefined : deckId));
      let cardId: number;
      const suspended = Boolean(card.suspended);
      // A card already in the database has its log read below: the answers still waiting are written first.
      if (existing) store.flushImportedReviews();
      if (intoBuiltin && !existing) {
        notInBuiltin++;
        return;
      }
      if (intoBuiltin) {
        cardId = existing!.id;
        if (existing!.suspended !== suspended) store.appendEvent(cardId, { kind: suspended ? 'suspend' : 'unsuspend' }, meta);
        fileReport.cardsUnchanged++;
      } else if (!existing) {
        cardId = store.insertCard(deckId, card, index, now, json);
        if (byGuid) guids.take(card.uid);
        else guids.forget();
        if (suspended) store.appendEvent(cardId, { kind: 'suspend' }, meta);
        fileReport.cardsAdded++;
      } else {
        // What changed in the source arrives as events, so the card's history shows it and undo or sync can follow.
        cardId = existing.id;
        const row = store.getCard(cardId)!;
        let changed = false;
        if (!home && (existing.contentJson !== json || row.noteUid !== card.noteUid)) {
          store.appendEvent(cardId, { kind: 'edit', before: { uid: row.uid, noteUid: row.noteUid, content: existing.contentJson }, after: { uid: row.uid, noteUid: card.noteUid, content: json } }, meta);
          changed = true;
        }
        if (existing.deckId !== deckId) {
          store.appendEvent(cardId, { kind: 'move', from: existing.deckId, to: deckId }, meta);
          changed = true;
        }
        // A card recall removed stays removed when its Anki copy comes back; its history still comes in.
        if (existing.removed && !home) {
          store.appendEvent(cardId, { kind: 'restore' }, meta);
          changed = true;
        }
        if (existing.suspended !== suspended && (!home || ankiChangedLater(cardId, card.recallHome!))) store.appendEvent(cardId, { kind: suspended ? 'suspend' : 'unsuspend' }, meta);
        if (changed) fileReport.cardsUpdated++;
        else fileReport.cardsUnchanged++;
      }
      // An answer exported by recall and imported back has a new source key but the same time and rating.
      // A card new to this database has no history here yet; its answers can still be in the log, on another card,
      // when the same package came in before under another deck name: an answer is one row, on the first card.
      const fresh = existing
        ? reviews.filter((r) => !store.hasSourceKey(r.sourceKey) && !store.hasAnswer(cardId, r.reviewedAt, r.rating))
        : keysInLog && reviews.length > 0 && store.hasSourceKeyPrefix(keyPrefix(reviews[0]!.sourceKey))
          ? reviews.filter((r) => !store.hasSourceKey(r.sourceKey))
          : reviews;
      if (fresh.length) {
        fileReport.reviewsImported += fresh.length;
        insertHistory(cardId, deckId, fresh, (scheduler ??= ctx.schedulerFor(deckId)), !existing);
      }
      if (card.buried) store.appendEvent(cardId, { kind: 'bury', until: ctx.dayEnd(now) }, meta);
      done++;
      if (opts.onProgress && (done % 200 === 0 || done === total)) opts.onProgress(done, total, deck.name);
    });
    flush();
    if (notInBuiltin > 0) {
      report.warnings.push(`${plan.file}: ${plural(notInBuiltin, 'card', 'cards')} of the built-in deck "${deck.name}" ${notInBuiltin === 1 ? 'is' : 'are'} no longer in it (this recall's edition of the deck dropped them); their history was not imported`);
    }
  }
  store.flushImportedReviews();

  /**
   * Whether Anki changed the card after recall last suspended or unsuspended it: a package exported before that
   * change (and not touched in Anki since) must not undo it.
   */
  function ankiChangedLater(cardId: number, h: NonNullable<PlannedCard['recallHome']>): boolean {
    if (h.changedAt === undefined) return true;
    const flagged = store.cardEvents(cardId).filter((e) => !e.undone && (e.data.kind === 'suspend' || e.data.kind === 'unsuspend'));
    return flagged.length === 0 || h.changedAt > Math.max(...flagged.map((e) => e.at));
  }

  /** The deck created under the name recall's notes in `deck` were exported from, when it has been renamed since. */
  function renamedHomeDeck(deck: ImportPlan['decks'][number]) {
    if (!deck.cards.some((c) => c.recallHome?.deck === deck.name)) return undefined;
    const uids = new Set([`file:${deck.name}`, `anki:${deck.name}`]);
    return store.decks().find((d) => uids.has(d.uid));
  }

  /**
   * The database's deck that the recall notes of a deck renamed in Anki all name in their guids (`recall:<name>:`,
   * the longest name that fits each), when they agree on one.
   */
  function ankiRenamedDeck(deck: ImportPlan['decks'][number]) {
    const guids = deck.cards.flatMap((c) => (c.recallGuid ? [c.recallGuid.guid] : []));
    if (guids.length === 0) return undefined;
    // Not a built-in deck: its cards come from its deck file, and a deck Anki renamed may hold notes added there.
    const decks = store.decks().filter((d) => d.origin !== 'builtin').sort((a, b) => b.name.length - a.name.length);
    const homeOf = (guid: string) => decks.find((d) => guid.startsWith(ankiGuid(d.name, '')) && guid.length > ankiGuid(d.name, '').length);
    const first = homeOf(guids[0]!);
    return first && guids.every((g) => homeOf(g) === first) ? first : undefined;
  }

  /** The card a note back from Anki was (PlannedCard.recallHome), when the deck has that one card for it. */
  function recallHomeCard(h: NonNullable<PlannedCard['recallHome']>, deckId: number) {
    const candidates = store.cardsOfNote(deckId, h.key).filter((c) => ankiOrd(JSON.parse(c.contentJson) as CardContent) === h.ord);
    return candidates.find((c) => c.uid === h.key) ?? (candidates.length === 1 ? candidates[0] : undefined);
  }

  /** Merges new rows into the card's log in time order, replays, and writes the new rows with their replayed states. */
  function insertHistory(cardId: number, deckId: number, fresh: PlannedReview[], scheduler: Scheduler, newCard: boolean): void {
    // A card this import created has no log yet.
    const existingLog = !newCard && store.hasReviews(cardId) ? store.cardLog(cardId) : [];
    // The card's scheduled rows and the new ones, by time (a stable sort: at the same millisecond the row already
    // in the log comes first). A card new to the database has only the new rows, already in time order.
    const existing = existingLog.length ? replayEntries(existingLog) : [];
    const planned: (PlannedReview | null)[] = [];
    const entries: (ReplayEntry | null)[] = [];
    const times: number[] = [];
    /** The study day of each new row (worked out once: the zone's offset is not free). */
    const days: number[] = [];
    for (const e of existing) {
      planned.push(null);
      entries.push(e);
      times.push(e.reviewedAt);
      days.push(0);
    }
    for (const p of fresh) {
      const day = p.day ?? dayOf(p.reviewedAt);
      days.push(day);
      planned.push(p);
      entries.push(
        !p.scheduled
          ? null
          : p.rating === 0
            ? { rating: 0, reviewedAt: p.reviewedAt, day, manual: p.manual ?? { state: 0 as CardState, due: p.reviewedAt } }
            : { rating: p.rating, reviewedAt: p.reviewedAt, day },
      );
      times.push(p.reviewedAt);
    }
    let order: number[] | null = null;
    for (let i = 1; i < times.length; i++) {
      if (times[i]! < times[i - 1]!) {
        order = times.map((_t, k) => k).sort((a, b) => times[a]! - times[b]! || a - b);
        break;
      }
    }
    const at = (k: number) => (order ? order[k]! : k);
    const toReplay: ReplayEntry[] = [];
    for (let k = 0; k < entries.length; k++) {
      const e = entries[at(k)];
      if (e) toReplay.push(e);
    }
    const { outcomes } = scheduler.replay(toReplay);
    const rows: ImportedReview[] = [];
    let o = 0;
    let current: Schedule | null = null;
    for (let k = 0; k < entries.length; k++) {
      const i = at(k);
      const before = current;
      let elapsedDays = 0;
      if (entries[i]) {
        const outcome = outcomes[o++]!;
        current = outcome.schedule;
        elapsedDays = outcome.elapsedDays;
      }
      const p = planned[i];
      if (!p) continue;
      const day = days[i]!;
      const stateBefore = before?.state ?? 0;
      rows.push({
        cardId, rating: p.rating, stateBefore, schedule: current, elapsedDays, reviewedAt: p.reviewedAt, durationMs: p.durationMs,
        scheduled: p.scheduled, sourceKey: p.sourceKey, day, sourceState: p.sourceState ?? null,
      });
      const slot = retentionSlot(p.rating, p.sourceState ?? (p.scheduled ? stateBefore : null), elapsedDays);
      if (p.rating > 0) daily.add(day, deckId, p.rating, Math.max(0, Math.round(p.durationMs)), stateBefore === 0, slot);
    }
    store.insertImportedReviews(rows);
    if (existingLog.length) store.flushImportedReviews();
    // The stored schedule is exactly what replaying the whole log gives, as doctor checks. A card with no earlier
    // history has just been replayed in full; one with history is replayed again from the log as stored.
    store.setSchedule(cardId, existingLog.length === 0 ? current : scheduler.replay(store.replayLog(cardId)).schedule);
  }
}

export type { PlannedCard };

/**
 * Which cards with a global uid (isGlobalUid: `anki:...`, `ankitxt:...`) an import can create without looking each
 * one up. Such a card is found by its guid, which is its uid. When no card's guid had the uid's prefix as the import
 * first asked, the only cards that can hold it are the ones this import created since: a card with a global uid
 * gets it as its guid, or (taken already) that guid with `#n` added, so a uid without `#` that the import has not
 * created is free. A card created any other way (a deck-scoped guid) makes it ask the database again.
 */
class FreshGuids {
  /** Per prefix: no card held a guid with it when first asked (and none has been created by another path since). */
  private readonly emptyPrefix = new Map<string, boolean>();
  private readonly taken = new Set<string>();
  constructor(private readonly store: Context['store']) {}
  /** Whether a card with this global uid can be created as new without a lookup; if so, it is taken. */
  claim(uid: string): boolean {
    const prefix = uid.startsWith('ankitxt:') ? 'ankitxt:' : 'anki:';
    let empty = this.emptyPrefix.get(prefix);
    if (empty === undefined) this.emptyPrefix.set(prefix, (empty = !this.store.hasGuidPrefix(prefix)));
    if (!empty || uid.includes('#')) return false;
    const before = this.taken.size;
    this.taken.add(uid);
    return this.taken.size > before;
  }
  /** A card with this global uid was created: its guid is the uid (or, when that was taken, the uid with `#n`). */
  take(uid: string): void {
    this.taken.add(uid);
  }
  /** Cards were created whose guids are not known here: every uid is looked up again. */
  forget(): void {
    for (const prefix of this.emptyPrefix.keys()) this.emptyPrefix.set(prefix, false);
    this.emptyPrefix.set('anki:', false);
    this.emptyPrefix.set('ankitxt:', false);
  }
}

/**
 * What the imported answers add to the per-day rollup, by day and deck, written once at the end: the same counts
 * store.rebuildDaily() would find (answers with a rating, imported ones counting even when they did not reschedule),
 * without reading a million rows back.
 */
class DailyTally {
  private readonly rows = new Map<number | string, { day: number; deckId: number; reviews: number; again: number; durationMs: number; newCards: number; retention: number[] }>();
  add(day: number, deckId: number, rating: number, durationMs: number, wasNew: boolean, retentionSlot: number): void {
    // A number for a key where one holds both (every real day and deck): a million answers hash no strings.
    const key = deckId >= 0 && deckId < 2 ** 20 && Math.abs(day) < 2 ** 32 ? day * 2 ** 20 + deckId : `${day}:${deckId}`;
    let r = this.rows.get(key);
    if (!r) this.rows.set(key, (r = { day, deckId, reviews: 0, again: 0, durationMs: 0, newCards: 0, retention: [0, 0, 0, 0] }));
    if (retentionSlot >= 0) {
      r.retention[retentionSlot]!++;
      if (rating > 1) r.retention[retentionSlot + 1]!++;
    }
    r.reviews++;
    if (rating === 1) r.again++;
    r.durationMs += durationMs;
    if (wasNew) r.newCards++;
  }
  flush(store: Context['store']): void {
    for (const r of this.rows.values()) store.addToDaily(r);
    this.rows.clear();
  }
}
