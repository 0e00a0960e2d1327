// Two review sessions on one database at once, in two real terminals (tmux windows), with an import writing in a
// third: no "database is locked" reaches the user, no review is lost or doubled, and a card answered in one
// session is not shown again in the other.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Term, recallBin } from '../scripts/lib/term.mjs';

const BIN = recallBin();
const KANJI = 'tests/fixtures/anki-kanjiplot/collection.anki2';

let work: string;
let term: Term;
let env: Record<string, string>;
let db: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'recall-conc-'));
  db = join(work, 'r.db');
  env = { RECALL_DB: db, RECALL_NOW: '2026-06-01T09:00:00Z' };
  const deck = join(work, 'c.deck');
  writeFileSync(deck, `deck: Conc\n\n${Array.from({ length: 40 }, (_, i) => `--- basic c${String(i).padStart(2, '0')}\nQ: question ${i} here\nA: answer ${i}\n`).join('\n')}`);
  const r = spawnSync(process.execPath, [BIN, 'import', deck], { env: { ...process.env, ...env }, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  spawnSync(process.execPath, [BIN, 'config', 'set', 'new-per-day', '100'], { env: { ...process.env, ...env } });
  term = new Term('conc', { cols: 100, rows: 30 });
});
afterAll(() => {
  term?.close();
  rmSync(work, { recursive: true, force: true });
});

/** The card the screen asks about now (the last "question N" on it), or null. */
function current(screen: string): number | null {
  const lines = screen.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    if (/shows the answer|= Good/.test(lines[i]!)) {
      for (let j = i; j >= 0; j--) {
        const m = /^question (\d+) here/.exec(lines[j]!);
        if (m) return Number(m[1]);
      }
    }
  }
  return null;
}

const asking = (s: string) => /space\/Enter shows the answer[^\n]*\n*\s*$/.test(s.trimEnd() + '\n');

describe('two sessions on one database', () => {
  it('never show an answered card, never lose or double an answer, never say "locked"', async () => {
    const A = term.run('A', [process.execPath, BIN, 'review', '-d', 'Conc'], env);
    const B = term.run('B', [process.execPath, BIN, 'review', '-d', 'Conc'], env);
    let sA = await term.waitFor(A, (s) => current(s) !== null && asking(s), { what: 'A shows a card' });
    const sB = await term.waitFor(B, (s) => current(s) !== null && asking(s), { what: 'B shows a card' });
    expect(current(sA)).toBe(0);
    expect(current(sB)).toBe(0);

    // A answers five cards while B sits on the first one.
    const answeredByA: number[] = [];
    for (let i = 0; i < 5; i++) {
      const card = current(sA)!;
      term.keys(A, 'Space');
      await term.waitFor(A, '= Good');
      term.keys(A, '4');
      answeredByA.push(card);
      sA = await term.waitFor(A, (s) => asking(s) && current(s) !== card, { what: `A moves past card ${card}` });
    }
    expect(answeredByA).toEqual([0, 1, 2, 3, 4]);

    // B answers the card it was showing: refused, and the cards A answered meanwhile are skipped, not shown.
    term.keys(B, 'Space');
    await term.waitFor(B, '= Good');
    term.keys(B, '4');
    const afterRefusal = await term.waitFor(B, (s) => /answered in another session; skipped/.test(s) && asking(s), { what: 'B skips the answered card' });
    expect(current(afterRefusal)).toBe(5);

    // Now both answer as fast as keys go, while an import writes a thousand cards and six thousand reviews.
    // (Outside the terminal: the writer is what matters here, not its progress bar.)
    const imp = spawn(process.execPath, [BIN, 'import', KANJI], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let impOut = '';
    imp.stdout.on('data', (d) => (impOut += d));
    imp.stderr.on('data', (d) => (impOut += d));
    const impDone = new Promise<number | null>((resolve) => imp.on('exit', (code) => resolve(code)));
    for (let round = 0; round < 12; round++) {
      const a = term.screen(A);
      const b = term.screen(B);
      term.keys(A, 'Space');
      term.keys(B, 'Space');
      term.keys(A, '4');
      term.keys(B, '4');
      await term.waitFor(A, (s) => s !== a && asking(s), { what: `A after round ${round}`, timeout: 30_000 });
      await term.waitFor(B, (s) => s !== b && asking(s), { what: `B after round ${round}`, timeout: 30_000 });
    }
    expect(await impDone, impOut).toBe(0);
    term.keys(A, 'q');
    term.keys(B, 'q');
    expect(await term.waitExit(A)).toBe(0);
    expect(await term.waitExit(B)).toBe(0);

    const hA = term.history(A);
    const hB = term.history(B);
    for (const [name, h] of [['A', hA], ['B', hB], ['import', impOut]] as const) {
      expect(h, `${name} showed a locking error`).not.toMatch(/locked|SQLITE_BUSY|busy|unexpected error/i);
    }
    const acks = (h: string) => h.split('\n').filter((l) => /^Conc Easy → /.test(l.trim())).length;
    const refusals = (h: string) => h.split('\n').filter((l) => /answered in another session; skipped/.test(l)).length;
    const summary = (h: string) => Number(/cards reviewed\s+(\d+)/.exec(h)?.[1]);
    const conn = new Database(db, { readonly: true });
    const rows = conn.prepare("SELECT c.uid, count(*) AS n FROM reviews r JOIN cards c ON c.id = r.card_id JOIN decks d ON d.id = c.deck_id WHERE d.name = 'Conc' GROUP BY c.id").all() as { uid: string; n: number }[];
    const total = rows.reduce((n, r) => n + r.n, 0);
    conn.close();
    // Not doubled: every card answered once (Easy sends it days away, so it cannot come back today).
    expect(rows.filter((r) => r.n !== 1)).toEqual([]);
    // Not lost: an answer is acknowledged only once committed (a refused one is not), and every acknowledged answer
    // is in the log; each session's summary agrees.
    expect(total).toBe(acks(hA) + acks(hB));
    expect(summary(hA) + summary(hB)).toBe(total);
    expect(refusals(hB)).toBeGreaterThanOrEqual(1);
    expect(total).toBeGreaterThanOrEqual(5 + 12);
  }, 150_000);
});
