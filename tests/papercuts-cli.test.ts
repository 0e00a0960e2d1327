// Papercuts found on a fresh clone, each checked through the built CLI as a process: usage errors for mistyped
// options, the prefix of commander's errors, the list of non-interactive commands, deck-name collisions, exit
// codes, JSON error locations, plurals, sync hints and the syncTarget setting.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { commitAnswer, drawCard } from '../src/app/answer.js';
import { openContext } from '../src/app/context.js';
import { CLI, Terminal, ensureBuilt, hasTmux, runCli, runJson, tempDir } from './helpers/cli.js';

const NOW = '2026-03-10T09:00:00Z';

beforeAll(() => ensureBuilt());
let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.reverse()) c();
  cleanups = [];
});

const SPANISH = `deck: Spanish

--- basic hola
Q: hola
A: hello
tags: greet

--- basic casa
Q: la casa
A: the house
`;

function setup() {
  const t = tempDir('recall-papercuts-');
  cleanups.push(t.cleanup);
  const db = join(t.dir, 'recall.db');
  const deck = join(t.dir, 'spanish.deck');
  writeFileSync(deck, SPANISH);
  const env = { RECALL_DB: db, RECALL_NOW: NOW, TZ: 'UTC' };
  expect(runCli(['import', deck], env).code).toBe(0);
  const cli = (...args: string[]) => runCli(args, env);
  const json = <T = any>(...args: string[]) => runJson<T>(args, env);
  return { dir: t.dir, db, deck, env, cli, json };
}

describe('unknown options of commands that take a query', () => {
  it('are usage errors with the nearest option suggested, not search text', () => {
    const { cli } = setup();
    for (const kind of ['suspend', 'unsuspend', 'bury', 'unbury', 'forget']) {
      const r = cli(kind, '--dryrun', 'deck:Spanish');
      expect(r.code, kind).toBe(2);
      expect(r.stderr).toContain("unknown option '--dryrun'");
      expect(r.stderr).toContain('--dry-run');
      expect(r.stdout).toBe('');
    }
    for (const args of [['search', '--limt', '3', 'hola'], ['show', '--jsn', 'hola'], ['edit', '--jsn', 'hola'], ['review', '--query', '--dryrun'], ['quiz', '-q', '--deck']]) {
      const r = cli(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/unknown option '--/);
    }
    expect(cli('search', '--limt', '3', 'hola').stderr).toContain('--limit');
  });

  it('still reads a leading negation, and -- ends the options', () => {
    const { cli, json } = setup();
    expect(json('search', '-tag:greet', 'deck:spanish').total).toBe(1);
    expect(cli('suspend', '--dry-run', '-tag:greet').code).toBe(0);
    const r = cli('search', '--', '--zzqx');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('No cards match');
  });

  it('under --json are JSON errors', () => {
    const { cli } = setup();
    const r = cli('suspend', '--dryrun', 'hola', '--json');
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stderr).error).toMatchObject({ code: 'usage' });
  });
});

describe("commander's own errors", () => {
  it('carry the recall: prefix and exit 2', () => {
    const { cli } = setup();
    for (const args of [['stats', '--dek', 'x'], ['import'], ['quiz', '--type', 'nope']]) {
      const r = cli(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/^recall: /);
      expect(r.stderr).not.toMatch(/^error: /m);
    }
  });
});

