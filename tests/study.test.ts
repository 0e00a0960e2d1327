// The study loop as a use case, without a terminal: what is drawn on the buttons is what is saved (with a deck's own
// preset, for every grade of a new, a learning and a review card), every card action is a logged event that undo
// takes back, and two sessions on one card give one review and one notice.
import Database from 'better-sqlite3';
import { copyFileSync, mkdirSync, readFileSync, renameSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { commitAnswer, drawCard, type Drawn } from '../src/app/answer.js';
import { applyCardAction } from '../src/app/card-actions.js';
import { openContext, type Context } from '../src/app/context.js';
import { resolveDeckIds } from '../src/app/decks.js';
import { importPaths } from '../src/app/import.js';
import { checkCardFlags, findScheduleMismatches } from '../src/app/maintenance.js';
import { setOption } from '../src/app/options.js';
import { openStudy, type Study } from '../src/app/study.js';
import { undoLast } from '../src/app/undo.js';
import { GRADES, type Grade } from '../src/core/types.js';
import { createScheduler } from '../src/scheduler/index.js';
import { tempDir } from './helpers/cli.js';

const T0 = Date.parse('2026-03-10T09:00:00Z');
const DAY = 86_400_000;
const MIN = 60_000;

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.reverse()) c();
  cleanups = [];
});

/** A context on a fresh database with one deck of `n` basic cards, a movable clock, UTC days, fuzz on. */
function setup(n = 6, deckName = 'Study'): { ctx: Context; at: (ms: number) => void; dir: string; db: string; deckId: number } {
  const t = tempDir('recall-study-');
  cleanups.push(t.cleanup);
  const db = join(t.dir, 'r.db');
  const deck = join(t.dir, 'd.deck');
  writeFileSync(deck, `deck: ${deckName}\n\n${Array.from({ length: n }, (_, i) => `--- basic s${i}\nQ: question ${i}\nA: answer ${i}\n`).join('\n')}`);
  let now = T0;
  const ctx = openContext({ db, env: { RECALL_NOW: new Date(T0).toISOString() } });
  ctx.clock = () => now;
  cleanups.push(() => ctx.store.close());
  ctx.store.transaction(() => {
    ctx.store.setSetting('timeZone', 'UTC');
    ctx.store.setSetting('newPerDay', 100);
  });
  ctx.reloadSettings();
  importPaths(ctx, [deck]);
  const deckId = ctx.store.deckByName(deckName)!.id;
  return { ctx, at: (ms) => void (now = ms), dir: t.dir, db, deckId };
}

/** Distinctive FSRS-6 parameters: initial stabilities and growth far from the defaults, so a wrong scheduler shows. */
const PRESET = [0.9, 2.5, 8.0, 40.0, 6.8, 0.6, 2.2, 0.002, 1.8, 0.12, 1.1, 1.6, 0.07, 0.4, 1.7, 0.5, 3.0, 0.5, 0.3, 0.1, 0.15];

/** The deck's own parameters, in a preset of its own, as `recall optimize --deck` stores them. */
function withPreset(ctx: Context, deckName: string) {
  setOption(ctx, 'parameters', PRESET, { deck: deckName });
}

/** The answer row and schedule as stored. */
function saved(db: string, cardId: number) {
  const conn = new Database(db, { readonly: true });
  try {
    const review = conn.prepare('SELECT reviewed_at AS at, due, stability FROM reviews WHERE card_id = ? AND undone_at IS NULL ORDER BY id DESC LIMIT 1').get(cardId) as { at: number; due: number; stability: number };
    const schedule = conn.prepare('SELECT due, stability, last_review AS lastReview FROM schedules WHERE card_id = ?').get(cardId) as { due: number; stability: number; lastReview: number };
    return { review, schedule };
  } finally {
    conn.close();
  }
}

function next(study: Study) {
  const n = study.next();
  if (n.kind !== 'card') throw new Error(`expected a card, got ${n.kind}`);
  return n;
}

