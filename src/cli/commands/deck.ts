// `recall deck list | rename | delete | hide | unhide`.
import { plural } from '../../core/plural.js';
import { syncBuiltins } from '../builtin.js';
import { openContext } from '../../app/context.js';
import { deleteDeck, hideDeck, listDecks, renameDeck } from '../../app/deck-admin.js';
import { syncBuiltinDecks } from '../../app/sync.js';
import { RecallError } from '../../core/errors.js';
import { sanitize } from '../../core/text.js';
import { printJson, styler, type Io } from '../io.js';
import { formatTable } from '../table.js';

interface Opts {
  db?: string;
  args: string[];
  json?: boolean;
  all?: boolean;
  yes?: boolean;
  dryRun?: boolean;
}

export async function runList(opts: Opts, io: Io): Promise<number> {
  const ctx = openContext({ db: opts.db, env: io.env });
  try {
    syncBuiltins(ctx, io);
    const decks = listDecks(ctx, { all: opts.all });
    if (opts.json) {
      printJson(io, decks);
      return 0;
    }
    const st = styler(io.color);
    if (decks.length === 0) {
      io.out('No decks yet. Import one with: recall import PATH\n');
      return 0;
    }
    const rows = decks.map((d) => [
      sanitize(d.name) + (d.hidden ? ' (hidden)' : '') + (d.deleted ? ' (deleted)' : ''),
      d.origin,
      sanitize(d.preset ?? 'default'),
      String(d.new),
      String(d.learning),
      String(d.due),
      String(d.suspended),
      String(d.leeches),
      String(d.total),
    ]);
    io.out(
      formatTable(
        [
          { header: 'deck', flex: true, min: 12 },
          { header: 'from' },
          { header: 'preset', flex: true, min: 7 },
          { header: 'new', align: 'right' },
          { header: 'learn', align: 'right' },
          { header: 'due', align: 'right' },
          { header: 'susp', align: 'right' },
          { header: 'leech', align: 'right' },
          { header: 'total', align: 'right' },
        ],
        rows,
        io.columns,
        { header: st.bold },
      ),
    );
    return 0;
  } finally {
    ctx.store.close();
  }
}

export async function runRename(opts: Opts, io: Io): Promise<number> {
  const [from, to] = opts.args as [string, string];
  const ctx = openContext({ db: opts.db, env: io.env });
  try {
    // With the built-in decks in place, a new name can never be one of theirs.
    syncBuiltinDecks(ctx);
    const r = renameDeck(ctx, from, to);
    if (opts.json) {
      printJson(io, r);
      return 0;
    }
    for (const x of r.renamed) io.out(`Renamed "${sanitize(x.from)}" to "${sanitize(x.to)}"${x.file ? ` (and the deck: line of ${sanitize(x.file)})` : ''}.\n`);
    io.out(styler(io.color).dim('recall undo takes it back.\n'));
    return 0;
  } finally {
    ctx.store.close();
  }
}

export async function runDelete(opts: Opts, io: Io): Promise<number> {
  const [name] = opts.args as [string];
  const ctx = openContext({ db: opts.db, env: io.env });
  try {
    const preview = deleteDeck(ctx, name, { dryRun: true });
    const what = `${plural(preview.cards, 'card')} of ${preview.decks.map((d) => `"${sanitize(d)}"`).join(', ')}`;
    if (opts.dryRun) {
      if (opts.json) printJson(io, preview);
      else io.out(`Dry run: would delete ${what}; nothing changed.\n`);
      return 0;
    }
    if (!opts.yes) {
      if (!io.stdinIsTty || !io.stdoutIsTty) {
        throw new RecallError('confirm', `Deleting ${what} needs confirmation`, { hint: 'pass --yes (recall undo can still take it back)', exitCode: 2 });
      }
      // The prompt library is loaded only when a prompt is shown.
      const { confirm } = await import('@inquirer/prompts');
      const ok = await confirm({ message: `Delete ${what}? Their review history is kept, and recall undo brings them back.`, default: false });
      // Declining is an answer, not a failure.
      if (!ok) {
        io.out('Nothing was deleted.\n');
        return 0;
      }
    }
    const r = deleteDeck(ctx, name);
    if (opts.json) printJson(io, r);
    else io.out(`Deleted ${what}. ${styler(io.color).dim('recall undo takes it back.')}\n`);
    return 0;
  } finally {
    ctx.store.close();
  }
}

export function hideRunner(hide: boolean) {
  return async (opts: Opts, io: Io): Promise<number> => {
    const [name] = opts.args as [string];
    const ctx = openContext({ db: opts.db, env: io.env });
    try {
      syncBuiltinDecks(ctx);
      const r = hideDeck(ctx, name, hide);
      if (opts.json) {
        printJson(io, { hidden: hide, ...r });
        return 0;
      }
      const names = r.decks.map((d) => `"${sanitize(d)}"`).join(', ');
      if (r.changed.length === 0) io.out(`${names} ${r.decks.length === 1 ? 'is' : 'are'} already ${hide ? 'hidden' : 'shown'}.\n`);
      else {
        io.out(
          hide
            ? `Hid ${names}: left out of sessions, counts and statistics (still searchable, and studied with --deck). `
            : `${names} ${r.decks.length === 1 ? 'is' : 'are'} shown again. `,
        );
        io.out(styler(io.color).dim('recall undo takes it back.\n'));
      }
      return 0;
    } finally {
      ctx.store.close();
    }
  };
}
