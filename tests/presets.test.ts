// Per-deck presets, leeches, hidden decks and search-filtered sessions, through the use cases on a real database:
// each deck's limits apply within a session, the old deckParameters setting becomes presets on upgrade, steps in
// seconds are scheduled to the second, a lapse that makes a leech tags (and may suspend) the card in the answer's
// own action, and hidden decks leave sessions and quizzes.
import Database from 'better-sqlite3';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { commitAnswer, drawCard } from '../src/app/answer.js';
import { applyCardAction } from '../src/app/card-actions.js';
import { openContext, type Context } from '../src/app/context.js';
import { hideDeck } from '../src/app/deck-admin.js';
import { resolveDeck, resolveDeckIds } from '../src/app/decks.js';
import { importPaths } from '../src/app/import.js';
import { findScheduleMismatches } from '../src/app/maintenance.js';
import { setOption } from '../src/app/options.js';
import { startQuiz } from '../src/app/quiz.js';
import { resolveSearch, searchCardIds } from '../src/app/search.js';
import { openStudy, type Study } from '../src/app/study.js';
import { undoLast } from '../src/app/undo.js';
import '../src/app/undo-hooks.js';
import { leechThresholdMet } from '../src/core/leech.js';
import { DEFAULT_SETTINGS } from '../src/core/types.js';
import { createScheduler } from '../src/scheduler/index.js';
import { MIGRATIONS } from '../src/store/migrations.js';
import { buildStatsReport } from '../src/cli/commands/stats.js';
import { tempDir } from './helpers/cli.js';

const T0 = Date.parse('2026-03-10T09:00:00Z');
const MIN = 60_000;
const DAY = 86_400_000;

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.reverse()) c();
  cleanups = [];
});

/** A database with decks of `n` basic cards each, UTC days and a movable clock. */
function setup(decks: Record<string, number>) {
  const t = tempDir('recall-presets-');
  cleanups.push(t.cleanup);
  const files = Object.entries(decks).map(([name, n]) => {
    const f = join(t.dir, `${name.replace(/\W/g, '_')}.deck`);
    writeFileSync(f, `deck: ${name}\n\n${Array.from({ length: n }, (_, i) => `--- basic ${name.replace(/\W/g, '')}${i}\nQ: ${name} question ${i}\nA: answer ${i}\n`).join('\n')}`);
    return f;
  });
  let now = T0;
  const db = join(t.dir, 'r.db');
  const ctx = openContext({ db, env: { RECALL_NOW: new Date(T0).toISOString() } });
  ctx.clock = () => now;
  cleanups.push(() => ctx.store.close());
  ctx.store.transaction(() => ctx.store.setSetting('timeZone', 'UTC'));
  ctx.reloadSettings();
  importPaths(ctx, files);
  return { ctx, db, dir: t.dir, files, at: (ms: number) => void (now = ms), now: () => now };
}

/** Draws and answers until the session has nothing more; returns the decks of the cards shown, in order. */
function drain(ctx: Context, study: Study, grade: 1 | 2 | 3 | 4 = 3): string[] {
  const shown: string[] = [];
  for (let n = study.next(); n.kind === 'card'; n = study.next()) {
    shown.push(n.drawn.card.deckName);
    study.answer(n.drawn, grade, { durationMs: 1000 });
    if (shown.length > 500) throw new Error('runaway session');
  }
  return shown;
}

