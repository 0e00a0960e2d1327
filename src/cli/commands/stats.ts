import { syncBuiltins } from '../builtin.js';
import { openContext, type Context } from '../../app/context.js';
import { resolveDeckIds } from '../../app/decks.js';
import { RecallError } from '../../core/errors.js';
import { LOCAL_ZONE, dayStartInstant } from '../../scheduler/index.js';
import { computeStats, decayOf, detailFrom } from '../../stats/compute.js';
import type { StatsReport } from '../../stats/types.js';
import { printJson, type Io } from '../io.js';

export const FORECAST_DAYS = 30;

export function parseDays(raw: string | undefined): number {
  const n = Number(raw ?? '30');
  if (!Number.isInteger(n) || n < 1 || n > 3650) {
    throw new RecallError('bad-days', `--days must be a whole number from 1 to 3650, not "${raw}"`, { hint: 'e.g. --days 90', exitCode: 2 });
  }
  return n;
}

/** Deck ids for a `--deck` name, its `::` subdecks included; null = all decks. */
export function deckIdsFor(ctx: Context, name: string | undefined): number[] | null {
  return resolveDeckIds(ctx, name === undefined ? undefined : [name]);
}

/** Reads the rows and computes the report at the context's clock. */
export function buildStatsReport(ctx: Context, opts: { deck?: string; days?: string }): StatsReport {
  const days = parseDays(opts.days);
  // Hidden decks are left out of the statistics unless asked for by name.
  const hidden = ctx.hiddenDeckIds();
  const deckIds = deckIdsFor(ctx, opts.deck) ?? (hidden.size ? ctx.store.decks().filter((d) => !hidden.has(d.id)).map((d) => d.id) : null);
  const now = ctx.clock();
  const today = ctx.day(now);
  const dayStarts: number[] = [];
  for (let i = 0; i <= FORECAST_DAYS; i++) dayStarts.push(dayStartInstant(today + i, ctx.timeZone, ctx.settings.dayStartHour));
  // Decks whose preset has parameters of its own (`recall optimize --deck`) forget along their own curve.
  const deckDecay: Record<number, number> = {};
  for (const d of ctx.store.decks()) {
    const w = ctx.optionsFor(d.id).parameters;
    if (ctx.presetOf(d.id) !== null && w !== ctx.settings.parameters) deckDecay[d.id] = decayOf(w);
  }
  const decay = decayOf(ctx.settings.parameters);
  const rows = ctx.store.statsRows({ deckIds, today, now, dayEnd: dayStarts[1]!, horizon: dayStarts[FORECAST_DAYS]!, decay, deckDecay, detailFrom: detailFrom(today, days) });
  const leeches = [...ctx.store.leechCounts(deckIds)].map(([deckId, count]) => ({ deckId, count }));
  return computeStats({ ...rows, leeches, today, days, dayStarts }, now);
}

export async function run(opts: { db?: string; deck?: string; days?: string; json?: boolean }, io: Io): Promise<number> {
  const ctx = openContext({ db: opts.db, env: io.env });
  try {
    syncBuiltins(ctx, io);
    const report = buildStatsReport(ctx, opts);
    if (opts.json) {
      printJson(io, report);
      return 0;
    }
    // Loaded for the terminal only: `--json` (what scripts and the benchmark run) does without them (~0.5 ms).
    const [{ TZDate }, { format }, { renderStats }] = await Promise.all([import('@date-fns/tz/date'), import('date-fns/format'), import('../../stats/render.js')]);
    const formatTime = (ms: number) => format(ctx.timeZone === LOCAL_ZONE ? new Date(ms) : new TZDate(ms, ctx.timeZone), 'yyyy-MM-dd HH:mm');
    io.out(renderStats(report, { width: io.columns, color: io.color, formatTime }));
    return 0;
  } finally {
    ctx.store.close();
  }
}
