// recall sync through the use case: two devices that studied apart end with one log and one schedule per card, by a
// file target and by a real PostgreSQL hub; a second sync changes nothing.
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { applyCardAction } from '../src/app/card-actions.js';
import { importPaths } from '../src/app/import.js';
import { syncWith } from '../src/app/log-sync.js';
import { totalCount } from '../src/core/sync.js';
import { tempDir } from './helpers/cli.js';
import { DAY, T0, answer, cardIdByGuid, doctorClean, openDevice, snapshot, writeDecks, type Device } from './helpers/devices.js';
import { PG_MISSING_MESSAGE, pgBinDir, startPg, type PgServer } from './helpers/pg.js';

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.reverse()) c();
  cleanups = [];
});

function pair() {
  const t = tempDir('recall-sync-');
  cleanups.push(t.cleanup);
  const decks = writeDecks(t.dir);
  const a = openDevice(t.dir, 'a', decks);
  const b = openDevice(t.dir, 'b', decks);
  cleanups.push(() => a.close(), () => b.close());
  return { dir: t.dir, a, b };
}

function studyApart(a: Device, b: Device) {
  const g = (d: Device, i: number) => cardIdByGuid(d.ctx, `file:Alpha/alpha${i}`);
  a.at(T0 + 1000);
  answer(a, g(a, 0), 3);
  answer(a, g(a, 1), 1);
  b.at(T0 + 2000);
  answer(b, g(b, 1), 3);
  answer(b, g(b, 2), 4);
  applyCardAction(b.ctx, [g(b, 3)], { kind: 'suspend' });
}

const env = { RECALL_NOW: new Date(T0).toISOString() };

/** The uids of a database's imported answers. */
function reviewUids(db: string): string[] {
  const conn = new Database(db, { readonly: true });
  try {
    return conn.prepare("SELECT uid FROM reviews WHERE kind = 'import'").pluck().all() as string[];
  } finally {
    conn.close();
  }
}

describe('sync with a database file', () => {
  it('merges both ways, and a second sync changes nothing', async () => {
    const { a, b } = pair();
    studyApart(a, b);
    const s1 = await syncWith(a.ctx, b.db, { env });
    expect(s1.pushed.reviews).toBe(2);
    expect(s1.pulled.reviews).toBe(2);
    expect(s1.pulled.events).toBe(1);
    expect(snapshot(a.db)).toEqual(snapshot(b.db));
    expect(doctorClean(a.ctx)).toEqual({ schedules: [], flags: [] });
    expect(doctorClean(b.ctx)).toEqual({ schedules: [], flags: [] });
    const s2 = await syncWith(a.ctx, b.db, { env });
    expect(totalCount(s2.pushed) + totalCount(s2.pulled)).toBe(0);
    const s3 = await syncWith(b.ctx, a.db, { env });
    expect(totalCount(s3.pushed) + totalCount(s3.pulled)).toBe(0);
  });
});