describe('what is shown is what is saved', () => {
  it('with a per-deck preset, for every grade of a new, a learning and a review card', () => {
    const { ctx, at, db, deckId } = setup(3);
    withPreset(ctx, 'Study');
    const global = createScheduler(ctx.settings);
    const study = openStudy(ctx, { deckIds: [deckId] });
    // Card states to try: a new card; one in learning (answered Good once); one in review (Easy, then a week later).
    const cards = ctx.store.cardIds({ deckIds: [deckId] });
    const learnDrawn = drawCard(ctx, ctx.store.getCard(cards[1]!)!);
    expect(commitAnswer(ctx, learnDrawn, 3, { durationMs: 1000 }).ok).toBe(true);
    const reviewDrawn = drawCard(ctx, ctx.store.getCard(cards[2]!)!);
    expect(commitAnswer(ctx, reviewDrawn, 4, { durationMs: 1000 }).ok).toBe(true);
    at(T0 + 20 * MIN);
    expect(ctx.store.getCard(cards[1]!)!.schedule!.state).toBe(1);
    const reviewDue = ctx.store.getCard(cards[2]!)!.schedule!;
    expect(reviewDue.state).toBe(2);

    let differsFromGlobal = 0;
    for (const [label, cardId, when] of [['new', cards[0]!, T0 + 20 * MIN], ['learning', cards[1]!, T0 + 20 * MIN], ['review', cards[2]!, reviewDue.due + 3 * DAY]] as const) {
      for (const g of GRADES) {
        at(when);
        const drawn = drawCard(ctx, ctx.store.getCard(cardId)!);
        const shown = drawn.intervals[g];
        // The learner thinks for 40 seconds: the saved interval is still the one on the button.
        at(when + 40_000);
        const res = commitAnswer(ctx, drawn, g, { durationMs: 40_000 });
        expect(res.ok, `${label} ${g}`).toBe(true);
        const { review, schedule } = saved(db, cardId);
        expect(review.due - review.at, `${label} grade ${g}: log`).toBe(shown);
        expect(schedule.due - schedule.lastReview, `${label} grade ${g}: schedule`).toBe(shown);
        expect(res.ok && res.intervalMs).toBe(shown);
        const other = global.answer(drawn.card.schedule, drawn.at, g, { day: drawn.day, lastReviewDay: drawn.lastReviewDay });
        if (other.schedule.due - drawn.at !== shown) differsFromGlobal++;
        expect(undoLast(ctx)?.kind).toBe('answer');
      }
    }
    // The preset is really in use: every answer that leaves the learning steps (days, not minutes) gets another
    // interval than the global parameters would give.
    expect(differsFromGlobal).toBeGreaterThanOrEqual(4);
    expect(findScheduleMismatches(ctx)).toEqual([]);
  });

  it('the study day rolling over while the card is on screen: the interval shown is still the one saved', () => {
    const { ctx, at, db, deckId } = setup(1);
    withPreset(ctx, 'Study');
    const card = ctx.store.getCard(ctx.store.cardIds({ deckIds: [deckId] })[0]!)!;
    // Drawn at 03:59:50 UTC, answered at 04:00:10: in a new study day, which would give another interval.
    at(Date.parse('2026-03-09T09:00:00Z'));
    expect(commitAnswer(ctx, drawCard(ctx, card), 4, { durationMs: 1 }).ok).toBe(true);
    // Two days after it fell due, ten seconds before the study day ends (days start at 04:00 UTC here).
    const day = new Date(ctx.store.getCard(card.id)!.schedule!.due + 2 * DAY);
    day.setUTCHours(3, 59, 50, 0);
    at(day.getTime());
    const drawn = drawCard(ctx, ctx.store.getCard(card.id)!);
    at(day.getTime() + 20_000);
    const res = commitAnswer(ctx, drawn, 3, { durationMs: 20_000 });
    expect(res.ok).toBe(true);
    const { review } = saved(db, card.id);
    expect(review.due - review.at).toBe(drawn.intervals[3]);
    // Recorded at the moment the outcome was computed for, so replay gives it back exactly.
    expect(review.at).toBe(drawn.at);
    expect(findScheduleMismatches(ctx)).toEqual([]);
  });

  it('the study session hands over the intervals of the card it draws, and commits them', () => {
    const { ctx, at, db, deckId } = setup(4);
    withPreset(ctx, 'Study');
    const study = openStudy(ctx, { deckIds: [deckId] });
    for (let i = 0; i < 8; i++) {
      const n = study.next();
      if (n.kind !== 'card') break;
      const g = GRADES[i % 4]!;
      at(ctx.clock() + 5_000);
      const res = study.answer(n.drawn, g, { durationMs: 5_000 });
      expect(res.ok).toBe(true);
      const { review } = saved(db, n.drawn.card.id);
      expect(review.due - review.at).toBe(n.drawn.intervals[g]);
    }
  });
});

