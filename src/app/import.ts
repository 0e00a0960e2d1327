// Applies import plans to the database. Every file is read and checked first; then everything is written in one
// transaction, so a failure anywhere leaves the database exactly as it was.
import { mkdtempSync, openSync, readSync, closeSync, readFileSync, rmSync, existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RecallError, formatDiagnostic } from '../core/errors.js';
import type { ImportPlan, PlannedCard, PlannedReview } from '../core/import-plan.js';
import type { CardState, Schedule } from '../core/types.js';
import type { ParsedDeck } from '../decks/parse.js';
import { readAnkiPackage } from '../importers/anki-package.js';
import { parseAnkiText, planErrors } from '../importers/anki-text.js';
import { detectFormat } from '../importers/detect.js';
import { assertTimeZone, studyDay, type ReplayEntry, type Scheduler } from '../scheduler/index.js';
import { cardJson } from '../store/store.js';
import type { Context } from './context.js';
import { replayEntries } from './replay.js';
import { applyDeck, deckFilesUnder, hashText, parseDeckFile } from './sync.js';

export interface ImportOptions {
  deck?: string;
  dryRun?: boolean;
  timeZone?: string;
  dayStartHour?: number;
  onProgress?: (done: number, total: number, label: string) => void;
}

export interface ImportReport {
  cardsAdded: number;
  cardsUpdated: number;
  cardsUnchanged: number;
  reviewsImported: number;
  decks: string[];
  warnings: string[];
  files: { file: string; format: string; cardsAdded: number; cardsUpdated: number; cardsUnchanged: number; reviewsImported: number }[];
  dryRun: boolean;
}

type Loaded =
  | { kind: 'recall'; file: string; parsed: ParsedDeck; text: string }
  | { kind: 'plan'; file: string; plan: ImportPlan };

class DryRunRollback extends Error {}

const MAX_TEXT_BYTES = 64 * 2 ** 20;

function readHead(path: string): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(64);
    const n = readSync(fd, buf, 0, 64, 0);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/** Reads and checks every path; nothing is written. Throws the first unreadable file's error. */
function loadAll(paths: string[], opts: ImportOptions, tmpDir: string): Loaded[] {
  const loaded: Loaded[] = [];
  for (const path of paths) {
    if (!existsSync(path)) throw new RecallError('no-such-file', `${path}: no such file or directory`, { file: path, hint: 'check the path' });
    const format = detectFormat(path, readHead(path));
    if (format === 'recall' || format === 'recall-dir') {
      const files = format === 'recall-dir' ? deckFilesUnder(path) : [path];
      if (files.length === 0) throw new RecallError('empty-dir', `${path} holds no .deck files`, { file: path, hint: 'deck files end in .deck' });
      for (const file of files) {
        const text = readFileSync(file, 'utf8');
        loaded.push({ kind: 'recall', file, text, parsed: parseDeckFile(file, text) });
      }
    } else if (format === 'anki-text') {
      // A text export of a real collection is a few MB; refusing absurd sizes keeps memory bounded.
      const size = statSync(path).size;
      if (size > MAX_TEXT_BYTES) {
        throw new RecallError('import-too-large', `${path} is ${(size / 2 ** 20).toFixed(0)} MiB; text imports are limited to ${MAX_TEXT_BYTES / 2 ** 20} MiB`, {
          file: path,
          hint: 'split the file, or export the collection from Anki as a package (.apkg) instead',
        });
      }
      const plan = parseAnkiText(readFileSync(path, 'utf8'), path, { deck: opts.deck });
      const errors = planErrors(plan);
      if (errors.length) {
        const shown = errors.slice(0, 20).map(formatDiagnostic).join('\n');
        throw new RecallError('import-invalid', `${path} has ${errors.length} problem(s); nothing was imported:\n${shown}`, {
          hint: 'fix the rows named above and import again',
        });
      }
      loaded.push({ kind: 'plan', file: path, plan });
    } else {
      loaded.push({ kind: 'plan', file: path, plan: readAnkiPackage(path, { deck: opts.deck, tmpDir }) });
    }
  }
  return loaded;
}

