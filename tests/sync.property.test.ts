// Property: whatever two or three devices do apart (answers, undo, suspend/bury/forget/set-due, moves, edits, new
// cards, settings, and on d0, which has the decks from its deck files, edits in those files) and in whatever order
// they sync (with each other's files, with a shared file, with a PostgreSQL hub), once each has synced with the hub
// twice they all hold the same log, the same settings and the same schedules and flags, each the replay of that
// union (doctor clean); d0's deck files hold what the databases hold (reading them again changes nothing); and one
// more round of syncs changes nothing.
// PROP_RUNS / PROP_PG_RUNS / PROP_SEED run more cases or other seeds locally.
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyCardAction, type CardActionRequest } from '../src/app/card-actions.js';
import { openContext } from '../src/app/context.js';
import { rescheduleAll } from '../src/app/maintenance.js';
import { importPaths } from '../src/app/import.js';
import { syncWith } from '../src/app/log-sync.js';
import { entryText, replaceEntryAt } from '../src/decks/edit.js';
import { parseDeck } from '../src/decks/parse.js';
import { undoLast } from '../src/app/undo.js';
import { totalCount } from '../src/core/sync.js';
import type { Grade } from '../src/core/types.js';
import { tempDir } from './helpers/cli.js';
import { DAY, T0, answer, doctorClean, openDevice, snapshot, writeDecks, type Device } from './helpers/devices.js';
import { pgBinDir, startPg, type PgServer } from './helpers/pg.js';

type Op =
  | { op: 'answer'; dev: number; card: number; grade: Grade }
  | { op: 'undo'; dev: number }
  | { op: 'action'; dev: number; card: number; kind: 'suspend' | 'unsuspend' | 'bury' | 'unbury' | 'forget' | 'set-due'; days: number }
  | { op: 'move'; dev: number; card: number; deck: number }
  | { op: 'edit'; dev: number; card: number; text: string }
  | { op: 'add'; dev: number; deck: number }
  /** On d0, which has the deck files: an entry's answer changed in the file, then the file read again. */
  | { op: 'file-edit'; dev: number; deck: number; card: number; text: string }
  | { op: 'setting'; dev: number; key: 'desiredRetention' | 'maximumInterval' | 'newPerDay'; pick: number }
  | { op: 'wait'; dev: number; ms: number }
  | { op: 'sync'; dev: number; with: number | 'hub' | 'shared' };

const SETTING_VALUES = { desiredRetention: [0.85, 0.9, 0.95], maximumInterval: [30, 365, 36500], newPerDay: [5, 20, 100] } as const;

const opArb = (devices: number, cards: number): fc.Arbitrary<Op> => {
  const dev = fc.integer({ min: 0, max: devices - 1 });
  const card = fc.integer({ min: 0, max: cards - 1 });
  return fc.oneof(
    { weight: 6, arbitrary: fc.record({ op: fc.constant('answer' as const), dev, card, grade: fc.constantFrom<Grade>(1, 2, 3, 4) }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('undo' as const), dev }) },
    {
      weight: 3,
      arbitrary: fc.record({
        op: fc.constant('action' as const), dev, card,
        kind: fc.constantFrom('suspend' as const, 'unsuspend' as const, 'bury' as const, 'unbury' as const, 'forget' as const, 'set-due' as const),
        days: fc.integer({ min: 0, max: 20 }),
      }),
    },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('move' as const), dev, card, deck: fc.integer({ min: 0, max: 1 }) }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('edit' as const), dev, card, text: fc.constantFrom('red', 'green', 'tab\there', 'back\\slash', 'new\nline', 'é ✓ \\N') }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('add' as const), dev, deck: fc.integer({ min: 0, max: 1 }) }) },
    {
      weight: 2,
      arbitrary: fc.record({ op: fc.constant('file-edit' as const), dev: fc.constant(0), deck: fc.integer({ min: 0, max: 1 }), card, text: fc.constantFrom('in file', 'from the file', 'file ✓') }),
    },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('setting' as const), dev, key: fc.constantFrom('desiredRetention' as const, 'maximumInterval' as const, 'newPerDay' as const), pick: fc.integer({ min: 0, max: 2 }) }) },
    { weight: 3, arbitrary: fc.record({ op: fc.constant('wait' as const), dev, ms: fc.oneof(fc.integer({ min: 1, max: 20 * 60_000 }), fc.integer({ min: DAY / 2, max: 9 * DAY })) }) },
    { weight: 3, arbitrary: fc.record({ op: fc.constant('sync' as const), dev, with: fc.oneof(fc.constant('hub' as const), fc.constant('shared' as const), fc.integer({ min: 0, max: devices - 1 })) }) },
  );
};

