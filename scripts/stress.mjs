#!/usr/bin/env node
// Crash-safety stress harness (`npm run test:stress`). Runs recall for real and SIGKILLs it at seeded random
// points, hundreds of times:
//   - review sessions in a pty (tmux), driven by keys read off the screen, killed after a random keystroke;
//   - `recall import` of generated Anki text files and of tests/fixtures/anki-kanjiplot/collection.anki2,
//     killed at a random moment of the run;
//   - a new database's first large import, which writes through a rollback journal instead of the WAL
//     (Store.fillingWrite), killed likewise.
// After every kill: PRAGMA integrity_check is ok; every answer acknowledged on screen (`<deck> Good → 10m`) is
// in the review log, in order, and nothing else is; an import is all there (cards and their reviews) or not at
// all; and the next start works (shows a card or the end of the session, not an error or a prompt).
// Prints the counts and exits 1 on any violation.
//
// Options (environment): STRESS_SEED (default 20261123), STRESS_SCALE (default 1: ~205 kills; 0.1 for a smoke
// run), RECALL_BIN (test this bundle instead of building dist/recall.js), STRESS_VERBOSE=1.
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ROOT, Term, recallBin } from './lib/term.mjs';

const SEED = Number(process.env.STRESS_SEED ?? 20261123);
const SCALE = Number(process.env.STRESS_SCALE ?? 1);
const VERBOSE = process.env.STRESS_VERBOSE === '1';
const TARGET = {
  review: Math.max(1, Math.round(90 * SCALE)),
  text: Math.max(1, Math.round(50 * SCALE)),
  pkg: Math.max(1, Math.round(60 * SCALE)),
  filling: Math.max(1, Math.round(30 * SCALE)),
};
const KANJI = join(ROOT, 'tests/fixtures/anki-kanjiplot/collection.anki2');
const BASE_NOW = Date.parse('2026-03-01T08:00:00Z');

if (!process.env.RECALL_BIN) {
  const b = spawnSync(process.execPath, [join(ROOT, 'scripts/build.mjs')], { stdio: 'inherit' });
  if (b.status !== 0) process.exit(1);
}
const BIN = recallBin();

// ---------------------------------------------------------------------------------------------------------
// Seeded randomness (mulberry32), one stream per phase so phases can run side by side reproducibly.
function makeRng(seed) {
  let state = seed >>> 0;
  const rand = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const randInt = (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1));
  const pick = (xs) => xs[Math.floor(rand() * xs.length)];
  return { rand, randInt, pick };
}
const delay = (ms) => new Promise((r) => setTimeout(r, ms));

const counts = {
  kills: 0,
  reviewKills: 0,
  textImportKills: 0,
  packageImportKills: 0,
  fillingImportKills: 0,
  integrityChecks: 0,
  acknowledgedAnswers: 0,
  committedUnacknowledged: 0,
  acknowledgedUndos: 0,
  keysSent: 0,
  cleanSessionEnds: 0,
  importsKilledBeforeCommit: 0,
  importsKilledAfterCommit: 0,
  importsFinishedBeforeKill: 0,
  importsKilledMidWrite: 0,
  fillingKilledMidWrite: 0,
  inertJournalsLeft: 0,
  restartsChecked: 0,
  doctorRuns: 0,
};
const violations = [];
let lastProgress = Date.now();
function progress() {
  if (Date.now() - lastProgress < 30_000) return;
  lastProgress = Date.now();
  console.log(`  ... ${counts.kills} kills so far (reviews ${counts.reviewKills}, text imports ${counts.textImportKills}, packages ${counts.packageImportKills}, filling imports ${counts.fillingImportKills})`);
}
function violation(where, msg) {
  violations.push(`${where}: ${msg}`);
  console.error(`VIOLATION ${where}: ${msg}`);
}
const log = (...a) => VERBOSE && console.log(...a);

const work = mkdtempSync(join(tmpdir(), 'recall-stress-'));
// Stopped from outside (a test timeout, Ctrl-C): leave no tmux server behind.
const openTerms = new Set();
for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, () => {
    for (const t of openTerms) t.close();
    process.exit(1);
  });
}

