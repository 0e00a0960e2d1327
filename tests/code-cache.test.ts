// The launcher's code cache (scripts/launcher.cjs): a run during which V8 made full collections must not replace the
// cache, since by then V8 may have dropped the bytecode of the start-up code every command needs, and a cache taken
// then would make every later start compile it again. The built launcher runs from a copy of dist/, so the
// project's own cache is left alone; preloaded scripts force the full collections.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, ROOT, tempDir } from './helpers/cli.js';

// Allocates until V8 has made `n` full (mark-compact) collections, counted by V8 itself: six were enough to drop the
// start-up code's bytecode when this test was written (the cache shrank from ~430 to ~234 KB).
const churn = (n: number) => `
  const v8 = require('node:v8');
  const p = new v8.GCProfiler();
  p.start();
  let full = 0;
  for (let round = 0; full < ${n} && round < 2000; round++) {
    let keep = [];
    for (let i = 0; i < 60; i++) keep.push(new Array(1e5).fill(round));
    keep = null;
    if (round % 5 === 4) {
      full += p.stop().statistics.filter((s) => s.gcType === 'MarkSweepCompact').length;
      p.start();
    }
  }
  p.stop();
  if (full < ${n}) throw new Error('churn: only ' + full + ' full collections');
`;

describe('code cache', () => {
  const tmp = tempDir('recall-cache-');
  const dist = join(tmp.dir, 'dist');
  const env = { ...process.env, RECALL_DB: join(tmp.dir, 'c.db'), NO_COLOR: '1', RECALL_NO_CODE_CACHE: undefined };
  // The launcher names its cache after the build (a digest of dist/cli.js the build writes into it).
  const bundleId = /const BUNDLE_ID = '([0-9a-f]{16})'/.exec(readFileSync(join(ROOT, 'dist/recall.js'), 'utf8'))?.[1];
  const cacheBase = join(dist, '.cache', `cli-${bundleId}-${process.version}`);
  const run = (args: string[], preload?: string, extraEnv: Record<string, string> = {}) => {
    const r = spawnSync('node', [...(preload ? ['-r', preload] : []), join(dist, 'recall.js'), ...args], { env: { ...env, ...extraEnv }, encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
  };
  const cache = (base = cacheBase) => ({
    bytes: existsSync(`${base}.bin`) ? readFileSync(`${base}.bin`) : null,
    commands: existsSync(`${base}.json`) ? (JSON.parse(readFileSync(`${base}.json`, 'utf8')).commands as string[]) : [],
  });

  beforeAll(() => {
    ensureBuilt();
    cpSync(join(ROOT, 'dist'), dist, { recursive: true, filter: (src) => !src.includes('.cache') });
    // What the bundle finds next to dist/: the native addon and the other packages, the built-in decks.
    symlinkSync(join(ROOT, 'node_modules'), join(tmp.dir, 'node_modules'));
    symlinkSync(join(ROOT, 'decks'), join(tmp.dir, 'decks'));
    // At exit, before the launcher's own exit listener (listeners run in the order they were added).
    writeFileSync(join(tmp.dir, 'churn-at-exit.cjs'), `process.on('exit', () => {${churn(8)}});`);
    // The command is done long before; the process stays 1 s (past the launcher's quarter second), then churns.
    writeFileSync(join(tmp.dir, 'churn-later.cjs'), `setTimeout(() => {${churn(8)}}, 1000);`);
  });
  afterAll(() => tmp.cleanup());

  it('is named after the build', () => {
    expect(bundleId).toMatch(/^[0-9a-f]{16}$/);
  });

  it('is written by a first run that made no full collection', () => {
    run(['decks', '--json']);
    const c = cache();
    expect(c.commands).toEqual(['decks']);
    expect(c.bytes?.length).toBeGreaterThan(100_000);
  });

  it('is not replaced by a run that made full collections before a quarter second had passed', () => {
    const before = cache();
    run(['stats', '--json'], join(tmp.dir, 'churn-at-exit.cjs'));
    const after = cache();
    expect(after.commands).toEqual(['decks']);
    expect(after.bytes?.equals(before.bytes!)).toBe(true);
  });

  it('is taken from the copy of a quarter second in when full collections came later', () => {
    const before = cache();
    run(['stats', '--json'], join(tmp.dir, 'churn-later.cjs'));
    const after = cache();
    expect(after.commands).toEqual(['decks', 'stats']);
    // The copy holds what `decks` had cached and what `stats` compiled; one taken at exit had lost most of both.
    expect(after.bytes!.length).toBeGreaterThan(before.bytes!.length);
  });

  it("goes to the user's cache folder when the build's own folder cannot be written, and old builds' caches go", () => {
    // A file where dist/.cache would be: no folder can be made there, even by root (the tests' user in CI).
    rmSync(join(dist, '.cache'), { recursive: true, force: true });
    writeFileSync(join(dist, '.cache'), '');
    const xdg = join(tmp.dir, 'xdg');
    const userDir = join(xdg, 'recall', 'code');
    const userBase = join(userDir, `cli-${bundleId}-${process.version}`);
    // Another build's cache, untouched for eight days, and one used yesterday.
    cpSync(join(ROOT, 'package.json'), join(userDir, 'cli-0000000000000000-v1.0.0.bin'));
    cpSync(join(ROOT, 'package.json'), join(userDir, 'cli-1111111111111111-v1.0.0.bin'));
    const days = (n: number) => (Date.now() - n * 24 * 3600 * 1000) / 1000;
    utimesSync(join(userDir, 'cli-0000000000000000-v1.0.0.bin'), days(8), days(8));
    utimesSync(join(userDir, 'cli-1111111111111111-v1.0.0.bin'), days(1), days(1));

    run(['decks', '--json'], undefined, { XDG_CACHE_HOME: xdg });
    const first = cache(userBase);
    expect(first.commands).toEqual(['decks']);
    expect(first.bytes?.length).toBeGreaterThan(100_000);
    expect(readdirSync(userDir).filter((n) => !n.startsWith(`cli-${bundleId}-`))).toEqual(['cli-1111111111111111-v1.0.0.bin']);

    // Read back from there: a command it covers does not write it again.
    const written = statSync(`${userBase}.bin`).mtimeMs;
    run(['decks', '--json'], undefined, { XDG_CACHE_HOME: xdg });
    expect(statSync(`${userBase}.bin`).mtimeMs).toBe(written);
    expect(cache(userBase).commands).toEqual(['decks']);
  });
});
