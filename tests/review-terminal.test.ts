// The review loop driven in a real terminal (tmux), then checked against the database it wrote.
import Database from 'better-sqlite3';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openContext } from '../src/app/context.js';
import { resolveDeckIds } from '../src/app/decks.js';
import { openStudy } from '../src/app/study.js';
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
    await term.waitFor(/Undid the answer Again on "[^"]+" \([^)]+\)\. The card is back\./);
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

  it('with new cards turned off, says so, how many wait and how to turn them on; n takes ten more, q quits', async () => {
    const { dir, db } = setup();
    // No new cards allowed today: nothing to study.
    expect(runCli(['--db', db, 'config', 'set', 'newPerDay', '0'], { RECALL_NOW: NOW }).code).toBe(0);
    const total = runJson<any[]>(['--db', db, 'decks'], { RECALL_NOW: NOW }).reduce((n, d) => n + d.new, 0);
    const term = start(dir, db);
    await term.waitFor('Nothing more to study now.');
    const screen = await term.waitFor('Study more?');
    expect(screen).toContain(`New cards are off (newPerDay is 0): ${total} new cards wait; turn them on with recall config set newPerDay 20.`);
    expect(screen).toContain('No reviews are scheduled yet.');
    expect(screen).not.toMatch(/No cards are scheduled/);
    term.send('n');
    await term.waitFor('space/Enter shows the answer');
    expect(term.screen()).toMatch(/10 new · 0 learning · 0 review/);
    term.send('q');
    await term.waitFor('[exit 0]');
  });

  it('when the daily review limit holds cards back, says how many and how to raise it, and that they come tomorrow', async () => {
    const { dir, db } = setup();
    const deck = join(dir, 'lim.deck');
    writeFileSync(deck, `deck: Lim\n\n${[0, 1, 2].map((i) => `--- basic l${i}\nQ: limit question ${i}\nA: a${i}\n`).join('\n')}`);
    const past = new Date(nowMs - 40 * 86_400_000).toISOString();
    expect(runCli(['--db', db, 'import', deck], { RECALL_NOW: past }).code).toBe(0);
    for (const [k, v] of [['timeZone', 'UTC'], ['newPerDay', '3']] as const) expect(runCli(['--db', db, 'config', 'set', k, v], { RECALL_NOW: past }).code).toBe(0);
    // Forty days ago the three cards were learnt (Good, Good): by now all three are due.
    const ctx = openContext({ db, env: { RECALL_NOW: past } });
    const study = openStudy(ctx, { deckIds: resolveDeckIds(ctx, ['Lim']) });
    for (let i = 0; i < 6; i++) {
      const n = study.next();
      if (n.kind !== 'card') break;
      expect(study.answer(n.drawn, 3, { durationMs: 2000 }).ok).toBe(true);
    }
    ctx.store.close();
    for (const [k, v] of [['newPerDay', '0'], ['reviewsPerDay', '1']] as const) expect(runCli(['--db', db, 'config', 'set', k, v], { RECALL_NOW: NOW }).code).toBe(0);

    const term = start(dir, db, '--deck Lim');
    await term.waitFor('space/Enter shows the answer');
    expect(term.screen()).toMatch(/0 new · 0 learning · 1 review/);
    term.send('Space');
    await term.waitFor('1 Again');
    term.send('3');
    const screen = await term.waitFor('Session summary');
    expect(screen).toContain('Daily review limit reached: 2 more reviews are due today (limit 1 a day; raise it with recall config set reviewsPerDay 3).');
    // The held-back cards come with the next study day (04:00 UTC), not "now".
    expect(screen).toMatch(/Next card due in 19h \(04:00\)\./);
    expect(screen).not.toContain('due now');
    // The session summary agrees: the held-back cards are not due now for this session.
    const last = await term.waitFor('[exit 0]');
    expect(last).toMatch(/next due +in 19h \(04:00\)/);
    expect(last).not.toMatch(/next due +now/);
  });

  it('without a terminal exits 2 and names the non-interactive commands', () => {
    const { db } = setup();
    const r = runCli(['--db', db]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('needs a terminal');
    expect(r.stderr).toContain('decks');
  });
});