describe('card actions are logged events that undo takes back', () => {
  it('s then u: the card is unsuspended and the previous answer untouched; b then u likewise', () => {
    const { ctx, db, deckId } = setup(4);
    const study = openStudy(ctx, { deckIds: [deckId] });
    const a = next(study);
    expect(study.answer(a.drawn, 3, { durationMs: 1000 }).ok).toBe(true);
    const answered = saved(db, a.drawn.card.id);

    for (const how of ['suspend', 'bury'] as const) {
      const b = next(study);
      if (how === 'suspend') study.suspend(b.drawn);
      else study.bury(b.drawn);
      const flagged = ctx.store.getCard(b.drawn.card.id)!;
      expect(how === 'suspend' ? flagged.suspended : flagged.buriedUntil !== null).toBe(true);
      expect(next(study).drawn.card.id).not.toBe(b.drawn.card.id);
      const u = study.undo()!;
      expect(u).toMatchObject({ kind: how, cardIds: [b.drawn.card.id], requeued: true });
      const back = ctx.store.getCard(b.drawn.card.id)!;
      expect(back).toMatchObject({ suspended: false, buriedUntil: null });
      // The card is shown again, and the answer before it stands.
      expect(next(study).drawn.card.id).toBe(b.drawn.card.id);
      expect(saved(db, a.drawn.card.id)).toEqual(answered);
      expect(ctx.store.cardEvents(b.drawn.card.id).map((e) => [e.data.kind, e.undone])).toEqual(
        how === 'suspend' ? [['suspend', true]] : [['suspend', true], ['bury', true]],
      );
    }
    expect(checkCardFlags(ctx, false)).toEqual([]);
  });

  it('the next due time skips suspended and buried cards, and new ones, in every state that has a due time', () => {
    const { ctx, deckId } = setup(6);
    const ids = ctx.store.cardIds({ deckIds: [deckId] });
    // Again leaves a learning card due in minutes; Easy gives days; a set due date puts one further out.
    const grades: Grade[] = [1, 4, 3, 4];
    grades.forEach((g, i) => expect(commitAnswer(ctx, drawCard(ctx, ctx.store.getCard(ids[i]!)!), g, { durationMs: 1000 }).ok).toBe(true));
    const due = (id: number) => ctx.store.getCard(id)!.schedule!.due;
    const brute = (exclude: number[], after = -1) => {
      const left = ids.slice(0, 4).filter((id) => !exclude.includes(id) && due(id) > after).map(due);
      return left.length ? Math.min(...left) : null;
    };
    expect(ctx.store.nextDue(T0, [deckId])).toBe(brute([]));
    applyCardAction(ctx, [ids[0]!], { kind: 'suspend' });
    expect(ctx.store.nextDue(T0, [deckId])).toBe(brute([ids[0]!]));
    const soonest = ids.slice(1, 4).reduce((a, b) => (due(a) <= due(b) ? a : b));
    applyCardAction(ctx, [soonest], { kind: 'bury' });
    const skipped = [ids[0]!, soonest];
    expect(ctx.store.nextDue(T0, [deckId])).toBe(brute(skipped));
    // Only after a given time; and nothing for a deck that has no cards.
    const first = brute(skipped)!;
    expect(ctx.store.nextDue(T0, [deckId], first)).toBe(brute(skipped, first));
    expect(ctx.store.nextDue(T0, null, first)).toBe(brute(skipped, first));
    expect(ctx.store.nextDue(T0, [deckId + 999])).toBeNull();
  });

  it('undo takes back actions of different kinds in reverse order, each reported, then says there is nothing left', () => {
    const { ctx, deckId } = setup(4);
    const [c1, c2, c3] = ctx.store.cardIds({ deckIds: [deckId] });
    expect(commitAnswer(ctx, drawCard(ctx, ctx.store.getCard(c1!)!), 2, { durationMs: 1000 }).ok).toBe(true);
    applyCardAction(ctx, [c2!], { kind: 'bury' });
    applyCardAction(ctx, [c2!, c3!], { kind: 'suspend' });
    const kinds: string[] = [];
    for (let r = undoLast(ctx); r; r = undoLast(ctx)) kinds.push(`${r.kind}:${r.cardIds.join(',')}`);
    expect(kinds).toEqual([`suspend:${c2},${c3}`, `bury:${c2}`, `answer:${c1}`]);
    for (const id of [c1!, c2!, c3!]) expect(ctx.store.getCard(id)).toMatchObject({ suspended: false, buriedUntil: null, schedule: null });
    expect(undoLast(ctx)).toBeNull();
  });

  it('answering buries the siblings of the note until tomorrow; undoing the answer unburies them', () => {
    const t = tempDir('recall-study-');
    cleanups.push(t.cleanup);
    const deck = join(t.dir, 'r.deck');
    writeFileSync(deck, 'deck: Rev\n\n--- reversed pair\nQ: front\nA: back\n');
    const ctx = openContext({ db: join(t.dir, 'r.db'), env: { RECALL_NOW: new Date(T0).toISOString() } });
    cleanups.push(() => ctx.store.close());
    importPaths(ctx, [deck]);
    const study = openStudy(ctx, { deckIds: resolveDeckIds(ctx, ['rev']) });
    const first = next(study);
    const res = study.answer(first.drawn, 3, { durationMs: 1000 });
    expect(res.ok && res.buried.length).toBe(1);
    if (!res.ok) throw new Error('not answered');
    const sibling = res.buried[0]!;
    expect(ctx.store.getCard(sibling)!.buriedUntil).toBe(ctx.dayEnd(T0));
    study.undo();
    expect(ctx.store.getCard(sibling)!.buriedUntil).toBeNull();
  });

  it('forget and set-due are log entries: replay puts them in place, undo takes them back', () => {
    const { ctx, at, deckId } = setup(2);
    const c1 = ctx.store.cardIds({ deckIds: [deckId] })[0]!;
    commitAnswer(ctx, drawCard(ctx, ctx.store.getCard(c1)!), 4, { durationMs: 1000 });
    const learnt = ctx.store.getCard(c1!)!.schedule!;
    at(T0 + DAY);
    applyCardAction(ctx, [c1!], { kind: 'set-due', days: 30 });
    const moved = ctx.store.getCard(c1!)!.schedule!;
    expect(moved).toMatchObject({ state: 2, stability: learnt.stability });
    expect(moved.due).toBe(ctx.dayEnd(T0 + 29 * DAY + DAY));
    applyCardAction(ctx, [c1!], { kind: 'forget' });
    expect(ctx.store.getCard(c1!)!.schedule).toMatchObject({ state: 0, reps: 0 });
    expect(findScheduleMismatches(ctx)).toEqual([]);
    expect(undoLast(ctx)?.kind).toBe('forget');
    expect(ctx.store.getCard(c1!)!.schedule).toEqual(moved);
    expect(undoLast(ctx)?.kind).toBe('set-due');
    expect(ctx.store.getCard(c1!)!.schedule).toEqual(learnt);
  });

  it('a move is an event; the card is scheduled by its new deck preset, and undo moves it back', () => {
    const { ctx, deckId } = setup(2);
    const other = ctx.store.transaction(() => ctx.store.upsertDeck({ name: 'Other', description: '', source: '', origin: 'file', path: null, fileHash: null }, T0));
    withPreset(ctx, 'Other');
    const [c1] = ctx.store.cardIds({ deckIds: [deckId] });
    commitAnswer(ctx, drawCard(ctx, ctx.store.getCard(c1!)!), 4, { durationMs: 1000 });
    const before = ctx.store.getCard(c1!)!.schedule!;
    applyCardAction(ctx, [c1!], { kind: 'move', deckId: other });
    const moved = ctx.store.getCard(c1!)!;
    expect(moved.deckId).toBe(other);
    expect(moved.schedule!.stability).not.toBe(before.stability);
    expect(findScheduleMismatches(ctx)).toEqual([]);
    undoLast(ctx);
    expect(ctx.store.getCard(c1!)).toMatchObject({ deckId, schedule: before });
  });
});

