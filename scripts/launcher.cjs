#!/usr/bin/env node
// recall's entry (built into dist/recall.js). The CLI itself is one CommonJS bundle, dist/cli.js; this file runs it
// with V8's code cache, so a start does not compile what an earlier start compiled already. Compiling the bundle's
// code was about a quarter of every start (measured: `recall decks --json` 150 -> 117 ms of CPU time; bare node 74).
//
// The cache sits next to the bundle, one file per Node version (V8 checks it against the exact source and flags and
// rejects a stale one: then the bundle is compiled as usual and the cache written again). Each command adds what it
// compiled, once: the cache is written when this command was not in it yet (writeCacheFor says when). Written to a
// temporary file and renamed, so two recalls starting at once never read half a cache. Where dist/ is read-only,
// recall runs uncached.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const Module = require('node:module');

const bundle = path.join(__dirname, 'cli.js');

/**
 * Writes the code cache for this command once it has run. V8 drops the bytecode of functions that have not run
 * through several full collections ("flushing"), so a long run (a 100k-card import, an hour of review) ends with
 * the start-up code every command needs gone; a cache taken then made every later start compile it again
 * (`recall decks` 70 -> 96 ms after one large import, for good, since the cache is not written again). So the cache
 * is taken at exit only when no full collection ran; else from a copy taken a quarter second in, if the event loop
 * was free then and no full collection had run yet (a review waiting for its first key); else not at all, and the
 * command is left out of the list, so a later, shorter run of it writes the cache.
 */
function writeCacheFor(script, base, covered, command) {
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
    if (!data) return;
    try {
      fs.mkdirSync(path.dirname(base), { recursive: true });
      const tmp = `${base}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, data);
      fs.renameSync(tmp, `${base}.bin`);
      fs.writeFileSync(`${tmp}j`, JSON.stringify({ commands: [...new Set([...covered, command])] }));
      fs.renameSync(`${tmp}j`, `${base}.json`);
    } catch {
      // a read-only install: recall runs uncached
    }
  });
}

function runCached() {
  const source = fs.readFileSync(bundle, 'utf8');
  const base = path.join(__dirname, '.cache', `cli-${process.version}`);
  let cachedData;
  let covered = [];
  try {
    cachedData = fs.readFileSync(`${base}.bin`);
    covered = JSON.parse(fs.readFileSync(`${base}.json`, 'utf8')).commands;
  } catch {
    cachedData = undefined;
  }
  const script = new vm.Script(Module.wrap(source), { filename: bundle, cachedData });
  const command = process.argv.slice(2).find((a) => !a.startsWith('-')) ?? '';
  const fresh = cachedData === undefined || script.cachedDataRejected;
  if (fresh || !covered.includes(command)) writeCacheFor(script, base, fresh ? [] : covered, command);
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