describe('per-deck limits within a session', () => {
  it("each deck's preset limits its share; the global limits cap the session; ending says which deck held cards back", () => {
    const { ctx } = setup({ A: 10, B: 10 });
    setOption(ctx, 'newPerDay', 3, { deck: 'A' });
    setOption(ctx, 'learningSteps', [], {}); // new cards graduate at once, so each is shown once
    const study = openStudy(ctx, { deckIds: null });
    const shown = drain(ctx, study);
    expect(shown.filter((d) => d === 'A')).toHaveLength(3);
    // B uses the global settings: 20 new cards a day, but only 10 exist... and the session total is capped at 20.
    expect(shown.filter((d) => d === 'B')).toHaveLength(10);
    const end = study.next();
    expect(end.kind).toBe('done');
    if (end.kind !== 'done') return;
    expect(end.end.deckLimits).toEqual([{ deck: 'A', preset: 'A', reviews: 0, news: 7, limits: { newPerDay: 3, reviewsPerDay: 200 } }]);
    expect(end.end.heldBack.news).toBe(7);
  });

  it('the session total is the global limit when studying everything, and the named deck\'s when one deck is studied', () => {
    const { ctx } = setup({ A: 10, B: 10 });
    setOption(ctx, 'learningSteps', [], {});
    setOption(ctx, 'newPerDay', 4, {});
    setOption(ctx, 'newPerDay', 8, { deck: 'A' });
    // Everything: at most 4 new cards in all, whatever A's own limit.
    expect(drain(ctx, openStudy(ctx, { deckIds: null }))).toHaveLength(4);
    // A alone: its own limit, 8, minus what it already gave today.
    const a = resolveDeck(ctx, 'A');
    const doneInA = ctx.store.doneByDeck(ctx.day(ctx.clock())).get(a.id)?.newDone ?? 0;
    const shownA = drain(ctx, openStudy(ctx, { deckIds: resolveDeckIds(ctx, ['A']), rootDeckId: a.id }));
    expect(shownA).toHaveLength(8 - doneInA);
  });
});

describe('presets schedule their decks', () => {
  it('a preset value reschedules that preset\'s cards by replay; undo replays them back', () => {
    const { ctx, at } = setup({ A: 2, B: 2 });
    for (const id of ctx.store.allCardIds()) {
      const c = ctx.store.getCard(id)!;
      if (c.schedule === null || c.schedule.state === 0) commitAnswer(ctx, drawCard(ctx, c), 4, { durationMs: 1000 });
    }
    at(T0 + 10 * DAY);
    const before = new Map(ctx.store.allCardIds().map((id) => [id, ctx.store.getCard(id)!.schedule!.due]));
    const r = setOption(ctx, 'desiredRetention', 0.8, { deck: 'A' });
    expect(r.rescheduled).toBe(2);
    const a = resolveDeck(ctx, 'A').id;
    for (const id of ctx.store.allCardIds()) {
      const c = ctx.store.getCard(id)!;
      if (c.deckId === a) expect(c.schedule!.due).toBeGreaterThan(before.get(id)!);
      else expect(c.schedule!.due).toBe(before.get(id));
    }
    expect(findScheduleMismatches(ctx)).toEqual([]);
    undoLast(ctx);
    for (const id of ctx.store.allCardIds()) expect(ctx.store.getCard(id)!.schedule!.due).toBe(before.get(id));
    expect(ctx.presetOf(a)).toBeNull();
  });

  it('learning steps in seconds are kept to the second; whole-minute steps schedule exactly as before', () => {
    const exact = createScheduler({ ...DEFAULT_SETTINGS, enableFuzz: false, timeZone: 'UTC', learningSteps: ['30s', '5m'], relearningSteps: ['45s'] });
    const p = exact.preview(null, T0);
    expect(p[1].schedule.due - T0).toBe(30_000);
    expect(p[2].schedule.due - T0).toBe(165_000); // the mean of the first two steps
    expect(p[3].schedule.due - T0).toBe(5 * MIN);
    const second = exact.preview(p[3].schedule, T0 + 5 * MIN);
    expect(second[1].schedule.due - (T0 + 5 * MIN)).toBe(30_000);
    const plain = createScheduler({ ...DEFAULT_SETTINGS, enableFuzz: false, timeZone: 'UTC' });
    const q = plain.preview(null, T0);
    expect([1, 2, 3].map((g) => (q[g as 1 | 2 | 3].schedule.due - T0) / MIN)).toEqual([1, 6, 10]);
    // Replay gives back exactly what was shown.
    const log = [{ rating: 3 as const, reviewedAt: T0, day: 0 }, { rating: 1 as const, reviewedAt: T0 + 5 * MIN, day: 0 }];
    expect(exact.replay(log).schedule).toEqual(exact.answer(p[3].schedule, T0 + 5 * MIN, 1, {}).schedule);
  });
});

