// Settings and per-deck presets as use cases: what `recall config` shows and changes. Every change is one undoable
// action; a change to an option that schedules (retention, steps, parameters, ...) reschedules the cards it applies
// to by replaying their history, and its undo replays them back.
import { RecallError } from '../core/errors.js';
import {
  DECK_PRESET_PREFIX, DEFAULT_PRESET, DEFAULTS, PRESET_KEYS, PRESET_PREFIX, SETTING_KEYS, checkPresetName, isPresetKey, presetFrom,
  type Preset, type SettingKey, type Settings,
} from '../core/settings.js';
import type { DeckRow } from '../store/api.js';
import type { Context } from './context.js';
import { resolveDeck } from './decks.js';
import { rescheduleAll } from './maintenance.js';

/** Options that change how a card's history maps to its schedule: changing one reschedules by replay. */
export const RESCHEDULING: readonly SettingKey[] = [
  'desiredRetention', 'maximumInterval', 'learningSteps', 'relearningSteps', 'dayStartHour', 'timeZone', 'enableFuzz', 'parameters',
];

/** One setting as it was and as it became; `undefined` = not stored. */
export interface SettingChange {
  key: string;
  before: unknown;
  after: unknown;
}

export interface ConfigResult {
  /** The option changed, or null for a preset assignment. */
  key: SettingKey | null;
  /** Where it was changed: the global settings, or a preset (with the decks that use it). */
  scope: { kind: 'global' } | { kind: 'preset'; preset: string; decks: string[] };
  value: unknown;
  previous: unknown;
  /** A preset made for the deck by this change (it used the global settings before). */
  createdPreset: string | null;
  rescheduled: number;
  /** Null when nothing changed. */
  actionUid: string | null;
}

export interface OptionsView {
  global: Settings;
  presets: { name: string; values: Preset; decks: string[] }[];
  decks: { id: number; name: string; uid: string; preset: string | null; hidden: boolean }[];
}

/** The global settings, each preset with the decks using it, and each deck's preset. */
export function describeOptions(ctx: Context): OptionsView {
  const decks = ctx.store.decks();
  const hidden = ctx.hiddenDeckIds();
  const presets = [...ctx.presets()].map(([name, values]) => ({
    name,
    values,
    decks: decks.filter((d) => ctx.presetOf(d.id) === name).map((d) => d.name),
  }));
  presets.sort((a, b) => a.name.localeCompare(b.name));
  return {
    global: ctx.settings,
    presets,
    decks: decks.map((d) => ({ id: d.id, name: d.name, uid: d.uid, preset: ctx.presetOf(d.id), hidden: hidden.has(d.id) })),
  };
}

/** The value of an option for a deck (its preset's, else the global one) or for a preset. */
export function optionValue(ctx: Context, key: SettingKey, target: { deck?: string; preset?: string }): { value: unknown; from: string } {
  if (target.deck !== undefined) {
    const deck = resolveDeck(ctx, target.deck);
    const preset = ctx.presetOf(deck.id);
    const own = preset !== null && isPresetKey(key) && key in (ctx.presets().get(preset) ?? {});
    return { value: (ctx.optionsFor(deck.id) as unknown as Record<string, unknown>)[key], from: own ? preset! : DEFAULT_PRESET };
  }
  if (target.preset !== undefined) {
    const name = existingPreset(ctx, target.preset);
    const values = ctx.presets().get(name)!;
    const own = isPresetKey(key) && key in values;
    return { value: own ? (values as Record<string, unknown>)[key] : (ctx.settings as unknown as Record<string, unknown>)[key], from: own ? name : DEFAULT_PRESET };
  }
  return { value: (ctx.settings as unknown as Record<string, unknown>)[key], from: DEFAULT_PRESET };
}

function existingPreset(ctx: Context, raw: string): string {
  const presets = [...ctx.presets().keys()];
  const name = presets.find((p) => p === raw.trim()) ?? presets.find((p) => p.toLowerCase() === raw.trim().toLowerCase());
  if (name === undefined) {
    throw new RecallError('no-such-preset', `No preset named "${raw}"`, {
      hint: presets.length ? `presets: ${presets.join(', ')}` : 'there are no presets yet: recall config set KEY VALUE --deck NAME makes one for a deck',
      exitCode: 2,
    });
  }
  return name;
}

function perDeckOnly(key: SettingKey): void {
  if (!isPresetKey(key)) {
    throw new RecallError('not-per-deck', `${key} applies to the whole collection, not to one deck`, {
      hint: `set it without --deck or --preset; per-deck options are: ${PRESET_KEYS.join(', ')}`,
      exitCode: 2,
    });
  }
}

