// Changes to cards other than answers: each is one user action (undoable as a whole) made of one log row per card
// it changes. Flags follow from the rows by replay (store.appendEvent re-derives the card).
import { plural } from '../core/plural.js';
import { RecallError } from '../core/errors.js';
import { CardState, type Schedule } from '../core/types.js';
import type { StudyCard } from '../store/api.js';
import type { Context } from './context.js';
import { rescheduleCard } from './replay.js';

export type CardActionKind = 'suspend' | 'unsuspend' | 'bury' | 'unbury' | 'forget' | 'set-due' | 'move';

export type CardActionRequest =
  | { kind: 'suspend' | 'unsuspend' | 'bury' | 'unbury' | 'forget' }
  /** Due in `days` study days from today (0 = today), keeping the memory state. */
  | { kind: 'set-due'; days: number }
  | { kind: 'move'; deckId: number };

export interface CardActionResult {
  kind: CardActionKind;
  /** Cards the action changed. */
  changed: number[];
  /** Cards it left alone because they already were as asked (or, for set-due, were new). */
  unchanged: number[];
  /** Uid of the action, for undo; null when nothing changed (nothing was written). */
  actionUid: string | null;
}

/** Whether the request would change this card. */
export function applies(card: StudyCard, req: CardActionRequest, now: number): boolean {
  switch (req.kind) {
    case 'suspend':
      return !card.suspended;
    case 'unsuspend':
      return card.suspended;
    case 'bury':
      return card.buriedUntil === null || card.buriedUntil <= now;
    case 'unbury':
      return card.buriedUntil !== null && card.buriedUntil > now;
    case 'forget':
      return card.schedule !== null && card.schedule.state !== CardState.New;
    case 'set-due':
      return card.schedule !== null && card.schedule.state !== CardState.New;
    case 'move':
      return card.deckId !== req.deckId;
  }
}

/** Applies one request to many cards as one action, in one transaction. */
export function applyCardAction(ctx: Context, cardIds: readonly number[], req: CardActionRequest): CardActionResult {
  if (req.kind === 'move' && !ctx.store.deckById(req.deckId)) throw new RecallError('no-such-deck', `No deck with id ${req.deckId}`, { exitCode: 2 });
  if (req.kind === 'set-due' && (!Number.isInteger(req.days) || req.days < 0 || req.days > 36500)) {
    throw new RecallError('bad-days', `A due date ${plural(req.days, 'day')} away is not possible`, { hint: 'give a whole number of days from 0 to 36500', exitCode: 2 });
  }
  return ctx.store.transaction(() => {
    const now = ctx.clock();
    const day = ctx.day(now);
    const changed: number[] = [];
    const unchanged: number[] = [];
    let actionUid: string | null = null;
    for (const id of cardIds) {
      const card = ctx.store.getCard(id);
      if (!card) continue;
      if (!applies(card, req, now)) {
        unchanged.push(id);
        continue;
      }
      actionUid ??= ctx.store.beginAction(req.kind, now, { cards: cardIds.length, ...(req.kind === 'move' ? { deckId: req.deckId } : {}) });
      const meta = { at: now, day, actionUid };
      switch (req.kind) {
        case 'suspend':
        case 'unsuspend':
        case 'unbury':
          ctx.store.appendEvent(id, { kind: req.kind }, meta);
          break;
        case 'bury':
          ctx.store.appendEvent(id, { kind: 'bury', until: ctx.dayEnd(now) }, meta);
          break;
        case 'move':
          ctx.store.appendEvent(id, { kind: 'move', from: card.deckId, to: req.deckId }, meta);
          // The new deck's preset schedules it from now on, and its schedule is the replay under that preset.
          rescheduleCard(ctx, id);
          break;
        case 'forget':
        case 'set-due':
          manualEntry(ctx, card, req, now, actionUid);
          break;
      }
      changed.push(id);
    }
    return { kind: req.kind, changed, unchanged, actionUid };
  });
}

/**
 * Forget and set-due are entries of the review log (rating 0, as Anki's revlog records them), so replay puts them in
 * their place among the answers: forget makes the card new again; set-due moves its due date and keeps its memory.
 */
function manualEntry(ctx: Context, card: StudyCard, req: CardActionRequest, now: number, actionUid: string): void {
  // Strictly after every row of the card's log, so one device's rows never share an instant (see answer.ts).
  const last = Math.max(card.schedule?.lastReview ?? -Infinity, ctx.store.lastLogAt(card.id) ?? -Infinity);
  const at = last !== -Infinity && now <= last ? last + 1 : now;
  const day = ctx.day(at);
  const due = req.kind === 'set-due' ? (req.days === 0 ? at : dayStartAfter(ctx, at, req.days)) : at;
  const before = card.schedule!;
  const put: Schedule =
    req.kind === 'forget'
      ? { state: CardState.New, due, stability: 0, difficulty: 0, elapsedDays: 0, scheduledDays: 0, learningSteps: 0, reps: 0, lapses: 0, lastReview: null }
      : { ...before, due, scheduledDays: Math.max(0, Math.round((due - at) / 86_400_000)) };
  ctx.store.recordAnswer({
    cardId: card.id,
    rating: 0,
    stateBefore: before.state,
    // The row records where the card was put; the schedule itself is the replay of the whole log, just below.
    schedule: put,
    elapsedDays: 0,
    reviewedAt: at,
    durationMs: 0,
    kind: 'manual',
    scheduled: true,
    day,
    actionUid,
  });
  rescheduleCard(ctx, card.id);
}

/** The start of the study day `days` after the one containing `at`. */
function dayStartAfter(ctx: Context, at: number, days: number): number {
  let t = at;
  for (let i = 0; i < days; i++) t = ctx.dayEnd(t);
  return t;
}
