// recall sync through the use case: two devices that studied apart end with one log and one schedule per card, by a
// file target and by a real PostgreSQL hub; a second sync changes nothing.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { applyCardAction } from '../src/app/card-actions.js';
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

  it('a large push goes as COPY text: tabs, newlines, backslashes and \\N in names and content arrive intact', async () => {
    const { a, b } = pair();
    studyApart(a, b);
    const odd = 'tab\there\nnew line\\ back \\N end é ✓';
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
