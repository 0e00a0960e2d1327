// The review loop driven in a real terminal (tmux), then checked against the database it wrote.
import Database from 'better-sqlite3';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createScheduler } from '../src/scheduler/index.js';
import { DEFAULT_SETTINGS } from '../src/core/types.js';
import { CLI, Terminal, ensureBuilt, hasTmux, runCli, runJson, tempDir } from './helpers/cli.js';

const NOW = '2026-03-10T09:00:00Z';
const nowMs = Date.parse(NOW);

beforeAll(() => ensureBuilt());

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.reverse()) c();
  cleanups = [];
});

function setup() {
  const t = tempDir();
  cleanups.push(t.cleanup);
  return { dir: t.dir, db: join(t.dir, 'recall.db') };
}

function start(dir: string, db: string, args = ''): Terminal {
  const term = new Terminal(`node ${CLI} --db ${db} ${args}`, { env: { RECALL_NOW: NOW, TZ: 'UTC' }, socketDir: dir });
  cleanups.push(() => term.kill());
  return term;
}

describe.skipIf(!hasTmux)('recall review in a real terminal', () => {
  it('reveals, grades three cards, undoes one and quits; the log and schedules are exactly right', async () => {
    const { dir, db } = setup();
    const term = start(dir, db);
    await term.waitFor('space/Enter shows the answer');
    term.send('Space');
    await term.waitFor('1 Again');
    expect(term.screen()).toMatch(/3 Good 10m/);
    term.send('3');
    await term.waitForCount('Good → 10m', 1);
    await term.waitForCount('space/Enter shows the answer', 1);
    term.send('Space');
    await term.waitForCount('1 Again', 1);
    term.send('3');
    await term.waitForCount('Good → 10m', 2);
    term.send('Space');
    await term.waitFor('1 Again 1m');
    term.send('1');
    await term.waitFor('Again → 1m');
    term.send('u');
    await term.waitFor('Undid the last answer');
    term.send('q');
    const screen = await term.waitFor('[exit 0]');
    expect(screen).toContain('Session summary');
    expect(screen).toMatch(/cards reviewed\s+2/);

    const conn = new Database(db, { readonly: true });
    const rows = conn.prepare('SELECT card_id AS cardId, rating, state_before AS before, state_after AS after, reviewed_at AS at, kind, undone_at AS undone FROM reviews ORDER BY id').all() as any[];
    expect(rows.map((r) => [r.rating, r.before, r.kind, r.at, r.undone === null])).toEqual([
      [3, 0, 'review', nowMs, true],
      [3, 0, 'review', nowMs, true],
      [1, 0, 'review', nowMs, false],
    ]);
    // The undone card is new again: no schedule. The two answered ones hold what the scheduler gives.
    const expected = createScheduler({ ...DEFAULT_SETTINGS, timeZone: 'UTC' }).answer(null, nowMs, 3).schedule;
    const schedules = conn.prepare('SELECT card_id AS cardId, state, due, stability, difficulty, reps, last_review AS lastReview FROM schedules ORDER BY card_id').all() as any[];
    expect(schedules.map((s) => s.cardId)).toEqual([rows[0].cardId, rows[1].cardId]);
    for (const s of schedules) {
      expect(s).toMatchObject({ state: expected.state, due: expected.due, reps: 1, lastReview: nowMs });
      expect(s.stability).toBeCloseTo(expected.stability, 10);
      expect(s.difficulty).toBeCloseTo(expected.difficulty, 10);
    }
    const daily = conn.prepare('SELECT sum(reviews) AS n, sum(again) AS again FROM daily').get() as any;
    expect(daily).toEqual({ n: 2, again: 0 });
    conn.close();
    expect(runCli(['--db', db, 'doctor'], { RECALL_NOW: NOW }).code).toBe(0);
  });

  it('loses nothing when killed with SIGKILL right after an answer', async () => {
    const { dir, db } = setup();
    const term = start(dir, db);
    await term.waitFor('space/Enter shows the answer');
    term.send('Space');
    await term.waitFor('1 Again');
    term.send('4');
    // The acknowledgement line is printed only after the answer's transaction committed.
    await term.waitFor(/Easy → \d+d/);
    // Anchored on `node` so only the CLI dies, not the tmux server whose command line also names the file.
    execFileSync('pkill', ['-KILL', '-f', `^node .*--db ${db}`]);
    await term.waitFor('[exit 137]');
    const conn = new Database(db);
    expect(conn.pragma('integrity_check', { simple: true })).toBe('ok');
    const n = conn.prepare('SELECT count(*) FROM reviews WHERE rating = 4').pluck().get();
    expect(n).toBe(1);
    conn.close();
    const decks = runJson<any[]>(['--db', db, 'decks'], { RECALL_NOW: NOW });
    expect(decks.reduce((s, d) => s + d.due + d.learning, 0)).toBeGreaterThanOrEqual(0);
    expect(runCli(['--db', db, 'doctor'], { RECALL_NOW: NOW }).code).toBe(0);
  });

  it('says when the next card is due when nothing is left, and quits on q', async () => {
    const { dir, db } = setup();
    // No new cards allowed today: nothing to study.
    expect(runCli(['--db', db, 'config', 'set', 'newPerDay', '0'], { RECALL_NOW: NOW }).code).toBe(0);
    const term = start(dir, db);
    await term.waitFor('Nothing more to study now.');
    term.send('q');
    await term.waitFor('[exit 0]');
  });

  it('without a terminal exits 2 and names the non-interactive commands', () => {
    const { db } = setup();
    const r = runCli(['--db', db]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('needs a terminal');
    expect(r.stderr).toContain('decks');
  });
});
