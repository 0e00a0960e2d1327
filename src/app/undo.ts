// Undo: the most recent action made on this device is marked undone (nothing is deleted), then everything it touched
// is derived again from what is left of the log: schedules by replay, flags, deck and content from card events.
import type { Context } from './context.js';
import { rescheduleCard } from './replay.js';

export interface UndoResult {
  actionUid: string;
  /** What was undone: 'answer', 'suspend', 'bury', 'forget', 'move', ... */
  kind: string;
  at: number;
  /** The cards whose state the undo changed back, the action's own card first. */
  cardIds: number[];
  /** For an answer: the grade that was taken back. */
  grade?: number;
  /** What the action recorded (a label for messages, the settings it changed, ...). */
  data: Record<string, unknown>;
  /** What the undo could not do by itself and the user should know (a deck file changed since, say). */
  notes: string[];
}

/**
 * Hooks for actions whose effects are not all card rows (a deck renamed, a setting changed): each kind may register
 * how to take back what its `data` records. Card rows are handled here for every kind.
 */
export type UndoHook = (ctx: Context, data: Record<string, unknown>) => string[] | void;
const hooks = new Map<string, UndoHook>();
export function registerUndo(kind: string, hook: UndoHook): void {
  hooks.set(kind, hook);
}

export function canUndo(ctx: Context): boolean {
  return ctx.store.lastAction() !== undefined;
}

export function undoLast(ctx: Context): UndoResult | null {
  return ctx.store.transaction(() => {
    const action = ctx.store.lastAction();
    if (!action) return null;
    const { reviews, events } = ctx.store.markActionUndone(action.uid, ctx.clock());
    for (const r of reviews) ctx.store.unbumpDaily(r);
    // Flags, deck and content first: a card moved back to its old deck replays with that deck's preset.
    const derived = new Set(events.map((e) => e.cardId));
    for (const id of derived) ctx.store.rederiveCard(id);
    const replayed = new Set([...reviews.filter((r) => r.scheduled).map((r) => r.cardId), ...events.filter((e) => e.data.kind === 'move').map((e) => e.cardId)]);
    for (const id of replayed) rescheduleCard(ctx, id);
    const notes = hooks.get(action.kind)?.(ctx, action.data) ?? [];
    const own = typeof action.data.cardId === 'number' ? [action.data.cardId] : [];
    const cardIds = [...new Set([...own, ...reviews.map((r) => r.cardId), ...derived])];
    const grade = reviews.find((r) => r.rating > 0)?.rating;
    return { actionUid: action.uid, kind: action.kind, at: action.at, cardIds, ...(grade ? { grade } : {}), data: action.data, notes };
  });
}
