import { openContext, type Context } from '../../app/context.js';
import { answerCard, buryCard, suspendCard, toSessionCard, undoAnswer } from '../../app/review.js';
import { syncBuiltinDecks } from '../../app/sync.js';
import { RecallError } from '../../core/errors.js';
import { GRADES, type Grade } from '../../core/types.js';
import { formatInterval } from '../../scheduler/index.js';
import { applyAnswer, applyUndo, createSession, dropCard, nextCard, remaining, summarize, type SessionState } from '../../session/session.js';
import { sanitize } from '../../core/text.js';
import { ExitRequest, requireTty, styler, type Io } from '../io.js';
import { formatDuration, formatWhen } from '../format.js';

/** Deck ids for `--deck` names; a parent name includes its `::` subdecks. */
export function resolveDecks(ctx: Context, names: string[] | undefined): number[] | null {
  if (!names?.length) return null;
  const decks = ctx.store.decks();
  const ids: number[] = [];
  for (const name of names) {
    const matched = decks.filter((d) => d.name === name || d.name.startsWith(`${name}::`));
    if (matched.length === 0) {
      throw new RecallError('no-such-deck', `No deck named "${name}"`, { hint: `decks: ${decks.map((d) => d.name).join(', ') || '(none)'}`, exitCode: 2 });
    }
    ids.push(...matched.map((d) => d.id));
  }
  return ids;
}

export function loadSession(ctx: Context, deckIds: number[] | null): SessionState {
  const now = ctx.clock();
  const day = ctx.day(now);
  const done = ctx.store.doneOnDay(day);
  const newLeft = Math.max(0, ctx.settings.newPerDay - done.newDone);
  const reviewsLeft = Math.max(0, ctx.settings.reviewsPerDay - done.reviewsDone);
  const dayEnd = ctx.dayEnd(now);
  const cards = ctx.store.studyCards({ deckIds, now, dayEnd, newLimit: newLeft, reviewLimit: reviewsLeft }).map(toSessionCard);
  return createSession(cards, { dayEnd, newLeft, reviewsLeft });
}

export async function run(opts: { db?: string; deck?: string[] }, io: Io): Promise<number> {
  requireTty(io, 'review');
  const ctx = openContext({ db: opts.db, env: io.env });
  const st = styler(io.color);
  // Loaded here, not at the top, so non-interactive commands never pay for the prompt library.
  const { cardPrompt, choicePrompt } = await import('../card-prompt.js');
  try {
    const { errors } = syncBuiltinDecks(ctx.store, ctx.clock());
    for (const e of errors) io.err(`recall: warning: ${sanitize(e)}\n`);
    const deckIds = resolveDecks(ctx, opts.deck);
    let session = loadSession(ctx, deckIds);
    let cancelled = false;
    let studyAhead = false;
    for (;;) {
      const now = ctx.clock();
      let next = nextCard(session, now);
      if (next.kind === 'wait' && studyAhead) next = { kind: 'card', card: next.card, bucket: 'learning' };
      if (next.kind !== 'card') {
        const nextDue = next.kind === 'wait' ? next.until : ctx.store.nextDue(now);
        const when = nextDue === null ? 'No cards are scheduled.' : `Next card due ${formatWhen(nextDue, now, ctx.timeZone)}.`;
        io.out(`\n${st.bold('Nothing more to study now.')} ${when}\n`);
        if (next.kind === 'wait' || (nextDue !== null && session.history.length === 0)) {
          const choice = await choicePrompt({ message: 'Study ahead or quit?', choices: [{ key: 'a', label: 'study ahead' }, { key: 'q', label: 'quit' }] });
          if (choice === 'a') {
            if (next.kind === 'wait') {
              studyAhead = true;
              continue;
            }
            // Ahead of schedule: pull in the reviews due over the next week.
            const ahead = ctx.store.studyCards({ deckIds, now, dayEnd: now + 7 * 86_400_000, newLimit: 0, reviewLimit: 50 });
            if (ahead.length === 0) break;
            session = createSession(ahead.map(toSessionCard), { dayEnd: ctx.dayEnd(now), newLeft: 0, reviewsLeft: ahead.length });
            continue;
          }
        }
        break;
      }
      const { card, bucket } = next;
      // Another session may have answered, buried or suspended it since the queue was built.
      const fresh = ctx.store.getCard(card.id);
      if (!fresh || fresh.suspended || (fresh.buriedUntil !== null && fresh.buriedUntil > now) || fresh.schedule?.lastReview !== card.schedule?.lastReview) {
        session = dropCard(session, card.id);
        continue;
      }
      const previews = ctx.scheduler.preview(card.schedule, now);
      const intervals = Object.fromEntries(GRADES.map((g) => [g, formatInterval(previews[g].schedule.due - now)])) as Record<Grade, string>;
      const counts = remaining(session);
      const action = await cardPrompt({
        content: card.content,
        deckName: card.deckName,
        counts,
        bucket,
        intervals,
        seed: card.id * 7919 + (card.schedule?.reps ?? 0),
        typicalMs: ctx.store.typicalDuration(card.id, card.deckId, card.content.type),
        canUndo: session.history.length > 0,
        color: io.color,
        columns: io.columns,
      });
      const ack = () => action.ack && io.out(`${action.ack}\n`);
      if (action.kind === 'quit') {
        ack();
        break;
      }
      if (action.kind === 'cancel') {
        cancelled = true;
        break;
      }
      if (action.kind === 'undo') {
        const u = applyUndo(session);
        if (!u) continue;
        const siblings = u.undone.buried.map((b) => b.card.id);
        const restored = undoAnswer(ctx, u.undone.reviewId, u.undone.card.id, siblings);
        ack();
        session = u.state;
        io.out(st.dim(`Undid the last answer; ${restored ? 'its card is back.' : 'the card is new again.'}\n`));
        continue;
      }
      if (action.kind === 'bury') {
        buryCard(ctx, card.id);
        ack();
        session = dropCard(session, card.id);
        continue;
      }
      if (action.kind === 'suspend') {
        suspendCard(ctx, card.id);
        ack();
        session = dropCard(session, card.id);
        continue;
      }
      const res = answerCard(ctx, card, action.grade, { durationMs: action.durationMs, answer: action.answer });
      if (!res.ok) {
        io.out(st.yellow('That card was answered in another session; skipped.\n'));
        session = dropCard(session, card.id);
        continue;
      }
      ack();
      session = applyAnswer(session, card, bucket, res.schedule!, { reviewId: res.reviewId, grade: action.grade, durationMs: action.durationMs });
    }
    const sum = summarize(session);
    const now = ctx.clock();
    const nextDue = ctx.store.nextDue(now);
    io.out(
      `\n${st.bold('Session summary')}\n` +
        `  cards reviewed  ${sum.reviewed}\n` +
        `  time            ${formatDuration(sum.timeMs)}\n` +
        `  again rate      ${sum.reviewed ? Math.round((100 * sum.again) / sum.reviewed) : 0}%\n` +
        `  next due        ${nextDue === null ? '-' : formatWhen(nextDue, now, ctx.timeZone)}\n`,
    );
    if (cancelled) throw new ExitRequest(130);
    return 0;
  } finally {
    ctx.store.close();
  }
}
