import { openContext } from '../../app/context.js';
import { findScheduleMismatches, rescheduleAll } from '../../app/maintenance.js';
import { printJson, styler, type Io } from '../io.js';

export async function run(opts: { db?: string; fix?: boolean; json?: boolean }, io: Io): Promise<number> {
  const ctx = openContext({ db: opts.db, env: io.env });
  try {
    const db = ctx.store.db;
    const integrity = (db.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check);
    const foreignKeys = db.pragma('foreign_key_check') as unknown[];
    const mismatches = findScheduleMismatches(ctx);
    // Each card carries a copy of its schedule's state and due time for fast counts; triggers keep them, this checks.
    const staleCounts = db.prepare('SELECT count(*) FROM cards c LEFT JOIN schedules s ON s.card_id = c.id WHERE c.state != coalesce(s.state, 0) OR c.due IS NOT s.due').pluck().get() as number;
    let repaired = 0;
    if (opts.fix && mismatches.length) {
      repaired = rescheduleAll(ctx, mismatches.map((m) => m.cardId)).changed;
      ctx.store.rebuildDaily();
    }
    if (opts.fix && staleCounts) {
      db.exec('UPDATE cards SET state = coalesce((SELECT s.state FROM schedules s WHERE s.card_id = cards.id), 0), due = (SELECT s.due FROM schedules s WHERE s.card_id = cards.id)');
    }
    const ok = integrity.length === 1 && integrity[0] === 'ok' && foreignKeys.length === 0;
    const healthy = ok && (mismatches.length === 0 || repaired === mismatches.length) && (staleCounts === 0 || Boolean(opts.fix));
    if (opts.json) {
      printJson(io, { ok: healthy, integrity, foreignKeyViolations: foreignKeys.length, scheduleMismatches: mismatches.map((m) => m.cardId), staleCardStates: staleCounts, repaired });
    } else {
      const st = styler(io.color);
      const line = (good: boolean, text: string) => io.out(`${good ? st.green('✓') : st.red('✗')} ${text}\n`);
      line(integrity[0] === 'ok', `integrity: ${integrity.join('; ')}`);
      line(foreignKeys.length === 0, `foreign keys: ${foreignKeys.length} violation(s)`);
      line(staleCounts === 0 || Boolean(opts.fix), `card states: ${staleCounts} differ from their schedule${staleCounts ? (opts.fix ? ', fixed' : ' (run recall doctor --fix)') : ''}`);
      line(mismatches.length === 0 || repaired === mismatches.length, `schedules: ${mismatches.length} differ from the replay of their review log${repaired ? `, ${repaired} rebuilt` : mismatches.length ? ' (run recall doctor --fix)' : ''}`);
    }
    return healthy ? 0 : 1;
  } finally {
    ctx.store.close();
  }
}
