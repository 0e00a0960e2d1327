// zod/mini: the same validation as zod's classic API at a thirtieth of the bundle, which every command loads.
import * as z from 'zod/mini';
import { RecallError } from './errors.js';
import { fixedZoneOffset, isKnownZone } from './zone.js';
import { DEFAULT_SETTINGS, type Limits, type SchedulerSettings } from './types.js';

/** What a deck does with a card that lapses `leechThreshold` times (Anki's leech action): tag it, or tag and suspend it. */
export interface LeechOptions {
  /** Lapses that make a card a leech; 0 turns leech detection off. */
  leechThreshold: number;
  leechAction: 'tag' | 'suspend';
}

export const DEFAULT_LEECH: LeechOptions = { leechThreshold: 8, leechAction: 'tag' };

export type Settings = SchedulerSettings & Limits & LeechOptions;

/**
 * Schemas are built the first time they are needed: every command loads this module, and building all of them
 * costs ~4 ms at start-up where only the few stored keys are checked.
 */
function lazy<T>(build: () => T): () => T {
  let built: T | undefined;
  return () => (built ??= build());
}

const step = () => z.string().check(z.regex(/^\d+(\.\d+)?[smhd]$/, 'a step is a number followed by s, m, h or d, e.g. 30s or 10m'));
const parameters = () => z.nullable(z.array(z.number().check(z.refine((n) => Number.isFinite(n)))).check(z.minLength(17), z.maxLength(21)));

/** What `recall config set` accepts, with the ranges users are told about. */
export const SETTING_SPECS = {
  desiredRetention: { schema: lazy(() => z.number().check(z.minimum(0.7), z.maximum(0.99))), range: 'a number from 0.70 to 0.99', parse: Number },
  maximumInterval: { schema: lazy(() => z.int().check(z.minimum(1), z.maximum(36500))), range: 'whole days from 1 to 36500', parse: Number },
  learningSteps: { schema: lazy(() => z.array(step()).check(z.maxLength(10))), range: 'space-separated steps such as "1m 10m" (or "" for none)', parse: parseSteps },
  relearningSteps: { schema: lazy(() => z.array(step()).check(z.maxLength(10))), range: 'space-separated steps such as "10m" (or "" for none)', parse: parseSteps },
  newPerDay: { schema: lazy(() => z.int().check(z.minimum(0), z.maximum(9999))), range: 'a whole number from 0 to 9999', parse: Number },
  reviewsPerDay: { schema: lazy(() => z.int().check(z.minimum(0), z.maximum(99999))), range: 'a whole number from 0 to 99999', parse: Number },
  dayStartHour: { schema: lazy(() => z.int().check(z.minimum(0), z.maximum(23))), range: 'an hour from 0 to 23', parse: Number },
  timeZone: {
    schema: lazy(() => z.nullable(z.string()).check(z.refine((v) => v === null || validZone(v), 'unknown time zone'))),
    range: 'an IANA time zone such as Europe/Berlin, or "system"',
    parse: (v: string) => (v === 'system' || v === '' ? null : v),
  },
  enableFuzz: { schema: lazy(() => z.boolean()), range: 'true or false', parse: parseBool },
  leechThreshold: { schema: lazy(() => z.int().check(z.minimum(0), z.maximum(9999))), range: 'a whole number of lapses from 1 to 9999, or 0 to turn leeches off', parse: Number },
  leechAction: { schema: lazy(() => z.enum(['tag', 'suspend'])), range: '"tag" (tag the card leech) or "suspend" (tag and suspend it)', parse: (v: string) => v.trim().toLowerCase() },
  parameters: {
    schema: lazy(parameters),
    range: '17 to 21 FSRS parameters separated by spaces or commas, or "default" for the FSRS defaults',
    parse: (v: string) => (/^\s*(default|none|)\s*$/i.test(v) ? null : v.trim().split(/[\s,]+/).map(Number)),
  },
} as const;

