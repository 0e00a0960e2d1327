// A card's schedule is the replay of its log: the one way schedules are rebuilt after an undo, an import, new
// parameters or a repair.
import type { Grade, Schedule } from '../core/types.js';
import type { ReplayEntry } from '../scheduler/index.js';
import type { ReviewRow } from '../store/api.js';
import type { Context } from './context.js';

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

/** The schedule a card's log gives with its deck's scheduler. */
export function replayCard(ctx: Context, cardId: number, deckId: number): Schedule | null {
  return ctx.schedulerFor(deckId).replay(ctx.store.replayLog(cardId)).schedule;
}

/** Replays a card and stores the result (the caller holds the transaction). */
export function rescheduleCard(ctx: Context, cardId: number): Schedule | null {
  const card = ctx.store.getCard(cardId);
  if (!card) return null;
  const schedule = replayCard(ctx, cardId, card.deckId);
  ctx.store.setSchedule(cardId, schedule);
  return schedule;
}
