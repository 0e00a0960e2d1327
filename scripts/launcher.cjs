#!/usr/bin/env node
// recall's entry (built into dist/recall.js). The CLI itself is one CommonJS bundle, dist/cli.js; this file runs it
// with V8's code cache, so a start does not compile what an earlier start compiled already. Compiling the bundle's
// code was about a quarter of every start (measured: `recall decks --json` 150 -> 117 ms of CPU time; bare node 74).
//
// The cache is one file per build, Node version and command, in dist/.cache/ when this user can write there, else in
// the user's cache folder (a global install owned by root): one folder per user, read and written alike. One file per
// command, because a start pays to read every function its file holds: one file for all commands reached ~1 MB once
// import, export, sync and optimize had run, and `recall stats` then started ~2 ms later than with its own (~460 KB).
// V8 checks a cache against its own version, its flags and the length of the source, and rejects a stale one (then
// the bundle is compiled as usual and the cache written again); the build's digest in the file name keeps another
// build of the same length from ever reading it. The file names its command inside as well as in its name. A command
// writes its file (writeCacheFor says when) only after the CLI has confirmed that command ran, so a typo or a deck
// name never becomes a file. A run that did not exit 0 (refused at its first check, failed, or cancelled) writes
// its file marked incomplete, and the next run that exits 0 writes it again: a run refused early had compiled only
// part of the command, but a review ended with Ctrl-C (130) is all most users ever give it. A cache is written to a
// temporary file, synced and renamed, so no start ever reads half of one.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const Module = require('node:module');

const bundle = path.join(__dirname, 'cli.js');
// A digest of dist/cli.js, written in by scripts/build.mjs.
const BUNDLE_ID = '__RECALL_BUNDLE_ID__';
/**
 * "RCC1", the length of the JSON header (uint32 LE), the header ({commands: [the file's one command], complete:
 * whether the run that wrote it exited 0}), then V8's data.
 */
const MAGIC = 0x31434352;
const OWN_DIR = path.join(__dirname, '.cache');

/** The folder this user's cache lives in: dist/.cache if it is (or can be made) a folder this user may write. */
function cacheDir() {
  try {
    if (!fs.statSync(OWN_DIR).isDirectory()) return userCacheDir();
    fs.accessSync(OWN_DIR, fs.constants.W_OK);
    return OWN_DIR;
  } catch (e) {
    if (e.code !== 'ENOENT') return userCacheDir();
  }
  try {
    fs.accessSync(__dirname, fs.constants.W_OK);
    return OWN_DIR;
  } catch {
    return userCacheDir();
  }
}

/**
 * Where env-paths puts recall's cache (the app's own folders come from it; this file cannot load an ES module), plus
 * code/; null without an absolute home (an empty HOME would put it under the current folder).
 */
function userCacheDir() {
  try {
    const home = require('node:os').homedir();
    const env = process.env;
    if (!path.isAbsolute(home)) return null;
    if (process.platform === 'darwin') return path.join(home, 'Library', 'Caches', 'recall', 'code');
    if (process.platform === 'win32') {
      const local = env.LOCALAPPDATA && path.isAbsolute(env.LOCALAPPDATA) ? env.LOCALAPPDATA : path.join(home, 'AppData', 'Local');
      return path.join(local, 'recall', 'Cache', 'code');
    }
    // The XDG spec has a relative XDG_CACHE_HOME ignored.
    const xdg = env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : path.join(home, '.cache');
    return path.join(xdg, 'recall', 'code');
  } catch {
    return null;
  }
}

/** The cache file of a command. */
function cacheFile(dir, command) {
  return path.join(dir, `cli-${BUNDLE_ID}-${process.version}-${command}.cache`);
}

/**
 * Options the command line can start with that take a value: the global --db, the default command's own. The CLI
 * skips the same ones to find its command word (GLOBAL_WITH_VALUE in src/cli/main.ts); this file runs before the
 * bundle and cannot share them.
 */
const VALUE_OPTIONS = new Set(['--db', '-d', '--deck', '-q', '--query']);

/**
 * The command a command line runs, as far as its words tell: the first that is neither an option nor the value of
 * one of VALUE_OPTIONS, else the default command. Null for a word that cannot be a command's name: it names no file.
 */
function commandOf(argv) {
  let word = 'review';
  for (let i = 0; i < argv.length; i++) {
    if (VALUE_OPTIONS.has(argv[i])) i++;
    else if (!argv[i].startsWith('-')) {
      word = argv[i];
      break;
    }
  }
  return /^[a-z]{1,24}$/.test(word) ? word : null;
}

/**
 * V8's data from the command's cache file, and whether a run that exited 0 wrote it; none when the file is missing,
 * not one of these, or another command's.
 */
