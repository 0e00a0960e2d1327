import { syncBuiltins } from '../builtin.js';
import { openContext } from '../../app/context.js';
import { plural } from '../../core/plural.js';
import { listDecks } from '../../app/deck-admin.js';
import { sanitize } from '../../core/text.js';
import { printJson, styler, type Io } from '../io.js';

export async function run(opts: { db?: string; json?: boolean }, io: Io): Promise<number> {
  const ctx = openContext({ db: opts.db, env: io.env });
  try {
    syncBuiltins(ctx, io);
    // Hidden decks and deleted ones (every card removed) are not listed; `recall deck list` shows them.
    const all = listDecks(ctx, { leeches: false });
    const counts = all
      .filter((d) => !d.hidden)
      .map((d) => ({ name: opts.json ? d.name : sanitize(d.name), new: d.new, learning: d.learning, due: d.due, suspended: d.suspended, total: d.total }));
    const hiddenCount = all.length - counts.length;
    if (opts.json) {
      printJson(io, counts);
      return 0;
    }
    const st = styler(io.color);
    const nameWidth = Math.max(4, ...counts.map((c) => c.name.length));
    const pad = (s: string | number, w: number) => String(s).padStart(w);
    io.out(st.bold(`${'Deck'.padEnd(nameWidth)}  ${pad('New', 5)}  ${pad('Learn', 5)}  ${pad('Due', 5)}  ${pad('Susp', 5)}  ${pad('Total', 6)}`) + '\n');
    for (const c of counts) {
      io.out(
        `${c.name.padEnd(nameWidth)}  ${st.blue(pad(c.new, 5))}  ${st.red(pad(c.learning, 5))}  ${st.green(pad(c.due, 5))}  ${st.dim(pad(c.suspended, 5))}  ${pad(c.total, 6)}\n`,
      );
    }
    if (counts.length === 0 && hiddenCount === 0) io.out('No decks yet. Import one with: recall import PATH\n');
    if (hiddenCount > 0) io.out(st.dim(`${plural(hiddenCount, 'hidden deck')} not shown (recall deck list shows all; recall deck unhide NAME)\n`));
    return 0;
  } finally {
    ctx.store.close();
  }
}