describe('merge rules', () => {
  const edit = (d: Device, guid: string, front: string) => {
    const id = cardIdByGuid(d.ctx, guid);
    const card = d.ctx.store.getCard(id)!;
    const before = { uid: card.uid, noteUid: card.noteUid, content: JSON.stringify(card.content) };
    const after = { ...before, content: JSON.stringify({ ...card.content, front }) };
    d.ctx.store.transaction(() => {
      const actionUid = d.ctx.store.beginAction('edit', d.now, { cardId: id });
      d.ctx.store.appendEvent(id, { kind: 'edit', before, after }, { at: d.now, day: d.ctx.day(d.now), actionUid });
    });
  };
  const front = (d: Device, guid: string) => (d.ctx.store.getCard(cardIdByGuid(d.ctx, guid))!.content as { front: string }).front;

  it('the same card edited on two devices apart: the later edit wins everywhere, the other stays in its history', async () => {
    const { a, b } = pair();
    const guid = 'file:Alpha/alpha2';
    b.at(T0 + 5000);
    edit(b, guid, 'later, on B');
    a.at(T0 + 1000);
    edit(a, guid, 'earlier, on A');
    const s = await syncWith(a.ctx, b.db, { env });
    expect(s.editsResolved).toBe(1);
    b.ctx.reloadSettings();
    expect(front(a, guid)).toBe('later, on B');
    expect(front(b, guid)).toBe('later, on B');
    for (const d of [a, b]) {
      const edits = d.ctx.store.cardEvents(cardIdByGuid(d.ctx, guid)).filter((e) => e.data.kind === 'edit');
      expect(edits.map((e) => (e.data.kind === 'edit' ? JSON.parse(e.data.after.content).front : null))).toEqual(['earlier, on A', 'later, on B']);
    }
  });

  it('a card removed on one device and answered on the other stays removed, with every review kept', async () => {
    const { a, b } = pair();
    const guid = 'file:Alpha/alpha4';
    a.at(T0 + 1000);
    a.ctx.store.transaction(() => a.ctx.store.appendEvent(cardIdByGuid(a.ctx, guid), { kind: 'remove' }, { at: a.now, day: a.ctx.day(a.now) }));
    b.at(T0 + 9000);
    answer(b, cardIdByGuid(b.ctx, guid), 3);
    answer(b, cardIdByGuid(b.ctx, guid), 3);
    await syncWith(b.ctx, a.db, { env });
    for (const d of [a, b]) {
      const card = d.ctx.store.getCard(cardIdByGuid(d.ctx, guid))!;
      expect(card.removed).toBe(true);
      expect(d.ctx.store.cardLog(card.id)).toHaveLength(2);
      expect(card.schedule?.reps).toBe(2);
    }
    expect(snapshot(a.db)).toEqual(snapshot(b.db));
  });

  it('settings: the last writer per key wins, whatever the order of syncs; a deletion is a write too', async () => {
    const { a, b } = pair();
    a.ctx.store.transaction(() => a.ctx.store.setSetting('desiredRetention', 0.85, T0 + 10));
    b.ctx.store.transaction(() => b.ctx.store.setSetting('desiredRetention', 0.95, T0 + 20));
    b.ctx.store.transaction(() => b.ctx.store.setSetting('presetX', { w: [1, 2] }, T0 + 5));
    await syncWith(b.ctx, a.db, { env });
    expect(a.ctx.store.getSetting('presetX')).toEqual({ w: [1, 2] });
    a.ctx.store.transaction(() => a.ctx.store.setSetting('presetX', undefined, T0 + 30));
    b.ctx.store.transaction(() => b.ctx.store.setSetting('presetX', { w: [3] }, T0 + 25));
    await syncWith(a.ctx, b.db, { env });
    for (const d of [a, b]) {
      expect(d.ctx.store.getSetting('desiredRetention')).toBe(0.95);
      expect(d.ctx.store.getSetting('presetX')).toBeUndefined();
    }
  });

  it('the same Anki history imported on two devices is one set of rows: its answers have the same uids, and a sync moves none', async () => {
    const { a, b } = pair();
    const kanji = 'tests/fixtures/anki-kanjiplot/collection.anki2';
    importPaths(a.ctx, [kanji]);
    importPaths(b.ctx, [kanji]);
    const uids = (d: Device) => new Set(reviewUids(d.db));
    const ua = uids(a);
    expect(ua.size).toBeGreaterThan(1000);
    expect(uids(b)).toEqual(ua);
    const s = await syncWith(a.ctx, b.db, { env });
    expect(s.pushed.reviews + s.pulled.reviews).toBe(0);
    expect(uids(a)).toEqual(ua);
    expect(doctorClean(a.ctx)).toEqual({ schedules: [], flags: [] });
  });

  it('an imported answer keeps its source key in its uid alone, and still meets the same answer stored the older way (key in source_key, random uid): one row, in a sync and in a second import', async () => {
    const { dir, a, b } = pair();
    const decks = writeDecks(dir);
    const kanji = 'tests/fixtures/anki-kanjiplot/collection.anki2';
    importPaths(a.ctx, [kanji]);
    importPaths(b.ctx, [kanji]);
    const raw = (db: string, q: string) => {
      const conn = new Database(db);
      try {
        return conn.prepare(q).all() as Record<string, unknown>[];
      } finally {
        conn.close();
      }
    };
    // Written once: the key is the uid, source_key stays NULL; reads give it back as the source key.
    expect(raw(a.db, "SELECT count(*) AS n FROM reviews WHERE kind = 'import' AND source_key IS NOT NULL")[0]!.n).toBe(0);
    const [first] = raw(a.db, "SELECT card_id AS cardId, uid FROM reviews WHERE kind = 'import' ORDER BY id LIMIT 1") as { cardId: number; uid: string }[];
    expect(first!.uid).toMatch(/^anki:.+:\d+:\d+$/);
    expect(a.ctx.store.cardLog(first!.cardId).map((r) => r.sourceKey)).toContain(first!.uid);
    // b holds the same answers as recall wrote them before: a random uid each, the key in source_key.
    raw(b.db, "UPDATE reviews SET source_key = uid, uid = 'old' || id WHERE kind = 'import' RETURNING id");
    const before = { a: reviewUids(a.db).length, b: reviewUids(b.db).length };
    expect(before.a).toBeGreaterThan(1000);
    expect(before.b).toBe(before.a);
    const s = await syncWith(a.ctx, b.db, { env });
    expect(s.pushed.reviews + s.pulled.reviews).toBe(0);
    importPaths(a.ctx, [kanji]);
    importPaths(b.ctx, [kanji]);
    expect({ a: reviewUids(a.db).length, b: reviewUids(b.db).length }).toEqual(before);
    expect(doctorClean(a.ctx)).toEqual({ schedules: [], flags: [] });
    expect(doctorClean(b.ctx)).toEqual({ schedules: [], flags: [] });
    // A third device gets the rows as an import writes them (key in the uid alone), and one of each from both sides.
    const c = openDevice(dir, 'c', decks);
    cleanups.push(() => c.close());
    await syncWith(c.ctx, a.db, { env });
    await syncWith(c.ctx, b.db, { env });
    expect(reviewUids(c.db).length).toBe(before.a);
    expect(raw(c.db, "SELECT count(*) AS n FROM reviews WHERE kind = 'import' AND source_key IS NOT NULL")[0]!.n).toBe(0);
    expect(c.ctx.store.cardLog(cardIdByGuid(c.ctx, raw(c.db, `SELECT guid FROM cards WHERE id = ${first!.cardId}`)[0]!.guid as string)).map((r) => r.sourceKey)).toContain(first!.uid);
  });

  it('a database file copied to another place gets its own device id; the original keeps its id', () => {
    const { dir, a } = pair();
    const id = a.ctx.store.deviceId;
    a.close();
    const copy = join(dir, 'copied.db');
    copyFileSync(a.db, copy);
    const c = openDevice(dir, 'copied', []);
    const again = openDevice(dir, 'a', []);
    try {
      expect(c.ctx.store.deviceId).not.toBe(id);
      expect(c.ctx.store.deviceId).toMatch(/^[0-9a-f]{16}$/);
      expect(again.ctx.store.deviceId).toBe(id);
    } finally {
      c.close();
      again.close();
    }
  });
});

