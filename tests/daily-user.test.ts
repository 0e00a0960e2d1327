// What a daily user reads (issue 20): removed cards in the import report, located Anki warnings, deck names as
// typed, spans in one unit, and a quiz left with Ctrl-C shown as unfinished. Through the built CLI.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatInterval } from '../src/scheduler/index.js';
import { CLI, Terminal, ensureBuilt, hasTmux, runCli, runJson, tempDir } from './helpers/cli.js';

const NOW = '2026-03-10T09:00:00Z';
const KANJI = join(__dirname, 'fixtures/anki-kanjiplot/collection.anki2');
let t: ReturnType<typeof tempDir>;
let n = 0;
const freshDb = () => join(t.dir, `db${n++}.db`);
const env = (db: string) => ({ RECALL_DB: db, RECALL_NOW: NOW, TZ: 'UTC' });

beforeAll(() => {
  ensureBuilt();
  t = tempDir();
});
afterAll(() => t.cleanup());

const deck = (cards: string[]) => `deck: Capitals\n\n${cards.map((c) => `--- basic ${c}\nQ: Capital of ${c}?\nA: ${c}-city\n`).join('\n')}`;

describe('a card removed from its deck file', () => {
  it('is reported as removed, with the way back, not counted as updated; putting it back restores it', () => {
    const db = freshDb();
    const file = join(t.dir, 'capitals.deck');
    writeFileSync(file, deck(['fr', 'de', 'it']));
    expect(runJson(['import', file], env(db))).toMatchObject({ cardsAdded: 3, cardsRemoved: 0 });

    writeFileSync(file, deck(['fr', 'de']));
    const json = runJson(['import', file], env(db));
    expect(json).toMatchObject({ cardsAdded: 0, cardsUpdated: 0, cardsUnchanged: 2, cardsRemoved: 1 });
    expect(json.files[0]).toMatchObject({ cardsRemoved: 1, cardsUpdated: 0 });
    // Nothing left the decks list unexplained: the deck shows the two cards it has.
    expect(runJson(['decks'], env(db)).find((d: { name: string }) => d.name === 'Capitals')).toMatchObject({ total: 2 });

    writeFileSync(file, deck(['fr']));
    const text = runCli(['import', file], env(db));
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('0 updated, 1 unchanged, 1 removed');
    expect(text.stdout).toContain(`1 card is no longer in its deck file: ${file} (1). It left study; its history is kept. To bring it back, put it back in the file and import again.`);

    writeFileSync(file, deck(['fr', 'de', 'it']));
    expect(runJson(['import', file], env(db))).toMatchObject({ cardsAdded: 0, cardsUpdated: 2, cardsRemoved: 0 });
  });
});

describe('Anki import warnings', () => {
  it('say where: the note (id and first field) or the collection as a whole; never file:0', () => {
    const r = runCli(['import', KANJI], env(freshDb()));
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`${KANJI}: In the collection: 56 review-log rows belong to cards deleted in Anki and are not imported`);
    expect(r.stderr).toContain(`${KANJI}: In the collection: Anki note type "Japanese"`);
    expect(r.stderr).not.toMatch(/:0:/);
  });
});

describe('deck names on the command line', () => {
  it('match case-insensitively; a misspelt one is refused with the nearest names', () => {
    const db = freshDb();
    const lower = runCli(['stats', '--deck', 'aws organizations', '--json'], env(db));
    expect(lower.code, lower.stderr).toBe(0);
    expect(JSON.parse(lower.stdout).decks.map((d: { name: string }) => d.name)).toEqual(['AWS Organizations']);
    const typo = runCli(['stats', '--deck', 'aws organisations'], env(db));
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('No deck named "aws organisations"');
    expect(typo.stderr).toContain('did you mean "AWS Organizations"');
  });
});

describe('spans', () => {
  it('are shown in one unit after rounding: never "24h" or "60m" beside "1d" and "1h"', () => {
    expect(formatInterval(23.6 * 3_600_000)).toBe('1d');
    expect(formatInterval(24 * 3_600_000)).toBe('1d');
    expect(formatInterval(23.4 * 3_600_000)).toBe('23h');
    expect(formatInterval(59.6 * 60_000)).toBe('1h');
    expect(formatInterval(29.6 * 86_400_000)).toBe('1mo');
    expect(formatInterval(10 * 60_000)).toBe('10m');
  });
});

describe.skipIf(!hasTmux)('a quiz left with Ctrl-C', () => {
  it('keeps the questions answered and shows "3 of 10, unfinished" in stats and its JSON', async () => {
    const db = freshDb();
    const term = new Terminal(`node ${CLI} --db ${db} quiz --count 10 --seed 7 --type truefalse --type choice`, { env: { RECALL_NOW: NOW, TZ: 'UTC' }, socketDir: t.dir, height: 60 });
    try {
      for (let i = 1; i <= 3; i++) {
        const screen = await term.waitFor(`question ${i} of 10`);
        const tail = screen.slice(screen.lastIndexOf(`question ${i} of 10`));
        term.send(tail.includes('t = true') ? 't' : '1');
        await term.waitFor(/1 Again\s+2 Hard\s+3 Good\s+4 Easy/);
        term.send('Enter');
      }
      await term.waitFor('question 4 of 10');
      term.send('C-c');
      const end = await term.waitFor('[exit 130]');
      expect(end).toContain('left after 3 of 10 questions');
    } finally {
      term.kill();
    }
    const stats = runJson(['stats'], env(db));
    expect(stats.quizzes).toHaveLength(1);
    expect(stats.quizzes[0]).toMatchObject({ questions: 3, planned: 10, unfinished: true });
    const text = runCli(['stats'], env(db)).stdout;
    expect(text).toMatch(/\(\d+(\.5)?\/3; 3 of 10, unfinished\)/);
    expect(text).not.toContain('(0/0)');
  });
});
