// `recall import` end to end on real Anki files and our own deck files, through the built CLI.
import Database from 'better-sqlite3';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, runCli, runJson, tempDir } from './helpers/cli.js';

const FIX = join(__dirname, 'fixtures');
const KANJI = join(FIX, 'anki-kanjiplot/collection.anki2');
const SPANISH = join(FIX, 'anki-spanish/SpanishAnkiExportReal.apkg');
const NOW = '2026-03-10T09:00:00Z';

let t: ReturnType<typeof tempDir>;
let n = 0;
const freshDb = () => join(t.dir, `db${n++}.db`);
const env = (db: string) => ({ RECALL_DB: db, RECALL_NOW: NOW, TZ: 'UTC' });

beforeAll(() => {
  ensureBuilt();
  t = tempDir();
});
afterAll(() => t.cleanup());

/** Everything a user owns, as text: decks, cards, schedules and the review log. */
function dump(db: string): string {
  const c = new Database(db, { readonly: true });
  const out = ['decks', 'cards', 'schedules', 'reviews', 'daily', 'settings', 'quiz_attempts']
    .map((tname) => JSON.stringify(c.prepare(`SELECT * FROM ${tname} ORDER BY 1, 2`).all()))
    .join('\n');
  c.close();
  return out;
}

describe('recall import', () => {
  it('imports the kanjiplot collection: 1,005 cards and its review history; re-import adds nothing', () => {
    const db = freshDb();
    runJson(['config', 'set', 'timezone', 'Europe/Berlin'], env(db));
    const first = runJson(['import', KANJI], env(db));
    expect(first.cardsAdded).toBe(1005);
    expect(first.reviewsImported).toBe(6102); // 6,158 revlog rows less 56 of cards deleted in Anki
    expect(first.warnings.some((w: string) => w.includes('56 review-log rows'))).toBe(true);
    const again = runJson(['import', KANJI], env(db));
    expect(again).toMatchObject({ cardsAdded: 0, cardsUpdated: 0, cardsUnchanged: 1005, reviewsImported: 0 });
    expect(runJson(['doctor'], env(db)).ok).toBe(true);
  });

  it('imports the Spanish package: 2,887 cards with their 31,363 reviews (2 cram rows kept as history)', () => {
    const db = freshDb();
    const r = runJson(['import', SPANISH], env(db));
    expect(r.cardsAdded).toBe(2887);
    expect(r.reviewsImported).toBe(31363);
    const c = new Database(db, { readonly: true });
    expect(c.prepare("SELECT count(*) FROM reviews WHERE kind = 'import' AND scheduled = 0 AND rating > 0").pluck().get()).toBeGreaterThanOrEqual(2);
    c.close();
    expect(runJson(['doctor'], env(db)).ok).toBe(true);
  });

  it('Example-Deck.txt and Example-Deck.apkg import the same 4 notes', () => {
    const a = freshDb();
    const b = freshDb();
    expect(runJson(['import', join(FIX, 'anki-spanish/Example-Deck.txt'), '--deck', 'Example'], env(a)).cardsAdded).toBe(4);
    expect(runJson(['import', join(FIX, 'anki-spanish/Example-Deck.apkg'), '--deck', 'Example'], env(b)).cardsAdded).toBe(4);
    const contents = (db: string) =>
      runJson<any[]>(['export', 'deck', 'Example', '--format', 'json'], env(db))
        .map((c) => `${c.front ?? c.prompt ?? c.text}|${c.back ?? ''}`)
        .sort();
    expect(contents(a)).toEqual(contents(b));
  });

  it('--dry-run reports and changes nothing', () => {
    const db = freshDb();
    runJson(['decks'], env(db));
    const before = dump(db);
    const r = runJson(['import', KANJI, '--dry-run'], env(db));
    expect(r).toMatchObject({ cardsAdded: 1005, dryRun: true });
    expect(dump(db)).toBe(before);
  });

  it('a failed import leaves the database exactly as it was, and says where and why', () => {
    const db = freshDb();
    runJson(['import', join(FIX, 'anki-spanish/Example-Deck.txt'), '--deck', 'Example'], env(db));
    const before = dump(db);
    const good = join(t.dir, 'good.txt');
    writeFileSync(good, '#separator:tab\n#html:false\nnew front\tnew back\n');
    const bad = join(t.dir, 'bad.txt');
    writeFileSync(bad, '#separator:tab\n#html:false\nfront\tback\n\tno front here\n');
    // --strict: all or nothing (without it, the good rows would import and the bad one be reported).
    const r = runCli(['import', good, bad, '--strict'], env(db));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('bad.txt:4');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(dump(db)).toBe(before);
    for (const [name, bytes] of [['corrupt.apkg', Buffer.from('PK\u0003\u0004garbage')], ['notsqlite.anki2', Buffer.from('hello world, not a database')]] as const) {
      const f = join(t.dir, name);
      writeFileSync(f, bytes);
      const e = runCli(['import', f], env(db));
      expect(e.code).toBe(1);
      expect(e.stderr).toContain(name);
      expect(e.stderr).not.toMatch(/\n\s+at /);
    }
    const truncated = join(t.dir, 'truncated.apkg');
    writeFileSync(truncated, readFileSync(SPANISH).subarray(0, 50_000));
    expect(runCli(['import', truncated], env(db)).code).toBe(1);
    expect(dump(db)).toBe(before);
  });

  it('never changes the user\'s file', () => {
    const db = freshDb();
    const copy = join(t.dir, 'mine.apkg');
    copyFileSync(SPANISH, copy);
    const bytes = readFileSync(copy);
    runJson(['import', copy], env(db));
    expect(readFileSync(copy).equals(bytes)).toBe(true);
  });

  it('review export in the optimizer format matches the reference CSV row for row', () => {
    const db = freshDb();
    runJson(['config', 'set', 'timezone', 'Europe/Berlin'], env(db));
    runJson(['import', KANJI], env(db));
    const r = runCli(['export', 'reviews', '--format', 'fsrs'], env(db));
    expect(r.code).toBe(0);
    const ours = r.stdout.trim().split('\n');
    const ref = readFileSync(join(FIX, 'anki-kanjiplot/revlog.fsrs.v2-remapped.csv'), 'utf8').trim().split(/\r?\n/);
    expect(ours[0]).toBe(ref[0]);
    expect(ours.length).toBe(ref.length);
    // Card ids differ (ours are database ids, the reference's Anki's); compare each card's rows in order.
    const group = (lines: string[]) => {
      const m = new Map<string, string[]>();
      for (const l of lines.slice(1)) {
        const [card, ...rest] = l.split(',');
        if (!m.has(card!)) m.set(card!, []);
        m.get(card!)!.push(rest.join(','));
      }
      return [...m.values()].map((rows) => rows.join(';')).sort();
    };
    expect(group(ours)).toEqual(group(ref));
  });
});

