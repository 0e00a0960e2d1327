import { describe, expect, it } from 'vitest';
import { gradeAnswer, typoAllowance } from '../src/quiz/grade.js';
import { answerText, mulberry32, presentCard, shuffledOrder } from '../src/quiz/present.js';
import { editDistance, normalizeAnswer, textSimilarity } from '../src/core/normalize.js';
import type { CardContent } from '../src/core/types.js';

const slow = { durationMs: 9000, typicalMs: 10000 };
const unknown = { durationMs: 1000, typicalMs: null };
const fast = { durationMs: 4000, typicalMs: 10000 };

const typed: CardContent = { type: 'typed', prompt: 'An access key is made of an access key ID and a ...?', answers: ['secret access key', 'secret key'] };
const choice: CardContent = {
  type: 'choice',
  prompt: 'Which category is EC2 in?',
  options: [
    { text: 'Container services', correct: false },
    { text: 'Infrastructure services', correct: true },
    { text: 'Abstracted services', correct: false },
    { text: 'Storage services', correct: false },
  ],
};
const multi: CardContent = {
  type: 'multi',
  prompt: 'Something you have?',
  options: [
    { text: 'Hardware token', correct: true },
    { text: 'Authenticator app', correct: true },
    { text: 'Password', correct: false },
    { text: 'Fingerprint', correct: false },
  ],
};
const classify: CardContent = {
  type: 'classify',
  prompt: 'Who is responsible?',
  categories: ['AWS', 'Customer', 'Shared'],
  items: [
    { text: 'Physical security', category: 'AWS' },
    { text: 'Guest OS patching', category: 'Customer' },
    { text: 'Patch management', category: 'Shared' },
    { text: 'Hypervisor', category: 'AWS' },
  ],
};

describe('normalizeAnswer / editDistance', () => {
  it('folds case, accents, punctuation and whitespace', () => {
    expect(normalizeAnswer('  Crème  Brûlée! ')).toBe('creme brulee');
    expect(normalizeAnswer('Access-Key')).toBe('access key');
    expect(normalizeAnswer("Don't")).toBe('dont');
    expect(normalizeAnswer('ﬁle')).toBe('file'); // NFKD ligature
    expect(normalizeAnswer('C++')).toBe('c++');
    expect(normalizeAnswer('...')).toBe('');
  });

  it('counts edits, a transposition as one', () => {
    expect(editDistance('', '')).toBe(0);
    expect(editDistance('abc', '')).toBe(3);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('acess', 'access')).toBe(1);
    expect(editDistance('ab', 'ba')).toBe(1);
    expect(editDistance('ca', 'abc')).toBe(3); // OSA, not unrestricted Damerau (which gives 2)
    expect(editDistance('日本語', '日本')).toBe(1);
  });

  it('text similarity', () => {
    expect(textSimilarity('Hello, World', 'hello world')).toBe(1);
    expect(textSimilarity('abc', 'xyz')).toBe(0);
    expect(textSimilarity('night', 'nacht')).toBeCloseTo(0.25);
  });

  it('typo allowance by length', () => {
    expect([1, 3, 4, 7, 8, 20].map(typoAllowance)).toEqual([0, 0, 1, 1, 2, 2]);
  });
});

describe('gradeAnswer: typed', () => {
  it('exact, case/accents/punctuation-insensitive', () => {
    const r = gradeAnswer(typed, { type: 'typed', text: '  Secret Access-Key. ' }, slow);
    expect(r).toMatchObject({ outcome: 'correct', score: 1, suggested: 3, correctAnswer: 'secret access key' });
    const accents = gradeAnswer({ type: 'typed', prompt: 'p', answers: ['Zürich'] }, { type: 'typed', text: 'zurich' }, slow);
    expect(accents.outcome).toBe('correct');
  });

  it('alternative answers are accepted and named', () => {
    const r = gradeAnswer(typed, { type: 'typed', text: 'secret key' }, slow);
    expect(r.outcome).toBe('correct');
    expect(r.detail).toBe('Correct (accepted "secret key")');
  });

  it('near miss within the allowance is Hard', () => {
    const r = gradeAnswer({ type: 'typed', prompt: 'p', answers: ['access key'] }, { type: 'typed', text: 'acess key' }, slow);
    expect(r).toMatchObject({ outcome: 'near-miss', suggested: 2, score: 0.5 });
    expect(r.detail).toBe('Near miss: you typed "acess key", expected "access key"');
    // Two edits allowed from 8 characters on.
    expect(gradeAnswer(typed, { type: 'typed', text: 'secrt acess key' }, slow).outcome).toBe('near-miss');
    // Three are too many.
    expect(gradeAnswer(typed, { type: 'typed', text: 'scrt acss key' }, slow).outcome).toBe('wrong');
  });

  it('short answers allow fewer typos', () => {
    const short: CardContent = { type: 'typed', prompt: 'p', answers: ['cat'] };
    expect(gradeAnswer(short, { type: 'typed', text: 'car' }, slow).outcome).toBe('wrong');
    const four: CardContent = { type: 'typed', prompt: 'p', answers: ['port'] };
    expect(gradeAnswer(four, { type: 'typed', text: 'prot' }, slow).outcome).toBe('near-miss');
    expect(gradeAnswer(four, { type: 'typed', text: 'pots' }, slow).outcome).toBe('wrong');
  });

  it('a different number is never a near miss', () => {
    const year: CardContent = { type: 'typed', prompt: 'When?', answers: ['in 2006'] };
    expect(gradeAnswer(year, { type: 'typed', text: 'in 2007' }, slow).outcome).toBe('wrong');
    expect(gradeAnswer(year, { type: 'typed', text: 'inn 2006' }, slow).outcome).toBe('near-miss');
  });

  it('wrong and empty answers are Again', () => {
    expect(gradeAnswer(typed, { type: 'typed', text: 'password' }, slow)).toMatchObject({ outcome: 'wrong', score: 0, suggested: 1 });
    expect(gradeAnswer(typed, { type: 'typed', text: ' ?! ' }, slow)).toMatchObject({ outcome: 'wrong', suggested: 1 });
  });

  it('fast correct answers are Easy, only when the typical time is known', () => {
    expect(gradeAnswer(typed, { type: 'typed', text: 'secret access key' }, fast).suggested).toBe(4);
    expect(gradeAnswer(typed, { type: 'typed', text: 'secret access key' }, { durationMs: 5000, typicalMs: 10000 }).suggested).toBe(3);
    expect(gradeAnswer(typed, { type: 'typed', text: 'secret access key' }, unknown).suggested).toBe(3);
    // Speed never lifts a near miss.
    expect(gradeAnswer(typed, { type: 'typed', text: 'secret acess key' }, fast).suggested).toBe(2);
  });
});

