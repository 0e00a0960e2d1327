import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { tzOffset } from '@date-fns/tz/tzOffset';
import { FSRSBinding, FSRSBindingItem, FSRSBindingReview, convertCsvToFsrsItems } from '@open-spaced-repetition/binding';
import { beforeAll, describe, expect, it } from 'vitest';
import { RecallError } from '../src/core/errors.js';
import type { CardState, Rating } from '../src/core/types.js';
import { buildTrainingItems, type OptimizerRow, type TrainingItem } from '../src/optimizer/items.js';
import {
  DEFAULT_PARAMETERS,
  MIN_REVIEWS,
  evaluateParameters,
  evaluateTimeSeriesSplits,
  fitParameters,
  optimize,
  progressRelay,
} from '../src/optimizer/fit.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/anki-kanjiplot/', import.meta.url));
const csv = readFileSync(`${FIXTURE}revlog.fsrs.v2-remapped.csv`);
const expected = JSON.parse(readFileSync(`${FIXTURE}fsrs-binding-0.5.0-result.v2-remapped.json`, 'utf8')) as {
  fsrsItems: number;
  default_params_evaluate: { logLoss: number; rmseBins: number };
  optimized_shortTerm_true: { evaluate_on_same_items: { logLoss: number; rmseBins: number } };
};
const BERLIN = { timeZone: 'Europe/Berlin', dayStartHour: 4 };

/** The offset provider the binding's README uses, via @date-fns/tz. */
const offsetProvider = (ms: number, timeZone: string) => tzOffset(timeZone, new Date(ms));

/** FSRS optimizer CSV → rows. review_state 4 (a review in a filtered deck) is not a learning state: Review. */
function csvRows(text: string | Buffer): OptimizerRow[] {
  const records = parse(text, { columns: true, skip_empty_lines: true }) as Record<string, string>[];
  return records.map((r) => {
    const state = Number(r.review_state);
    return {
      cardId: Number(r.card_id),
      reviewedAt: Number(r.review_time),
      rating: Number(r.review_rating) as Rating,
      scheduled: true,
      kind: 'import',
      stateBefore: (state <= 3 ? state : 2) as CardState,
    };
  });
}

function toCsv(rows: { cardId: number; reviewedAt: number; rating: number; state: number }[]): Buffer {
  const lines = rows.map((r) => `${r.cardId},${r.reviewedAt},${r.rating},${r.state},1000`);
  return Buffer.from(['card_id,review_time,review_rating,review_state,review_duration', ...lines].join('\n') + '\n');
}

/** Items as sorted JSON strings, to compare as multisets (the binding returns cards in hash-map order). */
function canonical(items: readonly { reviews: readonly { rating: number; deltaT: number }[] }[]): string[] {
  return items.map((i) => JSON.stringify(i.reviews.map((r) => [r.rating, r.deltaT]))).sort();
}

function bindingItems(text: Buffer, dayStartHour: number, timeZone: string): TrainingItem[] {
  return convertCsvToFsrsItems(text, dayStartHour, timeZone, offsetProvider).map((item) => ({
    reviews: item.reviews.map((r) => ({ rating: r.rating as 1 | 2 | 3 | 4, deltaT: r.deltaT })),
  }));
}

const row = (cardId: number, iso: string, rating: Rating, stateBefore?: CardState, extra: Partial<OptimizerRow> = {}): OptimizerRow => ({
  cardId,
  reviewedAt: Date.parse(iso),
  rating,
  scheduled: true,
  kind: rating === 0 ? 'manual' : 'review',
  ...(stateBefore === undefined ? {} : { stateBefore }),
  ...extra,
});

const deltas = (items: TrainingItem[]) => items.map((i) => i.reviews.map((r) => r.deltaT));

