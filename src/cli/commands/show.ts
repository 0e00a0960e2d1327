// `recall show CARD`: a card's content, deck, tags, where it comes from, its schedule and its whole history.
import { plural } from '../../core/plural.js';
import { TZDate } from '@date-fns/tz/date';
import { format } from 'date-fns/format';
import { cardInfo, resolveCard, type CardInfo } from '../../app/cards.js';
import { syncBuiltins } from '../builtin.js';
import { openContext } from '../../app/context.js';
import { sanitize } from '../../core/text.js';
import { GRADE_NAMES, type Grade } from '../../core/types.js';
import { answerText, presentCard } from '../../quiz/present.js';
import { LOCAL_ZONE, formatInterval } from '../../scheduler/index.js';
import { formatWhen } from '../format.js';
import { printJson, styler, type Io } from '../io.js';
import { dueLabel, queryArg, stateLabel } from './search.js';

const STATES = ['new', 'learning', 'review', 'relearning'];

export async function run(opts: { db?: string; args: string[]; json?: boolean }, io: Io): Promise<number> {
  const ctx = openContext({ db: opts.db, env: io.env });
  try {
    syncBuiltins(ctx, io);
    const info = cardInfo(ctx, resolveCard(ctx, queryArg(opts.args)));
    if (opts.json) {
      printJson(io, info);
      return 0;
    }
    io.out(render(info, ctx.clock(), ctx.timeZone, io.color));
    return 0;
  } finally {
    ctx.store.close();
  }
}

function render(c: CardInfo, now: number, timeZone: string, color: boolean): string {
  const st = styler(color);
  const when = (ms: number) => format(timeZone === LOCAL_ZONE ? new Date(ms) : new TZDate(ms, timeZone), 'yyyy-MM-dd HH:mm');
  const out: string[] = [];
  const row = (k: string, v: string) => out.push(`${st.dim(k.padEnd(14))}${v}`);
  const indent = (text: string) => sanitize(text).split('\n').map((l) => `  ${l}`).join('\n');
  out.push(st.bold(`Card ${c.id}`) + `  ${c.type} card in "${sanitize(c.deck)}"`);
  row('guid', sanitize(c.guid));
  row('from', c.file ? `${sanitize(c.file)}${c.line ? `:${c.line}` : ''}` : c.origin === 'anki' ? 'an Anki import (stored in the database)' : 'the database');
  row('tags', c.tags.length ? sanitize(c.tags.join(' ')) : '-');
  row('state', stateLabel(c));
  if (c.due !== null) row('due', `${formatWhen(c.due, now, timeZone)}${c.due <= now ? ` (${dueLabel(c, now)})` : ''}`);
  if (c.intervalDays !== null && c.state === 'review') row('interval', formatInterval(c.intervalDays * 86_400_000));
  if (c.stability !== null) row('stability', `${c.stability.toFixed(2)} days`);
  if (c.difficulty !== null) row('difficulty', `${c.difficulty.toFixed(2)} (1-10)`);
  if (c.retrievability !== null) row('recall now', `${(c.retrievability * 100).toFixed(1)}%`);
  row('reviews', `${c.reps} (${plural(c.lapses, 'lapse')})`);
  row('added', when(c.added));
  const p = presentCard(c.content, 0);
  out.push('', st.bold('Question'), indent(p.prompt));
  if (p.type === 'choice' || p.type === 'multi') out.push(...p.options.map((o) => `  - ${sanitize(o.text)}`));
  if (p.type === 'classify') out.push(`  categories: ${sanitize(p.categories.join(' | '))}`, ...p.items.map((i) => `  - ${sanitize(i.text)}`));
  out.push(st.bold('Answer'), indent(answerText(c.content)));
  if (c.content.explanation) out.push(st.bold('Explanation'), indent(c.content.explanation));
  if (c.content.source) out.push(st.bold('Source'), indent(c.content.source));
  out.push('', st.bold('History'));
  type Line = { at: number; text: string; undone: boolean };
  const lines: Line[] = [
    ...c.reviews.map((r) => ({
      at: r.reviewedAt,
      undone: r.undoneAt !== null,
      text:
        r.rating === 0
          ? `${r.kind.padEnd(7)} ${r.stateAfter === 0 ? 'forgotten (back to new)' : `due date set to ${when(r.due)}`}`
          : `${r.kind.padEnd(7)} ${GRADE_NAMES[r.rating as Grade].padEnd(6)} ${STATES[r.stateBefore] ?? '?'} → ${STATES[r.stateAfter] ?? '?'}` +
            (r.scheduled ? `, next in ${formatInterval(r.due - r.reviewedAt)}` : ' (did not reschedule)') + `, ${Math.round(r.durationMs / 1000)}s`,
    })),
    ...c.events.map((e) => ({ at: e.at, undone: e.undone, text: `event   ${describeEvent(e.kind, e.data, when)}` })),
  ].sort((a, b) => a.at - b.at);
  if (lines.length === 0) out.push('  (none yet)');
  for (const l of lines) out.push(`  ${when(l.at)}  ${l.undone ? st.dim(`${l.text} (undone)`) : l.text}`);
  return `${out.join('\n')}\n`;
}

function describeEvent(kind: string, data: Record<string, unknown>, when: (ms: number) => string): string {
  switch (kind) {
    case 'bury':
      return `buried until ${when(data.until as number)}`;
    case 'move':
      return `moved to another deck`;
    case 'edit': {
      const before = JSON.parse((data.before as { content: string }).content) as { tags?: string[] };
      const after = JSON.parse((data.after as { content: string }).content) as { tags?: string[] };
      const added = (after.tags ?? []).filter((t) => !(before.tags ?? []).includes(t));
      return added.includes('leech') ? 'tagged leech' : 'edited';
    }
    case 'remove':
      return 'removed from its deck';
    case 'restore':
      return 'back in its deck';
    case 'suspend':
      return 'suspended';
    case 'unsuspend':
      return 'unsuspended';
    case 'unbury':
      return 'unburied';
    default:
      return kind;
  }
}
