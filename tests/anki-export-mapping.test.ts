// The pure mapping from recall cards, schedules and logs to Anki's rows: the cases a round trip through real
// decks may not reach (queues, ids that collide, names Anki would refuse, note types that do not fit).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AnkiOrigin, CardSpec, Schedule } from '../src/core/types.js';
import { decodeRecallRecord } from '../src/core/recall-record.js';
import { buildAnkiCollection, cardLog, stepMinutes, stripHtml, textToHtml, revlogRows, type AnkiExportInput, type AnkiExportSettings, type ExportCard, type ExportReview } from '../src/exporters/anki.js';
import { htmlToText } from '../src/importers/html.js';
import { studyDay } from '../src/scheduler/day.js';

const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const ZONE = 'Asia/Kolkata'; // UTC+05:30, no daylight saving: a day start that is not a whole hour in UTC
const DAY_START = 3;
const NOW = Date.UTC(2026, 4, 20, 12, 0); // 17:30 local
const W6 = [0.2172, 1.1771, 3.2602, 16.1507, 7.0114, 0.57, 2.0966, 0.0069, 1.5261, 0.112, 1.0178, 1.849, 0.1133, 0.3127, 2.2934, 0.2191, 3.0004, 0.7536, 0.3332, 0.1437, 0.2];

const basic = (uid: string, extra: Partial<CardSpec> = {}): CardSpec => ({ uid, noteUid: uid, content: { type: 'basic', front: `front ${uid}`, back: `back ${uid}` }, ...extra });

function card(spec: CardSpec, schedule: Schedule | null, more: Partial<ExportCard> = {}): ExportCard {
  return { spec, suspended: false, buriedUntil: null, createdAt: NOW - 30 * DAY, updatedAt: NOW - 30 * DAY, schedule, reviews: cardLog([]), ...more };
}

const sched = (s: Partial<Schedule>): Schedule => ({
  state: 2, due: NOW + 3 * DAY, stability: 12.345678, difficulty: 5.4321, elapsedDays: 0, scheduledDays: 3, learningSteps: 0, reps: 4, lapses: 1,
  lastReview: NOW - 2 * HOUR, ...s,
});

const review = (at: number, r: Partial<ExportReview>): ExportReview => ({
  reviewedAt: at, rating: 3, stateBefore: 2, stateAfter: 2, due: at + 5 * DAY, difficulty: 5, scheduledDays: 5, durationMs: 4000,
  scheduled: true, sourceState: null, day: studyDay(at, ZONE, DAY_START), ...r,
});

const BASE_SETTINGS: AnkiExportSettings = {
  desiredRetention: 0.9, maximumInterval: 36500, learningSteps: ['1m', '10m'], relearningSteps: ['10m'], newPerDay: 20, reviewsPerDay: 200, parameters: W6,
  leechThreshold: 8, leechAction: 'tag',
};

function input(cards: ExportCard[], more: Partial<AnkiExportInput> = {}): AnkiExportInput {
  return {
    now: NOW, timeZone: ZONE, dayStartHour: DAY_START, createdAt: NOW - 40 * DAY,
    settings: BASE_SETTINGS,
    deckPresets: {},
    decks: [{ name: 'Deck', description: '', cards }],
    ...more,
  };
}

const origin = (guid: string, ord: number, over: Partial<AnkiOrigin> = {}): AnkiOrigin => ({
  guid, noteId: 1_600_000_000_000, cardId: 1_600_000_000_100 + ord, ord, mod: 1_600_000_000,
  noteType: { id: 1_500_000_000_000, name: 'Basic', kind: 0, fields: ['Front', 'Back'], templates: [{ name: 'Card 1', qfmt: '{{Front}}', afmt: '{{Back}}' }], css: '', sortField: 0 },
  fields: ['<b>F</b>', 'B'], ...over,
});

