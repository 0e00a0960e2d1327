// A real terminal for tests and the stress harness: one private tmux server per Term (its own socket), windows
// running recall, screen capture, key sending and waiting for on-screen conditions. No fixed sleeps: every wait
// polls for a condition until a deadline.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const WRAPPER = join(dirname(fileURLToPath(import.meta.url)), 'exit-status.mjs');

/** The CLI under test: $RECALL_BIN, else the built bundle dist/recall.js. */
export function recallBin() {
  const bin = process.env.RECALL_BIN ?? join(ROOT, 'dist', 'recall.js');
  if (!existsSync(bin)) throw new Error(`${bin} does not exist: run \`npm run build\` first`);
  return bin;
}

const q = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;

/** A shell command line that runs `argv` with `env` added, exec'd so the pane's pid is the program's pid. */
export function shellCommand(argv, env = {}) {
  const assigns = Object.entries(env).map(([k, v]) => q(`${k}=${v}`));
  return `exec env ${assigns.join(' ')} ${argv.map(q).join(' ')}`;
}

let counter = 0;

export class Term {
  constructor(name = 'term', { cols = 100, rows = 30 } = {}) {
    this.socket = `recall-${name}-${process.pid}-${++counter}`;
    this.cols = cols;
    this.rows = rows;
    this.started = false;
    this.files = new Map();
  }

  tmux(...args) {
    return execFileSync('tmux', ['-L', this.socket, '-f', '/dev/null', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  }

  ensureServer() {
    if (this.started) return;
    this.tmux('new-session', '-d', '-s', 'boot', '-x', String(this.cols), '-y', String(this.rows), 'cat');
    this.tmux('set-option', '-g', 'remain-on-exit', 'on');
    this.tmux('set-option', '-g', 'history-limit', '200000');
    this.tmux('set-option', '-g', 'default-size', `${this.cols}x${this.rows}`);
    this.tmux('set-option', '-g', 'set-titles', 'on');
    // Let programs set the pane title (OSC 0/2) so a test can see whether one tried.
    this.tmux('set-option', '-g', 'allow-rename', 'on');
    this.started = true;
  }

  /** Starts `argv` in a new window; returns its target. The window stays after the program ends. */
  run(win, argv, env = {}) {
    this.ensureServer();
    // Through a small wrapper that writes the program's pid and exit status to files (see exit-status.mjs).
    const base = join(tmpdir(), `${this.socket}-${win}-${++counter}`);
    const files = { status: `${base}.status`, pid: `${base}.pid` };
    rmSync(files.status, { force: true });
    rmSync(files.pid, { force: true });
    const wrapped = [process.execPath, WRAPPER, files.status, files.pid, '--', ...argv];
    this.tmux('new-window', '-d', '-t', 'boot:', '-n', win, shellCommand(wrapped, { TERM: 'xterm-256color', ...env }));
    this.tmux('resize-window', '-t', `boot:${win}`, '-x', String(this.cols), '-y', String(this.rows));
    this.files.set(`boot:${win}`, files);
    return `boot:${win}`;
  }

  /** How the program in `t` ended ({ code, signal }), or null while it runs. */
  ending(t) {
    const f = this.files.get(t);
    if (!f || !existsSync(f.status)) return null;
    return JSON.parse(readFileSync(f.status, 'utf8'));
  }

  /** The visible screen, plain text. */
  screen(t) {
    return this.tmux('capture-pane', '-p', '-t', t);
  }

  /** The whole scrollback plus the screen, with wrapped lines joined. */
  history(t) {
    return this.tmux('capture-pane', '-p', '-J', '-S', '-', '-E', '-', '-t', t);
  }

  title(t) {
    return this.tmux('display-message', '-p', '-t', t, '#{pane_title}').replace(/\n$/, '');
  }

  info(t, fmt) {
    return this.tmux('display-message', '-p', '-t', t, fmt).replace(/\n$/, '');
  }

  /** The program's own pid (not the wrapper's). */
  pid(t) {
    const f = this.files.get(t);
    const deadline = Date.now() + 10_000;
    while (f && !existsSync(f.pid)) {
      if (Date.now() > deadline) throw new Error(`no pid file for ${t}`);
      execFileSync('sleep', ['0.01']);
    }
    return f ? Number(readFileSync(f.pid, 'utf8')) : Number(this.info(t, '#{pane_pid}'));
  }

  dead(t) {
    return this.ending(t) !== null || this.info(t, '#{pane_dead}') === '1';
  }

  exitStatus(t) {
    const e = this.ending(t);
    return e && e.signal === null ? e.code : null;
  }

  /** Sends tmux key names (`Enter`, `Space`, `C-c`, `q`, ...). */
  keys(t, ...keys) {
    this.tmux('send-keys', '-t', t, ...keys);
  }

  /** Sends text literally. */
  type(t, text) {
    this.tmux('send-keys', '-t', t, '-l', text);
  }

  /** Polls the screen (or the whole history with { history: true }) until `cond` holds; returns that text. */
  async waitFor(t, cond, { timeout = 15_000, history = false, what } = {}) {
    const test = typeof cond === 'function' ? cond : cond instanceof RegExp ? (s) => cond.test(s) : (s) => s.includes(cond);
    const deadline = Date.now() + timeout;
    let text = '';
    for (;;) {
      text = history ? this.history(t) : this.screen(t);
      if (test(text)) return text;
      const dead = this.dead(t);
      if (dead) {
        text = history ? this.history(t) : this.screen(t);
        if (test(text)) return text;
      }
      if (dead || Date.now() > deadline) {
        if (dead) throw new Error(`the program ended before ${what ?? String(cond)} appeared; the screen was:\n${text}`);
        throw new Error(`timed out after ${timeout} ms waiting for ${what ?? String(cond)}; the screen was:\n${text}`);
      }
      await new Promise((r) => setTimeout(r, 15));
    }
  }

  /** Waits until the program in `t` has ended; returns its exit status (null when killed by a signal). */
  async waitExit(t, timeout = 15_000) {
    const deadline = Date.now() + timeout;
    let deadSince = 0;
    for (;;) {
      const e = this.ending(t);
      if (e) return e.signal === null ? e.code : null;
      if (this.info(t, '#{pane_dead}') === '1') {
        // The wrapper itself died (it should not): give its status file a moment, then report no status.
        deadSince ||= Date.now();
        if (Date.now() - deadSince > 2000) return null;
      } else if (Date.now() > deadline) {
        throw new Error(`timed out after ${timeout} ms waiting for the program to end; the screen was:\n${this.screen(t)}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  close() {
    if (!this.started) return;
    try {
      this.tmux('kill-server');
    } catch {
      // already gone
    }
    this.started = false;
  }
}
