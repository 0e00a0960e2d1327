// Wires the adapters together for a command: where the database is, what time it is, the settings in force.
import envPaths from 'env-paths';
import { join } from 'node:path';
import { RecallError } from '../core/errors.js';
import { DECK_HIDDEN_PREFIX, DECK_PRESET_PREFIX, presetsFrom, settingsFrom, withPreset, type Preset, type Settings } from '../core/settings.js';
import type { Clock } from '../core/types.js';
import { fixedZoneOffset } from '../core/zone.js';
import { LOCAL_ZONE, buildZoneTable, createScheduler, nextDayStart, resolveTimeZone, studyDay, useZoneTable, zoneTableCovers, type Scheduler } from '../scheduler/index.js';
import type { Store } from '../store/api.js';
import { openStore } from '../store/store.js';

export interface Env {
  [key: string]: string | undefined;
}

/** `--db` wins, then `RECALL_DB`, then `$XDG_DATA_HOME/recall/recall.db` (default `~/.local/share/recall/recall.db`). */
export function resolveDbPath(flag: string | undefined, env: Env): string {
  if (flag) return flag;
  if (env.RECALL_DB) return env.RECALL_DB;
  return join(envPaths('recall', { suffix: '' }).data, 'recall.db');
}

/** `RECALL_NOW` (ISO-8601) fixes the clock, for tests and reproducible demos. */
export function resolveClock(env: Env): Clock {
  const fixed = env.RECALL_NOW;
  if (!fixed) return () => Date.now();
  const t = Date.parse(fixed);
  if (Number.isNaN(t)) {
    throw new RecallError('bad-now', `RECALL_NOW="${fixed}" is not an ISO-8601 time`, { hint: 'use e.g. RECALL_NOW=2026-01-31T09:00:00Z', exitCode: 2 });
  }
  return () => t;
}

export interface Context {
  store: Store;
  clock: Clock;
  settings: Settings;
  scheduler: Scheduler;
  timeZone: string;
  dbPath: string;
  /** The scheduler for a deck: with its preset's options (retention, steps, parameters, ...), else the global ones. */
  schedulerFor(deckId: number): Scheduler;
  /** The options in force for a deck: the global settings with its preset's values over them. */
  optionsFor(deckId: number): Settings;
  /** The preset a deck uses; null = the global settings. */
  presetOf(deckId: number): string | null;
  /** Presets stored, by name. */
  presets(): Map<string, Preset>;
  /** Decks hidden with `recall deck hide`: left out of sessions, counts and statistics. */
  hiddenDeckIds(): Set<number>;
  /** The study day containing `ms`, and when the next one starts. */
  day(ms: number): number;
  dayEnd(ms: number): number;
  reloadSettings(): void;
}

/**
 * `peer`: opened as the sync partner of another database (a file target), not as this machine's collection.
 * `lazySettings`: settings are read on first use (a sync that brings nothing new never needs them).
 */
export function openContext(opts: { db?: string; env: Env; peer?: boolean; lazySettings?: boolean }): Context {
  const clock = resolveClock(opts.env);
  const dbPath = resolveDbPath(opts.db, opts.env);
  const store = openStore(dbPath, { now: clock(), peer: opts.peer });
  const ctx = { store, clock, dbPath } as Context;
  let scheduler: Scheduler | null = null;
  let stored: Record<string, unknown> = {};
  let presets = new Map<string, Preset>();
  // Per-deck state is read on first use (the deck list is one small query): `recall decks` never needs it.
  let perDeck: { presetOf: Map<number, string>; hidden: Set<number> } | null = null;
  const byPreset = new Map<string, { options: Settings; scheduler: Scheduler | null }>();
  // Built on first use: `recall decks` and `recall stats` never schedule anything.
  Object.defineProperty(ctx, 'scheduler', { get: () => (scheduler ??= createScheduler(ctx.settings)), enumerable: true });
  const deckState = () => {
    if (perDeck) return perDeck;
    perDeck = { presetOf: new Map(), hidden: new Set() };
    const keys = Object.keys(stored);
    if (keys.some((k) => k.startsWith(DECK_PRESET_PREFIX) || k.startsWith(DECK_HIDDEN_PREFIX))) {
      for (const d of store.decks()) {
        const name = stored[`${DECK_PRESET_PREFIX}${d.uid}`];
        if (typeof name === 'string' && presets.has(name)) perDeck.presetOf.set(d.id, name);
        if (stored[`${DECK_HIDDEN_PREFIX}${d.uid}`] === true) perDeck.hidden.add(d.id);
      }
    }
    return perDeck;
  };
  const presetEntry = (name: string) => {
    let e = byPreset.get(name);
    if (!e) byPreset.set(name, (e = { options: withPreset(ctx.settings, presets.get(name)), scheduler: null }));
    return e;
  };
  ctx.reloadSettings = () => {
    stored = store.allSettings();
    // Before the settings are checked: a zone with its table in use is known valid without asking Intl.
    // Not for the other database of a file sync: its machine keeps its own table.
    if (typeof stored.timeZone === 'string' && !opts.peer) loadZoneTable(store, stored.timeZone, clock());
    ctx.settings = settingsFrom(stored);
    scheduler = null;
    ctx.timeZone = resolveTimeZone(ctx.settings.timeZone);
    if (!opts.peer) keepZoneTable(store, ctx.timeZone, clock());
    presets = presetsFrom(stored);
    perDeck = null;
    byPreset.clear();
  };
  ctx.presetOf = (deckId) => deckState().presetOf.get(deckId) ?? null;
  ctx.presets = () => presets;
  ctx.hiddenDeckIds = () => deckState().hidden;
  ctx.optionsFor = (deckId) => {
    const name = ctx.presetOf(deckId);
    return name === null ? ctx.settings : presetEntry(name).options;
  };
  ctx.schedulerFor = (deckId) => {
    const name = ctx.presetOf(deckId);
    if (name === null) return ctx.scheduler;
    const e = presetEntry(name);
    return (e.scheduler ??= createScheduler(e.options));
  };
  ctx.day = (ms) => studyDay(ms, ctx.timeZone, ctx.settings.dayStartHour);
  ctx.dayEnd = (ms) => nextDayStart(ms, ctx.timeZone, ctx.settings.dayStartHour);
  if (opts.lazySettings) deferSettings(ctx);
  else ctx.reloadSettings();
  return ctx;
}

