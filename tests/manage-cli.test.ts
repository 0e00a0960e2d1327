// Managing the collection through the built CLI on a real database file: search, show, add, edit (EDITOR set to a
// script), the bulk card actions, deck list/rename/delete/hide/unhide, and per-deck presets with config; each
// change taken back by `recall undo`; --json shapes checked.
import Database from 'better-sqlite3';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, runCli, runJson, tempDir } from './helpers/cli.js';

const NOW = '2026-03-10T09:00:00Z';

beforeAll(() => ensureBuilt());
let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.reverse()) c();
  cleanups = [];
});

const SPANISH = `deck: Spanish
description: words

--- basic hola
Q: hola
A: hello
tags: greet

--- reversed casa
Q: la casa
A: the house

--- cloze gato
T: El {{gato}} es {{negro}}.
`;

/** A database with the Spanish deck imported from a file, UTC days, and a fixed clock. */
function setup() {
  const t = tempDir('recall-manage-');
  cleanups.push(t.cleanup);
  const db = join(t.dir, 'recall.db');
  const deck = join(t.dir, 'spanish.deck');
  writeFileSync(deck, SPANISH);
  const env = { RECALL_DB: db, RECALL_NOW: NOW, TZ: 'UTC' };
  expect(runCli(['import', deck], env).code).toBe(0);
  expect(runCli(['config', 'set', 'timeZone', 'UTC'], env).code).toBe(0);
  const cli = (...args: string[]) => runCli(args, env);
  const json = <T = any>(...args: string[]) => runJson<T>(args, env);
  const id = (uid: string) => json('search', `deck:spanish`).cards.find((c: any) => c.uid === uid).id as number;
  return { dir: t.dir, db, deck, env, cli, json, id };
}

describe('recall search', () => {
  it('prints a table that fits the terminal, and JSON with every field', () => {
    const { cli, json, env } = setup();
    const s = json('search', 'deck:spanish');
    expect(s).toMatchObject({ query: 'deck:spanish', total: 5, limit: 100, sort: 'deck' });
    expect(Object.keys(s.cards[0]).sort()).toEqual(
      ['added', 'buried', 'content', 'deck', 'deckId', 'difficulty', 'due', 'guid', 'id', 'intervalDays', 'lapses', 'lastReview', 'leech', 'note', 'removed', 'reps', 'retrievability', 'stability', 'state', 'suspended', 'tags', 'type', 'uid'].sort(),
    );
    expect(s.cards[0]).toMatchObject({ deck: 'Spanish', uid: 'hola', guid: 'file:Spanish/hola', type: 'basic', state: 'new', tags: ['greet'], content: { front: 'hola', back: 'hello' } });
    for (const columns of ['40', '60', '100']) {
      const r = runCli(['search', 'deck:spanish'], { ...env, COLUMNS: columns });
      expect(r.code).toBe(0);
      const lines = r.stdout.trimEnd().split('\n');
      expect(lines[0]).toMatch(/^id\s+deck\s+question\s+state\s+due\s+ivl\s+lapses$/);
      for (const l of lines) expect(l.length).toBeLessThanOrEqual(Number(columns));
      expect(lines.at(-1)).toBe('5 cards');
    }
    expect(cli('search', 'hola').stdout).toContain('hola');
    // Several words on the command line are one query; one with spaces stays a phrase.
    expect(json('search', 'la', 'casa').total).toBe(2);
    expect(json('search', 'tag:greet').cards.map((c: any) => c.uid)).toEqual(['hola']);
    // A query may start with a negation: it is not taken for an option.
    expect(json('search', '-tag:greet', 'deck:spanish').total).toBe(4);
    expect(json('suspend', '-tag:greet', 'deck:spanish', '--dry-run')).toMatchObject({ matched: 4, dryRun: true });
    const page = json('search', 'deck:spanish', '--limit', '2', '--sort', 'id');
    expect(page).toMatchObject({ total: 5, limit: 2 });
    expect(page.cards.map((c: any) => c.id)).toEqual(s.cards.map((c: any) => c.id).sort((a: number, b: number) => a - b).slice(0, 2));
    expect(json('search', '', '--limit', '0').limit).toBeNull();
  });

  it('a malformed query exits 2 with its column and a suggestion', () => {
    const { cli } = setup();
    const r = cli('search', 'is:due dekc:Spanish');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('column 8: unknown key "dekc" (did you mean deck?)');
    expect(cli('search', 'deck:Spansh').stderr).toContain('column 1: no deck matches "Spansh" (did you mean "Spanish"?)');
    expect(cli('search', '', '--sort', 'bogus').code).toBe(2);
  });
});