describe('cards in Anki queues and units', () => {
  it('learning steps within the study day wait in seconds; a step into the next study day waits in days', () => {
    const inDay = card(basic('a'), sched({ state: 1, due: NOW + 10 * MIN, learningSteps: 1, lastReview: NOW }));
    // 17:30 local + 12 h = 05:30 the next morning, after the 03:00 day start: the next study day.
    const nextDay = card(basic('b'), sched({ state: 1, due: NOW + 12 * HOUR, learningSteps: 0, lastReview: NOW }));
    const c = buildAnkiCollection(input([inDay, nextDay]));
    const crt = c.col.crt * 1000;
    expect(c.cards[0]).toMatchObject({ type: 1, queue: 1, due: Math.round((NOW + 10 * MIN) / 1000), left: 1, ivl: 0 });
    expect(c.cards[1]).toMatchObject({ type: 1, queue: 3, left: 2 });
    expect(c.cards[1]!.due).toBe(studyDay(NOW + 12 * HOUR, ZONE, DAY_START) - studyDay(crt, ZONE, DAY_START));
    // The creation day starts at 03:00 local (21:30 UTC the day before).
    expect(new Date(crt).toISOString().slice(11, 16)).toBe('21:30');
    expect(JSON.parse(c.col.conf)).toMatchObject({ creationOffset: -330, localOffset: -330, rollover: 3 });
  });

  it('reviews are due on day numbers, with the FSRS memory state in data and the ease replayed from the log', () => {
    const log = [
      review(NOW - 20 * DAY, { stateBefore: 0, stateAfter: 1, rating: 3, due: NOW - 20 * DAY + 10 * MIN }),
      review(NOW - 20 * DAY + 10 * MIN, { stateBefore: 1, stateAfter: 2, rating: 3, scheduledDays: 2 }),
      review(NOW - 18 * DAY, { rating: 1, stateAfter: 3, due: NOW - 18 * DAY + 10 * MIN }),
      review(NOW - 18 * DAY + 10 * MIN, { stateBefore: 3, stateAfter: 2, rating: 3, scheduledDays: 1 }),
      review(NOW - 10 * DAY, { rating: 4, scheduledDays: 8 }),
      review(NOW - 2 * HOUR, { rating: 2, scheduledDays: 3 }),
    ];
    const c = buildAnkiCollection(input([card(basic('r'), sched({}), { reviews: cardLog(log) })]));
    const k = c.cards[0]!;
    // 2500 at graduation, -200 for the lapse, +150 for Easy, -150 for Hard.
    expect(k).toMatchObject({ type: 2, queue: 2, ivl: 3, factor: 2300, reps: 4, lapses: 1, left: 0 });
    expect(k.due).toBe(studyDay(NOW + 3 * DAY, ZONE, DAY_START) - studyDay(c.col.crt * 1000, ZONE, DAY_START));
    expect(JSON.parse(k.data)).toEqual({ s: 12.3457, d: 5.432, dr: 0.9, decay: 0.2, lrt: Math.floor((NOW - 2 * HOUR) / 1000) });
    expect(revlogRows(c.revlog).map((r) => [r.type, r.ease, r.ivl, r.lastIvl])).toEqual([
      [0, 3, -600, 0],
      [0, 3, 2, -600],
      [1, 1, -600, 2],
      [2, 3, 1, -600],
      [1, 4, 8, 1],
      [1, 2, 3, 8],
    ]);
    // FSRS difficulty 5 of 1-10 in Anki's revlog scale: (5 - 1) / 9 + 0.1 = 0.544.
    expect(revlogRows(c.revlog)[0]!.factor).toBe(544);
  });

  it('relearning cards keep the interval they return to; suspended and buried cards keep their queue', () => {
    const relearn = card(basic('rl'), sched({ state: 3, due: NOW + 10 * MIN, learningSteps: 0, stability: 4, lastReview: NOW }));
    const suspended = card(basic('s'), sched({}), { suspended: true });
    const buried = card(basic('b'), null, { buriedUntil: NOW + HOUR });
    const unburied = card(basic('u'), null, { buriedUntil: NOW - HOUR });
    const c = buildAnkiCollection(input([relearn, suspended, buried, unburied]));
    expect(c.cards[0]).toMatchObject({ type: 3, queue: 1, ivl: 4, left: 1, factor: 2500 });
    expect(c.cards[1]).toMatchObject({ type: 2, queue: -1 });
    expect(c.cards[2]).toMatchObject({ type: 0, queue: -3, due: 0 });
    expect(c.cards[3]).toMatchObject({ type: 0, queue: 0, due: 1 });
  });

  it("answers that did not reschedule are Anki cram rows (factor 0); a reset is a manual row", () => {
    const log = [
      review(NOW - 5 * DAY, { stateBefore: 0, stateAfter: 0, scheduled: false, rating: 4, due: NOW - 5 * DAY }),
      review(NOW - 4 * DAY, { stateBefore: 0, stateAfter: 2, rating: 4, scheduledDays: 3 }),
      review(NOW - 3 * DAY, { rating: 0, stateAfter: 0, due: NOW - 3 * DAY }),
      review(NOW - 2 * DAY, { rating: 0, stateBefore: 0, stateAfter: 2, due: NOW - 2 * DAY + 6 * DAY }),
    ];
    const c = buildAnkiCollection(input([card(basic('q'), sched({}), { reviews: cardLog(log) })]));
    expect(revlogRows(c.revlog).map((r) => [r.type, r.ease, r.ivl, r.factor])).toEqual([
      [3, 4, 0, 0],
      [0, 4, 3, 544],
      [4, 0, 0, 0],
      [4, 0, 6, 2500],
    ]);
  });

  it('gives answers that share a millisecond distinct ids, and records each study day under the id used', () => {
    const at = NOW - DAY;
    const a = card(basic('a'), sched({}), { reviews: cardLog([review(at, {})]) });
    const b = card(basic('b'), sched({}), { reviews: cardLog([review(at, {})]) });
    const c = buildAnkiCollection(input([a, b]));
    expect(revlogRows(c.revlog).map((r) => r.id)).toEqual([at, at + 1]);
    expect(c.shiftedRevlogIds).toBe(1);
    const second = decodeRecallRecord(c.notes[1]!.data)!;
    expect(second.cards['0']!.days).toEqual({ [String(at + 1)]: studyDay(at, ZONE, DAY_START) });
  });
});

