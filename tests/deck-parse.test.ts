import { describe, expect, it } from 'vitest';
import { notesFromCards, parseDeck, serializeDeck } from '../src/decks/parse.js';
import { clozeNumbers, parseCloze, renderCloze } from '../src/decks/cloze.js';

const HEADER = 'deck: Test deck\ndescription: Testing\nsource: unit tests\n';

function parse(body: string, header = HEADER) {
  return parseDeck(header + body, 'test.deck');
}

/** Diagnostics as `line: message` for compact assertions. */
function diags(text: string): string[] {
  return parseDeck(text, 't.deck').diagnostics.map((d) => `${d.line}: ${d.message}`);
}

const ALL_TYPES = `deck: AWS root user
description: What the root user is.
source: AWS notes

--- basic root-what
Q: What is the AWS account root user?
A: The identity created with the account.
source: 001.txt § Root
explain: It is created from the email address.
tags: iam root

--- reversed term-mfa
Q: MFA
A: Multi-factor authentication

--- cloze sg-def
T: Security groups operate at the {{instance}} level and are {{stateful::stateful or stateless?}}.

--- typed ak-parts
Q: An access key is made of an access key ID and a ...?
A: secret access key
accept: secret key | secret access key ID

--- choice cat-ec2
Q: Which service category is Amazon EC2 in?
- [x] Infrastructure services
- [ ] Container services
- [ ] Abstracted services

--- multi mfa-have
Q: Which of these are "something you have"?
- [x] A hardware MFA token
- [X] A phone running an authenticator app
- [ ] A password

--- truefalse nacl-stateful
Q: Network ACLs are stateful.
A: false
explain: Network ACLs are stateless.

--- classify who-patches
Q: Who is responsible?
categories: AWS | Customer | Shared
- Physical security of data centers => AWS
- Patching the guest operating system on EC2 => Customer
- Patch management => Shared
`;

describe('parseDeck: every type', () => {
  const deck = parseDeck(ALL_TYPES, 'aws.deck');

  it('has no diagnostics and reads the header', () => {
    expect(deck.diagnostics).toEqual([]);
    expect(deck.header).toEqual({ name: 'AWS root user', description: 'What the root user is.', source: 'AWS notes' });
    expect(deck.notes.map((n) => [n.type, n.uid, n.line, n.hasId])).toEqual([
      ['basic', 'root-what', 5, true],
      ['reversed', 'term-mfa', 12, true],
      ['cloze', 'sg-def', 16, true],
      ['typed', 'ak-parts', 19, true],
      ['choice', 'cat-ec2', 24, true],
      ['multi', 'mfa-have', 30, true],
      ['truefalse', 'nacl-stateful', 36, true],
      ['classify', 'who-patches', 41, true],
    ]);
  });

  it('basic with extras', () => {
    expect(deck.cards[0]).toEqual({
      uid: 'root-what',
      noteUid: 'root-what',
      content: { type: 'basic', front: 'What is the AWS account root user?', back: 'The identity created with the account.' },
      explanation: 'It is created from the email address.',
      source: '001.txt § Root',
      tags: ['iam', 'root'],
      line: 5,
    });
  });

  it('reversed gives two sibling cards', () => {
    const cards = deck.cards.filter((c) => c.noteUid === 'term-mfa');
    expect(cards.map((c) => [c.uid, c.content])).toEqual([
      ['term-mfa', { type: 'reversed', front: 'MFA', back: 'Multi-factor authentication', direction: 'forward' }],
      ['term-mfa::r', { type: 'reversed', front: 'MFA', back: 'Multi-factor authentication', direction: 'backward' }],
    ]);
  });

  it('cloze gives one card per deletion with the raw text', () => {
    const cards = deck.cards.filter((c) => c.noteUid === 'sg-def');
    const text = 'Security groups operate at the {{instance}} level and are {{stateful::stateful or stateless?}}.';
    expect(cards.map((c) => [c.uid, c.content])).toEqual([
      ['sg-def::c1', { type: 'cloze', text, index: 1 }],
      ['sg-def::c2', { type: 'cloze', text, index: 2 }],
    ]);
  });

  it('typed joins A and accept', () => {
    expect(deck.cards.find((c) => c.uid === 'ak-parts')!.content).toEqual({
      type: 'typed',
      prompt: 'An access key is made of an access key ID and a ...?',
      answers: ['secret access key', 'secret key', 'secret access key ID'],
    });
  });

  it('choice and multi options keep order and marks ([X] counts)', () => {
    expect(deck.cards.find((c) => c.uid === 'cat-ec2')!.content).toMatchObject({
      type: 'choice',
      options: [
        { text: 'Infrastructure services', correct: true },
        { text: 'Container services', correct: false },
        { text: 'Abstracted services', correct: false },
      ],
    });
    const multi = deck.cards.find((c) => c.uid === 'mfa-have')!.content;
    expect(multi.type === 'multi' && multi.options.map((o) => o.correct)).toEqual([true, true, false]);
  });

  it('truefalse and classify', () => {
    expect(deck.cards.find((c) => c.uid === 'nacl-stateful')).toMatchObject({
      content: { type: 'truefalse', statement: 'Network ACLs are stateful.', answer: false },
      explanation: 'Network ACLs are stateless.',
    });
    expect(deck.cards.find((c) => c.uid === 'who-patches')!.content).toEqual({
      type: 'classify',
      prompt: 'Who is responsible?',
      categories: ['AWS', 'Customer', 'Shared'],
      items: [
        { text: 'Physical security of data centers', category: 'AWS' },
        { text: 'Patching the guest operating system on EC2', category: 'Customer' },
        { text: 'Patch management', category: 'Shared' },
      ],
    });
  });

  it('flat cards are the notes’ cards in order', () => {
    expect(deck.cards).toEqual(deck.notes.flatMap((n) => n.cards));
    expect(deck.cards).toHaveLength(10);
  });
});

