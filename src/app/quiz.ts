// A practice exam as a use case: questions drawn (weakest cards more often), each answered through the same
// draw/commit path as a review (so `--schedule` saves exactly the interval shown), undo, and a score at the end that
// is stored with the attempt, finished or not.
import { RecallError } from '../core/errors.js';
import type { CardType, Grade } from '../core/types.js';
import { scoreExam, selectQuestions, selfGradeScore, type ExamAnswer, type ExamResult } from '../quiz/exam.js';
import { gradeAnswer, type QuizAnswer } from '../quiz/grade.js';
import { answerText, isSelfGraded, mulberry32, presentCard } from '../quiz/present.js';
import type { ResolvedQuery } from '../search/resolve.js';
import type { StudyCard } from '../store/api.js';
import { commitAnswer, drawCard, type CommitResult, type Drawn } from './answer.js';
import type { Context } from './context.js';
import { undoLast } from './undo.js';

export interface QuizOptions {
  deckIds: number[] | null;
  types?: CardType[];
  count: number;
  /** Whether answers move FSRS schedules. */
  schedule: boolean;
  seed?: number;
  /** Names as given on the command line, recorded with the attempt. */
  deckNames?: string[] | null;
  /** Only cards this search matches (`recall quiz --query`), and the query as typed, recorded with the attempt. */
  query?: ResolvedQuery | null;
  queryText?: string | null;
}

export interface QuizQuestion {
  index: number;
  total: number;
  /** The card with its four outcomes (shown on the buttons when the quiz schedules). */
  drawn: Drawn;
  /** Seeds the order of options and items, so a redraw shows the same question. */
  seed: number;
  typicalMs: number | null;
}

export interface Quiz {
  readonly attemptId: number;
  readonly seed: number;
  readonly schedule: boolean;
  /** The current question, or null when all were answered. */
  current(): QuizQuestion | null;
  answer(q: QuizQuestion, grade: Grade, opts: { durationMs: number; answer?: QuizAnswer }): CommitResult;
  /** Takes back the last answer of this quiz; false when there is none. */
  undo(): boolean;
  canUndo(): boolean;
  /** Scores and stores the attempt; `unfinished` when the learner left before the last question. */
  finish(): ExamResult & { planned: number; unfinished: boolean };
}

/** A quiz asks 1 to 1000 questions. */
export function assertQuizCount(count: number, raw: unknown = count): void {
  if (!Number.isInteger(count) || count < 1 || count > 1000) {
    throw new RecallError('bad-count', `--count ${raw} is not a number of questions`, { hint: 'give a whole number from 1 to 1000', exitCode: 2 });
  }
}

export function startQuiz(ctx: Context, opts: QuizOptions): Quiz {
  assertQuizCount(opts.count);
  const now = ctx.clock();
  const hidden = ctx.hiddenDeckIds();
  const deckIds = opts.deckIds ?? (hidden.size ? ctx.store.decks().filter((d) => !hidden.has(d.id)).map((d) => d.id) : null);
  const cards = ctx.store
    .cardIds({ deckIds, types: opts.types, query: opts.query ?? null })
    .map((id) => ctx.store.getCard(id))
    .filter((c): c is StudyCard => c !== undefined);
  if (cards.length === 0) throw new RecallError('no-questions', 'No cards match the chosen decks and types', { hint: 'check --deck, --type and --query, or import a deck' });
  const seed = opts.seed ?? now % 2_147_483_647;
  const picked = selectQuestions(
    cards.map((c) => ({
      cardId: c.id,
      deckName: c.deckName,
      type: c.content.type,
      retrievability: c.schedule ? ctx.schedulerFor(c.deckId).retrievability(c.schedule, now) : null,
      lapses: c.schedule?.lapses ?? 0,
    })),
    opts.count,
    mulberry32(seed),
  );
  const attemptId = ctx.store.transaction(() =>
    ctx.store.createQuizAttempt(now, { decks: opts.deckNames ?? null, types: opts.types ?? null, count: opts.count, schedule: opts.schedule, seed, ...(opts.queryText ? { query: opts.queryText } : {}) }, picked.length),
  );
  const answers: (ExamAnswer & { actionUid: string })[] = [];
  const questionSeed = (i: number) => seed + i * 7919;

  return {
    attemptId,
    seed,
    schedule: opts.schedule,
    current() {
      const i = answers.length;
      if (i >= picked.length) return null;
      const card = ctx.store.getCard(picked[i]!.cardId);
      if (!card) throw new RecallError('card-gone', 'A card of this quiz no longer exists', { hint: 'start the quiz again' });
      return { index: i, total: picked.length, drawn: drawCard(ctx, card), seed: questionSeed(i), typicalMs: ctx.store.typicalDuration(card.id, card.deckId, card.content.type) };
    },
    answer(q, grade, o) {
      const content = q.drawn.card.content;
      const res = commitAnswer(ctx, q.drawn, grade, { durationMs: o.durationMs, kind: 'quiz', scheduled: opts.schedule, answer: o.answer, attemptId });
      // A question counts once it is answered, even if another session answered the card meanwhile.
      const auto = o.answer && o.answer.type !== 'self' && !isSelfGraded(content);
      const score = auto ? gradeAnswer(content, o.answer!, { durationMs: o.durationMs, typicalMs: null }).score : selfGradeScore(grade);
      answers.push({
        cardId: q.drawn.card.id,
        deckName: q.drawn.card.deckName,
        type: content.type,
        question: presentCard(content, q.seed).prompt,
        correctAnswer: answerText(content),
        score,
        actionUid: res.ok ? res.actionUid : '',
      });
      return res;
    },
    undo() {
      const last = answers[answers.length - 1];
      if (!last) return false;
      // Only this quiz's own answer is taken back: the most recent action is it, unless it could not be stored.
      if (last.actionUid && ctx.store.lastAction()?.uid === last.actionUid) undoLast(ctx);
      answers.pop();
      return true;
    },
    canUndo() {
      return answers.length > 0;
    },
    finish() {
      const result = scoreExam(answers);
      ctx.store.transaction(() => ctx.store.finishQuizAttempt(attemptId, ctx.clock(), result.questions, result.score));
      return { ...result, planned: picked.length, unfinished: answers.length < picked.length };
    },
  };
}
