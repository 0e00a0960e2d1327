import { describe, expect, it } from 'vitest';
import type { Schedule } from '../src/core/types.js';
import { applyAnswer, applyUndo, createSession, dropCard, nextCard, remaining, restoreCard, setAside, summarize, type SessionCard } from '../src/session/session.js';

const NOW = Date.parse('2026-02-01T10:00:00Z');
const DAY_END = Date.parse('2026-02-02T04:00:00Z');
const MIN = 60_000;

const sched = (state: 0 | 1 | 2 | 3, due: number): Schedule => ({
  state, due, stability: 3, difficulty: 5, elapsedDays: 0, scheduledDays: 0, learningSteps: 0, reps: 1, lapses: 0, lastReview: NOW - MIN,
});
let nextId = 1;
const card = (schedule: Schedule | null, noteUid?: string): SessionCard => {
  const id = nextId++;
  return { id, deckId: 1, deckName: 'd', noteUid: noteUid ?? `n${id}`, content: { type: 'basic', front: `q${id}`, back: `a${id}` }, schedule };
};

describe('session queue', () => {
  it('shows due learning cards, then reviews, then new cards', () => {
    const n = card(null);
    const r = card(sched(2, NOW - 1000));
    const l = card(sched(1, NOW - 1000));
    const s = createSession([n, r, l], { dayEnd: DAY_END, newLeft: 20, reviewsLeft: 200 });
    expect(nextCard(s, NOW)).toMatchObject({ kind: 'card', card: { id: l.id }, bucket: 'learning' });
    const s2 = dropCard(s, l.id);
    expect(nextCard(s2, NOW)).toMatchObject({ card: { id: r.id }, bucket: 'review' });
    expect(nextCard(dropCard(s2, r.id), NOW)).toMatchObject({ card: { id: n.id }, bucket: 'new' });
  });

  it('respects the daily limits', () => {
    const cards = [card(null), card(null), card(null), card(sched(2, NOW)), card(sched(2, NOW))];
    let s = createSession(cards, { dayEnd: DAY_END, newLeft: 1, reviewsLeft: 1 });
    expect(remaining(s)).toEqual({ new: 1, learning: 0, review: 1 });
    const first = nextCard(s, NOW);
    if (first.kind !== 'card') throw new Error('expected a card');
    s = applyAnswer(s, first.card, first.bucket, sched(2, NOW + 5 * 86_400_000), { actionUid: 'a1', grade: 3, durationMs: 1000 });
    const second = nextCard(s, NOW);
    if (second.kind !== 'card') throw new Error('expected a card');
    expect(second.bucket).toBe('new');
    s = applyAnswer(s, second.card, second.bucket, sched(2, NOW + 3 * 86_400_000), { actionUid: 'a2', grade: 4, durationMs: 1000 });
    expect(nextCard(s, NOW)).toEqual({ kind: 'done' });
  });

  it('brings learning cards back in the same session when their step is due', () => {
    const a = card(null);
    const b = card(null);
    let s = createSession([a, b], { dayEnd: DAY_END, newLeft: 20, reviewsLeft: 200, learnAheadMs: 0 });
    s = applyAnswer(s, a, 'new', sched(1, NOW + 10 * MIN), { actionUid: 'a1', grade: 3, durationMs: 5 });
    expect(nextCard(s, NOW)).toMatchObject({ card: { id: b.id } });
    s = applyAnswer(s, b, 'new', sched(2, NOW + 86_400_000 * 2), { actionUid: 'a2', grade: 4, durationMs: 5 });
    expect(nextCard(s, NOW)).toEqual({ kind: 'wait', until: NOW + 10 * MIN, card: expect.objectContaining({ id: a.id }) });
    expect(nextCard(s, NOW + 10 * MIN)).toMatchObject({ kind: 'card', card: { id: a.id }, bucket: 'learning' });
  });

  it('learn-ahead shows a learning card early when nothing else is left', () => {
    const a = card(null);
    let s = createSession([a], { dayEnd: DAY_END, newLeft: 20, reviewsLeft: 200 });
    s = applyAnswer(s, a, 'new', sched(1, NOW + 10 * MIN), { actionUid: 'a1', grade: 3, durationMs: 5 });
    expect(nextCard(s, NOW)).toMatchObject({ kind: 'card', card: { id: a.id } });
  });

  it('a learning step past the end of the day leaves the session', () => {
    const a = card(null);
    let s = createSession([a], { dayEnd: DAY_END, newLeft: 20, reviewsLeft: 200 });
    s = applyAnswer(s, a, 'new', sched(3, DAY_END + MIN), { actionUid: 'a1', grade: 1, durationMs: 5 });
    expect(nextCard(s, NOW)).toEqual({ kind: 'done' });
  });

  it('buries the siblings of an answered card for the day, and undo brings them back', () => {
    const fwd = card(null, 'pair');
    const back = card(null, 'pair');
    const other = card(null);
    let s = createSession([fwd, back, other], { dayEnd: DAY_END, newLeft: 20, reviewsLeft: 200 });
    s = applyAnswer(s, fwd, 'new', sched(2, NOW + 86_400_000 * 3), { actionUid: 'a7', grade: 4, durationMs: 5 });
    expect(s.news.map((c) => c.id)).toEqual([other.id]);
    const u = applyUndo(s)!;
    expect(u.undone).toMatchObject({ kind: 'answer', actionUid: 'a7' });
    expect(u.undone.kind === 'answer' && u.undone.buried.map((b) => b.card.id)).toEqual([back.id]);
    expect(u.state.news.map((c) => c.id)).toEqual([fwd.id, back.id, other.id]);
    expect(u.state.newLeft).toBe(20);
    expect(nextCard(u.state, NOW)).toMatchObject({ card: { id: fwd.id } });
  });

  it('undo of a card that came back in learning removes its requeued copy', () => {
    const a = card(null);
    let s = createSession([a], { dayEnd: DAY_END, newLeft: 20, reviewsLeft: 200 });
    s = applyAnswer(s, a, 'new', sched(1, NOW + MIN), { actionUid: 'a1', grade: 1, durationMs: 5 });
    expect(s.learning).toHaveLength(1);
    const u = applyUndo(s)!;
    expect(u.state.learning).toHaveLength(0);
    expect(u.state.news.map((c) => c.id)).toEqual([a.id]);
    expect(applyUndo(u.state)).toBeNull();
  });

  it('summarizes reviewed cards, time and again count', () => {
    const a = card(null);
    const b = card(null);
    let s = createSession([a, b], { dayEnd: DAY_END, newLeft: 20, reviewsLeft: 200 });
    s = applyAnswer(s, a, 'new', sched(1, NOW + MIN), { actionUid: 'a1', grade: 1, durationMs: 4000 });
    s = applyAnswer(s, b, 'new', sched(1, NOW + 10 * MIN), { actionUid: 'a2', grade: 3, durationMs: 2000 });
    expect(summarize(s)).toEqual({ reviewed: 2, again: 1, timeMs: 6000 });
  });

  it('a card buried or suspended from the session leaves it, and undo puts it back at the front without counting it', () => {
    const a = card(null);
    const b = card(null);
    let s = createSession([a, b], { dayEnd: DAY_END, newLeft: 1, reviewsLeft: 200 });
    s = setAside(s, a, 'new', 'x1', 'bury');
    expect(nextCard(s, NOW)).toMatchObject({ card: { id: b.id } });
    expect(summarize(s).reviewed).toBe(0);
    const u = applyUndo(s)!;
    expect(u.undone).toMatchObject({ kind: 'set-aside', how: 'bury', actionUid: 'x1' });
    expect(u.state.newLeft).toBe(1);
    expect(nextCard(u.state, NOW)).toMatchObject({ card: { id: a.id }, bucket: 'new' });
  });

  it('restoreCard puts a card back at the front of its own queue, making room under the limit', () => {
    const r = card(sched(2, NOW - 1000));
    const r2 = card(sched(2, NOW - 2000));
    let s = createSession([r2], { dayEnd: DAY_END, newLeft: 0, reviewsLeft: 0 });
    expect(nextCard(s, NOW)).toEqual({ kind: 'done' });
    s = restoreCard(s, r);
    expect(nextCard(s, NOW)).toMatchObject({ card: { id: r.id }, bucket: 'review' });
  });
});
