// Reads a collection's review log on a worker thread while this one reads the notes and cards and plans them: a
// collection of years has a million rows, ~1.5 s of reading and checking, which this thread would otherwise wait
// through before planning a card (the bench's 100k cards / 1M answers: ~2 s off an import of 16, the log's garbage
// going to the worker's heap as well).
// The worker is the built dist/revlog-worker.js; where it is not there (tests running from source) the log is read
// on this thread when it is needed, with the same code.
//
// The import is synchronous, so this thread waits for the worker with Atomics.wait on a shared flag and takes its
// message with receiveMessageOnPort. The worker reports a failure as a message too; if it stops making progress for
// a minute (a thread killed by running out of memory sends nothing), the wait gives up instead of hanging.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { RecallError } from '../core/errors.js';
import { readAnkiRevlog } from '../store/anki-reader.js';
import type { MessagePort, Worker } from 'node:worker_threads';
import { ReviewLog, type ReviewLogTransfer } from './review-log.js';

/** What the worker posts: the sealed log, or the error that stopped it (rethrown here with its driver code). */
export type RevlogMessage =
  | { kind: 'log'; log: ReviewLogTransfer }
  | { kind: 'error'; error: { message: string; code?: string | undefined } };

/** What the worker gets: the file, the latest time a row may have, the shared flag [done, progress], its port. */
export interface RevlogJob {
  path: string;
  latest: number;
  flag: Int32Array;
  port: MessagePort;
}

/** Rows between two progress ticks of the worker. */
export const PROGRESS_EVERY = 8192;
/**
 * Waits of 200 ms in a row without progress before the worker is given up on (a minute). Counted in waits, not in
 * wall time: a process stopped (Ctrl-Z) for longer wakes up to a worker that has not yet ticked again.
 */
const STALL_WAITS = 300;

/** Reads, checks and seals the log of `path` (on whichever thread calls it); `tick` is called every PROGRESS_EVERY rows. */
export function readReviewLog(path: string, latest: number, tick: () => void = () => {}): ReviewLog {
  const log = new ReviewLog(latest);
  readAnkiRevlog(path, (row) => {
    log.add(row);
    if (log.rowsRead % PROGRESS_EVERY === 0) tick();
  });
  log.seal();
  return log;
}

export interface PendingRevlog {
  /** The log, once read; throws what reading it threw. */
  wait(): ReviewLog;
  /** Stops the reading (the import failed before it needed the log). */
  abandon(): void;
}

/**
 * Starts reading the log of `path`, a collection whose schema has been checked. `workerFile` and `stallWaits` are for
 * tests: another worker (one that dies, one that hangs) and a shorter patience.
 */
export function startReviewLog(path: string, latest: number, workerFile = new URL('./revlog-worker.js', import.meta.url), stallWaits = STALL_WAITS): PendingRevlog {
  const inPlace: PendingRevlog = { wait: () => readReviewLog(path, latest), abandon: () => {} };
  if (workerFile.protocol !== 'file:' || !existsSync(fileURLToPath(workerFile))) return inPlace;
  // Required, not imported: see src/core/external.ts.
  const threads = createRequire(import.meta.url)('node:worker_threads') as typeof import('node:worker_threads');
  const flag = new Int32Array(new SharedArrayBuffer(8));
  const { port1, port2 } = new threads.MessageChannel();
  const job: RevlogJob = { path, latest, flag, port: port2 };
  let worker: Worker;
  try {
    worker = new threads.Worker(workerFile, { workerData: job, transferList: [port2] });
  } catch {
    // No thread to be had (a limit on threads or memory): the log is read here, as from source.
    port1.close();
    return inPlace;
  }
  // Nothing here waits for the worker asynchronously: it must not keep the process alive on its own. Its death is
  // seen through the flag (the worker raises it on exit); the event would otherwise be thrown as uncaught.
  worker.unref();
  worker.on('error', () => {});
  let settled = false;
  const stop = () => {
    settled = true;
    port1.close();
    void worker.terminate();
  };
  return {
    wait() {
      if (settled) throw new Error('the review log was taken already');
      let progress = Atomics.load(flag, 1);
      let idle = 0;
      for (;;) {
        // The worker posts, then raises the flag: a flag seen raised before the port is read means the message is
        // there, unless posting it failed.
        const raised = Atomics.load(flag, 0) === 1;
        const m = threads.receiveMessageOnPort(port1)?.message as RevlogMessage | undefined;
        if (m) {
          stop();
          if (m.kind === 'log') return ReviewLog.fromTransfer(m.log);
          throw Object.assign(new Error(m.error.message), m.error.code === undefined ? {} : { code: m.error.code });
        }
        const now = Atomics.load(flag, 1);
        if (now !== progress) {
          progress = now;
          idle = 0;
        }
        if (raised || ++idle > stallWaits) {
          stop();
          throw new RecallError('revlog-thread', 'The thread reading the review log stopped without an answer', {
            hint: 'import again; if it happens again, run it with RECALL_DEBUG=1 and report what it prints',
          });
        }
        Atomics.wait(flag, 0, 0, 200);
      }
    },
    abandon() {
      if (!settled) stop();
    },
  };
}