describe.skipIf(!pgBinDir())('sync with a PostgreSQL hub', () => {
  let pg: PgServer;
  beforeAll(() => {
    pg = startPg();
    pg.createDatabase('hub');
  });
  afterAll(() => pg?.destroy());

  it('merges two devices through the hub, and a second sync changes nothing', async () => {
    const { a, b } = pair();
    studyApart(a, b);
    const url = pg.url('hub');
    const s1 = await syncWith(a.ctx, url, { env });
    expect(s1.pushed.reviews).toBe(2);
    const s2 = await syncWith(b.ctx, url, { env });
    expect(s2.pulled.reviews).toBe(2);
    const s3 = await syncWith(a.ctx, url, { env });
    expect(s3.pulled.reviews).toBe(2);
    expect(snapshot(a.db)).toEqual(snapshot(b.db));
    expect(doctorClean(a.ctx)).toEqual({ schedules: [], flags: [] });
    for (const d of [a, b]) {
      const again = await syncWith(d.ctx, url, { env });
      expect(totalCount(again.pushed) + totalCount(again.pulled)).toBe(0);
    }
    void DAY;
  });

  it("a large push and pull go as COPY text: tabs, newlines, backslashes, control characters and \\N in names and content arrive intact", async () => {
    const { a, b } = pair();
    studyApart(a, b);
    const odd = 'tab\there\nnew line\\ back \\N end é ✓ \b\f\v \r\n 😀';
    a.ctx.store.transaction(() => {
      const deck = a.ctx.store.upsertDeck({ name: `Odd ${odd}`, description: odd, source: '', origin: 'file', path: null, fileHash: null }, T0);
      a.ctx.store.insertCard(deck, { uid: `u${odd}`, noteUid: odd, content: { type: 'basic', front: odd, back: odd }, tags: [odd] }, 1, T0);
    });
    pg.createDatabase('copyhub');
    const url = pg.url('copyhub');
    await syncWith(a.ctx, url, { env, copyAbove: 0, pageSize: 3 });
    await syncWith(b.ctx, url, { env, copyAbove: 0, pageSize: 3 });
    await syncWith(a.ctx, url, { env, copyAbove: 0 });
    expect(snapshot(b.db)).toEqual(snapshot(a.db));
    expect(Object.values(snapshot(b.db).decks).some((d) => (d as { description: string }).description === odd)).toBe(true);
  });
});

if (!pgBinDir()) console.warn(PG_MISSING_MESSAGE);
