// `recall quiz`: asks what the quiz use case hands over and prints the score. No SQL, no scheduling here.
import { plural } from '../../core/plural.js';
import { openContext } from '../../app/context.js';
import { resolveDeckIds } from '../../app/decks.js';
import { resolveSearch } from '../../app/search.js';
import { assertQuizCount, startQuiz } from '../../app/quiz.js';
import { syncBuiltinDecks } from '../../app/sync.js';
import { RecallError } from '../../core/errors.js';
import { sanitize } from '../../core/text.js';
import { GRADES, type CardType, type Grade } from '../../core/types.js';
import { presentCard } from '../../quiz/present.js';
import { formatInterval } from '../../scheduler/index.js';
import { showCardMedia } from '../media-view.js';
import { ExitRequest, requireTty, styler, type Io } from '../io.js';

interface Opts {
  db?: string;
  deck?: string[];
  count?: string;
  type?: CardType[];
  schedule?: boolean;
  seed?: string;
  query?: string;
}

export async function run(opts: Opts, io: Io): Promise<number> {
  const count = Number(opts.count ?? 20);
  assertQuizCount(count, opts.count);
  const seed = opts.seed === undefined ? undefined : Number(opts.seed);
  if (seed !== undefined && !Number.isInteger(seed)) throw new RecallError('bad-seed', `--seed ${opts.seed} is not an integer`, { exitCode: 2 });
  requireTty(io, 'quiz');
  const ctx = openContext({ db: opts.db, env: io.env });
  const { cardPrompt } = await import('../card-prompt.js');
  const st = styler(io.color);
  try {
    syncBuiltinDecks(ctx);
    const quiz = startQuiz(ctx, {
      deckIds: resolveDeckIds(ctx, opts.deck),
      deckNames: opts.deck ?? null,
      query: opts.query === undefined ? null : resolveSearch(ctx, opts.query),
      queryText: opts.query ?? null,
      types: opts.type,
      count,
      schedule: Boolean(opts.schedule),
      seed,
    });
    let cancelled = false;
    for (let q = quiz.current(); q; q = quiz.current()) {
      const card = q.drawn.card;
      const intervals = quiz.schedule ? (Object.fromEntries(GRADES.map((g) => [g, formatInterval(q!.drawn.intervals[g])])) as Record<Grade, string>) : null;
      const media = await showCardMedia(ctx, card.content, presentCard(card.content, q.seed).prompt, io);
      const action = await cardPrompt({
        content: media.content,
        ...(media.onPlay ? { onPlay: media.onPlay } : {}),
        deckName: card.deckName,
        intervals,
        seed: q.seed,
        typicalMs: q.typicalMs,
        canUndo: quiz.canUndo(),
        color: io.color,
        columns: io.columns,
        title: `question ${q.index + 1} of ${q.total}`,
        quiz: true,
      });
      if (action.kind === 'cancel') {
        cancelled = true;
        break;
      }
      if (action.kind === 'quit') break;
      if (action.kind === 'undo') {
        if (quiz.undo() && action.ack) io.out(`${action.ack}\n`);
        continue;
      }
      if (action.kind !== 'grade') continue;
      quiz.answer(q, action.grade, { durationMs: action.durationMs, answer: action.answer });
      if (action.ack) io.out(`${action.ack}\n`);
    }
    const result = quiz.finish();
    const left = result.unfinished ? st.yellow(`  (left after ${result.questions} of ${plural(result.planned, 'question')})`) : '';
    io.out(`\n${st.bold(`Score: ${fmt(result.score)} / ${result.questions} (${result.percent}%)`)}${left}\n`);
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
