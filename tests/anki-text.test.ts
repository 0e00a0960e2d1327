import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RecallError } from '../src/core/errors.js';
import type { ImportPlan, PlannedCard } from '../src/core/import-plan.js';
import { parseAnkiText, planErrors, type ImportDiagnostic } from '../src/importers/anki-text.js';

const cards = (plan: ImportPlan): PlannedCard[] => plan.decks.flatMap((d) => d.cards);
const sides = (plan: ImportPlan) =>
  cards(plan).map((c) => (c.content.type === 'basic' ? [c.content.front, c.content.back] : [c.content.type]));
const diags = (plan: ImportPlan) => plan.warnings as ImportDiagnostic[];

function thrown(fn: () => unknown): RecallError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(RecallError);
    return e as RecallError;
  }
  throw new Error('expected a RecallError');
}

describe('Example-Deck.txt (real Anki export)', () => {
  const file = 'tests/fixtures/anki-spanish/Example-Deck.txt';
  const plan = parseAnkiText(readFileSync(file, 'utf8'), file, {});

  it('gives the 4 notes as basic cards on lines 3-6', () => {
    expect(plan.format).toBe('anki-text');
    expect(plan.warnings).toEqual([]);
    expect(plan.decks.map((d) => d.name)).toEqual(['Example-Deck']);
    expect(sides(plan)).toEqual([
      ['Hola', 'Hi'],
      ['rojo', 'red'],
      ['verde', 'green'],
      ['el gato decidió a simplimente mirar', 'the gate decided to simply watch'],
    ]);
    expect(cards(plan).map((c) => c.line)).toEqual([3, 4, 5, 6]);
  });

  it('identifies notes by a hash of the first field, stable across parses and decks', () => {
    const again = parseAnkiText(readFileSync(file, 'utf8'), 'elsewhere.txt', { deck: 'Other' });
    expect(cards(plan).map((c) => c.uid)).toEqual(cards(again).map((c) => c.uid));
    for (const c of cards(plan)) {
      expect(c.uid).toMatch(/^ankitxt:[0-9a-f]{16}$/);
      expect(c.noteUid).toBe(c.uid);
    }
    expect(new Set(cards(plan).map((c) => c.uid)).size).toBe(4);
    expect(again.decks.map((d) => d.name)).toEqual(['Other']);
  });
});

describe('#separator', () => {
  const cases: [string, string][] = [
    ['Comma', ','], ['Semicolon', ';'], ['Tab', '\t'], ['Space', ' '], ['Pipe', '|'], ['Colon', ':'], ['comma', ','], ['~', '~'],
  ];
  for (const [name, sep] of cases) {
    it(`${name} splits on ${JSON.stringify(sep)}`, () => {
      const plan = parseAnkiText(`#separator:${name}\nfront${sep}back\n`, 'x.txt', {});
      expect(sides(plan)).toEqual([['front', 'back']]);
      expect(plan.warnings).toEqual([]);
    });
  }

  it('rejects an unknown separator name with its line', () => {
    const e = thrown(() => parseAnkiText('#html:false\n#separator:Dash\na-b\n', 'bad.txt', {}));
    expect(e.file).toBe('bad.txt');
    expect(e.line).toBe(2);
    expect(e.message).toContain('Dash');
  });

  it('guesses tab, comma and semicolon from the first data line', () => {
    expect(sides(parseAnkiText('a\tb,c\n', 'x.txt', {}))).toEqual([['a', 'b,c']]);
    expect(sides(parseAnkiText('a,b\n', 'x.txt', {}))).toEqual([['a', 'b']]);
    expect(sides(parseAnkiText('a;b,c;\n', 'x.txt', {}))).toEqual([['a', 'b,c']]);
  });
});

