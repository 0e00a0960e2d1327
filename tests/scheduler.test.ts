import { fsrs, createEmptyCard, type Grade as FsrsGrade } from 'ts-fsrs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, type Grade, type Schedule } from '../src/core/types.js';
import { createScheduler, formatInterval, nextDayStart, studyDay, dayStartInstant } from '../src/scheduler/index.js';

const base = { ...DEFAULT_SETTINGS, enableFuzz: false };
const DAY = 86_400_000;

/** Answers a card with `grades`, each at the moment the previous answer made it due. */
function run(grades: Grade[], settings = base, start = Date.parse('2026-01-05T09:00:00Z')) {
  const s = createScheduler(settings);
  let schedule: Schedule | null = null;
  let now = start;
  const intervals: string[] = [];
  const log: { rating: Grade; reviewedAt: number }[] = [];
  for (const g of grades) {
    const o = s.answer(schedule, now, g);
    log.push({ rating: g, reviewedAt: now });
    intervals.push(formatInterval(o.schedule.due - now));
    schedule = o.schedule;
    now = o.schedule.due;
  }
  return { scheduler: s, schedule: schedule!, intervals, log };
}

describe('scheduler wrapper', () => {
  it('gives the golden interval sequence for a fixed grade sequence (fuzz off, UTC, day start 0)', () => {
    const { intervals } = run([3, 3, 3, 3, 3, 1, 3, 3, 4, 2], { ...base, timeZone: 'UTC', dayStartHour: 0 });
    expect(intervals).toEqual(['10m', '2d', '11d', '1.5mo', '5.4mo', '10m', '5d', '12d', '1.4mo', '2.5mo']);
  });

  it('matches ts-fsrs exactly when local days are UTC days', () => {
    const grades: Grade[] = [3, 3, 1, 1, 3, 4, 3, 2, 3, 3, 3];
    const ours = run(grades, { ...base, timeZone: 'UTC', dayStartHour: 0 });
    const f = fsrs({ enable_fuzz: false, learning_steps: ['1m', '10m'], relearning_steps: ['10m'] });
    let card = createEmptyCard(new Date(Date.parse('2026-01-05T09:00:00Z')));
    let now = new Date(Date.parse('2026-01-05T09:00:00Z'));
    for (const g of grades) {
      card = f.next(card, now, g as unknown as FsrsGrade).card;
      now = card.due;
    }
    expect(ours.schedule.due).toBe(card.due.getTime());
    expect(ours.schedule.stability).toBe(card.stability);
    expect(ours.schedule.difficulty).toBe(card.difficulty);
    expect(ours.schedule.reps).toBe(card.reps);
    expect(ours.schedule.lapses).toBe(card.lapses);
  });

  it('previews four outcomes, one per grade, increasing intervals', () => {
    const s = createScheduler(base);
    const now = Date.parse('2026-01-05T09:00:00Z');
    const p = s.preview(null, now);
    const due = [1, 2, 3, 4].map((g) => p[g as Grade].schedule.due - now);
    expect(due).toEqual([...due].sort((a, b) => a - b));
    expect(formatInterval(due[0]!)).toBe('1m');
    expect(formatInterval(due[2]!)).toBe('10m');
  });

  it('replaying the log reproduces the stored schedule exactly, in any time zone', () => {
    for (const timeZone of ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata']) {
      const settings = { ...base, timeZone };
      const { scheduler, schedule, log } = run([3, 1, 3, 3, 2, 3, 4, 1, 3], settings);
      expect(scheduler.replay(log).schedule).toEqual(schedule);
    }
  });

  it('replay with fuzz on is deterministic too', () => {
    const settings = { ...base, enableFuzz: true, timeZone: 'Europe/Berlin' };
    const a = run([3, 3, 3, 3, 3, 3], settings);
    expect(a.scheduler.replay(a.log).schedule).toEqual(a.schedule);
  });

  it('undo is replay without the last entry', () => {
    const { scheduler, log } = run([3, 3, 3, 1]);
    const before = run([3, 3, 3]).schedule;
    expect(scheduler.replay(log.slice(0, -1)).schedule).toEqual(before);
  });

  it('a clock that went backwards never produces a negative interval', () => {
    const s = createScheduler(base);
    const t = Date.parse('2026-01-05T09:00:00Z');
    const first = s.answer(null, t, 3).schedule;
    const back = s.answer(first, t - 3 * DAY, 3);
    expect(back.schedule.due).toBeGreaterThanOrEqual(first.lastReview!);
    expect(back.schedule.lastReview).toBe(first.lastReview);
    expect(back.elapsedDays).toBeGreaterThanOrEqual(0);
  });

  it('manual entries: a reset makes the card new, a reschedule keeps its memory', () => {
    const { scheduler, log } = run([3, 3, 3]);
    const at = log[2]!.reviewedAt + DAY;
    const reset = scheduler.replay([...log, { rating: 0, reviewedAt: at, manual: { state: 0, due: at } }]).schedule!;
    expect(reset.state).toBe(0);
    expect(reset.reps).toBe(0);
    const moved = scheduler.replay([...log, { rating: 0, reviewedAt: at, manual: { state: 2, due: at + 5 * DAY } }]).schedule!;
    expect(moved.state).toBe(2);
    expect(moved.due).toBe(at + 5 * DAY);
    expect(moved.stability).toBe(run([3, 3, 3]).schedule.stability);
  });
});

