// The review session as a pure state machine: cards and the clock come in, the next card (or a wait) comes out.
// Storage and the terminal are the caller's business.
import type { CardContent, CardExtras, Grade, Schedule } from '../core/types.js';

export interface SessionCard {
  id: number;
  deckId: number;
  deckName: string;
  noteUid: string;
  content: CardContent & CardExtras;
  schedule: Schedule | null;
}

export type Bucket = 'learning' | 'review' | 'new';

/** What the session did with a card, newest last; `u` takes back the last one. */
export type HistoryEntry =
  | {
      kind: 'answer';
      card: SessionCard;
      bucket: Bucket;
      /** The stored action this answer was, so an undo can tell it is this one. */
      actionUid: string;
      grade: Grade;
      durationMs: number;
      /** Sibling cards taken out of the session (and buried) because of this answer. */
      buried: { card: SessionCard; bucket: Bucket }[];
      requeued: boolean;
    }
  /** Buried or suspended from the session. */
  | { kind: 'set-aside'; card: SessionCard; bucket: Bucket; actionUid: string; how: 'bury' | 'suspend' };

export interface SessionState {
  learning: SessionCard[];
  reviews: SessionCard[];
  news: SessionCard[];
  newLeft: number;
  reviewsLeft: number;
  dayEnd: number;
  learnAheadMs: number;
  history: HistoryEntry[];
}

export interface SessionOptions {
  dayEnd: number;
  /** How many new cards and reviews may still be studied today (limits minus what was done already). */
  newLeft: number;
  reviewsLeft: number;
  /** When nothing else is left, learning cards due within this window are shown early (Anki: 20 minutes). */
  learnAheadMs?: number;
}

export type Next =
  | { kind: 'card'; card: SessionCard; bucket: Bucket }
  | { kind: 'wait'; until: number; card: SessionCard }
  | { kind: 'done' };

export function bucketOf(card: SessionCard): Bucket {
  const state = card.schedule?.state ?? 0;
  return state === 0 ? 'new' : state === 2 ? 'review' : 'learning';
}

export function createSession(cards: readonly SessionCard[], opts: SessionOptions): SessionState {
  const learning: SessionCard[] = [];
  const reviews: SessionCard[] = [];
  const news: SessionCard[] = [];
  const seen = new Set<number>();
  for (const c of cards) {
    if (seen.has(c.id)) continue;
    seen.add(c.id);
    const b = bucketOf(c);
    if (b === 'learning') learning.push(c);
    else if (b === 'review') reviews.push(c);
    else news.push(c);
  }
  learning.sort((a, b) => a.schedule!.due - b.schedule!.due);
  return {
    learning,
    reviews,
    news,
    newLeft: Math.max(0, opts.newLeft),
    reviewsLeft: Math.max(0, opts.reviewsLeft),
    dayEnd: opts.dayEnd,
    learnAheadMs: opts.learnAheadMs ?? 20 * 60_000,
    history: [],
  };
}

export function nextCard(s: SessionState, now: number): Next {
  const firstLearning = s.learning[0];
  if (firstLearning && firstLearning.schedule!.due <= now) return { kind: 'card', card: firstLearning, bucket: 'learning' };
  if (s.reviewsLeft > 0 && s.reviews[0]) return { kind: 'card', card: s.reviews[0], bucket: 'review' };
  if (s.newLeft > 0 && s.news[0]) return { kind: 'card', card: s.news[0], bucket: 'new' };
  if (firstLearning && firstLearning.schedule!.due <= now + s.learnAheadMs) return { kind: 'card', card: firstLearning, bucket: 'learning' };
  if (firstLearning) return { kind: 'wait', until: firstLearning.schedule!.due, card: firstLearning };
  return { kind: 'done' };
}

/** Cards left to show, by bucket, within the day's limits: the counts shown above each card. */
export function remaining(s: SessionState): { new: number; learning: number; review: number } {
  return { new: Math.min(s.newLeft, s.news.length), learning: s.learning.length, review: Math.min(s.reviewsLeft, s.reviews.length) };
}

function without(list: SessionCard[], id: number): SessionCard[] {
  return list.filter((c) => c.id !== id);
}

function insertByDue(list: SessionCard[], card: SessionCard): SessionCard[] {
  const out = [...list];
  const i = out.findIndex((c) => c.schedule!.due > card.schedule!.due);
  out.splice(i === -1 ? out.length : i, 0, card);
  return out;
}

