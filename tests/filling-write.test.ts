// A large import or sync into a new database writes through a rollback journal instead of the write-ahead log
// (Store.fillingWrite): its pages reach the disk once. It must stay all-or-nothing under SIGKILL, put the log back
// after, and never take the file from a reader (or wait for one).
import { spawn } from 'node:child_process';
import { existsSync, statSync, watch, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, ROOT, runCli, runJson, tempDir } from './helpers/cli.js';

const NOTES = 21_000;
const env = { RECALL_NOW: '2026-06-01T09:00:00Z', TZ: 'UTC' };

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.reverse()) c();
  cleanups = [];
});

function setup(notes = NOTES) {
  const t = tempDir('recall-filling-');
  cleanups.push(t.cleanup);
  const rows = ['#separator:tab', '#html:false', '#deck:Filling', '#notetype column:1'];
  for (let i = 0; i < notes; i++) rows.push(`Basic\tfront ${i}\tback ${i}`);
  const file = join(t.dir, 'big.txt');
  writeFileSync(file, `${rows.join('\n')}\n`);
  return { dir: t.dir, file, db: join(t.dir, 'r.db') };
}

/** Names created in `dir` while it is watched (inotify on Linux: each creation is reported). */
function watchCreated(dir: string): { names: Set<string>; on: (name: string, f: () => void) => void; close: () => void } {
  const names = new Set<string>();
  const hooks = new Map<string, () => void>();
  const w = watch(dir, (_event, name) => {
    if (!name || !existsSync(join(dir, name))) return;
    names.add(name);
    hooks.get(name)?.();
  });
  return { names, on: (name, f) => hooks.set(name, f), close: () => w.close() };
}

/** Runs the built CLI without blocking the event loop (the watcher reports while it runs). */
function run(args: string[], extra: Record<string, string> = {}, onSpawn?: (kill: () => void) => void) {
  return new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; ms: number }>((resolve) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1', ...env, ...extra } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    onSpawn?.(() => child.kill('SIGKILL'));
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr, ms: Date.now() - t0 }));
  });
}

function journalMode(db: string): string {
  const conn = new Database(db, { readonly: true });
  try {
    return String(conn.pragma('journal_mode', { simple: true }));
  } finally {
    conn.close();
  }
}

function deckCards(db: string): number {
  const decks = runJson<{ name: string; total: number }[]>(['decks'], { ...env, RECALL_DB: db });
  return decks.find((d) => d.name === 'Filling')?.total ?? 0;
}

/** A new database, made by a recall run: turning a new file to WAL goes through a journal of its own. */
function createDb(db: string): void {
  expect(runCli(['decks', '--json'], { ...env, RECALL_DB: db }).code).toBe(0);
}

/** A database holding the 21k-note import, a new one named `partner` beside it, and the folder watched from then on. */
async function importedWithNewPartner(partner: string) {
  const { dir, file, db } = setup();
  expect((await run(['import', file, '--json'], { RECALL_DB: db })).code).toBe(0);
  const other = join(dir, partner);
  createDb(other);
  const seen = watchCreated(dir);
  cleanups.push(seen.close);
  return { db, other, seen };
}

