// The interactive parts of managing the collection, in a real terminal (tmux): the form of `recall add` (a new deck,
// a multiple-choice card, a card the parser refuses and the form filled in again), and `recall edit` with EDITOR set
// to a script, re-opened on a problem.
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { commitAnswer, drawCard } from '../src/app/answer.js';
import { openContext } from '../src/app/context.js';
import { setOption } from '../src/app/options.js';
import { CLI, Terminal, ensureBuilt, hasTmux, runCli, runJson, tempDir } from './helpers/cli.js';

const ENV = { RECALL_NOW: '2026-03-10T09:00:00Z', TZ: 'UTC' };

beforeAll(() => ensureBuilt());
let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.reverse()) c();
  cleanups = [];
});

function setup() {
  const t = tempDir();
  cleanups.push(t.cleanup);
  const db = join(t.dir, 'recall.db');
  const deck = join(t.dir, 'spanish.deck');
  writeFileSync(deck, 'deck: Spanish\n\n--- basic hola\nQ: hola\nA: hello\n');
  expect(runCli(['--db', db, 'import', deck], ENV).code).toBe(0);
  const term = (command: string, env: Record<string, string> = {}) => {
    const x = new Terminal(command, { env: { ...ENV, ...env }, socketDir: t.dir });
    cleanups.push(() => x.kill());
    return x;
  };
  return { dir: t.dir, db, deck, term };
}

