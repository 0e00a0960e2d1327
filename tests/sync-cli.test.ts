// recall sync as a user runs it (the built CLI as a process) against a real PostgreSQL server: the case Anki's
// "latest modification wins" loses, passwords that are never printed or stored, a default target, one database
// shared by several people isolated by row-level security, and errors that say what to do.
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { CLI, ensureBuilt, runCli, runJson, tempDir } from './helpers/cli.js';
import { DAY, T0, answer, cardIdByGuid, openDevice, readRows, writeDecks } from './helpers/devices.js';
import { PG_MISSING_MESSAGE, pgBinDir, startPg, type PgServer } from './helpers/pg.js';

const hasPg = pgBinDir() !== null;
if (!hasPg) console.warn(PG_MISSING_MESSAGE);

const card = 'file:Alpha/alpha0';

/**
 * Answers written straight into a database's log, at `at` and due then, scheduled = 0 (nothing replays them): for tests
 * about what a sync carries and how, not about schedules.
 */
function writeAnswers(db: string, n: number, row: (i: number) => { uid: string; cardId: number; at: number; difficulty?: number; answer?: string | null }): void {
  const conn = new Database(db);
  try {
    const ins = conn.prepare(`INSERT INTO reviews(uid, card_id, rating, state_before, state_after, due, stability, difficulty, elapsed_days,
      scheduled_days, reviewed_at, duration_ms, kind, scheduled, answer, day, device) VALUES (?, ?, 3, 2, 2, ?, 5.5, ?, 1, 2, ?, 3000, 'review', 0, ?, 20500, 'feedfeedfeedfeed')`);
    conn.transaction(() => {
      for (let i = 0; i < n; i++) {
        const r = row(i);
        ins.run(r.uid, r.cardId, r.at, r.difficulty ?? 5, r.at, r.answer ?? null);
      }
    })();
  } finally {
    conn.close();
  }
}