describe('buildTrainingItems on a real Anki log (kanjiplot)', () => {
  const rows = csvRows(csv);
  const set = buildTrainingItems(rows, BERLIN);

  it('gives the same number of items as the official optimizer', () => {
    expect(set.items.length).toBe(expected.fsrsItems);
    expect(set.items.length).toBe(3889);
  });

  it('gives exactly the items of convertCsvToFsrsItems, item by item', () => {
    const theirs = bindingItems(csv, 4, 'Europe/Berlin');
    expect(canonical(set.items)).toEqual(canonical(theirs));
  });

  it('counts the cards and reviews the items come from', () => {
    // 1,005 cards in the collection; 967 have a learning start and a review on a later day. 5,992 of the 6,062
    // rated rows belong to their usable histories.
    expect(set.cards).toBe(967);
    expect(set.reviews).toBe(5992);
  });
});

describe('fit and evaluate on the kanjiplot fixture', () => {
  const rows = csvRows(csv);
  const { items } = buildTrainingItems(rows, BERLIN);
  let fitted: number[] = [];
  const progress: [number, number][] = [];

  beforeAll(async () => {
    fitted = await fitParameters(items, { onProgress: (done, total) => progress.push([done, total]) });
  });

  it('DEFAULT_PARAMETERS are the binding defaults', () => {
    const viaBinding = new FSRSBinding().evaluate(
      items.map((i) => new FSRSBindingItem(i.reviews.map((r) => new FSRSBindingReview(r.rating, r.deltaT)))),
    );
    const ours = evaluateParameters(items, DEFAULT_PARAMETERS);
    expect(ours.logLoss).toBeCloseTo(viaBinding.logLoss, 6);
    expect(ours.rmseBins).toBeCloseTo(viaBinding.rmseBins, 6);
  });

  it('default-parameter log loss and RMSE(bins) match the reference run', () => {
    const ev = evaluateParameters(items, DEFAULT_PARAMETERS);
    expect(Math.abs(ev.logLoss - expected.default_params_evaluate.logLoss)).toBeLessThan(0.002);
    expect(Math.abs(ev.rmseBins - expected.default_params_evaluate.rmseBins)).toBeLessThan(0.002);
  });

  it('fitted parameters reach the reference log loss and RMSE(bins)', () => {
    expect(fitted).toHaveLength(21);
    const ev = evaluateParameters(items, fitted);
    const ref = expected.optimized_shortTerm_true.evaluate_on_same_items;
    expect(Math.abs(ev.logLoss - ref.logLoss)).toBeLessThan(0.002);
    expect(Math.abs(ev.rmseBins - ref.rmseBins)).toBeLessThan(0.002);
  });

  it('reports progress through the callback, ending at done === total', () => {
    expect(progress.length).toBeGreaterThan(0);
    for (const [done, total] of progress) {
      expect(total).toBeGreaterThan(0);
      expect(done).toBeLessThanOrEqual(total);
    }
    const [done, total] = progress[progress.length - 1]!;
    expect(done).toBe(total);
  });

  it('progress relay: drops calls queued after the end and completes even without any call', () => {
    const seen: [number, number][] = [];
    const relay = progressRelay((d, t) => seen.push([d, t]));
    relay.callback!(3, 10);
    relay.callback!(12, 10);
    relay.finish();
    relay.callback!(5, 10); // the binding's poller thread can deliver this after the promise resolved
    relay.finish();
    expect(seen).toEqual([[3, 10], [10, 10], [10, 10]]);
    const quiet: [number, number][] = [];
    progressRelay((d, t) => quiet.push([d, t])).finish();
    expect(quiet).toEqual([[1, 1]]);
  });

  it('fits deterministically: the very parameters of the reference run', () => {
    const ref = (expected as unknown as { optimized_shortTerm_true: { parameters: number[] } }).optimized_shortTerm_true.parameters;
    fitted.forEach((p, i) => expect(p).toBeCloseTo(ref[i]!, 4));
  });

  it('time-series splits give the reference out-of-sample figure', async () => {
    const ev = await evaluateTimeSeriesSplits(items);
    const ref = (expected as unknown as { timeSeriesSplit_shortTerm_true: { logLoss: number; rmseBins: number } }).timeSeriesSplit_shortTerm_true;
    expect(Math.abs(ev.logLoss - ref.logLoss)).toBeLessThan(0.002);
    expect(Math.abs(ev.rmseBins - ref.rmseBins)).toBeLessThan(0.002);
  });

  it('accepts FSRS-5 (19) parameter sets, which fsrs-rs migrates', () => {
    const ev = evaluateParameters(items, DEFAULT_PARAMETERS.slice(0, 19));
    expect(ev.logLoss).toBeGreaterThan(0);
    expect(ev.logLoss).toBeLessThan(1);
  });

  it('optimize() runs the whole pipeline and keeps the better parameters', async () => {
    const result = await optimize(rows, BERLIN);
    expect(result.items).toBe(3889);
    expect(result.kept).toBe(true);
    expect(result.before.parameters).toEqual([...DEFAULT_PARAMETERS]);
    expect(Math.abs(result.before.logLoss - expected.default_params_evaluate.logLoss)).toBeLessThan(0.002);
    expect(Math.abs(result.after.logLoss - expected.optimized_shortTerm_true.evaluate_on_same_items.logLoss)).toBeLessThan(0.002);
    expect(result.outOfSample).toBeUndefined();
  });

  it('optimize() does not replace parameters that are already as good', async () => {
    // The fit is deterministic, so refitting from the fitted parameters gives the same log loss: not strictly better.
    const result = await optimize(rows, { ...BERLIN, currentParameters: fitted, outOfSample: true });
    expect(result.before.parameters).toEqual(fitted);
    expect(result.after.logLoss).toBeCloseTo(result.before.logLoss, 5);
    expect(result.kept).toBe(false);
    expect(result.outOfSample?.logLoss).toBeGreaterThan(0);
  });
});