describe('notes, note types and decks Anki accepts', () => {
  it('keeps an Anki note (ids, guid, mod, HTML fields) and fits its fields to its note type', () => {
    const one = card(basic('anki:g1', { anki: origin('g1', 0), tags: ['leech', 'two words'] }), null);
    const short = card(basic('anki:g2', { anki: origin('g2', 0, { noteId: 1_600_000_000_500, cardId: 1_600_000_000_600, fields: ['only'] }) }), null);
    const c = buildAnkiCollection(input([one, short]));
    expect(c.notes[0]).toMatchObject({ id: 1_600_000_000_000, guid: 'g1', mid: 1_500_000_000_000, mod: 1_600_000_000, flds: '<b>F</b>\u001fB', tags: ' leech two_words ', sfld: 'F', data: '' });
    expect(c.cards[0]).toMatchObject({ id: 1_600_000_000_100, nid: 1_600_000_000_000 });
    expect(c.notes[1]!.flds).toBe('only\u001f');
    expect(c.refitNotes).toBe(1);
  });

  it('gives every note its own guid: a second card of an Anki ordinal becomes a note of its own', () => {
    const first = card(basic('anki:g1', { noteUid: 'anki:g1', anki: origin('g1', 0) }), null);
    const again = card(basic('anki:g1.2', { noteUid: 'anki:g1', anki: origin('g1', 0, { cardId: 9 }) }), null);
    const c = buildAnkiCollection(input([first, again]));
    // The second is written from recall's text, so it never reuses the Anki guid (Anki would overwrite the note's HTML).
    expect(c.notes.map((n) => n.guid)).toEqual(['g1', 'recall:Deck:anki:g1']);
    // A recall note now, in the user's own Basic (it has Basic's fields).
    expect(c.notes[1]!.mid).toBe(1_500_000_000_000);
    expect(decodeRecallRecord(c.notes[1]!.data)!.cards['0']!.card!.uid).toBe('anki:g1.2');
  });

  it("puts recall's notes into the user's stock-shaped note types, renames recall's own on a clash, one id per schema", () => {
    const mine = card(basic('anki:g1', { anki: origin('g1', 0) }), null);
    const other = card(basic('anki:g3', { anki: origin('g3', 0, { noteId: 5, cardId: 6, noteType: { ...origin('x', 0).noteType, id: 1_500_000_000_009, name: 'basic' } }) }), null);
    const changed = card(basic('anki:g4', { anki: origin('g4', 0, { noteId: 7, cardId: 8, noteType: { ...origin('x', 0).noteType, fields: ['Front', 'Back', 'Extra'] } }) }), null);
    const clozeType = { ...origin('x', 0).noteType, id: 1_500_000_000_020, name: 'Cloze', kind: 1 as const, fields: ['Text', 'Extra', 'Notes'] };
    const myCloze = card(basic('anki:g5', { anki: origin('g5', 0, { noteId: 10, cardId: 11, noteType: clozeType, fields: ['{{c1::x}}', '', ''] }) }), null);
    const ours = card(basic('plain'), null);
    const oursCloze = card({ uid: 'cz::c1', noteUid: 'cz', content: { type: 'cloze', text: 'a {{b}}', index: 1 } }, null);
    const c = buildAnkiCollection(input([mine, other, changed, myCloze, ours, oursCloze]));
    const models = JSON.parse(c.col.models) as Record<string, { id: number; name: string }>;
    const names = Object.values(models).map((m) => m.name).sort();
    expect(names).toEqual(['Basic', 'Basic (and reversed card)', 'Basic (type in the answer)', 'Basic-3', 'Cloze', 'Cloze-2', 'basic-2']);
    expect(models[String(c.notes[0]!.mid)]!.name).toBe('Basic');
    expect(c.notes[2]!.mid).not.toBe(1_500_000_000_000);
    // recall's basic note goes into the user's Basic; its cloze note into recall's Cloze, as the user's has other fields.
    expect(c.notes[4]!.mid).toBe(1_500_000_000_000);
    expect(models[String(c.notes[5]!.mid)]!.name).toBe('Cloze-2');
    expect(c.notes[5]!.mid).toBe(1_700_000_000_004);
  });

  it('merges deck names Anki would treat as one and maps Default to deck 1', () => {
    const decks = [
      { name: 'Lang:: Spanish ', description: 'x < y', cards: [card(basic('a'), null)] },
      { name: 'lang::spanish', description: '', cards: [card(basic('b'), null)] },
      { name: 'Default', description: '', cards: [card(basic('c'), null)] },
    ];
    const c = buildAnkiCollection(input([], { decks, deckPresets: { 'lang::spanish': { preset: 'spanish', settings: BASE_SETTINGS } } }));
    const json = JSON.parse(c.col.decks) as Record<string, { name: string; desc: string; conf: number }>;
    expect(Object.values(json).map((d) => d.name).sort()).toEqual(['Default', 'Lang', 'Lang::Spanish']);
    expect(c.cards[0]!.did).toBe(c.cards[1]!.did);
    expect(c.cards[2]!.did).toBe(1);
    const spanish = Object.values(json).find((d) => d.name === 'Lang::Spanish')!;
    expect(spanish.desc).toBe('x &lt; y');
    expect(spanish.conf).toBe(2);
    expect(JSON.parse(c.col.dconf)['2'].fsrsParams6).toEqual(W6);
  });

  it('writes recall text as HTML that reads back as the same text', () => {
    for (const text of ['a < b && c > d', 'two\nlines', 'tags <b>literally</b>', '{{c1::not a cloze here}}']) {
      expect(htmlToText(textToHtml(text))).toBe(text);
    }
    expect(stripHtml('<img src="a.png"> &amp; <b>x</b> ')).toBe(' a.png  & x ');
    expect(['1m', '10m', '1h', '2d', '1.5m', '30s', '45s', '90s'].map(stepMinutes)).toEqual([1, 10, 60, 2880, 1.5, 0.5, 0.75, 1.5]);
  });

  it('gives each preset in use an options group with its own retention, steps, limits and leech settings', () => {
    const own: AnkiExportSettings = {
      ...BASE_SETTINGS, desiredRetention: 0.8, learningSteps: ['30s', '5m'], relearningSteps: ['45s'], newPerDay: 7, reviewsPerDay: 70,
      maximumInterval: 400, leechThreshold: 4, leechAction: 'suspend', parameters: W6.map((w, i) => (i === 0 ? w + 0.1 : w)),
    };
    const reviewed = card(basic('r'), sched({}));
    const decks = [
      { name: 'Kanji', description: '', cards: [reviewed] },
      { name: 'Kana', description: '', cards: [card(basic('k'), null)] },
      { name: 'Other', description: '', cards: [card(basic('o'), null)] },
    ];
    const c = buildAnkiCollection(input([], { decks, deckPresets: { Kanji: { preset: 'japanese', settings: own }, Kana: { preset: 'japanese', settings: own } } }));
    const dconf = JSON.parse(c.col.dconf) as Record<string, { name: string; desiredRetention: number; new: { delays: number[]; perDay: number }; rev: { perDay: number; maxIvl: number }; lapse: { delays: number[]; leechFails: number; leechAction: number }; fsrsParams6: number[] }>;
    expect(Object.keys(dconf).sort()).toEqual(['1', '2']);
    const group = dconf['2']!;
    expect(group).toMatchObject({ name: 'recall: japanese', desiredRetention: 0.8, new: { delays: [0.5, 5], perDay: 7 }, rev: { perDay: 70, maxIvl: 400 }, lapse: { delays: [0.75], leechFails: 4, leechAction: 0 } });
    expect(group.fsrsParams6).toEqual(own.parameters);
    expect(dconf['1']).toMatchObject({ desiredRetention: 0.9, new: { delays: [1, 10] }, lapse: { leechFails: 8, leechAction: 1 } });
    const json = JSON.parse(c.col.decks) as Record<string, { name: string; conf: number }>;
    const confOf = (name: string) => Object.values(json).find((d) => d.name === name)!.conf;
    expect([confOf('Kanji'), confOf('Kana'), confOf('Other')]).toEqual([2, 2, 1]);
    // The memory state carries the preset's desired retention.
    const kanjiCard = c.cards.find((x) => x.did === Number(Object.keys(json).find((k) => json[k]!.name === 'Kanji')))!;
    expect(JSON.parse(kanjiCard.data).dr).toBe(0.8);
  });
});

