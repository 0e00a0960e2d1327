// Practice exams: which questions to ask, and how a run is scored. Pure: randomness comes in as a seeded rng.
import type { CardType } from '../core/types.js';

export interface ExamCandidate {
  cardId: number;
  deckName: string;
  type: CardType;
  /** Probability of recall now (0..1); null for a card never studied. */
  retrievability: number | null;
  lapses: number;
}

/**
 * How strongly a card is drawn: the less likely it is remembered, the more often it is asked. Unstudied cards sit
 * in the middle; each lapse adds a little, so known trouble spots come up again.
 */
export function examWeight(c: ExamCandidate): number {
  const forgetting = c.retrievability === null ? 0.5 : 1 - c.retrievability;
  return 0.1 + forgetting + Math.min(5, c.lapses) * 0.1;
}

/** Weighted sampling without replacement (Efraimidis-Spirakis keys), deterministic for a given rng. */
export function selectQuestions(candidates: readonly ExamCandidate[], count: number, rng: () => number): ExamCandidate[] {
  const keyed = candidates.map((c) => ({ c, key: Math.pow(Math.max(rng(), 1e-12), 1 / examWeight(c)) }));
  keyed.sort((a, b) => b.key - a.key);
  return keyed.slice(0, Math.max(0, count)).map((k) => k.c);
}

export interface ExamAnswer {
  cardId: number;
  deckName: string;
  type: CardType;
  question: string;
  correctAnswer: string;
  /** 0..1 */
  score: number;
}

export interface ExamGroupScore {
  questions: number;
  score: number;
  percent: number;
}

export interface ExamResult {
  questions: number;
  score: number;
  percent: number;
  byDeck: Record<string, ExamGroupScore>;
  byType: Record<string, ExamGroupScore>;
  /** Questions not fully right, in the order asked. */
  missed: ExamAnswer[];
}

const pct = (score: number, n: number) => (n === 0 ? 0 : Math.round((1000 * score) / n) / 10);

export function scoreExam(answers: readonly ExamAnswer[]): ExamResult {
  const group = (key: (a: ExamAnswer) => string) => {
    const out: Record<string, ExamGroupScore> = {};
    for (const a of answers) {
      const g = (out[key(a)] ??= { questions: 0, score: 0, percent: 0 });
      g.questions++;
      g.score += a.score;
    }
    for (const g of Object.values(out)) g.percent = pct(g.score, g.questions);
    return out;
  };
  const score = answers.reduce((s, a) => s + a.score, 0);
  return {
    questions: answers.length,
    score,
    percent: pct(score, answers.length),
    byDeck: group((a) => a.deckName),
    byType: group((a) => a.type),
    missed: answers.filter((a) => a.score < 1),
  };
}

/** Score of a self-graded answer in an exam: Again is wrong, Hard half right, Good and Easy right. */
export function selfGradeScore(grade: 1 | 2 | 3 | 4): number {
  return grade === 1 ? 0 : grade === 2 ? 0.5 : 1;
}