describe('parseDeck: syntax details', () => {
  it('continuation lines join with newlines, keep deeper indentation and inner blank lines', () => {
    const d = parse('--- basic long\nQ: First\n  second\n\tthird\n    indented code\n\n  after blank\n\nA: x\n');
    expect(d.diagnostics).toEqual([]);
    expect(d.notes[0]!.body).toEqual({ type: 'basic', front: 'First\nsecond\nthird\n  indented code\n\nafter blank', back: 'x' });
  });

  it('a value may start on the next line', () => {
    const d = parse('--- basic x\nQ:\n  the question\nA: a\n');
    expect(d.diagnostics).toEqual([]);
    expect(d.notes[0]!.body).toMatchObject({ front: 'the question' });
  });

  it('handles CRLF, lone CR and a BOM', () => {
    const lf = `${HEADER}\n--- basic a\nQ: one\n  two\nA: three\n`;
    const crlf = `\uFEFF${lf.replace(/\n/g, '\r\n')}`;
    const cr = lf.replace(/\n/g, '\r');
    const expected = parseDeck(lf, 'x').cards;
    expect(parseDeck(crlf, 'x').cards).toEqual(expected);
    expect(parseDeck(crlf, 'x').diagnostics).toEqual([]);
    expect(parseDeck(crlf, 'x').header.name).toBe('Test deck');
    expect(parseDeck(cr, 'x').cards).toEqual(expected);
    expect(expected[0]!.content).toEqual({ type: 'basic', front: 'one\ntwo', back: 'three' });
  });

  it('ignores comments and blank lines; a comment ends a continuation', () => {
    const d = parse('# a comment\n\n--- basic a\n# note to self\nQ: q\n# c\nA: a\n\n\n');
    expect(d.diagnostics).toEqual([]);
    expect(d.notes[0]!.body).toEqual({ type: 'basic', front: 'q', back: 'a' });
    expect(diags(`${HEADER}--- basic a\nQ: q\n# c\n  more\nA: a\n`)).toEqual(['7: indented line without a field above it']);
  });

  it('entries without id get a provisional, content-derived uid', () => {
    const a = parse('--- basic\nQ: What is IAM?\nA: Identity and access management\n');
    const b = parse('\n\n--- basic\nQ:   what is   IAM\nA: something else\n');
    expect(a.notes[0]!.hasId).toBe(false);
    expect(a.notes[0]!.id).toBeUndefined();
    expect(a.notes[0]!.uid).toMatch(/^~[0-9a-z]+$/);
    // Same type and normalized question: same provisional uid, wherever the entry is.
    expect(b.notes[0]!.uid).toBe(a.notes[0]!.uid);
    const c = parse('--- typed\nQ: What is IAM?\nA: x\n');
    expect(c.notes[0]!.uid).not.toBe(a.notes[0]!.uid);
  });

  it('identical entries without id get distinct uids', () => {
    const d = parse('--- basic\nQ: q\nA: a\n--- basic\nQ: q\nA: a\n--- reversed\nQ: q\nA: a\n');
    const uids = d.cards.map((c) => c.uid);
    expect(new Set(uids).size).toBe(uids.length);
    expect(d.cards[1]!.uid).toBe(`${d.cards[0]!.uid}.2`);
    expect(d.cards[3]!.uid).toBe(`${d.cards[2]!.uid}::r`);
  });

  it('classify items may contain => (the last one splits); truefalse accepts True', () => {
    const d = parse('--- classify c\nQ: q\ncategories: A | B\n- x => y => A\n- z => B\n--- truefalse t\nQ: s\nA: True\n');
    expect(d.diagnostics).toEqual([]);
    expect(d.notes[0]!.body).toMatchObject({ items: [{ text: 'x => y', category: 'A' }, { text: 'z', category: 'B' }] });
    expect(d.notes[1]!.body).toMatchObject({ answer: true });
  });

  it('Anki-style numbered deletions and hints', () => {
    const d = parse('--- cloze c\nT: {{c2::a}} {{b::hint}} {{c2::c}} {{c1::d::h}}\n');
    expect(d.diagnostics).toEqual([]);
    expect(d.cards.map((c) => c.uid)).toEqual(['c::c1', 'c::c2', 'c::c3']);
  });
});

