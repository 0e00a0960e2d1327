// Entry point: parse arguments, run one command, map its outcome to an exit code. The only place that exits.
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import envPaths from 'env-paths';
import { RecallError } from '../core/errors.js';
import { nearest } from '../core/suggest.js';
import { storageError } from '../store/errors.js';
import { ExitRequest, printJson, processIo, type Io } from './io.js';
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
    // Under --json, commander's own messages (usage errors) are reported as JSON by reportError instead.
    // Commander's own messages (usage errors) carry the same `recall:` prefix as every other error.
    .configureOutput({
      writeOut: io.out,
      writeErr: (text) => (wantsJson(io.argv) ? undefined : io.err(text)),
      outputError: (text, write) => (wantsJson(io.argv) ? undefined : write(text.replace(/^error: /, 'recall: '))),
    });

  const action = (runner: Runner) =>
    async function (this: Command) {
      // dist/recall.js keeps a code cache per command and writes one only for the command named here.
      let top: Command = this;
      while (top.parent?.parent) top = top.parent;
      (globalThis as Record<symbol, unknown>)[Symbol.for('recall.command')] = top.name();
      const opts: { db?: string; args: string[]; query?: string } = { ...this.optsWithGlobals(), args: this.args };
      checkUnknownOptions(this, io.argv, opts.query);
      checkDbFlag(opts.db);
      const code = await runner(opts, io);
      setExit(typeof code === 'number' ? code : 0);
    };

  program
    .command('review', { isDefault: true })
    .description('study due and new cards (the default command)')
    .option('-d, --deck <name>', 'only this deck (repeatable; subdecks included)', collect)
    .option('-q, --query <query>', 'only cards this search matches (see recall search)')
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
    .option('-q, --query <query>', 'only cards this search matches (see recall search)')
    .action(action(lazy(() => import('./commands/quiz.js'))));

  program
    .command('import')
    .description('import recall deck files, Anki text exports (.txt/.csv/.tsv) and Anki packages (.apkg/.colpkg/.anki2)')
    .argument('<paths...>', 'files or folders')
    .option('-d, --deck <name>', 'put everything into this deck')
    .option('--dry-run', 'report what would change, change nothing')
    .option('--strict', 'all or nothing: refuse a file if any of its rows has a problem (default: import the good rows, report the rest)')
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

  const exp = program.command('export').description('export statistics, the review log, a deck, or the collection as an Anki package');
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
    .description('a deck as a recall deck file, an Anki plain-text file, JSON, or an Anki package (apkg: with subdecks, schedules and history)')
    .argument('<name>', 'deck name')
    .addOption(new Option('-f, --format <format>').choices(['recall', 'anki-txt', 'json', 'apkg']).default('recall'))
    .option('-o, --out <path>', 'write to this file or directory instead of stdout (required for apkg)')
    .option('-q, --query <query>', 'only the cards matching this search (recall search syntax)')
    .option('--force', 'overwrite an existing file')
    .option('--json', 'report as JSON')
    .action(action(lazy(() => import('./commands/export.js').then((m) => ({ run: m.runDeck })))));
  exp
    .command('collection')
    .description('every deck as an Anki package with schedules and history (colpkg replaces a whole Anki profile; apkg adds to one)')
    .addOption(new Option('-f, --format <format>').choices(['colpkg', 'apkg']).default('colpkg'))
    .requiredOption('-o, --out <path>', 'the package file to write')
    .option('-q, --query <query>', 'only the cards matching this search (with --format apkg)')
    .option('--force', 'overwrite an existing file')
    .option('--json', 'report as JSON')
    .action(action(lazy(() => import('./commands/export.js').then((m) => ({ run: m.runCollection })))));

  program
    .command('optimize')
    .description('fit FSRS parameters to your own review history')
    .option('-d, --deck <name>', 'fit a preset for this deck only')
    .option('--all', 'fit one set for all decks (the default)')
    .option('--dry-run', 'report, change nothing')
    .option('--evaluate', 'also measure out-of-sample quality by time-series splits (several more fits: slower)')
    .option('--json', 'machine-readable output')
    .action(action(lazy(() => import('./commands/optimize.js'))));

  const configCmd = (name: keyof typeof import('./commands/config.js')) => action(lazy(() => import('./commands/config.js').then((m) => ({ run: m[name] as Runner }))));
  const config = program
    .command('config')
    .description('settings and per-deck presets: `recall config` shows them all, and which preset each deck uses')
    .argument('[command]')
    .option('--json', 'machine-readable output')
    .action(configCmd('runShow'));
  config
    .command('get')
    .description('the value of a setting (or all), globally or as a deck or preset has it')
    .argument('[key]', 'setting name')
    .option('-d, --deck <name>', 'as this deck has it (from its preset)')
    .option('-p, --preset <name>', 'as this preset has it')
    .option('--json', 'machine-readable output')
    .action(configCmd('runGet'));
  config
    .command('set')
    .description('change a setting; with --deck, in the deck\'s preset (one is made for it); reschedules by replay')
    .argument('<key>', 'setting name')
    .argument('<value>', 'new value')
    .option('-d, --deck <name>', "in this deck's preset (made for the deck if it has none)")
    .option('-p, --preset <name>', 'in this preset (made if it does not exist)')
    .option('--json', 'machine-readable output')
    .action(configCmd('runSet'));
  config
    .command('reset')
    .description('a setting back to its default; with --deck or --preset, the preset\'s value back to the global one')
    .argument('<key>', 'setting name (parameters: the fitted FSRS parameters)')
    .option('-d, --deck <name>', "in this deck's preset")
    .option('-p, --preset <name>', 'in this preset')
    .option('--json', 'machine-readable output')
    .action(configCmd('runReset'));
  config
    .command('use')
    .description('give a deck (and its subdecks) a preset; "default" = the global settings')
    .argument('<preset>', 'preset name (made if it does not exist)')
    .requiredOption('-d, --deck <name>', 'the deck')
    .option('--json', 'machine-readable output')
    .action(configCmd('runUse'));

  program
    .command('search')
    .description('find cards: words, "phrases", deck:, tag:, is:, type:, prop:, rated:, added:, id:, -negation, or, ( )')
    .argument('[query...]', 'the search (quote it), e.g. \'is:due "deck:My Deck*"\'; empty = every card')
    .option('--limit <n>', 'show at most this many (default 50 in the table, 100 with --json; 0 = all); the total is always said')
    .option('--sort <field>', 'deck (default), id, due, added, interval, lapses, reps, stability, difficulty')
    .option('--reverse', 'reverse the order')
    .option('--json', 'every field of every card')
    // A query may start with a negation (`-is:new`): what is not an option of the command is part of the query.
    .allowUnknownOption()
    .action(action(lazy(() => import('./commands/search.js'))));

  program
    .command('show')
    .description("one card: content, deck, tags, where it comes from, schedule, and its whole history")
    .argument('<card...>', 'a card id, a card guid, or a search that matches one card')
    .option('--json', 'machine-readable output')
    .allowUnknownOption()
    .action(action(lazy(() => import('./commands/show.js'))));

  program
    .command('add')
    .description('add a card: from flags, or from a form on a terminal; appended to the deck file when the deck has one')
    .option('-d, --deck <name>', 'the deck (made if it does not exist; --create when a similar name exists)')
    .addOption(new Option('-t, --type <type>', 'question type (default basic)').choices(['basic', 'reversed', 'cloze', 'typed', 'choice', 'multi', 'truefalse', 'classify']))
    .option('--front <text>', 'the question (basic, reversed, typed, choice, multi, classify) or statement (truefalse)')
    .option('--back <text>', 'the answer (basic, reversed, typed) or true/false (truefalse)')
    .option('--text <text>', 'cloze text with {{hidden}} parts')
    .option('--accept <answer>', 'another accepted answer (typed; repeatable)', collect)
    .option('--correct <option>', 'a right option (choice, multi; repeatable)', collect)
    .option('--wrong <option>', 'a wrong option (choice, multi; repeatable)', collect)
    .option('--category <name>', 'a category (classify; repeatable)', collect)
    .option('--item <"text => category">', 'an item to classify (classify; repeatable)', collect)
    .option('--explain <text>', 'shown after the answer')
    .option('--source <text>', 'where the fact comes from')
    .option('--tags <tags>', 'space-separated tags')
    .option('--id <id>', "the card's id in its deck (default: made from the question)")
    .option('--create', 'make the deck even if a deck with a similar name exists')
    .option('--json', 'machine-readable output')
    .action(action(lazy(() => import('./commands/add.js'))));

  program
    .command('edit')
    .description('edit a card in $VISUAL/$EDITOR (a deck-file card: in its file); it keeps its history')
    .argument('<card...>', 'a card id, a card guid, or a search that matches one card')
    .option('--json', 'report as JSON')
    .allowUnknownOption()
    .action(action(lazy(() => import('./commands/edit.js'))));

  for (const [kind, what] of [
    ['suspend', 'suspend every card a search matches (they leave sessions until unsuspended)'],
    ['unsuspend', 'unsuspend every card a search matches'],
    ['bury', 'bury every card a search matches until tomorrow'],
    ['unbury', 'unbury every card a search matches'],
    ['forget', 'make every card a search matches new again (its history is kept)'],
  ] as const) {
    program
      .command(kind)
      .description(`${what}; one action, undone by recall undo`)
      .argument('<query...>', "the search, e.g. 'deck:Spanish is:leech'")
      .option('--dry-run', 'say how many would change, change nothing')
      .option('--json', 'machine-readable output')
      .allowUnknownOption()
      .action(action(lazy(() => import('./commands/card-action.js').then((m) => ({ run: m.runner(kind) })))));
  }

  const deck = program.command('deck').description('list, rename, delete, hide and unhide decks');
  const deckCmd = (name: 'runList' | 'runRename' | 'runDelete') => action(lazy(() => import('./commands/deck.js').then((m) => ({ run: m[name] }))));
  deck
    .command('list')
    .description('every deck with its origin, preset, counts and leeches (hidden ones marked)')
    .option('--all', 'also decks whose cards were all deleted')
    .option('--json', 'machine-readable output')
    .action(deckCmd('runList'));
  deck
    .command('rename')
    .description('rename a deck and its subdecks (their identity and history stay; a deck file\'s deck: line follows)')
    .argument('<old>', 'current name')
    .argument('<new>', 'new name')
    .option('--json', 'machine-readable output')
    .action(deckCmd('runRename'));
  deck
    .command('delete')
    .description('remove every card of a deck and its subdecks (review history kept; recall undo brings them back)')
    .argument('<name>', 'deck name')
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--dry-run', 'say what would be deleted, change nothing')
    .option('--json', 'machine-readable output')
    .action(deckCmd('runDelete'));
  for (const [kind, hide] of [['hide', true], ['unhide', false]] as const) {
    deck
      .command(kind)
      .description(hide ? 'leave a deck (and its subdecks) out of sessions, counts and statistics; built-in decks stay hidden across upgrades' : 'show a hidden deck again')
      .argument('<name>', 'deck name')
      .option('--json', 'machine-readable output')
      .action(action(lazy(() => import('./commands/deck.js').then((m) => ({ run: m.hideRunner(hide) })))));
  }

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

  // Every command that works without a terminal takes --json (itself or through its subcommands).
  const takesJson = (c: Command): boolean => c.options.some((o) => o.long === '--json') || c.commands.some(takesJson);
  io.nonInteractive = program.commands.filter(takesJson).map((c) => c.name());
  return program;
}