describe('#html', () => {
  const body = 'A <b>bold</b>\tline1<br>line2 &amp; &#233;\n';
  it('true converts HTML to text', () => {
    expect(sides(parseAnkiText(`#separator:tab\n#html:true\n${body}`, 'x.txt', {}))).toEqual([['A bold', 'line1\nline2 & é']]);
  });
  it('false keeps the text as written', () => {
    expect(sides(parseAnkiText(`#separator:tab\n#html:false\n${body}`, 'x.txt', {}))).toEqual([['A <b>bold</b>', 'line1<br>line2 &amp; &#233;']]);
  });
  it('false still removes terminal escape sequences', () => {
    expect(sides(parseAnkiText('#separator:tab\nred \u001b[31mtext\u001b[0m\tok\u0007\n', 'x.txt', {}))).toEqual([['red text', 'ok']]);
  });
  it('warns on a value that is not true/false', () => {
    const plan = parseAnkiText('#separator:tab\n#html:yes\na\tb\n', 'x.txt', {});
    expect(diags(plan)).toMatchObject([{ severity: 'warning', line: 2 }]);
  });
});

describe('#tags, #columns, #notetype, #deck', () => {
  it('#tags adds tags to every note, merged with a tags column', () => {
    const plan = parseAnkiText('#separator:tab\n#tags:spanish verbs\n#tags column:3\na\tb\tverbs irregular\nc\td\t\n', 'x.txt', {});
    expect(cards(plan).map((c) => c.tags)).toEqual([['spanish', 'verbs', 'irregular'], ['spanish', 'verbs']]);
  });

  it('#columns names the tags column and sets the expected field count', () => {
    const plan = parseAnkiText('#separator:Comma\n#columns:Front,Back,Tags\nq,a,t1 t2\nq2,a2,t3,extra\n', 'x.txt', {});
    expect(sides(plan)).toEqual([['q', 'a']]);
    expect(cards(plan).map((c) => c.tags)).toEqual([['t1', 't2']]);
    expect(diags(plan)).toMatchObject([{ severity: 'error', line: 4, file: 'x.txt' }]);
    expect(diags(plan)[0]!.message).toContain('4 fields');
  });

  it('#notetype:Cloze makes one card per deletion number', () => {
    const plan = parseAnkiText('#separator:tab\n#notetype:Cloze\n{{c1::Madrid}} is the capital of {{c2::Spain::country}}, {{c1::yes}}\tfrom a quiz\n', 'x.txt', {});
    const cs = cards(plan);
    expect(cs.map((c) => c.uid)).toEqual([`${cs[0]!.noteUid}::c1`, `${cs[0]!.noteUid}::c2`]);
    expect(cs.map((c) => c.content)).toEqual([
      { type: 'cloze', text: '{{c1::Madrid}} is the capital of {{c2::Spain::country}}, {{c1::yes}}', index: 1 },
      { type: 'cloze', text: '{{c1::Madrid}} is the capital of {{c2::Spain::country}}, {{c1::yes}}', index: 2 },
    ]);
    expect(cs[0]!.explanation).toBe('from a quiz');
  });

  it('a cloze note without deletions is a located error', () => {
    const plan = parseAnkiText('#separator:tab\n#notetype:Cloze\nno gaps here\n', 'x.txt', {});
    expect(planErrors(plan)).toMatchObject([{ severity: 'error', line: 3 }]);
    expect(cards(plan)).toEqual([]);
  });

  it('#notetype reversed gives a forward and a backward card', () => {
    const plan = parseAnkiText('#separator:tab\n#notetype:Basic (and reversed card)\nperro\tdog\n', 'x.txt', {});
    const cs = cards(plan);
    expect(cs.map((c) => c.uid)).toEqual([cs[0]!.noteUid, `${cs[0]!.noteUid}::r`]);
    expect(cs.map((c) => c.content)).toEqual([
      { type: 'reversed', front: 'perro', back: 'dog', direction: 'forward' },
      { type: 'reversed', front: 'perro', back: 'dog', direction: 'backward' },
    ]);
  });

  it('#notetype type-in-the-answer gives a typed card', () => {
    const plan = parseAnkiText('#separator:tab\n#notetype:Basic (type in the answer)\nrojo\tred\n', 'x.txt', {});
    expect(cards(plan).map((c) => c.content)).toEqual([{ type: 'typed', prompt: 'rojo', answers: ['red'] }]);
  });

  it('an unknown note type is basic, with one warning', () => {
    const plan = parseAnkiText('#separator:tab\n#notetype:Japanese\na\tb\nc\td\n', 'x.txt', {});
    expect(sides(plan)).toEqual([['a', 'b'], ['c', 'd']]);
    expect(diags(plan)).toMatchObject([{ severity: 'warning', line: 3 }]);
  });

  it('#deck names the deck; opts.deck overrides it', () => {
    const text = '#separator:tab\n#deck:Spanish::Colours\nrojo\tred\n';
    expect(parseAnkiText(text, 'x.txt', {}).decks.map((d) => d.name)).toEqual(['Spanish::Colours']);
    expect(parseAnkiText(text, 'x.txt', { deck: 'Mine' }).decks.map((d) => d.name)).toEqual(['Mine']);
  });
});

