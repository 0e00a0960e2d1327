// `recall optimize` progress: the pure model (phases, elapsed, estimate) and the live line on a real terminal.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_RATES, enterPhase, expectedTimes, measuredRates, phaseFraction, startProgress, viewProgress } from '../src/optimizer/progress.js';
import { CLI, Terminal, ensureBuilt, hasTmux, runJson, shellQuote, tempDir } from './helpers/cli.js';

describe('the progress model', () => {
  const expected = { reading: 100, building: 100, fitting: 6000, evaluating: 3000, rescheduling: 800 };

  it('moves through the phases with time, elapsed and an estimate of what is left', () => {
    let s = startProgress(expected, 0);
    const first = viewProgress(s, 50);
    expect(first).toMatchObject({ step: 1, steps: 5, label: 'reading the review log', elapsedMs: 50 });
    s = enterPhase(s, 'building', 100);
    s = enterPhase(s, 'fitting', 200);
    // Two seconds into a fit expected to take six, on pace: four left, plus evaluating and rescheduling.
    const mid = viewProgress(s, 2200);
    expect(mid).toMatchObject({ step: 3, label: 'fitting parameters', elapsedMs: 2200 });
    expect(mid.remainingMs).toBeCloseTo(4000 + 3000 + 800, -1);
    expect(mid.overall).toBeGreaterThan(first.overall);
    // Later in the same phase the bar is further along: it moves without any word from the optimizer.
    expect(viewProgress(s, 4200).overall).toBeGreaterThan(mid.overall);
    expect(viewProgress(s, 4200).remainingMs!).toBeLessThan(mid.remainingMs!);
  });

  it('trusts the phase\'s own fraction when it reports one, and never claims to be done before the end', () => {
    let s = enterPhase(startProgress(expected, 0), 'fitting', 0);
    s = phaseFraction(s, 0.5);
    // Half done after 1 s: one more second for the fit, not five.
    expect(viewProgress(s, 1000).remainingMs).toBeCloseTo(1000 + 3000 + 800, -1);
    // Far past the estimate the bar stays short of 100% and the estimate of what is left stays positive.
    const late = viewProgress(enterPhase(startProgress(expected, 0), 'fitting', 0), 60_000);
    expect(late.overall).toBeLessThan(1);
    expect(late.remainingMs!).toBeGreaterThan(0);
  });

  it('scales what is left by how this run has gone so far', () => {
    // Building took twice as long as expected (with an expectation large enough to count): the rest is doubled.
    let s = startProgress({ ...expected, building: 1000 }, 0);
    s = enterPhase(s, 'building', 0);
    s = enterPhase(s, 'fitting', 2000);
    expect(viewProgress(s, 2000).remainingMs).toBeCloseTo(2 * (6000 + 3000 + 800), -1);
  });

  it('claims nothing before the size of the job is known', () => {
    const s = startProgress(expectedTimes(DEFAULT_RATES, { rows: 0, items: 0 }), 0);
    expect(viewProgress(s, 500)).toMatchObject({ overall: 0, remainingMs: null, elapsedMs: 500, step: 1 });
  });

  it('learns this machine\'s speed from a finished run', () => {
    let s = startProgress(expectedTimes(DEFAULT_RATES, { rows: 10_000, items: 6000 }), 0);
    s = enterPhase(s, 'building', 10);
    s = enterPhase(s, 'fitting', 20);
    s = enterPhase(s, 'evaluating', 1220);
    s = { ...s, took: { ...s.took, evaluating: 600 } };
    const rates = measuredRates(s, { rows: 10_000, items: 6000 }, DEFAULT_RATES);
    expect(rates.fitting).toBeCloseTo(1200 / 6000);
    expect(rates.evaluating).toBeCloseTo(600 / 6000);
    // Phases too short to measure keep the rate they had.
    expect(rates.reading).toBe(DEFAULT_RATES.reading);
  });
});

const FIX = join(__dirname, 'fixtures/anki-kanjiplot');
const NOW = '2026-03-10T09:00:00Z';
let t: ReturnType<typeof tempDir>;
beforeAll(() => {
  ensureBuilt();
  t = tempDir();
});
afterAll(() => t.cleanup());

describe.skipIf(!hasTmux)('recall optimize on a terminal', () => {
  it('draws phases, elapsed time and an estimate on stderr, then clears the line for the result', async () => {
    const db = join(t.dir, 'o.db');
    const env = { RECALL_DB: db, RECALL_NOW: NOW, TZ: 'UTC' };
    runJson(['import', join(FIX, 'collection.anki2')], env);
    const log = join(t.dir, 'pty.log');
    // The program waits for a key, so the pane's output is recorded from its first byte.
    const term = new Terminal(`sh -c ${shellQuote(`read _ && node ${CLI} optimize`)}`, { env: { ...env }, socketDir: t.dir });
    try {
      term.tmux('pipe-pane', '-o', '-t', term.name, `cat >> ${shellQuote(log)}`);
      term.send('Enter');
      const screen = await term.waitFor('[exit 0]', 60_000);
      expect(screen).toMatch(/Saved the fitted parameters; \d+ cards rescheduled/);
      expect(screen).not.toContain('[3/5]');
    } finally {
      term.kill();
    }
    const raw = readFileSync(log, 'utf8');
    const frames = [...raw.matchAll(/\[(\d)\/5\] ([a-z ]+?) +\S+ +(\d+)% \| (\d+s)(, about \d+s left)?/g)];
    expect(frames.length, raw).toBeGreaterThanOrEqual(2);
    // The first frame is drawn before the log is read; later ones are further along.
    expect(frames[0]![1]).toBe('1');
    expect(frames[0]![3]).toBe('0');
    const steps = frames.map((f) => Number(f[1]));
    const percents = frames.map((f) => Number(f[3]));
    expect(steps).toEqual([...steps].sort((a, b) => a - b));
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    expect(Math.max(...steps)).toBeGreaterThanOrEqual(3);
    expect(frames.some((f) => f[5])).toBe(true);
  }, 90_000);
});