/**
 * Commands that take a free search let unknown options through, so a query may start with a negation
 * (`-tag:x`). A `--word` that is no option of the command is still a mistyped option, not search text: refused
 * as commander refuses one, with the nearest option suggested. `--` ends the options (`recall search -- --x`).
 * A `--query` value that looks like an option is refused the same way.
 */
function checkUnknownOptions(cmd: Command, argv: readonly string[], query: string | undefined): void {
  const options: Option[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) options.push(...c.options);
  const known = new Set(['--help', '--version', ...options.map((o) => o.long).filter((l): l is string => Boolean(l))]);
  const takesValue = new Set(options.filter((o) => o.required).flatMap((o) => [o.long, o.short].filter((f): f is string => Boolean(f))));
  const refuse = (flag: string): never => {
    const near = nearest(flag, [...known].filter((f) => f !== '--version' && f !== '--help'), 1)[0];
    cmd.error(`error: unknown option '${flag}'${near ? `\n(Did you mean ${near}?)` : ''}`, { exitCode: 2, code: 'commander.unknownOption' });
  };
  const end = argv.indexOf('--');
  const tokens = end === -1 ? argv : argv.slice(0, end);
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (takesValue.has(t)) {
      i++;
      continue;
    }
    if (!/^--[^-]/.test(t)) continue;
    const flag = t.split('=')[0]!;
    if (!known.has(flag)) refuse(flag);
  }
  if (query !== undefined && /^--[^-\s]/.test(query)) refuse(query.split(/[=\s]/)[0]!);
}

