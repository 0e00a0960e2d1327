// A named zone's offsets table (ZoneTable, src/scheduler/day.ts): the study days, day starts and next day starts it
// gives are the ones Intl gives, across changes of offset, and a command run with it in use never asks Intl.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ensureBuilt, runCli, runJson, tempDir } from './helpers/cli.js';

type DayModule = typeof import('../src/scheduler/day.js');

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 5, 1, 9);
const TODAY = Math.floor(T0 / DAY);
// Offsets that change by an hour, by half an hour (Lord Howe), at midnight (Santiago), twice a year and around
// Ramadan (Casablanca), by quarter hours (Chatham, Kathmandu), and a zone that never changes.
const ZONES = ['America/New_York', 'Europe/Berlin', 'Australia/Lord_Howe', 'America/Santiago', 'Africa/Casablanca', 'Pacific/Chatham', 'Asia/Kathmandu'];

/** A fresh copy of the day module: no table in use, no memo of earlier answers. */
async function freshDay(): Promise<DayModule> {
  vi.resetModules();
  return (await import('../src/scheduler/day.js')) as DayModule;
}

/** Instants every 37 minutes over the table's days, plus the minutes on either side of every quarter hour of the days whose offset changes. */
function instants(table: { firstDay: number; days: (number | null)[] }): number[] {
  const out: number[] = [];
  const first = table.firstDay * DAY;
  const end = (table.firstDay + table.days.length) * DAY;
  for (let ms = first; ms < end; ms += 37 * 60_000) out.push(ms);
  table.days.forEach((o, i) => {
    if (o !== null) return;
    for (let q = 0; q < 96; q++) {
      const at = (table.firstDay + i) * DAY + q * 900_000;
      out.push(at - 60_000, at, at + 60_000);
    }
  });
  return out;
}

function answers(d: DayModule, zone: string, points: number[], days: number[]) {
  return {
    studyDays: points.map((ms) => [0, 4, 23].map((h) => d.studyDay(ms, zone, h))),
    nextStarts: points.filter((_ms, i) => i % 5 === 0).map((ms) => [0, 4, 23].map((h) => d.nextDayStart(ms, zone, h))),
    dayStarts: days.map((day) => [0, 4, 23].map((h) => d.dayStartInstant(day, zone, h))),
  };
}

describe('zone tables', () => {
  for (const zone of ZONES) {
    it(`${zone}: the table's study days and day boundaries are Intl's, changes of offset included`, async () => {
      const intl = await freshDay();
      const table = intl.buildZoneTable(zone, TODAY - 7, TODAY + 400, 'test')!;
      const points = instants(table);
      // Study days whose starts the table can answer, and a few beyond it (where Intl still does).
      const days = Array.from({ length: 420 }, (_x, i) => TODAY - 12 + i);
      const expected = answers(intl, zone, points, days);
      if (!['Asia/Kathmandu'].includes(zone)) expect(table.days.some((o) => o === null)).toBe(true);

      const withTable = await freshDay();
      expect(withTable.useZoneTable(JSON.parse(JSON.stringify(table)), 'test')).toBe(true);
      expect(withTable.zoneTableCovers(zone, TODAY - 7, TODAY + 400)).toBe(true);
      expect(answers(withTable, zone, points, days)).toEqual(expected);
    }, 60_000);
  }

  it("a fixed-offset named zone's day starts do not move when the system's own clocks change (with or without a table)", async () => {
    const saved = process.env.TZ;
    process.env.TZ = 'America/New_York';
    try {
      // 2026-03-08 and 2027-03-14: New York's clocks move; Martinique stays at -4 all year.
      const days = [Date.UTC(2026, 2, 7), Date.UTC(2026, 2, 8), Date.UTC(2026, 2, 9), Date.UTC(2026, 10, 1), Date.UTC(2027, 2, 14)].map((ms) => ms / DAY);
      const expected = days.map((day) => [0, 2, 4].map((h) => day * DAY + h * 3_600_000 + 4 * 3_600_000));
      const intl = await freshDay();
      expect(days.map((day) => [0, 2, 4].map((h) => intl.dayStartInstant(day, 'America/Martinique', h)))).toEqual(expected);
      expect(days.map((day) => intl.nextDayStart(day * DAY + 12 * 3_600_000, 'America/Martinique', 2))).toEqual(expected.map((e) => e[1]! + DAY));
      const table = intl.buildZoneTable('America/Martinique', days[0]! - 7, days[0]! + 400, 'test')!;
      const withTable = await freshDay();
      expect(withTable.useZoneTable(table, 'test')).toBe(true);
      expect(days.map((day) => [0, 2, 4].map((h) => withTable.dayStartInstant(day, 'America/Martinique', h)))).toEqual(expected);
    } finally {
      if (saved === undefined) delete process.env.TZ;
      else process.env.TZ = saved;
    }
  });

  it('a table made with another tz database, or damaged, is not used', async () => {
    const d = await freshDay();
    const table = d.buildZoneTable('Europe/Berlin', TODAY, TODAY + 10, '2025a')!;
    expect(d.useZoneTable(table, '2025b')).toBe(false);
    expect(d.useZoneTable({ ...table, days: [...table.days.slice(0, 3), 'x'] }, '2025a')).toBe(false);
    expect(d.useZoneTable({ ...table, days: [...table.days, null] }, '2025a')).toBe(false);
    expect(d.useZoneTable(null, '2025a')).toBe(false);
    // Longer than any recall makes: checking it would cost every start.
    expect(d.useZoneTable({ ...table, days: new Array(5000).fill(3_600_000) }, '2025a')).toBe(false);
    // A zone Intl does not know gets no table (its offsets would all read 0).
    expect(d.buildZoneTable('Mars/Olympus', TODAY, TODAY + 10, '2025a')).toBeNull();
    expect(d.zoneTableCovers('Europe/Berlin', TODAY, TODAY)).toBe(false);
  });
});