/**
 * Applies a committed answer: the card leaves its queue, comes back later today if it is still in (re)learning,
 * and its siblings leave the session (they are buried until tomorrow).
 */
export function applyAnswer(
  s: SessionState,
  card: SessionCard,
  bucket: Bucket,
  after: Schedule,
  info: { actionUid: string; grade: Grade; durationMs: number },
): SessionState {
  const buried: { card: SessionCard; bucket: Bucket }[] = [];
  const isSibling = (c: SessionCard) => c.id !== card.id && c.deckId === card.deckId && c.noteUid === card.noteUid;
  for (const [list, b] of [[s.learning, 'learning'], [s.reviews, 'review'], [s.news, 'new']] as const) {
    for (const c of list) if (isSibling(c) && b !== 'learning') buried.push({ card: c, bucket: b });
  }
  const buriedIds = new Set(buried.map((b) => b.card.id));
  const keep = (c: SessionCard) => c.id !== card.id && !buriedIds.has(c.id);
  let learning = s.learning.filter(keep);
  const requeued = (after.state === 1 || after.state === 3) && after.due < s.dayEnd;
  if (requeued) learning = insertByDue(learning, { ...card, schedule: after });
  return {
    ...s,
    learning,
    reviews: s.reviews.filter(keep),
    news: s.news.filter(keep),
    newLeft: s.newLeft - (bucket === 'new' ? 1 : 0),
    reviewsLeft: s.reviewsLeft - (bucket === 'review' ? 1 : 0),
    history: [...s.history, { kind: 'answer', card, bucket, actionUid: info.actionUid, grade: info.grade, durationMs: info.durationMs, buried, requeued }],
  };
}

/** A card buried or suspended from the session: it leaves the session, and the history remembers it for undo. */
export function setAside(s: SessionState, card: SessionCard, bucket: Bucket, actionUid: string, how: 'bury' | 'suspend'): SessionState {
  return { ...dropCard(s, card.id), history: [...s.history, { kind: 'set-aside', card, bucket, actionUid, how }] };
}

/** Puts a card (back) at the front of its queue: one whose bury, suspension or answer was undone outside this session's history. */
export function restoreCard(s: SessionState, card: SessionCard): SessionState {
  const rest = dropCard(s, card.id);
  const bucket = bucketOf(card);
  if (bucket === 'learning') return { ...rest, learning: insertByDue(rest.learning, card) };
  if (bucket === 'review') return { ...rest, reviews: [card, ...rest.reviews], reviewsLeft: Math.max(rest.reviewsLeft, 1) };
  return { ...rest, news: [card, ...rest.news], newLeft: Math.max(rest.newLeft, 1) };
}

/**
 * Takes back the last entry of the history: the card returns to the front of its queue as it was; after an answer,
 * the siblings it buried come back too.
 */
export function applyUndo(s: SessionState): { state: SessionState; undone: HistoryEntry } | null {
  const last = s.history[s.history.length - 1];
  if (!last) return null;
  const buried = last.kind === 'answer' ? last.buried : [];
  const counted = last.kind === 'answer';
  const put = (list: SessionCard[], bucket: Bucket): SessionCard[] => {
    const back = buried.filter((b) => b.bucket === bucket).map((b) => b.card);
    const self = last.bucket === bucket ? [last.card] : [];
    return [...self, ...back, ...without(list, last.card.id)];
  };
  let learning = without(s.learning, last.card.id);
  if (last.bucket === 'learning') learning = [last.card, ...learning];
  return {
    state: {
      ...s,
      learning,
      reviews: put(s.reviews, 'review'),
      news: put(s.news, 'new'),
      newLeft: s.newLeft + (counted && last.bucket === 'new' ? 1 : 0),
      reviewsLeft: s.reviewsLeft + (counted && last.bucket === 'review' ? 1 : 0),
      history: s.history.slice(0, -1),
    },
    undone: last,
  };
}

/** Removes a card from the session (buried, suspended, or answered elsewhere). */
export function dropCard(s: SessionState, cardId: number): SessionState {
  return { ...s, learning: without(s.learning, cardId), reviews: without(s.reviews, cardId), news: without(s.news, cardId) };
}

export interface SessionSummary {
  reviewed: number;
  again: number;
  timeMs: number;
}

export function summarize(s: SessionState): SessionSummary {
  const answers = s.history.flatMap((h) => (h.kind === 'answer' ? [h] : []));
  return {
    reviewed: answers.length,
    again: answers.filter((h) => h.grade === 1).length,
    timeMs: answers.reduce((t, h) => t + h.durationMs, 0),
  };
}
