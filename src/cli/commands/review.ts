// `recall review`: draws what the study use case hands over and reads keys. No SQL, no scheduling, no queue here.
import { plural } from '../../core/plural.js';
import { syncBuiltins } from '../builtin.js';
import { openContext } from '../../app/context.js';
import { resolveDeck, resolveDeckIds } from '../../app/decks.js';
import { resolveSearch } from '../../app/search.js';
import { openStudy, type SessionEnd } from '../../app/study.js';
import { sanitize } from '../../core/text.js';
import { GRADES, type Grade } from '../../core/types.js';
import { presentCard } from '../../quiz/present.js';
import { formatInterval } from '../../scheduler/index.js';
import { showCardMedia } from '../media-view.js';
import { ExitRequest, requireTty, styler, type Io, type Styler } from '../io.js';
import { formatDuration, formatWhen, undoMessage } from '../format.js';


/** Why the session stopped, what comes next, and what else could be studied. */
export function describeEnd(end: SessionEnd, now: number, timeZone: string, st: Styler, waiting: boolean): string[] {
  const lines: string[] = [];
  const { heldBack, limits } = end;
  // Held back by a deck's own limits (its preset's): say which deck, and how to raise them for it.
  const own = { reviews: 0, news: 0 };
  for (const d of end.deckLimits) {
    const deck = sanitize(d.deck);
    if (d.reviews > 0) {
      own.reviews += d.reviews;
      lines.push(`"${deck}" reached its review limit (${d.limits.reviewsPerDay} a day, preset "${sanitize(d.preset)}"): ${plural(d.reviews, 'more review')} due today; raise it with ${st.bold(`recall config set reviewsPerDay ${Math.max(d.limits.reviewsPerDay * 2, d.limits.reviewsPerDay + d.reviews)} --deck "${deck}"`)}.`);
    }
    if (d.news > 0) {
      own.news += d.news;
      lines.push(`"${deck}" reached its new card limit (${d.limits.newPerDay} a day, preset "${sanitize(d.preset)}"): ${plural(d.news, 'new card')} ${d.news === 1 ? 'waits' : 'wait'}; raise it with ${st.bold(`recall config set newPerDay ${Math.max(10, d.limits.newPerDay * 2)} --deck "${deck}"`)}.`);
    }
  }
  const scope = end.limitsDeck === null ? '' : ` --deck "${sanitize(end.limitsDeck)}"`;
  // What the session's own limits held back, beyond the decks' own.
  const held = { reviews: Math.max(0, heldBack.reviews - own.reviews), news: Math.max(0, heldBack.news - own.news) };
  if (held.reviews > 0) {
    lines.push(
      `Daily review limit reached: ${plural(held.reviews, 'more review')} ${held.reviews === 1 ? 'is' : 'are'} due today (limit ${limits.reviewsPerDay} a day; ` +
        `raise it with ${st.bold(`recall config set reviewsPerDay ${Math.max(limits.reviewsPerDay * 2, limits.reviewsPerDay + held.reviews)}${scope}`)}).`,
    );
  }
  if (held.news > 0) {
    lines.push(
      limits.newPerDay === 0
        ? `New cards are off (newPerDay is 0): ${plural(held.news, 'new card')} ${held.news === 1 ? 'waits' : 'wait'}; turn them on with ${st.bold(`recall config set newPerDay 20${scope}`)}.`
        : `New card limit reached: ${plural(held.news, 'new card')} ${held.news === 1 ? 'waits' : 'wait'} (limit ${limits.newPerDay} a day; raise it with ${st.bold(`recall config set newPerDay ${limits.newPerDay * 2}${scope}`)}).`,
    );
  }
  if (waiting) lines.push(`Only learning cards are left today; the next is due ${formatWhen(end.nextDue ?? now, now, timeZone)}.`);
  else if (end.nextDue === null) lines.push(heldBack.news > 0 ? 'No reviews are scheduled yet.' : 'No cards are scheduled: add or import a deck (recall import PATH).');
  else lines.push(`Next card due ${formatWhen(end.nextDue, now, timeZone)}.`);
  return lines;
}