describe('review and quiz without a terminal', () => {
  it('list every non-interactive command the program has', () => {
    const { cli } = setup();
    for (const kind of ['review', 'quiz']) {
      const r = cli(kind);
      expect(r.code).toBe(2);
      const list = /non-interactive commands: ([^(]*)\(/.exec(r.stderr)?.[1] ?? '';
      const names = list.split(',').map((s) => s.trim());
      for (const c of ['decks', 'check', 'import', 'stats', 'export', 'optimize', 'config', 'search', 'show', 'add', 'suspend', 'forget', 'deck', 'undo', 'sync', 'doctor']) expect(names, c).toContain(c);
      expect(names).not.toContain('review');
      expect(names).not.toContain('quiz');
    }
  });
});

describe('recall edit without a terminal', () => {
  it('refuses (exit 2) when no editor is chosen, instead of starting vi', () => {
    const { cli, env, json } = setup();
    const id = String(json('search', 'hola').cards[0].id);
    const r = runCli(['edit', id], { ...env, EDITOR: '', VISUAL: '' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('needs a terminal');
    expect(r.stdout).toBe('');
    // With an editor chosen, editing without a terminal still works.
    const ed = join(env.RECALL_DB.replace(/recall\.db$/, ''), 'ed.sh');
    writeFileSync(ed, `#!/bin/sh\nsed -i 's/A: hello/A: hi/' "$1"\n`, { mode: 0o755 });
    const ok = runCli(['edit', id], { ...env, EDITOR: ed, VISUAL: '' });
    expect(ok.code).toBe(0);
    expect(cli('show', id).stdout).toContain('hi');
  });
});

describe.skipIf(!hasTmux)('recall deck delete, declined', () => {
  it('says nothing was deleted and exits 0', async () => {
    const { db, dir, json } = setup();
    const t = new Terminal(`node ${CLI} --db ${db} deck delete Spanish`, { env: { RECALL_NOW: NOW, TZ: 'UTC' }, socketDir: dir });
    cleanups.push(() => t.kill());
    await t.waitFor('Delete 2 cards');
    t.type('n');
    t.send('Enter');
    await t.waitFor('[exit');
    expect(t.screen()).toContain('Nothing was deleted.');
    expect(t.screen()).toContain('[exit 0]');
    expect(json('search', 'deck:Spanish').total).toBe(2);
  });
});

describe('deck names are unique ignoring case', () => {
  it('import --deck, a deck: line and a package deck may not differ from an existing deck only in case', () => {
    const { cli, json, dir, deck } = setup();
    const builtin = cli('import', deck, '--deck', 'aws organizations');
    expect(builtin.code).toBe(2);
    expect(builtin.stderr).toContain('"AWS Organizations"');
    const variant = join(dir, 'variant.deck');
    writeFileSync(variant, SPANISH.replace('deck: Spanish', 'deck: SPANISH'));
    const r = cli('import', variant);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('"Spanish"');
    const j = cli('import', variant, '--json');
    expect(JSON.parse(j.stderr).error).toMatchObject({ code: 'deck-name-case', file: variant });
    expect(cli('import', deck, '--deck', 'spanish').code).toBe(2);
    // Two files of one import that differ only in case.
    const other = join(dir, 'french.deck');
    const other2 = join(dir, 'french2.deck');
    writeFileSync(other, SPANISH.replace('deck: Spanish', 'deck: French'));
    writeFileSync(other2, SPANISH.replace('deck: Spanish', 'deck: french'));
    expect(cli('import', other, other2).code).toBe(2);
    // Anki text into a case variant.
    const txt = join(dir, 'cards.txt');
    writeFileSync(txt, 'uno\tone\n');
    expect(cli('import', txt, '--deck', 'SPANISH').code).toBe(2);
    // Nothing was made: one Spanish, no French, one AWS Organizations.
    const names = json('deck', 'list').decks?.map((d: any) => d.name) ?? json('deck', 'list').map((d: any) => d.name);
    expect(names.filter((n: string) => n.toLowerCase() === 'spanish')).toEqual(['Spanish']);
    expect(names.filter((n: string) => n.toLowerCase() === 'aws organizations')).toEqual(['AWS Organizations']);
    expect(names.filter((n: string) => n.toLowerCase() === 'french')).toEqual([]);
    // The same name exactly is the same deck.
    expect(cli('import', deck).code).toBe(0);
    expect(cli('import', txt, '--deck', 'Spanish').code).toBe(0);
  });

  it('sync keeps two decks from two machines that differ only in case apart, the newcomer marked', () => {
    const { cli, json, dir, env } = setup();
    const other = join(dir, 'other.db');
    const lower = join(dir, 'lower.deck');
    writeFileSync(lower, SPANISH.replace('deck: Spanish', 'deck: spanish').replace(/hola/g, 'adios'));
    expect(runCli(['import', lower], { ...env, RECALL_DB: other }).code).toBe(0);
    const r = cli('sync', other);
    expect(r.code, r.stderr).toBe(0);
    for (const db of [env.RECALL_DB, other]) {
      const names = (runJson<any[]>(['decks'], { ...env, RECALL_DB: db }) as any[]).map((d) => d.name as string);
      const lowered = names.map((n) => n.toLowerCase());
      expect(new Set(lowered).size, names.join(', ')).toBe(lowered.length);
    }
    expect(json('search', '"deck:spanish (2)"').total).toBe(2);
  });

  it('a subdeck under a built-in name: deck rename allows it, and importing the renamed file again agrees', () => {
    const { cli, json, deck } = setup();
    const r = cli('deck', 'rename', 'Spanish', 'AWS Organizations::Mine');
    expect(r.code).toBe(0);
    const again = cli('import', deck);
    expect(again.code, again.stderr).toBe(0);
    expect(json('search', '"deck:AWS Organizations::Mine"').total).toBe(2);
    // The built-in deck's own name, in any case, stays refused.
    expect(cli('deck', 'rename', 'AWS Organizations::Mine', 'aws organizations').code).toBe(2);
  });
});

describe('the --json error of an invalid deck file', () => {
  it('names the file and the line of the (first) problem', () => {
    const { cli, dir } = setup();
    const broken = join(dir, 'broken.deck');
    writeFileSync(broken, 'deck: Broken\n--- bogus x\nQ: a\n');
    const r = cli('import', broken, '--json');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stderr).error).toMatchObject({ code: 'deck-invalid', file: broken, line: 2, message: 'unknown question type "bogus"' });
    expect(cli('import', broken).stderr).toContain(`${broken}:2: unknown question type "bogus"`);
    const two = join(dir, 'two.deck');
    writeFileSync(two, 'deck: Two\n\n--- basic a\nQ: a\n\n--- bogus b\nQ: b\n');
    const e = JSON.parse(cli('import', two, '--json').stderr).error;
    expect(e).toMatchObject({ file: two, line: 3 });
    expect(e.message).toContain(`${two}:6:`);
    // A search that cannot be read: the column in the query.
    const q = cli('search', 'deck:Spanish dekc:x', '--json');
    expect(q.code).toBe(2);
    expect(JSON.parse(q.stderr).error).toMatchObject({ code: 'bad-query', column: 14, file: null, line: null });
    // recall check --json lists every problem with its file and line.
    const c = cli('check', broken, '--json');
    expect(c.code).toBe(1);
    expect(JSON.parse(c.stdout).problems[0]).toMatchObject({ file: broken, line: 2 });
  });
});

describe('counts agree with their nouns', () => {
  it('the sync summary and a setting that reschedules say "1 review", "1 deck", "1 card"', () => {
    const { cli, env, dir } = setup();
    const ctx = openContext({ db: env.RECALL_DB, env });
    ctx.clock = () => Date.parse(NOW);
    const id = ctx.store.cardIds({ deckIds: [ctx.store.deckByName('Spanish')!.id] })[0]!;
    // Easy: straight to review, so a new desired retention moves its due date.
    commitAnswer(ctx, drawCard(ctx, ctx.store.getCard(id)!), 4, { durationMs: 1000 });
    ctx.store.close();
    const other = join(dir, 'other.db');
    expect(runCli(['decks'], { ...env, RECALL_DB: other }).code).toBe(0);
    const first = cli('sync', other);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).not.toMatch(/\b1 (reviews|decks|cards|card events|settings)\b/);
    expect(first.stdout).toMatch(/\b1 review\b/);
    expect(first.stdout).toMatch(/\b1 deck\b/);
    const set = cli('config', 'set', 'desiredRetention', '0.85');
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toContain('1 card rescheduled');
    expect(set.stdout).not.toContain('(s)');
  });
});

describe('recall sync with a target that is no recall database', () => {
  it('a file or a folder: the hint is about the sync target, not --db', () => {
    const { cli, dir, deck } = setup();
    for (const target of [deck, dir]) {
      const r = cli('sync', target);
      expect(r.code, target).toBe(2);
      expect(r.stderr).toContain('sync target');
      expect(r.stderr).toContain('postgres://');
      expect(r.stderr).not.toContain('--db');
    }
    expect(JSON.parse(cli('sync', deck, '--json').stderr).error.hint).toContain('postgres://');
  });
});

describe('syncTarget is a setting like the others', () => {
  it('listed by config and config get, set, reset; never with a password', () => {
    const { cli, json, dir } = setup();
    const target = join(dir, 'shared.db');
    expect(cli('config').stdout).toMatch(/syncTarget\s+none/);
    expect(cli('config', 'set', 'syncTarget', target).code).toBe(0);
    expect(cli('config').stdout).toContain(`syncTarget`);
    expect(cli('config').stdout).toContain(target);
    expect(json('config').settings.syncTarget).toBe(target);
    expect(json('config', 'get').syncTarget).toBe(target);
    const reset = cli('config', 'reset', 'syncTarget');
    expect(reset.code, reset.stderr).toBe(0);
    expect(reset.stdout).toContain('none');
    expect(json('config', 'get', 'syncTarget').syncTarget).toBeNull();
    expect(json('config').settings.syncTarget).toBeNull();
    expect(cli('config', 'reset', 'syncTarget', '--deck', 'Spanish').code).toBe(2);
    // A password is refused, and never printed.
    const pw = cli('config', 'set', 'syncTarget', 'postgres://me:secret@host/db');
    expect(pw.code).toBe(2);
    expect(pw.stderr).not.toContain('secret');
    expect(cli('config', 'set', 'syncTarget', 'postgres://me@host/db').code).toBe(0);
    expect(cli('config').stdout).toContain('postgres://me@host/db');
    expect(cli('config', 'set', 'nope', '1').stderr).toContain('syncTarget');
  });
});