describe('two sessions on one card', () => {
  it('one review row, one notice, no error', () => {
    const { ctx, db, deckId } = setup(2);
    const other = openContext({ db, env: { RECALL_NOW: new Date(T0).toISOString() } });
    cleanups.push(() => other.store.close());
    const a = openStudy(ctx, { deckIds: [deckId] });
    const b = openStudy(other, { deckIds: [deckId] });
    const shownA = next(a);
    const shownB = next(b);
    expect(shownA.drawn.card.id).toBe(shownB.drawn.card.id);
    expect(a.answer(shownA.drawn, 3, { durationMs: 1000 }).ok).toBe(true);
    expect(b.answer(shownB.drawn, 4, { durationMs: 1000 })).toEqual({ ok: false, reason: 'answered-elsewhere' });
    // B moves on to the other card instead of showing the answered one again.
    expect(next(b).drawn.card.id).not.toBe(shownA.drawn.card.id);
    const conn = new Database(db, { readonly: true });
    expect(conn.prepare('SELECT count(*) FROM reviews WHERE card_id = ?').pluck().get(shownA.drawn.card.id)).toBe(1);
    conn.close();
  });

  it('a card suspended in another session since it was drawn is not answered', () => {
    const { ctx, db, deckId } = setup(2);
    const other = openContext({ db, env: { RECALL_NOW: new Date(T0).toISOString() } });
    cleanups.push(() => other.store.close());
    const drawn: Drawn = next(openStudy(ctx, { deckIds: [deckId] })).drawn;
    applyCardAction(other, [drawn.card.id], { kind: 'suspend' });
    expect(commitAnswer(ctx, drawn, 3, { durationMs: 1000 })).toEqual({ ok: false, reason: 'changed' });
    expect(ctx.store.cardLog(drawn.card.id)).toEqual([]);
  });
});

