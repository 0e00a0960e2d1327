// Crash safety, small version of scripts/stress.mjs (npm run test:stress runs ~200 kills): SIGKILL a review
// session and imports at seeded random points, then check the database (integrity, every acknowledged answer
// logged, imports all-or-nothing, next start works).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, Term, recallBin } from '../scripts/lib/term.mjs';

const BIN = recallBin();

describe('crash safety', () => {
  it('survives SIGKILL at random points of review sessions and imports (stress harness, small scale)', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts/stress.mjs')], {
      env: { ...process.env, RECALL_BIN: BIN, STRESS_SCALE: '0.06', STRESS_SEED: '7' },
      encoding: 'utf8',
      timeout: 170_000,
    });
    const out = `${r.stdout}\n${r.stderr}`;
    expect(out, out).toMatch(/all checks passed/);
    expect(r.status, out).toBe(0);
    const kills = Number(/kills survived: (\d+)/.exec(out)?.[1]);
    expect(kills).toBeGreaterThanOrEqual(10);
    expect(Number(/acknowledgedAnswers: (\d+)/.exec(out)?.[1])).toBeGreaterThan(0);
    expect(Number(/integrityChecks: (\d+)/.exec(out)?.[1])).toBeGreaterThanOrEqual(kills);
    // A new database's first large import (rollback journal, not WAL) is killed too.
    expect(Number(/fillingImportKills: (\d+)/.exec(out)?.[1])).toBeGreaterThanOrEqual(1);
  }, 180_000);

  describe('an answer acknowledged on screen is committed', () => {
    let dir: string;
    let term: Term;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'recall-crash-'));
      term = new Term('crash');
      const cards = Array.from({ length: 12 }, (_, i) => `--- basic c${i}\nQ: question ${i}\nA: answer ${i}\n`).join('\n');
      writeFileSync(join(dir, 'k.deck'), `deck: Killme\n\n${cards}`);
      const r = spawnSync(process.execPath, [BIN, 'import', join(dir, 'k.deck')], { env: { ...process.env, RECALL_DB: join(dir, 'r.db') }, encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
    });
    afterAll(() => {
      term?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    // The moment `Killme Good → 10m` is on screen, the process is killed: the answer must be in the log.
    it('kill the moment the acknowledgment appears, eight times', async () => {
      const db = join(dir, 'r.db');
      for (let i = 0; i < 8; i++) {
        const env = { RECALL_DB: db, RECALL_NOW: new Date(Date.parse('2026-05-01T08:00:00Z') + i * 86_400_000).toISOString() };
        const before = reviewCount(db);
        const w = term.run(`k${i}`, [process.execPath, BIN, 'review', '-d', 'Killme'], env);
        await term.waitFor(w, 'space/Enter shows the answer');
        term.keys(w, 'Space');
        await term.waitFor(w, 'space/Enter = Good');
        term.keys(w, '3');
        const shown = await term.waitFor(w, /Killme Good → \S+/, { what: 'the acknowledgment' });
        process.kill(term.pid(w), 'SIGKILL');
        // No exit status: the SIGKILL ended it, not the program itself.
        expect(await term.waitExit(w)).toBeNull();
        expect(shown).toMatch(/Good →/);
        const conn = new Database(db);
        expect(conn.pragma('integrity_check', { simple: true })).toBe('ok');
        conn.close();
        expect(reviewCount(db), `kill ${i}: the acknowledged answer is not in the review log`).toBe(before + 1);
      }
    }, 120_000);
  });
});

function reviewCount(db: string): number {
  const conn = new Database(db, { readonly: true });
  try {
    return conn.prepare("SELECT count(*) FROM reviews WHERE kind = 'review'").pluck().get() as number;
  } finally {
    conn.close();
  }
}
