import { openContext } from '../../app/context.js';
import { rescheduleAll } from '../../app/maintenance.js';
import { SETTING_KEYS, SETTING_SPECS, parseSettingValue, resolveSettingKey, type SettingKey } from '../../core/settings.js';
import { printJson, type Io } from '../io.js';

const show = (v: unknown) => (Array.isArray(v) ? v.join(' ') : v === null ? 'system' : String(v));

export async function runGet(opts: { db?: string; args: string[]; json?: boolean }, io: Io): Promise<number> {
  const ctx = openContext({ db: opts.db, env: io.env });
  try {
    const s = ctx.settings as unknown as Record<string, unknown>;
    const keyArg = opts.args[0];
    if (keyArg) {
      const key = resolveSettingKey(keyArg);
      if (opts.json) printJson(io, { [key]: s[key] });
      else io.out(`${show(s[key])}\n`);
      return 0;
    }
    const all: Record<string, unknown> = {};
    for (const k of SETTING_KEYS) all[k] = s[k];
    all.parameters = ctx.settings.parameters;
    if (opts.json) printJson(io, all);
    else {
      for (const k of SETTING_KEYS) io.out(`${k.padEnd(18)} ${show(s[k])}   (${SETTING_SPECS[k].range})\n`);
      io.out(`${'parameters'.padEnd(18)} ${ctx.settings.parameters ? ctx.settings.parameters.join(', ') : 'FSRS defaults (run recall optimize to fit yours)'}\n`);
    }
    return 0;
  } finally {
    ctx.store.close();
  }
}

/** Settings that change how existing history maps to schedules; changing them reschedules every card by replay. */
const RESCHEDULING: SettingKey[] = ['desiredRetention', 'maximumInterval', 'learningSteps', 'relearningSteps', 'dayStartHour', 'timeZone', 'enableFuzz'];

export async function runSet(opts: { db?: string; args: string[]; json?: boolean }, io: Io): Promise<number> {
  const [keyArg, raw] = opts.args as [string, string];
  const key = resolveSettingKey(keyArg);
  const value = parseSettingValue(key, raw);
  const ctx = openContext({ db: opts.db, env: io.env });
  try {
    const before = (ctx.settings as unknown as Record<string, unknown>)[key];
    let rescheduled = 0;
    ctx.store.transaction(() => {
      ctx.store.setSetting(key, value);
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