function recall(args, env) {
  const r = spawnSync(process.execPath, [BIN, ...args], { env: { ...process.env, NO_COLOR: '1', ...env }, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function integrity(db, where) {
  const conn = new Database(db);
  try {
    counts.integrityChecks++;
    const r = conn.pragma('integrity_check', { simple: true });
    if (r !== 'ok') violation(where, `integrity_check: ${r}`);
    const fk = conn.pragma('foreign_key_check');
    if (fk.length) violation(where, `${fk.length} foreign key violations`);
  } finally {
    conn.close();
  }
}

function query(db, sql, ...params) {
  const conn = new Database(db, { readonly: true });
  try {
    return conn.prepare(sql).all(...params);
  } finally {
    conn.close();
  }
}

function doctor(db, env, where) {
  counts.doctorRuns++;
  const r = recall(['doctor', '--json'], { RECALL_DB: db, ...env });
  if (r.code !== 0) violation(where, `doctor exited ${r.code}: ${r.out}${r.err}`);
}

// ---------------------------------------------------------------------------------------------------------
// Review sessions

const STUDY_DECK = `deck: Stress mix
description: one card of each type, for the crash harness

--- basic b1
Q: Capital of France?
A: Paris

--- reversed r1
Q: Hund
A: dog

--- cloze c1
T: The {{c1::mitochondria}} is the powerhouse of the {{c2::cell}}.

--- typed t1
Q: Two plus two?
A: four

--- choice ch1
Q: Which is a prime?
- [x] 7
- [ ] 8
- [ ] 9

--- multi m1
Q: Which are even?
- [x] 2
- [x] 4
- [ ] 5

--- truefalse tf1
Q: The sun is a star.
A: true

--- classify cl1
Q: Sort them
categories: fruit | vegetable
- apple => fruit
- carrot => vegetable
- pear => fruit
`;

/** What the screen asks for, read from the bottom up. */
function phaseOf(screen) {
  const lines = screen.split('\n').map((l) => l.trimEnd()).filter(Boolean);
  for (let i = lines.length - 1; i >= 0; i--) {
    const l = lines[i];
    if (/^Pane is dead/.test(l)) return { kind: 'dead' };
    if (/Session summary|next due/.test(l)) return { kind: 'ended' };
    if (/Study ahead or quit\? \(/.test(l)) return { kind: 'ahead' };
    if (/space\/Enter shows the answer/.test(l)) return { kind: 'ask' };
    if (/space\/Enter = Good|Enter accepts/.test(l)) return { kind: 'shown' };
    let m = /press 1-(\d) to answer/.exec(l);
    if (m) return { kind: 'choice', n: Number(m[1]) };
    m = /press 1-(\d) to select, Enter to submit/.exec(l);
    if (m) return { kind: 'multi', n: Number(m[1]) };
    if (/t = true, f = false/.test(l)) return { kind: 'truefalse' };
    m = /press 1-(\d) for each item/.exec(l);
    if (m) return { kind: 'classify', n: Number(m[1]) };
    if (/type your answer and press Enter/.test(l)) return { kind: 'typed' };
  }
  return { kind: 'unknown' };
}

/** The next keys for a phase: a list of tmux send-keys calls, each one "keystroke". */
function keysFor(phase, { rand, randInt, pick }) {
  const r = rand();
  switch (phase.kind) {
    case 'ask':
      return r < 0.9 ? [['Space']] : r < 0.94 ? [['b']] : r < 0.96 ? [['s']] : r < 0.99 ? [['u']] : [['q']];
    case 'shown':
      return r < 0.85 ? [[pick(['1', '2', '3', '3', '3', '4'])]] : r < 0.95 ? [['Enter']] : [['u']];
    case 'choice':
    case 'classify':
      return [[String(randInt(1, phase.n))]];
    case 'multi':
      return [[String(randInt(1, phase.n))], ['Enter']];
    case 'truefalse':
      return [[pick(['t', 'f'])]];
    case 'typed':
    {
      const word = pick(['four', 'for', '4', 'five', '']);
      return word ? [['-l', word], ['Enter']] : [['Enter']];
    }
    case 'ahead':
      return [[r < 0.85 ? 'a' : 'q']];
    default:
      return [];
  }
}

const ACK = / (Again|Hard|Good|Easy) → \S+$/;
const GRADE = { Again: 1, Hard: 2, Good: 3, Easy: 4 };

async function reviewPhase() {
  const rng = makeRng(SEED);
  const { rand, randInt } = rng;
  const db = join(work, 'review.db');
  const baseEnv = { RECALL_DB: db };
  const deckFile = join(work, 'mix.deck');
  writeFileSync(deckFile, STUDY_DECK);
  const bulk = join(work, 'bulk.deck');
  writeFileSync(bulk, `deck: Stress bulk\n\n${Array.from({ length: 500 }, (_, i) => `--- basic n${i}\nQ: question ${i}\nA: answer ${i}\n`).join('\n')}`);
  let r = recall(['import', deckFile, bulk], { ...baseEnv, RECALL_NOW: new Date(BASE_NOW).toISOString() });
  if (r.code !== 0) throw new Error(`setup import failed: ${r.err}`);
  recall(['config', 'set', 'new-per-day', '9999'], baseEnv);
  const term = new Term('stress', { cols: 100, rows: 30 });
  openTerms.add(term);
  let iter = 0;
  try {
    while (counts.reviewKills < TARGET.review && iter < TARGET.review * 3) {
      iter++;
      const where = `review #${iter}`;
      const now = new Date(BASE_NOW + iter * 20 * 3_600_000).toISOString();
      const env = { ...baseEnv, RECALL_NOW: now };
      const before = query(db, 'SELECT coalesce(max(id), 0) AS maxId, (SELECT count(*) FROM reviews WHERE undone_at IS NOT NULL) AS undone FROM reviews')[0];
      const win = term.run(`r${iter}`, [process.execPath, BIN, 'review'], env);
      // The next start works: the first thing shown is a card, the study-ahead choice or the summary.
      let screen;
      try {
        screen = await term.waitFor(win, (s) => !['unknown'].includes(phaseOf(s).kind), { timeout: 20_000, what: 'the first card' });
      } catch (e) {
        violation(where, `the session did not start: ${e.message}`);
        continue;
      }
      counts.restartsChecked++;
      const pid = term.pid(win);
      if (!Number.isInteger(pid) || pid <= 1) throw new Error(`no pid for ${win}: ${pid}`);
      const kill = () => {
        try {
          process.kill(pid, 'SIGKILL');
          return true;
        } catch (e) {
          if (e.code !== 'ESRCH') throw e;
          return false; // it had ended by itself
        }
      };
      const killAfter = randInt(1, 10);
      let killed = false;
      for (let step = 0; step < 60; step++) {
        const phase = phaseOf(screen);
        if (phase.kind === 'dead' || phase.kind === 'ended') break;
        if (phase.kind === 'unknown') {
          violation(where, `unrecognized screen:\n${screen}`);
          break;
        }
        const keys = keysFor(phase, rng);
        for (let k = 0; k < keys.length; k++) {
          term.keys(win, ...keys[k]);
          counts.keysSent++;
          if (step + 1 >= killAfter && k === keys.length - 1) {
            // Kill point: right away, a few ms after the key, or once its effect is on screen.
            const mode = rand();
            if (mode < 0.35) {
              /* immediately */
            } else if (mode < 0.8) await delay(randInt(0, 25));
            else {
              try {
                await term.waitFor(win, (s) => s !== screen, { timeout: 3000 });
              } catch {
                /* the key changed nothing visible */
              }
            }
            killed = kill();
          }
        }
        if (killed) break;
        try {
          // (Some keys change nothing visible, e.g. a repeated hint: then move on.)
          screen = await term.waitFor(win, (s) => s !== screen && phaseOf(s).kind !== 'unknown', { timeout: 1500 });
        } catch {
          screen = term.screen(win);
        }
      }
      if (!killed && !term.dead(win)) killed = kill();
      let status;
      try {
        status = await term.waitExit(win, 10_000);
      } catch (e) {
        throw new Error(`${where}: pid ${pid}, killed ${killed}: ${e.message}`);
      }
      // An exit status means it ended by itself (q) before the kill; otherwise our SIGKILL ended it.
      if (killed && status === null) counts.reviewKills++, counts.kills++;
      else counts.cleanSessionEnds++;
      const history = term.history(win);
      term.tmux('kill-window', '-t', win);

      integrity(db, where);
      progress();
      const acks = history.split('\n').map((l) => l.trimEnd()).filter((l) => ACK.test(l)).map((l) => GRADE[ACK.exec(l)[1]]);
      const undoAcks = history.split('\n').filter((l) => l.trimEnd() === 'Undo.').length;
      const rows = query(db, "SELECT rating FROM reviews WHERE id > ? AND kind = 'review' ORDER BY id", before.maxId).map((x) => x.rating);
      const undone = query(db, 'SELECT count(*) AS n FROM reviews WHERE undone_at IS NOT NULL')[0].n - before.undone;
      counts.acknowledgedAnswers += acks.length;
      counts.acknowledgedUndos += undoAcks;
      if (rows.length < acks.length) {
        violation(where, `${acks.length} answers acknowledged on screen but only ${rows.length} in the review log (acknowledged ${acks.join(',')}, logged ${rows.join(',')})`);
      } else {
        if (rows.slice(0, acks.length).join(',') !== acks.join(',')) violation(where, `acknowledged grades ${acks.join(',')} but logged ${rows.join(',')}`);
        if (rows.length > acks.length + 1) violation(where, `${rows.length} answers logged but only ${acks.length} acknowledged`);
        if (rows.length === acks.length + 1) counts.committedUnacknowledged++;
      }
      if (undone < undoAcks) violation(where, `${undoAcks} undo(s) acknowledged on screen but ${undone} in the log`);
      log(where, { now, killAfter, acks: acks.length, rows: rows.length, undoAcks, undone });
      if (iter % 15 === 0) doctor(db, { RECALL_NOW: now }, where);
    }
    doctor(db, { RECALL_NOW: new Date(BASE_NOW + (iter + 1) * 20 * 3_600_000).toISOString() }, "review phase end");
  } finally {
    term.close();
  }
}

// ---------------------------------------------------------------------------------------------------------
// Imports

/** Runs recall with a kill timer; resolves with whether the kill landed before the process ended by itself. */
function runAndKill(args, env, killAtMs) {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), killAtMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ killed: signal === 'SIGKILL', code, out, ms: Date.now() - t0 });
    });
  });
}