/** A name for a deck's own new preset: the deck's name, unless a preset (or "default") already has it. */
function newPresetName(ctx: Context, deck: DeckRow): string {
  const base = deck.name.toLowerCase() === DEFAULT_PRESET ? `${deck.name} deck` : deck.name.slice(0, 60);
  let name = base;
  for (let i = 2; ctx.presets().has(name); i++) name = `${base} (${i})`;
  return name;
}

const read = (ctx: Context, key: string): unknown => ctx.store.getSetting(key);

/** The cards whose schedule follows these decks' options (all cards when `deckIds` is null). */
function cardsOf(ctx: Context, deckIds: number[] | null): number[] | undefined {
  return deckIds === null ? undefined : ctx.store.cardIds({ deckIds, includeSuspended: true, includeRemoved: true });
}

/** Settings changed as one undoable action, nothing rescheduled (hiding decks, say). */
export function commitSettings(ctx: Context, changes: SettingChange[], label: string): string | null {
  return commit(ctx, changes, [], false, label).actionUid;
}

/** Applies the changes as one action; reschedules the decks affected when `reschedule`. */
function commit(ctx: Context, changes: SettingChange[], affected: number[] | null, reschedule: boolean, label: string): { actionUid: string | null; rescheduled: number } {
  const real = changes.filter((c) => JSON.stringify(c.before) !== JSON.stringify(c.after));
  if (real.length === 0) return { actionUid: null, rescheduled: 0 };
  let rescheduled = 0;
  let actionUid: string | null = null;
  ctx.store.transaction(() => {
    actionUid = ctx.store.beginAction('config', ctx.clock(), { changes: real, deckIds: affected, reschedule, label });
    for (const c of real) ctx.store.setSetting(c.key, c.after);
    ctx.reloadSettings();
    if (reschedule && (affected === null || affected.length > 0)) rescheduled = rescheduleAll(ctx, cardsOf(ctx, affected)).changed;
  });
  return { actionUid, rescheduled };
}

/** Undo of a settings change (registered in undo-hooks.ts): the values as they were, and the same cards replayed. */
export function undoConfig(ctx: Context, data: Record<string, unknown>): void {
  const changes = (data.changes ?? []) as SettingChange[];
  for (const c of [...changes].reverse()) ctx.store.setSetting(c.key, c.before ?? undefined);
  ctx.reloadSettings();
  if (data.reschedule) rescheduleAll(ctx, cardsOf(ctx, (data.deckIds ?? null) as number[] | null));
}

/** Decks whose cards a change of `key` in the global settings reaches: those without a preset that sets it. */
function globalReach(ctx: Context, key: SettingKey): number[] | null {
  if (!isPresetKey(key)) return null;
  const decks = ctx.store.decks();
  const reached = decks.filter((d) => {
    const p = ctx.presetOf(d.id);
    return p === null || !(key in (ctx.presets().get(p) ?? {}));
  });
  return reached.length === decks.length ? null : reached.map((d) => d.id);
}

function presetDecks(ctx: Context, name: string): DeckRow[] {
  return ctx.store.decks().filter((d) => ctx.presetOf(d.id) === name);
}

/** `recall config set KEY VALUE [--deck NAME | --preset NAME]`. */
export function setOption(ctx: Context, key: SettingKey, value: unknown, target: { deck?: string; preset?: string } = {}): ConfigResult {
  const reschedules = RESCHEDULING.includes(key);
  if (target.deck === undefined && target.preset === undefined) {
    const previous = (ctx.settings as unknown as Record<string, unknown>)[key];
    const reach = globalReach(ctx, key);
    const { actionUid, rescheduled } = commit(ctx, [{ key, before: read(ctx, key), after: value }], reach, reschedules, `the change of ${key}`);
    return { key, scope: { kind: 'global' }, value, previous, createdPreset: null, rescheduled, actionUid };
  }
  perDeckOnly(key);
  let name: string;
  let createdPreset: string | null = null;
  const changes: SettingChange[] = [];
  if (target.deck !== undefined) {
    const deck = resolveDeck(ctx, target.deck);
    const current = ctx.presetOf(deck.id);
    if (current === null) {
      name = createdPreset = newPresetName(ctx, deck);
      changes.push({ key: `${DECK_PRESET_PREFIX}${deck.uid}`, before: read(ctx, `${DECK_PRESET_PREFIX}${deck.uid}`), after: name });
    } else name = current;
  } else {
    name = ctx.presets().has(target.preset!.trim()) ? target.preset!.trim() : checkPresetName(target.preset!);
    const existing = [...ctx.presets().keys()].find((p) => p.toLowerCase() === name.toLowerCase());
    if (existing) name = existing;
  }
  const before = read(ctx, `${PRESET_PREFIX}${name}`);
  const values = presetFrom(before);
  const previous = key in values ? (values as Record<string, unknown>)[key] : (ctx.settings as unknown as Record<string, unknown>)[key];
  changes.unshift({ key: `${PRESET_PREFIX}${name}`, before, after: { ...values, [key]: value } });
  // The decks on the preset after the change: those already on it, and the deck it was just made for.
  const onIt = () => presetDecks(ctx, name);
  const deckIdsBefore = onIt().map((d) => d.id);
  const target_ = target.deck !== undefined ? resolveDeck(ctx, target.deck).id : null;
  const affected = [...new Set([...deckIdsBefore, ...(target_ === null ? [] : [target_])])];
  const { actionUid, rescheduled } = commit(ctx, changes, affected, reschedules, `the change of ${key} in preset "${name}"`);
  return { key, scope: { kind: 'preset', preset: name, decks: onIt().map((d) => d.name) }, value, previous, createdPreset, rescheduled, actionUid };
}

