import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tzOffset } from '@date-fns/tz/tzOffset';
import { convertCsvToFsrsItems } from '@open-spaced-repetition/binding';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkOutPath, removeStaleScratch, scratchBeside, writeFileAtomic, writeFileAtomicFrom } from '../src/app/files.js';
import { zipAnkiPackage } from '../src/exporters/anki-package.js';
import { Readable } from 'node:stream';
import { unzipSync } from 'fflate';
import { ankiField, deckToAnkiTxt, toAnkiCloze } from '../src/app/export.js';
import { runDeck, runReviews, runStats } from '../src/cli/commands/export.js';
import { run as runStatsCommand } from '../src/cli/commands/stats.js';
import type { Io } from '../src/cli/io.js';
import { RecallError } from '../src/core/errors.js';
import type { CardSpec, CardState, Rating, Schedule } from '../src/core/types.js';
import { parseDeck } from '../src/decks/parse.js';
import { studyDay } from '../src/scheduler/index.js';
import { openStore, type Store } from '../src/store/store.js';
import { readExportSource } from '../src/store/export-source.js';
import Database from 'better-sqlite3';

const HOUR = 3_600_000;
const DAY = 86_400_000;
const NOW = Date.UTC(2026, 10, 23, 12, 0);
const day = (ms: number) => studyDay(ms, 'UTC', 4);

function fakeIo(env: Record<string, string>): Io & { stdout: () => string; stderr: () => string } {
  let out = '';
  let err = '';
  return {
    out: (t) => void (out += t),
    err: (t) => void (err += t),
    data: (t) => void (out += t),
    argv: [],
    env,
    stdoutIsTty: false,
    stdinIsTty: false,
    columns: 80,
    color: false,
    stdout: () => out,
    stderr: () => err,
  };
}

/** Runs a command expecting a RecallError; returns it. */
async function failure(p: Promise<unknown>): Promise<RecallError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(RecallError);
    return e as RecallError;
  }
  throw new Error('expected a RecallError');
}

const schedule = (at: number, state: CardState): Schedule => ({
  state, due: at + DAY, stability: 3, difficulty: 5, elapsedDays: 0, scheduledDays: 1, learningSteps: 0, reps: 1, lapses: 0, lastReview: at,
});

