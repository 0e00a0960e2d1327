import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseDeck, serializeDeck } from '../src/decks/parse.js';
import type { NoteBody, ParsedNote } from '../src/decks/parse.js';

const SEED_DECK = `deck: AWS
description: What the root user is.
  continued
source: notes

--- basic root-what
Q: What is the AWS account root user?
A: The identity created with the account.
explain: It is created from the email address.
tags: iam root

--- reversed term-mfa
Q: MFA
A: Multi-factor authentication

--- cloze sg-def
T: Security groups operate at the {{instance}} level and are {{c2::stateful::stateful?}}.

--- typed
Q: An access key is made of an access key ID and a ...?
A: secret access key
accept: secret key | secret access key ID

--- choice cat-ec2
Q: Which service category is Amazon EC2 in?
- [x] Infrastructure services
- [ ] Container services

--- multi mfa-have
Q: Which of these are "something you have"?
- [x] A hardware MFA token
- [ ] A password

--- truefalse nacl
Q: Network ACLs are stateful.
A: false

--- classify who
Q: Who is responsible?
categories: AWS | Customer
- Physical security => AWS
- Patching the guest OS => Customer
`;

const seedLines = SEED_DECK.split('\n');

/** Fragments that exercise every line class and the interesting edges between them. */
const fragment = fc.constantFrom(
  '', ' ', '  ', '\t', '#', '# comment', '---', '--- ', '--- basic', '--- cloze c', '--- choice x y z', '--- nope',
  'Q:', 'Q: q', 'A: true', 'A:', 'T: {{a}}', 'T: {{', '}}', '{{c0::x}}', '{{c2::a::b}}', '- [x] a', '- [ ]', '- [X]',
  '- a => b', '- => ', '-', 'categories: A | B', 'categories: |', 'accept: |', 'deck: d', 'deck:', 'tags:', '  more',
  '\tmore', ' one space', 'x', '\uFEFF', '=>', '::', 'explain: e', '\r', '\r\n',
);
const line = fc.oneof({ arbitrary: fragment, weight: 3 }, { arbitrary: fc.string({ maxLength: 12 }), weight: 1 });

/** Physical lines as the parser counts them; an empty file has one (empty) line. */
function lineCount(text: string): number {
  return text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/).length;
}

function checkInvariants(text: string): void {
  const d = parseDeck(text, 'p.deck');
  const n = lineCount(text);
  for (const diag of d.diagnostics) {
    expect(Number.isInteger(diag.line)).toBe(true);
    expect(diag.line).toBeGreaterThanOrEqual(1);
    expect(diag.line).toBeLessThanOrEqual(n);
    expect(diag.hint).toBeTruthy();
  }
  for (const c of d.cards) {
    expect(c.line).toBeGreaterThanOrEqual(1);
    expect(c.line).toBeLessThanOrEqual(n);
  }
  const uids = d.cards.map((c) => c.uid);
  expect(new Set(uids).size).toBe(uids.length);
}

const eol = fc.constantFrom('\n', '\r\n');

