// Personal FSRS parameters from the review log, computed by the official optimizer (fsrs-rs via
// @open-spaced-repetition/binding). This file is the only one that talks to the binding.
import {
  FSRSBinding,
  FSRSBindingItem,
  FSRSBindingReview,
  computeParameters,
  evaluateWithTimeSeriesSplits,
} from '@open-spaced-repetition/binding';
import { RecallError } from '../core/errors.js';
import { buildTrainingItems, predictsLongTermReview, type DayOptions, type OptimizerRow, type TrainingItem } from './items.js';

/**
 * FSRS-6 defaults of fsrs-rs as bundled in the binding (identical to ts-fsrs's `default_w`, which this module may not
 * import). A test checks that evaluating with these equals evaluating with the binding's own defaults.
 */
export const DEFAULT_PARAMETERS: readonly number[] = Object.freeze([
  0.212, 1.2931, 2.3065, 8.2956, 6.4133, 0.8334, 3.0194, 0.001, 1.8722, 0.1666, 0.796, 1.4835, 0.0614, 0.2629, 1.6483,
  0.6014, 1.8729, 0.5425, 0.0912, 0.0658, 0.1542,
]);

/**
 * The fewest usable reviews (see `TrainingSet.reviews`) we optimize on. With very little data fsrs-rs quietly hands
 * back the defaults (measured: one item gives exactly the defaults), and a few hundred reviews fit mostly noise, so
 * below this we refuse and say why. A deliberately conservative project constant, not a figure from fsrs-rs.
 */
export const MIN_REVIEWS = 400;

/**
 * Milliseconds between the binding's progress polls. Its default (500) is also how long the call idles after the fit
 * finishes, because the poller sleeps before it notices; 20 ms keeps progress smooth and the tail short.
 */
const POLL_MS = 20;

export interface Evaluation {
  logLoss: number;
  rmseBins: number;
}

export interface FitOptions {
  /** Called from time to time with the optimizer's own step counts; the last call always has done === total. */
  onProgress?: (done: number, total: number) => void;
  /** Fit the same-day (short-term) parameters too; default true, as Anki and the binding do. */
  enableShortTerm?: boolean;
}

function toBindingItems(items: readonly TrainingItem[]): FSRSBindingItem[] {
  // A review is an immutable (rating, deltaT) value that the item constructor copies, and the items of one card
  // repeat the same reviews as growing prefixes: one binding object per distinct value instead of one per review
  // (measured on 66,749 items holding 693,013 reviews: 991 ms of CPU down to 262 ms, identical results).
  const reviews = new Map<number, FSRSBindingReview>();
  return items.map((item, i) => {
    if (item.reviews.length === 0) throw new RecallError('bad-training-item', `Training item ${i} has no reviews`);
    return new FSRSBindingItem(
      item.reviews.map((r) => {
        // The binding takes u32 values; anything else would be truncated or wrap silently on the Rust side.
        if (!(r.rating >= 1 && r.rating <= 4 && Number.isInteger(r.rating)) || !(Number.isInteger(r.deltaT) && r.deltaT >= 0 && r.deltaT <= 0xffffffff)) {
          throw new RecallError('bad-training-item', `Training item ${i} has an invalid review (rating ${r.rating}, deltaT ${r.deltaT})`);
        }
        const key = r.deltaT * 4 + r.rating - 1;
        let review = reviews.get(key);
        if (review === undefined) {
          review = new FSRSBindingReview(r.rating, r.deltaT);
          reviews.set(key, review);
        }
        return review;
      }),
    );
  });
}

/** Items the binding can take without failing or aborting the process; see `predictsLongTermReview`. */
function safeItems(items: readonly TrainingItem[]): TrainingItem[] {
  return items.filter(predictsLongTermReview);
}

/**
 * The binding reports progress from a polling thread through a non-blocking queue: short runs may see no call at all,
 * and queued calls can arrive after the promise resolved. `finish()` ends that: later calls are dropped and the
 * caller gets one final `done === total`, so a progress bar always completes.
 */
