// Where one answer's commit goes (not part of the suite): per commitAnswer, the statements run (count, wall and CPU
// time, through better-sqlite3's Statement prototype), the WAL frames written (growth of the -wal file), wall and CPU
// percentiles. `node bench/prof/build.mjs && node bench/prof/.build/profile-answer.js COLLECTION.db [COPY.db] [N]
// [profile|quick]`; env NOSTAT4=1 empties sqlite_stat4 in the copy, DROPIDX=name drops an index in it, PAUSE=1
// prints the pid and waits 3 s before the loop (to attach perf or gdb).
import { statSync, copyFileSync, rmSync, existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { openContext } from '../../src/app/context.js';
import { commitAnswer, drawCard } from '../../src/app/answer.js';
import type { Grade } from '../../src/core/types.js';
import { BENCH_NOW, rng } from '../generate.js';
import { percentile } from '../measure.js';

const src = process.argv[2]!;
const dest = process.argv[3] ?? '/tmp/prof-answer.db';
const count = Number(process.argv[4] ?? 2000);
const mode = process.argv[5] ?? 'profile';
for (const f of [dest, `${dest}-wal`, `${dest}-shm`]) rmSync(f, { force: true });
copyFileSync(src, dest);
if (process.env.NOSTAT4 || process.env.NOSTAT || process.env.DROPIDX) {
  const Database = (await import('better-sqlite3')).default;
  const x = new Database(dest);
  if (process.env.DROPIDX) x.exec(`DROP INDEX ${process.env.DROPIDX}`);
  if (process.env.NOSTAT4 || process.env.NOSTAT) x.exec(process.env.NOSTAT ? 'DROP TABLE IF EXISTS sqlite_stat4; DROP TABLE IF EXISTS sqlite_stat1' : 'DELETE FROM sqlite_stat4');
  x.close();
}

const ctx = openContext({ db: dest, env: { RECALL_NOW: new Date(BENCH_NOW).toISOString() } });
// count statement executions by text
const counts = new Map<string, { n: number; ms: number; cpu: number }>();
// SLOW=ms: every statement of each answer slower than that (wall), to tell one costly answer's statements apart
let perAnswer: [string, number, number][] | null = null;
let counting = false;
if (mode === 'profile') {
  // reach the Statement prototype through a throwaway statement: better-sqlite3 is loaded by the store
  const Database = (await import('better-sqlite3')).default;
  const probe = new Database(':memory:');
  const proto = Object.getPrototypeOf(probe.prepare('SELECT 1')) as Record<string, (...a: unknown[]) => unknown>;
  probe.close();
  for (const m of ['run', 'get', 'all', 'iterate']) {
    const orig = proto[m]!;
    proto[m] = function (this: { source: string }, ...a: unknown[]) {
      if (!counting) return orig.apply(this, a);
      const t0 = process.hrtime.bigint();
      const c0 = process.cpuUsage();
      try {
        return orig.apply(this, a);
      } finally {
        const k = `${m}: ${this.source.replace(/\s+/g, ' ').slice(0, 110)}`;
        const c = counts.get(k) ?? { n: 0, ms: 0, cpu: 0 };
        c.n++;
        c.ms += Number(process.hrtime.bigint() - t0) / 1e6;
        const cu = process.cpuUsage(c0);
        c.cpu += (cu.user + cu.system) / 1000;
        counts.set(k, c);
        if (perAnswer) perAnswer.push([k, Number(process.hrtime.bigint() - t0) / 1e6, (cu.user + cu.system) / 1000]);
      }
    };
  }
}
if (process.env.PAUSE) {
  console.error(`pid ${process.pid}`);
  await new Promise((r) => setTimeout(r, 3000));
}
let now = BENCH_NOW;
ctx.clock = () => now;
const ids = ctx.store.studyCards({ deckIds: null, now, dayEnd: now + 86_400_000, newLimit: count, reviewLimit: count }).map((c) => c.id);
const r = rng(7);
const wall: number[] = [];
const cpu: number[] = [];
const frames: number[] = [];
const walSize = () => (existsSync(`${dest}-wal`) ? statSync(`${dest}-wal`).size : 0);
let refused = 0;
for (let i = 0; i < count; i++) {
  const card = ctx.store.getCard(ids[i % ids.length]!)!;
  const grade = (r() < 0.1 ? 1 : r() < 0.1 ? 2 : r() < 0.95 ? 3 : 4) as Grade;
  const drawn = drawCard(ctx, card);
  now += 8_000;
  const w0 = walSize();
  counting = true;
  if (process.env.SLOW) perAnswer = [];
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const res = commitAnswer(ctx, drawn, grade, { durationMs: 8_000 });
  wall.push(Number(process.hrtime.bigint() - t0) / 1e6);
  const c = process.cpuUsage(c0);
  counting = false;
  cpu.push((c.user + c.system) / 1000);
  frames.push((walSize() - w0) / (4096 + 24));
  if (!res.ok) refused++;
  if (perAnswer && wall[i]! > Number(process.env.SLOW)) {
    if (process.env.WINDOWS) console.log(`window ${t0} ${t0 + BigInt(Math.round(wall[i]! * 1e6))}`);
    console.log(`answer ${i} card ${card.id} grade ${grade}: ${wall[i]!.toFixed(2)} ms wall, ${cpu[i]!.toFixed(2)} cpu, ${frames[i]!.toFixed(1)} frames`);
    for (const [k, ms, c] of perAnswer.sort((a, b) => b[1] - a[1]).slice(0, 4)) console.log(`   ${ms.toFixed(2)} ms ${c.toFixed(2)} cpu ${k}`);
  }
}
if (existsSync(`${dest}-wal`)) copyFileSync(`${dest}-wal`, `${dest}.walcopy`);
ctx.store.close();
const f = (x: number) => x.toFixed(3);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
console.log(`n=${count} refused=${refused} wall p50 ${f(percentile(wall, 50))} p90 ${f(percentile(wall, 90))} p99 ${f(percentile(wall, 99))} | cpu p50 ${f(percentile(cpu, 50))} p99 ${f(percentile(cpu, 99))} | frames/commit mean ${mean(frames).toFixed(2)} p50 ${percentile(frames, 50)} p99 ${percentile(frames, 99)} | load ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
if (mode === 'profile') {
  let total = 0;
  for (const [k, v] of [...counts].sort((a, b) => b[1].ms - a[1].ms)) {
    total += v.n;
    console.log(`${(v.n / count).toFixed(2).padStart(6)}/ans ${(v.ms / count * 1000).toFixed(1).padStart(7)} us wall ${(v.cpu / count * 1000).toFixed(1).padStart(7)} us cpu  ${k}`);
  }
  console.log(`statements per answer: ${(total / count).toFixed(2)}; cpu mean ${(cpu.reduce((a, b) => a + b, 0) / count * 1000).toFixed(1)} us, wall mean ${(wall.reduce((a, b) => a + b, 0) / count * 1000).toFixed(1)} us`);
}
