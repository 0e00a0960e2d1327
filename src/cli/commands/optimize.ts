import { openContext } from '../../app/context.js';
import { setOption } from '../../app/options.js';
import { RecallError } from '../../core/errors.js';
import { printJson, styler, type Io } from '../io.js';
import { resolveDeck, resolveDeckIds } from '../../app/decks.js';
import { sanitize } from '../../core/text.js';

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
    // Presets are kept under the deck's own name, however it was typed.
    const deckName = opts.deck === undefined ? undefined : resolveDeck(ctx, opts.deck).name;
    const deckIds = resolveDeckIds(ctx, deckName === undefined ? undefined : [deckName]);
    const optimizerRows = ctx.store.optimizerRows(deckIds);
    // The binding is a native module of a few MB: load it only here.
    const { optimize } = await import('../../optimizer/fit.js');
    const current = deckName ? ctx.optionsFor(resolveDeck(ctx, deckName).id).parameters : ctx.settings.parameters;
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
    let preset: string | null = null;
    if (result.kept && !opts.dryRun) {
      // A deck's parameters go into its preset (one is made for it if it has none); undoable like any setting.
      const saved = setOption(ctx, 'parameters', result.after.parameters, deckName ? { deck: deckName } : {});
      rescheduled = saved.rescheduled;
      preset = saved.scope.kind === 'preset' ? saved.scope.preset : null;
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
        preset,
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
    else io.out(st.green(`Saved the fitted parameters${deckName ? ` for ${sanitize(deckName)} (preset "${sanitize(preset ?? '')}")` : ''}; ${rescheduled} card(s) rescheduled by replaying their history.\n`));
    return 0;
  } finally {
    ctx.store.close();
  }
}
