// `recall optimize` runs the optimizer on this worker thread: the binding holds the thread it is called on for
// seconds at a time (measured: a 58,000-item fit blocks its caller for 1.4 s and reports no progress until it
// ends), and the CLI's thread has a progress line to keep moving meanwhile.
import { parentPort, workerData } from 'node:worker_threads';
import { RecallError } from '../core/errors.js';
import { optimize, type OptimizeOptions } from './fit.js';
import type { OptimizerRow } from './items.js';
import type { WorkerMessage } from './run.js';

const port = parentPort!;
const post = (m: WorkerMessage) => port.postMessage(m);
const { rows, opts } = workerData as { rows: OptimizerRow[]; opts: Omit<OptimizeOptions, 'onPhase' | 'onProgress'> };
optimize(rows, {
  ...opts,
  onPhase: (phase, info) => post({ kind: 'phase', phase, ...info }),
  onProgress: (done, total) => post({ kind: 'progress', done, total }),
}).then(
  (result) => post({ kind: 'result', result }),
  (e: unknown) => {
    const err = e instanceof RecallError ? { code: e.code, message: e.message, hint: e.hint } : { code: 'optimizer-failed', message: e instanceof Error ? e.message : String(e) };
    post({ kind: 'error', error: err });
  },
);