describe('writeFileAtomic', () => {
  let dir: string;
  beforeEach(() => void (dir = mkdtempSync(join(tmpdir(), 'recall-files-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes through a temporary file and leaves only the target', () => {
    const path = join(dir, 'out.txt');
    const bytes = writeFileAtomic(path, (function* () {
      for (let i = 0; i < 20_000; i++) yield `line ${i}\n`;
    })());
    expect(readdirSync(dir)).toEqual(['out.txt']);
    const text = readFileSync(path, 'utf8');
    expect(text.split('\n')).toHaveLength(20_001);
    expect(bytes).toBe(Buffer.byteLength(text));
  });

  it('never clobbers without force, and overwrites with it', () => {
    const path = join(dir, 'out.txt');
    writeFileSync(path, 'old');
    const e = (() => {
      try {
        writeFileAtomic(path, 'new');
      } catch (err) {
        return err as RecallError;
      }
      throw new Error('no error');
    })();
    expect(e).toBeInstanceOf(RecallError);
    expect(e.code).toBe('out-exists');
    expect(e.exitCode).toBe(1);
    expect(e.hint).toMatch(/--force/);
    expect(readFileSync(path, 'utf8')).toBe('old');
    writeFileAtomic(path, 'new', { force: true });
    expect(readFileSync(path, 'utf8')).toBe('new');
    expect(readdirSync(dir)).toEqual(['out.txt']);
  });

  it('refuses a directory and a missing folder', () => {
    expect(() => writeFileAtomic(dir, 'x', { force: true })).toThrow(expect.objectContaining({ code: 'out-is-dir' }));
    expect(() => writeFileAtomic(join(dir, 'nope', 'out.txt'), 'x')).toThrow(expect.objectContaining({ code: 'out-no-dir' }));
  });

  it('leaves neither target nor temporary file when the data fails midway', () => {
    const path = join(dir, 'out.txt');
    const failing = (function* () {
      yield 'x'.repeat(100_000);
      throw new Error('disk on fire');
    })();
    expect(() => writeFileAtomic(path, failing)).toThrow(/disk on fire/);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('writeFileAtomicFrom (bytes that arrive asynchronously)', () => {
  let dir: string;
  beforeEach(() => void (dir = mkdtempSync(join(tmpdir(), 'recall-files-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the chunks as they come and leaves only the target', async () => {
    const path = join(dir, 'out.bin');
    async function* chunks() {
      for (let i = 0; i < 100; i++) yield new Uint8Array(10_000).fill(i);
    }
    expect(await writeFileAtomicFrom(path, chunks)).toBe(1_000_000);
    expect(readdirSync(dir)).toEqual(['out.bin']);
    const back = readFileSync(path);
    expect([back[0], back[10_000], back[999_999]]).toEqual([0, 1, 99]);
  });

  it('leaves neither target nor temporary file when the stream fails midway, and keeps an old target', async () => {
    const path = join(dir, 'out.bin');
    writeFileSync(path, 'old');
    async function* failing() {
      yield new Uint8Array(100_000);
      throw new Error('deflate on fire');
    }
    const e = await failure(writeFileAtomicFrom(path, failing, { force: true }));
    expect(e.code).toBe('write-failed');
    expect(e.message).toMatch(/deflate on fire/);
    expect(readdirSync(dir)).toEqual(['out.bin']);
    expect(readFileSync(path, 'utf8')).toBe('old');
  });

  it('removeStaleScratch removes what a killed run left of this name, and nothing that may still be in use', () => {
    const out = join(dir, 'all.colpkg');
    const gone = spawnSync(process.execPath, ['-e', '0']).pid;
    const old = (Date.now() - 3_600_000) / 1000;
    const files = {
      deadOld: `.all.colpkg.${gone}.mfx1.anki21.tmp`,
      deadOldOut: `.all.colpkg.${gone}.mfx2.tmp`,
      deadFresh: `.all.colpkg.${gone}.mfx3.anki21.tmp`,
      liveOld: `.all.colpkg.${process.pid}.mfx4.anki21.tmp`,
      otherName: `.other.colpkg.${gone}.mfx5.anki21.tmp`,
      notScratch: `.all.colpkg.${gone}.notes.txt`,
    };
    for (const [k, name] of Object.entries(files)) {
      writeFileSync(join(dir, name), 'x');
      if (k !== 'deadFresh') utimesSync(join(dir, name), old, old);
    }
    removeStaleScratch(out);
    expect(readdirSync(dir).sort()).toEqual([files.deadFresh, files.liveOld, files.otherName, files.notScratch].sort());
    // The names it removes are the ones scratchBeside gives.
    expect(scratchBeside(out, 'anki21').slice(dir.length + 1)).toMatch(new RegExp(`^\\.all\\.colpkg\\.${process.pid}\\.[0-9a-z]+\\.anki21\\.tmp$`));
  });

  it('does not start the source when the target is refused', async () => {
    const path = join(dir, 'there');
    writeFileSync(path, 'old');
    let started = false;
    const e = await failure(writeFileAtomicFrom(path, () => {
      started = true;
      return (async function* () {})();
    }));
    expect(e.code).toBe('out-exists');
    expect(started).toBe(false);
  });

  it('checkOutPath refuses up front what the write would refuse', () => {
    writeFileSync(join(dir, 'there'), 'x');
    expect(() => checkOutPath(join(dir, 'there'))).toThrow(expect.objectContaining({ code: 'out-exists' }));
    expect(() => checkOutPath(join(dir, 'there'), { force: true })).not.toThrow();
    expect(() => checkOutPath(dir, { force: true })).toThrow(expect.objectContaining({ code: 'out-is-dir' }));
    expect(() => checkOutPath(join(dir, 'nope', 'x'))).toThrow(expect.objectContaining({ code: 'out-no-dir' }));
  });
});

describe('zipAnkiPackage', () => {
  const parts = (collection: Uint8Array | Readable) => ({ collection: collection instanceof Uint8Array ? collection : () => collection, legacyNotice: new Uint8Array([1, 2, 3]), media: [], now: Date.UTC(2026, 0, 1) });
  const gather = async (chunks: AsyncIterable<Uint8Array>) => {
    const all: Uint8Array[] = [];
    for await (const c of chunks) all.push(c);
    return Buffer.concat(all);
  };

  it('packs a collection given as a stream exactly as one given as bytes', async () => {
    const collection = Buffer.from('SQLite format 3\0'.repeat(50_000));
    const fromStream = unzipSync(await gather(zipAnkiPackage(parts(Readable.from([collection.subarray(0, 300_000), collection.subarray(300_000)])))));
    const fromBytes = unzipSync(await gather(zipAnkiPackage(parts(collection))));
    expect(Object.keys(fromStream).sort()).toEqual(['collection.anki2', 'collection.anki21', 'media', 'meta']);
    expect(Buffer.from(fromStream['collection.anki21']!).equals(collection)).toBe(true);
    expect(Buffer.from(fromBytes['collection.anki21']!).equals(collection)).toBe(true);
  });

  it("closes the collection's stream when its reader stops early", async () => {
    // A reader whose write failed leaves its loop: the collection's file must not stay open behind it.
    const collection = Readable.from((function* () {
      for (let i = 0; i < 400; i++) yield Buffer.alloc(65_536, i);
    })());
    for await (const _ of zipAnkiPackage(parts(collection))) break;
    await new Promise((resolve) => setImmediate(resolve));
    expect(collection.destroyed).toBe(true);
  });

  it("ends its stream with the collection stream's error", async () => {
    const broken = new Readable({ read() {} });
    setImmediate(() => broken.destroy(Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' })));
    await expect(gather(zipAnkiPackage(parts(broken)))).rejects.toThrow(/i\/o error/);
  });
});

describe('recall export', () => {
  let dir: string;
  let dbPath: string;
  let io: ReturnType<typeof fakeIo>;
  let store: Store;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'recall-export-'));
    dbPath = join(dir, 'recall.db');
    store = openStore(dbPath, { now: NOW });
    store.setSetting('timeZone', 'UTC');
    io = fakeIo({ RECALL_NOW: new Date(NOW).toISOString() });
  });
  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const deck = (name: string) => store.upsertDeck({ name, description: 'A test deck', source: 'tests', origin: 'file', path: null, fileHash: null }, NOW);
  const answer = (cardId: number, at: number, rating: Rating, stateBefore: CardState, stateAfter: CardState, extra: { scheduled?: boolean; kind?: 'review' | 'quiz' | 'manual' } = {}) => {
    const actionUid = store.beginAction('answer', at, { cardId });
    store.recordAnswer({
      cardId, rating, stateBefore, schedule: schedule(at, stateAfter), elapsedDays: 0, reviewedAt: at, durationMs: 1234 + rating,
      kind: extra.kind ?? 'review', scheduled: extra.scheduled ?? true, day: day(at), actionUid,
    });
    return { actionUid, cardId };
  };
  const undo = (a: { actionUid: string; cardId: number }, rebuilt: Schedule | null) =>
    store.transaction(() => {
      for (const r of store.markActionUndone(a.actionUid, NOW).reviews) store.unbumpDaily(r);
      store.setSchedule(a.cardId, rebuilt);
    });

  /** Two cards with interleaved histories, plus rows the optimizer must not see. */
  function history(): { c1: number; c2: number } {
    const d = deck('hist');
    const c1 = store.insertCard(d, { uid: 'one', noteUid: 'one', content: { type: 'basic', front: 'Q1', back: 'A1' } }, 0, NOW);
    const c2 = store.insertCard(d, { uid: 'two', noteUid: 'two', content: { type: 'basic', front: 'Q2', back: 'A2' } }, 1, NOW);
    const t0 = NOW - 40 * DAY;
    answer(c2, t0, 3, 0, 1);
    answer(c1, t0 + HOUR, 3, 0, 1);
    answer(c2, t0 + 1 * DAY, 3, 1, 2);
    answer(c1, t0 + 2 * DAY, 4, 1, 2);
    answer(c1, t0 + 9 * DAY, 1, 2, 3);
    answer(c1, t0 + 9 * DAY + 600_000, 3, 3, 2);
    answer(c2, t0 + 5 * DAY, 3, 2, 2);
    const undone = answer(c2, t0 + 20 * DAY, 1, 2, 3);
    undo(undone, schedule(t0 + 5 * DAY, 2));
    answer(c1, t0 + 15 * DAY, 2, 2, 2, { scheduled: false, kind: 'quiz' });
    store.recordAnswer({ cardId: c2, rating: 0, stateBefore: 2, schedule: schedule(t0 + 25 * DAY, 2), elapsedDays: 0, reviewedAt: t0 + 25 * DAY, durationMs: 0, kind: 'manual', scheduled: true, day: day(t0 + 25 * DAY), actionUid: null });
    return { c1, c2 };
  }

  it("hands the Anki export each card's log from columns, exactly as the table holds it", () => {
    const { c1, c2 } = history();
    // Values the table allows but recall never writes: a state past a byte, a negative one, a REAL rating, a source state.
    const raw = new Database(dbPath);
    raw.prepare('UPDATE reviews SET state_before = 258, state_after = -1, source_state = 7 WHERE card_id = ? AND rating = 4').run(c1);
    raw.prepare('UPDATE reviews SET rating = 2.5, due = 9007199254740993 WHERE card_id = ? AND rating = 0').run(c2);
    const source = readExportSource(raw, null);
    const expected = (cardId: number) =>
      (raw.prepare(`SELECT reviewed_at, rating, state_before, state_after, due, difficulty, scheduled_days, duration_ms, scheduled, source_state, day
        FROM reviews WHERE card_id = ? AND undone_at IS NULL ORDER BY reviewed_at, id`).raw().all(cardId) as number[][]).map((r) => ({
        reviewedAt: r[0], rating: r[1], stateBefore: r[2], stateAfter: r[3], due: r[4], difficulty: r[5], scheduledDays: r[6], durationMs: r[7],
        scheduled: r[8] === 1, sourceState: r[9] ?? null, day: r[10],
      }));
    for (const id of [c1, c2]) {
      const log = source.logOf(id);
      expect(log.all()).toEqual(expected(id));
      expect(log.length).toBe(expected(id).length);
      expect(log.firstAt).toBe(expected(id)[0]!.reviewedAt);
    }
    expect(source.logOf(c1).all().some((r) => (r.stateBefore as number) === 258 && (r.stateAfter as number) === -1 && r.sourceState === 7)).toBe(true);
    expect(source.logOf(c2).all().some((r) => (r.rating as number) === 2.5)).toBe(true);
    expect(source.logOf(-5)).toMatchObject({ length: 0, firstAt: null });
    raw.close();
  });

  it('writes the optimizer CSV: rated scheduled rows, state before, ordered by card then time', async () => {
    const { c1, c2 } = history();
    const out = join(dir, 'revlog.csv');
    store.close();
    await runReviews({ db: dbPath, format: 'fsrs', out, json: true }, io);
    store = openStore(dbPath, { now: NOW });
    const text = readFileSync(out, 'utf8');
    const t0 = NOW - 40 * DAY;
    expect(text).toBe(
      [
        'card_id,review_time,review_rating,review_state,review_duration',
        `${c1},${t0 + HOUR},3,0,1237`,
        `${c1},${t0 + 2 * DAY},4,1,1238`,
        `${c1},${t0 + 9 * DAY},1,2,1235`,
        `${c1},${t0 + 9 * DAY + 600_000},3,3,1237`,
        `${c2},${t0},3,0,1237`,
        `${c2},${t0 + DAY},3,1,1237`,
        `${c2},${t0 + 5 * DAY},3,2,1237`,
        '',
      ].join('\n'),
    );
    expect(JSON.parse(io.stdout())).toMatchObject({ file: out, format: 'fsrs', rows: 7 });

    // The optimizer's own reader accepts it: one item per later-day review, with the days between answers
    // (the relearning answer ten minutes after a lapse is a same-day review and is left out).
    const items = convertCsvToFsrsItems(readFileSync(out), 4, 'UTC', (ms, tz) => tzOffset(tz, new Date(ms)));
    const seen = items.map((it) => it.reviews.map((r) => `${r.rating}/${r.deltaT}`).join(' ')).sort();
    expect(seen).toEqual(['3/0 3/1', '3/0 3/1 3/4', '3/0 4/2', '3/0 4/2 1/7']);
  });

  it('exports the full log as CSV and JSON without undone rows, filtered by deck', async () => {
    history();
    const other = deck('other');
    const c3 = store.insertCard(other, { uid: 'x', noteUid: 'x', content: { type: 'basic', front: 'Q, "quoted"', back: 'A' } }, 0, NOW);
    answer(c3, NOW - DAY, 3, 0, 1);
    store.close();
    await runReviews({ db: dbPath, format: 'csv' }, io);
    const lines = io.stdout().trimEnd().split('\n');
    expect(lines[0]).toMatch(/^id,uid,card_id,card_uid,deck,reviewed_at,day,rating,state_before,state_after/);
    // 11 answers recorded, one undone.
    expect(lines).toHaveLength(1 + 10);
    const io2 = fakeIo(io.env as Record<string, string>);
    await runReviews({ db: dbPath, format: 'json', deck: 'other' }, io2);
    const rows = JSON.parse(io2.stdout()) as { deck: string; cardUid: string; scheduled: boolean }[];
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ deck: 'other', cardUid: 'x', scheduled: true });
    store = openStore(dbPath, { now: NOW });
  });

  it('refuses to clobber or to write into a directory', async () => {
    history();
    store.close();
    const out = join(dir, 'log.csv');
    writeFileSync(out, 'keep me');
    const e = await failure(runReviews({ db: dbPath, format: 'csv', out }, io));
    expect(e.code).toBe('out-exists');
    expect(e.exitCode).toBe(1);
    expect(readFileSync(out, 'utf8')).toBe('keep me');
    await runReviews({ db: dbPath, format: 'csv', out, force: true }, io);
    expect(readFileSync(out, 'utf8')).toMatch(/^id,uid,card_id/);
    const sub = join(dir, 'folder');
    mkdirSync(sub);
    expect((await failure(runStats({ db: dbPath, format: 'csv', out: sub }, io))).code).toBe('out-is-dir');
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    store = openStore(dbPath, { now: NOW });
  });

  it('exports the statistics as JSON and long CSV', async () => {
    history();
    store.close();
    await runStats({ db: dbPath, format: 'json', deck: 'hist' }, io);
    const report = JSON.parse(io.stdout());
    expect(report.decks.map((d: { name: string }) => d.name)).toEqual(['hist']);
    expect(report.streak.longest).toBeGreaterThanOrEqual(2);
    const io2 = fakeIo(io.env as Record<string, string>);
    await runStats({ db: dbPath, format: 'csv', deck: 'hist', days: '7' }, io2);
    const lines = io2.stdout().trimEnd().split('\n');
    expect(lines[0]).toBe('panel,key,subkey,value');
    expect(lines.filter((l) => l.startsWith('reviews_per_day,') && l.endsWith(',reviews') === false && l.includes(',reviews,'))).toHaveLength(7);
    expect(lines).toContain('deck,hist,total,2');
    expect((await failure(runStats({ db: dbPath, deck: 'nope' }, io))).code).toBe('no-such-deck');
    store = openStore(dbPath, { now: NOW });
  });

  it('recall stats prints the panels as text at the terminal width, or as JSON', async () => {
    history();
    store.close();
    await runStatsCommand({ db: dbPath, deck: 'hist', json: true }, io);
    const report = JSON.parse(io.stdout());
    expect(Object.keys(report)).toEqual(['today', 'streak', 'reviewsPerDay', 'heatmap', 'retention', 'forecast', 'decks', 'leeches', 'distributions', 'quizzes']);
    const text = fakeIo(io.env as Record<string, string>);
    text.columns = 60;
    await runStatsCommand({ db: dbPath, deck: 'hist' }, text);
    expect(text.stdout()).toContain('True retention');
    expect(text.stdout()).not.toContain('\u001b[');
    for (const line of text.stdout().split('\n')) expect([...line].length).toBeLessThanOrEqual(60);
    store = openStore(dbPath, { now: NOW });
  });

  const DECK = `deck: Mixed
description: Every type

--- basic b1
Q: What is 2+2?
A: 4
explain: Arithmetic.
source: notes.txt § Sums

--- reversed r1
Q: MFA
A: Multi-factor authentication

--- cloze c1
T: Security groups are {{stateful}} and work at the {{c1::instance::level}} level.

--- typed t1
Q: Capital of France?
A: Paris
accept: paris city

--- choice ch1
Q: Pick the prime
- [ ] 4
- [x] 5

--- truefalse tf1
Q: The sky is "green".
A: false
tags: colours nature
`;

  function importDeck(): void {
    const parsed = parseDeck(DECK, 'mixed.deck');
    expect(parsed.diagnostics).toEqual([]);
    const id = deck('Mixed');
    parsed.cards.forEach((c: CardSpec, i: number) => store.insertCard(id, c, i, NOW));
  }

  it('exports a deck as JSON with id, type, fields, source and explanation', async () => {
    importDeck();
    store.close();
    await runDeck({ db: dbPath, args: ['Mixed'], format: 'json' }, io);
    const cards = JSON.parse(io.stdout()) as Record<string, unknown>[];
    expect(cards[0]).toEqual({ id: 'b1', note: 'b1', type: 'basic', front: 'What is 2+2?', back: '4', source: 'notes.txt § Sums', explanation: 'Arithmetic.', tags: [] });
    expect(cards.map((c) => c.type)).toEqual(['basic', 'reversed', 'reversed', 'cloze', 'cloze', 'typed', 'choice', 'truefalse']);
    for (const c of cards) expect(Object.keys(c)).toEqual(expect.arrayContaining(['id', 'type', 'source', 'explanation']));
    expect(cards.find((c) => c.id === 'tf1')).toMatchObject({ statement: 'The sky is "green".', answer: false, tags: ['colours', 'nature'] });
    store = openStore(dbPath, { now: NOW });
  });

  it('exports a deck in the recall format that parses back to the same cards, into a folder', async () => {
    importDeck();
    store.close();
    const folder = join(dir, 'decks');
    mkdirSync(folder);
    await runDeck({ db: dbPath, args: ['Mixed'], format: 'recall', out: folder, json: true }, io);
    expect(JSON.parse(io.stdout())).toMatchObject({ file: join(folder, 'Mixed.deck'), rows: 8 });
    const again = parseDeck(readFileSync(join(folder, 'Mixed.deck'), 'utf8'), 'Mixed.deck');
    expect(again.diagnostics).toEqual([]);
    const original = parseDeck(DECK, 'mixed.deck');
    const strip = (cs: CardSpec[]) => cs.map(({ line: _line, ...rest }) => rest);
    expect(strip(again.cards)).toEqual(strip(original.cards));
    expect(again.header).toEqual({ name: 'Mixed', description: 'A test deck', source: 'tests' });
    // A second export into the same folder does not clobber.
    expect((await failure(runDeck({ db: dbPath, args: ['Mixed'], format: 'recall', out: folder }, io))).code).toBe('out-exists');
    store = openStore(dbPath, { now: NOW });
  });

  it('exports Anki plain text with note types, deck, tags and guid columns', async () => {
    importDeck();
    store.close();
    await runDeck({ db: dbPath, args: ['Mixed'], format: 'anki-txt' }, io);
    const lines = io.stdout().trimEnd().split('\n');
    expect(lines.slice(0, 6)).toEqual(['#separator:tab', '#html:false', '#notetype column:1', '#deck column:2', '#tags column:5', '#guid column:6']);
    // One note per entry: the reversed pair and the two cloze cards are one note each.
    expect(io.stdout().match(/\trecall:Mixed:/g)).toHaveLength(6);
    expect(lines[6]).toBe('Basic\tMixed\tWhat is 2+2?\t"4');
    expect(io.stdout()).toContain('Basic\tMixed\tWhat is 2+2?\t"4\n\nArithmetic."\t\trecall:Mixed:b1\n');
    expect(io.stdout()).toContain('Basic (and reversed card)\tMixed\tMFA\tMulti-factor authentication\t\trecall:Mixed:r1');
    expect(io.stdout()).toContain('Cloze\tMixed\tSecurity groups are {{c2::stateful}} and work at the {{c1::instance::level}} level.\t\t\trecall:Mixed:c1');
    expect(io.stdout()).toContain('Basic (type in the answer)\tMixed\tCapital of France?\tParis\t\trecall:Mixed:t1');
    expect(io.stdout()).toContain('Basic\tMixed\t"True or false: The sky is ""green""."\tFalse\tcolours nature\trecall:Mixed:tf1');
    expect(io.stdout()).toContain('"Pick the prime\nA) 4\nB) 5"\tB) 5');
    store = openStore(dbPath, { now: NOW });
  });

  it('never reuses the Anki guid of a note converted from HTML, and quotes fields only when needed', () => {
    const cards: CardSpec[] = [{ uid: 'anki:Ab1::c1', noteUid: 'anki:Ab1', content: { type: 'cloze', text: '{{c1::x }} y', index: 1 } }];
    // A guid Anki has not seen adds a note; the original one would overwrite the note's HTML with this text.
    expect(deckToAnkiTxt('D', cards).trimEnd().split('\n').at(-1)).toBe('Cloze\tD\t{{c1::x }} y\t\t\trecall:D:anki:Ab1');
    expect(ankiField('plain')).toBe('plain');
    expect(ankiField('a\tb')).toBe('"a\tb"');
    expect(toAnkiCloze('{{a}} and {{b::hint}}')).toBe('{{c1::a}} and {{c2::b::hint}}');
    expect(toAnkiCloze('{{ a }} }} {{c3::b }} {{c1::}}')).toBe('{{c4:: a }} }} {{c3::b }} {{c1::}}');
  });
});
