// The terminal edge: output streams, colour, and how results and errors reach the user.
import { fstatSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { RecallError } from '../core/errors.js';
import { sanitize, sanitizeStyled, toSafeJson } from '../core/text.js';
import type { Env } from '../app/context.js';

/**
 * The one output path. `out` and `err` make whatever they print inert on a terminal (only recall's own colour
 * codes survive, and only when colour is on), so a deck name or an error quoting a file cannot move the cursor,
 * set the title or write the clipboard, even where a caller forgot to sanitize it. `data` is for exported
 * files: written exactly as they are to a pipe or a file, but made inert too when stdout is a terminal.
 */
export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
  data: (text: string) => void;
  /** The command line, for deciding how errors are shown (`--json`). */
  argv: readonly string[];
  env: Env;
  stdoutIsTty: boolean;
  stdinIsTty: boolean;
  columns: number;
  color: boolean;
  /** The commands that work without a terminal, as the program registered them (for the hint of requireTty). */
  nonInteractive?: readonly string[];
}

/**
 * Writes to fd 1 or 2 with a plain write(2) until the descriptor would block, then through Node's stream for it.
 * Building process.stdout/stderr loads Node's stream machinery (~5 ms of a 110 ms `recall decks`), and most
 * commands print one result and exit. Every write before the switch has completed, so order is kept.
 */
function fdWriter(fd: 1 | 2): (text: string) => void {
  let viaStream = false;
  const stream = () => {
    const s = fd === 1 ? process.stdout : process.stderr;
    if (!viaStream) {
      viaStream = true;
      s.on('error', closedEarly);
    }
    return s;
  };
  return (text) => {
    if (viaStream) return void stream().write(text);
    const bytes = Buffer.from(text, 'utf8');
    let done = 0;
    try {
      while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EPIPE') closedEarly(e as NodeJS.ErrnoException);
      else if (code === 'EAGAIN') stream().write(bytes.subarray(done));
      else throw e;
    }
  };
}

/** `recall export reviews | head` closes the pipe early: that is the reader's choice, not an error. */
function closedEarly(e: NodeJS.ErrnoException): void {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
}

const stdoutWrite = fdWriter(1);
const stderrWrite = fdWriter(2);

/**
 * isatty(fd), asked of node:tty only when the descriptor is a character device: loading node:tty loads node:net
 * (~4 ms), and a pipe or a file (scripts, `--json`) is never a terminal.
 */
function isTerminal(fd: number): boolean {
  try {
    if (!fstatSync(fd).isCharacterDevice()) return false;
  } catch {
    return false;
  }
  return (createRequire(import.meta.url)('node:tty') as typeof import('node:tty')).isatty(fd);
}

export function processIo(argv: readonly string[] = []): Io {
  const env = process.env;
  const stdoutIsTty = isTerminal(1);
  // NO_COLOR (https://no-color.org) wins; FORCE_COLOR lets tests and pipes opt in.
  const color = env.NO_COLOR ? false : env.FORCE_COLOR ? env.FORCE_COLOR !== '0' : stdoutIsTty && env.TERM !== 'dumb';
  const inert = color ? sanitizeStyled : sanitize;
  return {
    out: (t) => stdoutWrite(inert(t)),
    err: (t) => stderrWrite(inert(t)),
    data: (t) => stdoutWrite(stdoutIsTty ? sanitize(t) : t),
    argv,
    env,
    stdoutIsTty,
    // Asked on use: touching process.stdin builds a stream for it (~2 ms), which only interactive commands need.
    get stdinIsTty() {
      return Boolean(process.stdin.isTTY);
    },
    columns: (stdoutIsTty && process.stdout.columns) || Number(env.COLUMNS) || 80,
    color,
  };
}

/** JSON on stdout (or stderr for errors), with every character that could act on a terminal escaped. */
export function printJson(io: Io, value: unknown, stream: 'out' | 'err' = 'out'): void {
  io[stream](`${toSafeJson(value, 2)}\n`);
}

/** Minimal ANSI styling that collapses to plain text when colour is off. */
export function styler(color: boolean) {
  const wrap = (open: number, close: number) => (s: string) => (color ? `\u001b[${open}m${s}\u001b[${close}m` : s);
  return {
    bold: wrap(1, 22),
    dim: wrap(2, 22),
    red: wrap(31, 39),
    green: wrap(32, 39),
    yellow: wrap(33, 39),
    blue: wrap(34, 39),
    magenta: wrap(35, 39),
    cyan: wrap(36, 39),
    inverse: wrap(7, 27),
  };
}
export type Styler = ReturnType<typeof styler>;

/** Raised by commands that want a specific exit code without an error message (e.g. 130 after Ctrl-C). */
export class ExitRequest extends Error {
  constructor(readonly exitCode: number) {
    super(`exit ${exitCode}`);
  }
}

export function requireTty(io: Io, command: string): void {
  if (!io.stdinIsTty || !io.stdoutIsTty) {
    throw new RecallError('no-tty', `recall ${command} is interactive and needs a terminal`, {
      hint: `non-interactive commands: ${(io.nonInteractive ?? []).join(', ')} (each takes --json)`,
      exitCode: 2,
    });
  }
}
