// Export to Anki (.apkg / .colpkg) through the built CLI, on real SQLite files: round trips back into recall give
// the same cards, review rows and schedules; the package has the tables Anki writes; day numbers count the study
// days of a zone with daylight saving and a day start other than 04:00.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tzOffset } from '@date-fns/tz/tzOffset';
import Database from 'better-sqlite3';
import { unzipSync, zipSync } from 'fflate';
import { decompress as zstdDecompress } from 'fzstd';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openContext } from '../src/app/context.js';
import { commitAnswer, drawCard } from '../src/app/answer.js';
import { applyCardAction } from '../src/app/card-actions.js';
import type { Grade } from '../src/core/types.js';
import { mulberry32 } from '../src/quiz/present.js';
import { ensureBuilt, runCli, runJson, tempDir } from './helpers/cli.js';

const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const ZONE = 'America/New_York';
const DAY_START = 6;
const KANJI = 'tests/fixtures/anki-kanjiplot/collection.anki2';
const SPANISH = 'tests/fixtures/anki-spanish/SpanishAnkiExportReal.apkg';
const BUILTIN_DECKS = [
  'AWS Identity and Access Management (IAM)', 'AWS Organizations', 'Authentication vs authorization', 'Multi-factor authentication (MFA)',
  'Network and data protection', 'Service categories and responsibility', 'Shared controls', 'The AWS root user and access keys',
  'The AWS shared responsibility model',
];
const ANKI_DECKS = ['kanji', 'grammar', "tae kim's grammar guide", 'Spanish', 'Old Decks', 'Example Deck'];

// Study runs from before the switch to daylight saving time in New York (2026-03-08) to after it; the export happens at
// 05:30 local time, before the 06:00 day start, so it still belongs to the previous study day.
const START = Date.UTC(2026, 1, 10, 14, 0);
const STUDY_DAYS = 36;
const EXPORT_AT = '2026-03-20T09:30:00Z';

let t: ReturnType<typeof tempDir>;
beforeAll(() => {
  ensureBuilt();
  t = tempDir('recall-anki-export-');
});
afterAll(() => t.cleanup());