function readCache(dir, command) {
  const none = { data: undefined, complete: false };
  if (!dir) return none;
  let file;
  try {
    file = fs.readFileSync(cacheFile(dir, command));
  } catch {
    return none;
  }
  try {
    if (file.length < 8 || file.readUInt32LE(0) !== MAGIC) return none;
    const headEnd = 8 + file.readUInt32LE(4);
    if (headEnd >= file.length) return none;
    const header = JSON.parse(file.toString('utf8', 8, headEnd));
    if (!Array.isArray(header.commands) || !header.commands.includes(command)) return none;
    return { data: file.subarray(headEnd), complete: header.complete === true };
  } catch {
    return none;
  }
}

/** Writes the command's cache into `dir`, and removes what other builds and killed runs left there a week ago. */
function storeCache(dir, data, command, complete) {
  const header = Buffer.from(JSON.stringify({ commands: [command], complete }), 'utf8');
  const head = Buffer.alloc(8);
  head.writeUInt32LE(MAGIC, 0);
  head.writeUInt32LE(header.length, 4);
  const target = cacheFile(dir, command);
  const tmp = `${target}.${process.pid}.tmp`;
  let fd = null;
  try {
    makeDir(dir);
    fd = fs.openSync(tmp, 'w');
    fs.writeSync(fd, Buffer.concat([head, header, data]));
    // Synced before the rename: after a crash the name holds the old cache or the whole new one, never zeros.
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = null;
    fs.renameSync(tmp, target);
  } catch {
    // A folder that cannot be written: recall runs uncached.
    try {
      if (fd !== null) fs.closeSync(fd);
      fs.rmSync(tmp, { force: true });
    } catch {
      // nothing to take back
    }
    return;
  }
  pruneOtherBuilds(dir);
}

/**
 * Makes `dir` and the folders missing above it, up to the home folder or dist/, which must exist already. One level
 * at a time: Node 20's recursive mkdir never returns on some special folders (e.g. under /proc).
 */
function makeDir(dir) {
  const stops = [__dirname];
  try {
    stops.push(require('node:os').homedir());
  } catch {
    // no home folder: dist/ is the only stop
  }
  const missing = [];
  for (let d = dir; !fs.existsSync(d); d = path.dirname(d)) {
    if (stops.includes(d) || path.dirname(d) === d) throw new Error(`${d} does not exist`);
    missing.push(d);
  }
  for (const d of missing.reverse()) {
    try {
      fs.mkdirSync(d);
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
    }
  }
}

/**
 * The files of other builds and stray temporary files (a run killed while it wrote), untouched for a week: in the
 * user's folder an upgrade leaves its predecessor's cache behind. This build's caches for other Node versions stay.
 */
function pruneOtherBuilds(dir) {
  const weekAgo = Date.now() - 7 * 24 * 3600 * 1000;
  const own = `cli-${BUNDLE_ID}-`;
  try {
    for (const name of fs.readdirSync(dir)) {
      if (!name.startsWith('cli-') || (name.startsWith(own) && name.endsWith('.cache'))) continue;
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
 * was free then and no full collection had run yet (a review waiting for its first key); else not at all, and a
 * later, shorter run of the command writes it. Nothing is written unless the CLI ran this very command (it says
 * which through a global; `recall stast` or a word the guess took for a command would otherwise become a file).
 * `onlyIfComplete`: the run replaces an incomplete file, so only a run that exits 0 writes.
 */
function writeCacheFor(script, dir, command, onlyIfComplete) {
  const v8 = require('node:v8');
  const fullCollections = (profiler) => profiler.stop().statistics.filter((s) => s.gcType === 'MarkSweepCompact').length;
  let watch = new v8.GCProfiler();
  watch.start();
  let early = null;
  setTimeout(() => {
    // After a full collection nothing will be written, and the profiler (which keeps every collection's figures
    // until it stops) stays stopped; else a copy now, and the watch goes on.
    if (fullCollections(watch) > 0) {
      watch = null;
      return;
    }
    early = script.createCachedData();
    watch = new v8.GCProfiler();
    watch.start();
  }, 250).unref();
  process.once('exit', (code) => {
    // A run refused early (a bad option, no terminal) compiled a part of the command: its file, read by every later
    // start, must not stand for good (stats 271 against 439 KB, ~5 ms), so it is marked for the next run to replace.
    if (watch === null || (onlyIfComplete && code !== 0)) return;
    const data = fullCollections(watch) === 0 ? script.createCachedData() : early;
    if (data && globalThis[Symbol.for('recall.command')] === command) storeCache(dir, data, command, code === 0);
  });
}

function runCached() {
  const source = fs.readFileSync(bundle, 'utf8');
  const command = commandOf(process.argv.slice(2));
  const dir = command === null ? null : cacheDir();
  const { data: cachedData, complete } = readCache(dir, command);
  const script = new vm.Script(Module.wrap(source), { filename: bundle, cachedData });
  const fresh = cachedData === undefined || script.cachedDataRejected;
  if (dir && (fresh || !complete)) writeCacheFor(script, dir, command, !fresh);
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