describe('upgrading a database with per-deck parameters', () => {
  it('turns deckParameters into a preset per deck, used by that deck', () => {
    const { ctx, db } = setup({ Spanish: 1, Default: 1 });
    ctx.store.close();
    const w = Array.from({ length: 21 }, (_, i) => 0.1 + i / 100);
    // As a schema-6 database had it: one setting, deck name -> parameters; then migration 9 runs on it (by hand: the
    // later migrations are not made to run twice).
    const conn = new Database(db);
    conn.prepare("INSERT INTO settings(key, value) VALUES ('deckParameters', ?)").run(JSON.stringify({ Spanish: w, Default: w, Gone: w }));
    conn.exec(MIGRATIONS[8]!);
    conn.close();
    const after = openContext({ db, env: { RECALL_NOW: new Date(T0).toISOString() } });
    try {
      expect(after.store.getSetting('deckParameters')).toBeUndefined();
      const spanish = resolveDeck(after, 'Spanish').id;
      const dflt = resolveDeck(after, 'Default').id;
      expect(after.presetOf(spanish)).toBe('Spanish');
      expect(after.optionsFor(spanish).parameters).toEqual(w);
      // "default" is the global settings' name: that deck's preset is "Default deck".
      expect(after.presetOf(dflt)).toBe('Default deck');
      expect([...after.presets().keys()].sort()).toEqual(['Default deck', 'Gone', 'Spanish']);
      expect(after.optionsFor(spanish).desiredRetention).toBe(0.9);
      expect(after.presets().get('Default deck')?.parameters).toEqual(w);
    } finally {
      after.store.close();
    }
  });
});

describe('leeches', () => {
  it('follow Anki: at the threshold, then every half threshold (rounded up)', () => {
    expect([7, 8, 9, 11, 12, 16].map((n) => leechThresholdMet(n, 8))).toEqual([false, true, false, false, true, true]);
    expect([3, 4, 5, 6, 7].map((n) => leechThresholdMet(n, 3))).toEqual([true, false, true, false, true]);
    expect(leechThresholdMet(8, 0)).toBe(false);
  });

  /** A card answered Good until it is a review card, then failed `lapses` times, each Again followed by Good. */
  function lapse(ctx: Context, at: (ms: number) => void, id: number, lapses: number, start: number) {
    let t = start;
    const answer = (g: 1 | 3) => {
      at(t);
      const r = commitAnswer(ctx, drawCard(ctx, ctx.store.getCard(id)!), g, { durationMs: 1000 });
      t = Math.max(t + MIN, ctx.store.getCard(id)!.schedule!.due);
      return r;
    };
    let last = answer(3);
    while (ctx.store.getCard(id)!.schedule!.state !== 2) last = answer(3);
    for (let i = 0; i < lapses; i++) {
      last = answer(1);
      if (i < lapses - 1) while (ctx.store.getCard(id)!.schedule!.state !== 2) answer(3);
    }
    return { result: last, time: t };
  }

  it('a lapse reaching the threshold tags the card leech (and suspends it with leechAction suspend) in the answer\'s action; undo takes both back', () => {
    const { ctx, at, files } = setup({ L: 2 });
    setOption(ctx, 'leechThreshold', 3, { deck: 'L' });
    setOption(ctx, 'leechAction', 'suspend', { deck: 'L' });
    const [id] = ctx.store.allCardIds();
    const { result } = lapse(ctx, at, id!, 3, T0);
    expect(result.ok && result.leech).toEqual({ lapses: 3, tagged: true, suspended: true });
    const card = ctx.store.getCard(id!)!;
    expect(card.content.tags).toEqual(['leech']);
    expect(card.suspended).toBe(true);
    expect(searchCardIds(ctx, 'is:leech')).toEqual([id]);
    expect(searchCardIds(ctx, 'tag:leech')).toEqual([id]);
    expect(ctx.store.leechCounts(null).get(card.deckId)).toBe(1);
    const stats = buildStatsReport(ctx, {});
    expect(stats.leeches).toBe(1);
    expect(stats.decks.find((d) => d.name === 'L')!.leeches).toBe(1);
    // One action: the answer, the tag and the suspension.
    const events = ctx.store.cardEvents(id!).filter((e) => e.actionUid === ctx.store.lastAction()!.uid);
    expect(events.map((e) => e.data.kind)).toEqual(['edit', 'suspend']);
    expect(undoLast(ctx)?.kind).toBe('answer');
    const back = ctx.store.getCard(id!)!;
    expect(back.content.tags).toBeUndefined();
    expect(back.suspended).toBe(false);
    expect(back.schedule!.lapses).toBe(2);
    expect(searchCardIds(ctx, 'is:leech')).toEqual([]);
    void files;
  });

  it('the leech tag stays through a deck-file sync while the entry is unchanged, and goes when its text changes', () => {
    const { ctx, at, files } = setup({ L: 2 });
    setOption(ctx, 'leechThreshold', 2, {});
    const [id] = ctx.store.allCardIds();
    const { result, time } = lapse(ctx, at, id!, 2, T0);
    expect(result.ok && result.leech).toEqual({ lapses: 2, tagged: true, suspended: false });
    at(time + DAY);
    // Another entry of the file changes: the file is synced again, the leech keeps its tag.
    writeFileSync(files[0]!, readFileSync(files[0]!, 'utf8').replace('answer 1', 'answer one'));
    expect(importPaths(ctx, [files[0]!])).toMatchObject({ cardsUpdated: 1, cardsUnchanged: 1 });
    expect(ctx.store.getCard(id!)!.content.tags).toEqual(['leech']);
    // The leech itself is rewritten: the tag goes, the history stays.
    writeFileSync(files[0]!, readFileSync(files[0]!, 'utf8').replace('L question 0', 'L question zero, rewritten'));
    importPaths(ctx, [files[0]!]);
    const card = ctx.store.getCard(id!)!;
    expect(card.content.tags).toBeUndefined();
    expect(card.schedule!.lapses).toBe(2);
  });

  it('the session says so: the answer result carries the leech, and a suspended leech leaves the session', () => {
    const { ctx, at } = setup({ L: 1 });
    setOption(ctx, 'leechThreshold', 1, {});
    setOption(ctx, 'leechAction', 'suspend', {});
    const [id] = ctx.store.allCardIds();
    let t = T0;
    at(t);
    const study = openStudy(ctx, { deckIds: null });
    for (let n = study.next(); n.kind === 'card'; n = study.next()) {
      const state = n.drawn.card.schedule?.state ?? 0;
      const r = study.answer(n.drawn, state === 2 ? 1 : 3, { durationMs: 1000 });
      if (r.ok && r.leech) {
        expect(r.leech).toEqual({ lapses: 1, tagged: true, suspended: true });
        expect(study.next().kind).toBe('done');
        const u = study.undo()!;
        expect(u.requeued).toBe(true);
        expect(ctx.store.getCard(id!)!.suspended).toBe(false);
        return;
      }
      t = Math.max(t + MIN, ctx.store.getCard(id!)!.schedule!.due);
      at(t);
      if (ctx.store.getCard(id!)!.schedule!.state === 2) study.studyAhead();
    }
    throw new Error('the card never lapsed');
  });
});

