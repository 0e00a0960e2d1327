import { tzOffset } from '@date-fns/tz/tzOffset';
import { TZDate } from '@date-fns/tz/date';
import { addDays } from 'date-fns/addDays';
import { RecallError } from '../core/errors.js';
import { fixedZoneOffset } from '../core/zone.js';

const HOUR = 3_600_000;
const DAY = 86_400_000;

/**
 * The system's zone (which honours `TZ`). Offsets come from `Date#getTimezoneOffset`, which answers in microseconds;
 * asking Intl for the zone's name costs ~35 ms at start-up, which `recall decks` cannot afford.
 */
export const LOCAL_ZONE = 'local';

/** The time zone to use: the configured one, else the system's. */
export function resolveTimeZone(timeZone: string | null | undefined): string {
  return timeZone || LOCAL_ZONE;
}

export function isValidTimeZone(timeZone: string): boolean {
  if (timeZone === LOCAL_ZONE || fixedZoneOffset(timeZone) !== null) return true;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

export function assertTimeZone(timeZone: string): void {
  if (!isValidTimeZone(timeZone)) {
    throw new RecallError('bad-timezone', `Unknown time zone "${timeZone}"`, {
      hint: 'use an IANA name such as Europe/Berlin, America/New_York or UTC',
      exitCode: 2,
    });
  }
}

const QUARTER_HOUR = 900_000;
const offsetCache = new Map<string, Map<number, number>>();
const dayOffsetCache = new Map<string, Map<number, number>>();
/** Per zone name: its offset when it never changes, else null (asked millions of times in a large import). */
const fixedOffsets = new Map<string, number | null>();

function computeOffset(ms: number, timeZone: string): number {
  const minutes = timeZone === LOCAL_ZONE ? -new Date(ms).getTimezoneOffset() : tzOffset(timeZone, new Date(ms));
  return Number.isFinite(minutes) ? minutes * 60_000 : 0;
}

/**
 * Offset of local time from UTC at instant `ms`, in ms (positive east of Greenwich). Intl is slow and replaying a
 * big import asks millions of times, so offsets are cached: per UTC day when the offset is the same at both ends of
 * it (every day but the few a year when clocks change), else per quarter hour (zones change offset only on quarter
 * hours). A per-quarter-hour cache alone missed on six years of history (210k quarter hours).
 */
export function offsetMs(ms: number, timeZone: string): number {
  let fixed = fixedOffsets.get(timeZone);
  if (fixed === undefined) fixedOffsets.set(timeZone, (fixed = fixedZoneOffset(timeZone)));
  if (fixed !== null) return fixed;
  let days = dayOffsetCache.get(timeZone);
  if (!days) dayOffsetCache.set(timeZone, (days = new Map()));
  const day = Math.floor(ms / DAY);
  let whole = days.get(day);
  if (whole === undefined) {
    const start = computeOffset(day * DAY, timeZone);
    whole = start === computeOffset(day * DAY + DAY - 1, timeZone) ? start : Number.NaN;
    if (days.size > 100_000) days.clear();
    days.set(day, whole);
  }
  if (!Number.isNaN(whole)) return whole;
  let zone = offsetCache.get(timeZone);
  if (!zone) offsetCache.set(timeZone, (zone = new Map()));
  const bucket = Math.floor(ms / QUARTER_HOUR);
  let cached = zone.get(bucket);
  if (cached === undefined) {
    cached = computeOffset(bucket * QUARTER_HOUR, timeZone);
    if (zone.size > 100_000) zone.clear();
    zone.set(bucket, cached);
  }
  return cached;
}

/**
 * The study day that instant `ms` belongs to: whole days since 1970-01-01 of local wall-clock time minus the
 * day-start hour, so 03:59 belongs to the previous day when days start at 04:00.
 */
export function studyDay(ms: number, timeZone: string, dayStartHour: number): number {
  return Math.floor((ms + offsetMs(ms, timeZone) - dayStartHour * HOUR) / DAY);
}

/** The instant the study day `day` starts (local `dayStartHour`:00 on that date), DST-aware. */
export function dayStartInstant(day: number, timeZone: string, dayStartHour: number): number {
  const base = new Date(day * DAY);
  if (timeZone === LOCAL_ZONE) return new Date(base.getUTCFullYear(), base.getUTCMonth(), base.getUTCDate(), dayStartHour).getTime();
  const fixed = fixedZoneOffset(timeZone);
  if (fixed !== null) return Date.UTC(base.getUTCFullYear(), base.getUTCMonth(), base.getUTCDate(), dayStartHour) - fixed;
  const local = new TZDate(base.getUTCFullYear(), base.getUTCMonth(), base.getUTCDate(), dayStartHour, 0, 0, timeZone);
  return local.getTime();
}

const nextStartCache = new Map<string, number>();

/** When the study day after the one containing `ms` begins. Cached per day: every answer asks. */
export function nextDayStart(ms: number, timeZone: string, dayStartHour: number): number {
  const day = studyDay(ms, timeZone, dayStartHour);
  const key = `${timeZone}|${dayStartHour}|${day}`;
  const hit = nextStartCache.get(key);
  if (hit !== undefined) return hit;
  const value = computeNextDayStart(day, timeZone, dayStartHour);
  if (nextStartCache.size > 10_000) nextStartCache.clear();
  nextStartCache.set(key, value);
  return value;
}

function computeNextDayStart(day: number, timeZone: string, dayStartHour: number): number {
  const startMs = dayStartInstant(day, timeZone, dayStartHour);
  if (fixedZoneOffset(timeZone) !== null) return startMs + DAY;
  const start = timeZone === LOCAL_ZONE ? new Date(startMs) : new TZDate(startMs, timeZone);
  return addDays(start, 1).getTime();
}

/**
 * ts-fsrs counts elapsed days between UTC calendar dates. Shifting every instant by the local offset minus the
 * day-start hour before it reaches ts-fsrs makes its "days" our study days, so two answers on either side of
 * midnight but before 04:00 count as the same day, as the learner experiences them.
 */
export function toSchedulerTime(ms: number, timeZone: string, dayStartHour: number): number {
  return ms + offsetMs(ms, timeZone) - dayStartHour * HOUR;
}