describe("reading recall's record back from a package anyone can write", () => {
  it('never throws, and accepts only what recall writes', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), fc.json().map((j) => `{"recall":${j}}`)), (data) => {
        const r = decodeRecallRecord(data);
        if (r !== null) expect(r.v).toBe(1);
      }),
      { numRuns: 500 },
    );
  });

  it('makes the text of a forged record inert and rejects malformed cards', () => {
    const card = { uid: 'u', noteUid: 'n', content: { type: 'basic', front: 'a\u001b]0;pwned\u0007b', back: 'c\u202ed' } };
    const r = decodeRecallRecord(JSON.stringify({ recall: { v: 1, cards: { '0': { card, days: { '123': 1 } } } } }))!;
    expect(r.cards['0']!.card!.content).toEqual({ type: 'basic', front: 'ab', back: 'cd' });
    const bad = (c: unknown) => decodeRecallRecord(JSON.stringify({ recall: { v: 1, cards: { '0': { card: c } } } }));
    expect(bad({ ...card, content: { type: 'choice', prompt: 'p', options: 'no' } })).toBeNull();
    expect(bad({ ...card, content: { type: 'cloze', text: 't', index: 0 } })).toBeNull();
    expect(bad({ ...card, uid: '' })).toBeNull();
    expect(bad({ ...card, content: { type: 'script', src: 'x' } })).toBeNull();
    expect(decodeRecallRecord(JSON.stringify({ recall: { v: 2, cards: {} } }))).toBeNull();
  });
});

