// Devices for sync tests: recall databases in a temp folder, each with its own clock, the same deck files imported on
// each (so the same cards, by guid), and a canonical snapshot of what a merge must make equal.
import Database from 'better-sqlite3';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { commitAnswer, drawCard } from '../../src/app/answer.js';
import { openContext, type Context } from '../../src/app/context.js';
import { importPaths } from '../../src/app/import.js';
import { checkCardFlags, findScheduleMismatches } from '../../src/app/maintenance.js';
import type { Grade } from '../../src/core/types.js';

export const T0 = Date.parse('2026-03-10T09:00:00Z');
export const DAY = 86_400_000;

export interface Device {
  name: string;
  db: string;
  ctx: Context;
  now: number;
  /** Moves this device's clock. */
  at(ms: number): void;
  close(): void;
}

/** Two decks of `n` basic cards each, as deck files in `dir`. */
export function writeDecks(dir: string, n = 6): string[] {
  const files: string[] = [];
  for (const name of ['Alpha', 'Beta']) {
    const f = join(dir, `${name.toLowerCase()}.deck`);
    writeFileSync(f, `deck: ${name}\n\n${Array.from({ length: n }, (_, i) => `--- basic ${name.toLowerCase()}${i}\nQ: ${name} question ${i}\nA: answer ${i}\n`).join('\n')}`);
    files.push(f);
  }
  return files;
}

export function openDevice(dir: string, name: string, decks: string[], opts: { start?: number } = {}): Device {
  const db = join(dir, `${name}.db`);
  const ctx = openContext({ db, env: { RECALL_NOW: new Date(opts.start ?? T0).toISOString() } });
  const dev: Device = {
    name,
    db,
    ctx,
    now: opts.start ?? T0,
    at(ms) {
      dev.now = ms;
    },
    close() {
      ctx.store.close();
    },
  };
  ctx.clock = () => dev.now;
  if (decks.length && !ctx.store.decks().length) {
    ctx.store.transaction(() => {
      ctx.store.setSetting('timeZone', 'UTC', 0);
      ctx.store.setSetting('newPerDay', 100, 0);
    });
    ctx.reloadSettings();
    importPaths(ctx, decks);
  }
  return dev;
}

export function cardIdByGuid(ctx: Context, guid: string): number {
  const card = ctx.store.allCardIds().map((id) => ctx.store.getCard(id)!).find((c) => c.guid === guid);
  if (!card) throw new Error(`no card ${guid}`);
  return card.id;
}

/** Answers a card through the study loop's draw and commit; returns the review uid's card. */
export function answer(dev: Device, cardId: number, grade: Grade): void {
  const card = dev.ctx.store.getCard(cardId)!;
  const drawn = drawCard(dev.ctx, card);
  const r = commitAnswer(dev.ctx, drawn, grade, { durationMs: 5000 });
  if (!r.ok) throw new Error(`answer refused: ${r.reason}`);
}

export interface Snapshot {
  reviews: Record<string, unknown>;
  events: Record<string, unknown>;
  cards: Record<string, unknown>;
  decks: Record<string, unknown>;
  settings: Record<string, unknown>;
}

/** The rows of one query on a database file, opened read-only for it (beside a device that may hold it open). */
export function readRows(db: string, sql: string): unknown[] {
  const conn = new Database(db, { readonly: true });
  try {
    return conn.prepare(sql).all();
  } finally {
    conn.close();
  }
}

/** Everything a merge must make equal on every device, by global ids (local row ids differ between databases). */
export function snapshot(db: string): Snapshot {
  const conn = new Database(db, { readonly: true });
  try {
    const reviews: Record<string, unknown> = {};
    for (const r of conn.prepare(
      `SELECT r.uid, c.guid, r.rating, r.reviewed_at, r.day, r.kind, r.scheduled, r.device, r.undone_at IS NOT NULL AS undone, r.due, r.state_after
       FROM reviews r JOIN cards c ON c.id = r.card_id`,
    ).all() as { uid: string }[]) reviews[r.uid] = r;
    const events: Record<string, unknown> = {};
    for (const e of conn.prepare(
      `SELECT e.uid, c.guid, e.kind, e.at, e.device, e.undone_at IS NOT NULL AS undone,
         CASE e.kind WHEN 'move' THEN (SELECT uid FROM decks WHERE id = json_extract(e.data, '$.to')) ELSE e.data END AS data
       FROM card_events e JOIN cards c ON c.id = e.card_id`,
    ).all() as { uid: string }[]) events[e.uid] = e;
    const cards: Record<string, unknown> = {};
    for (const c of conn.prepare(
      `SELECT c.guid, d.uid AS deck, c.uid, c.note_uid, c.content, c.suspended, c.buried_until, c.removed,
         s.state, s.due, round(s.stability, 9) AS stability, round(s.difficulty, 9) AS difficulty, s.reps, s.lapses, s.last_review, s.scheduled_days
       FROM cards c JOIN decks d ON d.id = c.deck_id LEFT JOIN schedules s ON s.card_id = c.id`,
    ).all() as { guid: string }[]) cards[c.guid] = c;
    const decks: Record<string, unknown> = {};
    for (const d of conn.prepare('SELECT uid, name, description FROM decks').all() as { uid: string }[]) decks[d.uid] = d;
    const settings: Record<string, unknown> = {};
    for (const s of conn.prepare("SELECT key, value FROM settings WHERE key != 'createdAt'").all() as { key: string; value: string }[]) settings[s.key] = s.value;
    return { reviews, events, cards, decks, settings };
  } finally {
    conn.close();
  }
}

/** What doctor checks: every schedule is the replay of its log, every card's flags the fold of its events. */
export function doctorClean(ctx: Context): { schedules: number[]; flags: number[] } {
  return { schedules: findScheduleMismatches(ctx).map((m) => m.cardId), flags: checkCardFlags(ctx, false) };
}
