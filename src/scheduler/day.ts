import { tzOffset } from '@date-fns/tz/tzOffset';
import { TZDate } from '@date-fns/tz/date';
import { addDays } from 'date-fns/addDays';
import { RecallError } from '../core/errors.js';
import { fixedZoneOffset, isKnownZone, markZoneKnown } from '../core/zone.js';

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
  if (timeZone === LOCAL_ZONE || fixedZoneOffset(timeZone) !== null || isKnownZone(timeZone)) return true;
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
const QUARTERS_PER_DAY = DAY / QUARTER_HOUR;

/**
 * A named zone's offsets over a span of UTC days, exactly as offsetMs works them out with Intl (one offset for a day
 * whose two ends agree, else one per quarter hour), so a later run can answer without Intl: its first use costs
 * 35-40 ms, a third of a cold `recall decks`. Valid for the tz database it was made with (`tz`, Node's
 * process.versions.tz); outside its days everything goes to Intl as before.
 */
export interface ZoneTable {
  v: 1;
  zone: string;
  tz: string;
  firstDay: number;
  /** Per UTC day from `firstDay`: the offset in ms, or null on a day the offset changes (see `mixed`). */
  days: (number | null)[];
  /** Per such day: its 96 quarter hours' offsets. */
  mixed: Record<string, number[]>;
}

const zoneTables = new Map<string, ZoneTable>();
const MAX_TABLE_DAYS = 1000;

/** Works out `timeZone`'s table for UTC days `firstDay` to `lastDay` (with Intl); null for a zone Intl does not know. */
export function buildZoneTable(timeZone: string, firstDay: number, lastDay: number, tz: string): ZoneTable | null {
  try {
    // Asked of Intl itself, not isValidTimeZone: a zone is "known" once a table naming it is in use.
    new Intl.DateTimeFormat('en-US', { timeZone });
  } catch {
    return null;
  }
  const days: (number | null)[] = [];
  const mixed: Record<string, number[]> = {};
  for (let day = firstDay; day <= lastDay; day++) {
    const start = computeOffset(day * DAY, timeZone);
    if (start === computeOffset(day * DAY + DAY - 1, timeZone)) {
      days.push(start);
      continue;
    }
    days.push(null);
    mixed[String(day)] = Array.from({ length: QUARTERS_PER_DAY }, (_q, i) => computeOffset(day * DAY + i * QUARTER_HOUR, timeZone));
  }
  return { v: 1, zone: timeZone, tz, firstDay, days, mixed };
}

/**
 * Uses `table` (read back from where the app kept it) for its zone when it is well formed and made with the tz
 * database in use (`tz`); says whether it did.
 */
export function useZoneTable(table: unknown, tz: string): boolean {
  const t = table as Partial<ZoneTable> | null;
  if (!t || t.v !== 1 || typeof t.zone !== 'string' || t.tz !== tz || !Number.isSafeInteger(t.firstDay) || !Array.isArray(t.days)) return false;
  // recall makes tables of ~400 days; a longer one was not made by it (and would cost every start to check).
  if (t.days.length > MAX_TABLE_DAYS) return false;
  if (typeof t.mixed !== 'object' || t.mixed === null) return false;
  const offset = (o: unknown) => typeof o === 'number' && Number.isFinite(o) && Math.abs(o) <= 18 * HOUR;
  for (let i = 0; i < t.days.length; i++) {
    const o = t.days[i];
    if (o === null) {
      const q = (t.mixed as Record<string, unknown>)[String(t.firstDay! + i)];
      if (!Array.isArray(q) || q.length !== QUARTERS_PER_DAY || !q.every(offset)) return false;
    } else if (!offset(o)) return false;
  }
  zoneTables.set(t.zone, t as ZoneTable);
  markZoneKnown(t.zone);
  return true;
}

/** Whether `timeZone`'s table holds UTC days `from` to `to`. */
export function zoneTableCovers(timeZone: string, from: number, to: number): boolean {
  const t = zoneTables.get(timeZone);
  return t !== undefined && from >= t.firstDay && to < t.firstDay + t.days.length;
}

/**
 * The one offset of UTC days `from` to `to`, or null when it changes in them: from the zone's table where it has the
 * days, else from Intl (as offsetMs does).
 */
function steadyOffset(timeZone: string, from: number, to: number): number | null {
  const o = wholeDayOffset(from, timeZone);
  if (Number.isNaN(o)) return null;
  for (let d = from + 1; d <= to; d++) if (wholeDayOffset(d, timeZone) !== o) return null;
  return o;
}

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
  const day = Math.floor(ms / DAY);
  const whole = wholeDayOffset(day, timeZone);
  if (!Number.isNaN(whole)) return whole;
  const table = zoneTables.get(timeZone);
  if (table !== undefined && day >= table.firstDay && day < table.firstDay + table.days.length) {
    return table.mixed[String(day)]![Math.floor((ms - day * DAY) / QUARTER_HOUR)]!;
  }
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

/** The offset of a named zone all through UTC day `day`, or NaN when it changes that day. */
function wholeDayOffset(day: number, timeZone: string): number {
  const table = zoneTables.get(timeZone);
  if (table !== undefined && day >= table.firstDay && day < table.firstDay + table.days.length) return table.days[day - table.firstDay] ?? Number.NaN;
  let days = dayOffsetCache.get(timeZone);
  if (!days) dayOffsetCache.set(timeZone, (days = new Map()));
  let whole = days.get(day);
  if (whole === undefined) {
    const start = computeOffset(day * DAY, timeZone);
    whole = start === computeOffset(day * DAY + DAY - 1, timeZone) ? start : Number.NaN;
    if (days.size > 100_000) days.clear();
    days.set(day, whole);
  }
  return whole;
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
  // Where the zone has one offset for every instant the start could be (offsets stay within a day), the wall time is
  // that one instant. Nearer a change of offset TZDate decides, which also adjusts for changes of the *system's*
  // zone: a fixed-offset zone such as America/Martinique, on a machine in New York, got 07:00Z for 02:00 at -4
  // on the night New York's clocks moved.
  const steady = steadyOffset(timeZone, day - 1, day + 1);
  if (steady !== null) return Date.UTC(base.getUTCFullYear(), base.getUTCMonth(), base.getUTCDate(), dayStartHour) - steady;
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
  if (fixedZoneOffset(timeZone) !== null || steadyOffset(timeZone, day - 1, day + 2) !== null) return startMs + DAY;
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
