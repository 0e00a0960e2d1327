// `recall doctor`: is the database sound, and is everything derived from the log what the log says?
import { openContext } from '../../app/context.js';
import { checkCardFlags, findScheduleMismatches, rescheduleAll } from '../../app/maintenance.js';
import { printJson, styler, type Io } from '../io.js';

export async function run(opts: { db?: string; fix?: boolean; json?: boolean }, io: Io): Promise<number> {
  const ctx = openContext({ db: opts.db, env: io.env });
  try {
    const { store } = ctx;
    const fix = Boolean(opts.fix);
    const integrity = store.integrityCheck();
    const foreignKeys = store.foreignKeyViolations();
    // Flags, deck and content first: a schedule is the replay under its (derived) deck's scheduler.
    const flagMismatches = checkCardFlags(ctx, fix);
    const mismatches = findScheduleMismatches(ctx);
    // Each card carries a copy of its schedule's state and due time for fast counts; triggers keep them, this checks.
    const staleCounts = store.staleCardStates();
    let repaired = 0;
    if (fix && mismatches.length) {
      repaired = rescheduleAll(ctx, mismatches.map((m) => m.cardId)).changed;
      store.rebuildDaily();
    }
    if (fix && staleCounts) store.transaction(() => store.fixCardStates());
    const ok = integrity.length === 1 && integrity[0] === 'ok' && foreignKeys === 0;
    const healthy = ok && (mismatches.length === 0 || repaired === mismatches.length) && ((staleCounts === 0 && flagMismatches.length === 0) || fix);
    if (opts.json) {
      printJson(io, {
        ok: healthy,
        integrity,
        foreignKeyViolations: foreignKeys,
        cardFlagMismatches: flagMismatches,
        scheduleMismatches: mismatches.map((m) => m.cardId),
        staleCardStates: staleCounts,
        repaired: repaired + (fix ? flagMismatches.length : 0),
      });
    } else {
      const st = styler(io.color);
      const line = (good: boolean, text: string) => io.out(`${good ? st.green('✓') : st.red('✗')} ${text}\n`);
      const advice = (n: number, fixed: string) => (n ? (fix ? `, ${fixed}` : ' (run recall doctor --fix)') : '');
      line(integrity[0] === 'ok', `integrity: ${integrity.join('; ')}`);
      line(foreignKeys === 0, `foreign keys: ${foreignKeys} violation(s)`);
      line(flagMismatches.length === 0 || fix, `card flags: ${flagMismatches.length} differ from their event log${advice(flagMismatches.length, 'rebuilt')}`);
      line(staleCounts === 0 || fix, `card states: ${staleCounts} differ from their schedule${advice(staleCounts, 'fixed')}`);
      line(mismatches.length === 0 || repaired === mismatches.length, `schedules: ${mismatches.length} differ from the replay of their review log${repaired ? `, ${repaired} rebuilt` : mismatches.length ? ' (run recall doctor --fix)' : ''}`);
    }
    return healthy ? 0 : 1;
  } finally {
    ctx.store.close();
  }
}
