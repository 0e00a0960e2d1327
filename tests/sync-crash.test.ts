// Crash safety of recall sync: SIGKILL the sync process at random moments (and at each of its steps), stop the
// PostgreSQL server in the middle of a sync, then let syncs finish: nothing lost (every answer ever given is on
// every device and in the hub, undo marks included), nothing doubled, each database sound and doctor clean.
import { spawn } from 'node:child_process';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { undoLast } from '../src/app/undo.js';
import { mulberry32 } from '../src/quiz/present.js';
import { CLI, ensureBuilt, runJson, tempDir } from './helpers/cli.js';
import { DAY, T0, answer, openDevice, snapshot, writeDecks } from './helpers/devices.js';
import { PG_MISSING_MESSAGE, pgBinDir, startPg, type PgServer } from './helpers/pg.js';

const hasPg = pgBinDir() !== null;
if (!hasPg) console.warn(PG_MISSING_MESSAGE);

interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  ms: number;
}

/** Runs `recall sync`, killing it after `delayMs` or as soon as it reports `step`, whichever is given. */
function syncKilled(env: Record<string, string>, target: string, kill: { delayMs?: number; step?: string; onStep?: () => void }): Promise<Outcome> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, [CLI, 'sync', target, '--json'], { env: { ...process.env, ...env, RECALL_SYNC_TRACE: '1', NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let timer: NodeJS.Timeout | undefined;
    if (kill.delayMs !== undefined) timer = setTimeout(() => child.kill('SIGKILL'), kill.delayMs);
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr += chunk;
      if (kill.step && new RegExp(`^sync: ${kill.step} `, 'm').test(stderr)) {
        if (kill.onStep) kill.onStep();
        else child.kill('SIGKILL');
        kill.step = undefined;
      }
    });
    child.stdout.resume();
    child.on('exit', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code, signal, stderr, ms: Date.now() - t0 });
    });
  });
}

function integrity(db: string): string {
  const c = new Database(db, { readonly: true });
  try {
    return c.pragma('integrity_check', { simple: true }) as string;
  } finally {
    c.close();
  }
}

function reviewUids(db: string): string[] {
  const c = new Database(db, { readonly: true });
  try {
    return (c.prepare('SELECT uid FROM reviews ORDER BY uid').pluck().all() as string[]);
  } finally {
    c.close();
  }
}

