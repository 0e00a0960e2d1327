import { openContext } from '../../app/context.js';
import { importPaths } from '../../app/import.js';
import { mediaDir } from '../../app/media.js';
import { RecallError, formatDiagnostic } from '../../core/errors.js';
import { plural } from '../../core/plural.js';
import { sanitize } from '../../core/text.js';
import { printJson, styler, type Io } from '../io.js';

interface Opts {
  db?: string;
  args: string[];
  deck?: string;
  dryRun?: boolean;
  timezone?: string;
  dayStart?: string;
  json?: boolean;
  strict?: boolean;
}

export async function run(opts: Opts, io: Io): Promise<number> {
  let dayStartHour: number | undefined;
  if (opts.dayStart !== undefined) {
    dayStartHour = Number(opts.dayStart);
    if (!Number.isInteger(dayStartHour) || dayStartHour < 0 || dayStartHour > 23) {
      throw new RecallError('bad-day-start', `--day-start ${opts.dayStart} is not an hour`, { hint: 'give a whole hour from 0 to 23, e.g. --day-start 4', exitCode: 2 });
    }
  }
  const ctx = openContext({ db: opts.db, env: io.env });
  // A progress bar only where someone watches: on a terminal, on stderr, never in --json output.
  let bar: { update(n: number, p?: object): void; setTotal(n: number): void; stop(): void; start(t: number, s: number, p?: object): void } | null = null;
  if (process.stderr.isTTY && !opts.json) {
    // cli-progress is CommonJS: its exports arrive on `default` when imported as a module.
    const mod = await import('cli-progress');
    const { SingleBar, Presets } = ((mod as unknown as { default?: typeof mod }).default ?? mod) as typeof mod;
    bar = new SingleBar({ format: 'importing {bar} {value}/{total} cards  {deck}', stream: process.stderr, clearOnComplete: true, hideCursor: true }, Presets.shades_classic);
  }
  let started = false;
  try {
    const report = importPaths(ctx, opts.args, {
      deck: opts.deck,
      dryRun: opts.dryRun,
      timeZone: opts.timezone,
      dayStartHour,
      strict: opts.strict,
      onProgress: (done, total, deck) => {
        if (!bar || total < 500) return;
        if (!started) {
          bar.start(total, 0, { deck: sanitize(deck) });
          started = true;
        }
        bar.setTotal(total);
        bar.update(done, { deck: sanitize(deck) });
      },
    });
    if (started) bar?.stop();
    if (opts.json) {
      printJson(io, {
        cardsAdded: report.cardsAdded,
        cardsUpdated: report.cardsUpdated,
        cardsUnchanged: report.cardsUnchanged,
        cardsRemoved: report.cardsRemoved,
        mediaStored: report.mediaStored,
        mediaReused: report.mediaReused,
        reviewsImported: report.reviewsImported,
        decks: report.decks,
        warnings: report.warnings,
        rowsSkipped: report.skipped.length,
        skipped: report.skipped,
        dryRun: report.dryRun,
        files: report.files,
      });
      return 0;
    }
    const st = styler(io.color);
    for (const w of report.warnings.slice(0, 20)) io.err(`${st.yellow('warning:')} ${sanitize(w)}\n`);
    if (report.warnings.length > 20) io.err(`... and ${report.warnings.length - 20} more warnings (see --json)\n`);
    // Every skipped row, as file:line: reason, up to a screenful; --json lists them all.
    const SHOWN = 50;
    for (const d of report.skipped.slice(0, SHOWN)) io.err(`${st.yellow('skipped:')} ${sanitize(formatDiagnostic({ ...d, hint: undefined }))}\n`);
    if (report.skipped.length > SHOWN) io.err(`... and ${report.skipped.length - SHOWN} more skipped (--json lists them all)\n`);
    const skipped = report.skipped.length ? `; skipped ${plural(report.skipped.length, 'row')} with problems (listed above; --strict imports nothing when any row has one)` : '';
    const removed = report.cardsRemoved ? `, ${report.cardsRemoved} removed` : '';
    io.out(
      `${report.dryRun ? st.yellow('Dry run, nothing changed: would import') : st.green('Imported')} ` +
        `${plural(report.cardsAdded, 'new card')}, ${report.cardsUpdated} updated, ${report.cardsUnchanged} unchanged${removed}, ` +
        `${plural(report.reviewsImported, 'review')} into ${plural(report.decks.length, 'deck')}: ${report.decks.map(sanitize).join(', ')}${skipped}\n`,
    );
    if (report.mediaStored || report.mediaReused) {
      io.out(`${report.dryRun ? 'Would keep' : 'Kept'} ${plural(report.mediaStored + report.mediaReused, 'media file')} (${report.mediaStored} new, ${report.mediaReused} already there) in ${sanitize(mediaDir(ctx))}\n`);
    }
    if (report.cardsRemoved) {
      // A card that left its deck file is kept with its history, out of study; the file is the way back.
      const files = report.files.filter((f) => f.cardsRemoved > 0).map((f) => `${sanitize(f.file)} (${f.cardsRemoved})`);
      const one = report.cardsRemoved === 1;
      io.out(
        `${st.yellow(`${plural(report.cardsRemoved, 'card is', 'cards are')} no longer in ${files.length === 1 ? 'its deck file' : 'their deck files'}`)}: ${files.join(', ')}. ` +
          `${one ? 'It' : 'They'} ${report.dryRun ? 'would leave' : 'left'} study; ${one ? 'its' : 'their'} history is kept. ` +
          `To bring ${one ? 'it' : 'one'} back, put it back in the file and import again.\n`,
      );
    }
    return 0;
  } finally {
    if (started) bar?.stop();
    ctx.store.close();
  }
}