describe('the typical answer time', () => {
  it("a card with little history of its own takes the deck's latest answers by time, not the last rows stored", () => {
    const { ctx, db, deckId } = setup(8);
    const ids = Object.fromEntries(ctx.store.deckCards(deckId).map((c) => [c.uid, c.id]));
    // As after a pull or an import, the log is stored card by card: s1-s4's recent answers (5 s) first, then s5-s7's
    // answers of a month ago (30 s), which end up with the highest local ids.
    const raw = new Database(db);
    const put = raw.prepare(
      `INSERT INTO reviews (uid, card_id, rating, state_before, state_after, due, stability, difficulty, elapsed_days, scheduled_days,
         reviewed_at, duration_ms, kind, day) VALUES (?, ?, 3, 2, 2, ?, 10, 5, 3, 10, ?, ?, 'review', ?)`,
    );
    let n = 0;
    const answers = (uid: string, at: number, ms: number, count: number) => {
      for (let i = 0; i < count; i++) put.run(`t${n++}`, ids[uid], at + i * MIN + 10 * DAY, at + i * MIN, ms, Math.floor((at + i * MIN) / DAY));
    };
    for (const uid of ['s1', 's2', 's3', 's4']) answers(uid, T0 - DAY, 5_000, 8);
    for (const uid of ['s5', 's6', 's7']) answers(uid, T0 - 30 * DAY, 30_000, 20);
    raw.close();
    // The latest 50 by time are the 32 recent answers and 18 old ones: their median is a recent one. The last 50
    // stored are all old.
    expect(ctx.store.typicalDuration(ids.s0!, deckId, 'basic')).toBe(5_000);
    // A card with three answers of its own goes by them.
    expect(ctx.store.typicalDuration(ids.s5!, deckId, 'basic')).toBe(30_000);
  });
});