export type SettingKey = keyof typeof SETTING_SPECS;
export const SETTING_KEYS = Object.keys(SETTING_SPECS) as SettingKey[];

/** Friendly aliases accepted on the command line. */
const ALIASES: Record<string, SettingKey> = {
  retention: 'desiredRetention',
  'desired-retention': 'desiredRetention',
  'maximum-interval': 'maximumInterval',
  'max-interval': 'maximumInterval',
  'learning-steps': 'learningSteps',
  'relearning-steps': 'relearningSteps',
  'new-per-day': 'newPerDay',
  'reviews-per-day': 'reviewsPerDay',
  'day-start': 'dayStartHour',
  'day-start-hour': 'dayStartHour',
  timezone: 'timeZone',
  'time-zone': 'timeZone',
  fuzz: 'enableFuzz',
  'leech-threshold': 'leechThreshold',
  'leech-action': 'leechAction',
  params: 'parameters',
  weights: 'parameters',
};

export function resolveSettingKey(key: string): SettingKey {
  if ((SETTING_KEYS as string[]).includes(key)) return key as SettingKey;
  const alias = ALIASES[key.toLowerCase()];
  if (alias) return alias;
  throw new RecallError('bad-setting', `Unknown setting "${key}"`, { hint: `settings are: ${[...SETTING_KEYS, 'syncTarget'].join(', ')}`, exitCode: 2 });
}

/** Parses and validates a value typed by the user; the error names the valid range. */
export function parseSettingValue(key: SettingKey, raw: string): unknown {
  const spec = SETTING_SPECS[key];
  const value = spec.parse(raw);
  const result = (spec.schema() as z.ZodMiniType).safeParse(value);
  if (!result.success) {
    throw new RecallError('bad-setting-value', `Invalid value "${raw}" for ${key}`, { hint: `${key} must be ${spec.range}`, exitCode: 2 });
  }
  if (key === 'learningSteps' || key === 'relearningSteps') checkIncreasing(key, result.data as string[]);
  return result.data;
}

/** The length of a step such as `30s`, `10m`, `1.5h` or `2d`, in milliseconds. */
export function stepMs(step: string): number {
  const unit = step.slice(-1);
  const n = Number(step.slice(0, -1));
  return n * (unit === 's' ? 1_000 : unit === 'm' ? 60_000 : unit === 'h' ? 3_600_000 : 86_400_000);
}

/**
 * Steps must grow: a learner who passes a step waits longer for the next. Decreasing or repeated steps were once
 * accepted; they are refused when set (values stored before still load, so no schedule changes on upgrade).
 */
function checkIncreasing(key: SettingKey, steps: string[]): void {
  if (steps.some((x) => stepMs(x) === 0)) {
    throw new RecallError('bad-setting-value', `Invalid value "${steps.join(' ')}" for ${key}: a step of zero`, { hint: 'every step must be at least 1s', exitCode: 2 });
  }
  for (let i = 1; i < steps.length; i++) {
    if (stepMs(steps[i]!) <= stepMs(steps[i - 1]!)) {
      throw new RecallError('bad-setting-value', `Invalid value "${steps.join(' ')}" for ${key}: each step must be longer than the one before (${steps[i]} follows ${steps[i - 1]})`, {
        hint: `give the steps in increasing order, e.g. "${[...steps].sort((a, b) => stepMs(a) - stepMs(b)).filter((x, j, all) => j === 0 || stepMs(x) !== stepMs(all[j - 1]!)).join(' ')}"`,
        exitCode: 2,
      });
    }
  }
}

/** One stored value, if it is valid for `key`. */
export function validSetting(key: SettingKey, value: unknown): { ok: true; value: unknown } | { ok: false } {
  const r = (SETTING_SPECS[key].schema() as z.ZodMiniType).safeParse(value);
  return r.success ? { ok: true, value: r.data } : { ok: false };
}

/** The defaults of every setting. */
export const DEFAULTS: Settings = { ...DEFAULT_SETTINGS, ...DEFAULT_LEECH };

