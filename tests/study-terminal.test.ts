// The study loop in a real terminal (tmux), with a deck that has a preset of its own: the interval on each button is
// the interval saved; s then u and b then u leave the card as it was and the answer before it untouched; and
// `recall undo` takes back actions of three kinds in reverse order, saying what each was.
import Database from 'better-sqlite3';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { formatInterval } from '../src/scheduler/index.js';
import { CLI, Terminal, ensureBuilt, hasTmux, runCli, runJson, tempDir } from './helpers/cli.js';

const NOW = '2026-03-10T09:00:00Z';
const ENV = { RECALL_NOW: NOW, TZ: 'UTC' };
const PRESET = [0.9, 2.5, 8.0, 40.0, 6.8, 0.6, 2.2, 0.002, 1.8, 0.12, 1.1, 1.6, 0.07, 0.4, 1.7, 0.5, 3.0, 0.5, 0.3, 0.1, 0.15];

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
  const deck = join(t.dir, 'p.deck');
  writeFileSync(deck, `deck: Preset\n\n${Array.from({ length: 8 }, (_, i) => `--- basic p${i}\nQ: preset question ${i}\nA: answer ${i}\n`).join('\n')}`);
  expect(runCli(['--db', db, 'import', deck], ENV).code).toBe(0);
  expect(runCli(['--db', db, 'config', 'set', 'timeZone', 'UTC'], ENV).code).toBe(0);
  // The deck's own parameters, in its own preset, as `recall optimize --deck Preset` would store them.
  expect(runCli(['--db', db, 'config', 'set', 'parameters', PRESET.join(' '), '--deck', 'Preset'], ENV).code).toBe(0);
  const term = new Terminal(`node ${CLI} --db ${db} review --deck Preset`, { env: ENV, socketDir: t.dir });
  cleanups.push(() => term.kill());
  return { db, term };
}

/** The last answer row of the card that asks `question`, with its saved interval. */
function lastAnswer(db: string, question: string) {
  const conn = new Database(db, { readonly: true });
  try {
    return conn
      .prepare(
        `SELECT r.rating, r.due - r.reviewed_at AS interval, r.undone_at AS undone FROM reviews r JOIN cards c ON c.id = r.card_id
         WHERE c.content LIKE ? ORDER BY r.id DESC LIMIT 1`,
      )
      .get(`%${question}%`) as { rating: number; interval: number; undone: number | null } | undefined;
  } finally {
    conn.close();
  }
}

const asked = (screen: string) => [...screen.matchAll(/preset question (\d)/g)].map((m) => Number(m[1])).at(-1)!;

describe.skipIf(!hasTmux)('the study loop in a real terminal', () => {
  it('each button shows the interval that is saved, with the deck preset', async () => {
    const { db, term } = setup();
    // Each card's prompt is cleared once answered and the acknowledgement printed in its place (`Preset Good → 10m`),
    // so the screen shows one prompt at a time after the acknowledgements so far.
    for (const g of [1, 2, 3, 4] as const) {
      await term.waitForCount('→', g - 1);
      await term.waitFor('space/Enter shows the answer');
      const q = asked(term.screen());
      term.send('Space');
      const screen = await term.waitFor('1 Again');
      const buttons = screen.split('\n').filter((l) => l.startsWith('1 Again')).at(-1)!;
      const label = new RegExp(`${g} (?:Again|Hard|Good|Easy) (\\S+)`).exec(buttons)![1]!;
      term.send(String(g));
      await term.waitForCount('→', g);
      const saved = lastAnswer(db, `preset question ${q}`)!;
      expect(saved.rating).toBe(g);
      expect(formatInterval(saved.interval), `grade ${g}: button said ${label}`).toBe(label);
    }
    // Easy on a new card with this preset: its initial stability (40 days) is far from the default's (~8).
    expect(lastAnswer(db, 'preset question 3')!.interval).toBeGreaterThan(30 * 86_400_000);
    term.send('q');
    await term.waitFor('[exit 0]');
  });

  it('s then u, and b then u: the card comes back as it was, the answer before it stands; recall undo goes back three actions', async () => {
    const { db, term } = setup();
    const prompt = 'space/Enter shows the answer';
    await term.waitFor(prompt);
    const first = asked(term.screen());
    term.send('Space');
    await term.waitFor('1 Again');
    term.send('3');
    await term.waitFor('Good →');
    await term.waitFor(prompt);
    const second = asked(term.screen());
    const answered = lastAnswer(db, `preset question ${first}`);

    term.send('s');
    await term.waitFor('Suspended.');
    await term.waitFor(prompt);
    expect(asked(term.screen())).not.toBe(second);
    term.send('u');
    await term.waitFor(`Undid the suspension of "preset question ${second}" (Preset). The card is back.`);
    await term.waitFor(prompt);
    expect(asked(term.screen())).toBe(second);
    term.send('b');
    await term.waitFor('Buried until tomorrow.');
    await term.waitFor(prompt);
    term.send('u');
    await term.waitFor(`Undid the burial of "preset question ${second}" (Preset). The card is back.`);
    await term.waitFor(prompt);
    expect(asked(term.screen())).toBe(second);
    expect(lastAnswer(db, `preset question ${first}`)).toEqual(answered);
    let conn = new Database(db, { readonly: true });
    expect(conn.prepare("SELECT suspended, buried_until AS b FROM cards WHERE content LIKE ?").get(`%preset question ${second}%`)).toEqual({ suspended: 0, b: null });
    conn.close();

    // Three actions of three kinds: answer the second card, bury the third, suspend the fourth; then quit.
    term.send('Space');
    await term.waitFor('1 Again');
    term.send('2');
    await term.waitFor('Hard →');
    await term.waitFor(prompt);
    const third = asked(term.screen());
    term.send('b');
    await term.waitForCount('Buried until tomorrow.', 2);
    await term.waitFor(prompt);
    const fourth = asked(term.screen());
    term.send('s');
    await term.waitForCount('Suspended.', 2);
    await term.waitFor(prompt);
    term.send('q');
    await term.waitFor('[exit 0]');

    const undo = () => runJson<{ undone: { kind: string; grade?: number; cards: { question: string; deck: string }[] } | null }>(['--db', db, 'undo'], ENV).undone;
    expect(undo()).toMatchObject({ kind: 'suspend', cards: [{ question: `preset question ${fourth}`, deck: 'Preset' }] });
    const text = runCli(['--db', db, 'undo'], ENV);
    expect(text.code).toBe(0);
    expect(text.stdout).toBe(`Undid the burial of "preset question ${third}" (Preset).\n`);
    expect(undo()).toMatchObject({ kind: 'answer', grade: 2, cards: [{ question: `preset question ${second}` }] });
    conn = new Database(db, { readonly: true });
    const flags = conn.prepare('SELECT suspended, buried_until AS b FROM cards WHERE content LIKE ? OR content LIKE ?').all(`%question ${third}%`, `%question ${fourth}%`);
    expect(flags).toEqual([{ suspended: 0, b: null }, { suspended: 0, b: null }]);
    expect(lastAnswer(db, `preset question ${second}`)!.undone).not.toBeNull();
    expect(lastAnswer(db, `preset question ${first}`)).toEqual(answered);
    conn.close();
    expect(runCli(['--db', db, 'doctor'], ENV).code).toBe(0);
  });
});