describe.skipIf(!hasPg)('recall sync (CLI, real PostgreSQL)', () => {
  let pg: PgServer;
  let t: { dir: string; cleanup: () => void };
  beforeAll(() => {
    ensureBuilt();
    pg = startPg();
    t = tempDir('recall-sync-cli-');
  });
  afterAll(() => {
    pg?.destroy();
    t?.cleanup();
  });

  const env = (db: string, extra: Record<string, string> = {}) => ({ RECALL_DB: db, RECALL_NOW: new Date(T0 + 30 * DAY).toISOString(), ...extra });

  it('the case Anki loses: Again on A and Good on B while apart; after syncing both hold both reviews, count the lapse, show one due date', () => {
    pg.createDatabase('anki_case');
    const url = pg.url('anki_case');
    const decks = writeDecks(t.dir);
    // A learns the card over three weeks and syncs; B starts empty and gets everything from the hub.
    const a = openDevice(t.dir, 'anki-a', decks);
    const id = cardIdByGuid(a.ctx, card);
    for (const [day, grade] of [[0, 3], [1, 3], [4, 3], [14, 3]] as const) {
      a.at(T0 + day * DAY);
      answer(a, id, grade);
    }
    a.close();
    const bDb = join(t.dir, 'anki-b.db');
    expect(runJson(['sync', url], env(a.db)).pushed.reviews).toBe(4);
    const first = runJson(['sync', url], env(bDb));
    expect(first.pulled.reviews).toBe(4);
    expect(first.pulled.cards).toBeGreaterThan(0);
    // Apart: A forgets it (Again) in the morning, B remembers it (Good) in the evening of the same day.
    const dueDay = T0 + 40 * DAY;
    const a2 = openDevice(t.dir, 'anki-a', []);
    a2.at(dueDay + 2 * 3_600_000);
    answer(a2, cardIdByGuid(a2.ctx, card), 1);
    const aAlone = a2.ctx.store.getCard(cardIdByGuid(a2.ctx, card))!.schedule!;
    a2.close();
    const b = openDevice(t.dir, 'anki-b', []);
    b.at(dueDay + 10 * 3_600_000);
    answer(b, cardIdByGuid(b.ctx, card), 3);
    const bAlone = b.ctx.store.getCard(cardIdByGuid(b.ctx, card))!.schedule!;
    b.close();
    expect(aAlone.lapses).toBe(1);
    expect(bAlone.lapses).toBe(0);
    // Sync: A, then B, then A again.
    expect(runJson(['sync', url], env(a.db)).pushed.reviews).toBe(1);
    const sb = runJson(['sync', url], env(bDb));
    expect(sb.pulled.reviews).toBe(1);
    expect(sb.rescheduled).toBe(1);
    expect(runJson(['sync', url], env(a.db)).pulled.reviews).toBe(1);
    const final = [a.db, bDb].map((db) => {
      const d = openDevice(t.dir, db.endsWith('anki-a.db') ? 'anki-a' : 'anki-b', []);
      try {
        const cid = cardIdByGuid(d.ctx, card);
        const log = d.ctx.store.cardLog(cid).map((r) => r.rating);
        return { log, schedule: d.ctx.store.getCard(cid)!.schedule! };
      } finally {
        d.close();
      }
    });
    for (const f of final) {
      expect(f.log).toEqual([3, 3, 3, 3, 1, 3]);
      expect(f.schedule.lapses).toBe(1);
      expect(f.schedule.reps).toBe(6);
    }
    expect(final[0]!.schedule.due).toBe(final[1]!.schedule.due);
    expect(final[0]!.schedule).toEqual(final[1]!.schedule);
    // Neither device alone had this schedule: Anki's last-writer-wins would have kept one of theirs.
    expect(final[0]!.schedule.due).not.toBe(aAlone.due);
    expect(final[0]!.schedule.due).not.toBe(bAlone.due);
    for (const db of [a.db, bDb]) {
      const doc = runJson(['doctor'], env(db));
      expect(doc.ok, JSON.stringify(doc)).toBe(true);
    }
    // The human summary says what happened.
    const again = runCli(['sync', url], env(a.db));
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/pushed 0, pulled 0\.\n0 cards rescheduled, 0 edits resolved/);
  });

  it('a password is taken from PGPASSWORD, ~/.pgpass or the URL, and never printed or stored', () => {
    pg.createDatabase('secret_hub');
    pg.psql("CREATE ROLE carol LOGIN PASSWORD 'pw-s3cret-9'; GRANT ALL ON DATABASE secret_hub TO carol");
    pg.hbaFirst('local all carol scram-sha-256');
    const url = pg.url('secret_hub', 'carol');
    const db = join(t.dir, 'carol.db');
    const home = join(t.dir, 'carol-home');
    const noPass = { HOME: home, PGPASSWORD: '' };
    const refused = runCli(['sync', url], { ...env(db), ...noPass });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/refused the login/);
    expect(refused.stderr).toMatch(/PGPASSWORD or ~\/\.pgpass/);
    const withEnv = runCli(['sync', url, '--json'], { ...env(db), PGPASSWORD: 'pw-s3cret-9' });
    expect(withEnv.code, withEnv.stderr).toBe(0);
    // ~/.pgpass, as libpq reads it (a Unix-socket connection matches "localhost").
    mkdirSync(home, { recursive: true });
    writeFileSync(join(home, '.pgpass'), 'localhost:*:secret_hub:carol:pw-s3cret-9\n');
    chmodSync(join(home, '.pgpass'), 0o600);
    const withFile = runCli(['sync', url, '--json'], { ...env(db), ...noPass });
    expect(withFile.code, withFile.stderr).toBe(0);
    // In the URL: used for this call, shown as *** in the summary.
    const inUrl = `postgresql://carol:pw-s3cret-9@/secret_hub?host=${encodeURIComponent(pg.socketDir)}`;
    const withUrl = runCli(['sync', inUrl, '--json'], { ...env(db), HOME: join(t.dir, 'nowhere'), PGPASSWORD: '' });
    expect(withUrl.code, withUrl.stderr).toBe(0);
    expect(JSON.parse(withUrl.stdout).target).toContain('carol:***@');
    // A stored target with a password is refused; without one it is the default target.
    const set = runCli(['config', 'set', 'syncTarget', inUrl], env(db));
    expect(set.code).toBe(2);
    expect(set.stderr).toMatch(/holds a password/);
    expect(set.stderr).toMatch(/~\/\.pgpass/);
    expect(runCli(['config', 'set', 'syncTarget', url], env(db)).code).toBe(0);
    expect(runJson(['config', 'get', 'syncTarget'], env(db)).syncTarget).toBe(url);
    const plain = runCli(['sync'], { ...env(db), PGPASSWORD: 'pw-s3cret-9' });
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stdout).toMatch(/^Synced with postgresql:\/\/carol@/);
    for (const r of [refused, withEnv, withFile, withUrl, set, plain]) expect(`${r.stdout}${r.stderr}`).not.toContain('pw-s3cret-9');
    for (const f of readdirSync(t.dir).filter((f) => f.startsWith('carol.db'))) expect(readFileSync(join(t.dir, f)).includes('pw-s3cret-9'), f).toBe(false);
  });

  it('several people share one database: row-level security shows each role only its own rows', () => {
    pg.createDatabase('shared_hub');
    pg.psql('CREATE ROLE alice LOGIN; CREATE ROLE bob LOGIN; GRANT CREATE ON DATABASE shared_hub TO alice');
    const decks = writeDecks(t.dir);
    const alice = openDevice(t.dir, 'alice', decks);
    answer(alice, cardIdByGuid(alice.ctx, card), 3);
    alice.close();
    const bob = openDevice(t.dir, 'bob', decks);
    answer(bob, cardIdByGuid(bob.ctx, card), 1);
    answer(bob, cardIdByGuid(bob.ctx, 'file:Beta/beta1'), 1);
    bob.close();
    // Alice's first sync creates the schema (she may create in this database); Bob only connects.
    expect(runJson(['sync', pg.url('shared_hub', 'alice')], env(alice.db)).pushed.reviews).toBe(1);
    const b = runJson(['sync', pg.url('shared_hub', 'bob')], env(bob.db));
    expect(b.pushed.reviews).toBe(2);
    expect(b.pulled.reviews).toBe(0);
    expect(runJson(['sync', pg.url('shared_hub', 'alice')], env(alice.db)).pulled.reviews).toBe(0);
    expect(pg.psql('SELECT count(*) FROM recall.reviews', 'shared_hub', 'alice')).toBe('1');
    expect(pg.psql('SELECT count(*) FROM recall.reviews', 'shared_hub', 'bob')).toBe('2');
    expect(pg.psql('SELECT count(*) FROM recall.reviews', 'shared_hub')).toBe('3');
    // Bob cannot write rows in Alice's name either.
    expect(() => pg.psql("INSERT INTO recall.settings(owner, key, value, at, device, seq) VALUES ('alice', 'x', '1', 0, 'd', 1)", 'shared_hub', 'bob')).toThrow(/row-level security/);
  });

  it('the local database is not locked while the hub is being talked to: another writer commits mid-push within moments', async () => {
    pg.createDatabase('unlocked');
    const decks = writeDecks(t.dir);
    const d = openDevice(t.dir, 'busy', decks);
    const ids = d.ctx.store.allCardIds();
    d.close();
    // 60k log rows to push (written directly: this test is about locks, not schedules).
    writeAnswers(d.db, 60_000, (i) => ({ uid: `probe-${i}`, cardId: ids[i % ids.length]!, at: T0 + i }));
    let probes = 0;
    let refused = 0;
    const child = spawn(process.execPath, [CLI, 'sync', pg.url('unlocked'), '--json'], { env: { ...process.env, ...env(d.db), RECALL_SYNC_TRACE: '1' } });
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    // From the moment it has connected until it reports the push done, write to the same database, waiting at most
    // 200 ms: a push holding the write lock takes seconds. Not 0 ms: right after its push the sync records its cursor
    // in a short local transaction, and a probe started before this loop saw "pushed" could meet it (it did, on a
    // loaded machine: one refusal in CI).
    while (!/^sync: connected /m.test(err)) await new Promise((r) => setTimeout(r, 2));
    while (!/^sync: pushed /m.test(err)) {
      const w = new Database(d.db, { timeout: 200 });
      try {
        w.exec('BEGIN IMMEDIATE');
        w.prepare("INSERT INTO local(key, value) VALUES ('probe', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value").run(String(probes));
        w.exec('COMMIT');
        probes++;
      } catch {
        refused++;
      } finally {
        w.close();
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(await exited).toBe(0);
    expect(refused).toBe(0);
    expect(probes).toBeGreaterThan(0);
  });

  it('a large pull streams as COPY text, under row-level security, for a role whose name needs quoting', () => {
    pg.createDatabase('copy_rls');
    // The pull's COPY cannot take parameters: the owner goes into it as a quoted literal.
    const role = "o'neil";
    pg.psql(`CREATE ROLE "${role}" LOGIN; CREATE ROLE dave LOGIN; GRANT CREATE ON DATABASE copy_rls TO "${role}"`);
    const decks = writeDecks(t.dir);
    const mine = openDevice(t.dir, 'oneil', decks);
    const ids = mine.ctx.store.allCardIds();
    mine.close();
    // 6000 answers (above the 5000 from which a pull is COPY text), written directly, with text that needs escaping.
    writeAnswers(mine.db, 6000, (i) => ({ uid: `copy-${i}`, cardId: ids[i % ids.length]!, at: T0 + i, difficulty: 1 + i / 7, answer: i % 3 ? null : `typed\t${i}\\\n✓` }));
    const other = openDevice(t.dir, 'dave', decks);
    answer(other, cardIdByGuid(other.ctx, card), 1);
    other.close();
    expect(runJson(['sync', pg.url('copy_rls', role)], env(mine.db)).pushed.reviews).toBe(6000);
    expect(runJson(['sync', pg.url('copy_rls', 'dave')], env(other.db)).pushed.reviews).toBe(1);
    // A new device of the same person takes the 6000 answers, and none of the other role's.
    const fresh = join(t.dir, 'oneil-new.db');
    const pulled = runJson(['sync', pg.url('copy_rls', role)], env(fresh));
    expect(pulled.pulled.reviews).toBe(6000);
    const log = (db: string) => readRows(db, 'SELECT uid, rating, due, difficulty, reviewed_at, answer, day, device FROM reviews ORDER BY uid');
    expect(log(fresh)).toEqual(log(mine.db));
  });

  it('a hub whose schema is newer than this recall is refused, unchanged', () => {
    pg.createDatabase('future');
    const db = join(t.dir, 'future.db');
    expect(runCli(['sync', pg.url('future')], env(db)).code).toBe(0);
    pg.psql('INSERT INTO recall.migrations(version) VALUES (99)', 'future');
    const r = runCli(['sync', pg.url('future')], env(db));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/schema is version 99/);
    expect(r.stderr).toMatch(/upgrade recall/);
  });

  it('an unreachable hub or a missing file is an error that says what to do, and changes nothing', () => {
    const db = join(t.dir, 'lonely.db');
    const r = runCli(['sync', `postgresql://postgres@/nohub?host=${encodeURIComponent(join(t.dir, 'no-socket-here'))}`], env(db));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Cannot reach the hub/);
    const f = runCli(['sync', join(t.dir, 'missing.db')], env(db));
    expect(f.code).toBe(2);
    expect(f.stderr).toMatch(/There is no recall database/);
    const none = runCli(['sync'], env(db));
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/config set syncTarget/);
  });
});
