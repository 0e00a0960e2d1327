// The search query language: its parser (located errors with suggestions), what each key matches on a real
// collection, and properties: any text gives results or a located error and nothing else (never an SQL error), the
// SQL text of a query depends only on its shape (values are bound, never spliced), and the wildcard matcher agrees
// with a reference regular expression.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commitAnswer, drawCard } from '../src/app/answer.js';
import { applyCardAction } from '../src/app/card-actions.js';
import { openContext, type Context } from '../src/app/context.js';
import { importPaths } from '../src/app/import.js';
import { resolveSearch, searchCardIds, searchCards } from '../src/app/search.js';
import { RecallError } from '../src/core/errors.js';
import { fieldsText, matchHierarchical, matchPattern } from '../src/search/match.js';
import { parseQuery, type Pattern } from '../src/search/query.js';
import { compileQuery } from '../src/store/search.js';
import { tempDir } from './helpers/cli.js';

const T0 = Date.parse('2026-03-10T09:00:00Z');
const DAY = 86_400_000;

/** Throws unless `fn` throws a located query error; returns its message. */
function queryError(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(RecallError);
    expect((e as RecallError).code).toBe('bad-query');
    expect((e as RecallError).exitCode).toBe(2);
    return (e as RecallError).message;
  }
  throw new Error('expected a query error');
}

describe('the query parser', () => {
  it('reads words, phrases, keys, negation, or, and parentheses', () => {
    expect(parseQuery('')).toEqual({ kind: 'all' });
    expect(parseQuery('   ')).toEqual({ kind: 'all' });
    const q = parseQuery('cat -tag:x (is:new or "deck:My Deck*") prop:ivl>=10');
    expect(q).toMatchObject({
      kind: 'and',
      items: [
        { kind: 'term', column: 1, term: { key: 'text', pattern: { parts: ['cat'] } } },
        { kind: 'not', item: { kind: 'term', column: 6, term: { key: 'tag' } } },
        { kind: 'or', items: [{ term: { key: 'is', value: 'new' } }, { term: { key: 'deck', pattern: { parts: ['my deck', ''] } } }] },
        { kind: 'term', term: { key: 'prop', field: 'ivl', op: '>=', value: 10 } },
      ],
    });
    expect(parseQuery('deck:"a b"')).toMatchObject({ term: { key: 'deck', pattern: { parts: ['a b'] } } });
    expect(parseQuery('a and b')).toMatchObject({ kind: 'and', items: [{}, {}] });
    expect(parseQuery('rated:7:1')).toMatchObject({ term: { key: 'rated', days: 7, grade: 1 } });
    expect(parseQuery('id:3,5')).toMatchObject({ term: { key: 'id', ids: [3, 5] } });
    expect(parseQuery('tag:none')).toMatchObject({ term: { key: 'tag', pattern: null } });
    // Escapes make a colon, a star or a parenthesis plain text.
    expect(parseQuery('http\\://x')).toMatchObject({ term: { key: 'text', pattern: { parts: ['http://x'] } } });
    expect(parseQuery('a\\*b')).toMatchObject({ term: { key: 'text', pattern: { parts: ['a*b'] } } });
    expect(parseQuery('12:30')).toMatchObject({ term: { key: 'text', pattern: { parts: ['12:30'] } } });
  });

  it('says where a query is wrong, and suggests the nearest key or value', () => {
    expect(queryError(() => parseQuery('is:due dekc:Spanish'))).toBe('column 8: unknown key "dekc" (did you mean deck?)');
    expect(queryError(() => parseQuery('is:suspnded'))).toBe('column 4: unknown state "suspnded" (did you mean suspended?)');
    expect(queryError(() => parseQuery('type:clze'))).toBe('column 6: unknown type "clze" (did you mean cloze?)');
    expect(queryError(() => parseQuery('prop:ivel>3'))).toBe('column 6: unknown property "ivel" (did you mean ivl?)');
    expect(queryError(() => parseQuery('prop:ivl'))).toMatch(/^column 9: prop: needs an operator/);
    expect(queryError(() => parseQuery('prop:ivl>x'))).toBe('column 10: "x" is not a number');
    expect(queryError(() => parseQuery('a (b'))).toBe('column 3: this "(" is never closed');
    expect(queryError(() => parseQuery('a b)'))).toBe('column 4: ")" without a matching "("');
    expect(queryError(() => parseQuery('a "b c'))).toBe('column 3: this quote is never closed');
    expect(queryError(() => parseQuery('or a'))).toBe('column 1: "or" needs a term before it');
    expect(queryError(() => parseQuery('a or'))).toBe('column 3: "or" needs a term after it');
    expect(queryError(() => parseQuery('a - b'))).toMatch(/^column 3: "-" must be followed/);
    expect(queryError(() => parseQuery('()'))).toBe('column 1: empty parentheses');
    expect(queryError(() => parseQuery('deck:'))).toMatch(/^column 6: deck: needs a value/);
    expect(queryError(() => parseQuery('rated:0'))).toMatch(/^column 7: rated: days must be a whole number from 1/);
    expect(queryError(() => parseQuery('rated:3:5'))).toMatch(/^column 9: the grade must be/);
    expect(queryError(() => parseQuery('('.repeat(20) + 'a' + ')'.repeat(20)))).toMatch(/nest deeper/);
    expect(queryError(() => parseQuery(Array.from({ length: 70 }, (_, i) => `w${i}`).join(' ')))).toMatch(/more than 64 terms/);
  });

  it('any text parses to a tree or fails with a located error, nothing else (property)', () => {
    const alphabet = fc.constantFrom(...'abcdeiknoprstvy:*-"()\\ <>=!,.0123456789'.split(''), 'deck:', 'tag:', 'is:', 'prop:', 'rated:', ' or ', ' and ', 'é', '\u0000', '\n');
    const text = fc.oneof(fc.array(alphabet, { maxLength: 40 }).map((a) => a.join('')), fc.string({ maxLength: 60 }), fc.string({ unit: 'binary', maxLength: 30 }));
    fc.assert(
      fc.property(text, (q) => {
        try {
          parseQuery(q);
        } catch (e) {
          if (!(e instanceof RecallError) || e.code !== 'bad-query') throw e;
          const m = /^column (\d+): \S/.exec(e.message);
          if (!m) throw new Error(`unlocated: ${e.message}`);
          const col = Number(m[1]);
          if (col < 1 || col > q.length + 1) throw new Error(`column ${col} outside "${q}"`);
        }
      }),
      { numRuns: 3000 },
    );
  });
});