const DAY = 86_400_000;
/** Where a database keeps the offsets table of its configured zone (see ZoneTable in src/scheduler/day.ts). */
const ZONE_TABLE_KEY = 'zoneTable';

/** Whether `timeZone`'s table in use holds the days a command asks about: yesterday to a month ahead. */
function zoneTableReady(timeZone: string, now: number): boolean {
  const today = Math.floor(now / DAY);
  return zoneTableCovers(timeZone, today - 2, today + 31);
}

const namedZone = (timeZone: string) => timeZone !== LOCAL_ZONE && fixedZoneOffset(timeZone) === null;

/** Puts the database's table for `timeZone` in use, when it has one made with this tz database that covers now. */
function loadZoneTable(store: Store, timeZone: string, now: number): void {
  if (!namedZone(timeZone) || zoneTableReady(timeZone, now)) return;
  const raw = store.getLocal(ZONE_TABLE_KEY);
  if (raw === undefined) return;
  try {
    useZoneTable(JSON.parse(raw), process.versions.tz ?? '');
  } catch {
    // Not JSON: made again below.
  }
}

/**
 * A named zone (`config set timeZone Europe/Berlin`) without a table covering now gets one, from a week back to
 * 400 days ahead: this run pays Intl's first use (35-40 ms) to make it, the runs of the next year do not. Kept in
 * the database's `local` table (never synced: another machine's Node may have another tz database).
 */
function keepZoneTable(store: Store, timeZone: string, now: number, again = false): void {
  if (!namedZone(timeZone) || (zoneTableReady(timeZone, now) && !again)) return;
  const tz = process.versions.tz ?? '';
  const today = Math.floor(now / DAY);
  const table = buildZoneTable(timeZone, today - 7, today + 400, tz);
  if (table === null || !useZoneTable(table, tz)) return;
  try {
    store.setLocal(ZONE_TABLE_KEY, JSON.stringify(table));
  } catch {
    // A read-only database: the table is made again next time.
  }
}

/**
 * `recall doctor`: whether the zone table this database keeps says what Intl says for its days (a table is trusted
 * once made, like the rest of the file). With `fix`, a wrong one is made again (for the configured zone; dropped
 * when the zone is no longer a named one). Null when there is no table.
 */
export function checkZoneTable(ctx: Context, fix: boolean): { zone: string; days: number; ok: boolean; rebuilt: boolean } | null {
  const raw = ctx.store.getLocal(ZONE_TABLE_KEY);
  if (raw === undefined) return null;
  let kept: { zone?: unknown; tz?: unknown; firstDay?: unknown; days?: unknown } = {};
  try {
    kept = JSON.parse(raw) as typeof kept;
  } catch {
    // Not JSON: wrong, below.
  }
  const zone = typeof kept.zone === 'string' ? kept.zone : '';
  const days = Array.isArray(kept.days) ? kept.days.length : 0;
  const tz = typeof kept.tz === 'string' ? kept.tz : '';
  // Made again as it was made (same zone, days and tz tag), with the Intl in use now.
  const fresh = Number.isSafeInteger(kept.firstDay) && days > 0 && days <= 1000 ? buildZoneTable(zone, kept.firstDay as number, (kept.firstDay as number) + days - 1, tz) : null;
  const ok = fresh !== null && JSON.stringify(fresh) === JSON.stringify(kept);
  if (ok || !fix) return { zone, days, ok, rebuilt: false };
  ctx.store.setLocal(ZONE_TABLE_KEY, undefined);
  if (namedZone(ctx.timeZone)) {
    keepZoneTable(ctx.store, ctx.timeZone, ctx.clock(), true);
  }
  return { zone, days, ok, rebuilt: true };
}

/** Makes `settings`, `timeZone` and the schedulers load on first use (validating a configured zone costs ~20 ms). */
function deferSettings(ctx: Context): void {
  let loaded = false;
  const load = () => {
    if (!loaded) ctx.reloadSettings();
  };
  for (const key of ['settings', 'timeZone'] as const) {
    let value: unknown;
    Object.defineProperty(ctx, key, {
      configurable: true,
      enumerable: true,
      get: () => (load(), value),
      set: (v: unknown) => {
        loaded = true;
        value = v;
      },
    });
  }
  const schedulerFor = ctx.schedulerFor;
  ctx.schedulerFor = (deckId) => (load(), schedulerFor(deckId));
}