function timeRun(args, env) {
  const t0 = Date.now();
  const r = recall(args, env);
  if (r.code !== 0) throw new Error(`${args.join(' ')} failed: ${r.err}`);
  return Date.now() - t0;
}

/** A kill that left uncommitted frames in the -wal file landed inside the write transaction. */
function walBytes(db) {
  try {
    return statSync(`${db}-wal`).size;
  } catch {
    return 0;
  }
}

/** How long a full run takes, learned from the runs that finished (the machine's load changes it). */
function durationTracker(initial) {
  let total = initial;
  return {
    get: () => total,
    saw: (ms) => void (total = Math.round(0.6 * total + 0.4 * ms)),
  };
}

/** Kill moments: a third uniform over the run, the rest near its end where the write transaction is. */
function killMoment(total, { rand, randInt }) {
  return rand() < 0.3 ? randInt(0, total) : randInt(Math.round(total * 0.6), Math.round(total * 1.1));
}

const TEXT_ROWS = 1000;
function textExport(i) {
  const lines = ['#separator:tab', '#html:false', '#notetype column:1', `#deck:Stress import ${i}`];
  for (let n = 0; n < TEXT_ROWS; n++) {
    const type = n % 5 === 0 ? 'Basic (and reversed card)' : n % 7 === 0 ? 'Cloze' : 'Basic';
    if (type === 'Cloze') lines.push(`${type}\tThe {{c1::answer ${i}-${n}}} is {{c2::here}}\textra`);
    else lines.push(`${type}\tfront ${i}-${n}\tback ${i}-${n}`);
  }
  return lines.join('\n') + '\n';
}
const expectedTextCards = (() => {
  let c = 0;
  for (let n = 0; n < TEXT_ROWS; n++) c += n % 5 === 0 ? 2 : n % 7 === 0 ? 2 : 1;
  return c;
})();

