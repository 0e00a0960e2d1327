// Whole-collection operations that reduce to replaying the log: rescheduling and repair (`recall doctor`).
import type { Schedule } from '../core/types.js';
import type { Context } from './context.js';
import type { ReplayEntry } from '../scheduler/index.js';

export interface ScheduleMismatch {
  cardId: number;
  stored: Schedule | null;
  replayed: Schedule | null;
}

/** Whether two schedules are the same (memory state compared to 1e-9). */
export const sameSchedule = (a: Schedule | null, b: Schedule | null): boolean => {
  if (!a || !b) return a === b;
  return (
    a.state === b.state && a.due === b.due && a.reps === b.reps && a.lapses === b.lapses && a.lastReview === b.lastReview &&
    a.learningSteps === b.learningSteps && a.scheduledDays === b.scheduledDays &&
    Math.abs(a.stability - b.stability) < 1e-9 && Math.abs(a.difficulty - b.difficulty) < 1e-9
  );
};

/** Every card whose stored schedule differs from the replay of its log. */
export function findScheduleMismatches(ctx: Context, cardIds?: number[]): ScheduleMismatch[] {
  const out: ScheduleMismatch[] = [];
  forEachCardLog(ctx, cardIds, (cardId, stored, entries, deckId) => {
    const replayed = ctx.schedulerFor(deckId).replay(entries).schedule;
    if (!sameSchedule(stored, replayed)) out.push({ cardId, stored, replayed });
  });
  return out;
}

/** Replays every card (or the given ones) and stores the result, in one transaction (or the caller's). */
export function rescheduleAll(ctx: Context, cardIds?: number[]): { cards: number; changed: number } {
  let cards = 0;
  let changed = 0;
  // Inside a caller's transaction (a sync, a preset change) the replay joins it: a savepoint around 100k schedule
  // writes made them ~30% slower, and with temp_store set before the transaction began (an import's or a large
  // sync's cache) several times slower (docs/performance.md). A failure here fails the caller anyway.
  ctx.store.joinTransaction(() =>
    forEachCardLog(ctx, cardIds, (cardId, stored, entries, deckId) => {
      cards++;
      const replayed = ctx.schedulerFor(deckId).replay(entries).schedule;
      if (!sameSchedule(stored, replayed)) {
        ctx.store.setSchedule(cardId, replayed);
        changed++;
      }
    }),
  );
  return { cards, changed };
}

/** Cards whose flags, deck or content differ from what their events give; with `fix`, rebuilt from the events. */
export function checkCardFlags(ctx: Context, fix: boolean): number[] {
  const differ: number[] = [];
  const run = () => {
    for (const id of ctx.store.allCardIds()) {
      if (ctx.store.rederiveCard(id, { dryRun: !fix })) differ.push(id);
    }
  };
  if (fix) ctx.store.transaction(run);
  else run();
  return differ;
}

function forEachCardLog(
  ctx: Context,
  cardIds: number[] | undefined,
  fn: (cardId: number, stored: Schedule | null, entries: ReplayEntry[], deckId: number) => void,
): void {
  // Card by card keeps memory flat on a million reviews; the per-card query uses the (card_id, reviewed_at) index.
  for (const id of cardIds ?? ctx.store.allCardIds()) {
    const card = ctx.store.getCard(id);
    if (!card) continue;
    const entries = ctx.store.replayLog(id);
    if (entries.length === 0 && !card.schedule) continue;
    fn(id, card.schedule, entries, card.deckId);
  }
}
