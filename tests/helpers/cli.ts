// Helpers for tests that run the built CLI as a process, and drive it in a real terminal through tmux.
import { spawnSync, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '../..');
/** RECALL_TEST_CLI runs the tests against another build (e.g. an older commit's, to see a new test fail there). */
export const CLI = process.env.RECALL_TEST_CLI ?? join(ROOT, 'dist/recall.js');

export function ensureBuilt(): void {
  if (!existsSync(CLI)) execFileSync('node', ['scripts/build.mjs'], { cwd: ROOT, stdio: 'inherit' });
}

export function tempDir(prefix = 'recall-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], env: Record<string, string | undefined> = {}, input?: string): RunResult {
  const r = spawnSync('node', [CLI, ...args], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: undefined, ...env },
    input: input ?? '',
    encoding: 'utf8',
    timeout: 120_000,
    maxBuffer: 512 * 2 ** 20,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function runJson<T = any>(args: string[], env: Record<string, string | undefined> = {}): T {
  const r = runCli([...args, '--json'], env);
  if (r.code !== 0) throw new Error(`recall ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

export interface MeasuredRun extends RunResult {
  signal: NodeJS.Signals | null;
  /** Peak resident memory of the recall process, in MB. */
  rssMb: number;
  ms: number;
}

/**
 * Runs the built CLI in a child that reports its own peak memory (process.resourceUsage in a wrapper that
 * imports the CLI), killed after `timeoutMs`.
 */
export function runMeasured(args: string[], env: Record<string, string | undefined> = {}, timeoutMs = 20_000): MeasuredRun {
  const wrapper = join(ROOT, 'tests/helpers/maxrss.mjs');
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [wrapper, CLI, ...args], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: undefined, ...env },
    input: '',
    encoding: 'utf8',
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
    maxBuffer: 512 * 2 ** 20,
  });
  const rssKb = Number(/MAXRSS_KB (\d+)/.exec(r.stderr ?? '')?.[1] ?? NaN);
  return { code: r.status, signal: r.signal, stdout: r.stdout ?? '', stderr: (r.stderr ?? '').replace(/MAXRSS_KB \d+\n?/, ''), rssMb: rssKb / 1024, ms: Date.now() - t0 };
}

const hasTmux = (() => {
  try {
    execFileSync('tmux', ['-V']);
    return true;
  } catch {
    return false;
  }
})();
export { hasTmux };

/** A program running in a detached tmux session on its own server socket, so tests never touch the user's tmux. */
export class Terminal {
  readonly socket: string;
  readonly name = 'recall';
  constructor(command: string, opts: { env?: Record<string, string>; width?: number; height?: number; socketDir: string }) {
    this.socket = join(opts.socketDir, `tmux-${process.pid}-${Math.random().toString(36).slice(2)}`);
    const envPrefix = Object.entries({ NO_COLOR: '1', ...opts.env })
      .map(([k, v]) => `${k}=${shellQuote(v)}`)
      .join(' ');
    this.tmux('new-session', '-d', '-s', this.name, '-x', String(opts.width ?? 100), '-y', String(opts.height ?? 40),
      `cd ${shellQuote(ROOT)} && env ${envPrefix} ${command}; echo "[exit $?]"; sleep 600`);
  }
  tmux(...args: string[]): string {
    return execFileSync('tmux', ['-S', this.socket, ...args], { encoding: 'utf8' });
  }
  screen(): string {
    return this.tmux('capture-pane', '-p', '-J', '-S', '-200', '-t', this.name);
  }
  send(...keys: string[]): void {
    for (const k of keys) this.tmux('send-keys', '-t', this.name, k);
  }
  /** Sends literal text (no key-name interpretation). */
  type(text: string): void {
    this.tmux('send-keys', '-t', this.name, '-l', text);
  }
  /** Polls the screen until `pattern` appears (no fixed sleeps), or throws with the screen in the message. */
  async waitFor(pattern: string | RegExp, timeoutMs = 15_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = this.screen();
      if (typeof pattern === 'string' ? s.includes(pattern) : pattern.test(s)) return s;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}; screen:\n${s}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  /** Waits until `pattern` occurs at least `count` times on the screen. */
  async waitForCount(pattern: string, count: number, timeoutMs = 15_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = this.screen();
      if (s.split(pattern).length - 1 >= count) return s;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${count}x ${pattern}; screen:\n${s}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  kill(): void {
    try {
      this.tmux('kill-server');
    } catch {
      // already gone
    }
  }
}

export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