describe('recall show', () => {
  it('takes a card id, a guid or a query that matches one card, and shows its file line and history', () => {
    const { cli, json, id, deck } = setup();
    const hola = id('hola');
    const byId = json('show', String(hola));
    expect(byId).toMatchObject({ id: hola, file: deck, line: 4, origin: 'file', reviews: [], events: [], tags: ['greet'] });
    expect(json('show', 'file:Spanish/hola').id).toBe(hola);
    expect(json('show', 'tag:greet').id).toBe(hola);
    const many = cli('show', 'deck:spanish');
    expect(many.code).toBe(2);
    expect(many.stderr).toContain('5 cards match "deck:spanish"; this command takes one');
    expect(cli('show', '9999').code).toBe(2);
    cli('suspend', `id:${hola}`);
    const text = cli('show', String(hola)).stdout;
    expect(text).toContain(`from          ${deck}:4`);
    expect(text).toMatch(/2026-03-10 09:00 {2}event {3}suspended/);
  });
});

describe('recall add', () => {
  it('appends to the deck file in its format (recall check stays clean), and undo takes it out again', () => {
    const { cli, json, deck } = setup();
    const r = json('add', '--deck', 'spanish', '--front', 'el perro', '--back', 'the dog', '--tags', 'animals');
    expect(r).toMatchObject({ deck: 'Spanish', createdDeck: false, id: 'el-perro', file: deck, line: 16 });
    expect(r.cardIds).toHaveLength(1);
    expect(readFileSync(deck, 'utf8')).toBe(`${SPANISH}\n--- basic el-perro\nQ: el perro\nA: the dog\ntags: animals\n`);
    expect(cli('check', deck).code).toBe(0);
    expect(json('search', 'perro').total).toBe(1);
    expect(json('undo').undone).toMatchObject({ kind: 'add', label: 'the card added to "Spanish"', notes: [] });
    expect(readFileSync(deck, 'utf8')).toBe(SPANISH);
    expect(json('search', 'perro').total).toBe(0);
  });

  it('takes flags for all eight types; a deck without a file keeps them in the database', () => {
    const { cli, json } = setup();
    const add = (...args: string[]) => json('add', '--deck', 'Mine', '--create', ...args);
    expect(add('--front', 'q1', '--back', 'a1')).toMatchObject({ deck: 'Mine', createdDeck: true, file: null });
    expect(add('--type', 'reversed', '--front', 'q2', '--back', 'a2').cardIds).toHaveLength(2);
    expect(add('--type', 'cloze', '--text', 'The {{sun}} is a {{star}}.').cardIds).toHaveLength(2);
    add('--type', 'typed', '--front', 'q4', '--back', 'a4', '--accept', 'b4', '--accept', 'c4');
    add('--type', 'choice', '--front', 'q5', '--correct', 'yes', '--wrong', 'no', '--wrong', 'maybe');
    add('--type', 'multi', '--front', 'q6', '--correct', 'x', '--correct', 'y', '--wrong', 'z');
    add('--type', 'truefalse', '--front', 'q7', '--back', 'false', '--explain', 'because');
    add('--type', 'classify', '--front', 'q8', '--category', 'odd', '--category', 'even', '--item', '1 => odd', '--item', '2 => even');
    const cards = json('search', 'deck:mine', '--sort', 'id').cards;
    expect(cards.map((c: any) => c.type)).toEqual(['basic', 'reversed', 'reversed', 'cloze', 'cloze', 'typed', 'choice', 'multi', 'truefalse', 'classify']);
    expect(cards.find((c: any) => c.type === 'typed').content.answers).toEqual(['a4', 'b4', 'c4']);
    expect(cards.find((c: any) => c.type === 'classify').content.items).toEqual([{ text: '1', category: 'odd' }, { text: '2', category: 'even' }]);
    expect(cards.find((c: any) => c.type === 'truefalse').content).toMatchObject({ answer: false, explanation: 'because' });
    // The deck parser's own checks, said in flags.
    const bad = cli('add', '--deck', 'Mine', '--type', 'choice', '--front', 'q', '--correct', 'a', '--correct', 'b', '--wrong', 'c');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('The card is not valid: choice card with 2 correct options');
    expect(cli('add', '--deck', 'Mine', '--front', 'q').stderr).toContain('The card is not valid: basic card without --back');
    expect(cli('add', '--deck', 'Mine', '--text', 'x {{y}}', '--front', 'q', '--back', 'a').stderr).toContain('--text is not a field of a basic card');
    // A name close to an existing deck needs --create; a built-in deck takes no cards.
    expect(cli('add', '--deck', 'Spansh', '--front', 'q', '--back', 'a').stderr).toContain('did you mean "Spanish"? To make a new deck "Spansh", pass --create');
    cli('decks');
    expect(cli('add', '--deck', 'AWS Organizations', '--front', 'q', '--back', 'a').stderr).toContain('"AWS Organizations" is a built-in deck');
    // Without flags and without a terminal there is no form to show.
    expect(cli('add', '--deck', 'Mine').code).toBe(2);
    // Undo takes the last card back (it leaves the deck); the deck made for the first goes when its last card does.
    expect(json('undo').undone.kind).toBe('add');
    expect(json('search', 'deck:mine').total).toBe(9);
  });
});