describe('gradeAnswer: choice, multi, truefalse, classify, self', () => {
  it('choice by original index', () => {
    expect(gradeAnswer(choice, { type: 'choice', index: 1 }, slow)).toMatchObject({ outcome: 'correct', suggested: 3 });
    expect(gradeAnswer(choice, { type: 'choice', index: 1 }, fast).suggested).toBe(4);
    const w = gradeAnswer(choice, { type: 'choice', index: 0 }, slow);
    expect(w).toMatchObject({ outcome: 'wrong', suggested: 1, correctAnswer: 'Infrastructure services' });
    expect(w.detail).toBe('Wrong: you chose "Container services"; the answer is "Infrastructure services"');
    expect(gradeAnswer(choice, { type: 'choice', index: 9 }, slow).outcome).toBe('wrong');
  });

  it('multi: exact set correct, Jaccard score, partial from one half', () => {
    expect(gradeAnswer(multi, { type: 'multi', indices: [1, 0] }, slow)).toMatchObject({ outcome: 'correct', score: 1, suggested: 3 });
    expect(gradeAnswer(multi, { type: 'multi', indices: [0, 1, 1] }, fast).suggested).toBe(4);
    const missing = gradeAnswer(multi, { type: 'multi', indices: [0] }, slow);
    expect(missing).toMatchObject({ outcome: 'partial', score: 0.5, suggested: 2 });
    expect(missing.detail).toBe('Partly right: 1 of 2 correct options');
    const extra = gradeAnswer(multi, { type: 'multi', indices: [0, 1, 2] }, fast);
    expect(extra).toMatchObject({ outcome: 'partial', suggested: 2 });
    expect(extra.score).toBeCloseTo(2 / 3);
    expect(extra.detail).toBe('Partly right: 2 of 2 correct options, 1 wrong pick');
    const bad = gradeAnswer(multi, { type: 'multi', indices: [0, 2] }, slow);
    expect(bad).toMatchObject({ outcome: 'wrong', suggested: 1 });
    expect(bad.score).toBeCloseTo(1 / 3);
    expect(gradeAnswer(multi, { type: 'multi', indices: [] }, slow)).toMatchObject({ outcome: 'wrong', score: 0 });
    expect(gradeAnswer(multi, { type: 'multi', indices: [2, 3] }, slow)).toMatchObject({ outcome: 'wrong', score: 0 });
  });

  it('truefalse', () => {
    const tf: CardContent = { type: 'truefalse', statement: 'NACLs are stateful.', answer: false };
    expect(gradeAnswer(tf, { type: 'truefalse', value: false }, slow)).toMatchObject({ outcome: 'correct', suggested: 3 });
    expect(gradeAnswer(tf, { type: 'truefalse', value: true }, fast)).toMatchObject({ outcome: 'wrong', suggested: 1, correctAnswer: 'false' });
  });

  it('classify: fraction of items, partial from one half', () => {
    const all = ['AWS', 'Customer', 'Shared', 'AWS'];
    expect(gradeAnswer(classify, { type: 'classify', picks: all }, slow)).toMatchObject({ outcome: 'correct', score: 1, suggested: 3 });
    expect(gradeAnswer(classify, { type: 'classify', picks: ['aws', 'customer', 'shared', 'AWS'] }, fast).suggested).toBe(4);
    const three = gradeAnswer(classify, { type: 'classify', picks: ['AWS', 'Customer', 'AWS', 'AWS'] }, slow);
    expect(three).toMatchObject({ outcome: 'partial', score: 0.75, suggested: 2 });
    expect(three.detail).toBe('Partly right: 3 of 4 items placed correctly ("Patch management" is Shared)');
    expect(gradeAnswer(classify, { type: 'classify', picks: ['AWS', 'Customer', 'AWS', 'Shared'] }, slow)).toMatchObject({ outcome: 'partial', score: 0.5 });
    expect(gradeAnswer(classify, { type: 'classify', picks: ['AWS'] }, slow)).toMatchObject({ outcome: 'wrong', score: 0.25, suggested: 1 });
  });

  it('self-graded cards keep the learner rating', () => {
    const basic: CardContent = { type: 'basic', front: 'f', back: 'b' };
    expect(gradeAnswer(basic, { type: 'self', rating: 1 }, fast)).toMatchObject({ outcome: 'wrong', suggested: 1, correctAnswer: 'b' });
    expect(gradeAnswer(basic, { type: 'self', rating: 2 }, fast)).toMatchObject({ outcome: 'correct', suggested: 2 });
    expect(gradeAnswer(basic, { type: 'self', rating: 3 }, fast)).toMatchObject({ suggested: 3 });
    expect(gradeAnswer(basic, { type: 'self', rating: 4 }, slow)).toMatchObject({ suggested: 4 });
  });

  it('an answer of the wrong kind is wrong, not a crash', () => {
    expect(gradeAnswer(choice, { type: 'typed', text: 'Infrastructure services' }, slow).outcome).toBe('wrong');
    expect(gradeAnswer({ type: 'basic', front: 'f', back: 'b' }, { type: 'typed', text: 'b' }, slow).outcome).toBe('wrong');
  });
});