describe('column headers', () => {
  // The layout Anki writes with "Include unique identifier", "Include deck name", "Include notetype name".
  const text = [
    '#separator:tab',
    '#html:true',
    '#guid column:1',
    '#notetype column:2',
    '#deck column:3',
    '#tags column:6',
    'abc123\tBasic\tSpanish::Colours\trojo\tred\tcolour',
    'def456\tBasic (and reversed card)\tSpanish::Animals\tperro\tdog\t',
    'ghi789\tCloze\tSpanish\t{{c1::gato}} = cat\t\tanimal',
    '',
  ].join('\n');
  const plan = parseAnkiText(text, 'export.txt', {});

  it('takes guid, note type, deck and tags from their columns', () => {
    expect(plan.warnings).toEqual([]);
    expect(plan.decks.map((d) => [d.name, d.cards.map((c) => c.uid)])).toEqual([
      ['Spanish::Colours', ['anki:abc123']],
      ['Spanish::Animals', ['anki:def456', 'anki:def456::r']],
      ['Spanish', ['anki:ghi789::c1']],
    ]);
    expect(cards(plan).map((c) => c.tags)).toEqual([['colour'], undefined, undefined, ['animal']]);
    expect(cards(plan)[0]!.content).toEqual({ type: 'basic', front: 'rojo', back: 'red' });
    expect(cards(plan).map((c) => c.line)).toEqual([7, 8, 8, 9]);
  });

  it('rejects a column number that is not a positive integer', () => {
    const e = thrown(() => parseAnkiText('#separator:tab\n#guid column:0\na\tb\n', 'x.txt', {}));
    expect(e.line).toBe(2);
  });

  it('a repeated guid is a skipped row', () => {
    const p = parseAnkiText('#separator:tab\n#guid column:1\ng1\ta\tb\ng1\tc\td\n', 'x.txt', {});
    expect(sides(p)).toEqual([['a', 'b']]);
    expect(diags(p)).toMatchObject([{ severity: 'error', line: 4 }]);
  });
});

