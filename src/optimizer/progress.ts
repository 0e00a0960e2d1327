// Progress of `recall optimize` as a pure model: the phases of a run, what each is expected to cost, and from that
// and the clock an overall fraction, the time spent and an estimate of the time left. No I/O: the CLI draws it.
//
// The optimizer binding gives almost no progress of its own (measured with binding 0.5.0: a fit of 58,000 items
// reports once, at the end), so the estimate comes from the size of the job and the speed of the last run on this
// machine, and is corrected as phases finish.

export type Phase = 'reading' | 'building' | 'fitting' | 'evaluating' | 'rescheduling';

export const PHASES: readonly { phase: Phase; label: string }[] = [
  { phase: 'reading', label: 'reading the review log' },
  { phase: 'building', label: 'building training items' },
  { phase: 'fitting', label: 'fitting parameters' },
  { phase: 'evaluating', label: 'evaluating' },
  { phase: 'rescheduling', label: 'rescheduling cards' },
];

/** Milliseconds per unit of work, per phase: per review-log row for reading, building and rescheduling, per training item for fitting and evaluating. */
export type Rates = Record<Phase, number>;

/**
 * Measured on the 2-CPU development machines (kanjiplot history repeated 15 times, 58,000 items, and the bench's
 * 66,749-item collection; reading and rescheduling on 6,102 rows). Only the first run uses these; later runs use
 * their own machine's last speed. Evaluating is two forward passes over items already converted for the fit.
 */
export const DEFAULT_RATES: Rates = { reading: 0.003, building: 0.005, fitting: 0.03, evaluating: 0.003, rescheduling: 0.05 };

/**
 * The same for `--evaluate`: the time-series splits run beside the fit (slowing it down on two cores) and the
 * evaluating phase waits for what is left of them (measured on the bench collection under load, scaled down).
 */
export const DEFAULT_RATES_EVALUATE: Rates = { ...DEFAULT_RATES, fitting: 0.04, evaluating: 0.012 };

export interface ProgressState {
  startedAt: number;
  /** Expected milliseconds per phase for this job. */
  expected: Record<Phase, number>;
  /** Phases finished, with what they took. */
  took: Partial<Record<Phase, number>>;
  current: Phase;
  phaseStartedAt: number;
  /** The current phase's own fraction done, when it reports one. */
  fraction: number | null;
}

export interface ProgressView {
  /** 1-based number of the current phase, and how many there are. */
  step: number;
  steps: number;
  label: string;
  /** 0..1 over the whole run (a new estimate can move it back a little: the caller may hold the highest shown). */
  overall: number;
  elapsedMs: number;
  /** Estimated time left; null when there is nothing to go on. */
  remainingMs: number | null;
}

export function expectedTimes(rates: Rates, job: { rows: number; items: number }): Record<Phase, number> {
  return {
    reading: rates.reading * job.rows,
    building: rates.building * job.rows,
    fitting: rates.fitting * job.items,
    evaluating: rates.evaluating * job.items,
    rescheduling: rates.rescheduling * job.rows,
  };
}

export function startProgress(expected: Record<Phase, number>, now: number): ProgressState {
  return { startedAt: now, expected, took: {}, current: 'reading', phaseStartedAt: now, fraction: null };
}

/** Moves to `phase`; the phases before it count as finished now. */
export function enterPhase(s: ProgressState, phase: Phase, now: number, expected?: Partial<Record<Phase, number>>): ProgressState {
  const took = { ...s.took };
  if (s.current !== phase) took[s.current] = now - s.phaseStartedAt;
  return { ...s, expected: { ...s.expected, ...expected }, took, current: phase, phaseStartedAt: now, fraction: null };
}

/** The current phase's own progress (0..1), when it has one to tell. */
export function phaseFraction(s: ProgressState, fraction: number): ProgressState {
  return { ...s, fraction: Math.max(s.fraction ?? 0, Math.min(1, Math.max(0, fraction))) };
}

export function viewProgress(s: ProgressState, now: number): ProgressView {
  const order = PHASES.map((p) => p.phase);
  const index = order.indexOf(s.current);
  const inPhase = Math.max(0, now - s.phaseStartedAt);
  // How much slower or faster than expected this run has been so far, from the phases that finished with a
  // meaningful expectation; applied to what is left.
  let tookSum = 0;
  let expectedSum = 0;
  for (const p of order.slice(0, index)) {
    if (s.expected[p] >= 50 && (s.took[p] ?? 0) > 0) {
      tookSum += s.took[p] ?? 0;
      expectedSum += s.expected[p];
    }
  }
  const pace = expectedSum > 0 ? Math.min(10, Math.max(0.1, tookSum / expectedSum)) : 1;
  const expectedNow = s.expected[s.current] * pace;
  const currentLeft =
    s.fraction !== null && s.fraction > 0.05 ? (inPhase / s.fraction) * (1 - s.fraction) : Math.max(expectedNow - inPhase, expectedNow * 0.05);
  const after = order.slice(index + 1).reduce((a, p) => a + s.expected[p] * pace, 0);
  const done = order.slice(0, index).reduce((a, p) => a + (s.took[p] ?? 0), 0) + inPhase;
  const remaining = currentLeft + after;
  // Before the size of the job is known there is nothing to measure against: no fraction, no estimate.
  const known = order.some((p) => s.expected[p] > 0);
  if (!known) return { step: index + 1, steps: order.length, label: PHASES[index]!.label, overall: 0, elapsedMs: Math.max(0, now - s.startedAt), remainingMs: null };
  return {
    step: index + 1,
    steps: order.length,
    label: PHASES[index]!.label,
    overall: done + remaining > 0 ? Math.min(0.99, done / (done + remaining)) : 0,
    elapsedMs: Math.max(0, now - s.startedAt),
    remainingMs: done + remaining > 0 ? remaining : null,
  };
}

/** Speeds measured by a finished run, to estimate the next one; phases too short to measure keep the old rate. */
export function measuredRates(s: ProgressState, job: { rows: number; items: number }, previous: Rates): Rates {
  const units: Record<Phase, number> = { reading: job.rows, building: job.rows, fitting: job.items, evaluating: job.items, rescheduling: job.rows };
  const next = { ...previous };
  for (const { phase } of PHASES) {
    const took = s.took[phase];
    if (took !== undefined && took >= 50 && units[phase] > 0) next[phase] = took / units[phase];
  }
  return next;
}