describe.skipIf(!hasTmux)('recall add and recall edit in a real terminal', () => {
  it('the add form: a new deck, a multiple-choice card; a refused card is asked again with the answers filled in', async () => {
    const { db, term } = setup();
    const t = term(`node ${CLI} --db ${db} add`);
    await t.waitFor('Deck');
    await t.waitFor('a new deck');
    t.send('Down', 'Enter');
    await t.waitFor('Name of the new deck:');
    t.type('Maths');
    t.send('Enter');
    await t.waitFor('Type');
    t.send('Down', 'Down', 'Down', 'Down'); // basic, reversed, cloze, typed, choice
    await t.waitFor('❯ choice');
    t.send('Enter');
    await t.waitFor('Question:');
    t.type('2 + 2 = ?');
    t.send('Enter');
    await t.waitFor('The right option:');
    t.type('4');
    t.send('Enter');
    await t.waitFor('Wrong option 1:');
    // The same text as the right option: the deck parser refuses duplicate options.
    t.type('4');
    t.send('Enter');
    await t.waitFor('Wrong option 2 (empty to finish):');
    t.send('Enter');
    await t.waitFor('Explanation shown after the answer (optional):');
    t.type('two and two');
    t.send('Enter');
    await t.waitFor('Tags, separated by spaces (optional):');
    t.type('arith');
    t.send('Enter');
    await t.waitFor('The card is not valid: duplicate option "4"');
    await t.waitFor('Change the card and try again?');
    t.send('Enter');
    // The form again, each answer filled in: keep the type and the question, replace the wrong option.
    await t.waitForCount('Type', 2);
    t.send('Enter');
    await t.waitForCount('Question:', 2);
    t.send('Enter');
    await t.waitForCount('The right option:', 2);
    t.send('Enter');
    await t.waitForCount('Wrong option 1:', 2);
    t.send('BSpace');
    t.type('5');
    t.send('Enter');
    await t.waitForCount('Wrong option 2 (empty to finish):', 2);
    t.send('Enter');
    await t.waitForCount('Explanation shown after the answer (optional):', 2);
    t.send('Enter');
    await t.waitForCount('Tags, separated by spaces (optional):', 2);
    t.send('Enter');
    await t.waitFor(/Made the deck "Maths"\. Added card \d+ to "Maths"\./);
    await t.waitFor('[exit 0]');
    const s = runJson<{ cards: any[] }>(['--db', db, 'search', 'deck:maths'], ENV);
    expect(s.cards).toHaveLength(1);
    expect(s.cards[0]).toMatchObject({
      type: 'choice',
      tags: ['arith'],
      content: { prompt: '2 + 2 = ?', options: [{ text: '4', correct: true }, { text: '5', correct: false }], explanation: 'two and two' },
    });
  });

  it('review --query studies only the cards the search matches; a malformed query is a usage error', async () => {
    const { db, deck, term } = setup();
    writeFileSync(deck, 'deck: Spanish\n\n--- basic hola\nQ: hola\nA: hello\ntags: greet\n\n--- basic casa\nQ: la casa\nA: the house\n');
    expect(runCli(['--db', db, 'import', deck], ENV).code).toBe(0);
    const t = term(`node ${CLI} --db ${db} review --query tag:greet`);
    await t.waitFor('space/Enter shows the answer');
    expect(t.screen()).toContain('hola');
    expect(t.screen()).toContain('1 new');
    t.send('Space');
    await t.waitFor('1 Again');
    t.send('4');
    await t.waitFor('Nothing more to study now.');
    await t.waitFor('[exit 0]');
    expect(t.screen()).not.toContain('la casa');
    const bad = term(`node ${CLI} --db ${db} review --query 'dekc:x'`);
    await bad.waitFor('column 1: unknown key "dekc" (did you mean deck?)');
    await bad.waitFor('[exit 2]');
  });

  it('quiz --query asks only the cards the search matches', async () => {
    const { db, deck, term } = setup();
    writeFileSync(deck, 'deck: Spanish\n\n--- basic hola\nQ: hola\nA: hello\ntags: greet\n\n--- basic casa\nQ: la casa\nA: the house\n');
    expect(runCli(['--db', db, 'import', deck], ENV).code).toBe(0);
    const t = term(`node ${CLI} --db ${db} quiz --query tag:greet --count 5`);
    await t.waitFor('question 1 of 1');
    expect(t.screen()).toContain('hola');
    t.send('Space');
    await t.waitFor('1 Again');
    t.send('3');
    await t.waitFor('Score: 1 / 1');
    await t.waitFor('[exit 0]');
  });

  it('the session says when an answer makes a card a leech (tagged and, with leechAction suspend, suspended)', async () => {
    const { db, term } = setup();
    // The card is a review card, due: answered Good twice in the past, in process.
    const ctx = openContext({ db, env: ENV });
    let now = Date.parse('2026-03-01T09:00:00Z');
    ctx.clock = () => now;
    setOption(ctx, 'leechThreshold', 1, {});
    setOption(ctx, 'leechAction', 'suspend', {});
    const id = ctx.store.allCardIds()[0]!;
    while (ctx.store.getCard(id)!.schedule?.state !== 2) {
      commitAnswer(ctx, drawCard(ctx, ctx.store.getCard(id)!), 3, { durationMs: 1000 });
      now = ctx.store.getCard(id)!.schedule!.due;
    }
    const due = ctx.store.getCard(id)!.schedule!.due;
    ctx.store.close();
    const t = term(`node ${CLI} --db ${db} review`, { RECALL_NOW: new Date(due + 60_000).toISOString() });
    await t.waitFor('space/Enter shows the answer');
    t.send('Space');
    await t.waitFor('1 Again');
    t.send('1');
    await t.waitFor(`This card is a leech: forgotten 1 time. Tagged leech and suspended; rewrite it with recall edit ${id}, then recall unsuspend id:${id}.`);
    // The session goes on without it (to the built-in decks' new cards).
    await t.waitFor('space/Enter shows the answer');
    expect(t.screen().split('This card is a leech')[1]).not.toContain('hola');
    t.send('q');
    await t.waitFor('[exit 0]');
    expect(runJson<any>(['--db', db, 'show', String(id)], ENV)).toMatchObject({ leech: true, suspended: true, tags: ['leech'] });
  });

  it('edit opens $EDITOR on the card, re-opens it with the problem, and saves the fixed card', async () => {
    const { db, dir, deck, term } = setup();
    const count = join(dir, 'count');
    const editor = join(dir, 'editor.sh');
    // First save breaks the entry (an unknown key); the second, shown the problem at the end of the file, fixes it.
    writeFileSync(
      editor,
      `#!/bin/sh\nn=$(cat ${count} 2>/dev/null || echo 0); echo $((n+1)) > ${count}\n` +
        `if [ "$n" = 0 ]; then sed -i 's/^A: hello$/Answer: hello there/' "$1"; else grep -q '^# recall: line 5: unknown key Answer:' "$1" && sed -i 's/^Answer:/A:/' "$1"; fi\n`,
    );
    chmodSync(editor, 0o755);
    const id = runJson<{ cards: { id: number }[] }>(['--db', db, 'search', 'hola'], ENV).cards[0]!.id;
    const t = term(`node ${CLI} --db ${db} edit ${id}`, { EDITOR: editor, VISUAL: '' });
    await t.waitFor(`spanish.deck:5: unknown key Answer: for a basic card`);
    await t.waitFor(`Saved card ${id} in ${deck}; it keeps its history.`);
    await t.waitFor('[exit 0]');
    expect(readFileSync(count, 'utf8').trim()).toBe('2');
    expect(readFileSync(deck, 'utf8')).toBe('deck: Spanish\n\n--- basic hola\nQ: hola\nA: hello there\n');
    expect(runJson<any>(['--db', db, 'show', String(id)], ENV)).toMatchObject({ id, content: { back: 'hello there' }, events: [{ kind: 'edit' }] });
  });
});