describe('parseDeck: errors with their lines', () => {
  const H = 'deck: D\n'; // line 1

  const cases: [string, string, string[]][] = [
    ['unknown key', `${H}--- basic a\nQ: q\nA: a\nnote: x\n`, ['5: unknown key note: for a basic card']],
    ['missing required key', `${H}--- basic a\nQ: q\n`, ['2: basic card without A:']],
    ['empty value', `${H}--- basic a\nQ:\nA: a\n`, ['3: empty value for Q:']],
    ['empty optional value', `${H}--- basic a\nQ: q\nA: a\nexplain:   \n`, ['5: empty value for explain:']],
    ['duplicate key', `${H}--- basic a\nQ: q\nQ: again\nA: a\n`, ['4: duplicate key Q: (first on line 3)']],
    ['choice without [x]', `${H}\n--- choice a\nQ: q\n- [ ] x\n- [ ] y\n`, ['3: choice card without a correct option']],
    ['choice with two [x]', `${H}--- choice a\nQ: q\n- [x] x\n- [ ] y\n- [x] z\n`, ['6: choice card with 2 correct options']],
    ['multi without [x]', `${H}--- multi a\nQ: q\n- [ ] x\n- [ ] y\n`, ['2: multi card without a correct option']],
    ['fewer than two options', `${H}--- choice a\nQ: q\n- [x] x\n`, ['2: choice card with 1 option']],
    ['duplicate option', `${H}--- multi a\nQ: q\n- [x] x\n- [ ] x\n`, ['5: duplicate option "x" (first on line 4)']],
    ['option without box', `${H}--- choice a\nQ: q\n- [x] x\n- y\n`, ['5: option line without a box']],
    ['truefalse bad answer', `${H}--- truefalse a\nQ: s\nA: maybe\n`, ['4: truefalse answer "maybe" is not true or false']],
    ['classify unknown category', `${H}--- classify a\nQ: q\ncategories: A | B\n- x => A\n- y => C\n`, ['6: unknown category "C"']],
    ['classify one category', `${H}--- classify a\nQ: q\ncategories: A\n- x => A\n- y => A\n`, ['4: classify card with fewer than two categories']],
    ['classify one item', `${H}--- classify a\nQ: q\ncategories: A | B\n- x => A\n`, ['2: classify card with 1 item']],
    ['classify item without category', `${H}--- classify a\nQ: q\ncategories: A | B\n- x => A\n- y\n`, ['6: classify item without a category']],
    ['cloze without deletions', `${H}--- cloze a\nT: nothing hidden\n`, ['3: cloze without deletions']],
    ['cloze unbalanced on a continuation line', `${H}--- cloze a\nT: one {{ok}}\n  two {{open\n`, ['4: unbalanced braces: `{{` without `}}`']],
    ['cloze stray close', `${H}--- cloze a\nT: {{a}} b}}\n`, ['3: unbalanced braces: `}}` without `{{`']],
    ['cloze empty deletion', `${H}--- cloze a\nT: {{ }} and {{b}}\n`, ['3: empty cloze deletion']],
    ['duplicate id', `${H}--- basic a\nQ: q\nA: a\n\n--- basic a\nQ: r\nA: b\n`, ['6: duplicate id "a" (first used on line 2)']],
    ['unknown type (rest of entry skipped)', `${H}--- flashcard a\nQ: q\nA: a\nbogus: 1\n`, ['2: unknown question type "flashcard"']],
    ['separator without type', `${H}---\nQ: q\n`, ['2: separator without a question type']],
    ['invalid id', `${H}--- basic a/b\nQ: q\nA: a\n`, ['2: invalid id "a/b"']],
    ['text after id', `${H}--- basic a b\nQ: q\nA: a\n`, ['2: unexpected text after the id: "b"']],
    ['missing deck header', `description: x\n\n--- basic a\nQ: q\nA: a\n`, ['1: missing `deck:` header']],
    ['empty deck name', `deck:\n--- basic a\nQ: q\nA: a\n`, ['1: empty value for deck:']],
    ['card key before any separator', `${H}Q: q\nA: a\n`, ['2: key Q: before the first card', '3: key A: before the first card']],
    ['unknown header key', `${H}author: me\n`, ['2: key author: before the first card']],
    ['unindented continuation', `${H}--- basic a\nQ: q\nA: a long\nanswer that goes on\n`, ['5: unrecognized line']],
    ['indented line after a separator', `${H}--- basic a\n  stray\nQ: q\nA: a\n`, ['3: indented line without a field above it']],
    ['option in a basic card', `${H}--- basic a\nQ: q\nA: a\n- [x] no\n`, ['5: option line in a basic card']],
    ['malformed separator', `${H}--- basic a\nQ: q\nA: a\n---basic b\n`, ['5: malformed separator']],
    ['empty file', '', ['1: missing `deck:` header']],
  ];

  for (const [name, text, expected] of cases) {
    it(name, () => {
      expect(diags(text)).toEqual(expected);
    });
  }

  it('every diagnostic has the file and a hint', () => {
    for (const [, text] of cases) {
      for (const d of parseDeck(text, 'x.deck').diagnostics) {
        expect(d.file).toBe('x.deck');
        expect(d.hint).toBeTruthy();
      }
    }
  });

  it('unknown key hint lists the valid keys and suggests the right case', () => {
    const d = parseDeck(`${H}--- typed a\nq: q\nA: a\nQ: q\n`, 'x').diagnostics;
    expect(d).toHaveLength(1);
    expect(d[0]!.hint).toContain('did you mean Q:');
    expect(d[0]!.hint).toContain('Q, A, accept, explain, source, tags');
  });

  it('unknown type hint lists the types', () => {
    const d = parseDeck(`${H}--- Basic a\nQ: q\nA: a\n`, 'x').diagnostics;
    expect(d[0]!.hint).toContain('basic, reversed, cloze, typed, choice, multi, truefalse, classify');
    expect(d[0]!.hint).toContain('did you mean basic');
  });

  it('indented options get a pointed hint', () => {
    const d = parseDeck(`${H}--- choice a\nQ: q\n  - [x] a\n  - [ ] b\n`, 'x').diagnostics;
    expect(d.map((x) => x.line)).toEqual([2]);
    expect(d[0]!.hint).toContain('beginning of the line');
  });

  it('an entry with errors produces no cards, other entries still do', () => {
    const d = parseDeck(`${H}--- basic a\nQ: q\n--- basic b\nQ: q\nA: a\n`, 'x');
    expect(d.cards.map((c) => c.uid)).toEqual(['b']);
  });

  it('reports several problems at once, sorted by line', () => {
    expect(diags(`--- basic a\nQ: q\n--- truefalse b\nQ: s\nA: yes\n`)).toEqual([
      '1: missing `deck:` header',
      '1: basic card without A:',
      '5: truefalse answer "yes" is not true or false',
    ]);
  });
});