describe('hidden decks and search-filtered sessions', () => {
  it('hidden decks leave a session over every deck and a quiz, but are studied when named', () => {
    const { ctx } = setup({ A: 3, B: 3 });
    hideDeck(ctx, 'B', true);
    expect(new Set(drain(ctx, openStudy(ctx, { deckIds: null })))).toEqual(new Set(['A']));
    const quiz = startQuiz(ctx, { deckIds: null, count: 10, schedule: false, seed: 1 });
    const decks = new Set<string>();
    for (let q = quiz.current(); q; q = quiz.current()) {
      decks.add(q.drawn.card.deckName);
      quiz.answer(q, 3, { durationMs: 1000 });
    }
    expect(decks).toEqual(new Set(['A']));
    expect(new Set(drain(ctx, openStudy(ctx, { deckIds: resolveDeckIds(ctx, ['B']) })))).toEqual(new Set(['B']));
  });

  it('a session with a query shows only the cards it matches; so does a quiz', () => {
    const { ctx } = setup({ A: 4, B: 4 });
    applyCardAction(ctx, searchCardIds(ctx, 'deck:B "question 1"'), { kind: 'bury' });
    const query = resolveSearch(ctx, 'question 1 or question 2');
    const shown: string[] = [];
    const study = openStudy(ctx, { deckIds: null, query });
    for (let n = study.next(); n.kind === 'card'; n = study.next()) {
      shown.push(n.drawn.card.content.type === 'basic' ? n.drawn.card.content.front : '');
      study.answer(n.drawn, 4, { durationMs: 1000 });
    }
    expect(shown.sort()).toEqual(['A question 1', 'A question 2', 'B question 2']);
    const quiz = startQuiz(ctx, { deckIds: null, count: 20, schedule: false, seed: 3, query: resolveSearch(ctx, 'deck:a "question 3"') });
    expect(quiz.current()!.total).toBe(1);
    expect(quiz.current()!.drawn.card.content).toMatchObject({ front: 'A question 3' });
  });
});
