// recall doctor: clean on a healthy database; a schedule corrupted behind recall's back is found and named,
// `doctor --fix` rebuilds it from the review log, and doctor is clean again. What cannot be repaired stays red.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openContext } from '../src/app/context.js';
import { commitAnswer, drawCard } from '../src/app/answer.js';
import { applyCardAction } from '../src/app/card-actions.js';
import { GRADES } from '../src/core/types.js';
import { recallBin } from '../scripts/lib/term.mjs';

const BIN = recallBin();
const DAY = 86_400_000;
const T0 = Date.parse('2026-04-01T09:00:00Z');

function recall(args: string[], env: Record<string, string>) {
  const r = spawnSync(process.execPath, [BIN, ...args], { env: { ...process.env, NO_COLOR: '1', ...env }, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

let work: string;
let db: string;
let env: Record<string, string>;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'recall-doctor-'));
  db = join(work, 'r.db');
  env = { RECALL_DB: db, RECALL_NOW: new Date(T0 + 30 * DAY).toISOString() };
  const deck = join(work, 'd.deck');
  writeFileSync(deck, `deck: Doc\n\n${Array.from({ length: 10 }, (_, i) => `--- basic d${i}\nQ: q${i}\nA: a${i}\n`).join('\n')}`);
  expect(recall(['import', deck], env).code).toBe(0);
  // Some history: each card answered on three days.
  for (const dayOffset of [0, 2, 9]) {
    const ctx = openContext({ db, env: { RECALL_NOW: new Date(T0 + dayOffset * DAY).toISOString() } });
    try {
      for (const card of ctx.store.studyCards({ deckIds: null, now: ctx.clock(), dayEnd: ctx.clock() + 400 * DAY, newLimit: 99, reviewLimit: 99 })) {
        const res = commitAnswer(ctx, drawCard(ctx, card), GRADES[(card.id + dayOffset) % 4]!, { durationMs: 3000 });
        expect(res.ok).toBe(true);
      }
    } finally {
      ctx.store.close();
    }
  }
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const sql = (text: string, ...params: unknown[]) => {
  const conn = new Database(db);
  try {
    return conn.prepare(text).run(...params);
  } finally {
    conn.close();
  }
};
const get = (text: string, ...params: unknown[]) => {
  const conn = new Database(db, { readonly: true });
  try {
    return conn.prepare(text).get(...params) as Record<string, unknown>;
  } finally {
    conn.close();
  }
};
const doctorJson = (args: string[] = []) => {
  const r = recall(['doctor', '--json', ...args], env);
  return { code: r.code, report: JSON.parse(r.out) as { ok: boolean; integrity: string[]; foreignKeyViolations: number; scheduleMismatches: number[]; cardFlagMismatches: number[]; repaired: number } };
};

describe('recall doctor', () => {
  it('a healthy database: exit 0, every check green', () => {
    const r = recall(['doctor'], env);
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toMatch(/✓ integrity: ok/);
    expect(r.out).toMatch(/✓ foreign keys: 0/);
    expect(r.out).toMatch(/✓ schedules: 0 differ/);
    expect(doctorJson().report).toMatchObject({ ok: true, scheduleMismatches: [], repaired: 0 });
  });

  it('a corrupted due date is found and named, --fix repairs it, and doctor is clean again', () => {
    const cardId = get("SELECT c.id FROM cards c JOIN schedules s ON s.card_id = c.id WHERE c.uid = 'd3'").id as number;
    const good = get('SELECT due, stability, reps FROM schedules WHERE card_id = ?', cardId);
    sql('UPDATE schedules SET due = due + 40 * 86400000 WHERE card_id = ?', cardId);
    const second = get("SELECT c.id FROM cards c WHERE c.uid = 'd7'").id as number;
    sql('UPDATE schedules SET stability = stability * 3, reps = reps + 5 WHERE card_id = ?', second);

    const text = recall(['doctor'], env);
    expect(text.code).toBe(1);
    expect(text.out).toMatch(/✗ schedules: 2 differ from the replay of their review log \(run recall doctor --fix\)/);
    const before = doctorJson();
    expect(before.code).toBe(1);
    expect(before.report.ok).toBe(false);
    expect(before.report.scheduleMismatches.sort()).toEqual([cardId, second].sort());

    const fixed = recall(['doctor', '--fix'], env);
    expect(fixed.code, fixed.out).toBe(0);
    expect(fixed.out).toMatch(/2 rebuilt/);
    expect(get('SELECT due, stability, reps FROM schedules WHERE card_id = ?', cardId)).toEqual(good);

    const after = doctorJson();
    expect(after.code).toBe(0);
    expect(after.report).toMatchObject({ ok: true, scheduleMismatches: [] });
  });

  it('a deleted schedule of a reviewed card is rebuilt from its log', () => {
    const cardId = get("SELECT id FROM cards WHERE uid = 'd5'").id as number;
    const good = get('SELECT * FROM schedules WHERE card_id = ?', cardId);
    sql('DELETE FROM schedules WHERE card_id = ?', cardId);
    expect(doctorJson().report.scheduleMismatches).toEqual([cardId]);
    expect(recall(['doctor', '--fix'], env).code).toBe(0);
    expect(get('SELECT * FROM schedules WHERE card_id = ?', cardId)).toEqual(good);
    expect(recall(['doctor'], env).code).toBe(0);
  });

  it('card flags damaged by hand are found and rebuilt from the event log', () => {
    const ids = ['d1', 'd2', 'd4'].map((uid) => get('SELECT id FROM cards WHERE uid = ?', uid).id as number);
    const ctx = openContext({ db, env: { RECALL_NOW: env.RECALL_NOW! } });
    try {
      expect(applyCardAction(ctx, [ids[0]!], { kind: 'suspend' }).changed).toEqual([ids[0]]);
    } finally {
      ctx.store.close();
    }
    expect(doctorJson().report).toMatchObject({ ok: true, cardFlagMismatches: [] });
    // Behind recall's back: d1 unsuspended, d2 suspended, d4 buried for a year.
    sql('UPDATE cards SET suspended = 0 WHERE id = ?', ids[0]);
    sql('UPDATE cards SET suspended = 1 WHERE id = ?', ids[1]);
    sql('UPDATE cards SET buried_until = ? WHERE id = ?', T0 + 400 * DAY, ids[2]);
    const text = recall(['doctor'], env);
    expect(text.code).toBe(1);
    expect(text.out).toMatch(/✗ card flags: 3 differ from their event log \(run recall doctor --fix\)/);
    expect(doctorJson().report.cardFlagMismatches).toEqual(ids);
    expect(recall(['doctor', '--fix'], env).code).toBe(0);
    expect(ids.map((id) => get('SELECT suspended, buried_until AS b FROM cards WHERE id = ?', id))).toEqual([
      { suspended: 1, b: null },
      { suspended: 0, b: null },
      { suspended: 0, b: null },
    ]);
    expect(doctorJson().report).toMatchObject({ ok: true, cardFlagMismatches: [] });
  });

  it('decks whose names differ only in case (from before names were unique ignoring case) are named, not counted', () => {
    sql("INSERT INTO decks(uid, name, description, source, origin, created_at) SELECT uid || '-legacy', 'DOC', description, source, origin, created_at FROM decks WHERE name = 'Doc'");
    const r = recall(['doctor'], env);
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toMatch(/! deck names: 1 group of decks whose names differ only in case .*recall deck rename OLD NEW/);
    expect(r.out).toContain('    "DOC", "Doc"');
    expect(JSON.parse(recall(['doctor', '--json'], env).out)).toMatchObject({ ok: true, caseVariantDecks: [['DOC', 'Doc']] });
    expect(recall(['deck', 'rename', 'DOC', 'Doc (old)'], env).code).toBe(0);
    expect(JSON.parse(recall(['doctor', '--json'], env).out)).toMatchObject({ caseVariantDecks: [] });
    expect(recall(['doctor'], env).out).toMatch(/✓ deck names: none differ only in case/);
    sql("DELETE FROM decks WHERE name = 'Doc (old)'");
  });

  it('what --fix cannot repair (a review of a card that does not exist) stays red', () => {
    const conn = new Database(db);
    conn.pragma('foreign_keys = OFF');
    conn
      .prepare(
        `INSERT INTO reviews(uid, card_id, rating, state_before, state_after, due, stability, difficulty, elapsed_days, scheduled_days, reviewed_at, duration_ms, kind, scheduled, day)
         VALUES ('orphan', 99999, 3, 0, 1, 0, 1, 5, 0, 0, ?, 1000, 'review', 1, 0)`,
      )
      .run(T0);
    conn.close();
    const r = recall(['doctor', '--fix'], env);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/✗ foreign keys: 1 violation/);
    sql("DELETE FROM reviews WHERE uid = 'orphan'");
    expect(recall(['doctor'], env).code).toBe(0);
  });
});