describe('recall edit', () => {
  function editor(dir: string, name: string, script: string): string {
    const path = join(dir, name);
    writeFileSync(path, `#!/bin/sh\n${script}\n`);
    chmodSync(path, 0o755);
    return path;
  }

  it('edits a deck-file card in its file; the card keeps its id and history; undo restores the file', () => {
    const { json, env, dir, deck, id } = setup();
    const hola = id('hola');
    json('suspend', `id:${hola}`);
    const ed = editor(dir, 'ed.sh', `sed -i 's/^A: hello$/A: hello, hi/' "$1"`);
    const r = runJson(['edit', String(hola)], { ...env, EDITOR: ed, VISUAL: '' });
    expect(r).toMatchObject({ cardId: hola, changed: true, cancelled: false, file: deck });
    expect(readFileSync(deck, 'utf8')).toContain('A: hello, hi\n');
    const shown = json('show', String(hola));
    expect(shown).toMatchObject({ id: hola, suspended: true, content: { back: 'hello, hi' } });
    expect(shown.events.map((e: any) => e.kind)).toEqual(['suspend', 'edit']);
    expect(json('undo').undone.kind).toBe('edit');
    expect(readFileSync(deck, 'utf8')).toBe(SPANISH);
    expect(json('show', String(hola)).content.back).toBe('hello');
  });

  it('a deck imported under another name (--deck) is still edited in its file', () => {
    const { json, env, dir, cli } = setup();
    const other = join(dir, 'other.deck');
    writeFileSync(other, 'deck: Header name\n\n--- basic one\nQ: one\nA: 1\n');
    expect(cli('import', other, '--deck', 'Renamed').code).toBe(0);
    const card = json('search', 'deck:renamed').cards[0].id;
    const ed = editor(dir, 'ed2.sh', `sed -i 's/^A: 1$/A: uno/' "$1"`);
    expect(runJson(['edit', String(card)], { ...env, EDITOR: ed, VISUAL: '' })).toMatchObject({ changed: true, file: other });
    expect(readFileSync(other, 'utf8')).toContain('A: uno');
    expect(json('show', String(card))).toMatchObject({ deck: 'Renamed', content: { back: 'uno' } });
  });

  it('re-opens the editor with the located problems until the text is valid; a database card gets an edit event', () => {
    const { json, env, dir } = setup();
    const card = json('add', '--deck', 'Mine', '--create', '--front', 'sky colour', '--back', 'blu').cardIds[0];
    const log = join(dir, 'seen.log');
    const count = join(dir, 'count');
    // First save: an unknown key (invalid). Second: a fix, after recording what the editor was shown.
    const ed = editor(dir, 'ed.sh', `n=$(cat ${count} 2>/dev/null || echo 0); echo $((n+1)) > ${count}
if [ "$n" = 0 ]; then sed -i 's/^A: blu$/Answer: blu/' "$1"; else cat "$1" > ${log}; sed -i 's/^Answer: blu$/A: blue/' "$1"; fi`);
    const r = runCli(['edit', String(card), '--json'], { ...env, EDITOR: ed, VISUAL: '' });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/card:\d+: unknown key Answer: for a basic card/);
    expect(readFileSync(log, 'utf8')).toMatch(/# recall: line \d+: unknown key Answer: for a basic card/);
    expect(JSON.parse(r.stdout)).toMatchObject({ cardId: card, changed: true });
    const shown = json('show', String(card));
    expect(shown.content).toMatchObject({ front: 'sky colour', back: 'blue' });
    expect(shown.events.map((e: any) => e.kind)).toEqual(['edit']);
    expect(json('undo').undone.kind).toBe('edit');
    expect(json('show', String(card)).content.back).toBe('blu');
    // An editor that saves the same broken text twice gives up; one that empties the file cancels.
    const stubborn = editor(dir, 'bad.sh', `sed -i 's/^A: /Answer: /' "$1"`);
    const bad = runCli(['edit', String(card)], { ...env, EDITOR: stubborn, VISUAL: '' });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('still has the same problems; nothing was changed');
    const empty = editor(dir, 'empty.sh', `: > "$1"`);
    expect(runCli(['edit', String(card)], { ...env, EDITOR: empty, VISUAL: '' }).stdout).toContain('Cancelled');
    expect(json('show', String(card)).content.back).toBe('blu');
  });
});

