#!/usr/bin/env node
// recall's entry (built into dist/recall.js). The CLI itself is one CommonJS bundle, dist/cli.js; this file runs it
// with V8's code cache, so a start does not compile what an earlier start compiled already. Compiling the bundle's
// code was about a quarter of every start (measured: `recall decks --json` 150 -> 117 ms of CPU time; bare node 74).
//
// The cache sits next to the bundle, one file per Node version (V8 checks it against the exact source and flags and
// rejects a stale one: then the bundle is compiled as usual and the cache written again). Each command adds what it
// compiled: the cache is written at exit when this command was not in it yet. Written to a temporary file and
// renamed, so two recalls starting at once never read half a cache. Where dist/ is read-only, recall runs uncached.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const Module = require('node:module');

const bundle = path.join(__dirname, 'cli.js');

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
  if (fresh || !covered.includes(command)) {
    process.once('exit', () => {
      try {
        fs.mkdirSync(path.dirname(base), { recursive: true });
        const tmp = `${base}.${process.pid}.tmp`;
        fs.writeFileSync(tmp, script.createCachedData());
        fs.renameSync(tmp, `${base}.bin`);
        fs.writeFileSync(`${tmp}j`, JSON.stringify({ commands: [...new Set([...(fresh ? [] : covered), command])] }));
        fs.renameSync(`${tmp}j`, `${base}.json`);
      } catch {
        // a read-only install: recall runs uncached
      }
    });
  }
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