/** True when the command line asks for machine output: then errors are JSON too. */
function wantsJson(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).includes('--json');
}

/**
 * An explicit `--db` names a file the user means: a folder that does not exist is a typo, not a place to create
 * an empty database in. ($RECALL_DB and the default location still get their folder created.)
 */
function checkDbFlag(db: string | undefined): void {
  if (db === undefined) return;
  const dir = dirname(db);
  if (!existsSync(dir)) {
    throw new RecallError('db-no-dir', `The folder ${dir} does not exist`, { file: db, hint: 'create it first (mkdir -p), or check the path given to --db', exitCode: 2 });
  }
  if (!statSync(dir).isDirectory()) throw new RecallError('db-no-dir', `${dir} is not a folder`, { file: db, hint: 'check the path given to --db', exitCode: 2 });
}

// Options that take a value and may come before the command word (`--db`, and the default review's `--deck` and
// `--query`; scripts/launcher.cjs skips the same ones).
const GLOBAL_WITH_VALUE = new Set(['--db', '-d', '--deck', '-q', '--query']);

/** The command word of `argv` (global options skipped), or undefined when there is none. */
function commandWord(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') return argv[i + 1];
    if (GLOBAL_WITH_VALUE.has(a)) {
      i++;
      continue;
    }
    if (a.startsWith('-')) continue;
    return a;
  }
  return undefined;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

