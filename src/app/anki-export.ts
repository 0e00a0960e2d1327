// `recall export deck NAME --format apkg` and `recall export collection --format colpkg`: a package Anki imports with
// the cards, their schedules (FSRS memory states included) and the review log.
import { readFileSync } from 'node:fs';
import { RecallError } from '../core/errors.js';
import { buildAnkiCollection, buildLegacyNotice, type ExportDeck } from '../exporters/anki.js';
import { isSafeMediaName, zipAnkiPackage, type MediaFile } from '../exporters/anki-package.js';
import { writeAnkiCollection } from '../store/anki-writer.js';
import type { Context } from './context.js';
import { resolveDeckIds } from './decks.js';
import { deckParametersByName } from './options.js';
import { cardSpecOf } from './export.js';
import { plural } from '../core/plural.js';
import { writeFileAtomic } from './files.js';
import { mediaForContents } from './media.js';

export type AnkiPackageFormat = 'apkg' | 'colpkg';

export interface AnkiExportOptions {
  /** A deck and its subdecks; undefined = every deck. */
  deck?: string;
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

export function exportAnkiPackage(ctx: Context, opts: AnkiExportOptions): AnkiExportReport {
  const now = ctx.clock();
  const source = ctx.store.exportSource(resolveDeckIds(ctx, opts.deck === undefined ? undefined : [opts.deck]));
  const byDeck = new Map<number, ExportDeck>();
  for (const d of source.decks) byDeck.set(d.id, { name: d.name, description: d.description, cards: [] });
  let reviews = 0;
  for (const c of source.cards) {
    const log = source.reviews.get(c.id) ?? [];
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
    settings: {
      desiredRetention: ctx.settings.desiredRetention,
      maximumInterval: ctx.settings.maximumInterval,
      learningSteps: ctx.settings.learningSteps,
      relearningSteps: ctx.settings.relearningSteps,
      newPerDay: ctx.settings.newPerDay,
      reviewsPerDay: ctx.settings.reviewsPerDay,
      parameters: ctx.settings.parameters ?? ctx.scheduler.defaultParameters(),
    },
    deckParameters: deckParametersByName(ctx),
    decks,
  });
  const bytes = zipAnkiPackage({
    collection: writeAnkiCollection(collection),
    legacyNotice: writeAnkiCollection(buildLegacyNotice(now, LEGACY_NOTICE), { pageSize: 512 }),
    media,
    now,
  });
  const written = writeFileAtomic(opts.out, bytes, { force: opts.force });
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
    decks: decks.map((d) => d.name),
    notes: collection.notes.length,
    cards: collection.cards.length,
    reviews,
    media: media.length,
    bytes: written,
    shiftedReviewIds: collection.shiftedRevlogIds,
    warnings,
  };
}