describe('study days (Europe/Berlin, day starts 04:00)', () => {
  const pair = (second: string) =>
    buildTrainingItems([row(1, '2026-01-10T11:00:00Z', 3, 0), row(1, second, 3, 2)], BERLIN).items;

  it('03:59 local belongs to the previous day, 04:00 starts a new one (winter, UTC+1)', () => {
    expect(pair('2026-01-11T02:59:00Z')).toEqual([]); // 03:59 CET, same study day as the first review
    expect(deltas(pair('2026-01-11T03:00:00Z'))).toEqual([[0, 1]]); // 04:00 CET
  });

  it('follows the spring-forward change on 2026-03-29 (04:00 CEST = 02:00 UTC)', () => {
    const first = row(1, '2026-03-28T11:00:00Z', 3, 0);
    const at = (iso: string) => buildTrainingItems([first, row(1, iso, 3, 2)], BERLIN).items;
    expect(at('2026-03-29T01:59:00Z')).toEqual([]); // 03:59 CEST
    expect(deltas(at('2026-03-29T02:00:00Z'))).toEqual([[0, 1]]); // 04:00 CEST; with the winter offset it would be 03:00
  });

  it('follows the fall-back change on 2026-10-25 (04:00 CET = 03:00 UTC)', () => {
    const first = row(1, '2026-10-24T11:00:00Z', 3, 0);
    const at = (iso: string) => buildTrainingItems([first, row(1, iso, 3, 2)], BERLIN).items;
    expect(at('2026-10-25T02:59:00Z')).toEqual([]); // 03:59 CET; with the summer offset it would be 04:59
    expect(deltas(at('2026-10-25T03:00:00Z'))).toEqual([[0, 1]]); // 04:00 CET
  });

  it('agrees with convertCsvToFsrsItems around both DST changes and other hours', () => {
    const stamps = [
      '2026-03-27T10:00:00Z', '2026-03-28T02:59:00Z', '2026-03-28T03:00:00Z', '2026-03-29T00:30:00Z',
      '2026-03-29T01:59:59Z', '2026-03-29T02:00:00Z', '2026-03-30T01:59:00Z', '2026-03-30T02:00:00Z',
      '2026-10-24T01:59:00Z', '2026-10-24T02:00:00Z', '2026-10-25T00:59:00Z', '2026-10-25T01:00:00Z',
      '2026-10-25T02:59:59Z', '2026-10-25T03:00:00Z', '2026-10-26T02:59:00Z', '2026-10-26T03:00:00Z',
    ].map(Date.parse);
    // Several cards, each with a learning answer then reviews at a subset of the instants.
    const raw: { cardId: number; reviewedAt: number; rating: number; state: number }[] = [];
    for (let card = 0; card < 8; card++) {
      const picks = stamps.filter((_, i) => (i + card) % 3 !== 0 || i === 0);
      picks.forEach((t, i) => raw.push({ cardId: card + 1, reviewedAt: t + card * 1000, rating: 1 + ((i + card) % 4), state: i === 0 ? 0 : 2 }));
    }
    for (const dayStartHour of [0, 2, 3, 4, 5]) {
      const ours = buildTrainingItems(
        raw.map((r) => ({ cardId: r.cardId, reviewedAt: r.reviewedAt, rating: r.rating as Rating, scheduled: true, kind: 'review', stateBefore: r.state as CardState })),
        { timeZone: 'Europe/Berlin', dayStartHour },
      ).items;
      expect(canonical(ours)).toEqual(canonical(bindingItems(toCsv(raw), dayStartHour, 'Europe/Berlin')));
      expect(ours.length).toBeGreaterThan(0);
    }
  });
});