describe('bulk card actions', () => {
  it('suspend, unsuspend, bury, unbury and forget act on every match, say how many, and undo as one', () => {
    const { json, cli } = setup();
    expect(json('suspend', 'deck:spanish -tag:greet', '--dry-run')).toMatchObject({ action: 'suspend', matched: 4, changed: 4, dryRun: true });
    expect(json('search', 'is:suspended').total).toBe(0);
    expect(json('suspend', 'deck:spanish -tag:greet')).toMatchObject({ action: 'suspend', matched: 4, changed: 4, unchanged: 0, dryRun: false });
    expect(cli('suspend', 'deck:spanish').stdout).toBe('Suspended 1 card of 5 cards matching "deck:spanish" (4 already suspended). recall undo takes it back.\n');
    expect(json('search', 'is:suspended').total).toBe(5);
    expect(json('undo').undone.kind).toBe('suspend');
    expect(json('search', 'is:suspended').total).toBe(4);
    expect(json('unsuspend', 'is:suspended')).toMatchObject({ changed: 4 });
    expect(json('bury', 'deck:spanish type:cloze')).toMatchObject({ changed: 2 });
    expect(json('search', 'is:buried').total).toBe(2);
    expect(json('unbury', 'is:buried')).toMatchObject({ changed: 2 });
    expect(json('forget', 'deck:spanish')).toMatchObject({ changed: 0, unchanged: 5 });
    expect(cli('suspend', '').code).toBe(2);
    expect(cli('suspend', 'dekc:x').code).toBe(2);
  });
});

