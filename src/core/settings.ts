// zod/mini: the same validation as zod's classic API at a thirtieth of the bundle, which every command loads.
import * as z from 'zod/mini';
import { RecallError } from './errors.js';
import { DEFAULT_SETTINGS, type Limits, type SchedulerSettings } from './types.js';

export type Settings = SchedulerSettings & Limits;

const step = z.string().check(z.regex(/^\d+(\.\d+)?[mhd]$/, 'a step is a number followed by m, h or d, e.g. 10m'));

/** What `recall config set` accepts, with the ranges users are told about. */
export const SETTING_SPECS = {
  desiredRetention: { schema: z.number().check(z.minimum(0.7), z.maximum(0.99)), range: 'a number from 0.70 to 0.99', parse: Number },
  maximumInterval: { schema: z.int().check(z.minimum(1), z.maximum(36500)), range: 'whole days from 1 to 36500', parse: Number },
  learningSteps: { schema: z.array(step).check(z.maxLength(10)), range: 'space-separated steps such as "1m 10m" (or "" for none)', parse: parseSteps },
  relearningSteps: { schema: z.array(step).check(z.maxLength(10)), range: 'space-separated steps such as "10m" (or "" for none)', parse: parseSteps },
  newPerDay: { schema: z.int().check(z.minimum(0), z.maximum(9999)), range: 'a whole number from 0 to 9999', parse: Number },
  reviewsPerDay: { schema: z.int().check(z.minimum(0), z.maximum(99999)), range: 'a whole number from 0 to 99999', parse: Number },
  dayStartHour: { schema: z.int().check(z.minimum(0), z.maximum(23)), range: 'an hour from 0 to 23', parse: Number },
  timeZone: {
    schema: z.nullable(z.string()).check(z.refine((v) => v === null || validZone(v), 'unknown time zone')),
    range: 'an IANA time zone such as Europe/Berlin, or "system"',
    parse: (v: string) => (v === 'system' || v === '' ? null : v),
  },
  enableFuzz: { schema: z.boolean(), range: 'true or false', parse: parseBool },
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
};

export function resolveSettingKey(key: string): SettingKey {
  if ((SETTING_KEYS as string[]).includes(key)) return key as SettingKey;
  const alias = ALIASES[key.toLowerCase()];
  if (alias) return alias;
  throw new RecallError('bad-setting', `Unknown setting "${key}"`, { hint: `settings are: ${SETTING_KEYS.join(', ')}`, exitCode: 2 });
}

/** Parses and validates a value typed by the user; the error names the valid range. */
export function parseSettingValue(key: SettingKey, raw: string): unknown {
  const spec = SETTING_SPECS[key];
  const value = spec.parse(raw);
  const result = (spec.schema as z.ZodMiniType).safeParse(value);
  if (!result.success) {
    throw new RecallError('bad-setting-value', `Invalid value "${raw}" for ${key}`, { hint: `${key} must be ${spec.range}`, exitCode: 2 });
  }
  return result.data;
}

/** Settings from stored values, falling back to defaults for anything missing or no longer valid. */
export function settingsFrom(stored: Record<string, unknown>): Settings {
  const out: Settings = { ...DEFAULT_SETTINGS };
  for (const key of SETTING_KEYS) {
    if (!(key in stored)) continue;
    const r = (SETTING_SPECS[key].schema as z.ZodMiniType).safeParse(stored[key]);
    if (r.success) (out as unknown as Record<string, unknown>)[key] = r.data;
  }
  const params = z.array(z.number()).check(z.minLength(17), z.maxLength(21)).safeParse(stored.parameters);
  if (params.success) out.parameters = params.data;
  return out;
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
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: v });
    return true;
  } catch {
    return false;
  }
}
