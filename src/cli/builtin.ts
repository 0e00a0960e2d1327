import type { Context } from '../app/context.js';
import { syncBuiltinDecks } from '../app/sync.js';
import { sanitize } from '../core/text.js';
import type { Io } from './io.js';

/**
 * Brings the built-in decks up to date before a command reads the collection (so a fresh collection knows them
 * without a `recall decks` first); their problems become warnings.
 */
export function syncBuiltins(ctx: Context, io: Io): void {
  for (const e of syncBuiltinDecks(ctx).errors) io.err(`recall: warning: ${sanitize(e)}\n`);
}
