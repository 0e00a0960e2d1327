#!/usr/bin/env node
// recall's entry (built into dist/recall.js). The CLI itself is one CommonJS bundle, dist/cli.js; this file runs it
// with V8's code cache, so a start does not compile what an earlier start compiled already. Compiling the bundle's
// code was about a quarter of every start (measured: `recall decks --json` 150 -> 117 ms of CPU time; bare node 74).
//
// The cache sits next to the bundle (dist/.cache/), one file per build and Node version; where dist/ cannot be written
// (a global install owned by root), in the user's cache folder. V8 checks a cache against its own version, its flags
// and the length of the source, and rejects a stale one (then the bundle is compiled as usual and the cache written
// again); the build's digest in the file name keeps another build of the same length from ever reading it. Each
// command adds what it compiled, once: the cache is written when this command was not in it yet (writeCacheFor says
// when). Written to a temporary file and renamed, so two recalls starting at once never read half a cache.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const Module = require('node:module');

const bundle = path.join(__dirname, 'cli.js');
// A digest of dist/cli.js, written in by scripts/build.mjs.
const BUNDLE_ID = '__RECALL_BUNDLE_ID__';
const CACHE_NAME = `cli-${BUNDLE_ID}-${process.version}`;

/**
 * The folders a cache may sit in, in the order they are tried: next to the bundle, then the user's own (asked for
 * only when the first has none: it loads node:os).
 */
function* cacheDirs() {
  yield path.join(__dirname, '.cache');
  const user = userCacheDir();
  if (user) yield user;
}

/** Where env-paths puts recall's cache (the app's own folders come from it; this file cannot load an ES module). */
function userCacheDir() {
  try {
    const home = require('node:os').homedir();
    const env = process.env;
    if (process.platform === 'darwin') return path.join(home, 'Library', 'Caches', 'recall', 'code');
    if (process.platform === 'win32') return path.join(env.LOCALAPPDATA || path.join(home, 'AppData', 'Local'), 'recall', 'Cache', 'code');
    return path.join(env.XDG_CACHE_HOME || path.join(home, '.cache'), 'recall', 'code');
  } catch {
    // no home folder
    return null;
  }
}

/** The cache and the commands it covers, from the first folder that has one. */
function readCache() {
  for (const dir of cacheDirs()) {
    const base = path.join(dir, CACHE_NAME);
    try {
      const data = fs.readFileSync(`${base}.bin`);
      return { data, covered: JSON.parse(fs.readFileSync(`${base}.json`, 'utf8')).commands };
    } catch {
      // none here
    }
  }
  return { data: undefined, covered: [] };
}

/** Writes the cache into the first folder that takes it; in the user's folder, the caches of other builds go. */
function storeCache(data, commands) {
  for (const dir of cacheDirs()) {
    const base = path.join(dir, CACHE_NAME);
    const tmp = `${base}.${process.pid}.tmp`;
    try {
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(tmp, data);
      fs.renameSync(tmp, `${base}.bin`);
      fs.writeFileSync(`${tmp}j`, JSON.stringify({ commands }));
      fs.renameSync(`${tmp}j`, `${base}.json`);
    } catch {
      try {
        fs.rmSync(tmp, { force: true });
      } catch {
        // nothing was written there
      }
      continue;
    }
    if (dir !== path.join(__dirname, '.cache')) pruneOtherBuilds(dir);
    return;
  }
  // Neither folder can be written: recall runs uncached.
}

/** Caches of other builds in the user's folder, untouched for a week: an upgrade leaves its predecessor's behind. */
function pruneOtherBuilds(dir) {
  const weekAgo = Date.now() - 7 * 24 * 3600 * 1000;
  try {
    for (const name of fs.readdirSync(dir)) {
      if (!name.startsWith('cli-') || name.startsWith(`${CACHE_NAME}.`)) continue;
      const file = path.join(dir, name);
      if (fs.statSync(file).mtimeMs < weekAgo) fs.rmSync(file, { force: true });
    }
  } catch {
    // best effort
  }
}

/**
 * Writes the code cache for this command once it has run. V8 drops the bytecode of functions that have not run
 * through several full collections ("flushing"), so a long run (a 100k-card import, an hour of review) ends with
 * the start-up code every command needs gone; a cache taken then made every later start compile it again
 * (`recall decks` 70 -> 96 ms after one large import, for good, since the cache is not written again). So the cache
 * is taken at exit only when no full collection ran; else from a copy taken a quarter second in, if the event loop
 * was free then and no full collection had run yet (a review waiting for its first key); else not at all, and the
 * command is left out of the list, so a later, shorter run of it writes the cache.
 */
function writeCacheFor(script, covered, command) {
  const v8 = require('node:v8');
  const fullCollections = () => {
    const seen = watch.stop().statistics.filter((s) => s.gcType === 'MarkSweepCompact').length;
    watch = new v8.GCProfiler();
    watch.start();
    return seen;
  };
  let watch = new v8.GCProfiler();
  watch.start();
  let early = null;
  setTimeout(() => {
    if (fullCollections() === 0) early = script.createCachedData();
    else early = false;
  }, 250).unref();
  process.once('exit', () => {
    const quiet = fullCollections() === 0 && early !== false;
    watch.stop();
    const data = quiet ? script.createCachedData() : early;
    if (data) storeCache(data, [...new Set([...covered, command])]);
  });
}

function runCached() {
  const source = fs.readFileSync(bundle, 'utf8');
  const { data: cachedData, covered } = readCache();
  const script = new vm.Script(Module.wrap(source), { filename: bundle, cachedData });
  const command = process.argv.slice(2).find((a) => !a.startsWith('-')) ?? '';
  const fresh = cachedData === undefined || script.cachedDataRejected;
  if (fresh || !covered.includes(command)) writeCacheFor(script, fresh ? [] : covered, command);
  const mod = new Module(bundle, module);
  mod.filename = bundle;
  mod.paths = Module._nodeModulePaths(__dirname);
  const req = (id) => mod.require(id);
  req.resolve = (request, options) => Module._resolveFilename(request, mod, false, options);
  req.cache = Module._cache;
  // import() does not work from code read back out of a cache (Node 20); the bundle borrows this module's.
  globalThis[Symbol.for('recall.import')] = (specifier) => import(specifier);
  script.runInThisContext()(mod.exports, req, mod, bundle, __dirname);
}

if (!process.env.RECALL_NO_CODE_CACHE) runCached();
else require(bundle);