describe('study days (04:00 boundary)', () => {
  const tz = 'Europe/Berlin';
  it('03:59 local belongs to the previous day, 04:00 starts the next', () => {
    const a = Date.parse('2026-01-15T02:59:00Z'); // 03:59 CET
    const b = Date.parse('2026-01-15T03:00:00Z'); // 04:00 CET
    expect(studyDay(b, tz, 4) - studyDay(a, tz, 4)).toBe(1);
    expect(nextDayStart(a, tz, 4)).toBe(b);
  });

  it('is right across the spring DST change (2026-03-29, 23 hours long)', () => {
    const before = Date.parse('2026-03-28T12:00:00Z'); // Sat 13:00 CET
    const start = dayStartInstant(studyDay(before, tz, 4), tz, 4);
    expect(new Date(start).toISOString()).toBe('2026-03-28T03:00:00.000Z'); // 04:00 CET
    const next = nextDayStart(before, tz, 4);
    expect(new Date(next).toISOString()).toBe('2026-03-29T02:00:00.000Z'); // 04:00 CEST
    expect(next - start).toBe(23 * 3_600_000);
    expect(studyDay(next - 1, tz, 4)).toBe(studyDay(before, tz, 4));
    expect(studyDay(next, tz, 4)).toBe(studyDay(before, tz, 4) + 1);
  });

  it('is right across the autumn DST change (the study day of 2026-10-24 is 25 hours long)', () => {
    const before = Date.parse('2026-10-24T12:00:00Z');
    const next = nextDayStart(before, tz, 4);
    expect(new Date(next).toISOString()).toBe('2026-10-25T03:00:00.000Z'); // 04:00 CET
    expect(next - dayStartInstant(studyDay(before, tz, 4), tz, 4)).toBe(25 * 3_600_000);
    const after = nextDayStart(next, tz, 4);
    expect(after - next).toBe(24 * 3_600_000);
  });

  it('two answers either side of midnight but before 04:00 are the same study day for FSRS', () => {
    const s = createScheduler({ ...base, timeZone: tz });
    const late = Date.parse('2026-01-15T22:30:00Z'); // 23:30 CET
    const first = s.answer(null, late, 3).schedule;
    const early = Date.parse('2026-01-16T01:30:00Z'); // 02:30 CET next calendar day, same study day
    expect(s.answer(first, early, 3).elapsedDays).toBe(0);
    const morning = Date.parse('2026-01-16T05:00:00Z'); // 06:00 CET: a new study day
    expect(s.answer(first, morning, 3).elapsedDays).toBe(1);
  });

  it('a one-day interval across the DST change is still due the next day', () => {
    const s = createScheduler({ ...base, timeZone: tz });
    let sched = s.answer(null, Date.parse('2026-03-20T08:00:00Z'), 4).schedule;
    for (let i = 0; i < 3; i++) sched = s.answer(sched, sched.due, 3).schedule;
    const at = Date.parse('2026-03-28T20:00:00Z');
    const o = s.answer(sched, at, 1);
    expect(o.schedule.due).toBeGreaterThan(at);
    expect(studyDay(o.schedule.due, tz, 4)).toBeGreaterThanOrEqual(studyDay(at, tz, 4));
  });
});

describe('fixed zones (UTC, Etc/GMT±N) are computed without Intl', () => {
  // What Intl says, for comparison: the local date-time of an instant in that zone, read back as if it were UTC.
  const intlOffset = (ms: number, timeZone: string) => {
    const parts = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric' }).formatToParts(ms);
    const get = (t: string) => Number(parts.find((p) => p.type === t)!.value);
    return Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute')) - ms;
  };
  const zones = ['UTC', 'GMT', 'Etc/UTC', 'Etc/GMT', 'Etc/GMT0', 'Etc/GMT+5', 'Etc/GMT-14', 'Etc/GMT+12', 'Etc/GMT-3'];
  const instants = [0, Date.parse('2026-03-29T01:30:00Z'), Date.parse('2026-10-25T23:59:59Z'), Date.parse('2031-07-04T12:00:00Z')];

  it.each(zones)('%s: study days, day starts and next day starts agree with Intl', (zone) => {
    for (const ms of instants) {
      for (const hour of [0, 4, 23]) {
        const expectedDay = Math.floor((ms + intlOffset(ms, zone) - hour * 3_600_000) / DAY);
        expect(studyDay(ms, zone, hour)).toBe(expectedDay);
        const start = dayStartInstant(expectedDay, zone, hour);
        expect(start + intlOffset(start, zone) - hour * 3_600_000).toBe(expectedDay * DAY);
        expect(nextDayStart(ms, zone, hour)).toBe(start + DAY);
      }
    }
  });

  it('Etc/GMT zones that do not exist are still refused', async () => {
    const { isValidTimeZone } = await import('../src/scheduler/day.js');
    expect(isValidTimeZone('Etc/GMT+13')).toBe(false);
    expect(isValidTimeZone('Etc/GMT-15')).toBe(false);
    expect(isValidTimeZone('Etc/GMT-14')).toBe(true);
  });
});