describe('grade buttons', () => {
  it('every grade of every state gives a non-negative interval, and Again <= Hard <= Good <= Easy', () => {
    const { ctx, deckId } = setup(1);
    const id = ctx.store.cardIds({ deckIds: [deckId] })[0]!;
    const drawn = drawCard(ctx, ctx.store.getCard(id)!);
    const iv = GRADES.map((g: Grade) => drawn.intervals[g]);
    expect(iv.every((x) => x >= 0)).toBe(true);
    expect([...iv].sort((x, y) => x - y)).toEqual(iv);
  });
});

describe('the review queue', () => {
  it('is the most overdue eligible cards of the chosen decks, in due order, up to the limit (an oracle over schedules)', () => {
    const { ctx, db, dir, at } = setup(30, 'Q1');
    for (const name of ['Q2', 'Q3']) {
      const file = join(dir, `${name}.deck`);
      writeFileSync(file, `deck: ${name}\n\n${Array.from({ length: 30 }, (_, i) => `--- basic ${name}-${i}\nQ: q ${i}\nA: a ${i}\n`).join('\n')}`);
      importPaths(ctx, [file]);
    }
    const ids = ctx.store.cardIds({ deckIds: null });
    // Every card answered Easy, the n-th card of each deck at the same moment: review cards whose due times tie three
    // ways across the decks (same state, same moment, same fuzz), so ties must be cut by card id as the oracle cuts
    // them, whatever order the decks are listed in.
    ids.forEach((id, i) => {
      at(T0 + (i % 30) * 7 * MIN + (i % 5) * DAY);
      expect(commitAnswer(ctx, drawCard(ctx, ctx.store.getCard(id)!), 4, { durationMs: 1000 }).ok).toBe(true);
    });
    const now = T0 + 400 * DAY;
    at(now);
    applyCardAction(ctx, ids.filter((_, i) => i % 7 === 0), { kind: 'suspend' });
    applyCardAction(ctx, ids.filter((_, i) => i % 11 === 3), { kind: 'bury' });
    const conn = new Database(db, { readonly: true });
    const oracle = (deckIds: number[] | null, limit: number) =>
      conn.prepare(
        `SELECT s.card_id FROM schedules s JOIN cards c ON c.id = s.card_id
         WHERE s.state = 2 AND s.due < ? AND c.suspended = 0 AND c.removed = 0 AND (c.buried_until IS NULL OR c.buried_until <= ?)
           ${deckIds ? `AND c.deck_id IN (${deckIds.join(',')})` : ''} ORDER BY s.due, s.card_id LIMIT ?`,
      ).pluck().all(now + DAY, now, limit) as number[];
    const decks = ['Q1', 'Q2', 'Q3'].map((n) => ctx.store.deckByName(n)!.id);
    try {
      for (const deckIds of [null, decks, [decks[0]!, decks[2]!], [decks[2]!, decks[0]!], [decks[1]!]]) {
        // Up to 1000 each deck is walked apart and the lists merged; above, one sorted pass: both against the oracle.
        for (const limit of [0, 1, 7, 25, 60, 999, 5000]) {
          const queue = ctx.store.studyCards({ deckIds, now, dayEnd: now + DAY, newLimit: 0, reviewLimit: limit }).filter((c) => c.schedule?.state === 2);
          expect(queue.map((c) => c.id)).toEqual(oracle(deckIds, limit));
        }
      }
      expect(oracle(null, 999).length).toBeGreaterThan(60);
      const dues = conn.prepare('SELECT due FROM schedules WHERE state = 2').pluck().all() as number[];
      expect(new Set(dues).size).toBeLessThan(dues.length);
    } finally {
      conn.close();
    }
  });
});