describe('serializeDeck / notesFromCards', () => {
  it('round trip: parse → serialize → parse gives identical cards and header', () => {
    const extra = `${ALL_TYPES}
--- basic multi-line
Q: First line
  second line
    indented

  after a blank
A: a
--- basic
Q: no id here
A: still fine
--- reversed
Q: no id reversed
A: b
`;
    const a = parseDeck(extra, 'a.deck');
    expect(a.diagnostics).toEqual([]);
    const text = serializeDeck(a.header, a.notes);
    const b = parseDeck(text, 'a.deck');
    expect(b.diagnostics).toEqual([]);
    expect(b.header).toEqual(a.header);
    const strip = (cs: typeof a.cards) => cs.map(({ line: _line, ...rest }) => rest);
    expect(strip(b.cards)).toEqual(strip(a.cards));
    // Idempotent text.
    expect(serializeDeck(b.header, b.notes)).toBe(text);
  });

  it('notesFromCards groups reversed pairs and cloze cards back into entries', () => {
    const a = parseDeck(ALL_TYPES, 'a.deck');
    const notes = notesFromCards(a.cards);
    expect(notes.map((n) => [n.type, n.uid])).toEqual(a.notes.map((n) => [n.type, n.uid]));
    const text = serializeDeck(a.header, notes);
    expect(parseDeck(text, 'x').cards.map(({ line: _l, ...r }) => r)).toEqual(a.cards.map(({ line: _l, ...r }) => r));
  });

  it('writes entries without id without one and adapts invalid ids', () => {
    const cards = [
      { uid: '~abc', noteUid: '~abc', content: { type: 'basic' as const, front: 'f', back: 'b' } },
      { uid: 'guid/1+x', noteUid: 'guid/1+x', content: { type: 'basic' as const, front: 'g', back: 'h' } },
    ];
    const text = serializeDeck({ name: 'n', description: '', source: '' }, notesFromCards(cards));
    expect(text).toBe('deck: n\n\n--- basic\nQ: f\nA: b\n\n--- basic guid-1-x\nQ: g\nA: h\n');
    expect(parseDeck(text, 'x').diagnostics).toEqual([]);
  });
});

