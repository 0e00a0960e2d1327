// Runs the optimizer off the caller's thread when the built worker is there (dist/optimize-worker.js), so a
// progress display keeps moving; in place otherwise (tests running from source), with the same events.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { RecallError } from '../core/errors.js';
import type { OptimizeOptions, OptimizeResult } from './fit.js';
import type { OptimizerRow } from './items.js';

export type WorkerMessage =
  | { kind: 'phase'; phase: 'building' | 'fitting' | 'evaluating'; items?: number }
  | { kind: 'progress'; done: number; total: number }
  | { kind: 'result'; result: OptimizeResult }
  | { kind: 'error'; error: { code: string; message: string; hint?: string | undefined } };

export async function runOptimizer(rows: readonly OptimizerRow[], opts: OptimizeOptions): Promise<OptimizeResult> {
  const { onPhase, onProgress, ...plain } = opts;
  const workerFile = new URL('./optimize-worker.js', import.meta.url);
  if (workerFile.protocol !== 'file:' || !existsSync(fileURLToPath(workerFile))) {
    const { optimize } = await import('./fit.js');
    return optimize(rows, opts);
  }
  // Required, not imported: see src/core/external.ts.
  const { Worker } = createRequire(import.meta.url)('node:worker_threads') as typeof import('node:worker_threads');
  return new Promise<OptimizeResult>((resolve, reject) => {
    const worker = new Worker(workerFile, { workerData: { rows, opts: plain } });
    let settled = false;
    worker.on('message', (m: WorkerMessage) => {
      if (m.kind === 'phase') onPhase?.(m.phase, m.items === undefined ? {} : { items: m.items });
      else if (m.kind === 'progress') onProgress?.(m.done, m.total);
      else if (m.kind === 'result') {
        settled = true;
        resolve(m.result);
      } else {
        settled = true;
        reject(new RecallError(m.error.code, m.error.message, m.error.hint ? { hint: m.error.hint } : {}));
      }
    });
    worker.on('error', (e) => {
      settled = true;
      reject(e);
    });
    worker.on('exit', (code) => {
      if (!settled) reject(new RecallError('optimizer-failed', `The FSRS optimizer stopped unexpectedly (exit code ${code})`));
    });
  });
}
