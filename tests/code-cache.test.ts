// The launcher's code cache (scripts/launcher.cjs): one file per command, written once, and only for a command the CLI
// ran. A run during which V8 made full collections must not write it: by then V8 may have dropped the bytecode of the
// start-up code every command needs, and a cache taken then would make every later start compile it again. Where
// dist/ cannot be written, the cache lives in the user's cache folder. The built launcher runs from a copy of dist/, so the project's own cache is left alone; preloaded scripts
// force the full collections.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
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

/** The launcher's file: "RCC1", the length of the JSON header, the header (its command, complete), V8's data. */
function readCacheFile(file: string): { commands: string[]; complete: boolean; data: Buffer } | null {
  if (!existsSync(file)) return null;
  const b = readFileSync(file);
  expect(b.readUInt32LE(0)).toBe(0x31434352);
  const end = 8 + b.readUInt32LE(4);
  const head = JSON.parse(b.toString('utf8', 8, end));
  return { commands: head.commands, complete: head.complete, data: b.subarray(end) };
}

describe('code cache', () => {
  const tmp = tempDir('recall-cache-');
  const dist = join(tmp.dir, 'dist');
  // The user's cache folder is the test's own: nothing from this machine's ~/.cache is read, nothing lands there.
  const xdg = join(tmp.dir, 'xdg');
  const env = { ...process.env, RECALL_DB: join(tmp.dir, 'c.db'), NO_COLOR: '1', RECALL_NO_CODE_CACHE: undefined, XDG_CACHE_HOME: xdg };
  // The launcher names its cache after the build (a digest of dist/cli.js the build writes into it).
  const bundleId = /const BUNDLE_ID = '([0-9a-f]{16})'/.exec(readFileSync(join(ROOT, 'dist/recall.js'), 'utf8'))?.[1];
  const fileName = (command: string) => `cli-${bundleId}-${process.version}-${command}.cache`;
  const ownFile = (command: string) => join(dist, '.cache', fileName(command));
  const userDir = join(xdg, 'recall', 'code');
  const userFile = join(userDir, fileName('decks'));
  const preload = (name: string) => join(tmp.dir, name);
  const run = (args: string[], preloaded?: string, status = 0) => {
    const r = spawnSync('node', [...(preloaded ? ['-r', preloaded] : []), join(dist, 'recall.js'), ...args], { env, encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(status);
    if (status === 0) expect(r.stderr).toBe('');
  };

  beforeAll(() => {
    ensureBuilt();
    cpSync(join(ROOT, 'dist'), dist, { recursive: true, filter: (src) => !src.includes('.cache') });
    // What the bundle finds next to dist/: the native addon and the other packages, the built-in decks.
    symlinkSync(join(ROOT, 'node_modules'), join(tmp.dir, 'node_modules'));
    symlinkSync(join(ROOT, 'decks'), join(tmp.dir, 'decks'));
    // At exit, before the launcher's own exit listener (listeners run in the order they were added).
    writeFileSync(preload('churn-at-exit.cjs'), `process.on('exit', () => {${churn(8)}});`);
    // Soon after the start, before the launcher's quarter second; the process then stays until 1 s.
    writeFileSync(preload('churn-early.cjs'), `setTimeout(() => {${churn(8)}}, 50); setTimeout(() => {}, 1000);`);
    // The command is done long before; the process stays 1 s (past the launcher's quarter second), then churns.
    writeFileSync(preload('churn-later.cjs'), `setTimeout(() => {${churn(8)}}, 1000);`);
  });
  afterAll(() => tmp.cleanup());

  it('is named after the build', () => {
    expect(bundleId).toMatch(/^[0-9a-f]{16}$/);
  });

  it('is written next to the bundle by a first run that made no full collection, for that command alone', () => {
    run(['decks', '--json']);
    const c = readCacheFile(ownFile('decks'));
    expect(c?.commands).toEqual(['decks']);
    expect(c?.complete).toBe(true);
    expect(c?.data.length).toBeGreaterThan(100_000);
    expect(readdirSync(join(dist, '.cache'))).toEqual([fileName('decks')]);
    expect(existsSync(xdg)).toBe(false);
  });

  it('is not written by a run whose full collections came before it ended (seen at exit)', () => {
    run(['stats', '--json'], preload('churn-at-exit.cjs'));
    expect(existsSync(ownFile('stats'))).toBe(false);
  });

  it('is not written by a run whose full collections came before the quarter second (seen by the timer)', () => {
    run(['stats', '--json'], preload('churn-early.cjs'));
    expect(existsSync(ownFile('stats'))).toBe(false);
  });

  it('is taken from the copy of a quarter second in when full collections came later', () => {
    run(['stats', '--json'], preload('churn-later.cjs'));
    const early = readCacheFile(ownFile('stats'))!;
    expect(early.commands).toEqual(['stats']);
    // The copy holds what `stats` compiled, as a run without the collections writes it; one taken at exit had lost
    // about half of it.
    rmSync(ownFile('stats'));
    run(['stats', '--json']);
    const plain = readCacheFile(ownFile('stats'))!;
    expect(early.data.length).toBeGreaterThan(plain.data.length * 0.9);
    expect(readCacheFile(ownFile('decks'))?.commands).toEqual(['decks']);
  });

  it('is read again and not rewritten by its command, wherever the command line puts it', () => {
    const written = statSync(ownFile('stats')).mtimeMs;
    run(['stats', '--json']);
    run(['--db', join(tmp.dir, 'c.db'), 'stats', '--json']);
    expect(statSync(ownFile('stats')).mtimeMs).toBe(written);
  });

  it('is never written for a word that is not a command the CLI ran', () => {
    const before = readdirSync(join(dist, '.cache')).sort();
    run(['stast', '--json'], undefined, 2);
    run(['--db', join(tmp.dir, 'c.db'), '--help']);
    expect(readdirSync(join(dist, '.cache')).sort()).toEqual(before);
    // A subcommand's run is its command's: `deck list` writes the cache of `deck`.
    run(['deck', 'list', '--json']);
    expect(readCacheFile(ownFile('deck'))?.commands).toEqual(['deck']);
  });

  it('from a run that did not exit 0, is marked incomplete and replaced by the next run that does', () => {
    // Refused at its first check: only the part of the command before the error was compiled.
    const missing = join(tmp.dir, 'no-such-folder', 'x.db');
    run(['search', '--db', missing, 'is:due', '--json'], undefined, 2);
    const refused = readCacheFile(ownFile('search'))!;
    expect(refused.complete).toBe(false);
    // Another failing run reads it and leaves it.
    const written = statSync(ownFile('search')).mtimeMs;
    run(['search', '--db', missing, 'is:due', '--json'], undefined, 2);
    expect(statSync(ownFile('search')).mtimeMs).toBe(written);
    // A run that does its work replaces it with all it compiled, and the next one leaves that.
    run(['search', 'is:due', '--json']);
    const done = readCacheFile(ownFile('search'))!;
    expect(done.complete).toBe(true);
    expect(done.data.length).toBeGreaterThan(refused.data.length);
    const replaced = statSync(ownFile('search')).mtimeMs;
    run(['search', 'is:due', '--json']);
    expect(statSync(ownFile('search')).mtimeMs).toBe(replaced);
  });

  it('counts as none, and is written again, when the file is not one of the launcher’s', () => {
    writeFileSync(ownFile('decks'), Buffer.alloc(300_000));
    // What a run killed while it wrote leaves, eight days ago: the next write removes it.
    const stray = `${ownFile('decks')}.4242.tmp`;
    writeFileSync(stray, 'x');
    utimesSync(stray, (Date.now() - 8 * 24 * 3600 * 1000) / 1000, (Date.now() - 8 * 24 * 3600 * 1000) / 1000);
    run(['decks', '--json']);
    expect(readCacheFile(ownFile('decks'))?.commands).toEqual(['decks']);
    expect(existsSync(stray)).toBe(false);
    writeFileSync(ownFile('decks'), Buffer.concat([readFileSync(ownFile('decks')).subarray(0, 8), Buffer.from('{"commands":null}')]));
    run(['decks', '--json']);
    expect(readCacheFile(ownFile('decks'))?.commands).toEqual(['decks']);
    // Another command's file under this command's name (renamed by hand) is not read as this command's.
    const stats = readFileSync(ownFile('stats'));
    writeFileSync(ownFile('decks'), stats);
    run(['decks', '--json']);
    expect(readCacheFile(ownFile('decks'))?.commands).toEqual(['decks']);
  });

  it("goes to the user's cache folder when the build's own folder cannot be made, and old builds' caches go", () => {
    // A file where dist/.cache would be: no folder can be made there, even by root (the tests' user in CI).
    rmSync(join(dist, '.cache'), { recursive: true, force: true });
    writeFileSync(join(dist, '.cache'), '');
    // Another build's cache and a stray temporary file, untouched for eight days, and a cache used yesterday.
    mkdirSync(userDir, { recursive: true });
    const days = (n: number) => (Date.now() - n * 24 * 3600 * 1000) / 1000;
    for (const [name, age] of [['cli-0000000000000000-v1.0.0.cache', 8], [`${fileName('decks')}.123.tmp`, 8], ['cli-1111111111111111-v1.0.0.cache', 1]] as const) {
      writeFileSync(join(userDir, name), 'x');
      utimesSync(join(userDir, name), days(age), days(age));
    }

    run(['decks', '--json']);
    expect(readCacheFile(userFile)?.commands).toEqual(['decks']);
    expect(readdirSync(userDir).sort()).toEqual(['cli-1111111111111111-v1.0.0.cache', fileName('decks')].sort());

    // Read back from there: a command it covers does not write it again.
    const written = statSync(userFile).mtimeMs;
    run(['decks', '--json']);
    expect(statSync(userFile).mtimeMs).toBe(written);
  });
});