describe('cloze helpers', () => {
  it('numbers unnumbered deletions after the highest explicit one', () => {
    expect(clozeNumbers('{{a}} {{c3::b}} {{c}}')).toEqual([3, 4, 5]);
    expect(clozeNumbers('{{c2::a}} {{c2::b}}')).toEqual([2]);
    expect(clozeNumbers('no deletions')).toEqual([]);
  });

  it('renders the active deletion hidden, others shown', () => {
    const t = 'SGs work at the {{instance}} level and are {{stateful::stateful or stateless?}}.';
    expect(renderCloze(t, 1)).toEqual({
      question: 'SGs work at the [...] level and are stateful.',
      answer: 'SGs work at the [instance] level and are stateful.',
    });
    expect(renderCloze(t, 2)).toEqual({
      question: 'SGs work at the instance level and are [stateful or stateless?].',
      answer: 'SGs work at the instance level and are [stateful].',
    });
  });

  it('hides same-numbered deletions together', () => {
    expect(renderCloze('{{c1::a}} and {{c1::b}} but {{c2::c}}', 1).question).toBe('[...] and [...] but c');
  });

  it('reports problems with offsets', () => {
    expect(parseCloze('ab {{x').problems.map((p) => p.offset)).toEqual([3]);
    expect(parseCloze('{{a {{b}}').problems.map((p) => p.message)).toEqual(['nested deletions are not supported']);
    expect(parseCloze('{{c0::x}}').problems).toHaveLength(1);
  });
});
