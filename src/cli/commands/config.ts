import { resolve } from 'node:path';
import { openContext } from '../../app/context.js';
import { RecallError } from '../../core/errors.js';
import { parseTarget, redactTarget } from '../../core/sync.js';
import { rescheduleAll } from '../../app/maintenance.js';
import { SETTING_KEYS, SETTING_SPECS, parseSettingValue, resolveSettingKey, type SettingKey } from '../../core/settings.js';
import { printJson, type Io } from '../io.js';

const show = (v: unknown) => (Array.isArray(v) ? v.join(' ') : v === null ? 'system' : String(v));

/**
 * `syncTarget` is not a setting that travels: a file path or a server address belongs to this machine, so it is kept
 * in the database's `local` table. A password in it would be stored on disk: refused.
 */
const isSyncTarget = (key: string) => /^sync-?target$/i.test(key);

export async function runGet(opts: { db?: string; args: string[]; json?: boolean }, io: Io): Promise<number> {
  const ctx = openContext({ db: opts.db, env: io.env });
  try {
    const s = ctx.settings as unknown as Record<string, unknown>;
    const keyArg = opts.args[0];
    if (keyArg && isSyncTarget(keyArg)) {
      const target = ctx.store.getLocal('syncTarget') ?? null;
      if (opts.json) printJson(io, { syncTarget: target });
      else io.out(`${target ?? 'none'}\n`);
      return 0;
    }
    if (keyArg) {
      const key = resolveSettingKey(keyArg);
      if (opts.json) printJson(io, { [key]: s[key] });
      else io.out(`${show(s[key])}\n`);
      return 0;
    }
    const all: Record<string, unknown> = {};
    for (const k of SETTING_KEYS) all[k] = s[k];
    all.parameters = ctx.settings.parameters;
    all.syncTarget = ctx.store.getLocal('syncTarget') ?? null;
    if (opts.json) printJson(io, all);
    else {
      for (const k of SETTING_KEYS) io.out(`${k.padEnd(18)} ${show(s[k])}   (${SETTING_SPECS[k].range})\n`);
      io.out(`${'syncTarget'.padEnd(18)} ${all.syncTarget ?? 'none'}   (this machine only: what a plain recall sync syncs with)\n`);
      io.out(`${'parameters'.padEnd(18)} ${ctx.settings.parameters ? ctx.settings.parameters.join(', ') : 'FSRS defaults (run recall optimize to fit yours)'}\n`);
    }
    return 0;
  } finally {
    ctx.store.close();
  }
}

/** Settings that change how existing history maps to schedules; changing them reschedules every card by replay. */
const RESCHEDULING: SettingKey[] = ['desiredRetention', 'maximumInterval', 'learningSteps', 'relearningSteps', 'dayStartHour', 'timeZone', 'enableFuzz'];

function setSyncTarget(opts: { db?: string; json?: boolean }, io: Io, raw: string): number {
  const clear = raw.trim() === '' || raw === 'none';
  let value: string | undefined;
  if (!clear) {
    const target = parseTarget(raw);
    if (target.kind === 'postgres' && target.hasPassword) {
      throw new RecallError('sync-target-password', `The sync target ${redactTarget(raw)} holds a password, which would be stored in the database`, {
        hint: 'set it without the password and put the password in ~/.pgpass (mode 0600) or PGPASSWORD; recall sync reads them as psql does',
        exitCode: 2,
      });
    }
    value = target.kind === 'file' ? resolve(target.path) : target.url;
  }
  const ctx = openContext({ db: opts.db, env: io.env });
  try {
    const before = ctx.store.getLocal('syncTarget') ?? null;
    ctx.store.transaction(() => ctx.store.setLocal('syncTarget', value));
    if (opts.json) printJson(io, { key: 'syncTarget', value: value ?? null, previous: before, rescheduled: 0 });
    else io.out(`syncTarget = ${value ?? 'none'} (was ${before ?? 'none'})\n`);
    return 0;
  } finally {
    ctx.store.close();
  }
}

export async function runSet(opts: { db?: string; args: string[]; json?: boolean }, io: Io): Promise<number> {
  const [keyArg, raw] = opts.args as [string, string];
  if (isSyncTarget(keyArg)) return setSyncTarget(opts, io, raw);
  const key = resolveSettingKey(keyArg);
  const value = parseSettingValue(key, raw);
  const ctx = openContext({ db: opts.db, env: io.env });
  try {
    const before = (ctx.settings as unknown as Record<string, unknown>)[key];
    let rescheduled = 0;
    ctx.store.transaction(() => {
      ctx.store.setSetting(key, value, ctx.clock());
      ctx.reloadSettings();
      if (RESCHEDULING.includes(key) && JSON.stringify(before) !== JSON.stringify(value)) rescheduled = rescheduleAll(ctx).changed;
    });
    if (opts.json) printJson(io, { key, value, previous: before, rescheduled });
    else io.out(`${key} = ${show(value)} (was ${show(before)})${rescheduled ? `; ${rescheduled} card(s) rescheduled` : ''}\n`);
    return 0;
  } finally {
    ctx.store.close();
  }
}
