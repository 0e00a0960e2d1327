import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { exportAnkiPackage, type AnkiExportReport, type AnkiPackageFormat } from '../../app/anki-export.js';
import { syncBuiltins } from '../builtin.js';
import { openContext, type Context } from '../../app/context.js';
import { cardSpecOf, deckToAnkiTxt, deckToJson, deckToRecall, fsrsChunks, reviewChunks, type ReviewFormat } from '../../app/export.js';
import { writeFileAtomic } from '../../app/files.js';
import { resolveDeck } from '../../app/decks.js';
import { resolveSearch } from '../../app/search.js';
import { RecallError } from '../../core/errors.js';
import { plural } from '../../core/plural.js';
import { toSafeJson } from '../../core/text.js';
import { statsToCsv } from '../../stats/csv.js';
import { printJson, type Io } from '../io.js';
import { buildStatsReport, deckIdsFor } from './stats.js';

interface CommonOpts {
  db?: string;
  out?: string;
  force?: boolean;
  json?: boolean;
}

/**
 * Sends the output to `--out` (atomically) or stdout, then reports what was written. With `--json` and no
 * `--out`, stdout carries one JSON document: the data itself in the JSON formats, else `{ format, rows, content }`
 * with the file's text as `content`.
 */
function emit(io: Io, opts: CommonOpts, data: string | Iterable<string>, report: { format: string; rows: number | (() => number); what: string }): void {
  const rows = () => (typeof report.rows === 'function' ? report.rows() : report.rows);
  if (!opts.out) {
    if (opts.json && report.format !== 'json') {
      const text = typeof data === 'string' ? data : [...data].join('');
      printJson(io, { format: report.format, rows: rows(), content: text });
    } else if (typeof data === 'string') io.data(data);
    else {
      let pending = '';
      for (const chunk of data) {
        pending += chunk;
        if (pending.length >= 65_536) {
          io.data(pending);
          pending = '';
        }
      }
      if (pending) io.data(pending);
    }
    return;
  }
  const bytes = writeFileAtomic(opts.out, data, { force: opts.force });
  if (opts.json) printJson(io, { file: opts.out, format: report.format, rows: rows(), bytes });
  else io.out(`Wrote ${rows()} ${report.what} to ${opts.out}\n`);
}

async function withContext<T>(io: Io, db: string | undefined, fn: (ctx: Context) => T | Promise<T>): Promise<T> {
  const ctx = openContext({ db, env: io.env });
  try {
    return await fn(ctx);
  } finally {
    ctx.store.close();
  }
}

export async function runStats(opts: CommonOpts & { format?: 'json' | 'csv'; deck?: string; days?: string }, io: Io): Promise<number> {
  return withContext(io, opts.db, (ctx) => {
    const report = buildStatsReport(ctx, opts);
    const format = opts.format ?? 'json';
    const data = format === 'csv' ? statsToCsv(report) : `${toSafeJson(report, 2)}\n`;
    const rows = format === 'csv' ? data.split('\n').length - 2 : 1;
    emit(io, opts, data, { format, rows, what: format === 'csv' ? 'rows' : 'report' });
    return 0;
  });
}

export async function runReviews(opts: CommonOpts & { format?: ReviewFormat; deck?: string }, io: Io): Promise<number> {
  return withContext(io, opts.db, (ctx) => {
    const format = opts.format ?? 'csv';
    const deckIds = deckIdsFor(ctx, opts.deck);
    const counter = { rows: 0 };
    const chunks =
      format === 'fsrs' ? fsrsChunks(ctx.store.iterateFsrsRows({ deckIds }), counter) : reviewChunks(ctx.store.iterateReviews({ deckIds }), format, counter);
    emit(io, opts, chunks, { format, rows: () => counter.rows, what: 'reviews' });
    return 0;
  });
}

const EXTENSIONS = { recall: 'deck', 'anki-txt': 'txt', json: 'json' } as const;

/** A file name for a deck inside an output folder: `::` becomes `-`, characters unsafe in file names `_`. */
export function deckFileName(deck: string, format: keyof typeof EXTENSIONS): string {
  const base = deck.replace(/::/g, '-').replace(/[^\p{L}\p{N}._ -]/gu, '_').trim() || 'deck';
  return `${base}.${EXTENSIONS[format]}`;
}

/** An Anki package is binary and needs a file; an existing folder as --out means "put it in there". */
function packagePath(out: string | undefined, name: string, format: AnkiPackageFormat): string {
  if (!out) {
    throw new RecallError('out-required', `An Anki package (.${format}) is written to a file`, { hint: `add --out FILE.${format}`, exitCode: 2 });
  }
  if (existsSync(out) && statSync(out).isDirectory()) {
    return join(out, `${name.replace(/::/g, '-').replace(/[^\p{L}\p{N}._ -]/gu, '_').trim() || 'collection'}.${format}`);
  }
  return out;
}

function reportPackage(io: Io, opts: CommonOpts, r: AnkiExportReport): void {
  if (!opts.json) for (const w of r.warnings) io.err(`recall: warning: ${w}\n`);
  if (opts.json) printJson(io, r);
  else io.out(`Wrote ${plural(r.notes, 'note')}, ${plural(r.cards, 'card')}${r.media ? `, ${plural(r.reviews, 'review')} and ${plural(r.media, 'media file')}` : ` and ${plural(r.reviews, 'review')}`} (${plural(r.decks.length, 'deck')}) to ${r.file}\n`);
}

export async function runCollection(opts: CommonOpts & { format?: AnkiPackageFormat; query?: string }, io: Io): Promise<number> {
  return withContext(io, opts.db, async (ctx) => {
    const format = opts.format ?? 'colpkg';
    syncBuiltins(ctx, io);
    const out = packagePath(opts.out, 'collection', format);
    reportPackage(io, opts, await exportAnkiPackage(ctx, { format, out, force: opts.force, query: opts.query }));
    return 0;
  });
}

export async function runDeck(opts: CommonOpts & { format?: keyof typeof EXTENSIONS | 'apkg'; query?: string; args?: string[] }, io: Io): Promise<number> {
  return withContext(io, opts.db, async (ctx) => {
    const name = opts.args?.[0] ?? '';
    syncBuiltins(ctx, io);
    if (opts.format === 'apkg') {
      // A package takes the deck with its subdecks: "Old Decks" exports "Old Decks::Board Review 2023" too.
      const out = packagePath(opts.out, name, 'apkg');
      reportPackage(io, opts, await exportAnkiPackage(ctx, { deck: name, format: 'apkg', out, force: opts.force, query: opts.query }));
      return 0;
    }
    const deck = resolveDeck(ctx, name);
    const format = opts.format ?? 'recall';
    const matching = opts.query === undefined ? null : new Set(ctx.store.cardIds({ deckIds: [deck.id], query: resolveSearch(ctx, opts.query), includeSuspended: true }));
    const cards = ctx.store.deckCards(deck.id).filter((c) => matching === null || matching.has(c.id)).map(cardSpecOf);
    const data =
      format === 'json'
        ? deckToJson(cards)
        : format === 'anki-txt'
          ? deckToAnkiTxt(deck.name, cards)
          : deckToRecall({ name: deck.name, description: deck.description, source: deck.source }, cards);
    // An existing folder as --out means "put the file in there".
    const out = opts.out && existsSync(opts.out) && statSync(opts.out).isDirectory() ? join(opts.out, deckFileName(deck.name, format)) : opts.out;
    emit(io, { ...opts, out }, data, { format, rows: cards.length, what: 'cards' });
    return 0;
  });
}
