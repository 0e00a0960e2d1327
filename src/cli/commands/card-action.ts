// `recall suspend|unsuspend|bury|unbury|forget QUERY [--dry-run]`: one action over every card the query matches,
// undone as a whole by `recall undo`.
import { plural } from '../../core/plural.js';
import { applies, applyCardAction, type CardActionKind } from '../../app/card-actions.js';
import { syncBuiltins } from '../builtin.js';
import { openContext } from '../../app/context.js';
import { searchCardIds } from '../../app/search.js';
import { RecallError } from '../../core/errors.js';
import { sanitize } from '../../core/text.js';
import { printJson, type Io } from '../io.js';
import { queryArg } from './search.js';

type Kind = Extract<CardActionKind, 'suspend' | 'unsuspend' | 'bury' | 'unbury' | 'forget'>;

const DONE: Record<Kind, string> = { suspend: 'Suspended', unsuspend: 'Unsuspended', bury: 'Buried', unbury: 'Unburied', forget: 'Forgot' };
const ALREADY: Record<Kind, string> = {
  suspend: 'already suspended',
  unsuspend: 'not suspended',
  bury: 'already buried',
  unbury: 'not buried',
  forget: 'new already',
};

const cards = (n: number) => plural(n, 'card');

export function runner(kind: Kind) {
  return async (opts: { db?: string; args: string[]; dryRun?: boolean; json?: boolean }, io: Io): Promise<number> => {
    const query = queryArg(opts.args);
    if (!query.trim()) {
      throw new RecallError('no-query', `recall ${kind} needs a query`, { hint: `e.g. recall ${kind} 'deck:Spanish tag:verbs'; 'deck:*' matches every card`, exitCode: 2 });
    }
    const ctx = openContext({ db: opts.db, env: io.env });
    try {
      syncBuiltins(ctx, io);
      const ids = searchCardIds(ctx, query);
      if (opts.dryRun) {
        // What would change, by the same test the action itself applies; nothing is written.
        const now = ctx.clock();
        const would = ids.filter((id) => applies(ctx.store.getCard(id)!, { kind }, now));
        if (opts.json) printJson(io, { action: kind, query, matched: ids.length, changed: would.length, unchanged: ids.length - would.length, dryRun: true, cardIds: would });
        else io.out(`Dry run: would ${kind} ${cards(would.length)} of ${cards(ids.length)} matching "${sanitize(query)}"${ids.length > would.length ? ` (${ids.length - would.length} ${ALREADY[kind]})` : ''}; nothing changed.\n`);
        return 0;
      }
      const r = applyCardAction(ctx, ids, { kind });
      if (opts.json) {
        printJson(io, { action: kind, query, matched: ids.length, changed: r.changed.length, unchanged: r.unchanged.length, dryRun: false, cardIds: r.changed, actionUid: r.actionUid });
        return 0;
      }
      if (ids.length === 0) io.out(`No cards match "${sanitize(query)}"; nothing changed.\n`);
      else {
        io.out(`${DONE[kind]} ${cards(r.changed.length)} of ${cards(ids.length)} matching "${sanitize(query)}"${r.unchanged.length ? ` (${r.unchanged.length} ${ALREADY[kind]})` : ''}.`);
        io.out(r.actionUid ? ' recall undo takes it back.\n' : '\n');
      }
      return 0;
    } finally {
      ctx.store.close();
    }
  };
}
