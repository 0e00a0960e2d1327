// Answering a card, as Anki's scheduler does it: compute all four outcomes once, when the card is drawn, with the
// card's own scheduler (its deck's preset, the study days, fuzz); show them; commit the chosen one in a transaction
// that first checks the card is still as it was drawn. The interval on the button is the interval saved.
import { LEECH_TAG, leechThresholdMet, withTag } from '../core/leech.js';
import { GRADES, type Grade, type ReviewKind, type Schedule } from '../core/types.js';
import type { Outcome } from '../scheduler/index.js';
import type { StudyCard } from '../store/api.js';
import type { Context } from './context.js';

export interface Drawn {
  card: StudyCard;
  /** The instant the outcomes were computed for; never before the card's previous answer. */
  at: number;
  day: number;
  lastReviewDay: number | undefined;
  outcomes: Record<Grade, Outcome>;
  /** Wait until due per grade, in ms: what the buttons show. */
  intervals: Record<Grade, number>;
}

export interface CommitOptions {
  durationMs: number;
  kind?: ReviewKind;
  /** False for quiz answers that must not move the schedule. */
  scheduled?: boolean;
  /** What the learner answered on an auto-graded card; stored as JSON. */
  answer?: unknown;
  attemptId?: number | null;
}

/** A lapse that made the card a leech: it was tagged `leech` (unless it already was), and suspended if its preset says so. */
export interface LeechResult {
  lapses: number;
  tagged: boolean;
  suspended: boolean;
}

export type CommitResult =
  | { ok: true; reviewId: number; actionUid: string; schedule: Schedule | null; grade: Grade; intervalMs: number | null; buried: number[]; leech: LeechResult | null }
  /** Nothing was written: another session answered the card, or it was suspended, buried, moved or edited since it was drawn. */
  | { ok: false; reason: 'answered-elsewhere' | 'changed' };

/**
 * The instant an answer to `card` counts at: now, but strictly after its previous answer and after every row of its
 * log (a set-due entry leaves the last review where it was), so a card's rows from one device never share an
 * instant and replay's order (time, device, uid) is the order they were made in, on every device.
 */
function answerTime(card: StudyCard, now: number, lastLogAt: number | null = null): number {
  const last = Math.max(card.schedule?.lastReview ?? -Infinity, lastLogAt ?? -Infinity);
  return last !== -Infinity && now <= last ? last + 1 : now;
}

export function drawCard(ctx: Context, card: StudyCard, now = ctx.clock()): Drawn {
  // The card is about to be on screen: the time to do the log's upkeep, not in the answer's commit.
  ctx.store.betweenAnswers();
  const at = answerTime(card, now, ctx.store.lastLogAt(card.id));
  const day = ctx.day(at);
  const lastReviewDay = card.schedule?.lastReview != null ? ctx.store.lastScheduledDay(card.id) : undefined;
  const outcomes = ctx.schedulerFor(card.deckId).preview(card.schedule, at, { day, lastReviewDay });
  const intervals = {} as Record<Grade, number>;
  for (const g of GRADES) intervals[g] = outcomes[g].schedule.due - at;
  return { card, at, day, lastReviewDay, outcomes, intervals };
}

/** The same outcome up to the instant it was computed at: same state, memory, steps and interval. */
function sameOutcome(a: Outcome, aAt: number, b: Outcome, bAt: number): boolean {
  const x = a.schedule;
  const y = b.schedule;
  return (
    a.day === b.day && a.elapsedDays === b.elapsedDays && x.state === y.state && x.due - aAt === y.due - bAt && x.stability === y.stability &&
    x.difficulty === y.difficulty && x.learningSteps === y.learningSteps && x.scheduledDays === y.scheduledDays && x.reps === y.reps && x.lapses === y.lapses
  );
}

/**
 * Commits the outcome shown for `grade`. The answer is logged at the moment it is given when that yields the very
 * outcome shown (the usual case: the same study day); otherwise (the day rolled over while the card was on screen)
 * at the moment it was drawn, so the saved interval is always the one on the button and replay gives it back.
 */
