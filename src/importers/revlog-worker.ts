// The worker thread of src/importers/revlog-read.ts: reads and checks a collection's review log, then hands the
// sealed columns over without copying them and raises the shared flag the importing thread waits on.
import { workerData } from 'node:worker_threads';
import { ReviewLog } from './review-log.js';
import { readReviewLog, type RevlogJob, type RevlogMessage } from './revlog-read.js';

const { path, latest, flag, port } = workerData as RevlogJob;
// A thread that dies without posting (an uncaught error, out of memory) still raises the flag on its way out, so the
// importing thread stops waiting at once.
const raise = () => {
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
};
process.on('exit', raise);
try {
  const t = readReviewLog(path, latest, () => Atomics.add(flag, 1, 1)).toTransfer();
  port.postMessage({ kind: 'log', log: t } satisfies RevlogMessage, ReviewLog.buffers(t));
} catch (e) {
  const code = (e as { code?: unknown }).code;
  port.postMessage({ kind: 'error', error: { message: e instanceof Error ? e.message : String(e), code: typeof code === 'string' ? code : undefined } } satisfies RevlogMessage);
} finally {
  raise();
}