describe('recall deck', () => {
  it('lists, renames (the file follows), hides, unhides and deletes, each undone by recall undo', () => {
    const { json, cli, deck } = setup();
    cli('decks');
    const list = json('deck', 'list');
    const spanish = list.find((d: any) => d.name === 'Spanish');
    expect(spanish).toMatchObject({ uid: 'file:Spanish', origin: 'file', path: deck, preset: null, hidden: false, deleted: false, new: 5, total: 5, leeches: 0 });
    expect(list.filter((d: any) => d.origin === 'builtin')).toHaveLength(9);

    expect(json('deck', 'rename', 'spanish', 'Español')).toMatchObject({ renamed: [{ from: 'Spanish', to: 'Español', file: deck }] });
    expect(readFileSync(deck, 'utf8').split('\n')[0]).toBe('deck: Español');
    expect(json('deck', 'list').find((d: any) => d.uid === 'file:Spanish').name).toBe('Español');
    // Importing the file again finds the renamed deck: no second deck, no card added.
    expect(json('import', deck)).toMatchObject({ cardsAdded: 0, decks: ['Español'] });
    expect(json('undo').undone).toMatchObject({ kind: 'deck-rename' });
    expect(readFileSync(deck, 'utf8')).toBe(SPANISH);
    expect(cli('deck', 'rename', 'Spanish', 'AWS Organizations').code).toBe(2);
    expect(cli('deck', 'rename', 'AWS Organizations', 'Mine').stderr).toContain('built-in deck');

    expect(json('deck', 'hide', 'AWS Organizations')).toMatchObject({ hidden: true, changed: ['AWS Organizations'] });
    expect(json('decks').map((d: any) => d.name)).not.toContain('AWS Organizations');
    expect(json('deck', 'list').find((d: any) => d.name === 'AWS Organizations').hidden).toBe(true);
    expect(json('stats').decks.map((d: any) => d.name)).not.toContain('AWS Organizations');
    // Still searchable, and studied when named.
    expect(json('search', '"deck:AWS Organizations"').total).toBe(list.find((d: any) => d.name === 'AWS Organizations').total);
    expect(json('undo').undone.kind).toBe('config');
    expect(json('decks').map((d: any) => d.name)).toContain('AWS Organizations');
    json('deck', 'hide', 'AWS Organizations');
    expect(json('deck', 'unhide', 'AWS Organizations')).toMatchObject({ hidden: false, changed: ['AWS Organizations'] });

    expect(cli('deck', 'delete', 'Spanish').code).toBe(2); // no terminal to ask on, no --yes
    expect(json('deck', 'delete', 'Spanish', '--dry-run')).toMatchObject({ decks: ['Spanish'], cards: 5, dryRun: true });
    expect(json('deck', 'delete', 'Spanish', '--yes')).toMatchObject({ decks: ['Spanish'], cards: 5, dryRun: false });
    expect(json('search', 'deck:spanish').total).toBe(0);
    expect(json('deck', 'list').map((d: any) => d.name)).not.toContain('Spanish');
    expect(json('deck', 'list', '--all').find((d: any) => d.name === 'Spanish')).toMatchObject({ deleted: true, total: 0 });
    expect(cli('deck', 'delete', 'AWS Organizations', '--yes').stderr).toContain('built-in deck');
    expect(json('undo').undone.kind).toBe('deck-delete');
    expect(json('search', 'deck:spanish').total).toBe(5);
  });

  it('a built-in deck stays hidden when recall is upgraded (its file changes and is synced again)', () => {
    const { json, db, env } = setup();
    json('deck', 'hide', 'AWS Organizations');
    // An upgrade: the stored hash no longer matches the shipped file, so the next start syncs the deck again.
    const conn = new Database(db);
    conn.prepare("UPDATE decks SET file_hash = 'old' WHERE origin = 'builtin'").run();
    conn.close();
    expect(runJson<any[]>(['decks'], env).map((d) => d.name)).not.toContain('AWS Organizations');
    expect(json('deck', 'list').find((d: any) => d.name === 'AWS Organizations').hidden).toBe(true);
  });
});