describe('quoting and line numbers', () => {
  it('handles embedded separators, embedded newlines and doubled quotes', () => {
    const text = '#separator:Comma\n"a, b","line1\nline2"\n"say ""hi""",plain\nlast,row\n';
    const plan = parseAnkiText(text, 'q.csv', {});
    expect(sides(plan)).toEqual([
      ['a, b', 'line1\nline2'],
      ['say "hi"', 'plain'],
      ['last', 'row'],
    ]);
    // The second record starts after the two-line first record.
    expect(cards(plan).map((c) => c.line)).toEqual([2, 4, 5]);
  });

  it('reports the first line of a multi-line record', () => {
    const plan = parseAnkiText('#separator:tab\n"x\ny\nz"\tb\textra\nok\tfine\n', 'q.txt', {});
    expect(diags(plan)).toMatchObject([{ severity: 'error', line: 2 }]);
  });

  it('keeps a stray quote inside an unquoted field', () => {
    expect(sides(parseAnkiText('#separator:tab\n5" screen\tsmall\n', 'q.txt', {}))).toEqual([['5" screen', 'small']]);
  });

  it('throws a located RecallError for an unclosed quote', () => {
    const e = thrown(() => parseAnkiText('#separator:tab\na\tb\n"open\tnever closed\n', 'q.txt', {}));
    expect(e.file).toBe('q.txt');
    expect(e.line).toBeGreaterThanOrEqual(3);
    expect(e.format()).toMatch(/^q\.txt:\d+: /);
  });

  it('skips comment and blank lines after the header without shifting lines', () => {
    const plan = parseAnkiText('#separator:tab\n# a comment\na\tb\n\n# another\n\nc\td\n', 'c.txt', {});
    expect(sides(plan)).toEqual([['a', 'b'], ['c', 'd']]);
    expect(cards(plan).map((c) => c.line)).toEqual([3, 7]);
  });

  it('keeps # inside a field', () => {
    expect(sides(parseAnkiText('#separator:tab\nC#\ta language #1\n', 'c.txt', {}))).toEqual([['C#', 'a language #1']]);
  });

  it('handles CRLF line ends and a BOM', () => {
    const plan = parseAnkiText('\uFEFF#separator:tab\r\n#html:false\r\na\tb\r\nc\td\r\n', 'w.txt', {});
    expect(sides(plan)).toEqual([['a', 'b'], ['c', 'd']]);
    expect(cards(plan).map((c) => c.line)).toEqual([3, 4]);
  });
});

describe('field counts', () => {
  it('skips a row with extra fields, naming its line; empty trailing fields are no fields', () => {
    const plan = parseAnkiText('#separator:tab\na\tb\t\t\nc\td\te\tf\ng\th\n', 'f.txt', {});
    expect(sides(plan)).toEqual([['a', 'b'], ['g', 'h']]);
    expect(planErrors(plan)).toMatchObject([{ severity: 'error', file: 'f.txt', line: 3 }]);
  });

  it('skips a row with too few fields', () => {
    const plan = parseAnkiText('#separator:tab\nok\tfine\nonly front\n', 'f.txt', {});
    expect(sides(plan)).toEqual([['ok', 'fine']]);
    expect(planErrors(plan)).toMatchObject([{ line: 3 }]);
  });

  it('refuses a file most of whose rows are not notes (a one-column list, a licence)', () => {
    const e = (() => {
      try {
        parseAnkiText('apple\npear\nplum\n', 'fruit.csv', {});
      } catch (err) {
        return err as RecallError;
      }
      throw new Error('not refused');
    })();
    expect(e).toBeInstanceOf(RecallError);
    expect(e.code).toBe('not-a-deck');
    expect(e.message).toMatch(/none of its 3 rows/);
  });

  it('an empty first field is an error with its line; the plan must not be applied', () => {
    const plan = parseAnkiText('#separator:tab\n#html:false\nok\tfine\n\tno front\n', 'f.txt', {});
    expect(sides(plan)).toEqual([['ok', 'fine']]);
    const errors = planErrors(plan);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ severity: 'error', file: 'f.txt', line: 4 });
    expect(errors[0]!.hint).toBeTruthy();
  });

  it('a reversed note without a back is an error', () => {
    const plan = parseAnkiText('#separator:tab\n#notetype:Basic (and reversed card)\nfront\t\n', 'f.txt', {});
    expect(planErrors(plan)).toMatchObject([{ line: 3 }]);
  });

  it('an optional reversed note is reversed only when its third field is filled', () => {
    const plan = parseAnkiText('#separator:tab\n#notetype:Basic (optional reversed card)\na\tb\ty\nc\td\t\n', 'f.txt', {});
    expect(cards(plan).map((c) => c.content.type)).toEqual(['reversed', 'reversed', 'basic']);
  });
});
