// Deck files and sync: a deck that comes from a file on one device and lives only in the database on another. A
// re-read of the file removes only cards read from it before; it applies an entry's text only when the entry changed
// since the last read (else the database, which may hold a later edit from another device, wins); and what a sync
// changes in a file-backed deck is written into the file, so the file stays the truth.
import { chmodSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { applyCardAction } from '../src/app/card-actions.js';
import { addNote, applyEdit, prepareEdit } from '../src/app/cards.js';
import { importPaths } from '../src/app/import.js';
import { syncWith } from '../src/app/log-sync.js';
import { replaceEntryAt } from '../src/decks/edit.js';
import { parseDeck } from '../src/decks/parse.js';
import { tempDir } from './helpers/cli.js';
import { T0, answer, cardIdByGuid, doctorClean, openDevice, snapshot, writeDecks, type Device } from './helpers/devices.js';

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.reverse()) c();
  cleanups = [];
});

const env = { RECALL_NOW: new Date(T0).toISOString() };
const SPANISH = `deck: Spanish

--- basic hola
Q: hola
A: hello

--- basic adios
Q: adios
A: goodbye

--- basic gato
Q: gato
A: cat
`;

/** A has the deck from its file d/sp.deck; B has it only from syncing with A. */
async function setup() {
  const t = tempDir('recall-syncfile-');
  cleanups.push(t.cleanup);
  const file = join(t.dir, 'sp.deck');
  writeFileSync(file, SPANISH);
  const a = openDevice(t.dir, 'a', [file]);
  const b = openDevice(t.dir, 'b', []);
  cleanups.push(() => a.close(), () => b.close());
  b.ctx.store.transaction(() => {
    b.ctx.store.setSetting('timeZone', 'UTC', 0);
    b.ctx.store.setSetting('newPerDay', 100, 0);
  });
  b.ctx.reloadSettings();
  await syncWith(b.ctx, a.db, { env });
  b.ctx.reloadSettings();
  expect(b.ctx.store.deckByName('Spanish')).toMatchObject({ origin: 'file', path: null });
  return { file, a, b };
}

const sync = async (d: Device, other: Device) => {
  const s = await syncWith(d.ctx, other.db, { env });
  other.ctx.reloadSettings();
  return s;
};
const card = (d: Device, id: string) => d.ctx.store.getCard(cardIdByGuid(d.ctx, `file:Spanish/${id}`))!;
const back = (d: Device, id: string) => (card(d, id).content as { back: string }).back;
const reread = (d: Device, file: string) => importPaths(d.ctx, [file]);
const entries = (file: string) => parseDeck(readFileSync(file, 'utf8'), file);

/** Edits card `id` on A through `recall edit` (the deck file, in place). */
function editInFile(a: Device, id: string, from: string, to: string) {
  const target = prepareEdit(a.ctx, card(a, id).id);
  expect(target.kind).toBe('file');
  expect(target.text).toContain(`A: ${from}\n`);
  const r = applyEdit(a.ctx, target, target.text.replace(`A: ${from}\n`, `A: ${to}\n`));
  expect(r).toMatchObject({ ok: true, changed: true });
}

/** Edits card `id` on B, which has no file: an edit event in its database. */
function editInDb(b: Device, id: string, to: string) {
  const target = prepareEdit(b.ctx, card(b, id).id);
  expect(target.kind).toBe('card');
  const r = applyEdit(b.ctx, target, target.text.replace(/^A: .*$/m, `A: ${to}`));
  expect(r).toMatchObject({ ok: true, changed: true });
}