export function importPaths(ctx: Context, paths: string[], opts: ImportOptions = {}): ImportReport {
  if (opts.timeZone) assertTimeZone(opts.timeZone);
  const tmpDir = mkdtempSync(join(tmpdir(), 'recall-import-'));
  const report: ImportReport = { cardsAdded: 0, cardsUpdated: 0, cardsUnchanged: 0, reviewsImported: 0, decks: [], warnings: [], files: [], dryRun: Boolean(opts.dryRun) };
  try {
    const loaded = loadAll(paths, opts, tmpDir);
    const now = ctx.clock();
    try {
      ctx.store.transaction(() => {
        for (const item of loaded) {
          const fileReport = { file: item.file, format: item.kind === 'recall' ? 'recall' : item.plan.format, cardsAdded: 0, cardsUpdated: 0, cardsUnchanged: 0, reviewsImported: 0 };
          if (item.kind === 'recall') {
            const r = applyDeck(ctx.store, item.parsed, { origin: 'file', path: item.file, hash: hashText(item.text), now, day: ctx.day(now), deckName: opts.deck });
            fileReport.cardsAdded = r.added;
            fileReport.cardsUpdated = r.updated + r.removed;
            fileReport.cardsUnchanged = r.unchanged;
            if (!report.decks.includes(r.deck)) report.decks.push(r.deck);
          } else {
            applyPlan(ctx, item.plan, opts, now, fileReport, report);
            for (const w of item.plan.warnings) report.warnings.push(formatDiagnostic(w));
          }
          report.files.push(fileReport);
          report.cardsAdded += fileReport.cardsAdded;
          report.cardsUpdated += fileReport.cardsUpdated;
          report.cardsUnchanged += fileReport.cardsUnchanged;
          report.reviewsImported += fileReport.reviewsImported;
        }
        if (report.reviewsImported > 0) ctx.store.rebuildDaily();
        if (opts.dryRun) throw new DryRunRollback();
      });
    } catch (e) {
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
): void {
  const { store } = ctx;
  // The history's days are counted in the time zone it was studied in: the flag, else the collection's own, else ours.
  const timeZone = opts.timeZone ?? plan.timeZone ?? ctx.timeZone;
  const dayStartHour = opts.dayStartHour ?? plan.dayStartHour ?? ctx.settings.dayStartHour;
  const dayOf = (ms: number) => studyDay(ms, timeZone, dayStartHour);
  const meta = { at: now, day: ctx.day(now) };
  const total = plan.decks.reduce((n, d) => n + d.cards.length, 0);
  let done = 0;

  for (const deck of plan.decks) {
    const deckId = store.upsertDeck({ name: deck.name, description: deck.description ?? '', source: deck.source ?? plan.file, origin: 'anki', path: plan.file, fileHash: null }, now);
    const scheduler = ctx.schedulerFor(deckId);
    if (!report.decks.includes(deck.name)) report.decks.push(deck.name);
    deck.cards.forEach((card, index) => {
      const json = cardJson(card);
      // Anki notes are one per collection (guid), so their cards are followed into whichever deck they are in; cards
      // recall exported with their deck-file ids are unique only within their deck.
      const existing = store.cardByUid(card.uid, card.uidInDeck ? deckId : undefined);
      let cardId: number;
      const suspended = Boolean(card.suspended);
      if (!existing) {
        cardId = store.insertCard(deckId, card, index, now);
        if (suspended) store.appendEvent(cardId, { kind: 'suspend' }, meta);
        fileReport.cardsAdded++;
      } else {
        // What changed in the source arrives as events, so the card's history shows it and undo or sync can follow.
        cardId = existing.id;
        const row = store.getCard(cardId)!;
        let changed = false;
        if (existing.contentJson !== json || row.noteUid !== card.noteUid) {
          store.appendEvent(cardId, { kind: 'edit', before: { uid: row.uid, noteUid: row.noteUid, content: existing.contentJson }, after: { uid: row.uid, noteUid: card.noteUid, content: json } }, meta);
          changed = true;
        }
        if (existing.deckId !== deckId) {
          store.appendEvent(cardId, { kind: 'move', from: existing.deckId, to: deckId }, meta);
          changed = true;
        }
        if (existing.removed) {
          store.appendEvent(cardId, { kind: 'restore' }, meta);
          changed = true;
        }
        if (existing.suspended !== suspended) store.appendEvent(cardId, { kind: suspended ? 'suspend' : 'unsuspend' }, meta);
        if (changed) fileReport.cardsUpdated++;
        else fileReport.cardsUnchanged++;
      }
      // An answer exported by recall and imported back has a new source key but the same time and rating.
      const fresh = card.reviews.filter((r) => !store.hasSourceKey(r.sourceKey) && !(existing && store.hasAnswer(cardId, r.reviewedAt, r.rating)));
      if (fresh.length) {
        fileReport.reviewsImported += fresh.length;
        insertHistory(cardId, fresh, scheduler);
      }
      if (card.buried) store.appendEvent(cardId, { kind: 'bury', until: ctx.dayEnd(now) }, meta);
      done++;
      if (opts.onProgress && (done % 200 === 0 || done === total)) opts.onProgress(done, total, deck.name);
    });
  }

  /** Merges new rows into the card's log in time order, replays, and writes the new rows with their replayed states. */
  function insertHistory(cardId: number, fresh: PlannedReview[], scheduler: Scheduler): void {
    type Merged = { entry: ReplayEntry | null; planned?: PlannedReview; reviewedAt: number };
    const existingLog = store.hasReviews(cardId) ? store.cardLog(cardId) : [];
    const merged: Merged[] = [];
    const existingEntries = replayEntries(existingLog);
    for (const e of existingEntries) merged.push({ entry: e, reviewedAt: e.reviewedAt });
    for (const p of fresh) {
      const day = p.day ?? dayOf(p.reviewedAt);
      const entry: ReplayEntry | null = !p.scheduled
        ? null
        : p.rating === 0
          ? { rating: 0, reviewedAt: p.reviewedAt, day, manual: p.manual ?? { state: 0 as CardState, due: p.reviewedAt } }
          : { rating: p.rating, reviewedAt: p.reviewedAt, day };
      merged.push({ entry, planned: p, reviewedAt: p.reviewedAt });
    }
    merged.sort((a, b) => a.reviewedAt - b.reviewedAt);
    const { outcomes } = scheduler.replay(merged.flatMap((m) => (m.entry ? [m.entry] : [])));
    let k = 0;
    let current: Schedule | null = null;
    for (const m of merged) {
      const before = current;
      let elapsedDays = 0;
      if (m.entry) {
        const o = outcomes[k++]!;
        current = o.schedule;
        elapsedDays = o.elapsedDays;
      }
      if (!m.planned) continue;
      const p = m.planned;
      store.insertImportedReview({
        cardId,
        rating: p.rating,
        stateBefore: before?.state ?? 0,
        schedule: current,
        elapsedDays,
        reviewedAt: p.reviewedAt,
        durationMs: p.durationMs,
        scheduled: p.scheduled,
        sourceKey: p.sourceKey,
        day: p.day ?? dayOf(p.reviewedAt),
        sourceState: p.sourceState ?? null,
      });
    }
    // The stored schedule is exactly what replaying the whole log gives, as doctor checks. A card with no earlier
    // history has just been replayed in full; one with history is replayed again from the log as stored.
    store.setSchedule(cardId, existingLog.length === 0 ? current : scheduler.replay(replayEntries(store.cardLog(cardId))).schedule);
  }
}

export type { PlannedCard };
