// Automatic grading of quiz answers. Pure: durations are passed in.
import type { CardContent, Grade } from '../core/types.js';
import { GRADE_NAMES } from '../core/types.js';
import { editDistance, normalizeAnswer } from '../core/normalize.js';
import { answerText } from './present.js';

/** What the learner gave. Indices refer to the card's ORIGINAL options and items, not the shuffled display. */
export type QuizAnswer =
  | { type: 'typed'; text: string }
  | { type: 'choice'; index: number }
  | { type: 'multi'; indices: number[] }
  | { type: 'truefalse'; value: boolean }
  /** One category per item, in the card's original item order. */
  | { type: 'classify'; picks: string[] }
  /** Self-graded cards (basic, reversed, cloze), or any card the learner chose to grade themselves. */
  | { type: 'self'; rating: Grade };

export type Outcome = 'correct' | 'partial' | 'wrong' | 'near-miss';

export interface GradeResult {
  outcome: Outcome;
  /** 0..1, summed into a quiz attempt's score. */
  score: number;
  suggested: Grade;
  /** Human summary, e.g. `Near miss: you typed "acess key", expected "access key"`. */
  detail: string;
  correctAnswer: string;
}

export interface GradeContext {
  durationMs: number;
  /** The learner's typical answer time for such cards; null when unknown (no Easy upgrade then). */
  typicalMs: number | null;
}

/** Fraction of the typical time under which a correct answer is graded Easy. */
export const EASY_SPEED = 0.5;
/** Score from which a multi or classify answer counts as partly right (Hard) rather than wrong (Again). */
export const PARTIAL_THRESHOLD = 0.5;

/**
 * Typos tolerated for a near miss, by length of the expected (normalized) answer: none up to 3 characters (a
 * changed letter there is usually another word: "cat"/"car"), 1 for 4-7 characters, 2 from 8 on.
 */
export function typoAllowance(length: number): number {
  if (length <= 3) return 0;
  if (length <= 7) return 1;
  return 2;
}

const digits = (s: string): string => s.replace(/\D/g, '');

function fastEnough(ctx: GradeContext): boolean {
  return ctx.typicalMs !== null && ctx.typicalMs > 0 && ctx.durationMs < EASY_SPEED * ctx.typicalMs;
}

function correct(ctx: GradeContext, detail: string, correctAnswer: string): GradeResult {
  const fast = fastEnough(ctx);
  return { outcome: 'correct', score: 1, suggested: fast ? 4 : 3, detail: fast ? `${detail} (fast)` : detail, correctAnswer };
}

function byScore(score: number, ctx: GradeContext, summary: string, correctAnswer: string): GradeResult {
  if (score >= 1) return correct(ctx, 'Correct', correctAnswer);
  if (score >= PARTIAL_THRESHOLD) return { outcome: 'partial', score, suggested: 2, detail: `Partly right: ${summary}`, correctAnswer };
  return { outcome: 'wrong', score, suggested: 1, detail: `Wrong: ${summary}`, correctAnswer };
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

export function gradeAnswer(content: CardContent, answer: QuizAnswer, ctx: GradeContext): GradeResult {
  const correctAnswer = answerText(content);
  const wrong = (detail: string): GradeResult => ({ outcome: 'wrong', score: 0, suggested: 1, detail, correctAnswer });

  if (answer.type === 'self') {
    // The learner's own rating stands; no speed upgrade, they already chose.
    const r = answer.rating;
    return r === 1
      ? { outcome: 'wrong', score: 0, suggested: 1, detail: 'Self-graded: Again', correctAnswer }
      : { outcome: 'correct', score: 1, suggested: r, detail: `Self-graded: ${GRADE_NAMES[r]}`, correctAnswer };
  }
  const mismatch = (): GradeResult => wrong(`Wrong: a ${answer.type} answer does not fit a ${content.type} card`);

  switch (answer.type) {
    case 'typed': {
      if (content.type !== 'typed') return mismatch();
      const given = answer.text;
      const g = normalizeAnswer(given);
      if (!g) return wrong(`Wrong: no answer; expected "${correctAnswer}"`);
      const accepted = content.answers.filter((a) => normalizeAnswer(a));
      const exact = accepted.find((a) => normalizeAnswer(a) === g);
      if (exact !== undefined) return correct(ctx, exact === content.answers[0] ? 'Correct' : `Correct (accepted "${exact}")`, correctAnswer);
      let best: { answer: string; dist: number } | null = null;
      for (const a of accepted) {
        const n = normalizeAnswer(a);
        // A different number is a different answer, however few edits apart ("1998" vs "1999").
        if (digits(n) !== digits(g)) continue;
        const dist = editDistance(g, n);
        if (dist <= typoAllowance(Array.from(n).length) && (!best || dist < best.dist)) best = { answer: a, dist };
      }
      if (best) {
        return { outcome: 'near-miss', score: 0.5, suggested: 2, detail: `Near miss: you typed "${given.trim()}", expected "${best.answer}"`, correctAnswer };
      }
      return wrong(`Wrong: you typed "${given.trim()}", expected "${correctAnswer}"`);
    }
    case 'choice': {
      if (content.type !== 'choice') return mismatch();
      const picked = content.options[answer.index];
      if (!picked) return wrong(`Wrong: no option ${answer.index}; the answer is "${correctAnswer}"`);
      return picked.correct ? correct(ctx, 'Correct', correctAnswer) : wrong(`Wrong: you chose "${picked.text}"; the answer is "${correctAnswer}"`);
    }
    case 'multi': {
      if (content.type !== 'multi') return mismatch();
      // Score is the Jaccard index of picked and correct options: 1 only for the exact set, 0 for no overlap, and
      // an empty answer scores 0 rather than getting credit for the wrong options it left out.
      const picks = new Set(answer.indices.filter((i) => Number.isInteger(i) && i >= 0 && i < content.options.length));
      const correctSet = new Set(content.options.flatMap((o, i) => (o.correct ? [i] : [])));
      let hit = 0;
      for (const i of picks) if (correctSet.has(i)) hit++;
      const wrongPicks = picks.size - hit;
      const union = correctSet.size + wrongPicks;
      const score = union === 0 ? 0 : hit / union;
      const summary = `${hit} of ${correctSet.size} correct options${wrongPicks ? `, ${plural(wrongPicks, 'wrong pick')}` : ''}`;
      return byScore(score, ctx, summary, correctAnswer);
    }
    case 'truefalse': {
      if (content.type !== 'truefalse') return mismatch();
      return answer.value === content.answer ? correct(ctx, 'Correct', correctAnswer) : wrong(`Wrong: the statement is ${correctAnswer}`);
    }
    case 'classify': {
      if (content.type !== 'classify') return mismatch();
      const n = content.items.length;
      if (n === 0) return wrong('Wrong: the card has no items');
      let right = 0;
      const misses: string[] = [];
      content.items.forEach((it, i) => {
        const p = answer.picks[i];
        if (p !== undefined && normalizeAnswer(p) === normalizeAnswer(it.category)) right++;
        else misses.push(`"${it.text}" is ${it.category}`);
      });
      const summary = `${right} of ${plural(n, 'item')} placed correctly${misses.length ? ` (${misses.join('; ')})` : ''}`;
      return byScore(right / n, ctx, summary, correctAnswer);
    }
  }
}