describe('a deck from a file on one device, only in the database on another', () => {
  it('a card added on the device without the file reaches the file and survives re-reading it', async () => {
    const { file, a, b } = await setup();
    b.at(T0 + 1000);
    addNote(b.ctx, 'Spanish', { type: 'basic', front: 'gracias', back: 'thanks' });
    a.at(T0 + 2000);
    const s = await sync(a, b);
    expect(s.pulled.cards).toBe(1);
    expect(s.filesWritten).toEqual([file]);
    expect(entries(file).diagnostics).toEqual([]);
    expect(entries(file).notes.map((n) => n.uid)).toEqual(['hola', 'adios', 'gato', 'gracias']);
    const r = reread(a, file);
    expect(r).toMatchObject({ cardsAdded: 0, cardsUpdated: 0, cardsRemoved: 0, cardsUnchanged: 4 });
    await sync(a, b);
    for (const d of [a, b]) expect(card(d, 'gracias')).toMatchObject({ removed: false, content: { front: 'gracias', back: 'thanks' } });
    expect(snapshot(a.db)).toEqual(snapshot(b.db));
  });

  it('without the file writable, re-reading it still removes nothing it did not hold', async () => {
    const { file, a, b } = await setup();
    b.at(T0 + 1000);
    addNote(b.ctx, 'Spanish', { type: 'basic', front: 'gracias', back: 'thanks' });
    a.at(T0 + 2000);
    chmodSync(file, 0o444);
    const s = await sync(a, b);
    expect(s.filesWritten).toEqual([]);
    expect(s.warnings.join('\n')).toContain('not writable');
    expect(readFileSync(file, 'utf8')).toBe(SPANISH);
    chmodSync(file, 0o644);
    expect(reread(a, file)).toMatchObject({ cardsAdded: 0, cardsUpdated: 0, cardsRemoved: 0, cardsUnchanged: 3 });
    // The file changing for another reason (a card added in it) is read again: still nothing removed.
    writeFileSync(file, `${SPANISH}\n--- basic perro\nQ: perro\nA: dog\n`);
    expect(reread(a, file)).toMatchObject({ cardsAdded: 1, cardsRemoved: 0 });
    a.at(T0 + 3000);
    await sync(a, b);
    for (const d of [a, b]) {
      expect(card(d, 'gracias').removed).toBe(false);
      expect(card(d, 'perro').removed).toBe(false);
    }
    expect(snapshot(a.db)).toEqual(snapshot(b.db));
  });

  it('a later edit from the device without the file is not undone by the stale file: it is written into it', async () => {
    const { file, a, b } = await setup();
    a.at(T0 + 1000);
    editInFile(a, 'adios', 'goodbye', 'fromS1');
    await sync(a, b);
    expect(back(b, 'adios')).toBe('fromS1');
    b.at(T0 + 5000);
    editInDb(b, 'adios', 'fromS2');
    a.at(T0 + 6000);
    const s = await sync(a, b);
    expect(s.filesWritten).toEqual([file]);
    for (const d of [a, b]) expect(back(d, 'adios')).toBe('fromS2');
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('A: fromS2\n');
    expect(text).not.toContain('fromS1');
    // Everything else in the file is as it was.
    expect(text).toBe(SPANISH.replace('A: goodbye\n', 'A: fromS2\n'));
    expect(entries(file).diagnostics).toEqual([]);
    expect(prepareEdit(a.ctx, card(a, 'adios').id).text).toContain('A: fromS2\n');
    expect(reread(a, file)).toMatchObject({ cardsUpdated: 0, cardsRemoved: 0, cardsUnchanged: 3 });
    await sync(a, b);
    for (const d of [a, b]) expect(back(d, 'adios')).toBe('fromS2');
    expect(snapshot(a.db)).toEqual(snapshot(b.db));
    expect(doctorClean(a.ctx)).toEqual({ schedules: [], flags: [] });
  });

  it('a stale file left unwritten (missing during the sync) does not bring its old text back', async () => {
    const { file, a, b } = await setup();
    a.at(T0 + 1000);
    editInFile(a, 'adios', 'goodbye', 'fromS1');
    await sync(a, b);
    b.at(T0 + 5000);
    editInDb(b, 'adios', 'fromS2');
    a.at(T0 + 6000);
    renameSync(file, `${file}.away`);
    const s = await sync(a, b);
    expect(s.warnings.join('\n')).toContain('missing');
    renameSync(`${file}.away`, file);
    expect(readFileSync(file, 'utf8')).toContain('A: fromS1\n');
    expect(reread(a, file)).toMatchObject({ cardsUpdated: 0, cardsRemoved: 0 });
    await sync(a, b);
    for (const d of [a, b]) expect(back(d, 'adios')).toBe('fromS2');
    // recall edit brings the file up to date before it opens it.
    expect(prepareEdit(a.ctx, card(a, 'adios').id).text).toContain('A: fromS2\n');
    expect(readFileSync(file, 'utf8')).toBe(SPANISH.replace('A: goodbye\n', 'A: fromS2\n'));
  });

  it('a card deleted from the file is still removed everywhere', async () => {
    const { file, a, b } = await setup();
    a.at(T0 + 1000);
    writeFileSync(file, SPANISH.replace('--- basic gato\nQ: gato\nA: cat\n', '').trimEnd() + '\n');
    expect(reread(a, file)).toMatchObject({ cardsRemoved: 1, cardsUnchanged: 2 });
    await sync(a, b);
    for (const d of [a, b]) expect(card(d, 'gato').removed).toBe(true);
    expect(reread(a, file)).toMatchObject({ cardsRemoved: 0, cardsAdded: 0 });
    expect(card(a, 'gato').removed).toBe(true);
  });

  it('an edit made in the file after a sync wins by time, as any later edit does', async () => {
    const { file, a, b } = await setup();
    b.at(T0 + 1000);
    editInDb(b, 'hola', 'fromB');
    a.at(T0 + 2000);
    await sync(a, b);
    expect(readFileSync(file, 'utf8')).toContain('A: fromB\n');
    // Edited in the file by hand, then read again (as `recall import` or a change of the file does).
    a.at(T0 + 3000);
    writeFileSync(file, readFileSync(file, 'utf8').replace('A: fromB\n', 'A: fromA\n'));
    expect(reread(a, file)).toMatchObject({ cardsUpdated: 1 });
    await sync(a, b);
    for (const d of [a, b]) expect(back(d, 'hola')).toBe('fromA');
    // Edited in the file and not read yet while B edits: the sync leaves the unread entry alone (it is the user's
    // newer word), and reading the file applies it, as an edit made then.
    b.at(T0 + 4000);
    editInDb(b, 'hola', 'fromB2');
    a.at(T0 + 5000);
    writeFileSync(file, readFileSync(file, 'utf8').replace('A: fromA\n', 'A: fromA2\n'));
    await sync(a, b);
    expect(readFileSync(file, 'utf8')).toContain('A: fromA2\n');
    expect(back(a, 'hola')).toBe('fromB2');
    a.at(T0 + 6000);
    expect(reread(a, file)).toMatchObject({ cardsUpdated: 1 });
    await sync(a, b);
    for (const d of [a, b]) expect(back(d, 'hola')).toBe('fromA2');
    expect(snapshot(a.db)).toEqual(snapshot(b.db));
  });

  it('a card removed on the device without the file is cut from the file', async () => {
    const { file, a, b } = await setup();
    b.at(T0 + 1000);
    b.ctx.store.transaction(() => b.ctx.store.appendEvent(card(b, 'gato').id, { kind: 'remove' }, { at: b.now, day: b.ctx.day(b.now) }));
    a.at(T0 + 2000);
    await sync(a, b);
    expect(card(a, 'gato').removed).toBe(true);
    expect(readFileSync(file, 'utf8')).toBe(SPANISH.replace('\n--- basic gato\nQ: gato\nA: cat\n', ''));
    expect(reread(a, file)).toMatchObject({ cardsRemoved: 0, cardsAdded: 0, cardsUnchanged: 2 });
  });
});

