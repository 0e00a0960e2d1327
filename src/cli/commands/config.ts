// `recall config`: the settings, the presets and which deck uses which; `get`, `set`, `reset` one option, globally or
// for a deck (its preset) or a named preset; `use` gives a deck a preset.
import { plural } from '../../core/plural.js';
import { resolve } from 'node:path';
import { openContext } from '../../app/context.js';
import { describeOptions, optionValue, resetOption, setOption, usePreset, type ConfigResult } from '../../app/options.js';
import { syncBuiltinDecks } from '../../app/sync.js';
import { RecallError } from '../../core/errors.js';
import { parseTarget, redactTarget } from '../../core/sync.js';
import { PRESET_KEYS, SETTING_KEYS, SETTING_SPECS, isPresetKey, parseSettingValue, resolveSettingKey, type SettingKey } from '../../core/settings.js';
import { sanitize } from '../../core/text.js';
import { printJson, styler, type Io } from '../io.js';

interface Opts {
  db?: string;
  args: string[];
  json?: boolean;
  deck?: string;
  preset?: string;
}

const show = (key: string, v: unknown) =>
  key === 'parameters' ? (Array.isArray(v) ? v.join(', ') : 'FSRS defaults (recall optimize fits yours)') : Array.isArray(v) ? v.join(' ') : v === null ? 'system' : String(v);

function target(opts: Opts): { deck?: string; preset?: string } {
  if (opts.deck !== undefined && opts.preset !== undefined) throw new RecallError('usage', '--deck and --preset cannot be used together', { hint: 'a deck uses one preset: name the deck or the preset', exitCode: 2 });
  return { ...(opts.deck !== undefined ? { deck: opts.deck } : {}), ...(opts.preset !== undefined ? { preset: opts.preset } : {}) };
}

/** `recall config`: every setting, every preset with its values and decks, and each deck's preset. */
export async function runShow(opts: Opts, io: Io): Promise<number> {
  if (opts.args.length) {
    throw new RecallError('usage', `unknown config command "${opts.args[0]}"`, { hint: 'config commands: get, set, reset, use (recall config --help)', exitCode: 2 });
  }
  const ctx = openContext({ db: opts.db, env: io.env });
  try {
    syncBuiltinDecks(ctx);
    const view = describeOptions(ctx);
    if (opts.json) {
      printJson(io, { settings: { ...view.global, syncTarget: shownTarget(ctx.store.getLocal('syncTarget') ?? null) }, presets: view.presets, decks: view.decks.map(({ name, preset, hidden }) => ({ name, preset: preset ?? 'default', hidden })) });
      return 0;
    }
    const st = styler(io.color);
    const g = view.global as unknown as Record<string, unknown>;
    io.out(`${st.bold('Settings')} ${st.dim('(the "default" preset: every deck without a preset of its own)')}\n`);
    for (const k of SETTING_KEYS) io.out(`  ${k.padEnd(18)} ${sanitize(show(k, g[k]))}${isPresetKey(k) ? '' : st.dim('  (whole collection)')}\n`);
    io.out(`  ${'syncTarget'.padEnd(18)} ${sanitize(shownTarget(ctx.store.getLocal('syncTarget') ?? null) ?? 'none')}${st.dim(`  ${SYNC_TARGET_NOTE}`)}\n`);
    io.out(`\n${st.bold('Presets')}\n`);
    if (view.presets.length === 0) io.out(`  none yet: ${st.bold('recall config set KEY VALUE --deck NAME')} gives a deck its own\n`);
    for (const p of view.presets) {
      io.out(`  ${st.bold(sanitize(p.name))}  ${st.dim(p.decks.length ? `used by ${p.decks.map(sanitize).join(', ')}` : 'used by no deck')}\n`);
      const set = PRESET_KEYS.filter((k) => k in p.values);
      if (set.length === 0) io.out(`    ${st.dim('(all values as in the settings)')}\n`);
      for (const k of set) io.out(`    ${k.padEnd(18)} ${sanitize(show(k, (p.values as Record<string, unknown>)[k]))}\n`);
    }
    io.out(`\n${st.bold('Decks')}\n`);
    const w = Math.min(50, Math.max(4, ...view.decks.map((d) => d.name.length)));
    for (const d of view.decks) io.out(`  ${sanitize(d.name).padEnd(w)}  ${sanitize(d.preset ?? 'default')}${d.hidden ? st.dim('  (hidden)') : ''}\n`);
    return 0;
  } finally {
    ctx.store.close();
  }
}

/**
 * `syncTarget` is not a setting that travels: a file path or a server address belongs to this machine, so it is kept
 * in the database's `local` table. A password in it would be stored on disk: refused.
 */
const isSyncTarget = (key: string) => /^sync-?target$/i.test(key);
/** The stored target as shown: never with a password (none is stored, but a database from before the rule may hold one). */
const shownTarget = (v: string | null) => (v === null ? null : redactTarget(v));
const SYNC_TARGET_NOTE = '(this machine only: what a plain recall sync syncs with)';

function refuseScoped(opts: Opts): void {
  if (opts.deck !== undefined || opts.preset !== undefined) {
    throw new RecallError('usage', 'syncTarget belongs to this machine, not to a deck or a preset', { hint: 'leave out --deck and --preset', exitCode: 2 });
  }
}

function setSyncTarget(opts: Opts, io: Io, raw: string, verb = 'Set'): number {
  refuseScoped(opts);
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
    if (opts.json) printJson(io, { key: 'syncTarget', value: shownTarget(value ?? null), previous: shownTarget(before), rescheduled: 0, changed: (value ?? null) !== before });
    else if ((value ?? null) === before) io.out(`syncTarget is already ${sanitize(shownTarget(before) ?? 'none')}; nothing changed.\n`);
    else io.out(`${verb} syncTarget = ${sanitize(shownTarget(value ?? null) ?? 'none')} (was ${sanitize(shownTarget(before) ?? 'none')})\n`);
    return 0;
  } finally {
    ctx.store.close();
  }
}

