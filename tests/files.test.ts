// Files: the database folder is private (0700); exports never overwrite without --force, refuse directories, and
// are atomic: killed at any moment, the target holds the old content or the complete new one, never a part.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recallBin } from '../scripts/lib/term.mjs';

const BIN = recallBin();
const KANJI = 'tests/fixtures/anki-kanjiplot/collection.anki2';

function recall(args: string[], env: Record<string, string>) {
  const r = spawnSync(process.execPath, [BIN, ...args], { env: { ...process.env, NO_COLOR: '1', ...env }, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

let work: string;
let env: Record<string, string>;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'recall-files-'));
  env = { RECALL_DB: join(work, 'data', 'r.db'), RECALL_NOW: '2026-06-01T09:00:00Z' };
  const r = recall(['import', KANJI], env);
  expect(r.code, r.err).toBe(0);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the database folder', () => {
  it('is created with mode 0700, every level of it', () => {
    const base = join(work, 'fresh');
    const db = join(base, 'a', 'b', 'recall.db');
    const r = recall(['decks'], { RECALL_DB: db });
    expect(r.code, r.err).toBe(0);
    for (const dir of [join(base, 'a'), join(base, 'a', 'b')]) {
      expect((statSync(dir).mode & 0o777).toString(8), dir).toBe('700');
    }
    expect(existsSync(db)).toBe(true);
  });

  it('a directory given as the database is refused with a message', () => {
    const dir = join(work, 'a-dir.db');
    mkdirSync(dir);
    const r = recall(['decks'], { RECALL_DB: dir });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/is a directory/);
  });
});

describe('exports', () => {
  it('never overwrite an existing file without --force', () => {
    const out = join(work, 'reviews.csv');
    writeFileSync(out, 'precious\n');
    const r = recall(['export', 'reviews', '-o', out], env);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/already exists/);
    expect(r.err).toMatch(/--force/);
    expect(readFileSync(out, 'utf8')).toBe('precious\n');
    const forced = recall(['export', 'reviews', '-o', out, '--force'], env);
    expect(forced.code, forced.err).toBe(0);
    expect(readFileSync(out, 'utf8')).toMatch(/^[a-z_]+,/);
    expect(readdirSync(work).filter((f) => f.includes('.tmp'))).toEqual([]);
  });

  it('refuse a directory as the output of stats and reviews, and a missing folder', () => {
    const dir = join(work, 'outdir');
    mkdirSync(dir);
    for (const args of [['export', 'reviews', '-o', dir], ['export', 'stats', '-o', dir], ['export', 'reviews', '-o', join(work, 'no', 'such', 'dir', 'x.csv')]]) {
      const r = recall(args, env);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.err).toMatch(/^recall: /);
      expect(r.err).not.toMatch(/^\s+at /m);
    }
    expect(readdirSync(dir)).toEqual([]);
  });

  it('are atomic: killed at random moments, the target is the old file or the whole new one', async () => {
    const refFile = join(work, 'reference.json');
    expect(recall(['export', 'reviews', '-f', 'json', '-o', refFile], env).code).toBe(0);
    const reference = readFileSync(refFile, 'utf8');
    expect(reference.length).toBeGreaterThan(100_000);
    const out = join(work, 'atomic.json');
    let sawOld = 0;
    let sawNew = 0;
    let seed = 12345;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    for (let i = 0; i < 16; i++) {
      writeFileSync(out, 'OLD CONTENT\n');
      const child = spawn(process.execPath, [BIN, 'export', 'reviews', '-f', 'json', '-o', out, '--force'], { env: { ...process.env, ...env }, stdio: 'ignore' });
      // Kill points spread evenly from the start to well past the end of a run (~0.1-0.5 s here, less as start-up
      // gets faster), jittered, so some land before the file is written and some while it is, on any machine.
      const timer = setTimeout(() => child.kill('SIGKILL'), Math.round((i / 15) * 800 * (0.8 + rand() * 0.4)));
      await new Promise<void>((resolve) => child.on('exit', () => resolve()));
      clearTimeout(timer);
      const content = readFileSync(out, 'utf8');
      if (content === 'OLD CONTENT\n') sawOld++;
      else {
        expect(content.length, `kill ${i}: a partial file`).toBe(reference.length);
        expect(content === reference, `kill ${i}: the file differs from a complete export`).toBe(true);
        sawNew++;
      }
    }
    expect(sawOld + sawNew).toBe(16);
    // Some kills landed before the file was complete, or the test proved nothing.
    expect(sawOld).toBeGreaterThan(0);
  }, 60_000);
});