describe('parseDeck properties', () => {
  it('never throws on random line soup, and every diagnostic is inside the file', () => {
    fc.assert(
      fc.property(fc.array(line, { maxLength: 30 }), eol, (lines, nl) => {
        checkInvariants(lines.join(nl));
      }),
      { numRuns: 2000, seed: 42 },
    );
  });

  it('never throws on mutations of a valid deck', () => {
    const mutation = fc.oneof(
      fc.record({ op: fc.constant('delete' as const), at: fc.nat() }),
      fc.record({ op: fc.constant('insert' as const), at: fc.nat(), text: line }),
      fc.record({ op: fc.constant('duplicate' as const), at: fc.nat() }),
      fc.record({ op: fc.constant('char' as const), at: fc.nat(), text: fc.string({ minLength: 1, maxLength: 3 }) }),
    );
    fc.assert(
      fc.property(fc.array(mutation, { maxLength: 6 }), eol, (muts, nl) => {
        const lines = [...seedLines];
        for (const m of muts) {
          const i = lines.length ? m.at % lines.length : 0;
          if (m.op === 'delete') lines.splice(i, 1);
          else if (m.op === 'insert') lines.splice(i, 0, m.text);
          else if (m.op === 'duplicate' && lines.length) lines.splice(i, 0, lines[i]!);
          else if (m.op === 'char' && lines.length) {
            const l = lines[i]!;
            const p = l.length ? m.at % l.length : 0;
            lines[i] = l.slice(0, p) + m.text + l.slice(p);
          }
        }
        checkInvariants(lines.join(nl));
      }),
      { numRuns: 2000, seed: 7 },
    );
  });

  it('the seed deck is valid', () => {
    expect(parseDeck(SEED_DECK, 's').diagnostics).toEqual([]);
  });

  it('serialize then parse reproduces the cards of any error-free parse', () => {
    const textArb = fc.array(fc.oneof(fc.constantFrom(...seedLines), line), { maxLength: 40 });
    fc.assert(
      fc.property(textArb, (lines) => {
        const a = parseDeck(`deck: d\n${lines.join('\n')}`, 'p');
        if (a.diagnostics.length) return;
        const b = parseDeck(serializeDeck(a.header, a.notes), 'p');
        expect(b.diagnostics).toEqual([]);
        expect(b.header).toEqual(a.header);
        expect(b.cards.map(({ line: _l, ...r }) => r)).toEqual(a.cards.map(({ line: _l, ...r }) => r));
      }),
      { numRuns: 1500, seed: 3 },
    );
  });

  it('generated decks survive serialize → parse exactly', () => {
    // Words chosen to look like syntax when they land at a line start: the serializer must keep them inside values.
    const word = fc.oneof(
      fc.constantFrom('#', '---', '- [x]', '- a => b', 'Q:', 'key:', '=>', '::', 'é', 'ß', '日本', '"q"', '{', '}', '[x]'),
      fc.stringMatching(/^[A-Za-z0-9.,?!'()-]{1,8}$/),
    );
    const words = fc.array(word, { minLength: 1, maxLength: 5 }).map((w) => w.join(' '));
    const oneLine = words.filter((w) => !w.includes('|') && !w.includes('=>') && !w.includes('{{') && !w.includes('}}'));
    const contLine = fc.oneof(words.map((w) => `  ${w}`), words, fc.constant(''));
    const multiLine = fc
      .tuple(words, fc.array(contLine, { maxLength: 3 }), words)
      .map(([first, mid, last]) => (mid.length ? [first, ...mid, last].join('\n') : first))
      .filter((v) => !v.includes('{{') && !v.includes('}}'));
    const noBraces = words.filter((w) => !/[{}]/.test(w));
    const clozeText = fc.tuple(noBraces, oneLine.filter((w) => !/[{}]|::/.test(w)), fc.option(noBraces, { nil: undefined }), noBraces).map(
      ([a, ans, hint, b]) => `${a} {{${ans}${hint ? `::${hint}` : ''}}} ${b}`,
    );
    const options = fc
      .uniqueArray(oneLine, { minLength: 2, maxLength: 5 })
      .chain((texts) => fc.tuple(fc.constant(texts), fc.nat({ max: texts.length - 1 }), fc.array(fc.boolean(), { minLength: texts.length, maxLength: texts.length })));
    const body: fc.Arbitrary<NoteBody> = fc.oneof(
      fc.record({ type: fc.constantFrom('basic' as const, 'reversed' as const), front: multiLine, back: multiLine }),
      clozeText.map((text) => ({ type: 'cloze' as const, text })),
      fc.tuple(multiLine, fc.uniqueArray(oneLine, { minLength: 1, maxLength: 3 })).map(([prompt, answers]) => ({ type: 'typed' as const, prompt, answers })),
      fc.tuple(multiLine, options).map(([prompt, [texts, right]]) => ({
        type: 'choice' as const,
        prompt,
        options: texts.map((text, i) => ({ text, correct: i === right })),
      })),
      fc.tuple(multiLine, options).map(([prompt, [texts, right, flags]]) => ({
        type: 'multi' as const,
        prompt,
        options: texts.map((text, i) => ({ text, correct: i === right || flags[i]! })),
      })),
      fc.record({ type: fc.constant('truefalse' as const), statement: multiLine, answer: fc.boolean() }),
      fc
        .tuple(multiLine, fc.uniqueArray(oneLine, { minLength: 2, maxLength: 4 }), fc.array(fc.tuple(oneLine, fc.nat()), { minLength: 2, maxLength: 4 }))
        .map(([prompt, categories, items]) => ({
          type: 'classify' as const,
          prompt,
          categories,
          items: items.map(([text, k]) => ({ text, category: categories[k % categories.length]! })),
        })),
    );
    const note = fc.record({
      body,
      id: fc.option(fc.stringMatching(/^[a-z0-9_.-]{1,6}$/), { nil: undefined }),
      explanation: fc.option(multiLine, { nil: undefined }),
      source: fc.option(oneLine, { nil: undefined }),
      tags: fc.option(fc.array(fc.stringMatching(/^[a-z:]{1,5}$/), { minLength: 1, maxLength: 3 }), { nil: undefined }),
    });
    fc.assert(
      fc.property(fc.array(note, { maxLength: 6 }), words, (raw, name) => {
        const seen = new Set<string>();
        const notes: ParsedNote[] = raw.map((r, i) => {
          const id = r.id !== undefined && !seen.has(r.id) ? r.id : undefined;
          if (id) seen.add(id);
          const n: ParsedNote = { uid: id ?? `~${i}`, hasId: id !== undefined, type: r.body.type, line: 0, body: r.body, cards: [] };
          if (id) n.id = id;
          if (r.explanation !== undefined) n.explanation = r.explanation;
          if (r.source !== undefined) n.source = r.source;
          if (r.tags !== undefined) n.tags = r.tags;
          return n;
        });
        const text = serializeDeck({ name, description: '', source: '' }, notes);
        const parsed = parseDeck(text, 'g.deck');
        expect(parsed.diagnostics).toEqual([]);
        expect(parsed.header.name).toBe(name);
        expect(parsed.notes.map((n) => n.body)).toEqual(notes.map((n) => n.body));
        expect(parsed.notes.map((n) => [n.id, n.explanation, n.source, n.tags])).toEqual(notes.map((n) => [n.id, n.explanation, n.source, n.tags]));
      }),
      { numRuns: 1000, seed: 11 },
    );
  });
});
