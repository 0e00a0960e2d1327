// Entry point: parse arguments, run one command, map its outcome to an exit code. The only place that exits.
import { Command, CommanderError, Option } from 'commander';
import { RecallError } from '../core/errors.js';
import { sanitize } from '../core/text.js';
import { ExitRequest, processIo, type Io } from './io.js';
import { VERSION } from './version.js';

type Runner = (opts: any, io: Io) => Promise<number | void> | number | void;

// Commands load their modules on first use, so `recall decks` never pays for the prompt library or the optimizer.
const lazy = (load: () => Promise<{ run: Runner }>) => async (opts: any, io: Io) => (await load()).run(opts, io);

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function buildProgram(io: Io, setExit: (code: number) => void): Command {
  const program = new Command();
  program
    .name('recall')
    .description('Spaced-repetition flashcards and quizzes in the terminal, scheduled by FSRS.')
    .version(VERSION, '-v, --version')
    .option('--db <path>', 'database file (default: $RECALL_DB, else $XDG_DATA_HOME/recall/recall.db)')
    .addHelpText(
      'after',
      `
Environment:
  RECALL_DB      database file, if --db is not given
  RECALL_NOW     fix the clock to an ISO-8601 time (a testing aid), e.g. RECALL_NOW=2026-01-31T09:00:00Z
  NO_COLOR       turn colour off

Exit codes: 0 ok, 1 failure, 2 usage error, 130 cancelled.`,
    )
    .showHelpAfterError('(run recall --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err });

  const action = (runner: Runner) =>
    async function (this: Command) {
      const opts = { ...this.optsWithGlobals(), args: this.args };
      const code = await runner(opts, io);
      setExit(typeof code === 'number' ? code : 0);
    };

  program
    .command('review', { isDefault: true })
    .description('study due and new cards (the default command)')
    .option('-d, --deck <name>', 'only this deck (repeatable; subdecks included)', collect)
    .action(action(lazy(() => import('./commands/review.js'))));

  program
    .command('decks')
    .description('list decks with their card counts')
    .option('--json', 'machine-readable output')
    .action(action(lazy(() => import('./commands/decks.js'))));

  program
    .command('check')
    .description('validate deck files without touching the database')
    .argument('<paths...>', 'deck files or folders')
    .option('--json', 'machine-readable output')
    .action(action(lazy(() => import('./commands/check.js'))));

  program
    .command('quiz')
    .description('a practice exam, scored at the end')
    .option('-d, --deck <name>', 'draw from this deck (repeatable)', collect)
    .option('-n, --count <n>', 'number of questions', '20')
    .addOption(new Option('-t, --type <type...>', 'only these question types').choices(['basic', 'reversed', 'cloze', 'typed', 'choice', 'multi', 'truefalse', 'classify']))
    .option('--schedule', 'let the answers move FSRS schedules')
    .option('--seed <n>', 'seed for question order and option shuffles')
    .action(action(lazy(() => import('./commands/quiz.js'))));

  program
    .command('import')
    .description('import recall deck files, Anki text exports (.txt/.csv/.tsv) and Anki packages (.apkg/.colpkg/.anki2)')
    .argument('<paths...>', 'files or folders')
    .option('-d, --deck <name>', 'put everything into this deck')
    .option('--dry-run', 'report what would change, change nothing')
    .option('--timezone <tz>', 'time zone of the imported history (IANA name)')
    .option('--day-start <hour>', 'hour the study day starts in the imported history')
    .option('--json', 'machine-readable output')
    .action(action(lazy(() => import('./commands/import.js'))));

  program
    .command('stats')
    .description('progress: today, reviews per day, retention, forecast, decks, distributions')
    .option('-d, --deck <name>', 'only this deck')
    .option('--days <n>', 'days of history in the charts', '30')
    .option('--json', 'machine-readable output')
    .action(action(lazy(() => import('./commands/stats.js'))));

  const exp = program.command('export').description('export statistics, the review log, or a deck');
  exp
    .command('stats')
    .description('the statistics as JSON or CSV')
    .addOption(new Option('-f, --format <format>').choices(['json', 'csv']).default('json'))
    .option('-o, --out <file>', 'write to a file instead of stdout')
    .option('-d, --deck <name>', 'only this deck')
    .option('--days <n>', 'days of history', '30')
    .option('--force', 'overwrite an existing file')
    .option('--json', 'report as JSON')
    .action(action(lazy(() => import('./commands/export.js').then((m) => ({ run: m.runStats })))));
  exp
    .command('reviews')
    .description('the full review log (fsrs = the FSRS optimizer\'s CSV)')
    .addOption(new Option('-f, --format <format>').choices(['csv', 'json', 'fsrs']).default('csv'))
    .option('-o, --out <file>', 'write to a file instead of stdout')
    .option('-d, --deck <name>', 'only this deck')
    .option('--force', 'overwrite an existing file')
    .option('--json', 'report as JSON')
    .action(action(lazy(() => import('./commands/export.js').then((m) => ({ run: m.runReviews })))));
  exp
    .command('deck')
    .description('a deck as a recall deck file, an Anki plain-text file, or JSON')
    .argument('<name>', 'deck name')
    .addOption(new Option('-f, --format <format>').choices(['recall', 'anki-txt', 'json']).default('recall'))
    .option('-o, --out <path>', 'write to this file or directory instead of stdout')
    .option('--force', 'overwrite an existing file')
    .option('--json', 'report as JSON')
    .action(action(lazy(() => import('./commands/export.js').then((m) => ({ run: m.runDeck })))));

  program
    .command('optimize')
    .description('fit FSRS parameters to your own review history')
    .option('-d, --deck <name>', 'fit a preset for this deck only')
    .option('--all', 'fit one set for all decks (the default)')
    .option('--dry-run', 'report, change nothing')
    .option('--json', 'machine-readable output')
    .action(action(lazy(() => import('./commands/optimize.js'))));

  const config = program.command('config').description('show or change settings');
  config
    .command('get')
    .argument('[key]', 'setting name')
    .option('--json', 'machine-readable output')
    .action(action(lazy(() => import('./commands/config.js').then((m) => ({ run: m.runGet })))));
  config
    .command('set')
    .argument('<key>', 'setting name')
    .argument('<value>', 'new value')
    .option('--json', 'machine-readable output')
    .action(action(lazy(() => import('./commands/config.js').then((m) => ({ run: m.runSet })))));

  program
    .command('undo')
    .description('take back the most recent action on this device: an answer, a suspension, a burial, ... (repeatable)')
    .option('--json', 'machine-readable output')
    .action(action(lazy(() => import('./commands/undo.js'))));

  program
    .command('sync')
    .description('merge review logs with a PostgreSQL hub or another recall database file (docs/sync.md)')
    .argument('[target]', 'postgres://user@host/db, or the path of another recall database (default: config syncTarget)')
    .option('--json', 'machine-readable output')
    .addHelpText('after', '\nPasswords: never put one in a stored target; recall reads PGPASSWORD or ~/.pgpass, as psql does.')
    .action(action(lazy(() => import('./commands/sync.js'))));

  program
    .command('doctor')
    .description('check the database; --fix rebuilds schedules and card flags from the log')
    .option('--fix', 'repair what can be repaired')
    .option('--json', 'machine-readable output')
    .action(action(lazy(() => import('./commands/doctor.js'))));

  return program;
}

export async function main(argv: string[]): Promise<number> {
  const io = processIo();
  let exitCode = 0;
  const program = buildProgram(io, (c) => (exitCode = c));
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (e) {
    return reportError(io, e);
  }
}

export function reportError(io: Io, e: unknown): number {
  if (e instanceof ExitRequest) return e.exitCode;
  if (e instanceof CommanderError) {
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
    return 2; // commander has printed the message
  }
  if (e instanceof RecallError) {
    // Messages can quote file content (deck names, field text): shown inert like everything else from a file.
    io.err(`recall: ${sanitize(e.format())}\n`);
    return e.exitCode;
  }
  if (e && typeof e === 'object' && (e as Error).name === 'ExitPromptError') return 130;
  const err = e as Error;
  io.err(`recall: unexpected error: ${sanitize(err?.message ?? String(e))}\n`);
  if (io.env.RECALL_DEBUG) io.err(`${err?.stack ?? ''}\n`);
  else io.err('  hint: this is a bug; run again with RECALL_DEBUG=1 for details and report it\n');
  return 1;
}
