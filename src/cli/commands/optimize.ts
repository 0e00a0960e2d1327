import { openContext } from '../../app/context.js';
import { setOption } from '../../app/options.js';
import { RecallError } from '../../core/errors.js';
import { printJson, styler, type Io } from '../io.js';
import { resolveDeck, resolveDeckIds } from '../../app/decks.js';
import { sanitize } from '../../core/text.js';
import { DEFAULT_RATES, DEFAULT_RATES_EVALUATE, enterPhase, expectedTimes, measuredRates, phaseFraction, startProgress, viewProgress, type ProgressState, type Rates } from '../../optimizer/progress.js';
import { formatDuration } from '../format.js';
import { plural } from '../../core/plural.js';

/**
 * This device's last measured optimizer speed (local state: it describes this machine, so it never syncs). Runs with
 * --evaluate keep their own: their evaluating phase waits for the time-series splits, several fits long.
 */
const ratesKey = (evaluate: boolean) => (evaluate ? 'optimizeRatesEvaluate' : 'optimizeRates');

function readRates(text: string | undefined, defaults: Rates): Rates {
  try {
    const r = text ? (JSON.parse(text) as Partial<Rates>) : {};
    const out = { ...defaults };
    for (const k of Object.keys(out) as (keyof Rates)[]) if (typeof r[k] === 'number' && Number.isFinite(r[k]) && r[k]! > 0) out[k] = r[k]!;
    return out;
  } catch {
    return { ...defaults };
  }
}

/** The progress line: "[3/5] fitting parameters ████░░░░ 40% | 6s, about 9s left", redrawn five times a second. */
async function liveProgress(state: () => ProgressState): Promise<{ redraw(): void; stop(): void }> {
  // cli-progress is CommonJS: its exports arrive on `default` when imported as a module.
  const mod = await import('cli-progress');
  const { SingleBar, Presets } = ((mod as unknown as { default?: typeof mod }).default ?? mod) as typeof mod;
  const bar = new SingleBar(
    { format: '[{step}/{steps}] {phase} {bar} {percentage}% | {elapsed}{left}', stream: process.stderr, clearOnComplete: true, hideCursor: true, barsize: 24, fps: 5 },
    Presets.shades_classic,
  );
  let shown = 0;
  const payload = () => {
    const v = viewProgress(state(), performance.now());
    // A new estimate can lower the fraction a little; the bar never moves back.
    shown = Math.max(shown, Math.floor(v.overall * 1000));
    const left = v.remainingMs === null ? '' : `, about ${formatDuration(Math.max(1000, v.remainingMs))} left`;
    return { value: shown, p: { step: v.step, steps: v.steps, phase: v.label.padEnd(24), elapsed: formatDuration(v.elapsedMs), left } };
  };
  const first = payload();
  bar.start(1000, first.value, first.p);
  const timer = setInterval(() => {
    const next = payload();
    bar.update(next.value, next.p);
  }, 200);
  return {
    // A phase is drawn as it starts, however short: the timer alone can miss one that ends within 200 ms.
    redraw() {
      const next = payload();
      bar.update(next.value, next.p);
      bar.render();
    },
    stop() {
      clearInterval(timer);
      bar.stop();
    },
  };
}

interface Opts {
  db?: string;
  deck?: string;
  all?: boolean;
  dryRun?: boolean;
  evaluate?: boolean;
  json?: boolean;
}

