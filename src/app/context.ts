// Wires the adapters together for a command: where the database is, what time it is, the settings in force.
import envPaths from 'env-paths';
import { join } from 'node:path';
import { RecallError } from '../core/errors.js';
import { settingsFrom, type Settings } from '../core/settings.js';
import type { Clock } from '../core/types.js';
import { createScheduler, nextDayStart, resolveTimeZone, studyDay, type Scheduler } from '../scheduler/index.js';
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
  /** The scheduler for a deck: its own fitted parameters (a preset from `recall optimize --deck`), else the global ones. */
  schedulerFor(deckId: number): Scheduler;
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
  let perDeck = new Map<number, Scheduler>();
  let scheduler: Scheduler | null = null;
  // Built on first use: `recall decks` and `recall stats` never schedule anything.
  Object.defineProperty(ctx, 'scheduler', { get: () => (scheduler ??= createScheduler(ctx.settings)), enumerable: true });
  ctx.reloadSettings = () => {
    const stored = store.allSettings();
    ctx.settings = settingsFrom(stored);
    scheduler = null;
    ctx.timeZone = resolveTimeZone(ctx.settings.timeZone);
    perDeck = new Map();
    const presets = (stored.deckParameters ?? {}) as Record<string, number[]>;
    if (Object.keys(presets).length) {
      for (const d of store.decks()) {
        const w = presets[d.name];
        if (Array.isArray(w)) perDeck.set(d.id, createScheduler({ ...ctx.settings, parameters: w }));
      }
    }
  };
  ctx.schedulerFor = (deckId) => perDeck.get(deckId) ?? ctx.scheduler;
  ctx.day = (ms) => studyDay(ms, ctx.timeZone, ctx.settings.dayStartHour);
  ctx.dayEnd = (ms) => nextDayStart(ms, ctx.timeZone, ctx.settings.dayStartHour);
  if (opts.lazySettings) deferSettings(ctx);
  else ctx.reloadSettings();
  return ctx;
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
