// The question model of a card for display: what to show and in which order. No terminal codes here.
import type { CardContent } from '../core/types.js';
import { clozeAnswers, renderCloze } from '../decks/cloze.js';

export interface ShownOption {
  text: string;
  /** Index into the card's original options: what a `choice`/`multi` answer refers to. */
  originalIndex: number;
}

export interface ShownItem {
  text: string;
  /** Index into the card's original items: `classify` picks are given in original item order. */
  originalIndex: number;
}

export type Presentation =
  | { type: 'basic'; prompt: string; answer: string }
  | { type: 'reversed'; prompt: string; answer: string }
  | { type: 'cloze'; prompt: string; answer: string }
  | { type: 'typed'; prompt: string }
  | { type: 'choice'; prompt: string; options: ShownOption[] }
  | { type: 'multi'; prompt: string; options: ShownOption[] }
  | { type: 'truefalse'; prompt: string }
  | { type: 'classify'; prompt: string; categories: string[]; items: ShownItem[] };

/** Cards the learner grades themselves (the answer is revealed; nothing is typed or picked). */
export function isSelfGraded<T extends { type: string }>(x: T): x is Extract<T, { type: 'basic' | 'reversed' | 'cloze' }> {
  return x.type === 'basic' || x.type === 'reversed' || x.type === 'cloze';
}

/** Small seeded PRNG (mulberry32): the same seed always gives the same sequence in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A permutation of 0..n-1 by Fisher-Yates with mulberry32(seed). */
export function shuffledOrder(n: number, seed: number): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  const rnd = mulberry32(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

/**
 * Options and classify items are shuffled by the seed (authors tend to write the right option first, and items
 * grouped by category); categories keep the author's order because they are the answer buttons.
 */
export function presentCard(content: CardContent, seed: number): Presentation {
  switch (content.type) {
    case 'basic':
      return { type: 'basic', prompt: content.front, answer: content.back };
    case 'reversed':
      return content.direction === 'forward'
        ? { type: 'reversed', prompt: content.front, answer: content.back }
        : { type: 'reversed', prompt: content.back, answer: content.front };
    case 'cloze': {
      const r = renderCloze(content.text, content.index);
      return { type: 'cloze', prompt: r.question, answer: r.answer };
    }
    case 'typed':
      return { type: 'typed', prompt: content.prompt };
    case 'choice':
    case 'multi':
      return {
        type: content.type,
        prompt: content.prompt,
        options: shuffledOrder(content.options.length, seed).map((i) => ({ text: content.options[i]!.text, originalIndex: i })),
      };
    case 'truefalse':
      return { type: 'truefalse', prompt: content.statement };
    case 'classify':
      return {
        type: 'classify',
        prompt: content.prompt,
        categories: [...content.categories],
        items: shuffledOrder(content.items.length, seed).map((i) => ({ text: content.items[i]!.text, originalIndex: i })),
      };
  }
}

/** The correct answer as text, for showing after the learner answered. */
export function answerText(content: CardContent): string {
  switch (content.type) {
    case 'basic':
      return content.back;
    case 'reversed':
      return content.direction === 'forward' ? content.back : content.front;
    case 'cloze':
      return clozeAnswers(content.text, content.index).join(', ');
    case 'typed':
      return content.answers[0] ?? '';
    case 'choice':
    case 'multi':
      return content.options
        .filter((o) => o.correct)
        .map((o) => o.text)
        .join('; ');
    case 'truefalse':
      return content.answer ? 'true' : 'false';
    case 'classify':
      return content.items.map((i) => `${i.text} => ${i.category}`).join('\n');
  }
}