export async function run(opts: Opts, io: Io): Promise<number> {
  if (opts.deck && opts.all) throw new RecallError('usage', '--deck and --all cannot be used together', { hint: 'fit one deck with --deck NAME, or all decks with --all', exitCode: 2 });
  const ctx = openContext({ db: opts.db, env: io.env });
  try {
    // Presets are kept under the deck's own name, however it was typed.
    const deckName = opts.deck === undefined ? undefined : resolveDeck(ctx, opts.deck).name;
    const deckIds = resolveDeckIds(ctx, deckName === undefined ? undefined : [deckName]);
    // Progress where someone watches: on stderr, on a terminal, never in --json output. Phases with the time spent
    // and an estimate of the time left, redrawn on a timer (the optimizer runs on a worker thread meanwhile).
    const evaluate = opts.evaluate === true;
    const rates = readRates(ctx.store.getLocal(ratesKey(evaluate)), evaluate ? DEFAULT_RATES_EVALUATE : DEFAULT_RATES);
    let state = startProgress(expectedTimes(rates, { rows: 0, items: 0 }), performance.now());
    const live = process.stderr.isTTY && !opts.json ? await liveProgress(() => state) : null;
    let result;
    let rescheduled = 0;
    let preset: string | null = null;
    let rowCount = 0;
    try {
      const optimizerRows = ctx.store.optimizerRows(deckIds);
      rowCount = optimizerRows.length;
      // Items are about two thirds of the rows in the histories measured; the fitting phase corrects it.
      state = enterPhase(state, 'building', performance.now(), expectedTimes(rates, { rows: rowCount, items: Math.round(rowCount * 0.65) }));
      // The binding is a native module of a few MB: load it only here.
      const { runOptimizer } = await import('../../optimizer/run.js');
      const current = deckName ? ctx.optionsFor(resolveDeck(ctx, deckName).id).parameters : ctx.settings.parameters;
      result = await runOptimizer(optimizerRows, {
        timeZone: ctx.timeZone,
        dayStartHour: ctx.settings.dayStartHour,
        currentParameters: current,
        // The out-of-sample figure costs several fits; only when asked for.
        outOfSample: evaluate,
        onPhase: (phase, info) => {
          state = enterPhase(state, phase, performance.now(), info.items === undefined ? undefined : expectedTimes(rates, { rows: rowCount, items: info.items }));
          live?.redraw();
        },
        onProgress: (done, total) => {
          if (state.current === 'fitting' && total > 0 && done < total) state = phaseFraction(state, done / total);
        },
      });
      if (result.kept && !opts.dryRun) {
        state = enterPhase(state, 'rescheduling', performance.now());
        live?.redraw();
        // A deck's parameters go into its preset (one is made for it if it has none); undoable like any setting.
        const saved = setOption(ctx, 'parameters', result.after.parameters, deckName ? { deck: deckName } : {});
        rescheduled = saved.rescheduled;
        preset = saved.scope.kind === 'preset' ? saved.scope.preset : null;
      }
      // Close the last phase, then remember this machine's speed for the next estimate.
      const end = performance.now();
      state = { ...state, took: { ...state.took, [state.current]: end - state.phaseStartedAt } };
      ctx.store.setLocal(ratesKey(evaluate), JSON.stringify(measuredRates(state, { rows: rowCount, items: result.items }, rates)));
    } finally {
      live?.stop();
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
    io.out(`${st.bold('FSRS optimization')} over ${plural(result.reviews, 'review')} of ${plural(result.cards, 'card')} (${plural(result.items, 'training item')})\n\n`);
    io.out(`                 ${'log loss'.padStart(10)} ${'RMSE(bins)'.padStart(11)}\n`);
    io.out(`  current        ${f(result.before.logLoss).padStart(10)} ${f(result.before.rmseBins).padStart(11)}\n`);
    io.out(`  fitted         ${f(result.after.logLoss).padStart(10)} ${f(result.after.rmseBins).padStart(11)}\n`);
    if (result.outOfSample) io.out(`  out-of-sample  ${f(result.outOfSample.logLoss).padStart(10)} ${f(result.outOfSample.rmseBins).padStart(11)}   (time-series splits)\n`);
    else io.out(st.dim('  (both measured on the history fitted; --evaluate adds an out-of-sample figure)\n'));
    io.out('\n');
    if (!result.kept) io.out('The fitted parameters do not predict your history better than the current ones; keeping the current ones.\n');
    else if (opts.dryRun) io.out(st.yellow('Dry run: the fitted parameters are better, but nothing was saved.\n'));
    else io.out(st.green(`Saved the fitted parameters${deckName ? ` for ${sanitize(deckName)} (preset "${sanitize(preset ?? '')}")` : ''}; ${plural(rescheduled, 'card')} rescheduled by replaying ${rescheduled === 1 ? 'its' : 'their'} history.\n`));
    return 0;
  } finally {
    ctx.store.close();
  }
}