describe('which history counts', () => {
  const days = (n: number) => `2026-05-${String(n).padStart(2, '0')}T10:00:00Z`;

  it('starts at the last block of learning answers, like the binding', () => {
    const raw = [
      { cardId: 1, reviewedAt: Date.parse(days(1)), rating: 3, state: 0 },
      { cardId: 1, reviewedAt: Date.parse(days(2)), rating: 3, state: 1 },
      { cardId: 1, reviewedAt: Date.parse(days(5)), rating: 1, state: 2 },
      { cardId: 1, reviewedAt: Date.parse(days(6)), rating: 3, state: 1 },
      { cardId: 1, reviewedAt: Date.parse(days(9)), rating: 4, state: 2 },
      // starts mid-review: no known initial state, dropped
      { cardId: 2, reviewedAt: Date.parse(days(1)), rating: 3, state: 2 },
      { cardId: 2, reviewedAt: Date.parse(days(4)), rating: 3, state: 2 },
    ];
    const ours = buildTrainingItems(csvRows(toCsv(raw).toString()), BERLIN);
    expect(ours.items.map((i) => i.reviews)).toEqual([[{ rating: 3, deltaT: 0 }, { rating: 4, deltaT: 3 }]]);
    expect(ours.cards).toBe(1);
    expect(ours.reviews).toBe(2);
    expect(canonical(ours.items)).toEqual(canonical(bindingItems(toCsv(raw), 4, 'Europe/Berlin')));
  });

  it('predicts only reviews on a later study day, keeping same-day reviews in the history', () => {
    const rows = [row(1, days(1), 1, 0), row(1, '2026-05-01T10:10:00Z', 3, 1), row(1, days(3), 1, 2), row(1, '2026-05-03T10:10:00Z', 3, 3)];
    expect(deltas(buildTrainingItems(rows, BERLIN).items)).toEqual([[0, 0, 2]]);
  });

  it('drops everything before a reset; a reschedule keeps history', () => {
    const reset = row(1, days(4), 0, 2, { stateAfter: 0 });
    const reschedule = row(1, days(4), 0, 2, { stateAfter: 2 });
    const before = [row(1, days(1), 3, 0), row(1, days(2), 3, 2)];
    const after = [row(1, days(5), 3, 0), row(1, days(7), 3, 2)];
    expect(deltas(buildTrainingItems([...before, reset, ...after], BERLIN).items)).toEqual([[0, 2]]);
    expect(deltas(buildTrainingItems([...before, reschedule, ...after], BERLIN).items)).toEqual([[0, 2]]);
    // With a reschedule and no learning answer afterwards, the old history continues.
    const cont = [row(1, days(5), 3, 2), row(1, days(8), 3, 2)];
    expect(deltas(buildTrainingItems([...before, reschedule, ...cont], BERLIN).items)).toEqual([[0, 1], [0, 1, 3], [0, 1, 3, 3]]);
    // After a reset, reviews without a learning answer give nothing (Anki drops such cards from training).
    expect(buildTrainingItems([...before, reset, ...cont], BERLIN).items).toEqual([]);
  });

  it('ignores unscheduled and manual rows without breaking the learning block', () => {
    const rows = [
      row(1, days(1), 3, 0),
      row(1, '2026-05-01T11:00:00Z', 1, 2, { scheduled: false, kind: 'quiz' }),
      row(1, '2026-05-01T12:00:00Z', 3, 1),
      row(1, days(3), 3, 2),
    ];
    expect(deltas(buildTrainingItems(rows, BERLIN).items)).toEqual([[0, 0, 2]]);
  });

  it('without stateBefore, a card history starts at its first answer', () => {
    const rows = [row(1, days(1), 3), row(1, days(2), 3), row(1, days(6), 2)];
    expect(deltas(buildTrainingItems(rows, BERLIN).items)).toEqual([[0, 1], [0, 1, 4]]);
  });

  it('sorts rows per card and orders items by the review they predict', () => {
    const rows = [row(2, days(3), 3, 2), row(1, days(5), 3, 2), row(2, days(1), 3, 0), row(1, days(2), 3, 0)];
    const { items } = buildTrainingItems(rows, BERLIN);
    expect(deltas(items)).toEqual([[0, 2], [0, 3]]);
  });

  it('rejects an unknown time zone and a bad day start', () => {
    expect(() => buildTrainingItems([], { timeZone: 'Mars/Olympus', dayStartHour: 4 })).toThrow(RecallError);
    expect(() => buildTrainingItems([], { timeZone: 'UTC', dayStartHour: 24 })).toThrow(RecallError);
  });
});