describe('a command in a named zone', () => {
  let t: ReturnType<typeof tempDir>;
  beforeAll(() => {
    ensureBuilt();
    t = tempDir('recall-zone-');
  });
  afterAll(() => t.cleanup());

  it('makes the table once, then runs without asking Intl, with the answers Intl gives', () => {
    const db = join(t.dir, 'z.db');
    const trap = join(t.dir, 'intl-trap.cjs');
    // Counts every formatter Intl is asked to build (the first costs 35-40 ms) and reports it at exit.
    writeFileSync(trap, [
      'const Orig = Intl.DateTimeFormat; let n = 0;',
      'Intl.DateTimeFormat = function (...a) { n++; return new Orig(...a); };',
      'Object.assign(Intl.DateTimeFormat, Orig); Intl.DateTimeFormat.prototype = Orig.prototype;',
      "process.on('exit', () => process.stderr.write(`intl-formatters ${n}\\n`));",
    ].join('\n'));
    const env = { RECALL_DB: db, RECALL_NOW: new Date(T0).toISOString(), TZ: 'UTC' };
    runJson(['config', 'set', 'timeZone', 'America/New_York'], env);
    const kept = () => {
      const conn = new Database(db, { readonly: true });
      try {
        return conn.prepare("SELECT count(*) FROM local WHERE key = 'zoneTable'").pluck().get();
      } finally {
        conn.close();
      }
    };
    // Setting the zone made its table (that run asked Intl to check the zone).
    expect(kept()).toBe(1);
    const traced = (args: string[]) => {
      const r = runCli([...args, '--json'], { ...env, NODE_OPTIONS: `--require ${trap}` });
      expect(r.code, r.stderr).toBe(0);
      return { out: JSON.parse(r.stdout), intl: Number(/intl-formatters (\d+)/.exec(r.stderr)![1]) };
    };
    const first = traced(['decks']);
    expect(first.intl).toBe(0);
    const second = traced(['decks']);
    expect(second.intl).toBe(0);
    expect(second.out).toEqual(first.out);
    const stats = traced(['stats']);
    expect(stats.intl).toBe(0);
    // The same figures as a run that works the zone out with Intl (its table taken away first).
    const conn = new Database(db);
    expect(conn.prepare("DELETE FROM local WHERE key = 'zoneTable'").run().changes).toBe(1);
    conn.close();
    const again = traced(['stats']);
    expect(again.intl).toBeGreaterThan(0);
    expect(again.out).toEqual(stats.out);
    // A table that says otherwise than Intl (edited by hand here) is what doctor reports, and --fix makes again.
    const edit = new Database(db);
    const table = JSON.parse(edit.prepare("SELECT value FROM local WHERE key = 'zoneTable'").pluck().get() as string);
    table.days[TODAY - table.firstDay] += 3_600_000;
    edit.prepare("UPDATE local SET value = ? WHERE key = 'zoneTable'").run(JSON.stringify(table));
    edit.close();
    const sick = runCli(['doctor', '--json'], env);
    expect(sick.code).toBe(1);
    expect(JSON.parse(sick.stdout)).toMatchObject({ ok: false, zoneTable: { zone: 'America/New_York', ok: false, rebuilt: false } });
    expect(runJson(['doctor', '--fix'], env)).toMatchObject({ zoneTable: { ok: false, rebuilt: true } });
    expect(runJson(['doctor'], env)).toMatchObject({ ok: true, zoneTable: { zone: 'America/New_York', ok: true } });
    expect(traced(['stats']).out).toEqual(stats.out);
    // A file sync leaves the other database's local table alone: its own machine keeps its table.
    const other = join(t.dir, 'other.db');
    runJson(['decks'], { ...env, RECALL_DB: other });
    runJson(['sync', other], env);
    const peer = new Database(other, { readonly: true });
    try {
      expect(peer.prepare("SELECT count(*) FROM local WHERE key = 'zoneTable'").pluck().get()).toBe(0);
      expect(peer.prepare("SELECT value FROM settings WHERE key = 'timeZone'").pluck().get()).toBe('"America/New_York"');
    } finally {
      peer.close();
    }
  });
});