describe('the wildcard matcher', () => {
  const reference = (p: Pattern, text: string, contains: boolean) => {
    const body = p.parts.map((x) => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('[\\s\\S]*');
    return new RegExp(contains ? body : `^${body}$`).test(text.toLowerCase());
  };
  it('agrees with a reference regular expression on any pattern and text (property)', () => {
    const piece = fc.array(fc.constantFrom('a', 'b', 'ab', ':', 'B'), { maxLength: 4 }).map((a) => a.join('').toLowerCase());
    const pattern = fc.array(piece, { minLength: 1, maxLength: 5 }).map((parts): Pattern => ({ parts, source: parts.join('*') }));
    const text = fc.array(fc.constantFrom('a', 'b', 'A', ':', 'x'), { maxLength: 12 }).map((a) => a.join(''));
    fc.assert(
      fc.property(pattern, text, fc.boolean(), (p, t, contains) => {
        expect(matchPattern(p, t, contains)).toBe(reference(p, t, contains));
      }),
      { numRuns: 5000 },
    );
  });

  it('takes in subdecks and subtags: a pattern matches a name or any of its parents', () => {
    const p = (s: string): Pattern => ({ parts: s.toLowerCase().split('*'), source: s });
    expect(matchHierarchical(p('lang'), 'Lang::Spanish::Verbs')).toBe(true);
    expect(matchHierarchical(p('lang::span*'), 'Lang::Spanish::Verbs')).toBe(true);
    expect(matchHierarchical(p('lang::verbs'), 'Lang::Spanish::Verbs')).toBe(false);
    expect(matchHierarchical(p('lan'), 'Lang')).toBe(false);
  });
});

describe('search on a collection', () => {
  let ctx: Context;
  let cleanup: () => void;
  let ids: Record<string, number>;

  beforeAll(() => {
    const t = tempDir('recall-search-');
    cleanup = t.cleanup;
    const deck = (name: string, body: string) => {
      const f = join(t.dir, `${name.replace(/\W/g, '_')}.deck`);
      writeFileSync(f, `deck: ${name}\n\n${body}`);
      return f;
    };
    const files = [
      deck('Lang::Spanish', '--- basic hola\nQ: hola\nA: hello\ntags: greet spanish::basics\n\n--- reversed casa\nQ: la casa\nA: the house\n\n--- cloze gato\nT: El {{gato}} es {{negro}}.\n'),
      deck('Lang::German', '--- typed hund\nQ: der Hund\nA: the dog\naccept: dog\n\n--- truefalse wahr\nQ: "Haus" means house.\nA: true\ntags: greet\n'),
      deck('Quiz 100%', "--- choice q1\nQ: 2+2?\n- [x] 4\n- [ ] 5\n\n--- multi q2\nQ: Even numbers?\n- [x] 2\n- [x] 4\n- [ ] 3\n\n--- classify q3\nQ: Sort them\ncategories: odd | even\n- 1 => odd\n- 2 => even\nexplain: O'Reilly said \"so\" 50% of the time\n"),
    ];
    ctx = openContext({ db: join(t.dir, 'r.db'), env: { RECALL_NOW: new Date(T0).toISOString() } });
    let now = T0 - 20 * DAY;
    ctx.clock = () => now;
    ctx.store.transaction(() => ctx.store.setSetting('timeZone', 'UTC'));
    ctx.reloadSettings();
    importPaths(ctx, files);
    ids = {};
    for (const id of ctx.store.allCardIds()) ids[ctx.store.getCard(id)!.uid] = id;
    // hola: answered Good 20 days ago, then Again 10 days ago (a lapse); hund: Good today; casa suspended; gato::c1 buried.
    const answer = (uid: string, grade: 1 | 2 | 3 | 4) => commitAnswer(ctx, drawCard(ctx, ctx.store.getCard(ids[uid]!)!), grade, { durationMs: 5000 });
    answer('hola', 3);
    now += 3 * DAY;
    answer('hola', 3);
    now = T0 - 10 * DAY;
    answer('hola', 3);
    now = T0 - 9 * DAY;
    now = T0;
    answer('hund', 3);
    applyCardAction(ctx, [ids.casa!], { kind: 'suspend' });
    applyCardAction(ctx, [ids['gato::c1']!], { kind: 'bury' });
  });
  afterAll(() => {
    ctx.store.close();
    cleanup();
  });

  const uids = (q: string) => {
    const byId = new Map(Object.entries(ids).map(([u, i]) => [i, u]));
    return searchCardIds(ctx, q).map((i) => byId.get(i)!).sort();
  };

  it('matches each key as documented', () => {
    expect(uids('')).toHaveLength(10);
    expect(uids('hola')).toEqual(['hola']);
    expect(uids('HOUSE')).toEqual(['casa', 'casa::r', 'wahr']);
    expect(uids('"la casa"')).toEqual(['casa', 'casa::r']);
    expect(uids('h*nd')).toEqual(['hund']);
    expect(uids('deck:lang')).toEqual(['casa', 'casa::r', 'gato::c1', 'gato::c2', 'hola', 'hund', 'wahr']);
    expect(uids('deck:lang::spanish')).toEqual(['casa', 'casa::r', 'gato::c1', 'gato::c2', 'hola']);
    expect(uids('"deck:quiz 100%"')).toEqual(['q1', 'q2', 'q3']);
    expect(uids('deck:*German')).toEqual(['hund', 'wahr']);
    expect(uids('tag:greet')).toEqual(['hola', 'wahr']);
    expect(uids('tag:spanish')).toEqual(['hola']);
    expect(uids('tag:none deck:quiz*')).toEqual(['q1', 'q2', 'q3']);
    expect(uids('type:cloze')).toEqual(['gato::c1', 'gato::c2']);
    expect(uids('is:new')).toHaveLength(8);
    expect(uids('is:review')).toEqual(['hola', 'hund'].filter((u) => ctx.store.getCard(ids[u]!)!.schedule!.state >= 2));
    expect(uids('is:suspended')).toEqual(['casa']);
    expect(uids('is:buried')).toEqual(['gato::c1']);
    expect(uids('-is:new')).toEqual(['hola', 'hund']);
    expect(uids('rated:1')).toEqual(['hund']);
    expect(uids('rated:15')).toEqual(['hola', 'hund']);
    expect(uids('rated:30:3')).toEqual(['hola', 'hund']);
    expect(uids('rated:30:1')).toEqual([]);
    expect(uids('prop:reps>=3')).toEqual(['hola']);
    expect(uids('prop:lapses=0 -is:new')).toEqual(['hola', 'hund']);
    expect(uids('prop:ivl>0')).toEqual(['hola', 'hund'].filter((u) => ctx.store.getCard(ids[u]!)!.schedule!.scheduledDays > 0));
    expect(uids('prop:retrievability<1 prop:r>0')).toEqual(['hola']);
    expect(uids(`id:${ids.q1},${ids.q2}`)).toEqual(['q1', 'q2']);
    expect(uids('(tag:greet or type:choice) -deck:lang::spanish')).toEqual(['q1', 'wahr']);
    expect(uids('so 50%')).toEqual(['q3']);
    expect(uids("o'reilly")).toEqual(['q3']);
    // Field names are not text: "front" is in every basic card's stored form, and matches none.
    expect(uids('front')).toEqual([]);
  });

  it('is:due is what a session would show: reviews due today and learning cards due now, not set aside', () => {
    const due = uids('is:due');
    for (const u of due) {
      const c = ctx.store.getCard(ids[u]!)!;
      expect(c.suspended).toBe(false);
      expect(c.schedule!.state).not.toBe(0);
    }
    expect(searchCards(ctx, 'is:due').total).toBe(due.length);
  });

  it('an unknown deck is a located error with the nearest names', () => {
    expect(queryError(() => searchCards(ctx, 'is:new deck:Spansh'))).toBe('column 8: no deck matches "Spansh" (did you mean "Lang::Spanish"?)');
  });

  it('sorts, limits and counts', () => {
    const page = searchCards(ctx, '', { sort: 'id', limit: 3 });
    expect(page.total).toBe(10);
    expect(page.cards.map((c) => c.id)).toEqual([...page.cards.map((c) => c.id)].sort((a, b) => a - b));
    const rev = searchCards(ctx, '', { sort: 'id', reverse: true, limit: 2 });
    expect(rev.cards[0]!.id).toBeGreaterThan(rev.cards[1]!.id);
    expect(searchCards(ctx, '-is:new', { sort: 'due' }).cards.map((c) => c.due)).toEqual(
      searchCards(ctx, '-is:new').cards.map((c) => c.due).sort((a, b) => a! - b!),
    );
  });

  it('random queries over this collection give results or a located error, never an SQL error (property)', () => {
    const value = fc.constantFrom('a', 'hola', "o'reilly", '%', '_', '*', 'x*y', '"quoted phrase"', "'; DROP TABLE cards; --", '\\"', 'lang', 'lang::*', '100%', 'é');
    const term = fc.oneof(
      value,
      fc.tuple(fc.constantFrom('deck:', 'tag:', 'type:', 'is:', 'id:', 'rated:', 'added:', 'prop:', 'dekc:'), value).map(([k, v]) => k + v),
      fc.constantFrom('is:due', 'is:new', 'is:learn', 'is:review', 'is:suspended', 'is:buried', 'is:leech', 'is:removed', 'tag:none', 'deck:*', 'deck:lang', 'type:cloze'),
      fc.tuple(fc.constantFrom('ivl', 'due', 'lapses', 'reps', 'stability', 'difficulty', 'retrievability', 'r', 'bogus'), fc.constantFrom('=', '!=', '<', '<=', '>', '>=', ''), fc.constantFrom('0', '1', '-3', '0.5', '1e9', 'x')).map(([f, o, n]) => `prop:${f}${o}${n}`),
      fc.tuple(fc.integer({ min: -2, max: 40000 }), fc.option(fc.integer({ min: 0, max: 5 }))).map(([d, g]) => `rated:${d}${g === null ? '' : `:${g}`}`),
      fc.integer({ min: -5, max: 100 }).map((n) => `id:${n}`),
    );
    const query: fc.Arbitrary<string> = fc.letrec((tie) => ({
      q: fc.oneof({ depthSize: 'small' }, term, fc.tuple(tie('q'), tie('q')).map(([a, b]) => `${a} ${b}`), fc.tuple(tie('q'), tie('q')).map(([a, b]) => `(${a} or ${b})`), tie('q').map((x) => `-${x}`), tie('q').map((x) => `(${x}`)),
    })).q as fc.Arbitrary<string>;
    let errors = 0;
    let results = 0;
    fc.assert(
      fc.property(query, fc.constantFrom(...(['deck', 'id', 'due', 'added', 'interval', 'lapses', 'reps', 'stability', 'difficulty'] as const)), fc.boolean(), (q, sort, reverse) => {
        try {
          const r = searchCards(ctx, q, { sort, reverse, limit: 5 });
          expect(r.total).toBeGreaterThanOrEqual(r.cards.length);
          results++;
        } catch (e) {
          if (!(e instanceof RecallError) || e.code !== 'bad-query' || !/^column \d+: /.test(e.message)) throw e;
          errors++;
        }
      }),
      { numRuns: 1500 },
    );
    // Both outcomes occur, so neither branch is vacuous.
    expect(results).toBeGreaterThan(100);
    expect(errors).toBeGreaterThan(100);
  });

  it('every query gives exactly the cards an evaluation in JS gives (property)', () => {
    const cards = searchCards(ctx, '').cards;
    const pat = (s: string): Pattern => ({ parts: s.toLowerCase().split('*'), source: s });
    type Node = { q: string; test: (c: (typeof cards)[number]) => boolean };
    const cmp = (a: number, op: string, b: number) => (op === '<' ? a < b : op === '<=' ? a <= b : op === '>' ? a > b : op === '>=' ? a >= b : op === '=' ? a === b : a !== b);
    const op = fc.constantFrom('<', '<=', '>', '>=', '=', '!=');
    const term: fc.Arbitrary<Node> = fc.oneof(
      fc.constantFrom('hola', 'house', 'e*o', 'the', '4', 'ha*s').map((w): Node => ({ q: w, test: (c) => matchPattern(pat(w), fieldsText(JSON.stringify(c.content)), true) })),
      fc.constantFrom('lang', 'lang::spanish', '*german', 'quiz*').map((d): Node => ({ q: `deck:${d}`, test: (c) => matchHierarchical(pat(d), c.deck) })),
      fc.constantFrom('greet', 'spanish', 'sp*').map((t): Node => ({ q: `tag:${t}`, test: (c) => c.tags.some((x) => matchHierarchical(pat(t), x)) })),
      fc.constantFrom('new', 'learn', 'review', 'suspended', 'buried', 'leech').map((v): Node => ({
        q: `is:${v}`,
        test: (c) =>
          v === 'new' ? c.state === 'new' : v === 'learn' ? c.state === 'learning' || c.state === 'relearning' : v === 'review' ? c.state === 'review' || c.state === 'relearning'
            : v === 'suspended' ? c.suspended : v === 'buried' ? c.buried : c.leech,
      })),
      fc.constantFrom('basic', 'reversed', 'cloze', 'typed', 'choice', 'multi', 'truefalse', 'classify').map((t): Node => ({ q: `type:${t}`, test: (c) => c.type === t })),
      fc.tuple(fc.constantFrom('lapses', 'reps'), op, fc.integer({ min: 0, max: 4 })).map(([f, o, n]): Node => ({ q: `prop:${f}${o}${n}`, test: (c) => cmp(c[f as 'lapses' | 'reps'], o, n) })),
      fc.tuple(fc.constantFrom('ivl', 'stability', 'difficulty'), op, fc.constantFrom(0, 1, 2.5, 5, 30)).map(([f, o, n]): Node => ({
        q: `prop:${f}${o}${n}`,
        test: (c) => c.state !== 'new' && cmp(f === 'ivl' ? c.intervalDays! : f === 'stability' ? c.stability! : c.difficulty!, o, n),
      })),
      fc.tuple(op, fc.constantFrom(0.3, 0.5, 0.99)).map(([o, n]): Node => ({ q: `prop:r${o}${n}`, test: (c) => c.retrievability !== null && cmp(c.retrievability, o, n) })),
      fc.subarray(cards.map((c) => c.id), { minLength: 1 }).map((list): Node => ({ q: `id:${list.join(',')}`, test: (c) => list.includes(c.id) })),
    );
    const tree: fc.Arbitrary<Node> = fc.letrec<{ n: Node }>((tie) => ({
      n: fc.oneof(
        { depthSize: 'small' },
        term,
        (tie('n') as fc.Arbitrary<Node>).map((a): Node => ({ q: `-(${a.q})`, test: (c) => !a.test(c) })),
        fc.tuple(tie('n') as fc.Arbitrary<Node>, tie('n') as fc.Arbitrary<Node>).map(([a, b]): Node => ({ q: `(${a.q} ${b.q})`, test: (c) => a.test(c) && b.test(c) })),
        fc.tuple(tie('n') as fc.Arbitrary<Node>, tie('n') as fc.Arbitrary<Node>).map(([a, b]): Node => ({ q: `(${a.q} or ${b.q})`, test: (c) => a.test(c) || b.test(c) })),
      ),
    })).n;
    fc.assert(
      fc.property(tree, (n) => {
        let got: number[];
        try {
          got = searchCardIds(ctx, n.q);
        } catch (e) {
          // Queries deeper or longer than the bounds are refused, with their place; nothing else may fail.
          if (e instanceof RecallError && /nest deeper|more than 64 terms/.test(e.message)) return;
          throw e;
        }
        expect(got).toEqual(cards.filter(n.test).map((c) => c.id).sort((a, b) => a - b));
      }),
      { numRuns: 1000 },
    );
  });

  it('values reach SQL only as bound parameters: the statement text depends on the shape alone (property)', () => {
    // Every value carries the marker zq, which no SQL of ours contains.
    const word = fc.stringMatching(/^[a-z%_'*\\"; -]{0,12}$/).map((w) => `zq${w}`);
    const shape = fc.array(fc.constantFrom('text', 'tag', 'deck', 'prop', 'rated', 'id', 'type'), { minLength: 1, maxLength: 6 });
    const build = (keys: string[], vals: { w: string; n: number }[]) =>
      keys
        .map((k, i) => {
          const v = vals[i]!;
          const quoted = `"${v.w.replace(/["\\]/g, (c) => `\\${c}`)}"`;
          switch (k) {
            case 'text':
              return quoted.replace(/\*/g, '\\*');
            case 'tag':
              return `tag:${quoted}`;
            case 'deck':
              return ['deck:lang', 'deck:lang::spanish', '"deck:quiz 100%"', 'deck:*'][v.n % 4];
            case 'prop':
              return `prop:ivl>=${v.n}`;
            case 'rated':
              return `rated:${(v.n % 100) + 1}`;
            case 'id':
              return `id:${v.n + 1}`;
            default:
              return ['type:cloze', 'type:basic'][v.n % 2];
          }
        })
        .join(' ');
    const vals = (n: number) => fc.array(fc.record({ w: word, n: fc.nat(1000) }), { minLength: n, maxLength: n });
    fc.assert(
      fc.property(shape.chain((keys) => fc.tuple(fc.constant(keys), vals(keys.length), vals(keys.length))), ([keys, a, b]) => {
        const qa = compileQuery(resolveSearch(ctx, build(keys, a)));
        const qb = compileQuery(resolveSearch(ctx, build(keys, b)));
        // A deck term has one placeholder per deck it names: the text depends on how many, never on what was typed.
        const shapeOf = (where: string) => where.replace(/IN \(\?(, \?)*\)/g, 'IN (?...)');
        expect(shapeOf(qa.where)).toBe(shapeOf(qb.where));
        expect(qa.where.split('?').length - 1).toBe(qa.params.length);
        expect(qa.where.toLowerCase()).not.toContain('zq');
      }),
      { numRuns: 500 },
    );
  });
});