describe('guards', () => {
  it('refuses to optimize with too little history, saying how much there is and how much is needed', async () => {
    const rows: OptimizerRow[] = [];
    for (let card = 0; card < 100; card++) {
      rows.push(row(card, '2026-05-01T10:00:00Z', 3, 0), row(card, '2026-05-03T10:00:00Z', 3, 2), row(card, '2026-05-09T10:00:00Z', 3, 2));
    }
    const err = await optimize(rows, BERLIN).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RecallError);
    expect((err as RecallError).code).toBe('too-little-history');
    expect((err as RecallError).message).toContain('300');
    expect((err as RecallError).message).toContain(String(MIN_REVIEWS));
    expect(MIN_REVIEWS).toBe(400);
  });

  it('counts only usable reviews toward the minimum', async () => {
    // 500 rated answers, but on cards with no learning answer: nothing to learn from.
    const rows: OptimizerRow[] = [];
    for (let card = 0; card < 250; card++) rows.push(row(card, '2026-05-01T10:00:00Z', 3, 2), row(card, '2026-05-03T10:00:00Z', 3, 2));
    await expect(optimize(rows, BERLIN)).rejects.toMatchObject({ code: 'too-little-history', message: expect.stringContaining('are 0') });
  });

  it('never hands the binding an item it would reject or abort on', () => {
    // [0, 0] alone aborts the process inside the binding; the test passing at all shows it never got there.
    const sameDayOnly: TrainingItem[] = [
      { reviews: [{ rating: 3, deltaT: 0 }, { rating: 3, deltaT: 0 }] },
      { reviews: [{ rating: 3, deltaT: 0 }, { rating: 3, deltaT: 2 }, { rating: 3, deltaT: 0 }] },
    ];
    expect(() => evaluateParameters(sameDayOnly, DEFAULT_PARAMETERS)).toThrow(RecallError);
    return expect(fitParameters(sameDayOnly)).rejects.toBeInstanceOf(RecallError);
  });

  it('rejects malformed parameters and reviews instead of passing them to Rust', () => {
    const ok: TrainingItem[] = [{ reviews: [{ rating: 3, deltaT: 0 }, { rating: 3, deltaT: 2 }] }];
    expect(() => evaluateParameters(ok, [1, 2, 3])).toThrow(/17, 19 or 21/);
    const bad = [{ reviews: [{ rating: 3, deltaT: 0 }, { rating: 5, deltaT: 2 }] }] as unknown as TrainingItem[];
    expect(() => evaluateParameters(bad, DEFAULT_PARAMETERS)).toThrow(RecallError);
  });
});
