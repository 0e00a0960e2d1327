// A practice exam driven in a real terminal from the first question to the score.
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CLI, Terminal, ensureBuilt, hasTmux, tempDir } from './helpers/cli.js';
import { formatWhen } from '../src/cli/format.js';

const NOW = '2026-03-10T09:00:00Z';
let cleanups: (() => void)[] = [];
beforeAll(() => ensureBuilt());
afterEach(() => {
  for (const c of cleanups.reverse()) c();
  cleanups = [];
});

/** Answers whatever question is on screen, by the hint the prompt shows for its type. */
async function answerCurrent(term: Terminal, asked: number): Promise<void> {
  const screen = await term.waitFor(`question ${asked} of`);
  const tail = screen.slice(screen.lastIndexOf(`question ${asked} of`));
  if (tail.includes('space/Enter shows the answer')) term.send('Space');
  else if (/press 1-\d+ to answer/.test(tail)) term.send('1');
  else if (/press 1-\d+ to select/.test(tail)) term.send('1', 'Enter');
  else if (tail.includes('t = true')) term.send('t');
  else if (/press 1-\d+ for each item/.test(tail)) {
    // Items are listed between the category line and the hint.
    const lines = tail.split('\n');
    const cat = lines.findIndex((l) => /^\s+1 \S/.test(l));
    const hint = lines.findIndex((l) => /press 1-\d+ for each item/.test(l));
    const items = lines.slice(cat + 1, hint).filter((l) => l.trim() !== '').length;
    for (let i = 0; i < items; i++) term.send('1');
  } else if (tail.includes('type your answer')) {
    term.type('no idea');
    term.send('Enter');
  } else throw new Error(`unknown question on screen:\n${tail}`);
  await term.waitFor(/1 Again\s+2 Hard\s+3 Good\s+4 Easy/);
  term.send('Enter');
}

describe.skipIf(!hasTmux)('recall quiz in a real terminal', () => {
  it('asks N questions, scores them, stores the attempt, and leaves schedules alone', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const db = join(t.dir, 'q.db');
    const term = new Terminal(`node ${CLI} --db ${db} quiz --count 5 --seed 42`, { env: { RECALL_NOW: NOW, TZ: 'UTC' }, socketDir: t.dir, height: 60 });
    cleanups.push(() => term.kill());
    for (let i = 1; i <= 5; i++) await answerCurrent(term, i);
    const screen = await term.waitFor('[exit 0]');
    expect(screen).toMatch(/Score: [\d.]+ \/ 5 \(/);
    expect(screen).toContain('By deck');
    expect(screen).toContain('By question type');
    const c = new Database(db, { readonly: true });
    const attempt = c.prepare('SELECT questions, correct, finished_at FROM quiz_attempts').all() as any[];
    expect(attempt).toHaveLength(1);
    expect(attempt[0].questions).toBe(5);
    expect(attempt[0].finished_at).toBe(Date.parse(NOW));
    const rows = c.prepare("SELECT kind, scheduled, attempt_id FROM reviews").all() as any[];
    expect(rows).toHaveLength(5);
    expect(rows.every((r) => r.kind === 'quiz' && r.scheduled === 0 && r.attempt_id === 1)).toBe(true);
    expect(c.prepare('SELECT count(*) FROM schedules').pluck().get()).toBe(0);
    c.close();
  });
});

describe('times shown in the loop', () => {
  it('are local, right across the spring DST change', () => {
    const now = Date.parse('2026-03-28T20:00:00Z'); // 21:00 CET, Saturday
    const inADay = now + 86_400_000; // 2026-03-29T20:00Z = 22:00 CEST
    expect(formatWhen(inADay, now, 'Europe/Berlin')).toBe('in 1d (Sun 2026-03-29 22:00)');
    expect(formatWhen(now + 10 * 60_000, now, 'Europe/Berlin')).toBe('in 10m (21:10)');
    expect(formatWhen(now - 1, now, 'Europe/Berlin')).toBe('now');
  });
});