describe('moves', () => {
  it('a card moved out of the deck on another device leaves the file, and comes back into it when moved back', async () => {
    const { file, a, b } = await setup();
    b.at(T0 + 1000);
    addNote(b.ctx, 'Other', { type: 'basic', front: 'x', back: 'y' }, { create: true });
    const other = b.ctx.store.deckByName('Other')!;
    const spanish = b.ctx.store.deckByName('Spanish')!;
    applyCardAction(b.ctx, [card(b, 'gato').id], { kind: 'move', deckId: other.id });
    a.at(T0 + 2000);
    await sync(a, b);
    expect(entries(file).notes.map((n) => n.uid)).toEqual(['hola', 'adios']);
    expect(reread(a, file)).toMatchObject({ cardsAdded: 0, cardsRemoved: 0, cardsUnchanged: 2 });
    b.at(T0 + 3000);
    applyCardAction(b.ctx, [card(b, 'gato').id], { kind: 'move', deckId: spanish.id });
    a.at(T0 + 4000);
    await sync(a, b);
    expect(entries(file).notes.map((n) => n.uid)).toEqual(['hola', 'adios', 'gato']);
    expect(reread(a, file)).toMatchObject({ cardsAdded: 0, cardsRemoved: 0, cardsUnchanged: 3 });
    await sync(a, b);
    expect(snapshot(a.db)).toEqual(snapshot(b.db));
  });
});