describe('recall config with presets', () => {
  it('sets, gets and resets options per deck through presets; shows which preset each deck uses; undoes each change', () => {
    const { json, cli } = setup();
    expect(json('config', 'get', 'parameters')).toEqual({ parameters: null });
    expect(cli('config', 'get', 'parameters').stdout).toContain('FSRS defaults');
    const set = json('config', 'set', 'retention', '0.85', '--deck', 'Spanish');
    expect(set).toMatchObject({ key: 'desiredRetention', value: 0.85, previous: 0.9, scope: 'preset', preset: 'Spanish', decks: ['Spanish'], createdPreset: 'Spanish', changed: true });
    expect(json('config', 'get', 'retention', '--deck', 'spanish')).toEqual({ desiredRetention: 0.85, preset: 'Spanish' });
    expect(json('config', 'get', 'retention')).toEqual({ desiredRetention: 0.9 });
    expect(json('config', 'set', 'newPerDay', '5', '--deck', 'Spanish')).toMatchObject({ preset: 'Spanish', createdPreset: null });
    const params = Array.from({ length: 21 }, (_, i) => (i === 20 ? 0.2 : 1 + i / 10).toFixed(2));
    expect(json('config', 'set', 'parameters', params.join(' '), '--deck', 'Spanish')).toMatchObject({ key: 'parameters', value: params.map(Number) });
    const all = json('config');
    expect(all.presets).toEqual([{ name: 'Spanish', values: { desiredRetention: 0.85, newPerDay: 5, parameters: params.map(Number) }, decks: ['Spanish'] }]);
    expect(all.decks.find((d: any) => d.name === 'Spanish')).toEqual({ name: 'Spanish', preset: 'Spanish', hidden: false });
    const text = cli('config').stdout;
    expect(text).toMatch(/Presets\n {2}Spanish {2}used by Spanish\n/);
    expect(text).toMatch(/Decks\n[\s\S]*Spanish +Spanish\n/);
    expect(json('config', 'reset', 'parameters', '--deck', 'Spanish')).toMatchObject({ key: 'parameters', value: null, previous: params.map(Number) });
    expect(json('config', 'get', 'parameters', '--deck', 'Spanish')).toEqual({ parameters: null, preset: 'default' });
    expect(json('undo').undone).toMatchObject({ kind: 'config', label: 'the reset of parameters in preset "Spanish"' });
    expect(json('config', 'get', 'parameters', '--deck', 'Spanish').parameters).toEqual(params.map(Number));
    // A collection-wide setting is not per deck; a deck on the global settings has nothing to reset.
    expect(cli('config', 'set', 'timeZone', 'UTC', '--deck', 'Spanish').stderr).toContain('applies to the whole collection');
    expect(cli('config', 'reset', 'newPerDay', '--deck', 'AWS Organizations').code).toBe(2);
    // Presets are shared by name; "default" takes a deck back to the global settings.
    expect(json('config', 'use', 'Spanish', '--deck', 'AWS Organizations')).toMatchObject({ preset: 'Spanish', decksChanged: ['AWS Organizations'] });
    expect(json('config', 'get', 'newPerDay', '--deck', 'AWS Organizations')).toEqual({ newPerDay: 5, preset: 'Spanish' });
    expect(json('config', 'use', 'default', '--deck', 'AWS Organizations')).toMatchObject({ preset: 'default' });
    expect(json('config', 'get', 'newPerDay', '--deck', 'AWS Organizations')).toEqual({ newPerDay: 20, preset: 'default' });
  });

  it('learning steps may be in seconds and must increase', () => {
    const { json, cli } = setup();
    expect(json('config', 'set', 'learningSteps', '30s 5m 1h')).toMatchObject({ value: ['30s', '5m', '1h'] });
    const bad = cli('config', 'set', 'learningSteps', '10m 1m');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('each step must be longer than the one before (1m follows 10m)');
    expect(bad.stderr).toContain('"1m 10m"');
    expect(cli('config', 'set', 'relearningSteps', '5m 5m').code).toBe(2);
    expect(cli('config', 'set', 'learningSteps', '0s').code).toBe(2);
    expect(cli('config', 'set', 'learningSteps', '10x').code).toBe(2);
  });
});