async function textImportPhase() {
  const rng = makeRng(SEED + 1);
  const db = join(work, 'text.db');
  const env = { RECALL_DB: db, RECALL_NOW: new Date(BASE_NOW).toISOString() };
  const dir = join(work, 'text');
  mkdirSync(dir);
  // Calibrate on a first full import, which also gives the database some content to protect.
  writeFileSync(join(dir, 'calibrate.txt'), textExport('calibrate'));
  const duration = durationTracker(timeRun(['import', join(dir, 'calibrate.txt')], env));
  const complete = new Set(['Stress import calibrate']);
  let iter = 0;
  while (counts.textImportKills < TARGET.text && iter < TARGET.text * 4) {
    iter++;
    const where = `text import #${iter}`;
    const file = join(dir, `export-${iter}.txt`);
    writeFileSync(file, textExport(iter));
    const res = await runAndKill(['import', file], env, killMoment(duration.get(), rng));
    if (res.killed && walBytes(db) > 32) counts.importsKilledMidWrite++;
    const deck = `Stress import ${iter}`;
    if (res.killed) counts.textImportKills++, counts.kills++;
    else {
      duration.saw(res.ms);
      counts.importsFinishedBeforeKill++;
      if (res.code !== 0) violation(where, `import failed: ${res.out}`);
    }
    integrity(db, where);
    progress();
    const perDeck = new Map(query(db, 'SELECT d.name, count(c.id) AS n FROM decks d LEFT JOIN cards c ON c.deck_id = d.id GROUP BY d.id').map((x) => [x.name, x.n]));
    const got = perDeck.get(deck) ?? 0;
    if (got !== 0 && got !== expectedTextCards) violation(where, `half applied: ${got} of ${expectedTextCards} cards`);
    if (got === 0 && perDeck.has(deck)) violation(where, 'the deck exists without its cards');
    if (res.killed) got === 0 ? counts.importsKilledBeforeCommit++ : counts.importsKilledAfterCommit++;
    for (const d of complete) if (perDeck.get(d) !== expectedTextCards) violation(where, `earlier import ${d} now has ${perDeck.get(d)} cards`);
    if (got === expectedTextCards) complete.add(deck);
    // The next start works: every few kills, import the file again to completion.
    if (got === 0 && iter % 4 === 0) {
      const again = recall(['import', file], env);
      counts.restartsChecked++;
      if (again.code !== 0) violation(where, `the import after the kill failed: ${again.err}`);
      else complete.add(deck);
    }
    log(where, { killed: res.killed, got });
  }
  doctor(db, env, 'text import phase end');
}

