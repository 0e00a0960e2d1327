// The built CLI run as a process: exit codes, --json shapes, usage errors.
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, runCli, runJson, tempDir } from './helpers/cli.js';

const NOW = '2026-03-10T09:00:00Z';
let t: ReturnType<typeof tempDir>;
let db: string;
const env = () => ({ RECALL_DB: db, RECALL_NOW: NOW, TZ: 'UTC' });

beforeAll(() => {
  ensureBuilt();
  t = tempDir();
  db = join(t.dir, 'data', 'recall.db');
});
afterAll(() => t.cleanup());

describe('recall CLI', () => {
  it('--help lists every command and the environment variables', () => {
    const r = runCli(['--help']);
    expect(r.code).toBe(0);
    for (const c of ['review', 'decks', 'check', 'quiz', 'import', 'stats', 'export', 'optimize', 'config', 'doctor', 'RECALL_NOW', 'RECALL_DB']) expect(r.stdout).toContain(c);
  });

  it('--version prints the package version', () => {
    const r = runCli(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('an unknown command or option is a usage error (exit 2)', () => {
    expect(runCli(['frobnicate'], env()).code).toBe(2);
    expect(runCli(['decks', '--bogus'], env()).code).toBe(2);
  });

  it('decks --json seeds the built-in decks and prints their counts', () => {
    const decks = runJson<any[]>(['decks'], env());
    expect(decks.length).toBeGreaterThanOrEqual(9);
    for (const d of decks) {
      expect(Object.keys(d).sort()).toEqual(['due', 'learning', 'name', 'new', 'suspended', 'total']);
      expect(d.total).toBeGreaterThan(0);
      expect(d.new).toBe(d.total);
    }
  });

  it('a bad RECALL_NOW is a usage error with a hint', () => {
    const r = runCli(['decks'], { ...env(), RECALL_NOW: 'yesterday' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('ISO-8601');
  });

  it('config set validates and names the valid range', () => {
    const bad = runCli(['config', 'set', 'retention', '1.5'], env());
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('0.70 to 0.99');
    expect(runCli(['config', 'set', 'timezone', 'Mars/Olympus'], env()).code).toBe(2);
    expect(runJson(['config', 'set', 'retention', '0.85'], env())).toMatchObject({ key: 'desiredRetention', value: 0.85 });
    expect(runJson(['config', 'get', 'desiredRetention'], env())).toEqual({ desiredRetention: 0.85 });
    expect(runJson(['config', 'set', 'learning-steps', '2m 15m 1h'], env())).toMatchObject({ value: ['2m', '15m', '1h'] });
  });

  it('check reports located errors and exits 1; the built-in decks are clean', () => {
    const file = join(t.dir, 'bad.deck');
    writeFileSync(file, 'deck: Bad\n\n--- choice c1\nQ: Pick one\n- [x] a\n- [x] b\n\n--- basic c1\nQ:\nA: a\nfrob: x\n');
    const r = runCli(['check', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/bad\.deck:6: choice card with 2 correct options/);
    expect(r.stderr).toMatch(/bad\.deck:9: empty value for Q:/);
    expect(r.stderr).toMatch(/bad\.deck:8: .*[Dd]uplicate id/);
    expect(r.stderr).toMatch(/bad\.deck:11: .*[Uu]nknown key/);
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
    const ok = runCli(['check', 'decks/']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/9 files, \d+ cards, 0 problems/);
  });

  it('doctor --json on a fresh database is healthy', () => {
    expect(runJson(['doctor'], env())).toMatchObject({ ok: true, integrity: ['ok'], scheduleMismatches: [] });
  });

  it('creates the database directory with user-only permissions', async () => {
    const { statSync } = await import('node:fs');
    expect(statSync(join(t.dir, 'data')).mode & 0o777).toBe(0o700);
  });
});
