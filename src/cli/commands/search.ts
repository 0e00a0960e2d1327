// `recall search QUERY`: the matching cards as a table that fits the terminal, or as JSON with every field.
import { plural } from '../../core/plural.js';
import { syncBuiltins } from '../builtin.js';
import { openContext } from '../../app/context.js';
import { SEARCH_SORTS, searchCards, type CardHit } from '../../app/search.js';
import { RecallError } from '../../core/errors.js';
import { sanitize } from '../../core/text.js';
import type { SearchSort } from '../../store/api.js';
import { formatInterval } from '../../scheduler/index.js';
import { printJson, styler, type Io } from '../io.js';
import { formatTable } from '../table.js';

/** The query from the command line: one argument as typed; several joined, each with spaces kept as a phrase. */
export function queryArg(args: readonly string[]): string {
  if (args.length <= 1) return args[0] ?? '';
  return args.map((a) => (/\s/.test(a) && !a.startsWith('"') ? `"${a.replace(/(["\\])/g, '\\$1')}"` : a)).join(' ');
}

export function parseLimit(raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 1_000_000) throw new RecallError('bad-limit', `--limit ${raw} is not a number of cards`, { hint: 'give a whole number; 0 shows every match', exitCode: 2 });
  return n;
}

export function parseSort(raw: string | undefined): SearchSort | undefined {
  if (raw === undefined) return undefined;
  const s = raw.toLowerCase() as SearchSort;
  if (!SEARCH_SORTS.includes(s)) throw new RecallError('bad-sort', `Cannot sort by "${raw}"`, { hint: `sort by one of: ${SEARCH_SORTS.join(', ')}`, exitCode: 2 });
  return s;
}

const DAY = 86_400_000;

/** "review", "new", with "susp", "buried", "leech" after it. */
export function stateLabel(c: CardHit): string {
  return [c.removed ? 'removed' : c.state, ...(c.suspended ? ['susp'] : []), ...(c.buried ? ['buried'] : []), ...(c.leech ? ['leech'] : [])].join(' ');
}

/** When it is due from now: `3d`, `now`, or `-2d` when overdue; `-` for a new card. */
export function dueLabel(c: CardHit, now: number): string {
  if (c.due === null) return '-';
  if (Math.abs(c.due - now) < 60_000) return 'now';
  return c.due < now ? `-${formatInterval(now - c.due)}` : formatInterval(c.due - now);
}

export async function run(opts: { db?: string; args: string[]; limit?: string; sort?: string; reverse?: boolean; json?: boolean }, io: Io): Promise<number> {
  const query = queryArg(opts.args);
  // A page by default, with the total: a query can match a whole collection (`--limit 0` takes every match).
  const limit = parseLimit(opts.limit, opts.json ? 100 : 50);
  const sort = parseSort(opts.sort);
  const ctx = openContext({ db: opts.db, env: io.env });
  try {
    syncBuiltins(ctx, io);
    const { total, cards } = searchCards(ctx, query, { limit, sort, reverse: Boolean(opts.reverse) });
    if (opts.json) {
      printJson(io, { query, total, limit: limit || null, sort: sort ?? 'deck', cards });
      return 0;
    }
    if (cards.length === 0) {
      io.out(`No cards match${query ? ` "${sanitize(query)}"` : ''}.\n`);
      return 0;
    }
    // Loaded for the table only: --json never formats a date or a question.
    const { cardLabel } = await import('../format.js');
    const now = ctx.clock();
    const st = styler(io.color);
    const rows = cards.map((c) => [
      String(c.id),
      sanitize(c.deck),
      cardLabel(c.content, 200),
      stateLabel(c),
      dueLabel(c, now),
      c.intervalDays === null || c.state !== 'review' ? '-' : formatInterval(c.intervalDays * DAY),
      String(c.lapses),
    ]);
    io.out(
      formatTable(
        [
          { header: 'id', align: 'right' },
          { header: 'deck', flex: true, min: 10 },
          { header: 'question', flex: true, min: 16 },
          { header: 'state', flex: true, min: 6 },
          { header: 'due', align: 'right' },
          { header: 'ivl', align: 'right' },
          { header: 'lapses', align: 'right' },
        ],
        rows,
        io.columns,
        { header: st.bold },
      ),
    );
    if (total > cards.length) io.out(st.dim(`${cards.length} of ${total} cards shown; --limit 0 shows all\n`));
    else io.out(st.dim(`${plural(total, 'card')}\n`));
    return 0;
  } finally {
    ctx.store.close();
  }
}