/** Settings from stored values, falling back to defaults for anything missing or no longer valid. */
export function settingsFrom(stored: Record<string, unknown>): Settings {
  const out: Settings = { ...DEFAULTS };
  for (const key of SETTING_KEYS) {
    if (!(key in stored)) continue;
    const r = validSetting(key, stored[key]);
    if (r.ok) (out as unknown as Record<string, unknown>)[key] = r.value;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Presets: named sets of deck options (Anki's deck options presets). A deck uses one preset, or none: then the
// global settings above apply to it (they are the "default" preset). A preset holds only the keys it overrides.
// Each preset is one setting (`preset:NAME`), and each deck's choice one more (`deckPreset:<deck uid>`), so sync,
// which keeps the last writer of each key, merges changes to different presets and decks without losing one.

/** The options a preset may set; the rest (day start, time zone, fuzz) are the collection's. */
export const PRESET_KEYS = ['newPerDay', 'reviewsPerDay', 'desiredRetention', 'learningSteps', 'relearningSteps', 'maximumInterval', 'parameters', 'leechThreshold', 'leechAction'] as const;
export type PresetKey = (typeof PRESET_KEYS)[number];
export type Preset = Partial<Pick<Settings, PresetKey>>;

export const PRESET_PREFIX = 'preset:';
export const DECK_PRESET_PREFIX = 'deckPreset:';
export const DECK_HIDDEN_PREFIX = 'deckHidden:';
export const DEFAULT_PRESET = 'default';

export function isPresetKey(key: SettingKey): key is PresetKey {
  return (PRESET_KEYS as readonly string[]).includes(key);
}

/** A stored preset with anything invalid or unknown left out (so it falls back to the global value). */
export function presetFrom(stored: unknown): Preset {
  const out: Record<string, unknown> = {};
  if (!stored || typeof stored !== 'object') return out;
  for (const key of PRESET_KEYS) {
    if (!(key in stored)) continue;
    const r = validSetting(key, (stored as Record<string, unknown>)[key]);
    if (r.ok) out[key] = r.value;
  }
  return out as Preset;
}

/** Every preset stored, by name. */
export function presetsFrom(stored: Record<string, unknown>): Map<string, Preset> {
  const out = new Map<string, Preset>();
  for (const [key, value] of Object.entries(stored)) if (key.startsWith(PRESET_PREFIX)) out.set(key.slice(PRESET_PREFIX.length), presetFrom(value));
  return out;
}

/** The options in force for a deck on `preset` (none: the global settings). */
export function withPreset(global: Settings, preset: Preset | undefined): Settings {
  return preset ? { ...global, ...preset } : global;
}

/** A preset name as typed: trimmed, printable, at most 60 characters, and not the reserved "default". */
export function checkPresetName(raw: string): string {
  const name = raw.trim();
  if (!name || name.length > 60 || /[\u0000-\u001f\u007f-\u009f]/.test(name)) {
    throw new RecallError('bad-preset', `"${raw}" is not a preset name`, { hint: 'a preset name is 1 to 60 printable characters', exitCode: 2 });
  }
  if (name.toLowerCase() === DEFAULT_PRESET) {
    throw new RecallError('bad-preset', '"default" is the name of the global settings', { hint: 'change them without --deck or --preset; choose another name for a preset', exitCode: 2 });
  }
  return name;
}

function parseSteps(v: string): string[] {
  return v.trim() === '' ? [] : v.trim().split(/[\s,]+/);
}

function parseBool(v: string): boolean | string {
  if (/^(true|on|yes|1)$/i.test(v)) return true;
  if (/^(false|off|no|0)$/i.test(v)) return false;
  return v;
}

function validZone(v: string): boolean {
  // UTC and the Etc/GMT±N zones are known without asking Intl (its first use costs 35-40 ms), and so is a zone whose
  // offsets table is in use (made when Intl accepted it).
  if (fixedZoneOffset(v) !== null || isKnownZone(v)) return true;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: v });
    return true;
  } catch {
    return false;
  }
}