/** `recall config reset KEY [--deck NAME | --preset NAME]`: back to the default, or (in a preset) to the global value. */
export function resetOption(ctx: Context, key: SettingKey, target: { deck?: string; preset?: string } = {}): ConfigResult {
  const reschedules = RESCHEDULING.includes(key);
  if (target.deck === undefined && target.preset === undefined) {
    const previous = (ctx.settings as unknown as Record<string, unknown>)[key];
    const { actionUid, rescheduled } = commit(ctx, [{ key, before: read(ctx, key), after: undefined }], globalReach(ctx, key), reschedules, `the reset of ${key}`);
    return { key, scope: { kind: 'global' }, value: (DEFAULTS as unknown as Record<string, unknown>)[key], previous, createdPreset: null, rescheduled, actionUid };
  }
  perDeckOnly(key);
  let name: string;
  if (target.deck !== undefined) {
    const deck = resolveDeck(ctx, target.deck);
    const p = ctx.presetOf(deck.id);
    if (p === null) {
      throw new RecallError('no-preset', `The deck "${deck.name}" uses the global settings`, { hint: `reset the global value with recall config reset ${key}`, exitCode: 2 });
    }
    name = p;
  } else name = existingPreset(ctx, target.preset!);
  const before = read(ctx, `${PRESET_PREFIX}${name}`);
  const values = { ...presetFrom(before) } as Record<string, unknown>;
  const previous = key in values ? values[key] : (ctx.settings as unknown as Record<string, unknown>)[key];
  delete values[key];
  const affected = presetDecks(ctx, name).map((d) => d.id);
  const { actionUid, rescheduled } = commit(ctx, [{ key: `${PRESET_PREFIX}${name}`, before, after: values }], affected, reschedules, `the reset of ${key} in preset "${name}"`);
  return {
    key,
    scope: { kind: 'preset', preset: name, decks: presetDecks(ctx, name).map((d) => d.name) },
    value: (ctx.settings as unknown as Record<string, unknown>)[key],
    previous,
    createdPreset: null,
    rescheduled,
    actionUid,
  };
}

/** `recall config use PRESET --deck NAME`: the deck (and its subdecks) take the preset; "default" = the global settings. */
export function usePreset(ctx: Context, presetRaw: string, deckName: string): ConfigResult & { decks: string[] } {
  const deck = resolveDeck(ctx, deckName);
  const isDefault = presetRaw.trim().toLowerCase() === DEFAULT_PRESET;
  const changes: SettingChange[] = [];
  let name: string | null = null;
  let createdPreset: string | null = null;
  if (!isDefault) {
    const existing = [...ctx.presets().keys()].find((p) => p.toLowerCase() === presetRaw.trim().toLowerCase());
    name = existing ?? checkPresetName(presetRaw);
    if (!existing) {
      createdPreset = name;
      changes.push({ key: `${PRESET_PREFIX}${name}`, before: undefined, after: {} });
    }
  }
  const decks = ctx.store.decks().filter((d) => d.id === deck.id || d.name.toLowerCase().startsWith(`${deck.name.toLowerCase()}::`));
  // Back to the settings is stored as null, not as a missing key, so sync (last writer per key) can carry it.
  for (const d of decks) {
    if (ctx.presetOf(d.id) !== name) changes.push({ key: `${DECK_PRESET_PREFIX}${d.uid}`, before: read(ctx, `${DECK_PRESET_PREFIX}${d.uid}`), after: name });
  }
  const previous = ctx.presetOf(deck.id) ?? DEFAULT_PRESET;
  const { actionUid, rescheduled } = commit(ctx, changes, decks.map((d) => d.id), true, `the preset change of "${deck.name}"`);
  return {
    key: null,
    scope: name === null ? { kind: 'global' } : { kind: 'preset', preset: name, decks: presetDecks(ctx, name).map((d) => d.name) },
    value: name ?? DEFAULT_PRESET,
    previous,
    createdPreset,
    rescheduled,
    actionUid,
    decks: decks.map((d) => d.name),
  };
}

/** Every option key a user can name, for messages. */
export const OPTION_KEYS = SETTING_KEYS;
