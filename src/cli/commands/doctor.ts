// `recall doctor`: is the database sound, and is everything derived from the log what the log says?
import { checkZoneTable, openContext } from '../../app/context.js';
import { caseVariantDecks } from '../../app/decks.js';
import { checkCardFlags, findScheduleMismatches, rescheduleAll } from '../../app/maintenance.js';
import { checkMedia, mediaDir, pruneUnusedMedia } from '../../app/media.js';
import { plural } from '../../core/plural.js';
import { sanitize } from '../../core/text.js';
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
    // The statistics read rollups of the log and the cards (daily, card_counts); they must add up to what those say.
    const rollups = store.staleRollups();
    const staleRollups = rollups.daily + rollups.cardCounts;
    let repaired = 0;
    if (fix && mismatches.length) {
      repaired = rescheduleAll(ctx, mismatches.map((m) => m.cardId)).changed;
      store.rebuildDaily();
    }
    if (fix && staleCounts) store.transaction(() => store.fixCardStates());
    if (fix && staleRollups) store.rebuildRollups();
    // The configured zone's offsets, kept to spare Intl at every start: wrong ones would move study days.
    const zoneTable = checkZoneTable(ctx, fix);
    const zoneTableOk = zoneTable === null || zoneTable.ok || zoneTable.rebuilt;
    // Reported, not counted against health, and not fixed: which name to keep is the user's choice.
    const caseVariants = caseVariantDecks(store.decks().map((d) => d.name));
    // Media are reported, never counted against health: an Anki note naming a file its package lacked is common.
    const media = checkMedia(ctx);
    const pruned = fix && media.unused.length ? pruneUnusedMedia(ctx) : [];
    const ok = integrity.length === 1 && integrity[0] === 'ok' && foreignKeys === 0;
    const healthy = ok && zoneTableOk && (mismatches.length === 0 || repaired === mismatches.length) && ((staleCounts === 0 && flagMismatches.length === 0 && staleRollups === 0) || fix);
    if (opts.json) {
      printJson(io, {
        ok: healthy,
        integrity,
        foreignKeyViolations: foreignKeys,
        cardFlagMismatches: flagMismatches,
        scheduleMismatches: mismatches.map((m) => m.cardId),
        staleCardStates: staleCounts,
        staleRollups: rollups,
        repaired: repaired + (fix ? flagMismatches.length : 0),
        mediaDir: mediaDir(ctx),
        unusedMedia: media.unused.map((u) => ({ file: u.file, size: u.size })),
        missingMedia: media.missing,
        mediaDeleted: pruned.map((p) => p.file),
        caseVariantDecks: caseVariants,
        zoneTable,
      });
    } else {
      const st = styler(io.color);
      const line = (good: boolean, text: string) => io.out(`${good ? st.green('✓') : st.red('✗')} ${text}\n`);
      const advice = (n: number, fixed: string) => (n ? (fix ? `, ${fixed}` : ' (run recall doctor --fix)') : '');
      line(integrity[0] === 'ok', `integrity: ${integrity.join('; ')}`);
      line(foreignKeys === 0, `foreign keys: ${plural(foreignKeys, 'violation')}`);
      line(flagMismatches.length === 0 || fix, `card flags: ${flagMismatches.length} differ from their event log${advice(flagMismatches.length, 'rebuilt')}`);
      line(staleCounts === 0 || fix, `card states: ${staleCounts} differ from their schedule${advice(staleCounts, 'fixed')}`);
      line(staleRollups === 0 || fix, `statistics rollups: ${plural(rollups.daily, 'day row')} and ${plural(rollups.cardCounts, 'card count')} differ from the log${advice(staleRollups, 'rebuilt')}`);
      line(mismatches.length === 0 || repaired === mismatches.length, `schedules: ${mismatches.length} differ from the replay of their review log${repaired ? `, ${repaired} rebuilt` : mismatches.length ? ' (run recall doctor --fix)' : ''}`);
      if (zoneTable) {
        line(zoneTableOk, `time zone table (${sanitize(zoneTable.zone)}, ${plural(zoneTable.days, 'day')}): ${zoneTable.ok ? "Intl's offsets" : zoneTable.rebuilt ? 'differed from Intl, made again' : 'differs from Intl (run recall doctor --fix)'}`);
      }
      const note = (good: boolean, text: string) => io.out(`${good ? st.green('✓') : st.yellow('!')} ${text}\n`);
      note(
        caseVariants.length === 0,
        caseVariants.length === 0
          ? 'deck names: none differ only in case'
          : `deck names: ${plural(caseVariants.length, 'group')} of decks whose names differ only in case (a name given to --deck, export or delete picks one of them); rename all but one in each (recall deck rename OLD NEW)`,
      );
      for (const g of caseVariants) io.out(`    ${g.map((n) => `"${sanitize(n)}"`).join(', ')}\n`);
      const unusedBytes = media.unused.reduce((n, u) => n + u.size, 0);
      note(
        media.unused.length === 0 || pruned.length > 0,
        `media: ${plural(media.unused.length, 'file')} in ${sanitize(mediaDir(ctx))} no card uses` +
          (media.unused.length ? ` (${Math.ceil(unusedBytes / 1024)} KiB)${pruned.length ? `, ${pruned.length} deleted` : '; recall doctor --fix deletes them'}` : ''),
      );
      for (const u of media.unused.slice(0, 10)) io.out(`    ${sanitize(u.file)}\n`);
      if (media.unused.length > 10) io.out(`    ... and ${media.unused.length - 10} more (--json lists them all)\n`);
      const cards = new Set(media.missing.map((m) => m.cardId)).size;
      note(media.missing.length === 0, `media: ${plural(cards, 'card names', 'cards name')} ${plural(media.missing.length, 'file')} the collection does not have`);
      for (const m of media.missing.slice(0, 10)) io.out(`    card ${m.cardId}: ${sanitize(m.name)}\n`);
      if (media.missing.length > 10) io.out(`    ... and ${media.missing.length - 10} more (--json lists them all)\n`);
    }
    return healthy ? 0 : 1;
  } finally {
    ctx.store.close();
  }
}