const env = { RECALL_NOW: new Date(T0).toISOString() };

describe('sync: any histories, any sync order, one result', () => {
  let root: { dir: string; cleanup: () => void };
  let template: string;
  let emptyTemplate: string;
  let pg: PgServer | null = null;
  beforeAll(() => {
    root = tempDir('recall-sync-prop-');
    const decks = writeDecks(root.dir, 4);
    const t = openDevice(root.dir, 'template', decks);
    t.close();
    template = t.db;
    const e = openContext({ db: join(root.dir, 'empty.db'), env });
    e.store.close();
    emptyTemplate = join(root.dir, 'empty.db');
    if (pgBinDir()) pg = startPg();
  });
  afterAll(() => {
    pg?.destroy();
    root?.cleanup();
  });

  let run = 0;
  async function check(devices: number, ops: Op[], hubKind: 'file' | 'postgres') {
    run++;
    const t = tempDir('recall-sync-run-');
    try {
      const devs: Device[] = [];
      for (let i = 0; i < devices; i++) {
        const db = join(t.dir, `d${i}.db`);
        copyFileSync(template, db);
        const d = openDevice(t.dir, `d${i}`, []);
        d.at(T0 + (i % 2) * 3);
        devs.push(d);
        // d0 has the decks from its own copy of the deck files (the file is their truth there: the merge's changes
        // are written into it); the other devices hold them only in their databases.
        d.ctx.store.transaction(() => {
          for (const deck of d.ctx.store.decks().filter((x) => x.origin === 'file')) {
            let path: string | null = null;
            if (i === 0) {
              path = join(t.dir, basename(deck.path!));
              copyFileSync(deck.path!, path);
            }
            d.ctx.store.upsertDeck({ ...deck, path }, T0);
          }
        });
      }
      const shared = join(t.dir, 'shared.db');
      copyFileSync(emptyTemplate, shared);
      let hub = join(t.dir, 'hub.db');
      if (hubKind === 'postgres') {
        const name = `prop${run}`;
        pg!.createDatabase(name);
        hub = pg!.url(name);
      } else copyFileSync(emptyTemplate, hub);
      const decks = devs[0]!.ctx.store.decks().filter((d) => d.name === 'Alpha' || d.name === 'Beta');
      let added = 0;
      const cardsOf = (d: Device) => d.ctx.store.allCardIds();
      for (const o of ops) {
        const d = devs[o.dev]!;
        const ctx = d.ctx;
        // Each command opens the database afresh: another device's sync may have written settings into this file.
        ctx.reloadSettings();
        // One millisecond per command: rows of one card on one instant, on one device and across devices, are common.
        d.at(d.now + 1);
        const ids = cardsOf(d);
        const pick = (i: number) => ids[i % ids.length]!;
        switch (o.op) {
          case 'answer':
            answer(d, pick(o.card), o.grade);
            break;
          case 'undo':
            undoLast(ctx);
            break;
          case 'action': {
            const req: CardActionRequest = o.kind === 'set-due' ? { kind: 'set-due', days: o.days } : { kind: o.kind };
            applyCardAction(ctx, [pick(o.card)], req);
            break;
          }
          case 'move': {
            const deck = ctx.store.decks().find((x) => x.uid === decks[o.deck]!.uid)!;
            applyCardAction(ctx, [pick(o.card)], { kind: 'move', deckId: deck.id });
            break;
          }
          case 'edit': {
            const id = pick(o.card);
            const card = ctx.store.getCard(id)!;
            const before = { uid: card.uid, noteUid: card.noteUid, content: JSON.stringify(card.content) };
            const content = { ...card.content, front: `${(card.content as { front: string }).front} ${o.text}` };
            ctx.store.transaction(() => {
              const actionUid = ctx.store.beginAction('edit', d.now, { cardId: id });
              ctx.store.appendEvent(id, { kind: 'edit', before, after: { ...before, content: JSON.stringify(content) } }, { at: d.now, day: ctx.day(d.now), actionUid });
            });
            break;
          }
          case 'add': {
            const deck = ctx.store.decks().find((x) => x.uid === decks[o.deck]!.uid)!;
            const uid = `${d.name}-new${added++}`;
            ctx.store.transaction(() => ctx.store.insertCard(deck.id, { uid, noteUid: uid, content: { type: 'basic', front: `new ${uid}`, back: 'b' } }, 1000 + added, d.now));
            break;
          }
          case 'file-edit': {
            const deck = ctx.store.decks().find((x) => x.uid === decks[o.deck]!.uid)!;
            const text = readFileSync(deck.path!, 'utf8');
            const parsed = parseDeck(text, deck.path!);
            const note = parsed.notes[o.card % parsed.notes.length];
            if (!note || note.body.type !== 'basic') break;
            const entry = entryText({ ...note, body: { ...note.body, back: `${note.body.back} ${o.text}` } });
            writeFileSync(deck.path!, replaceEntryAt(text, parsed.notes.map((n) => n.line), note.line, entry));
            importPaths(ctx, [deck.path!]);
            break;
          }
          case 'setting': {
            ctx.store.transaction(() => {
              ctx.store.setSetting(o.key, SETTING_VALUES[o.key][o.pick], d.now);
              ctx.reloadSettings();
              rescheduleAll(ctx);
            });
            break;
          }
          case 'wait':
            d.at(d.now + o.ms);
            break;
          case 'sync': {
            const target = o.with === 'hub' ? hub : o.with === 'shared' ? shared : devs[o.with]!.db;
            if (target === d.db) break;
            // Half the hub runs send every push as COPY text, the path a large push takes.
            await syncWith(ctx, target, { env, pageSize: 7, copyAbove: run % 2 ? undefined : 0 });
            break;
          }
        }
      }
      // Converge: every device syncs with the hub, twice round (the first round's last device has everything).
      for (let round = 0; round < 2; round++) {
        for (const d of devs) {
          d.ctx.reloadSettings();
          await syncWith(d.ctx, hub, { env, pageSize: 7 });
        }
      }
      // d0's deck files hold what its database holds: they are valid, and reading them again changes nothing.
      for (const deck of devs[0]!.ctx.store.decks().filter((x) => x.origin === 'file' && x.path)) {
        expect(parseDeck(readFileSync(deck.path!, 'utf8'), deck.path!).diagnostics).toEqual([]);
        const r = importPaths(devs[0]!.ctx, [deck.path!]);
        expect(r, `reading ${deck.path} again`).toMatchObject({ cardsAdded: 0, cardsUpdated: 0, cardsRemoved: 0 });
      }
      const first = snapshot(devs[0]!.db);
      for (const d of devs) {
        expect(snapshot(d.db), `${d.name} differs from d0`).toEqual(first);
        expect(doctorClean(d.ctx), `${d.name}: derived state is not the replay of its log`).toEqual({ schedules: [], flags: [] });
      }
      if (hubKind === 'file') {
        const h = openContext({ db: hub, env, peer: true });
        try {
          expect(snapshot(hub)).toEqual(first);
          expect(doctorClean(h)).toEqual({ schedules: [], flags: [] });
        } finally {
          h.store.close();
        }
      }
      // One more round changes nothing.
      for (const d of devs) {
        const s = await syncWith(d.ctx, hub, { env, pageSize: 7 });
        expect(totalCount(s.pushed) + totalCount(s.pulled), `${d.name}: a sync after convergence moved rows`).toBe(0);
        expect(s.rescheduled).toBe(0);
      }
      for (const d of devs) expect(snapshot(d.db)).toEqual(first);
      for (const d of devs) d.close();
    } finally {
      t.cleanup();

    }
  }

  it('through files (a shared file, each other\'s files)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 2, max: 3 }).chain((n) => fc.tuple(fc.constant(n), fc.array(opArb(n, 10), { minLength: 5, maxLength: 40 }))), async ([n, ops]) => {
        await check(n, ops, 'file');
      }),
      { numRuns: Number(process.env.PROP_RUNS ?? 40), seed: Number(process.env.PROP_SEED ?? 15), endOnFailure: true },
    );
  }, 240_000);

  it.skipIf(!pgBinDir())('through a PostgreSQL hub', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 2, max: 3 }).chain((n) => fc.tuple(fc.constant(n), fc.array(opArb(n, 10), { minLength: 5, maxLength: 30 }))), async ([n, ops]) => {
        await check(n, ops, 'postgres');
      }),
      { numRuns: Number(process.env.PROP_PG_RUNS ?? 8), seed: Number(process.env.PROP_SEED ?? 16), endOnFailure: true },
    );
  }, 240_000);
});
