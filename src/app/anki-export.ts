// `recall export deck NAME --format apkg` and `recall export collection --format colpkg`: a package Anki imports with
// the cards, their schedules (FSRS memory states included) and the review log.
import { createReadStream, readFileSync } from 'node:fs';
import { RecallError } from '../core/errors.js';
import { buildAnkiCollection, buildLegacyNotice, type AnkiExportInput, type AnkiExportSettings, type ExportDeck } from '../exporters/anki.js';
import type { Settings } from '../core/settings.js';
import { isSafeMediaName, MAX_MEDIA_FILES, zipAnkiPackage, type MediaFile } from '../exporters/anki-package.js';
import { writeAnkiCollection, writeAnkiCollectionFile } from '../store/anki-writer.js';
import type { Context } from './context.js';
import { resolveDeckIds } from './decks.js';
import { resolveSearch } from './search.js';
import { cardSpecOf } from './export.js';
import { plural } from '../core/plural.js';
import { checkOutPath, removeIfThere, removeStaleScratch, scratchBeside, writeFileAtomicFrom } from './files.js';
import { mediaForContents } from './media.js';

export type AnkiPackageFormat = 'apkg' | 'colpkg';

export interface AnkiExportOptions {
  /** A deck and its subdecks; undefined = every deck. */
  deck?: string;
  /** Only the cards matching this search query (`recall search` syntax), in the deck or the collection. */
  query?: string;
  format: AnkiPackageFormat;
  out: string;
  force?: boolean;
  /**
   * Media files to pack with the notes; by default the files of recall's media folder that the exported cards name.
   * A file given by path is read here.
   */
  media?: ({ name: string; data: Uint8Array } | { name: string; path: string })[];
}

export interface AnkiExportReport {
  file: string;
  format: AnkiPackageFormat;
  decks: string[];
  notes: number;
  cards: number;
  reviews: number;
  media: number;
  bytes: number;
  /** Answers whose Anki id moved by a millisecond because another answer had the same time. */
  shiftedReviewIds: number;
  warnings: string[];
}

const LEGACY_NOTICE = 'This package needs a newer Anki (2.1.50 or later). Please update Anki, then import the file again.';

export async function exportAnkiPackage(ctx: Context, opts: AnkiExportOptions): Promise<AnkiExportReport> {
  const now = ctx.clock();
  if (opts.query !== undefined && opts.format === 'colpkg') {
    throw new RecallError('usage', 'A .colpkg replaces a whole Anki profile, so it cannot hold only the cards of a query', {
      hint: 'export them with --format apkg, which Anki adds to a profile',
      exitCode: 2,
    });
  }
  // The target is checked before the work, which takes seconds for a large collection.
  checkOutPath(opts.out, { force: opts.force });
  removeStaleScratch(opts.out);
  // Built in a function of its own, so the log read for it (a million answers as objects) is garbage before the
  // SQLite file is written: alive, it made each full collection of the heap there ~0.4 s longer.
  const { collection, deckNames, reviews, media, unsafe } = buildCollection(ctx, opts, now);
  // The collection goes through a scratch file beside the package and is deflated from there as the package is
  // written: held in memory, it and its copy as bytes took ~290 MB (a 1,016 -> 7xx MB peak for the bench collection).
  const scratch = scratchBeside(opts.out, 'anki21');
  let written: number;
  try {
    writeAnkiCollectionFile(collection, scratch);
    const legacyNotice = writeAnkiCollection(buildLegacyNotice(now, LEGACY_NOTICE), { pageSize: 512 });
    written = await writeFileAtomicFrom(
      opts.out,
      () => zipAnkiPackage({ collection: () => createReadStream(scratch), legacyNotice, media, now }),
      { force: opts.force },
    );
  } catch (e) {
    throw e instanceof RecallError ? e : scratchFailed(opts.out, e);
  } finally {
    removeIfThere(scratch);
  }
  const warnings: string[] = [];
  if (collection.refitNotes > 0) {
    warnings.push(`${plural(collection.refitNotes, 'note')} from Anki had more or fewer fields than ${collection.refitNotes === 1 ? 'its' : 'their'} note type; padded with empty fields or cut to fit`);
  }
  if (unsafe.length > 0) warnings.push(`${unsafe.length === 1 ? 'A media file is' : `${unsafe.length} media files are`} left out: Anki does not take the name${unsafe.length === 1 ? '' : 's'} ${unsafe.slice(0, 3).map((n) => `"${n}"`).join(', ')}`);
  if (collection.shiftedRevlogIds > 0) {
    warnings.push(`${plural(collection.shiftedRevlogIds, 'answer')} shared ${collection.shiftedRevlogIds === 1 ? 'its' : 'their'} millisecond with another; in Anki ${collection.shiftedRevlogIds === 1 ? 'it is' : 'they are'} 1 ms later`);
  }
  return {
    file: opts.out,
    format: opts.format,
    decks: deckNames,
    notes: collection.notes.length,
    cards: collection.cards.length,
    reviews,
    media: media.length,
    bytes: written,
    shiftedReviewIds: collection.shiftedRevlogIds,
    warnings,
  };
}