async function packageImportPhase() {
  const rng = makeRng(SEED + 2);
  const base = join(work, 'pkg-base.db');
  const env0 = { RECALL_DB: base, RECALL_NOW: new Date(BASE_NOW).toISOString() };
  const deckFile = join(work, 'mix.deck');
  if (!existsSync(deckFile)) writeFileSync(deckFile, STUDY_DECK);
  let r = recall(['import', deckFile], env0);
  if (r.code !== 0) throw new Error(`setup failed: ${r.err}`);
  // What a complete import of the collection adds.
  const probe = join(work, 'pkg-probe.db');
  copyFileSync(base, probe);
  const duration = durationTracker(timeRun(['import', KANJI], { ...env0, RECALL_DB: probe }));
  const full = query(probe, "SELECT (SELECT count(*) FROM cards WHERE uid LIKE 'anki:%') AS cards, (SELECT count(*) FROM reviews WHERE coalesce(source_key, CASE WHEN kind = 'import' THEN uid END) LIKE 'anki:%') AS reviews, (SELECT count(*) FROM schedules s JOIN cards c ON c.id = s.card_id WHERE c.uid LIKE 'anki:%') AS schedules")[0];
  const baseCards = query(base, 'SELECT count(*) AS n FROM cards')[0].n;
  let iter = 0;
  while (counts.packageImportKills < TARGET.pkg && iter < TARGET.pkg * 4) {
    iter++;
    const where = `package import #${iter}`;
    const db = join(work, `pkg-${iter}.db`);
    copyFileSync(base, db);
    const env = { ...env0, RECALL_DB: db };
    const res = await runAndKill(['import', KANJI], env, killMoment(duration.get(), rng));
    if (res.killed && walBytes(db) > 32) counts.importsKilledMidWrite++;
    if (res.killed) counts.packageImportKills++, counts.kills++;
    else {
      duration.saw(res.ms);
      counts.importsFinishedBeforeKill++;
      if (res.code !== 0) violation(where, `import failed: ${res.out}`);
    }
    integrity(db, where);
    progress();
    const got = query(db, "SELECT (SELECT count(*) FROM cards WHERE uid LIKE 'anki:%') AS cards, (SELECT count(*) FROM reviews WHERE coalesce(source_key, CASE WHEN kind = 'import' THEN uid END) LIKE 'anki:%') AS reviews, (SELECT count(*) FROM schedules s JOIN cards c ON c.id = s.card_id WHERE c.uid LIKE 'anki:%') AS schedules, (SELECT count(*) FROM cards) AS all_cards")[0];
    const none = got.cards === 0 && got.reviews === 0 && got.schedules === 0;
    const all = got.cards === full.cards && got.reviews === full.reviews && got.schedules === full.schedules;
    if (!none && !all) violation(where, `half applied: ${JSON.stringify(got)} (complete: ${JSON.stringify(full)})`);
    if (got.all_cards - got.cards !== baseCards) violation(where, `cards that were there before changed: ${got.all_cards - got.cards} of ${baseCards}`);
    if (res.killed) none ? counts.importsKilledBeforeCommit++ : counts.importsKilledAfterCommit++;
    if (iter % 10 === 0) {
      // The next start works: the import runs to completion and the database checks out.
      counts.restartsChecked++;
      const again = recall(['import', KANJI], env);
      if (again.code !== 0) violation(where, `the import after the kill failed: ${again.err}`);
      doctor(db, env, where);
    }
    log(where, { killed: res.killed, got });
    rmSync(db, { force: true });
    rmSync(`${db}-wal`, { force: true });
    rmSync(`${db}-shm`, { force: true });
  }
}