/**
 * `review` is the default command, so commander would read `recall stat` as `recall review stat` and complain
 * about an argument. A first word that is no command is an unknown command, with the nearest one suggested.
 */
function checkCommand(program: Command, argv: readonly string[]): void {
  const word = commandWord(argv);
  if (word === undefined) return;
  const names = program.commands.flatMap((c) => [c.name(), ...c.aliases()]);
  if (names.includes(word) || word === 'help') return;
  const ranked = names.map((n) => ({ n, d: n.startsWith(word) || word.startsWith(n) ? 1 : editDistance(word.toLowerCase(), n) })).sort((a, b) => a.d - b.d);
  const near = ranked[0] && ranked[0].d <= Math.max(2, Math.floor(word.length / 3)) ? ranked[0].n : undefined;
  throw new RecallError('unknown-command', `unknown command '${word}'${near ? ` (did you mean ${near}?)` : ''}`, {
    hint: `commands: ${program.commands.map((c) => c.name()).join(', ')}; run recall --help for usage`,
    exitCode: 2,
  });
}

export async function main(argv: string[]): Promise<number> {
  const io = processIo(argv);
  let exitCode = 0;
  const program = buildProgram(io, (c) => (exitCode = c));
  try {
    checkCommand(program, argv);
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (e) {
    // The same order as app/context.ts resolveDbPath (not imported: it would load the database driver at start).
    const db = (program.opts().db as string | undefined) ?? io.env.RECALL_DB ?? join(envPaths('recall', { suffix: '' }).data, 'recall.db');
    return reportError(io, e, db);
  }
}

/** An error as the user sees it: text on stderr, or under --json the one JSON shape, also on stderr. */
function emitError(io: Io, err: { code: string; message: string; file?: string | undefined; line?: number | undefined; column?: number | undefined; hint?: string | undefined }): void {
  if (wantsJson(io.argv)) {
    printJson(io, { error: { code: err.code, message: err.message, file: err.file ?? null, line: err.line ?? null, column: err.column ?? null, hint: err.hint ?? null } }, 'err');
    return;
  }
  const where = err.file ? `${err.file}${err.line ? `:${err.line}` : ''}: ` : '';
  io.err(`recall: ${where}${err.message}${err.hint ? `\n  hint: ${err.hint}` : ''}\n`);
}

export function reportError(io: Io, e: unknown, dbPath = ''): number {
  if (e instanceof ExitRequest) return e.exitCode;
  if (e instanceof CommanderError) {
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
    // Without --json commander has printed the message already.
    if (wantsJson(io.argv)) emitError(io, { code: 'usage', message: e.message.replace(/^error: /, ''), hint: 'run recall --help for usage' });
    return 2;
  }
  // A failing disk or database says what happened, whatever command hit it.
  const stored = e instanceof RecallError ? null : storageError(e, dbPath);
  if (e instanceof RecallError || stored) {
    const r = (stored ?? e) as RecallError;
    // Messages can quote file content (deck names, field text): the output path makes them inert.
    emitError(io, { code: r.code, message: r.message, file: r.file, line: r.line, column: r.column, hint: r.hint });
    return r.exitCode;
  }
  if (e && typeof e === 'object' && (e as Error).name === 'ExitPromptError') return 130;
  const err = e as Error;
  emitError(io, {
    code: 'internal',
    message: `unexpected error: ${err?.message ?? String(e)}`,
    hint: io.env.RECALL_DEBUG ? err?.stack : 'this is a bug; run again with RECALL_DEBUG=1 for details and report it',
  });
  return 1;
}
