// Answering, undoing, burying and suspending: each a scheduler computation followed by one store transaction.
import type { Grade, Rating, ReviewKind, Schedule } from '../core/types.js';
import type { ReplayEntry } from '../scheduler/index.js';
import type { SessionCard } from '../session/session.js';
import type { ReviewRow, StudyCard } from '../store/store.js';
import type { Context } from './context.js';

export function toSessionCard(c: StudyCard): SessionCard {
  return { id: c.id, deckId: c.deckId, deckName: c.deckName, noteUid: c.noteUid, content: c.content, schedule: c.schedule };
}

/** The part of a card's log that moves its schedule, as the scheduler replays it. */
export function replayEntries(log: readonly ReviewRow[]): ReplayEntry[] {
  const out: ReplayEntry[] = [];
  for (const r of log) {
    if (!r.scheduled) continue;
    if (r.rating === 0) out.push({ rating: 0, reviewedAt: r.reviewedAt, day: r.day, manual: { state: r.stateAfter, due: r.due } });
    else out.push({ rating: r.rating as Grade, reviewedAt: r.reviewedAt, day: r.day });
  }
  return out;
}

export interface AnswerOptions {
  durationMs: number;
  kind?: ReviewKind;
  /** False for quiz answers that must not move the schedule. */
  scheduled?: boolean;
  answer?: unknown;
  attemptId?: number | null;
}

export type AnswerResult =
  | { ok: true; reviewId: number; schedule: Schedule | null; rating: Rating }
  | { ok: false; reason: 'changed' };

/**
 * Commits an answer. The card's schedule is re-checked inside the transaction: if another session answered it
 * since it was drawn, nothing is written and the caller moves on.
 */
export function answerCard(ctx: Context, card: SessionCard, grade: Grade, opts: AnswerOptions): AnswerResult {
  // A clock that went backwards would put this answer before the previous one and reorder the log on replay.
  const now = Math.max(ctx.clock(), card.schedule?.lastReview ?? 0);
  const scheduled = opts.scheduled ?? true;
  const day = ctx.day(now);
  const lastReviewDay = card.schedule?.lastReview != null ? ctx.store.lastScheduledDay(card.id) : undefined;
  const outcome = ctx.schedulerFor(card.deckId).answer(card.schedule, now, grade, { day, lastReviewDay });
  const dayEnd = ctx.dayEnd(now);
  const res = ctx.store.transaction(() => {
    const r = ctx.store.recordAnswer({
      cardId: card.id,
      rating: grade,
      stateBefore: outcome.stateBefore,
      schedule: scheduled ? outcome.schedule : card.schedule,
      elapsedDays: outcome.elapsedDays,
      reviewedAt: now,
      durationMs: opts.durationMs,
      kind: opts.kind ?? 'review',
      scheduled,
      day: outcome.day ?? day,
      answer: opts.answer === undefined ? null : JSON.stringify(opts.answer),
      attemptId: opts.attemptId ?? null,
      expectedLastReview: scheduled ? (card.schedule?.lastReview ?? null) : undefined,
    });
    // Siblings (the other side of a reversed pair, other deletions of a cloze) wait until tomorrow.
    if (r && scheduled) ctx.store.bury(ctx.store.siblingsOf(card), dayEnd);
    return r;
  });
  if (!res) return { ok: false, reason: 'changed' };
  return { ok: true, reviewId: res.reviewId, schedule: scheduled ? outcome.schedule : card.schedule, rating: grade };
}

/** Undo = mark the entry undone and replay what is left of the card's log. Returns the restored schedule. */
export function undoAnswer(ctx: Context, reviewId: number, cardId: number, unburyIds: number[] = []): Schedule | null {
  const log = ctx.store.cardLog(cardId).filter((r) => r.id !== reviewId);
  const deckId = ctx.store.getCard(cardId)?.deckId ?? -1;
  const rebuilt = ctx.schedulerFor(deckId).replay(replayEntries(log)).schedule;
  ctx.store.transaction(() => {
    ctx.store.undoAnswer(reviewId, rebuilt, ctx.clock());
    if (unburyIds.length) ctx.store.bury(unburyIds, null);
  });
  return rebuilt;
}

export function buryCard(ctx: Context, cardId: number): void {
  ctx.store.bury([cardId], ctx.dayEnd(ctx.clock()));
}

export function suspendCard(ctx: Context, cardId: number): void {
  ctx.store.suspend(cardId, true, ctx.clock());
}