/** Rows enough for a first import to fill its new database through a rollback journal (FILLING_ROWS: 20k). */
const FILLING_NOTES = 21_000;

/** The first byte of a file, 0 for an empty one, null when there is no file. */
function journalFirstByte(path) {
  if (!existsSync(path)) return null;
  const b = readFileSync(path);
  return b.length === 0 ? 0 : b[0];
}

async function fillingImportPhase() {
  const rng = makeRng(SEED + 3);
  const dir = join(work, 'filling');
  mkdirSync(dir);
  const lines = ['#separator:tab', '#html:false', '#notetype column:1', '#deck:Stress filling'];
  for (let n = 0; n < FILLING_NOTES; n++) lines.push(`Basic\tfilling front ${n}\tfilling back ${n}`);
  const file = join(dir, 'big.txt');
  writeFileSync(file, `${lines.join('\n')}\n`);
  const now = new Date(BASE_NOW).toISOString();
  const duration = durationTracker(timeRun(['import', file], { RECALL_DB: join(dir, 'calibrate.db'), RECALL_NOW: now }));
  let iter = 0;
  while (counts.fillingImportKills < TARGET.filling && iter < TARGET.filling * 4) {
    iter++;
    const where = `filling import #${iter}`;
    const db = join(dir, `f${iter}.db`);
    const env = { RECALL_DB: db, RECALL_NOW: now };
    // A new database first (turning a new file to WAL has a journal of its own), then its first large import.
    const made = recall(['decks', '--json'], env);
    if (made.code !== 0) violation(where, `creating the database failed: ${made.err}`);
    const res = await runAndKill(['import', file], env, killMoment(duration.get(), rng));
    if (res.killed) {
      counts.fillingImportKills++, counts.kills++;
      // The journal exists only while the import writes (or switches its mode): the kill landed in a write.
      if (existsSync(`${db}-journal`)) counts.fillingKilledMidWrite++;
    } else {
      duration.saw(res.ms);
      counts.importsFinishedBeforeKill++;
      if (res.code !== 0) violation(where, `import failed: ${res.out}`);
    }
    integrity(db, where);
    progress();
    // The next start works, rolls a hot journal back and puts the WAL back.
    const next = recall(['decks', '--json'], env);
    if (next.code !== 0) violation(where, `the next start failed: ${next.err}`);
    const mode = query(db, 'PRAGMA journal_mode')[0]?.journal_mode;
    if (mode !== 'wal') violation(where, `journal mode ${mode} after the next start, not wal`);
    // A journal left now must be one SQLite ignores: its first byte zero. SQLite writes a journal's header with the
    // magic zeroed and fills it in only when it syncs the journal, before any page of the database is overwritten;
    // a kill before that leaves such a file (the database untouched), which nothing deletes once the database is in
    // WAL mode again. A journal with its first byte set would be hot: rolled back by the next open, never left.
    const left = journalFirstByte(`${db}-journal`);
    if (left !== null && left !== 0) violation(where, `a hot journal is still there after the next start (first byte ${left})`);
    if (left === 0) counts.inertJournalsLeft++;
    const got = query(db, "SELECT count(c.id) AS n FROM decks d JOIN cards c ON c.deck_id = d.id WHERE d.name = 'Stress filling'")[0]?.n ?? 0;
    if (got !== 0 && got !== FILLING_NOTES) violation(where, `half applied: ${got} of ${FILLING_NOTES} cards`);
    if (res.killed) got === 0 ? counts.importsKilledBeforeCommit++ : counts.importsKilledAfterCommit++;
    if (got === 0 && iter % 3 === 0) {
      const again = recall(['import', file], env);
      counts.restartsChecked++;
      if (again.code !== 0) violation(where, `the import after the kill failed: ${again.err}`);
      else if (query(db, "SELECT count(*) AS n FROM cards c JOIN decks d ON d.id = c.deck_id WHERE d.name = 'Stress filling'")[0]?.n !== FILLING_NOTES) {
        violation(where, 'the import after the kill is not whole');
      }
    }
    if (iter % 5 === 0) doctor(db, env, where);
    log(where, { killed: res.killed, got });
    for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(`${db}${suffix}`, { force: true });
  }
}

