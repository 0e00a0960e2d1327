import { openContext } from '../../app/context.js';
import { rescheduleAll } from '../../app/maintenance.js';
import { RecallError } from '../../core/errors.js';
import type { CardState, Rating, ReviewKind } from '../../core/types.js';
import { printJson, styler, type Io } from '../io.js';
import { resolveDecks } from './review.js';

interface Opts {
  db?: string;
  deck?: string;
  all?: boolean;
  dryRun?: boolean;
  json?: boolean;
}

export async function run(opts: Opts, io: Io): Promise<number> {
  if (opts.deck && opts.all) throw new RecallError('usage', '--deck and --all cannot be used together', { hint: 'fit one deck with --deck NAME, or all decks with --all', exitCode: 2 });
  const ctx = openContext({ db: opts.db, env: io.env });
  try {
    const deckIds = opts.deck ? resolveDecks(ctx, [opts.deck]) : null;
    const filter = deckIds ? `AND c.deck_id IN (${deckIds.join(',')})` : '';
    const rows = ctx.store.db
      .prepare(
        `SELECT r.card_id AS cardId, r.reviewed_at AS reviewedAt, r.rating, r.scheduled, r.kind, r.state_before AS stateBefore, r.state_after AS stateAfter
         FROM reviews r JOIN cards c ON c.id = r.card_id
         WHERE r.undone_at IS NULL ${filter} ORDER BY r.card_id, r.reviewed_at, r.id`,
      )
      .all() as { cardId: number; reviewedAt: number; rating: Rating; scheduled: number; kind: ReviewKind; stateBefore: CardState; stateAfter: CardState }[];
    const optimizerRows = rows.map((r) => ({ ...r, scheduled: r.scheduled === 1 }));
    // The binding is a native module of a few MB: load it only here.
    const { optimize } = await import('../../optimizer/fit.js');
    const presets = (ctx.store.getSetting<Record<string, number[]>>('deckParameters') ?? {});
    const current = opts.deck ? (presets[opts.deck] ?? ctx.settings.parameters) : ctx.settings.parameters;
    let bar: { start(t: number, v: number): void; update(v: number): void; setTotal(t: number): void; stop(): void } | null = null;
    if (process.stderr.isTTY && !opts.json) {
      // cli-progress is CommonJS: its exports arrive on `default` when imported as a module.
    const mod = await import('cli-progress');
    const { SingleBar, Presets } = ((mod as unknown as { default?: typeof mod }).default ?? mod) as typeof mod;
      bar = new SingleBar({ format: 'fitting {bar} {percentage}%', stream: process.stderr, clearOnComplete: true, hideCursor: true }, Presets.shades_classic);
      bar.start(100, 0);
    }
    let result;
    try {
      result = await optimize(optimizerRows, {
        timeZone: ctx.timeZone,
        dayStartHour: ctx.settings.dayStartHour,
        currentParameters: current,
        outOfSample: true,
        onProgress: (done, total) => {
          bar?.setTotal(total);
          bar?.update(done);
        },
      });
    } finally {
      bar?.stop();
    }
    let rescheduled = 0;
    if (result.kept && !opts.dryRun) {
      ctx.store.transaction(() => {
        if (opts.deck) ctx.store.setSetting('deckParameters', { ...presets, [opts.deck]: result.after.parameters });
        else ctx.store.setSetting('parameters', result.after.parameters);
        ctx.reloadSettings();
        rescheduled = rescheduleAll(ctx, deckIds ? cardIdsOf(ctx, deckIds) : undefined).changed;
      });
    }
    if (opts.json) {
      printJson(io, {
        items: result.items,
        reviews: result.reviews,
        before: { logLoss: result.before.logLoss, rmseBins: result.before.rmseBins },
        after: { logLoss: result.after.logLoss, rmseBins: result.after.rmseBins, parameters: result.after.parameters },
        kept: result.kept,
        outOfSample: result.outOfSample ?? null,
        saved: result.kept && !opts.dryRun,
        rescheduled,
      });
      return 0;
    }
    const st = styler(io.color);
    const f = (n: number) => n.toFixed(4);
    io.out(`${st.bold('FSRS optimization')} over ${result.reviews} reviews of ${result.cards} cards (${result.items} training items)\n\n`);
    io.out(`                 ${'log loss'.padStart(10)} ${'RMSE(bins)'.padStart(11)}\n`);
    io.out(`  current        ${f(result.before.logLoss).padStart(10)} ${f(result.before.rmseBins).padStart(11)}\n`);
    io.out(`  fitted         ${f(result.after.logLoss).padStart(10)} ${f(result.after.rmseBins).padStart(11)}\n`);
    if (result.outOfSample) io.out(`  out-of-sample  ${f(result.outOfSample.logLoss).padStart(10)} ${f(result.outOfSample.rmseBins).padStart(11)}   (time-series splits)\n`);
    io.out('\n');
    if (!result.kept) io.out('The fitted parameters do not predict your history better than the current ones; keeping the current ones.\n');
    else if (opts.dryRun) io.out(st.yellow('Dry run: the fitted parameters are better, but nothing was saved.\n'));
    else io.out(st.green(`Saved the fitted parameters${opts.deck ? ` for ${opts.deck}` : ''}; ${rescheduled} card(s) rescheduled by replaying their history.\n`));
    return 0;
  } finally {
    ctx.store.close();
  }
}

function cardIdsOf(ctx: ReturnType<typeof openContext>, deckIds: number[]): number[] {
  return ctx.store.db.prepare(`SELECT id FROM cards WHERE deck_id IN (${deckIds.join(',')})`).pluck().all() as number[];
}