describe('a deck file imported after another device moved a card into it', () => {
  it('the moved card arrives beside the entry it became here (no crash), and both devices agree from then on', async () => {
    const t = tempDir('recall-moved-');
    cleanups.push(t.cleanup);
    const decks = writeDecks(t.dir, 3);
    const a = openDevice(t.dir, 'a', decks);
    const b = openDevice(t.dir, 'b', decks);
    cleanups.push(() => a.close(), () => b.close());
    const moved = cardIdByGuid(a.ctx, 'file:Alpha/alpha0');
    answer(a, moved, 3);
    applyCardAction(a.ctx, [moved], { kind: 'move', deckId: a.ctx.store.deckByName('Beta')!.id });
    // b shares the files: the move it pulls is written into them (the entry leaves alpha.deck for beta.deck).
    await syncWith(b.ctx, a.db, { env });
    expect(parseDeck(readFileSync(decks[1]!, 'utf8'), decks[1]!).notes.map((n) => n.uid)).toContain('alpha0');
    // A new device reads the files as they are now: the entry is a card of Beta of its own (its id names Beta now).
    const j = openDevice(t.dir, 'j', decks);
    cleanups.push(() => j.close());
    expect(j.ctx.store.getCard(cardIdByGuid(j.ctx, 'file:Beta/alpha0'))!.deckId).toBe(j.ctx.store.deckByName('Beta')!.id);
    // Its first sync brings the card with its history, moved into Beta, where alpha0 is taken: it had stopped the
    // sync with "UNIQUE constraint failed: cards.deck_id, cards.uid".
    const first = await syncWith(j.ctx, a.db, { env });
    // The file keeps its one entry alpha0 (the new device's card); the arrived card stays in the database, and the
    // summary says so.
    expect(first.warnings.join('\n')).toMatch(/id "alpha0" of a card of deck "Beta" is taken/);
    const arrived = j.ctx.store.getCard(cardIdByGuid(j.ctx, 'file:Alpha/alpha0'))!;
    expect(arrived).toMatchObject({ deckId: j.ctx.store.deckByName('Beta')!.id, uid: 'alpha0#2', noteUid: 'alpha0' });
    expect(arrived.schedule?.reps).toBe(1);
    for (const d of [a, b, j]) {
      await syncWith(d.ctx, a.db === d.db ? j.db : a.db, { env });
      expect(doctorClean(d.ctx)).toEqual({ schedules: [], flags: [] });
    }
    // Nothing left to exchange, and the files are still valid deck files.
    const again = await syncWith(j.ctx, a.db, { env });
    expect(Object.values(again.pushed).reduce((x, y) => x + y, 0) + Object.values(again.pulled).reduce((x, y) => x + y, 0)).toBe(0);
    for (const f of decks) expect(parseDeck(readFileSync(f, 'utf8'), f).diagnostics).toEqual([]);
  });
});

describe('a database from before the record of what was last read', () => {
  it('with the file as last read (its hash), the database wins and nothing is removed; the record is kept from then on', async () => {
    const { file, a, b } = await setup();
    // As recall before this change left it: no record of the last read, only the file's hash on the deck.
    a.ctx.store.transaction(() => a.ctx.store.setLocal('deckFileRead:file:Spanish', undefined));
    b.at(T0 + 1000);
    addNote(b.ctx, 'Spanish', { type: 'basic', front: 'gracias', back: 'thanks' });
    editInDb(b, 'adios', 'fromB');
    a.at(T0 + 2000);
    chmodSync(file, 0o444);
    await sync(a, b);
    chmodSync(file, 0o644);
    expect(reread(a, file)).toMatchObject({ cardsUpdated: 0, cardsRemoved: 0, cardsUnchanged: 3 });
    expect(back(a, 'adios')).toBe('fromB');
    expect(card(a, 'gracias').removed).toBe(false);
    // The record exists from here on; the next sync writes the database's version into the file.
    a.at(T0 + 3000);
    editInDb(b, 'hola', 'fromB');
    await sync(a, b);
    expect(entries(file).notes.map((n) => n.uid)).toEqual(['hola', 'adios', 'gato', 'gracias']);
    expect(readFileSync(file, 'utf8')).toContain('A: fromB\n\n--- basic gato');
  });
});

describe('replaceEntryAt', () => {
  const text = 'deck: X\r\n\r\n--- basic a\r\nQ: a\r\nA: 1\r\n\r\n# about b\r\n--- basic b\r\nQ: b\r\nA: 2\r\n';
  const lines = parseDeck(text, 'x').notes.map((n) => n.line);
  it('replaces one entry in the file\'s line endings, keeping the blank and comment lines before the next', () => {
    expect(lines).toEqual([3, 8]);
    expect(replaceEntryAt(text, lines, 3, '--- basic a\nQ: a\nA: one')).toBe(text.replace('A: 1', 'A: one'));
    expect(replaceEntryAt(text, lines, 8, '--- basic b\nQ: b\n  two lines\nA: 2')).toBe(text.replace('Q: b\r\n', 'Q: b\r\n  two lines\r\n'));
  });
  it('cuts an entry with the blank line after it', () => {
    expect(replaceEntryAt(text, lines, 3, null)).toBe('deck: X\r\n\r\n# about b\r\n--- basic b\r\nQ: b\r\nA: 2\r\n');
    expect(replaceEntryAt(text, lines, 8, null)).toBe('deck: X\r\n\r\n--- basic a\r\nQ: a\r\nA: 1\r\n\r\n# about b\r\n');
  });
});