export function progressRelay(onProgress: FitOptions['onProgress']) {
  let finished = false;
  let lastTotal = 0;
  return {
    callback: onProgress
      ? (current: number, total: number) => {
          if (finished) return;
          lastTotal = total;
          onProgress(Math.min(current, total), total);
        }
      : undefined,
    finish() {
      if (finished) return;
      finished = true;
      const total = lastTotal > 0 ? lastTotal : 1;
      onProgress?.(total, total);
    },
  };
}

function bindingOptions(opts: FitOptions, progress?: (current: number, total: number) => void) {
  return {
    enableShortTerm: opts.enableShortTerm ?? true,
    timeout: POLL_MS,
    ...(progress ? { progress } : {}),
  };
}

function optimizerFailure(what: string, err: unknown): RecallError {
  const reason = err instanceof Error ? err.message : String(err);
  if (/NotEnoughData/.test(reason)) {
    return new RecallError('too-little-history', `Not enough review history to ${what}`, {
      hint: `review for a while longer; the optimizer needs at least ${MIN_REVIEWS} reviews`,
    });
  }
  return new RecallError('optimizer-failed', `The FSRS optimizer failed to ${what}: ${reason}`);
}

function checkParameters(parameters: readonly number[]): void {
  // fsrs-rs accepts 17 (FSRS-4.5), 19 (FSRS-5) or 21 (FSRS-6) values and migrates older sets itself (measured);
  // other lengths fail inside the binding with a less helpful message.
  if (![17, 19, 21].includes(parameters.length) || !parameters.every(Number.isFinite)) {
    throw new RecallError('bad-parameters', `FSRS parameters must be 17, 19 or 21 finite numbers, got ${parameters.length}`);
  }
}

/** The usable items in the binding's form, converted once and shared by the fit and every evaluation of a run. */
function prepare(items: readonly TrainingItem[], what: string): FSRSBindingItem[] {
  const usable = safeItems(items);
  if (usable.length === 0) throw optimizerFailure(what, new Error('NotEnoughData'));
  return toBindingItems(usable);
}

async function fitPrepared(items: FSRSBindingItem[], opts: FitOptions): Promise<number[]> {
  const relay = progressRelay(opts.onProgress);
  try {
    const parameters = await computeParameters(items, bindingOptions(opts, relay.callback));
    relay.finish();
    return parameters.map((p) => Math.round(p * 1e6) / 1e6);
  } catch (err) {
    throw optimizerFailure('fit parameters', err);
  }
}

function evaluatePrepared(items: FSRSBindingItem[], parameters: readonly number[]): Evaluation {
  checkParameters(parameters);
  try {
    const result = new FSRSBinding([...parameters]).evaluate(items);
    return { logLoss: result.logLoss, rmseBins: result.rmseBins };
  } catch (err) {
    throw optimizerFailure('evaluate parameters', err);
  }
}

async function splitPrepared(items: FSRSBindingItem[], opts: FitOptions): Promise<Evaluation> {
  const relay = progressRelay(opts.onProgress);
  try {
    const result = await evaluateWithTimeSeriesSplits(items, bindingOptions(opts, relay.callback));
    relay.finish();
    return { logLoss: result.logLoss, rmseBins: result.rmseBins };
  } catch (err) {
    throw optimizerFailure('evaluate parameters', err);
  }
}

/**
 * Fits FSRS parameters to the items. Values are rounded to 6 decimals: the optimizer works in f32, so further
 * digits are float noise that would only clutter the settings file.
 */
export async function fitParameters(items: readonly TrainingItem[], opts: FitOptions = {}): Promise<number[]> {
  return fitPrepared(prepare(items, 'fit parameters'), opts);
}

/**
 * Log loss and RMSE(bins) of `parameters` on the items (in-sample when they were fitted on the same items). Cheap
 * next to a fit: a forward pass over the items (measured: 0.1 s of CPU for 66,749 items, a fit takes 1 s or more).
 */
