// `recall optimize` on a real imported history, checked against the official optimizer's published figures.
import Database from 'better-sqlite3';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScheduler, type ReplayEntry } from '../src/scheduler/index.js';
import { DEFAULT_SETTINGS, type Grade } from '../src/core/types.js';
import { ensureBuilt, runCli, runJson, tempDir } from './helpers/cli.js';

const FIX = join(__dirname, 'fixtures/anki-kanjiplot');
const NOW = '2026-03-10T09:00:00Z';
const reference = JSON.parse(readFileSync(join(FIX, 'fsrs-binding-0.5.0-result.v2-remapped.json'), 'utf8'));

let t: ReturnType<typeof tempDir>;
let db: string;
const env = () => ({ RECALL_DB: db, RECALL_NOW: NOW, TZ: 'UTC' });

beforeAll(() => {
  ensureBuilt();
  t = tempDir();
  db = join(t.dir, 'r.db');
  runJson(['config', 'set', 'timezone', 'Europe/Berlin'], env());
  runJson(['config', 'set', 'day-start', '4'], env());
  runJson(['import', join(FIX, 'collection.anki2')], env());
});
afterAll(() => t.cleanup());

describe('recall optimize', () => {
  it('--dry-run --evaluate matches the official optimizer on the kanjiplot history within 0.002, and changes nothing', () => {
    const before = runJson(['config', 'get'], env());
    const r = runJson(['optimize', '--dry-run', '--evaluate'], env());
    expect(r.items).toBe(reference.fsrsItems);
    expect(Math.abs(r.before.logLoss - reference.default_params_evaluate.logLoss)).toBeLessThan(0.002);
    expect(Math.abs(r.before.rmseBins - reference.default_params_evaluate.rmseBins)).toBeLessThan(0.002);
    expect(Math.abs(r.after.logLoss - reference.optimized_shortTerm_true.evaluate_on_same_items.logLoss)).toBeLessThan(0.002);
    expect(Math.abs(r.after.rmseBins - reference.optimized_shortTerm_true.evaluate_on_same_items.rmseBins)).toBeLessThan(0.002);
    expect(Math.abs(r.outOfSample.logLoss - reference.timeSeriesSplit_shortTerm_true.logLoss)).toBeLessThan(0.002);
    expect(Math.abs(r.outOfSample.rmseBins - reference.timeSeriesSplit_shortTerm_true.rmseBins)).toBeLessThan(0.002);
    expect(r.kept).toBe(true);
    expect(r.saved).toBe(false);
    expect(runJson(['config', 'get'], env())).toEqual(before);
    // Without --evaluate: the same fit, the same current-vs-fitted figures and decision, and no out-of-sample figure.
    const plain = runJson(['optimize', '--dry-run'], env());
    expect(plain.outOfSample).toBeNull();
    // (RMSE(bins) of one evaluation varies in the 8th decimal from run to run inside fsrs-rs: compared to 6.)
    for (const k of ['before', 'after'] as const) {
      expect(plain[k].logLoss).toBeCloseTo(r[k].logLoss, 6);
      expect(plain[k].rmseBins).toBeCloseTo(r[k].rmseBins, 6);
    }
    expect(plain.after.parameters).toEqual(r.after.parameters);
    expect(plain.kept).toBe(r.kept);
    const text = runCli(['optimize', '--dry-run', '--evaluate'], env());
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/out-of-sample +0\.\d{4} +0\.\d{4} +\(time-series splits\)/);
    const plainText = runCli(['optimize', '--dry-run'], env());
    expect(plainText.stdout).not.toMatch(/out-of-sample +0\./);
    expect(plainText.stdout).toContain('--evaluate adds an out-of-sample figure');
  });

  it('saves better parameters and reschedules every card to what a fresh replay of its log gives', () => {
    const r = runJson(['optimize'], env());
    expect(r.kept).toBe(true);
    expect(r.rescheduled).toBeGreaterThan(0);
    const params = runJson(['config', 'get'], env()).parameters;
    expect(params).toEqual(r.after.parameters);
    const scheduler = createScheduler({ ...DEFAULT_SETTINGS, timeZone: 'Europe/Berlin', dayStartHour: 4, parameters: params });
    const c = new Database(db, { readonly: true });
    const logs = c.prepare('SELECT card_id AS cardId, rating, reviewed_at AS reviewedAt, day, state_after AS stateAfter, due FROM reviews WHERE scheduled = 1 AND undone_at IS NULL ORDER BY card_id, reviewed_at, id').all() as any[];
    const byCard = new Map<number, ReplayEntry[]>();
    for (const l of logs) {
      if (!byCard.has(l.cardId)) byCard.set(l.cardId, []);
      byCard.get(l.cardId)!.push(l.rating === 0 ? { rating: 0, reviewedAt: l.reviewedAt, day: l.day, manual: { state: l.stateAfter, due: l.due } } : { rating: l.rating as Grade, reviewedAt: l.reviewedAt, day: l.day });
    }
    const stored = new Map((c.prepare('SELECT card_id AS cardId, due, stability FROM schedules').all() as any[]).map((s) => [s.cardId, s]));
    c.close();
    let checked = 0;
    for (const [cardId, entries] of byCard) {
      const replayed = scheduler.replay(entries).schedule!;
      expect(stored.get(cardId)?.due, `card ${cardId}`).toBe(replayed.due);
      checked++;
    }
    expect(checked).toBeGreaterThan(900);
    expect(runJson(['doctor'], env()).ok).toBe(true);
  });

  it('--help offers --evaluate', () => {
    const r = runCli(['optimize', '--help'], env());
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/--evaluate +also measure out-of-sample quality by time-series splits/);
  });

  it('too little history gets a clear message and no change', () => {
    const small = join(t.dir, 'small.db');
    const r = runCli(['optimize'], { ...env(), RECALL_DB: small });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/at least 400 reviews/);
  });
});