// ---------------------------------------------------------------------------------------------------------

const t0 = Date.now();
console.log(`recall stress: seed ${SEED}, targets ${JSON.stringify(TARGET)}, bin ${BIN}`);
try {
  const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(0)} s`;
  // Reviews on one database, imports on others, side by side.
  await Promise.all([
    reviewPhase().then(() => console.log(`  review sessions done: ${counts.reviewKills} kills (${elapsed()})`)),
    (async () => {
      await textImportPhase();
      console.log(`  text imports done: ${counts.textImportKills} kills (${elapsed()})`);
      await packageImportPhase();
      console.log(`  package imports done: ${counts.packageImportKills} kills (${elapsed()})`);
      await fillingImportPhase();
      console.log(`  filling imports done: ${counts.fillingImportKills} kills (${elapsed()})`);
    })(),
  ]);
} catch (e) {
  violation('harness', e.stack ?? String(e));
} finally {
  if (violations.length === 0) rmSync(work, { recursive: true, force: true });
}
console.log(`kills survived: ${violations.length === 0 ? counts.kills : `${counts.kills} (with ${violations.length} violation(s))`}`);
for (const [k, v] of Object.entries(counts)) if (k !== 'kills') console.log(`  ${k}: ${v}`);
console.log(`  seconds: ${((Date.now() - t0) / 1000).toFixed(0)}`);
if (violations.length) {
  console.log(`FAILED: ${violations.length} violation(s); work files kept in ${work}`);
  for (const v of violations.slice(0, 20)) console.log(`  - ${v.split('\n')[0]}`);
  process.exit(1);
}
console.log('all checks passed');
