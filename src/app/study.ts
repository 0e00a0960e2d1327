// The study session as a use case: which card comes next (with its four outcomes, ready to draw), and what answering,
// burying, suspending and undoing do. The session's queue is the pure state machine of src/session; the terminal is
// the caller's business: `recall review` only draws what `next()` returns and reports the keys.
import type { Grade } from '../core/types.js';
import { applyAnswer, applyUndo, bucketOf, createSession, dropCard, nextCard, remaining, restoreCard, setAside, summarize, type Bucket, type SessionCard, type SessionState } from '../session/session.js';
import type { ResolvedQuery } from '../search/resolve.js';
import type { StudyCard } from '../store/api.js';
import { commitAnswer, drawCard, type CommitResult, type Drawn } from './answer.js';
import { applyCardAction } from './card-actions.js';
import type { Context } from './context.js';
import { canUndo, undoLast, type UndoResult } from './undo.js';
import './undo-hooks.js';

export interface StudyOptions {
  /** Decks to study (subdecks resolved by the caller); null = every deck that is not hidden. */
  deckIds: number[] | null;
  /**
   * The deck whose limits cap the whole session, as the deck selected in Anki does: given when the session is one
   * deck (with its subdecks). Absent: the global limits. Each deck's own preset limits apply within the session too.
   */
  rootDeckId?: number | null;
  /** Only cards this search matches (`recall review --query`). */
  query?: ResolvedQuery | null;
}

/** A deck whose own daily limit (its preset's) held cards back. */
export interface DeckLimitHeld {
  deck: string;
  preset: string;
  reviews: number;
  news: number;
  limits: { newPerDay: number; reviewsPerDay: number };
}

/** Why there is nothing to show, with what the learner can do about it. */
export interface SessionEnd {
  /** When the next card of these decks is due (learning or review), if any. */
  nextDue: number | null;
  /** Cards left out today by the daily limits: reviews due today and new cards waiting. */
  heldBack: { reviews: number; news: number };
  limits: { newPerDay: number; reviewsPerDay: number };
  /** Whose limits those are: the root deck on a preset of its own, else null (the global settings). */
  limitsDeck: string | null;
  /** Decks whose own limits held cards back (counted in `heldBack` too). */
  deckLimits: DeckLimitHeld[];
  /** Reviews due within the next week: what "study ahead" would bring. */
  ahead: number;
}

export type StudyNext =
  | { kind: 'card'; drawn: Drawn; bucket: Bucket; counts: { new: number; learning: number; review: number }; typicalMs: number | null }
  /** Only learning cards due later today are left. */
  | { kind: 'wait'; until: number; end: SessionEnd }
  | { kind: 'done'; end: SessionEnd };

export type StudyAnswer = CommitResult;

export interface StudyUndo extends UndoResult {
  /** Whether the card came back into this session's queue. */
  requeued: boolean;
  cards: StudyCard[];
}

export interface Study {
  next(): StudyNext;
  answer(drawn: Drawn, grade: Grade, opts: { durationMs: number; answer?: unknown }): StudyAnswer;
  bury(drawn: Drawn): void;
  suspend(drawn: Drawn): void;
  undo(): StudyUndo | null;
  canUndo(): boolean;
  /** Shows learning cards before they are due (when only those are left today). */
  learnAhead(): void;
  /** Starts over with the reviews due in the next week; false when there are none. */
  studyAhead(): boolean;
  /** Takes `n` more new cards today than the limit allows, for this session. */
  moreNew(n: number): boolean;
  summary(): { reviewed: number; again: number; timeMs: number; nextDue: number | null };
}

const WEEK = 7 * 86_400_000;

export function toSessionCard(c: StudyCard): SessionCard {
  return { id: c.id, deckId: c.deckId, deckName: c.deckName, noteUid: c.noteUid, content: c.content, schedule: c.schedule };
}

function studyable(c: StudyCard | undefined, now: number): c is StudyCard {
  return c !== undefined && !c.suspended && !c.removed && (c.buriedUntil === null || c.buriedUntil <= now);
}