export async function run(opts: { db?: string; deck?: string[]; query?: string }, io: Io): Promise<number> {
  requireTty(io, 'review');
  const ctx = openContext({ db: opts.db, env: io.env });
  const st = styler(io.color);
  // Loaded here, not at the top, so non-interactive commands never pay for the prompt library.
  const { cardPrompt, choicePrompt } = await import('../card-prompt.js');
  try {
    syncBuiltins(ctx, io);
    // One deck named: its limits cap the session (and each subdeck's its own share), as when a deck is chosen in Anki.
    const rootDeckId = opts.deck?.length === 1 ? resolveDeck(ctx, opts.deck[0]!).id : null;
    const query = opts.query === undefined ? null : resolveSearch(ctx, opts.query);
    const study = openStudy(ctx, { deckIds: resolveDeckIds(ctx, opts.deck), rootDeckId, query });
    let cancelled = false;
    let offered = false;
    for (;;) {
      const next = study.next();
      if (next.kind !== 'card') {
        const now = ctx.clock();
        io.out(`\n${st.bold('Nothing more to study now.')}\n`);
        for (const line of describeEnd(next.end, now, ctx.timeZone, st, next.kind === 'wait')) io.out(`${line}\n`);
        // Study ahead is offered when waiting for learning cards, or when this session had nothing to do; more new
        // cards whenever the limit holds some back.
        const ahead = next.kind === 'done' && next.end.ahead > 0 && !offered && study.summary().reviewed === 0;
        const choices = [
          ...(next.kind === 'wait' ? [{ key: 'a', label: 'learn ahead' }] : []),
          ...(ahead ? [{ key: 'a', label: `study ahead (${plural(next.end.ahead, 'review')} due this week)` }] : []),
          ...(next.end.heldBack.news > 0 ? [{ key: 'n', label: '10 more new cards' }] : []),
        ];
        if (choices.length === 0) break;
        const choice = await choicePrompt({ message: 'Study more?', choices: [...choices, { key: 'q', label: 'quit' }] });
        if (choice === 'a' && next.kind === 'wait') study.learnAhead();
        else if (choice === 'a') {
          offered = true;
          if (!study.studyAhead()) break;
        } else if (choice === 'n') {
          if (!study.moreNew(10)) break;
        } else break;
        continue;
      }
      const { drawn, bucket, counts, typicalMs } = next;
      const card = drawn.card;
      const intervals = Object.fromEntries(GRADES.map((g) => [g, formatInterval(drawn.intervals[g])])) as Record<Grade, string>;
      const seed = card.id * 7919 + (card.schedule?.reps ?? 0);
      const media = await showCardMedia(ctx, card.content, presentCard(card.content, seed).prompt, io);
      const action = await cardPrompt({
        content: media.content,
        ...(media.onPlay ? { onPlay: media.onPlay } : {}),
        deckName: card.deckName,
        counts,
        bucket,
        intervals,
        seed,
        typicalMs,
        canUndo: study.canUndo(),
        color: io.color,
        columns: io.columns,
      });
      // The acknowledgement is printed only once what it acknowledges is committed.
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
        const u = study.undo();
        io.out(st.dim(`${u ? `${undoMessage(u)}${u.requeued ? ' The card is back.' : ''}` : 'Nothing to undo.'}\n`));
        continue;
      }
      if (action.kind === 'bury') {
        study.bury(drawn);
        ack();
        continue;
      }
      if (action.kind === 'suspend') {
        study.suspend(drawn);
        ack();
        continue;
      }
      const res = study.answer(drawn, action.grade, { durationMs: action.durationMs, answer: action.answer });
      if (!res.ok) {
        io.out(st.yellow(res.reason === 'answered-elsewhere' ? 'That card was answered in another session; skipped.\n' : 'That card was changed in another session; skipped.\n'));
        continue;
      }
      ack();
      if (res.leech) {
        io.out(
          st.yellow(
            `This card is a leech: forgotten ${plural(res.leech.lapses, 'time')}. ${res.leech.tagged ? 'Tagged leech' : 'It is tagged leech'}${res.leech.suspended ? ' and suspended' : ''}; ` +
              `rewrite it with recall edit ${drawn.card.id}${res.leech.suspended ? `, then recall unsuspend id:${drawn.card.id}` : ''}.\n`,
          ),
        );
      }
    }
    const sum = study.summary();
    const now = ctx.clock();
    io.out(
      `\n${st.bold('Session summary')}\n` +
        `  cards reviewed  ${sum.reviewed}\n` +
        `  time            ${formatDuration(sum.timeMs)}\n` +
        `  again rate      ${sum.reviewed ? Math.round((100 * sum.again) / sum.reviewed) : 0}%\n` +
        `  next due        ${sum.nextDue === null ? '-' : formatWhen(sum.nextDue, now, ctx.timeZone)}\n`,
    );
    if (cancelled) throw new ExitRequest(130);
    return 0;
  } finally {
    ctx.store.close();
  }
}