describe('a write that fills a new database', () => {
  it('goes through a rollback journal, then puts the write-ahead log back', async () => {
    const { dir, file, db } = setup();
    // The database exists first, so that the journal seen is the import's.
    createDb(db);
    const seen = watchCreated(dir);
    cleanups.push(seen.close);
    const r = await run(['import', file, '--json'], { RECALL_DB: db });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).cardsAdded).toBe(NOTES);
    expect(seen.names.has('r.db-journal')).toBe(true);
    expect(existsSync(`${db}-journal`)).toBe(false);
    expect(journalMode(db)).toBe('wal');
    expect(deckCards(db)).toBe(NOTES);
    expect(runJson(['doctor'], { ...env, RECALL_DB: db }).ok).toBe(true);
  }, 60_000);

  it('is all or nothing when killed while its pages reach the file, and the next start works', async () => {
    // The kill follows the file's first growth by a few milliseconds; on a loaded machine the commit may be done by
    // then (the import is then whole, which is also right). Up to four tries to catch one in the middle.
    const outcomes: string[] = [];
    for (let attempt = 0; attempt < 4 && !outcomes.includes('rolled back'); attempt++) {
      const { dir, file, db } = setup();
      createDb(db);
      const size = statSync(db).size;
      const seen = watchCreated(dir);
      cleanups.push(seen.close);
      // The new pages stay in the page cache until the commit writes them: the file growing is the commit under way.
      let grew = false;
      const r = await run(['import', file, '--json'], { RECALL_DB: db }, (kill) => {
        const w = watch(db, () => {
          if (grew || !existsSync(db) || statSync(db).size <= size) return;
          grew = true;
          kill();
        });
        cleanups.push(() => w.close());
      });
      expect(seen.names.has('r.db-journal')).toBe(true);
      expect(grew).toBe(true);
      const hot = existsSync(`${db}-journal`);
      // Killed with part of the import in the file and the journal holding the way back: the next open rolls it back.
      const cards = deckCards(db);
      if (hot) {
        expect(r.signal).toBe('SIGKILL');
        expect(cards).toBe(0);
        outcomes.push('rolled back');
      } else {
        expect(cards).toBe(NOTES);
        outcomes.push('complete');
      }
      expect(journalMode(db)).toBe('wal');
      const conn = new Database(db, { readonly: true });
      expect(conn.pragma('integrity_check', { simple: true })).toBe('ok');
      conn.close();
      const again = await run(['import', file, '--json'], { RECALL_DB: db });
      expect(again.code, again.stderr).toBe(0);
      expect(deckCards(db)).toBe(NOTES);
    }
    expect(outcomes).toContain('rolled back');
  }, 120_000);

  it('stays in the write-ahead log while another connection reads, without waiting for it', async () => {
    const { dir, file, db } = setup();
    createDb(db);
    const reader = new Database(db, { readonly: true });
    cleanups.push(() => reader.close());
    reader.exec('BEGIN');
    const before = reader.prepare('SELECT count(*) FROM cards').pluck().get();
    const seen = watchCreated(dir);
    cleanups.push(seen.close);
    const r = await run(['import', file, '--json'], { RECALL_DB: db });
    expect(r.code, r.stderr).toBe(0);
    expect(seen.names.has('r.db-journal')).toBe(false);
    // Leaving WAL waits for no one: well under the 10 s busy timeout a blocked switch would sit out.
    expect(r.ms).toBeLessThan(10_000);
    expect(reader.prepare('SELECT count(*) FROM cards').pluck().get()).toBe(before);
    reader.exec('COMMIT');
    expect(reader.prepare("SELECT count(*) FROM cards c JOIN decks d ON d.id = c.deck_id WHERE d.name = 'Filling'").pluck().get()).toBe(NOTES);
  }, 60_000);

  it('lets another recall read the database while it runs', async () => {
    // Leaving WAL needs the file to itself: a recall started meanwhile reads in the rollback journal's mode instead
    // of failing on its own switch to WAL. Up to three tries for the reader to run inside the import.
    let overlapped = false;
    for (let attempt = 0; attempt < 3 && !overlapped; attempt++) {
      const big = 60_000;
      const { dir, file, db } = setup(big);
      createDb(db);
      const seen = watchCreated(dir);
      cleanups.push(seen.close);
      let reader: Promise<{ code: number | null; stderr: string; stdout: string; at: number }> | undefined;
      seen.on('r.db-journal', () => {
        reader ??= run(['decks', '--json'], { RECALL_DB: db }).then((r) => ({ ...r, at: Date.now() }));
      });
      const r = await run(['import', file, '--json'], { RECALL_DB: db });
      const importEnd = Date.now();
      expect(r.code, r.stderr).toBe(0);
      expect(reader).toBeDefined();
      const read = await reader!;
      expect(read.code, read.stderr).toBe(0);
      const filling = (JSON.parse(read.stdout) as { name: string; total: number }[]).find((d) => d.name === 'Filling');
      // Before the commit it sees no cards of the import; after it, all of them.
      expect([0, big]).toContain(filling?.total ?? 0);
      overlapped = read.at < importEnd;
      expect(journalMode(db)).toBe('wal');
    }
    expect(overlapped).toBe(true);
  }, 120_000);

  it('takes a new device\'s first sync from a recall file the same way', async () => {
    const { db, other: fresh, seen } = await importedWithNewPartner('new.db');
    const r = await run(['sync', db, '--json'], { RECALL_DB: fresh });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).pulled.cards).toBe(NOTES);
    expect(seen.names.has('new.db-journal')).toBe(true);
    expect(journalMode(fresh)).toBe('wal');
    expect(deckCards(fresh)).toBe(NOTES);
  }, 60_000);

  it('leaves a syncing device in the write-ahead log when what it pulls back is its own push', async () => {
    const { db, other: peer, seen } = await importedWithNewPartner('peer.db');
    const r = await run(['sync', peer, '--json'], { RECALL_DB: db });
    expect(r.code, r.stderr).toBe(0);
    // The new peer is filled through a journal; our own file, which only gets the peer's few rows, is not.
    expect(seen.names.has('peer.db-journal')).toBe(true);
    expect(seen.names.has('r.db-journal')).toBe(false);
    expect(deckCards(peer)).toBe(NOTES);
  }, 60_000);

  it('leaves a database that holds a collection in the write-ahead log', async () => {
    const { dir, file, db } = setup();
    // Over 8 MiB of content first (a second deck), then a large import on top.
    const rows = ['#separator:tab', '#html:false', '#deck:Big', '#notetype column:1'];
    for (let i = 0; i < 40_000; i++) rows.push(`Basic\tfirst ${i} ${'x'.repeat(200)}\tback ${i}`);
    writeFileSync(join(dir, 'first.txt'), `${rows.join('\n')}\n`);
    expect((await run(['import', join(dir, 'first.txt'), '--json'], { RECALL_DB: db })).code).toBe(0);
    const seen = watchCreated(dir);
    cleanups.push(seen.close);
    const r = await run(['import', file, '--json'], { RECALL_DB: db });
    expect(r.code, r.stderr).toBe(0);
    expect(seen.names.has('r.db-journal')).toBe(false);
    expect(deckCards(db)).toBe(NOTES);
  }, 60_000);
});