export function openStudy(ctx: Context, opts: StudyOptions): Study {
  const { store } = ctx;
  const hidden = ctx.hiddenDeckIds();
  // Hidden decks are left out of a session over every deck; a deck named on the command line is studied anyway.
  const deckIds = opts.deckIds ?? (hidden.size ? store.decks().filter((d) => !hidden.has(d.id)).map((d) => d.id) : null);
  const query = opts.query ?? null;
  const rootDeckId = opts.rootDeckId ?? null;
  const top = () => (rootDeckId !== null ? ctx.optionsFor(rootDeckId) : ctx.settings);
  const sessionDecks = () => deckIds ?? store.decks().map((d) => d.id);
  let learnAhead = false;

  /** Each session deck's own limits and what is left of them today. */
  const deckCaps = (day: number) => {
    const done = store.doneByDeck(day);
    return sessionDecks().map((id) => {
      const o = ctx.optionsFor(id);
      const d = done.get(id) ?? { newDone: 0, reviewsDone: 0 };
      return { id, newPerDay: o.newPerDay, reviewsPerDay: o.reviewsPerDay, newCap: Math.max(0, o.newPerDay - d.newDone), reviewCap: Math.max(0, o.reviewsPerDay - d.reviewsDone), done: d };
    });
  };

  const load = (): SessionState => {
    const now = ctx.clock();
    const day = ctx.day(now);
    const limits = top();
    const caps = deckCaps(day);
    const done = caps.reduce((t, c) => ({ newDone: t.newDone + c.done.newDone, reviewsDone: t.reviewsDone + c.done.reviewsDone }), { newDone: 0, reviewsDone: 0 });
    const newLeft = Math.max(0, limits.newPerDay - done.newDone);
    const reviewsLeft = Math.max(0, limits.reviewsPerDay - done.reviewsDone);
    const dayEnd = ctx.dayEnd(now);
    // When every deck has the session's limits, a deck's share can never be the tighter one: one query does.
    const uniform = caps.every((c) => c.newPerDay === limits.newPerDay && c.reviewsPerDay === limits.reviewsPerDay);
    let cards: StudyCard[];
    if (uniform) cards = store.studyCards({ deckIds, now, dayEnd, newLimit: newLeft, reviewLimit: reviewsLeft, query });
    else {
      cards = caps.flatMap((c) =>
        store.studyCards({ deckIds: [c.id], now, dayEnd, newLimit: Math.min(c.newCap, newLeft), reviewLimit: Math.min(c.reviewCap, reviewsLeft), query }),
      );
      // Reviews of all decks in due order, so the session's own limit takes the most overdue first.
      const reviews = cards.filter((c) => c.schedule?.state === 2).sort((a, b) => a.schedule!.due - b.schedule!.due);
      cards = [...cards.filter((c) => c.schedule?.state !== 2), ...reviews];
    }
    return createSession(cards.map(toSessionCard), { dayEnd, newLeft, reviewsLeft });
  };
  let session = load();

  const end = (now: number): SessionEnd => {
    const limits = top();
    // With the queue empty, whatever is still due today (or new) was left out by a limit: the session's, or a deck's.
    const waiting = store.waitingCounts({ deckIds, now, dayEnd: session.dayEnd, query });
    const deckLimits: DeckLimitHeld[] = [];
    const caps = deckCaps(ctx.day(now)).filter((c) => c.newPerDay !== limits.newPerDay || c.reviewsPerDay !== limits.reviewsPerDay);
    if (caps.length) {
      const byDeck = store.waitingByDeck({ deckIds: caps.map((c) => c.id), now, dayEnd: session.dayEnd, query });
      for (const c of caps) {
        const w = byDeck.get(c.id);
        const reviews = c.reviewCap === 0 && c.reviewsPerDay < limits.reviewsPerDay ? (w?.reviews ?? 0) : 0;
        const news = c.newCap === 0 && c.newPerDay < limits.newPerDay ? (w?.news ?? 0) : 0;
        if (reviews || news) {
          deckLimits.push({ deck: store.deckById(c.id)!.name, preset: ctx.presetOf(c.id) ?? 'default', reviews, news, limits: { newPerDay: c.newPerDay, reviewsPerDay: c.reviewsPerDay } });
        }
      }
    }
    const heldBack = {
      reviews: session.reviewsLeft === 0 ? waiting.reviews : deckLimits.reduce((t, d) => t + d.reviews, 0),
      news: session.newLeft === 0 ? waiting.news : deckLimits.reduce((t, d) => t + d.news, 0),
    };
    // Cards held back by a limit are due already, but come only when the limits reset with the next study day
    // (new cards only if their limit is not zero).
    const later = store.nextDue(now, deckIds, now, query);
    const reset = heldBack.reviews > 0 || (heldBack.news > 0 && (limits.newPerDay > 0 || deckLimits.some((d) => d.limits.newPerDay > 0))) ? session.dayEnd : null;
    return {
      nextDue: later === null ? reset : reset === null ? later : Math.min(later, reset),
      heldBack,
      limits: { newPerDay: limits.newPerDay, reviewsPerDay: limits.reviewsPerDay },
      limitsDeck: rootDeckId !== null && ctx.presetOf(rootDeckId) !== null ? store.deckById(rootDeckId)!.name : null,
      deckLimits,
      ahead: store.waitingCounts({ deckIds, now, dayEnd: now + WEEK, query }).reviews,
    };
  };

  return {
    next() {
      for (;;) {
        const now = ctx.clock();
        let n = nextCard(session, now);
        if (n.kind === 'wait' && learnAhead) n = { kind: 'card', card: n.card, bucket: 'learning' };
        if (n.kind === 'wait') return { kind: 'wait', until: n.until, end: end(now) };
        if (n.kind === 'done') return { kind: 'done', end: end(now) };
        // Another session (or command) may have answered, buried, suspended or moved it since the queue was built.
        const fresh = store.getCard(n.card.id);
        if (!studyable(fresh, now) || fresh.schedule?.lastReview !== n.card.schedule?.lastReview || (deckIds && !deckIds.includes(fresh.deckId))) {
          session = dropCard(session, n.card.id);
          continue;
        }
        return {
          kind: 'card',
          drawn: drawCard(ctx, fresh, now),
          bucket: n.bucket,
          counts: remaining(session),
          typicalMs: store.typicalDuration(fresh.id, fresh.deckId, fresh.content.type),
        };
      }
    },

    answer(drawn, grade, o) {
      const res = commitAnswer(ctx, drawn, grade, { durationMs: o.durationMs, answer: o.answer });
      const card = toSessionCard(drawn.card);
      if (!res.ok) {
        session = dropCard(session, card.id);
        return res;
      }
      session = applyAnswer(session, card, bucketFor(session, card), res.schedule!, { actionUid: res.actionUid, grade, durationMs: o.durationMs });
      // A leech suspended by this answer leaves the session; undoing the answer brings it back with the rest.
      if (res.leech?.suspended) session = { ...dropCard(session, card.id), history: session.history };
      return res;
    },

    bury(drawn) {
      const r = applyCardAction(ctx, [drawn.card.id], { kind: 'bury' });
      const card = toSessionCard(drawn.card);
      session = r.actionUid ? setAside(session, card, bucketFor(session, card), r.actionUid, 'bury') : dropCard(session, card.id);
    },

    suspend(drawn) {
      const r = applyCardAction(ctx, [drawn.card.id], { kind: 'suspend' });
      const card = toSessionCard(drawn.card);
      session = r.actionUid ? setAside(session, card, bucketFor(session, card), r.actionUid, 'suspend') : dropCard(session, card.id);
    },

    undo() {
      const r = undoLast(ctx);
      if (!r) return null;
      const cards = r.cardIds.map((id) => store.getCard(id)).filter((c): c is StudyCard => c !== undefined);
      const last = session.history[session.history.length - 1];
      let requeued = false;
      if (last && last.actionUid === r.actionUid) {
        session = applyUndo(session)!.state;
        requeued = true;
      } else {
        // An action from before this session: its card joins the queue if it is one to study now.
        const now = ctx.clock();
        for (const c of cards) {
          const due = c.schedule === null || c.schedule.state === 0 || c.schedule.due < session.dayEnd;
          if (studyable(c, now) && due && (!deckIds || deckIds.includes(c.deckId))) {
            session = restoreCard(session, toSessionCard(c));
            requeued = true;
          }
        }
      }
      return { ...r, requeued, cards };
    },

    canUndo() {
      return canUndo(ctx);
    },

    learnAhead() {
      learnAhead = true;
    },

    studyAhead() {
      const now = ctx.clock();
      const ahead = store.studyCards({ deckIds, now, dayEnd: now + WEEK, newLimit: 0, reviewLimit: 50, query }).filter((c) => c.schedule?.state === 2);
      if (ahead.length === 0) return false;
      session = { ...createSession(ahead.map(toSessionCard), { dayEnd: ctx.dayEnd(now), newLeft: 0, reviewsLeft: ahead.length }), history: session.history };
      return true;
    },

    moreNew(n) {
      const now = ctx.clock();
      const taken = new Set([...session.news, ...session.history.map((h) => h.card)].map((c) => c.id));
      const extra = store
        .studyCards({ deckIds, now, dayEnd: session.dayEnd, newLimit: n + taken.size, reviewLimit: 0, query })
        .filter((c) => bucketOf(toSessionCard(c)) === 'new' && !taken.has(c.id))
        .slice(0, n)
        .map(toSessionCard);
      if (extra.length === 0) return false;
      session = { ...session, news: [...session.news, ...extra], newLeft: session.newLeft + extra.length };
      return true;
    },

    summary() {
      // With cards still queued (a session quit early) the next one is due now; with the queue empty, what is left
      // is what end() says comes next: cards held back by a limit come with the next study day, not "now".
      const now = ctx.clock();
      const queued = nextCard(session, now).kind === 'card';
      return { ...summarize(session), nextDue: queued ? store.nextDue(now, deckIds, undefined, query) : end(now).nextDue };
    },
  };
}

/** The queue a card was drawn from: learning cards keep their bucket even when shown ahead of time. */
function bucketFor(s: SessionState, card: SessionCard): Bucket {
  if (s.learning.some((c) => c.id === card.id)) return 'learning';
  if (s.reviews.some((c) => c.id === card.id)) return 'review';
  if (s.news.some((c) => c.id === card.id)) return 'new';
  return bucketOf(card);
}