describe('presentCard / answerText', () => {
  it('shuffles deterministically per seed and maps back to original indices', () => {
    const a = presentCard(choice, 1);
    const b = presentCard(choice, 1);
    const c = presentCard(choice, 2);
    expect(a).toEqual(b);
    if (a.type !== 'choice' || c.type !== 'choice') throw new Error('unexpected type');
    expect(a.options.map((o) => o.originalIndex)).not.toEqual(c.options.map((o) => o.originalIndex));
    for (const p of [a, c]) {
      expect(p.options.map((o) => o.originalIndex).sort()).toEqual([0, 1, 2, 3]);
      for (const o of p.options) expect(o.text).toBe(choice.options[o.originalIndex]!.text);
    }
    // Picking the shown correct option and mapping back grades as correct.
    const shownCorrect = a.options.find((o) => o.text === 'Infrastructure services')!;
    expect(gradeAnswer(choice, { type: 'choice', index: shownCorrect.originalIndex }, slow).outcome).toBe('correct');
  });

  it('the shuffle is a fixed permutation for a fixed seed', () => {
    expect(shuffledOrder(5, 42)).toEqual(shuffledOrder(5, 42));
    expect(shuffledOrder(0, 1)).toEqual([]);
    expect(shuffledOrder(1, 1)).toEqual([0]);
    const seen = new Set<string>();
    for (let s = 0; s < 50; s++) seen.add(shuffledOrder(4, s).join(','));
    expect(seen.size).toBeGreaterThan(10);
    const r = mulberry32(7);
    const xs = [r(), r(), r()];
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(mulberry32(7)()).toBe(xs[0]);
  });

  it('classify items are shuffled, categories are not', () => {
    const p = presentCard(classify, 3);
    if (p.type !== 'classify') throw new Error('unexpected type');
    expect(p.categories).toEqual(['AWS', 'Customer', 'Shared']);
    expect(p.items.map((i) => i.originalIndex).sort()).toEqual([0, 1, 2, 3]);
    for (const it of p.items) expect(it.text).toBe(classify.items[it.originalIndex]!.text);
  });

  it('prompts for the other types', () => {
    expect(presentCard({ type: 'reversed', front: 'MFA', back: 'Multi-factor', direction: 'backward' }, 0)).toEqual({
      type: 'reversed',
      prompt: 'Multi-factor',
      answer: 'MFA',
    });
    expect(presentCard({ type: 'cloze', text: 'At the {{instance}} level, {{stateful::which?}}', index: 2 }, 0)).toEqual({
      type: 'cloze',
      prompt: 'At the instance level, [which?]',
      answer: 'At the instance level, [stateful]',
    });
    expect(presentCard(typed, 0)).toEqual({ type: 'typed', prompt: typed.prompt });
    expect(presentCard({ type: 'truefalse', statement: 's', answer: true }, 0)).toEqual({ type: 'truefalse', prompt: 's' });
  });

  it('answer texts', () => {
    expect(answerText(multi)).toBe('Hardware token; Authenticator app');
    expect(answerText({ type: 'cloze', text: '{{a}} {{c1::b}} {{c}}', index: 1 })).toBe('b');
    expect(answerText({ type: 'reversed', front: 'f', back: 'b', direction: 'backward' })).toBe('f');
    expect(answerText(classify).split('\n')[0]).toBe('Physical security => AWS');
  });
});
