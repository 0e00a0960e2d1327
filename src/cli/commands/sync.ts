// `recall sync [TARGET]`: merge this database's log with a PostgreSQL hub or another recall database file.
import { plural } from '../../core/plural.js';
import { openContext } from '../../app/context.js';
import { resolveSyncTarget, syncWith, type SyncProgress, type SyncSummary } from '../../app/log-sync.js';
import { SYNC_KINDS, totalCount, type SyncCounts } from '../../core/sync.js';
import { sanitize } from '../../core/text.js';
import { printJson, type Io } from '../io.js';

const NAMES: Record<keyof SyncCounts, string> = { decks: 'deck', cards: 'card', events: 'card event', reviews: 'review', settings: 'setting' };

function counts(c: SyncCounts): string {
  const total = totalCount(c);
  const parts = SYNC_KINDS.filter((k) => c[k] > 0).map((k) => plural(c[k], NAMES[k]));
  return parts.length > 1 ? `${total} (${parts.join(', ')})` : parts.length === 1 ? parts[0]! : '0';
}

export function summaryText(s: SyncSummary): string {
  const lines = [`Synced with ${s.target}: pushed ${counts(s.pushed)}, pulled ${counts(s.pulled)}.`];
  const after: string[] = [];
  after.push(`${plural(s.rescheduled, 'card')} rescheduled`);
  after.push(`${plural(s.editsResolved, 'edit')} resolved (the later edit kept)`);
  lines.push(after.join(', ') + '.');
  if (s.fullResync) lines.push('The target was not the one last synced with (replaced or restored), so everything was compared again.');
  if (s.filesWritten.length) lines.push(`Deck files updated: ${s.filesWritten.map((f) => sanitize(f)).join(', ')}.`);
  for (const w of s.warnings) lines.push(`warning: ${sanitize(w)}`);
  return `${lines.join('\n')}\n`;
}

export async function run(opts: { db?: string; args: string[]; json?: boolean }, io: Io): Promise<number> {
  const ctx = openContext({ db: opts.db, env: io.env, lazySettings: true });
  // A progress bar only where someone watches (stderr is a terminal, no --json), and only for long syncs.
  type Bar = { start(total: number, value: number, payload?: object): void; update(n: number, payload?: object): void; setTotal(n: number): void; stop(): void };
  let bar: Bar | null = null;
  let shown: SyncProgress['phase'] | null = null;
  const onProgress = async (p: SyncProgress) => {
    if (!bar || p.total < 2000) return;
    if (shown !== p.phase) {
      if (shown) bar.stop();
      bar.start(p.total, p.done, { phase: p.phase === 'push' ? 'sending' : p.phase === 'pull' ? 'fetching' : 'merging' });
      shown = p.phase;
    }
    bar.setTotal(p.total);
    bar.update(p.done);
  };
  try {
    const target = resolveSyncTarget(ctx, opts.args[0]);
    if (process.stderr.isTTY && !opts.json) {
      // cli-progress is CommonJS: its exports arrive on `default` when imported as a module.
      const mod = await import('cli-progress');
      const { SingleBar, Presets } = ((mod as unknown as { default?: typeof mod }).default ?? mod) as typeof mod;
      bar = new SingleBar({ format: '{phase} {bar} {value}/{total} rows', stream: process.stderr, clearOnComplete: true, hideCursor: true }, Presets.shades_classic);
    }
    // RECALL_SYNC_TRACE=1: each step on stderr as it completes, with the ms since start (the crash tests kill on them).
    const started = performance.now();
    // RECALL_SYNC_HOLD=STEP:MS (with the trace): the sync stands still that long after STEP, a window the crash test
    // stops the server in, so "the server went away mid-sync" happens every time rather than when timing allows.
    const [holdStep, holdMs] = (io.env.RECALL_SYNC_HOLD ?? '').split(':');
    const trace = io.env.RECALL_SYNC_TRACE
      ? (step: string) => {
          io.err(`sync: ${step} ${Math.round(performance.now() - started)}ms\n`);
          if (step === holdStep && Number(holdMs) > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Math.min(10_000, Number(holdMs)));
        }
      : undefined;
    const summary = await syncWith(ctx, target, { env: io.env, onProgress: (p) => void onProgress(p), trace });
    if (shown) bar?.stop();
    if (opts.json) printJson(io, summary);
    else io.out(sanitize(summaryText(summary)));
    return 0;
  } finally {
    if (shown) bar?.stop();
    ctx.store.close();
  }
}