export function evaluateParameters(items: readonly TrainingItem[], parameters: readonly number[]): Evaluation {
  checkParameters(parameters);
  return evaluatePrepared(prepare(items, 'evaluate parameters'), parameters);
}

/**
 * Out-of-sample quality of the whole procedure: fsrs-rs fits on each growing prefix of the items (in time order of
 * the items given) and scores the following slice. Several fits' worth of work, so only on request.
 */
export async function evaluateTimeSeriesSplits(items: readonly TrainingItem[], opts: FitOptions = {}): Promise<Evaluation> {
  return splitPrepared(prepare(items, 'evaluate parameters'), opts);
}

export interface OptimizeOptions extends DayOptions, FitOptions {
  /** The parameters in use now; null/undefined = the defaults. `before` is measured with these. */
  currentParameters?: readonly number[] | null;
  /** Also compute the time-series-split (out-of-sample) figure. */
  outOfSample?: boolean;
  /** Told as each phase starts; `items` once the training items are known. */
  onPhase?: (phase: 'building' | 'fitting' | 'evaluating', info: { items?: number }) => void;
}

export interface OptimizeResult {
  /** Training items (one per predicted review). */
  items: number;
  /** Usable reviews (see `TrainingSet.reviews`). */
  reviews: number;
  cards: number;
  before: Evaluation & { parameters: number[] };
  after: Evaluation & { parameters: number[] };
  /**
   * Whether the fitted parameters should replace the current ones: only when they predict the user's own history
   * strictly better (lower log loss on the same items) than the current ones. This is Anki's rule; it stops a
   * re-optimization on a little more data from replacing good parameters with slightly worse ones.
   */
  kept: boolean;
  /** Only with `outOfSample`: the time-series-split evaluation. */
  outOfSample?: Evaluation;
}

/** The whole run: items from the log, guard, evaluate current parameters, fit, evaluate the fit, decide. */
export async function optimize(rows: readonly OptimizerRow[], opts: OptimizeOptions): Promise<OptimizeResult> {
  opts.onPhase?.('building', {});
  const set = buildTrainingItems(rows, opts);
  if (set.reviews < MIN_REVIEWS) {
    throw new RecallError(
      'too-little-history',
      `Optimizing needs at least ${MIN_REVIEWS} reviews of cards whose history starts with their first answer; there ${set.reviews === 1 ? 'is' : 'are'} ${set.reviews}`,
      { hint: 'keep reviewing and try again later; until then the default parameters are used' },
    );
  }
  const current = [...(opts.currentParameters ?? DEFAULT_PARAMETERS)];
  checkParameters(current);
  opts.onPhase?.('fitting', { items: set.items.length });
  // One conversion for the fit and every evaluation: converting is most of an evaluation's cost.
  const items = prepare(set.items, 'fit parameters');
  // The fit and the out-of-sample splits run on the binding's own threads: start them first, so evaluating the
  // current parameters (synchronous, on this thread) overlaps with them instead of adding to the wait.
  const fitting = fitPrepared(items, opts);
  const splitting = opts.outOfSample ? splitPrepared(items, { enableShortTerm: opts.enableShortTerm }) : null;
  // Marked as handled now: when a step before their await throws, their failure must not also crash the thread.
  fitting.catch(() => undefined);
  splitting?.catch(() => undefined);
  const before = evaluatePrepared(items, current);
  const fitted = await fitting;
  opts.onPhase?.('evaluating', {});
  const after = evaluatePrepared(items, fitted);
  const result: OptimizeResult = {
    items: set.items.length,
    reviews: set.reviews,
    cards: set.cards,
    before: { ...before, parameters: current },
    after: { ...after, parameters: fitted },
    kept: after.logLoss < before.logLoss,
  };
  if (splitting) result.outOfSample = await splitting;
  return result;
}