function recall(db: string, args: string[], now = EXPORT_AT) {
  const r = runCli(['--db', db, ...args], { RECALL_NOW: now });
  expect(r.code, `recall ${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r;
}

function configure(db: string, now: string): void {
  recall(db, ['config', 'set', 'timezone', ZONE], now);
  recall(db, ['config', 'set', 'day-start', String(DAY_START)], now);
}

/**
 * `days` days of study from `from`, at a different hour each day (so answers fall on both sides of the day start):
 * new cards, learning steps within the session, due reviews, a few quiz answers that do not reschedule.
 */
function study(db: string, from: number, days: number, seed: number): void {
  const rng = mulberry32(seed);
  for (let d = 0; d < days; d++) {
    let now = from + d * DAY + Math.floor(rng() * 16) * HOUR;
    const ctx = openContext({ db, env: { RECALL_NOW: new Date(now).toISOString() } });
    ctx.clock = () => now;
    try {
      for (let pass = 0; pass < 3; pass++) {
        const cards = ctx.store.studyCards({ deckIds: null, now, dayEnd: ctx.dayEnd(now), newLimit: pass === 0 ? 5 : 0, reviewLimit: 30 });
        for (const listed of cards) {
          // Answering a card buries its siblings: a card further down the list may be buried by now.
          const c = ctx.store.getCard(listed.id)!;
          if (c.buriedUntil !== null && c.buriedUntil > now) continue;
          if (c.schedule && c.schedule.due > now + 20 * MIN) continue;
          const r = rng();
          const grade = (r < 0.12 ? 1 : r < 0.22 ? 2 : r < 0.9 ? 3 : 4) as Grade;
          const quiz = rng() < 0.05;
          const res = commitAnswer(ctx, drawCard(ctx, c), grade, { durationMs: 1000 + Math.floor(rng() * 9000), ...(quiz ? { kind: 'quiz' as const, scheduled: false } : {}) });
          expect(res.ok).toBe(true);
          now += 20_000;
        }
        now += 11 * MIN;
      }
    } finally {
      ctx.store.close();
    }
  }
}

/** Suspends and buries a few answered cards at the export time, so their queues travel too. */
function suspendAndBury(db: string, seed: number): void {
  const rng = mulberry32(seed);
  const ctx = openContext({ db, env: { RECALL_NOW: EXPORT_AT } });
  try {
    const ids = ctx.store.allCardIds().filter((id) => ctx.store.getCard(id)!.schedule !== null);
    for (const id of ids) {
      const r = rng();
      if (r < 0.04) applyCardAction(ctx, [id], { kind: 'suspend' });
      else if (r < 0.07) applyCardAction(ctx, [id], { kind: 'bury' });
    }
  } finally {
    ctx.store.close();
  }
}

interface Snapshot {
  order: string[];
  cards: Record<string, unknown>[];
}

/** A deck (and its subdecks) as the round trip must keep it: cards, schedules and logs, in deck order. */
function snapshot(path: string, deck: string): Snapshot {
  const db = new Database(path, { readonly: true });
  try {
    const now = Date.parse(EXPORT_AT);
    const ids = (db.prepare('SELECT id FROM decks WHERE name = ? OR name LIKE ?').pluck().all(deck, `${deck}::%`) as number[]).join(',');
    const rows = db
      .prepare(
        `SELECT c.id, d.name AS deck, c.uid, c.note_uid, c.type, c.content, c.suspended, coalesce(c.buried_until > ?, 0) AS buried,
           s.state, s.due, s.stability, s.difficulty, s.elapsed_days, s.scheduled_days, s.learning_steps, s.reps, s.lapses, s.last_review
         FROM cards c JOIN decks d ON d.id = c.deck_id LEFT JOIN schedules s ON s.card_id = c.id
         WHERE c.deck_id IN (${ids}) AND c.removed = 0 ORDER BY d.name, c.position, c.id`,
      )
      .all(now) as Record<string, any>[];
    const log = db.prepare(
      `SELECT reviewed_at, rating, state_before, state_after, due, stability, difficulty, elapsed_days, scheduled_days, duration_ms,
         scheduled, day, source_state
       FROM reviews WHERE card_id = ? AND undone_at IS NULL ORDER BY reviewed_at, id`,
    );
    const cards = rows.map(({ id, ...c }): Record<string, any> => ({
      ...c,
      content: JSON.parse(c.content),
      reviews: (log.all(id) as Record<string, any>[]).map(({ source_state, ...r }) => ({
        ...r,
        // recall's own answers have no source state; on the way back they get Anki's revlog kind. What statistics and
        // the optimizer read is the same: the source's state where there is one, else the state before, if it counted.
        state: r.scheduled ? (source_state ?? r.state_before) : source_state === null ? null : source_state,
      })),
    }));
    return { order: cards.map((c) => `${c.deck}|${c.uid}`), cards: [...cards].sort((a, b) => (`${a.deck}|${a.uid}` < `${b.deck}|${b.uid}` ? -1 : 1)) };
  } finally {
    db.close();
  }
}

/**
 * Answers that did not reschedule (quiz answers, Anki cram reviews) come back as Anki cram rows: a source state (4, or
 * 0 when it is a card's first row) where recall had none, and no days since the previous answer (the importer
 * records 0 for rows it does not replay). Neither counts anywhere: statistics and the optimizer skip such rows.
 */
function withoutQuizStates(s: Snapshot): Snapshot {
  const unscheduled = (r: any) => ({ ...r, state: r.state === 4 || r.state === 0 ? null : r.state, elapsed_days: null });
  return { ...s, cards: s.cards.map((c: any) => ({ ...c, reviews: c.reviews.map((r: any) => (r.scheduled ? r : unscheduled(r))) })) };
}

function roundTrip(source: string, deck: string, name: string) {
  const file = join(t.dir, `${name}.apkg`);
  const fresh = join(t.dir, `${name}-back.db`);
  const report = runJson<any>(['--db', source, 'export', 'deck', deck, '--format', 'apkg', '--out', file], { RECALL_NOW: EXPORT_AT });
  const imported = runJson<any>(['--db', fresh, 'import', file], { RECALL_NOW: EXPORT_AT });
  return { file, fresh, report, imported };
}

/** The files of a package, with its collection opened read-only from a private copy. */
function openPackage(file: string) {
  const files = unzipSync(readFileSync(file));
  const path = `${file}.anki21`;
  writeFileSync(path, files['collection.anki21']!);
  const db = new Database(path, { readonly: true });
  return { files, db };
}

describe('built-in decks: study in recall, export each as .apkg, import into a fresh database', () => {
  let source: string;
  beforeAll(() => {
    source = join(t.dir, 'builtin.db');
    const begin = new Date(START).toISOString();
    recall(source, ['decks'], begin);
    configure(source, begin);
    study(source, START, STUDY_DAYS, 17);
    suspendAndBury(source, 5);
  }, 120_000);

  it('has history to carry: learning, review, relearning, suspended, buried, quiz answers', () => {
    const db = new Database(source, { readonly: true });
    const states = db.prepare('SELECT state, count(*) AS n FROM schedules GROUP BY state').all() as { state: number; n: number }[];
    expect(states.map((s) => s.state).sort()).toEqual(expect.arrayContaining([1, 2]));
    expect((db.prepare("SELECT count(*) FROM reviews WHERE kind = 'quiz'").pluck().get() as number)).toBeGreaterThan(10);
    expect((db.prepare('SELECT count(*) FROM reviews WHERE state_before = 3').pluck().get() as number)).toBeGreaterThan(0);
    expect((db.prepare('SELECT count(*) FROM cards WHERE suspended = 1').pluck().get() as number)).toBeGreaterThan(0);
    db.close();
  });

  for (const [i, deck] of BUILTIN_DECKS.entries()) {
    it(`${deck}: the same cards, review rows and schedules`, () => {
      const { report, imported, fresh } = roundTrip(source, deck, `builtin-${i}`);
      const before = snapshot(source, deck);
      expect(report.cards).toBe(before.cards.length);
      // The fresh database has the built-in decks already (as on every start): the package is this deck's history
      // coming home, merged into the built-in cards, none added, none left out.
      expect(imported).toMatchObject({ cardsAdded: 0, cardsUpdated: 0, cardsUnchanged: before.cards.length, decks: [deck] });
      const after = snapshot(fresh, deck);
      expect(after.order).toEqual(before.order);
      expect(withoutQuizStates(after)).toEqual(withoutQuizStates(before));
      expect(imported.reviewsImported).toBe(before.cards.reduce((n, c: any) => n + c.reviews.length, 0));
    });
  }

  it('importing the export back into the same database changes nothing', () => {
    const deck = BUILTIN_DECKS[3]!;
    const file = join(t.dir, 'builtin-3.apkg');
    const before = snapshot(source, deck);
    const r = runJson<any>(['--db', source, 'import', file], { RECALL_NOW: EXPORT_AT });
    expect(r).toMatchObject({ cardsAdded: 0, reviewsImported: 0 });
    expect(snapshot(source, deck)).toEqual(before);
  });

  it('a .colpkg of the whole collection imports with every card and answer', () => {
    const file = join(t.dir, 'all.colpkg');
    // What a killed export to this name left an hour ago (its process long gone) is removed by this one.
    const gone = spawnSync(process.execPath, ['-e', '0']).pid;
    const stale = join(t.dir, `.all.colpkg.${gone}.mfx1.anki21.tmp`);
    writeFileSync(stale, 'x');
    utimesSync(stale, (Date.now() - 3_600_000) / 1000, (Date.now() - 3_600_000) / 1000);
    const report = runJson<any>(['--db', source, 'export', 'collection', '--out', file], { RECALL_NOW: EXPORT_AT });
    expect(report.decks).toEqual(BUILTIN_DECKS);
    // The collection went through a scratch file beside the package (and the package through a temporary one): both gone.
    expect(readdirSync(t.dir).filter((f) => f.startsWith('.all.colpkg.'))).toEqual([]);
    const fresh = join(t.dir, 'all-back.db');
    const imported = runJson<any>(['--db', fresh, 'import', file], { RECALL_NOW: EXPORT_AT });
    expect(imported.cardsAdded + imported.cardsUnchanged).toBe(report.cards);
    expect(imported.reviewsImported).toBe(report.reviews);
    for (const deck of BUILTIN_DECKS) expect(withoutQuizStates(snapshot(fresh, deck))).toEqual(withoutQuizStates(snapshot(source, deck)));
  });

  it("a package that went through Anki (no recall record in notes.data) comes home by its notes' guids, or imports from the Anki fields under another name", () => {
    const { files, db } = openPackage(join(t.dir, 'builtin-3.apkg'));
    db.close();
    const path = join(t.dir, 'stripped.anki21');
    writeFileSync(path, files['collection.anki21']!);
    const w = new Database(path);
    w.exec("UPDATE notes SET data = ''");
    w.close();
    const file = join(t.dir, 'stripped.apkg');
    writeFileSync(file, zipSync({ ...files, 'collection.anki21': readFileSync(path) }));
    const fresh = join(t.dir, 'stripped.db');
    // Without recall's record, each note is still the built-in deck's by the guid recall gave it
    // (recall:<deck>:<note>): the deck's history comes home into the built-in cards, none added.
    const before = snapshot(source, BUILTIN_DECKS[3]!);
    const home = runJson<any>(['--db', fresh, 'import', file], { RECALL_NOW: EXPORT_AT });
    expect(home).toMatchObject({ cardsAdded: 0, cardsUpdated: 0, cardsUnchanged: before.cards.length, decks: [BUILTIN_DECKS[3]] });
    expect(home.reviewsImported).toBe(before.cards.reduce((n, c: any) => n + c.reviews.length, 0));
    expect(withoutQuizStates(snapshot(fresh, BUILTIN_DECKS[3]!))).toEqual(withoutQuizStates(before));
    // Under another deck name they are Anki's notes, imported from their fields, with their history.
    const elsewhere = join(t.dir, 'stripped-elsewhere.db');
    const imported = runJson<any>(['--db', elsewhere, 'import', file, '--deck', 'MFA from Anki'], { RECALL_NOW: EXPORT_AT });
    expect(imported.cardsAdded).toBe(before.cards.length);
    expect(imported.reviewsImported).toBe(before.cards.reduce((n, c: any) => n + c.reviews.length, 0));
    // Where that history came home already, the copies come without it: an answer is one row, on one card.
    const copies = runJson<any>(['--db', fresh, 'import', file, '--deck', 'MFA from Anki'], { RECALL_NOW: EXPORT_AT });
    expect(copies).toMatchObject({ cardsAdded: before.cards.length, reviewsImported: 0 });
    const back = new Database(elsewhere, { readonly: true });
    const content = (uid: string) => JSON.parse(back.prepare('SELECT content FROM cards WHERE uid = ?').pluck().get(`anki:recall:Multi-factor authentication (MFA):${uid}`) as string);
    const original = (uid: string): any => before.cards.find((c: any) => c.uid === uid)!.content;
    const single = original('mfa-single-factor');
    expect(content('mfa-single-factor')).toMatchObject({ type: 'basic', front: single.front, back: `${single.back}\n\n${single.explanation}` });
    const typed = original('mfa-cat-otp');
    expect(content('mfa-cat-otp')).toMatchObject({ type: 'typed', prompt: typed.prompt, answers: [typed.answers[0]] });
    expect(content('mfa-def::c2')).toMatchObject({ type: 'cloze', index: 2, text: original('mfa-def::c2').text.replace('{{two::', '{{c1::two::').replace('{{three::', '{{c2::three::') });
    expect(content('mfa-device-types')).toMatchObject({ type: 'basic', tags: ['recall::multi'] });
    back.close();
  });

  it('writes the question types Anki lacks as Basic notes tagged recall::TYPE, the others as Anki stock notes', () => {
    const { db } = openPackage(join(t.dir, 'builtin-3.apkg'));
    const models = JSON.parse(db.prepare('SELECT models FROM col').pluck().get() as string) as Record<string, any>;
    const byName = (name: string) => Object.values(models).find((m) => m.name === name)!;
    const notes = db.prepare('SELECT guid, mid, tags, flds FROM notes').all() as { guid: string; mid: number; tags: string; flds: string }[];
    const note = (guid: string) => notes.find((n) => n.guid === `recall:Multi-factor authentication (MFA):${guid}`)!;
    expect(byName('Basic').flds.map((f: any) => f.name)).toEqual(['Front', 'Back']);
    expect(byName('Cloze').flds.map((f: any) => f.name)).toEqual(['Text', 'Back Extra']);
    expect(byName('Basic (type in the answer)').tmpls[0].qfmt).toContain('{{type:Back}}');
    const multi = note('mfa-device-types');
    expect(multi.mid).toBe(byName('Basic').id);
    expect(multi.tags).toBe(' recall::multi ');
    expect(multi.flds.split('\u001f')[0]).toMatch(/^Which kinds of MFA device does AWS support\?<br>A\) .+<br>B\) .+<br>E\) /);
    expect(note('mfa-factor-categories').tags).toBe(' recall::classify ');
    expect(note('mfa-first-signin').tags).toBe(' recall::truefalse ');
    const cloze = note('mfa-def');
    expect(cloze.mid).toBe(byName('Cloze').id);
    expect(cloze.flds.split('\u001f')[0]).toContain('{{c1::two::how many?}}');
    expect(note('mfa-cat-otp').mid).toBe(byName('Basic (type in the answer)').id);
    db.close();
  });
});

describe('the Anki files in ../shared/data: import, study on in recall, export each deck as .apkg, import again', () => {
  let source: string;
  beforeAll(() => {
    source = join(t.dir, 'anki.db');
    const begin = new Date(START).toISOString();
    configure(source, begin);
    recall(source, ['import', KANJI, '--timezone', 'Europe/Berlin', '--day-start', '4'], begin);
    recall(source, ['import', SPANISH], begin);
    study(source, START, 6, 29);
    suspendAndBury(source, 11);
  }, 120_000);

  for (const [i, deck] of ANKI_DECKS.entries()) {
    it(`${deck}: the same cards, review rows and schedules`, () => {
      const { imported, fresh } = roundTrip(source, deck, `anki-${i}`);
      const before = snapshot(source, deck);
      expect(before.cards.length).toBeGreaterThan(0);
      expect(imported.cardsAdded).toBe(before.cards.length);
      const after = snapshot(fresh, deck);
      expect(after.order).toEqual(before.order);
      expect(withoutQuizStates(after)).toEqual(withoutQuizStates(before));
    }, 60_000);
  }

  it("keeps each Anki note as Anki had it: guid, note type id and fields, HTML, tags and mod, so Anki matches it", () => {
    const { files, db } = openPackage(join(t.dir, `anki-${ANKI_DECKS.indexOf('Spanish')}.apkg`));
    const origPath = join(t.dir, 'spanish-original.anki21');
    writeFileSync(origPath, zstdDecompress(unzipSync(readFileSync(SPANISH))['collection.anki21b']!));
    // As the importer does: rollback-journal header, and Anki's unicase collation (unknown to SQLite) as nocase.
    const copy = Buffer.from(readFileSync(origPath).toString('latin1').replaceAll('COLLATE unicase', 'COLLATE nocase '), 'latin1');
    copy[18] = 1;
    copy[19] = 1;
    writeFileSync(origPath, copy);
    const orig = new Database(origPath, { readonly: true });
    const origNotes = new Map((orig.prepare('SELECT id, guid, mid, mod, tags, flds, sfld, csum FROM notes').all() as any[]).map((n) => [n.guid, n]));
    const origFields = orig.prepare('SELECT name FROM fields WHERE ntid = ? ORDER BY ord').pluck();
    const origTemplates = orig.prepare('SELECT name FROM templates WHERE ntid = ? ORDER BY ord').pluck();
    const models = JSON.parse(db.prepare('SELECT models FROM col').pluck().get() as string) as Record<string, any>;
    const notes = db.prepare('SELECT id, guid, mid, mod, tags, flds, sfld, csum FROM notes').all() as any[];
    expect(notes.length).toBe(307);
    for (const n of notes) {
      const o = origNotes.get(n.guid);
      expect(o, n.guid).toBeDefined();
      // The sort field and the duplicate checksum as Anki computes them, too.
      expect([n.id, n.mid, n.mod, n.flds, n.sfld, n.csum]).toEqual([o.id, o.mid, o.mod, o.flds, o.sfld, o.csum]);
      expect(n.tags.trim()).toBe(o.tags.trim());
      const m = models[String(n.mid)];
      // Anki's schema check when importing into the source collection: same fields and templates, by name.
      expect(m.flds.map((f: any) => f.name)).toEqual(origFields.all(n.mid));
      expect(m.tmpls.map((x: any) => x.name)).toEqual(origTemplates.all(n.mid));
    }
    expect(JSON.parse(new TextDecoder().decode(files.media))).toEqual({});
    orig.close();
    db.close();
  });
});

describe('the package has the layout of one Anki wrote', () => {
  /** Tables, columns and indexes of an SQLite file, as SQLite describes them. */
  function layout(db: Database.Database) {
    const master = db.prepare("SELECT type, name, tbl_name FROM sqlite_master WHERE name NOT LIKE 'sqlite_autoindex%' ORDER BY type, name").all() as { type: string; name: string; tbl_name: string }[];
    const columns = Object.fromEntries(
      master.filter((m) => m.type === 'table').map((m) => [
        m.name,
        (db.prepare(`PRAGMA table_info(${JSON.stringify(m.name)})`).all() as any[]).map((c) => [c.name, String(c.type).toLowerCase(), c.notnull, c.pk]),
      ]),
    );
    const indexes = Object.fromEntries(
      master.filter((m) => m.type === 'index').map((m) => [m.name, (db.prepare(`PRAGMA index_info(${JSON.stringify(m.name)})`).all() as any[]).map((c) => c.name)]),
    );
    return { master, columns, indexes };
  }

  it("collection.anki21 has exactly the tables, columns and indexes of the schema-11 collection in Anki's own .apkg", () => {
    const { files, db } = openPackage(join(t.dir, 'builtin-0.apkg'));
    // The `collection.anki2` Anki put into the shared Spanish package is schema 11, written by Anki itself.
    const refPath = join(t.dir, 'anki-written.anki2');
    writeFileSync(refPath, unzipSync(readFileSync(SPANISH))['collection.anki2']!);
    const ref = new Database(refPath, { readonly: true });
    const ours = layout(db);
    expect(ours).toEqual(layout(ref));
    expect(ours.master.map((m) => m.name)).toEqual(expect.arrayContaining(['col', 'notes', 'cards', 'revlog', 'graves', 'ix_cards_sched']));
    // Our own placeholder collection.anki2 has that layout too.
    const noticePath = join(t.dir, 'notice.anki2');
    writeFileSync(noticePath, files['collection.anki2']!);
    const notice = new Database(noticePath, { readonly: true });
    expect(layout(notice)).toEqual(layout(ref));
    expect(notice.prepare('SELECT count(*) FROM notes').pluck().get()).toBe(1);
    expect(Object.keys(files).sort()).toEqual(['collection.anki2', 'collection.anki21', 'media', 'meta']);
    expect([...files.meta!]).toEqual([0x08, 0x02]);
    notice.close();
    ref.close();
    db.close();
  });

  for (const file of ['builtin-3.apkg', 'anki-0.apkg', 'anki-4.apkg', 'all.colpkg']) {
    it(`${file}: col's JSON parses and names every deck, note type and options group used; every note has its note type's field count`, () => {
      const { db } = openPackage(join(t.dir, file));
      const col = db.prepare('SELECT * FROM col').get() as Record<string, any>;
      expect(col.ver).toBe(11);
      const models = JSON.parse(col.models) as Record<string, any>;
      const decks = JSON.parse(col.decks) as Record<string, any>;
      const dconf = JSON.parse(col.dconf) as Record<string, any>;
      const conf = JSON.parse(col.conf) as Record<string, any>;
      expect(JSON.parse(col.tags)).toBeTypeOf('object');
      expect(conf).toMatchObject({ schedVer: 2, rollover: DAY_START, fsrs: true });
      expect(decks['1'].name).toBe('Default');
      for (const d of Object.values(decks)) {
        expect(dconf[String(d.conf)], `options of deck ${d.name}`).toBeDefined();
        const parent = (d.name as string).split('::').slice(0, -1).join('::');
        if (parent) expect(Object.values(decks).some((p) => p.name === parent), `parent of ${d.name}`).toBe(true);
      }
      for (const c of db.prepare('SELECT DISTINCT did FROM cards').pluck().all() as number[]) expect(decks[String(c)], `deck ${c}`).toBeDefined();
      const names = Object.values(models).map((m) => m.name);
      expect(new Set(names).size).toBe(names.length);
      for (const n of db.prepare('SELECT id, mid, flds FROM notes').all() as { id: number; mid: number; flds: string }[]) {
        const m = models[String(n.mid)];
        expect(m, `note type of note ${n.id}`).toBeDefined();
        expect(n.flds.split('\u001f').length).toBe(m.flds.length);
      }
      for (const c of db.prepare('SELECT c.ord, n.mid FROM cards c JOIN notes n ON n.id = c.nid').all() as { ord: number; mid: number }[]) {
        const m = models[String(c.mid)];
        if (m.type === 0) expect(c.ord).toBeLessThan(m.tmpls.length);
      }
      // Anki refuses ids from the future; its revlog id is the primary key.
      const tomorrow = Date.parse(EXPORT_AT) + DAY;
      for (const table of ['notes', 'cards', 'revlog']) expect(db.prepare(`SELECT max(id) FROM ${table}`).pluck().get() ?? 0).toBeLessThanOrEqual(tomorrow);
      db.close();
    });
  }
});

describe(`day numbers in ${ZONE} with the day starting at 0${DAY_START}:00`, () => {
  /** Anki's day count (rslib scheduler/timing.rs, v2 with a creation offset), written out independently. */
  function ankiDaysElapsed(crtSecs: number, creationMinutesWest: number, ms: number, minutesWest: number, rollover: number): number {
    const localDays = (at: number, west: number) => Math.floor((at - west * MIN) / DAY);
    const localHour = (at: number, west: number) => (((at - west * MIN) % DAY) + DAY) % DAY / HOUR;
    const days = localDays(ms, minutesWest) - localDays(crtSecs * 1000, creationMinutesWest);
    return Math.max(0, localHour(ms, minutesWest) >= rollover ? days : days - 1);
  }
  const westAt = (ms: number) => -tzOffset(ZONE, new Date(ms));

  it('col.crt is the first study day at 06:00 local; review cards are due on the study day recall schedules them', () => {
    const { db } = openPackage(join(t.dir, 'all.colpkg'));
    const col = db.prepare('SELECT crt, conf FROM col').get() as { crt: number; conf: string };
    const conf = JSON.parse(col.conf);
    // The database was created at 2026-02-10 14:00 UTC = 09:00 EST: that study day began at 06:00 EST = 11:00 UTC.
    expect(col.crt * 1000).toBe(Date.UTC(2026, 1, 10, 11, 0));
    expect(conf.creationOffset).toBe(300);
    // At the export (EDT), the offset is 4 hours west.
    expect(conf.localOffset).toBe(240);
    const exportAt = Date.parse(EXPORT_AT);
    // 2026-03-20 05:30 EDT is before 06:00: still the study day of March 19, 37 days after February 10.
    const today = ankiDaysElapsed(col.crt, conf.creationOffset, exportAt, westAt(exportAt), conf.rollover);
    expect(today).toBe(37);

    const source = new Database(join(t.dir, 'builtin.db'), { readonly: true });
    const recallDue = new Map<string, { due: number; state: number; lastReview: number }>();
    for (const r of source.prepare('SELECT c.uid, s.due, s.state, s.last_review AS lastReview FROM cards c JOIN schedules s ON s.card_id = c.id').all() as any[]) {
      recallDue.set(r.uid, r);
    }
    source.close();
    const cards = db.prepare('SELECT c.type, c.queue, c.due, c.ivl, c.data, n.data AS record, c.ord FROM cards c JOIN notes n ON n.id = c.nid').all() as any[];
    let reviews = 0;
    let learning = 0;
    for (const c of cards) {
      const uid = JSON.parse(c.record).recall.cards[String(c.ord)].card.uid as string;
      const s = recallDue.get(uid);
      if (!s) {
        expect(c.type).toBe(0);
        continue;
      }
      if (c.type === 2) {
        reviews++;
        expect(c.due, uid).toBe(ankiDaysElapsed(col.crt, conf.creationOffset, s.due, westAt(s.due), conf.rollover));
        const memory = JSON.parse(c.data);
        expect(memory.s).toBeGreaterThan(0);
        expect(memory.d).toBeGreaterThanOrEqual(1);
        expect(memory.dr).toBe(0.9);
      } else if (c.type === 1 || c.type === 3) {
        learning++;
        if (c.queue === 1 || (c.queue < 0 && c.due > 1e9)) expect(c.due).toBe(Math.round(s.due / 1000));
        else expect(c.due).toBe(ankiDaysElapsed(col.crt, conf.creationOffset, s.due, westAt(s.due), conf.rollover));
      }
    }
    expect(reviews).toBeGreaterThan(20);
    expect(learning).toBeGreaterThan(0);
    db.close();
  });

  it("the review log keeps recall's answers in Anki's units", () => {
    const { db } = openPackage(join(t.dir, 'all.colpkg'));
    const rows = db.prepare('SELECT * FROM revlog ORDER BY cid, id').all() as any[];
    expect(rows.length).toBeGreaterThan(500);
    expect(new Set(rows.map((r) => r.type))).toEqual(new Set([0, 1, 2, 3]));
    for (const r of rows) {
      expect(r.ease).toBeGreaterThanOrEqual(1);
      expect(r.time).toBeGreaterThanOrEqual(1000);
      if (r.type === 3) expect(r.factor).toBe(0); // quiz answers: no reschedule, like Anki's cram reviews
      else expect(r.factor).toBeGreaterThanOrEqual(100); // FSRS difficulty, 0.1-1.1 in permille
      // A review answered Good/Hard/Easy is due in days; a lapse goes to a relearning step (negative seconds).
      if (r.type === 1) expect(r.ease === 1 ? r.ivl < 0 : r.ivl >= 1).toBe(true);
    }
    // Learning steps are negative seconds (recall's 1m and 10m steps), graduations and reviews days.
    expect(rows.some((r) => r.ivl === -60 || r.ivl === -600)).toBe(true);
    expect(rows.some((r) => r.ivl > 0)).toBe(true);
    db.close();
  });
});

describe('export with --query: only the matching cards', () => {
  const cardsIn = (apkg: string) => {
    const file = join(t.dir, `q-${Date.now()}-${Math.random()}.anki21`);
    writeFileSync(file, unzipSync(readFileSync(apkg))['collection.anki21']!);
    const db = new Database(file, { readonly: true });
    try {
      return db.prepare('SELECT count(*) FROM cards').pluck().get() as number;
    } finally {
      db.close();
    }
  };

  it('a deck as .apkg and as a deck file, and the collection as .apkg; a .colpkg refuses a query', () => {
    const db = join(t.dir, 'query.db');
    const deck = 'AWS Organizations';
    const query = 'type:truefalse';
    const expected = runJson<{ total: number }>(['--db', db, 'search', `deck:"${deck}" ${query}`], { RECALL_NOW: EXPORT_AT }).total;
    const all = runJson<{ total: number }>(['--db', db, 'search', `deck:"${deck}"`], { RECALL_NOW: EXPORT_AT }).total;
    expect(expected).toBeGreaterThan(0);
    expect(expected).toBeLessThan(all);

    const apkg = join(t.dir, 'query-deck.apkg');
    const r = runJson<{ cards: number }>(['--db', db, 'export', 'deck', deck, '--format', 'apkg', '--query', query, '-o', apkg], { RECALL_NOW: EXPORT_AT });
    expect(r.cards).toBe(expected);
    expect(cardsIn(apkg)).toBe(expected);

    const text = recall(db, ['export', 'deck', deck, '--query', query]).stdout;
    expect(text.match(/^--- \w+/gm)!.every((l) => l === '--- truefalse')).toBe(true);
    expect(text.match(/^--- \w+/gm)).toHaveLength(expected);

    const whole = join(t.dir, 'query-all.apkg');
    const everywhere = runJson<{ total: number }>(['--db', db, 'search', query], { RECALL_NOW: EXPORT_AT }).total;
    expect(runJson<{ cards: number }>(['--db', db, 'export', 'collection', '--format', 'apkg', '--query', query, '-o', whole], { RECALL_NOW: EXPORT_AT }).cards).toBe(everywhere);

    const refused = runCli(['--db', db, 'export', 'collection', '--query', query, '-o', join(t.dir, 'x.colpkg'), '--json'], { RECALL_NOW: EXPORT_AT });
    expect(refused.code).toBe(2);
    expect(JSON.parse(refused.stderr).error.message).toMatch(/colpkg/);
  });
});

/**
 * What Anki does to a package it imports and exports again: recall's record in notes.data is gone, and `change` adds
 * what was done in Anki (answers, suspensions). Returns the new package's path.
 */
function throughAnki(file: string, name: string, change: (db: Database.Database) => void): string {
  const { files, db } = openPackage(file);
  db.close();
  const path = join(t.dir, `${name}.anki21`);
  writeFileSync(path, files['collection.anki21']!);
  const w = new Database(path);
  w.exec("UPDATE notes SET data = ''");
  change(w);
  w.close();
  const out = join(t.dir, `${name}.apkg`);
  writeFileSync(out, zipSync({ ...files, 'collection.anki21': readFileSync(path) }));
  return out;
}

describe("a deck file's deck studied in Anki and brought back", () => {
  const DECK = 'Spanish words';
  let db: string;
  let deckFile: string;
  const cards = (at: string) => {
    const r = new Database(at, { readonly: true });
    try {
      return r
        .prepare('SELECT c.id, c.uid, c.suspended, (SELECT count(*) FROM reviews v WHERE v.card_id = c.id) AS answers FROM cards c JOIN decks d ON d.id = c.deck_id WHERE d.name = ? ORDER BY c.uid')
        .all(DECK) as { id: number; uid: string; suspended: number; answers: number }[];
    } finally {
      r.close();
    }
  };
  beforeAll(() => {
    db = join(t.dir, 'file-deck.db');
    deckFile = join(t.dir, 'spanish.deck');
    writeFileSync(deckFile, [
      `deck: ${DECK}`, '',
      '--- basic hola', 'Q: hola', 'A: hello', '',
      '--- reversed gato', 'Q: gato', 'A: cat', '',
      '--- cloze dias', 'T: {{lunes}} is Monday and {{martes}} is Tuesday.', '',
    ].join('\n'));
    recall(db, ['import', deckFile], new Date(START).toISOString());
    study(db, START, 6, 3);
  }, 60_000);

  it("finds recall's own cards by the guids recall gave their notes: Anki's new answers and suspensions land on them, nothing is added twice", () => {
    const before = cards(db);
    expect(before.map((c) => c.uid)).toEqual(['dias::c1', 'dias::c2', 'gato', 'gato::r', 'hola']);
    expect(before.reduce((n, c) => n + c.answers, 0)).toBeGreaterThan(5);
    const exported = join(t.dir, 'file-deck.apkg');
    recall(db, ['export', 'deck', DECK, '--format', 'apkg', '--out', exported, '--json']);
    const studiedAt = Date.parse(EXPORT_AT) + DAY;
    const back = throughAnki(exported, 'file-deck-back', (w) => {
      // In Anki: one answer to the backward card of "gato" (ordinal 1), and the first cloze deletion of "dias" suspended.
      const card = (guid: string, ord: number) => w.prepare('SELECT c.id FROM cards c JOIN notes n ON n.id = c.nid WHERE n.guid = ? AND c.ord = ?').pluck().get(guid, ord) as number;
      w.prepare('INSERT INTO revlog (id, cid, usn, ease, ivl, lastIvl, factor, time, type) VALUES (?, ?, -1, 3, 3, 1, 2500, 6000, 1)').run(studiedAt, card(`recall:${DECK}:gato`, 1));
      w.prepare('UPDATE cards SET queue = -1 WHERE id = ?').run(card(`recall:${DECK}:dias`, 0));
    });
    const r = runJson<any>(['--db', db, 'import', back], { RECALL_NOW: new Date(studiedAt + HOUR).toISOString() });
    expect(r).toMatchObject({ cardsAdded: 0, reviewsImported: 1, decks: [DECK] });
    const after = cards(db);
    expect(after.map((c) => c.uid)).toEqual(before.map((c) => c.uid));
    const answers = Object.fromEntries(after.map((c) => [c.uid, c.answers - before.find((b) => b.uid === c.uid)!.answers]));
    expect(answers).toEqual({ 'dias::c1': 0, 'dias::c2': 0, gato: 0, 'gato::r': 1, hola: 0 });
    expect(after.find((c) => c.uid === 'dias::c1')!.suspended).toBe(1);
    const check = new Database(db, { readonly: true });
    try {
      // The deck stays the deck file's: `recall edit` and `recall add` still write to it.
      expect(check.prepare('SELECT origin, path FROM decks WHERE name = ?').get(DECK)).toEqual({ origin: 'file', path: deckFile });
      expect(check.prepare("SELECT count(*) FROM cards WHERE uid LIKE 'anki:%'").pluck().get()).toBe(0);
    } finally {
      check.close();
    }
    expect(runJson<any>(['--db', db, 'doctor'], { RECALL_NOW: new Date(studiedAt + HOUR).toISOString() })).toMatchObject({ ok: true });
    // The same package again changes nothing.
    expect(runJson<any>(['--db', db, 'import', back], { RECALL_NOW: new Date(studiedAt + HOUR).toISOString() })).toMatchObject({ cardsAdded: 0, reviewsImported: 0 });
    // Suspended in recall after that package was made: the package, which Anki did not change since, leaves it so;
    // a suspension made in Anki later than recall's unsuspension is taken.
    const later = new Date(studiedAt + 2 * HOUR).toISOString();
    recall(db, ['suspend', `"deck:${DECK}" hola`, '--json'], later);
    const suspended = () => Object.fromEntries(cards(db).map((c) => [c.uid, c.suspended]));
    expect(suspended()).toMatchObject({ hola: 1, 'dias::c1': 1 });
    runJson<any>(['--db', db, 'import', back], { RECALL_NOW: new Date(studiedAt + 3 * HOUR).toISOString() });
    expect(suspended()).toMatchObject({ hola: 1, 'dias::c1': 1 });
    recall(db, ['unsuspend', `"deck:${DECK}" lunes`, '--json'], new Date(studiedAt + 4 * HOUR).toISOString());
    const again = throughAnki(exported, 'file-deck-again', (w) => {
      w.prepare("UPDATE cards SET queue = -1, mod = ? WHERE nid = (SELECT id FROM notes WHERE guid = ?) AND ord = 1").run(Math.floor((studiedAt + 5 * HOUR) / 1000), `recall:${DECK}:dias`);
    });
    runJson<any>(['--db', db, 'import', again], { RECALL_NOW: new Date(studiedAt + 6 * HOUR).toISOString() });
    expect(suspended()).toMatchObject({ hola: 1, 'dias::c1': 0, 'dias::c2': 1 });
  });

  it('a note added in Anki joins the deck file\'s deck as a card of its own, and `recall edit` edits it in place (the file is left alone)', () => {
    const exported = join(t.dir, 'file-deck.apkg');
    const fileBefore = readFileSync(deckFile, 'utf8');
    const back = throughAnki(exported, 'file-deck-added', (w) => {
      const note = w.prepare("SELECT * FROM notes WHERE guid = ?").get(`recall:${DECK}:hola`) as Record<string, unknown>;
      const card = w.prepare('SELECT * FROM cards WHERE nid = ?').get(note.id) as Record<string, unknown>;
      w.prepare("INSERT INTO notes SELECT ?, 'addedInAnki1', mid, mod, usn, tags, ?, ?, csum, flags, data FROM notes WHERE id = ?").run(Number(note.id) + 1000, 'adiós\u001fgoodbye', 'adiós', note.id);
      w.prepare('INSERT INTO cards SELECT ?, ?, did, ord, mod, usn, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, flags, data FROM cards WHERE id = ?').run(Number(card.id) + 1000, Number(note.id) + 1000, card.id);
    });
    expect(runJson<any>(['--db', db, 'import', back], { RECALL_NOW: EXPORT_AT })).toMatchObject({ cardsAdded: 1 });
    const added = cards(db).find((c) => c.uid.startsWith('anki:addedInAnki1'))!;
    expect(added).toBeDefined();
    const ed = join(t.dir, 'ed-anki.sh');
    writeFileSync(ed, `#!/bin/sh\nsed -i 's/^A: goodbye$/A: goodbye, bye/' "$1"\n`, { mode: 0o755 });
    expect(runJson<any>(['--db', db, 'edit', String(added.id)], { RECALL_NOW: EXPORT_AT, EDITOR: ed, VISUAL: '' })).toMatchObject({ changed: true });
    expect(runJson<any>(['--db', db, 'show', String(added.id)], { RECALL_NOW: EXPORT_AT }).content.back).toBe('goodbye, bye');
    expect(readFileSync(deckFile, 'utf8')).toBe(fileBefore);
  });

  it('a package back from Anki finds the deck renamed in recall since the export (by the uid it keeps), and adds nothing to it', () => {
    const back = join(t.dir, 'file-deck-back.apkg');
    const before = cards(db);
    recall(db, ['deck', 'rename', DECK, 'Español', '--json']);
    try {
      const r = runJson<any>(['--db', db, 'import', back], { RECALL_NOW: EXPORT_AT });
      expect(r).toMatchObject({ cardsAdded: 0, reviewsImported: 0, decks: ['Español'] });
      const check = new Database(db, { readonly: true });
      try {
        expect(check.prepare('SELECT count(*) FROM decks WHERE name = ?').pluck().get(DECK)).toBe(0);
      } finally {
        check.close();
      }
    } finally {
      recall(db, ['deck', 'rename', 'Español', DECK, '--json']);
    }
    expect(cards(db)).toEqual(before);
  });

  it('a package back from Anki with the deck renamed there goes to the deck its notes name, and adds nothing', () => {
    const exported = join(t.dir, 'file-deck.apkg');
    const before = cards(db);
    const studiedAt = Date.parse(EXPORT_AT) + 3 * DAY;
    const back = throughAnki(exported, 'file-deck-renamed-in-anki', (w) => {
      const decks = JSON.parse(w.prepare('SELECT decks FROM col').pluck().get() as string) as Record<string, { name: string }>;
      for (const d of Object.values(decks)) if (d.name === DECK) d.name = 'Spanish on the phone';
      w.prepare('UPDATE col SET decks = ?').run(JSON.stringify(decks));
      const card = w.prepare('SELECT c.id FROM cards c JOIN notes n ON n.id = c.nid WHERE n.guid = ? AND c.ord = 0').pluck().get(`recall:${DECK}:hola`) as number;
      w.prepare('INSERT INTO revlog (id, cid, usn, ease, ivl, lastIvl, factor, time, type) VALUES (?, ?, -1, 3, 4, 1, 2500, 5000, 1)').run(studiedAt, card);
    });
    const r = runJson<any>(['--db', db, 'import', back], { RECALL_NOW: new Date(studiedAt + HOUR).toISOString() });
    expect(r).toMatchObject({ cardsAdded: 0, reviewsImported: 1, decks: [DECK] });
    const after = cards(db);
    expect(after.map((c) => c.uid)).toEqual(before.map((c) => c.uid));
    expect(after.find((c) => c.uid === 'hola')!.answers).toBe(before.find((c) => c.uid === 'hola')!.answers + 1);
    const check = new Database(db, { readonly: true });
    try {
      expect(check.prepare('SELECT count(*) FROM decks WHERE name = ?').pluck().get('Spanish on the phone')).toBe(0);
    } finally {
      check.close();
    }
  });

  it('a package back from Anki into a deck whose name now differs only in case is refused, as any such import', () => {
    const exported = join(t.dir, 'file-deck.apkg');
    recall(db, ['deck', 'rename', DECK, DECK.toUpperCase(), '--json']);
    try {
      const back = throughAnki(exported, 'file-deck-case', () => {});
      const r = runCli(['--db', db, 'import', back, '--json'], { RECALL_NOW: EXPORT_AT });
      expect(r.code).toBe(2);
      expect(JSON.parse(r.stderr).error.code).toBe('deck-name-case');
    } finally {
      recall(db, ['deck', 'rename', DECK.toUpperCase(), DECK, '--json']);
    }
  });
});