describe('recall deck files: edits keep history', () => {
  it('typo fixed, card reordered, card removed, card added: every surviving card keeps its history', () => {
    const db = freshDb();
    const file = join(t.dir, 'mine.deck');
    writeFileSync(
      file,
      'deck: Mine\n\n--- basic\nQ: What is the capitol of France?\nA: Paris\n\n--- basic b\nQ: 2+2?\nA: 4\n\n--- truefalse c\nQ: The sky is green.\nA: false\n\n--- basic d\nQ: Gone soon\nA: yes\n',
    );
    expect(runJson(['import', file], env(db)).cardsAdded).toBe(4);
    // Give every card some history.
    const c = new Database(db);
    const cards = c.prepare("SELECT c.id, c.uid FROM cards c JOIN decks d ON d.id = c.deck_id WHERE d.name = 'Mine' ORDER BY c.id").all() as { id: number; uid: string }[];
    const ins = c.prepare("INSERT INTO reviews(uid, card_id, rating, state_before, state_after, due, stability, difficulty, elapsed_days, scheduled_days, reviewed_at, duration_ms, kind, scheduled, day) VALUES (?, ?, 3, 0, 1, 0, 1, 5, 0, 0, ?, 1000, 'review', 1, 20000)");
    for (const card of cards) ins.run(`r${card.id}`, card.id, Date.parse(NOW));
    c.close();
    writeFileSync(
      file,
      'deck: Mine\n\n--- truefalse c\nQ: The sky is green.\nA: false\n\n--- basic\nQ: What is the capital of France?\nA: Paris\n\n--- basic b\nQ: 2 + 2?\nA: 4\n\n--- basic e\nQ: New card\nA: new\n',
    );
    const r = runJson(['import', file], env(db));
    expect(r.cardsAdded).toBe(1);
    const after = new Database(db, { readonly: true });
    const rows = after.prepare("SELECT c.id, c.content, c.removed, c.suspended, (SELECT count(*) FROM reviews r WHERE r.card_id = c.id) AS reviews FROM cards c JOIN decks d ON d.id = c.deck_id WHERE d.name = 'Mine' ORDER BY c.id").all() as any[];
    after.close();
    const byText = (s: string) => rows.find((x) => x.content.includes(s));
    expect(byText('capital of France')).toMatchObject({ id: cards[0]!.id, reviews: 1, removed: 0 });
    expect(byText('2 + 2?')).toMatchObject({ id: cards[1]!.id, reviews: 1 });
    expect(byText('sky is green')).toMatchObject({ id: cards[2]!.id, reviews: 1 });
    // Gone from the file: removed (kept with its history, never shown); not suspended, so it comes back as it was.
    expect(byText('Gone soon')).toMatchObject({ id: cards[3]!.id, reviews: 1, removed: 1, suspended: 0 });
    expect(byText('New card')).toMatchObject({ reviews: 0 });
  });
});
