import { openContext } from '../../app/context.js';
import { answerCard, toSessionCard, undoAnswer } from '../../app/review.js';
import { syncBuiltinDecks } from '../../app/sync.js';
import { RecallError } from '../../core/errors.js';
import { GRADES, type CardType, type Grade } from '../../core/types.js';
import { scoreExam, selectQuestions, selfGradeScore, type ExamAnswer } from '../../quiz/exam.js';
import { answerText, isSelfGraded, mulberry32, presentCard } from '../../quiz/present.js';
import { formatInterval } from '../../scheduler/index.js';
import { sanitize } from '../../core/text.js';
import { ExitRequest, requireTty, styler, type Io } from '../io.js';
import { resolveDecks } from './review.js';

interface Opts {
  db?: string;
  deck?: string[];
  count?: string;
  type?: CardType[];
  schedule?: boolean;
  seed?: string;
}

export async function run(opts: Opts, io: Io): Promise<number> {
  const count = Number(opts.count ?? 20);
  if (!Number.isInteger(count) || count < 1 || count > 1000) {
    throw new RecallError('bad-count', `--count ${opts.count} is not a number of questions`, { hint: 'give a whole number from 1 to 1000', exitCode: 2 });
  }
  const seedArg = opts.seed === undefined ? undefined : Number(opts.seed);
  if (seedArg !== undefined && !Number.isInteger(seedArg)) throw new RecallError('bad-seed', `--seed ${opts.seed} is not an integer`, { exitCode: 2 });
  requireTty(io, 'quiz');
  const ctx = openContext({ db: opts.db, env: io.env });
  const { cardPrompt } = await import('../card-prompt.js');
  const st = styler(io.color);
  try {
    syncBuiltinDecks(ctx.store, ctx.clock());
    const deckIds = resolveDecks(ctx, opts.deck);
    const now = ctx.clock();
    const where = [`c.suspended = 0`, deckIds ? `c.deck_id IN (${deckIds.join(',')})` : '1', opts.type?.length ? `c.type IN (${opts.type.map((t) => `'${t}'`).join(',')})` : '1'];
    const ids = ctx.store.db.prepare(`SELECT c.id FROM cards c WHERE ${where.join(' AND ')}`).pluck().all() as number[];
    const cards = ids.map((id) => ctx.store.getCard(id)!).filter(Boolean);
    if (cards.length === 0) throw new RecallError('no-questions', 'No cards match the chosen decks and types', { hint: 'check --deck and --type, or import a deck' });
    const seed = seedArg ?? now % 2_147_483_647;
    const rng = mulberry32(seed);
    const picked = selectQuestions(
      cards.map((c) => ({ cardId: c.id, deckName: c.deckName, type: c.content.type, retrievability: c.schedule ? ctx.schedulerFor(c.deckId).retrievability(c.schedule, now) : null, lapses: c.schedule?.lapses ?? 0 })),
      count,
      rng,
    );
    const byId = new Map(cards.map((c) => [c.id, c]));
    const attemptId = Number(
      ctx.store.db
        .prepare('INSERT INTO quiz_attempts(started_at, options) VALUES (?, ?)')
        .run(now, JSON.stringify({ decks: opts.deck ?? null, types: opts.type ?? null, count, schedule: Boolean(opts.schedule), seed })).lastInsertRowid,
    );
    const answers: (ExamAnswer & { reviewId: number })[] = [];
    let cancelled = false;
    for (let i = 0; i < picked.length; ) {
      const card = byId.get(picked[i]!.cardId)!;
      const current = ctx.store.getCard(card.id)!;
      const t = ctx.clock();
      const intervals = opts.schedule
        ? (Object.fromEntries(GRADES.map((g) => [g, formatInterval(ctx.schedulerFor(card.deckId).answer(current.schedule, t, g).schedule.due - t)])) as Record<Grade, string>)
        : null;
      const action = await cardPrompt({
        content: current.content,
        deckName: current.deckName,
        intervals,
        seed: seed + i * 7919,
        typicalMs: ctx.store.typicalDuration(card.id, card.deckId, card.content.type),
        canUndo: answers.length > 0,
        color: io.color,
        columns: io.columns,
        title: `question ${i + 1} of ${picked.length}`,
        quiz: true,
      });
      if (action.kind === 'cancel') {
        cancelled = true;
        break;
      }
      if (action.kind === 'quit') break;
      if (action.kind === 'undo') {
        const last = answers.pop();
        if (last) {
          undoAnswer(ctx, last.reviewId, last.cardId);
          if (action.ack) io.out(`${action.ack}\n`);
          i--;
        }
        continue;
      }
      if (action.kind !== 'grade') continue;
      const res = answerCard(ctx, toSessionCard(current), action.grade, {
        durationMs: action.durationMs,
        kind: 'quiz',
        scheduled: Boolean(opts.schedule),
        answer: action.answer,
        attemptId,
      });
      if (action.ack) io.out(`${action.ack}\n`);
      const score = action.result && action.answer?.type !== 'self' && !isSelfGraded(current.content) ? action.result.score : selfGradeScore(action.grade);
      answers.push({
        cardId: card.id,
        deckName: card.deckName,
        type: card.content.type,
        question: questionText(current.content, seed + i * 7919),
        correctAnswer: answerText(current.content),
        score,
        reviewId: res.ok ? res.reviewId : -1,
      });
      i++;
    }
    const result = scoreExam(answers);
    ctx.store.db.prepare('UPDATE quiz_attempts SET finished_at = ?, questions = ?, correct = ? WHERE id = ?').run(ctx.clock(), result.questions, result.score, attemptId);
    io.out(`\n${st.bold(`Score: ${fmt(result.score)} / ${result.questions} (${result.percent}%)`)}\n`);
    if (result.questions) {
      io.out(`\n${st.bold('By deck')}\n`);
      for (const [name, g] of Object.entries(result.byDeck)) io.out(`  ${sanitize(name).padEnd(40)} ${fmt(g.score).padStart(5)} / ${g.questions}  ${g.percent}%\n`);
      io.out(`\n${st.bold('By question type')}\n`);
      for (const [name, g] of Object.entries(result.byType)) io.out(`  ${sanitize(name).padEnd(40)} ${fmt(g.score).padStart(5)} / ${g.questions}  ${g.percent}%\n`);
      if (result.missed.length) {
        io.out(`\n${st.bold('Missed')}\n`);
        for (const m of result.missed) io.out(`  ${st.red('✗')} ${sanitize(m.question.split('\n')[0] ?? '')}\n    ${st.dim('answer:')} ${sanitize(m.correctAnswer.split('\n').join('; '))}\n`);
      }
    }
    if (cancelled) throw new ExitRequest(130);
    return 0;
  } finally {
    ctx.store.close();
  }
}

const fmt = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(1));

function questionText(content: Parameters<typeof presentCard>[0], seed: number): string {
  return presentCard(content, seed).prompt;
}