export function commitAnswer(ctx: Context, drawn: Drawn, grade: Grade, opts: CommitOptions): CommitResult {
  const scheduled = opts.scheduled ?? true;
  const card = drawn.card;
  const now = answerTime(card, Math.max(ctx.clock(), drawn.at));
  let at = drawn.at;
  let outcome = drawn.outcomes[grade];
  if (now !== drawn.at) {
    const day = ctx.day(now);
    const fresh = ctx.schedulerFor(card.deckId).answer(card.schedule, now, grade, { day, lastReviewDay: drawn.lastReviewDay });
    if (!scheduled || sameOutcome(fresh, now, outcome, drawn.at)) {
      at = now;
      outcome = fresh;
    }
  }
  const day = outcome.day ?? ctx.day(at);
  const dayEnd = ctx.dayEnd(at);
  return ctx.store.transaction((): CommitResult => {
    if (scheduled) {
      const current = ctx.store.cardRevision(card.id);
      if (!current || current.revision !== card.revision) {
        const answered = current?.lastReview !== card.schedule?.lastReview;
        return { ok: false, reason: answered ? 'answered-elsewhere' : 'changed' };
      }
    }
    const actionUid = ctx.store.beginAction('answer', at, { cardId: card.id, grade });
    const { reviewId } = ctx.store.recordAnswer({
      cardId: card.id,
      rating: grade,
      stateBefore: outcome.stateBefore,
      schedule: scheduled ? outcome.schedule : card.schedule,
      elapsedDays: outcome.elapsedDays,
      reviewedAt: at,
      durationMs: opts.durationMs,
      kind: opts.kind ?? 'review',
      scheduled,
      day,
      answer: opts.answer === undefined ? null : JSON.stringify(opts.answer),
      attemptId: opts.attemptId ?? null,
      actionUid,
      // Checked above: the deck is part of the revision. An unscheduled answer leaves the lookup to the store.
      deckId: scheduled ? card.deckId : undefined,
    });
    // Siblings (the other side of a reversed pair, other deletions of a cloze) wait until tomorrow, as in Anki.
    const buried = scheduled ? ctx.store.siblingsToBury(card.id, at) : [];
    for (const id of buried) ctx.store.appendEvent(id, { kind: 'bury', until: dayEnd }, { at, day, actionUid });
    const leech = scheduled ? markLeech(ctx, card, outcome.schedule, { at, day, actionUid }) : null;
    return {
      ok: true,
      reviewId,
      actionUid,
      schedule: scheduled ? outcome.schedule : card.schedule,
      grade,
      intervalMs: scheduled ? outcome.schedule.due - at : null,
      buried,
      leech,
    };
  });
}

/**
 * A lapse that reaches the deck's leech threshold tags the card and, with `leechAction = suspend`, suspends it: both
 * as events of the answer's own action, so undoing the answer takes them back too.
 */
function markLeech(ctx: Context, card: StudyCard, after: Schedule, meta: { at: number; day: number; actionUid: string }): LeechResult | null {
  const lapsesBefore = card.schedule?.lapses ?? 0;
  if (after.lapses <= lapsesBefore) return null;
  const opts = ctx.optionsFor(card.deckId);
  if (!leechThresholdMet(after.lapses, opts.leechThreshold)) return null;
  const row = ctx.store.getCard(card.id)!;
  // The stored text itself, so the edit's "before" is byte for byte the version it replaces.
  const stored = ctx.store.noteCards(row.deckId, row.noteUid).find((c) => c.id === card.id)!;
  const before = { uid: row.uid, noteUid: row.noteUid, content: stored.contentJson };
  const tagged = withTag(before.content, LEECH_TAG);
  if (tagged !== null) ctx.store.appendEvent(card.id, { kind: 'edit', before, after: { ...before, content: tagged } }, meta);
  const suspend = opts.leechAction === 'suspend' && !row.suspended;
  if (suspend) ctx.store.appendEvent(card.id, { kind: 'suspend' }, meta);
  return { lapses: after.lapses, tagged: tagged !== null, suspended: suspend };
}