describe.skipIf(!hasPg)('sync crash safety', () => {
  let pg: PgServer;
  let t: { dir: string; cleanup: () => void };
  beforeAll(() => {
    ensureBuilt();
    pg = startPg();
    pg.createDatabase('crash');
    t = tempDir('recall-sync-crash-');
  });
  afterAll(() => {
    pg?.destroy();
    t?.cleanup();
  });

  it('at least 50 SIGKILLs of recall sync and a server stopped mid-sync lose nothing and double nothing', async () => {
    const rand = mulberry32(1515);
    const decks = writeDecks(t.dir, 8);
    const base = openDevice(t.dir, 'base', decks);
    base.close();
    const names = ['a', 'b'];
    for (const n of names) copyFileSync(base.db, join(t.dir, `${n}.db`));
    copyFileSync(base.db, join(t.dir, 'shared.db'));
    const dbs = names.map((n) => join(t.dir, `${n}.db`));
    const shared = join(t.dir, 'shared.db');
    const hub = pg.url('crash');
    const clock = [T0, T0 + 5000];
    const created = new Set<string>();
    const env = (db: string) => ({ RECALL_DB: db, RECALL_NOW: new Date(T0).toISOString() });

    const study = (i: number) => {
      const d = openDevice(t.dir, names[i]!, []);
      try {
        const ids = d.ctx.store.allCardIds();
        const n = 1 + Math.floor(rand() * 4);
        for (let k = 0; k < n; k++) {
          clock[i]! += Math.floor(rand() * 2 * DAY);
          d.at(clock[i]!);
          answer(d, ids[Math.floor(rand() * ids.length)]!, (1 + Math.floor(rand() * 4)) as 1 | 2 | 3 | 4);
        }
        if (rand() < 0.3) undoLast(d.ctx);
      } finally {
        d.close();
      }
      for (const u of reviewUids(dbs[i]!)) created.add(u);
    };

    // How long an uninterrupted sync takes here, so random kills land inside one.
    study(0);
    const full = await syncKilled(env(dbs[0]!), hub, {});
    expect(full.code, full.stderr).toBe(0);
    const span = Math.max(150, full.ms * 1.2);
    const steps = ['loaded', 'connected', 'pushed', 'pulled', 'applied'];

    let kills = 0;
    let stops = 0;
    let stopsFailed = 0;
    /** Killed runs by the last step they had reported: where in the sync the kill landed. */
    const landed: Record<string, number> = {};
    for (let round = 0; kills < 55 && round < 200; round++) {
      const i = round % 2;
      study(i);
      const target = rand() < 0.8 ? hub : shared;
      let out: Outcome;
      if (round % 20 === 7 && target === hub) {
        // The server goes away mid-sync (immediate stop: no checkpoint, like a crash), then comes back.
        // The sync holds still after the chosen step while the server stops, so the stop lands mid-sync every time.
        const step = stops === 0 || rand() < 0.5 ? 'connected' : 'pushed';
        out = await syncKilled({ ...env(dbs[i]!), RECALL_SYNC_HOLD: `${step}:3000` }, hub, { step, onStep: () => pg.stop('immediate') });
        pg.start();
        stops++;
        if (out.code !== 0) {
          stopsFailed++;
          expect(out.stderr).toMatch(/lost|reach|failed/);
        }
      } else {
        const byStep = rand() < 0.4 && target === hub;
        out = await syncKilled(env(dbs[i]!), target, byStep ? { step: steps[Math.floor(rand() * (steps.length - 1))] } : { delayMs: Math.floor(rand() * span) });
        if (out.signal === 'SIGKILL') {
          kills++;
          const last = [...out.stderr.matchAll(/^sync: (\S+) \d+ms$/gm)].pop()?.[1] ?? 'starting';
          const where = target === hub ? `hub:${last}` : `file:${last}`;
          landed[where] = (landed[where] ?? 0) + 1;
        } else expect(out.code, out.stderr).toBe(0);
      }
      expect(integrity(dbs[i]!)).toBe('ok');
      expect(integrity(shared)).toBe('ok');
    }
    console.log(`sync crash test: ${kills} kills, landed after step: ${JSON.stringify(landed)}; server stopped ${stops} times (${stopsFailed} syncs failed)`);
    expect(kills).toBeGreaterThanOrEqual(50);
    // The kills covered each stretch of a hub sync: starting, pushing (after connecting), fetching, applying.
    for (const step of ['hub:starting', 'hub:connected', 'hub:pushed', 'hub:pulled']) expect(landed[step] ?? 0, step).toBeGreaterThan(0);
    expect(stops).toBeGreaterThanOrEqual(2);
    expect(stopsFailed).toBeGreaterThanOrEqual(1);

    // Let every sync finish: each device with the hub and the shared file, twice round.
    for (let round = 0; round < 2; round++) {
      for (const db of dbs) {
        for (const target of [hub, shared]) {
          const r = await syncKilled(env(db), target, {});
          expect(r.code, r.stderr).toBe(0);
        }
      }
    }
    // Nothing lost, nothing doubled: every answer once on every device, in the shared file and in the hub.
    const all = [...created].sort();
    for (const db of [...dbs, shared]) expect(reviewUids(db), db).toEqual(all);
    expect(Number(pg.psql('SELECT count(*) FROM recall.reviews', 'crash'))).toBe(all.length);
    expect(Number(pg.psql('SELECT count(DISTINCT (card_guid, reviewed_at, device)) FROM recall.reviews', 'crash'))).toBe(all.length);
    expect(snapshot(dbs[1]!)).toEqual(snapshot(dbs[0]!));
    expect(snapshot(shared)).toEqual(snapshot(dbs[0]!));
    for (const db of [...dbs, shared]) {
      const doc = runJson(['doctor'], env(db));
      expect(doc.ok, `${db}: ${JSON.stringify(doc)}`).toBe(true);
    }
    // The hub's own invariants: undo marks are in it, and its user's push number covers every row.
    expect(Number(pg.psql('SELECT count(*) FROM recall.reviews r WHERE r.seq > (SELECT seq FROM recall.users u WHERE u.owner = r.owner)', 'crash'))).toBe(0);
  }, 170_000);
});
