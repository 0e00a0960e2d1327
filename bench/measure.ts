// Timing primitives: cold processes (wall time from spawn to exit), the first frame of an interactive command on a
// pseudo-terminal, and peak RSS.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export interface Summary {
  runs: number;
  median: number;
  min: number;
  max: number;
  samples: number[];
}

export function summarize(samples: number[]): Summary {
  const s = [...samples].sort((a, b) => a - b);
  const n = s.length;
  const median = n === 0 ? NaN : n % 2 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
  return { runs: n, median, min: s[0] ?? NaN, max: s[n - 1] ?? NaN, samples: samples.map((x) => round(x)) };
}

export function percentile(samples: number[], p: number): number {
  const s = [...samples].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  // nearest-rank
  const rank = Math.ceil((p / 100) * s.length);
  return s[Math.min(s.length, Math.max(1, rank)) - 1]!;
}

export const round = (x: number, digits = 2) => (Number.isFinite(x) ? Math.round(x * 10 ** digits) / 10 ** digits : x);

export interface RunResult {
  ms: number;
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion and returns its wall time in ms (spawn to exit, as a user would wait for it). */
export function timeCommand(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; input?: string; timeoutMs?: number } = {}): RunResult {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, {
    env: opts.env ?? process.env,
    cwd: opts.cwd,
    input: opts.input,
    stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    maxBuffer: 256 * 1024 * 1024,
    encoding: 'utf8',
    timeout: opts.timeoutMs,
    killSignal: 'SIGKILL',
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ETIMEDOUT') throw new TimedOut(cmd, opts.timeoutMs!);
  if (r.error) throw r.error;
  return { ms, status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A run killed for taking longer than its limit. */
export class TimedOut extends Error {
  constructor(readonly cmd: string, readonly limitMs: number) {
    super(`timed out: killed after ${Math.round(limitMs / 1000)} s`);
  }
}

/**
 * Repeats `once` (after `warmup` unmeasured calls) and summarizes the times it returns. Once the samples add up to
 * more than `budgetMs`, it stops early (at least one sample is always taken), so a pathologically slow row cannot
 * hold the suite for an hour; the row's `runs` says how many were taken.
 */
export function repeat(runs: number, warmup: number, once: (i: number) => number, budgetMs = Infinity): Summary {
  for (let i = 0; i < warmup; i++) once(-1 - i);
  const samples: number[] = [];
  let spent = 0;
  for (let i = 0; i < runs && spent <= budgetMs; i++) {
    const ms = once(i);
    samples.push(ms);
    spent += ms;
  }
  return summarize(samples);
}

export async function repeatAsync(runs: number, warmup: number, once: (i: number) => Promise<number>): Promise<Summary> {
  for (let i = 0; i < warmup; i++) await once(-1 - i);
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) samples.push(await once(i));
  return summarize(samples);
}

export function hasCommand(name: string): boolean {
  const r = spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
  return r.status === 0;
}

/**
 * Starts `command` (a shell command line) on a pseudo-terminal through util-linux `script`, and resolves with the ms
 * from spawn until `marker` appears in what it draws; the process group is then killed.
 */
export function timeUntilDrawn(command: string, marker: RegExp, opts: { env: NodeJS.ProcessEnv; timeoutMs?: number; columns?: number; rows?: number }): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    // `stty` gives the pty a size so the card renders at a normal width.
    const line = `stty cols ${opts.columns ?? 100} rows ${opts.rows ?? 40} 2>/dev/null; exec ${command}`;
    const child = spawn('script', ['-qfec', line, '/dev/null'], { env: opts.env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    let out = '';
    let done = false;
    const finish = (err: Error | null, ms?: number) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* already gone */
      }
      if (err) reject(err);
      else resolve(ms!);
    };
    const timer = setTimeout(() => finish(new Error(`nothing matching ${marker} drawn within ${opts.timeoutMs ?? 60000} ms; output: ${JSON.stringify(out.slice(-400))}`)), opts.timeoutMs ?? 60_000);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
      if (marker.test(out)) finish(null, Number(process.hrtime.bigint() - t0) / 1e6);
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => (out += chunk));
    child.on('error', (e) => finish(e));
    child.on('exit', (code) => {
      // Give a last chunk still in the pipe a moment to arrive.
      setTimeout(() => finish(new Error(`exited (${code}) before drawing ${marker}; output: ${JSON.stringify(out.slice(-400))}`)), 50);
    });
  });
}

export interface RssRun extends RunResult {
  rssKb: number | null;
}

/**
 * Runs `node args...` and reports its peak RSS: with GNU time (`/usr/bin/time -f %M`) when present, else through a
 * preloaded hook that writes `process.resourceUsage().maxRSS` on exit.
 */
export function timeWithRss(args: string[], env: NodeJS.ProcessEnv, tmpDir: string, hookPath: string): RssRun {
  const out = join(tmpDir, `rss-${process.pid}.txt`);
  rmSync(out, { force: true });
  let r: RunResult;
  if (existsSync('/usr/bin/time')) {
    r = timeCommand('/usr/bin/time', ['-f', '%M', '-o', out, process.execPath, ...args], { env });
  } else {
    r = timeCommand(process.execPath, ['--import', hookPath, ...args], { env: { ...env, BENCH_RSS_OUT: out } });
  }
  let rssKb: number | null = null;
  if (existsSync(out)) {
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    const n = Number(lines[lines.length - 1]);
    if (Number.isFinite(n)) rssKb = n;
  }
  return { ...r, rssKb };
}

export interface UsageRun extends RunResult {
  /** User + system CPU time of the process, ms (null without GNU time). */
  cpuMs: number | null;
  rssKb: number | null;
}

/**
 * Runs `node args...` under GNU time (when present) for its CPU time and peak RSS besides the wall time: on a
 * shared machine the CPU time is the steadier figure.
 */
export function timeWithUsage(args: string[], env: NodeJS.ProcessEnv, tmpDir: string, timeoutMs?: number): UsageRun {
  const out = join(tmpDir, `usage-${process.pid}.txt`);
  rmSync(out, { force: true });
  if (!existsSync('/usr/bin/time')) return { ...timeCommand(process.execPath, args, { env, timeoutMs }), cpuMs: null, rssKb: null };
  const r = timeCommand('/usr/bin/time', ['-f', '%U %S %M', '-o', out, process.execPath, ...args], { env, timeoutMs });
  let cpuMs: number | null = null;
  let rssKb: number | null = null;
  if (existsSync(out)) {
    const last = readFileSync(out, 'utf8').trim().split('\n').pop() ?? '';
    const [user, sys, rss] = last.split(' ').map(Number);
    if (Number.isFinite(user) && Number.isFinite(sys)) cpuMs = (user! + sys!) * 1000;
    if (Number.isFinite(rss)) rssKb = rss!;
  }
  return { ...r, cpuMs, rssKb };
}