export async function runGet(opts: Opts, io: Io): Promise<number> {
  const where = target(opts);
  const ctx = openContext({ db: opts.db, env: io.env });
  try {
    const keyArg = opts.args[0];
    if (keyArg && isSyncTarget(keyArg)) {
      refuseScoped(opts);
      const value = shownTarget(ctx.store.getLocal('syncTarget') ?? null);
      if (opts.json) printJson(io, { syncTarget: value });
      else io.out(`${value ?? 'none'}\n`);
      return 0;
    }
    if (keyArg) {
      const key = resolveSettingKey(keyArg);
      const { value, from } = optionValue(ctx, key, where);
      if (opts.json) printJson(io, { [key]: value, ...(where.deck !== undefined || where.preset !== undefined ? { preset: from } : {}) });
      else io.out(`${sanitize(show(key, value))}${where.deck !== undefined || where.preset !== undefined ? styler(io.color).dim(`  (from ${from === 'default' ? 'the settings' : `preset "${sanitize(from)}"`})`) : ''}\n`);
      return 0;
    }
    const all: Record<string, unknown> = {};
    for (const k of SETTING_KEYS) all[k] = optionValue(ctx, k, where).value;
    all.syncTarget = shownTarget(ctx.store.getLocal('syncTarget') ?? null);
    if (opts.json) printJson(io, all);
    else {
      for (const k of SETTING_KEYS) io.out(`${k.padEnd(18)} ${sanitize(show(k, all[k]))}   (${SETTING_SPECS[k].range})\n`);
      io.out(`${'syncTarget'.padEnd(18)} ${sanitize(String(all.syncTarget ?? 'none'))}   ${SYNC_TARGET_NOTE}\n`);
    }
    return 0;
  } finally {
    ctx.store.close();
  }
}

function report(io: Io, r: ConfigResult, verb: string): void {
  const st = styler(io.color);
  const scope = r.scope.kind === 'global' ? '' : ` in preset "${sanitize(r.scope.preset)}" (${r.scope.decks.length ? `used by ${r.scope.decks.map(sanitize).join(', ')}` : 'used by no deck'})`;
  const made = r.createdPreset ? `Made the preset "${sanitize(r.createdPreset)}" for the deck. ` : '';
  if (r.actionUid === null) {
    io.out(`${made}${r.key} is already ${sanitize(show(r.key!, r.value))}${scope}; nothing changed.\n`);
    return;
  }
  io.out(`${made}${verb} ${r.key} = ${sanitize(show(r.key!, r.value))}${scope} (was ${sanitize(show(r.key!, r.previous))})${r.rescheduled ? `; ${plural(r.rescheduled, 'card')} rescheduled` : ''}. ${st.dim('recall undo takes it back.')}\n`);
}

function json(r: ConfigResult) {
  return { key: r.key, value: r.value, previous: r.previous, scope: r.scope.kind, preset: r.scope.kind === 'preset' ? r.scope.preset : null, decks: r.scope.kind === 'preset' ? r.scope.decks : null, createdPreset: r.createdPreset, rescheduled: r.rescheduled, changed: r.actionUid !== null };
}

export async function runSet(opts: Opts, io: Io): Promise<number> {
  const [keyArg, raw] = opts.args as [string, string];
  if (isSyncTarget(keyArg)) return setSyncTarget(opts, io, raw);
  const key: SettingKey = resolveSettingKey(keyArg);
  const value = parseSettingValue(key, raw);
  const where = target(opts);
  const ctx = openContext({ db: opts.db, env: io.env });
  try {
    const r = setOption(ctx, key, value, where);
    if (opts.json) printJson(io, json(r));
    else report(io, r, 'Set');
    return 0;
  } finally {
    ctx.store.close();
  }
}

export async function runReset(opts: Opts, io: Io): Promise<number> {
  if (isSyncTarget(opts.args[0]!)) return setSyncTarget(opts, io, '', 'Reset');
  const key = resolveSettingKey(opts.args[0]!);
  const where = target(opts);
  const ctx = openContext({ db: opts.db, env: io.env });
  try {
    const r = resetOption(ctx, key, where);
    if (opts.json) printJson(io, json(r));
    else report(io, r, r.scope.kind === 'global' ? 'Reset' : 'Reset (now from the settings)');
    return 0;
  } finally {
    ctx.store.close();
  }
}

export async function runUse(opts: Opts, io: Io): Promise<number> {
  const [preset] = opts.args as [string];
  if (opts.deck === undefined) throw new RecallError('usage', 'recall config use PRESET needs --deck NAME', { hint: 'e.g. recall config use Languages --deck Spanish', exitCode: 2 });
  const ctx = openContext({ db: opts.db, env: io.env });
  try {
    const r = usePreset(ctx, preset, opts.deck);
    if (opts.json) printJson(io, { ...json(r), preset: r.value, decksChanged: r.decks });
    else {
      const made = r.createdPreset ? `Made the preset "${sanitize(r.createdPreset)}". ` : '';
      io.out(`${made}${r.decks.map((d) => `"${sanitize(d)}"`).join(', ')} now use${r.decks.length === 1 ? 's' : ''} ${r.value === 'default' ? 'the settings (no preset)' : `preset "${sanitize(String(r.value))}"`} (was ${sanitize(String(r.previous))})${r.rescheduled ? `; ${plural(r.rescheduled, 'card')} rescheduled` : ''}. ${styler(io.color).dim('recall undo takes it back.')}\n`);
    }
    return 0;
  } finally {
    ctx.store.close();
  }
}