describe('the write-ahead log between answers', () => {
  it('room is reserved step by step and folded back, so answers never grow the log file; a crash keeps every answer', () => {
    const { ctx, db, dir, at } = setup(3);
    const ids = ctx.store.cardIds({ deckIds: null });
    const walSize = () => statSync(`${db}-wal`).size;
    const MB = 1 << 20;
    let now = T0;
    const answer = (i: number) => {
      const drawn = drawCard(ctx, ctx.store.getCard(ids[i % ids.length]!)!);
      now += 10 * MIN;
      at(now);
      expect(commitAnswer(ctx, drawn, 3, { durationMs: 1000 }).ok).toBe(true);
    };
    answer(0);
    // The first card is drawn at once: nothing reserved yet.
    expect(walSize()).toBeLessThan(MB);
    answer(1);
    expect(walSize()).toBe(8 * MB);
    // 600 answers write half as much again as the 24 MB the room grows to (each dirties a dozen or more 4 KB
    // pages): without the folds between answers the file would grow past it, and without the room ahead it would
    // grow before it.
    const sizes = new Set<number>();
    for (let i = 2; i < 600; i++) {
      answer(i);
      sizes.add(walSize());
    }
    expect([...sizes].sort((x, y) => x - y)).toEqual([8 * MB, 16 * MB, 24 * MB]);
    // A crash now (the files copied as they are, no checkpoint, no -shm): recovery reads the log up to its last
    // commit and ignores the zeros and stale frames after it.
    const crashed = join(dir, 'crashed');
    mkdirSync(crashed);
    copyFileSync(db, join(crashed, 'r.db'));
    copyFileSync(`${db}-wal`, join(crashed, 'r.db-wal'));
    const conn = new Database(join(crashed, 'r.db'));
    try {
      expect(conn.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(conn.prepare('SELECT count(*) FROM reviews').pluck().get()).toBe(600);
      expect(conn.prepare('SELECT max(reviewed_at) FROM reviews').pluck().get()).toBe(now);
    } finally {
      conn.close();
    }
    expect(findScheduleMismatches(ctx)).toEqual([]);
  });
  it('a symlinked database: the room is made in the real log, beside the real file, and nothing else is touched', () => {
    const { ctx, db, dir } = setup(3);
    ctx.store.close();
    mkdirSync(join(dir, 'real'));
    renameSync(db, join(dir, 'real', 'r.db'));
    const link = join(dir, 'link.db');
    symlinkSync(join('real', 'r.db'), link);
    writeFileSync(`${link}-wal`, 'unrelated\n');
    const linked = openContext({ db: link, env: { RECALL_NOW: new Date(T0).toISOString() } });
    cleanups.push(() => linked.store.close());
    for (const id of linked.store.cardIds({ deckIds: null })) {
      expect(commitAnswer(linked, drawCard(linked, linked.store.getCard(id)!), 3, { durationMs: 1000 }).ok).toBe(true);
    }
    expect(readFileSync(`${link}-wal`, 'utf8')).toBe('unrelated\n');
    expect(statSync(join(dir, 'real', 'r.db-wal')).size).toBe(8 << 20);
  });
});