/**
 * A failure of the disk while the scratch collection was written, said of the package (the scratch file is gone by
 * then). Anything else is not the disk's doing and goes on as it is (a bug is reported as one).
 */
function scratchFailed(out: string, e: unknown): unknown {
  const code = (e as { code?: unknown } | null)?.code;
  if (code === 'SQLITE_FULL' || code === 'ENOSPC' || code === 'EDQUOT') {
    return new RecallError('disk-full', 'The disk is full; the package was not written', { file: out, hint: 'free some space on that disk (while the package is made, the collection lies unpacked beside it), or choose another --out' });
  }
  if (typeof code === 'string' && (/^SQLITE_(IOERR|CANTOPEN|READONLY|PERM)/.test(code) || /^E[A-Z]+$/.test(code))) {
    return new RecallError('write-failed', `Cannot write ${out}: ${(e as Error).message}`, { hint: 'check the folder and its permissions' });
  }
  return e;
}

/** What the package holds: the Anki collection built from the database, and the media files its cards name. */
function buildCollection(ctx: Context, opts: AnkiExportOptions, now: number) {
  const deckIds = resolveDeckIds(ctx, opts.deck === undefined ? undefined : [opts.deck]);
  const source = ctx.store.exportSource(deckIds);
  if (opts.query !== undefined) {
    const matching = new Set(ctx.store.cardIds({ deckIds, query: resolveSearch(ctx, opts.query), includeSuspended: true }));
    source.cards = source.cards.filter((c) => matching.has(c.id));
  }
  const byDeck = new Map<number, ExportDeck>();
  for (const d of source.decks) byDeck.set(d.id, { name: d.name, description: d.description, cards: [] });
  let reviews = 0;
  for (const c of source.cards) {
    const log = source.logOf(c.id);
    reviews += log.length;
    byDeck.get(c.deckId)?.cards.push({
      spec: cardSpecOf(c),
      suspended: c.suspended,
      buriedUntil: c.buriedUntil,
      createdAt: c.createdAt,
      updatedAt: c.updatedAt,
      schedule: c.schedule,
      reviews: log,
    });
  }
  // An .apkg holds cards; an empty deck would only add a name. A collection keeps every deck.
  const decks = [...byDeck.values()].filter((d) => opts.format === 'colpkg' || d.cards.length > 0);

  // The pictures and sounds the exported cards name go with them, under the names their notes use.
  const unsafe: string[] = [];
  const own = opts.media ?? mediaForContents(ctx, source.cards.map((c) => c.contentJson)).filter((m) => isSafeMediaName(m.name) || (unsafe.push(m.name), false));
  if (own.length > MAX_MEDIA_FILES) {
    throw new RecallError('too-many-media', `An Anki package holds at most ${MAX_MEDIA_FILES} media files; these cards name ${own.length}`, {
      hint: 'export the decks one at a time (recall export deck NAME --format apkg)',
    });
  }
  const media = own.map((m): MediaFile => {
    if (!isSafeMediaName(m.name)) {
      throw new RecallError('bad-media-name', `The media file name "${m.name}" is not a plain file name`, { hint: 'media names must not contain folders or special characters' });
    }
    return { name: m.name, data: 'data' in m ? m.data : readFileSync(m.path) };
  });

  const collection = buildAnkiCollection({
    now,
    timeZone: ctx.timeZone,
    dayStartHour: ctx.settings.dayStartHour,
    createdAt: ctx.store.getSetting<number>('createdAt') ?? now,
    settings: exportSettings(ctx.settings, ctx.scheduler.defaultParameters()),
    deckPresets: deckPresetsByName(ctx, decks.map((d) => d.name)),
    decks,
  });
  return { collection, deckNames: decks.map((d) => d.name), reviews, media, unsafe };
}

/** The options an Anki options group carries, from the options in force (global, or global + a preset). */
function exportSettings(o: Settings, defaults: number[]): AnkiExportSettings {
  return {
    desiredRetention: o.desiredRetention,
    maximumInterval: o.maximumInterval,
    learningSteps: o.learningSteps,
    relearningSteps: o.relearningSteps,
    newPerDay: o.newPerDay,
    reviewsPerDay: o.reviewsPerDay,
    parameters: o.parameters ?? defaults,
    leechThreshold: o.leechThreshold,
    leechAction: o.leechAction,
  };
}

/** The exported decks that use a preset: its name and the options in force for them, as Anki options groups. */
function deckPresetsByName(ctx: Context, names: readonly string[]): AnkiExportInput['deckPresets'] {
  const out: AnkiExportInput['deckPresets'] = {};
  for (const name of names) {
    const deck = ctx.store.deckByName(name);
    const preset = deck ? ctx.presetOf(deck.id) : null;
    if (deck && preset !== null) out[name] = { preset, settings: exportSettings(ctx.optionsFor(deck.id), ctx.scheduler.defaultParameters()) };
  }
  return out;
}
