// The store: repositories over one SQLite connection, behind the declared `Store` interface (api.ts). Statements are
// prepared on first use; every write that belongs together runs in one transaction, which the caller opens.
import type { Statement } from 'better-sqlite3';
import { closeSync, fsyncSync, openSync, readSync, realpathSync, statSync, writeSync } from 'node:fs';
import { newId } from './ids.js';
import type { Db } from './db.js';
import { openDb } from './db.js';
import { cardContentJson } from '../decks/match.js';
import { deriveCardState, type CardEvent, type CardEventData, type CardVersion } from '../core/card-events.js';
import type { CardSpec, CardState, CardType, Grade, Rating, ReviewKind, Schedule } from '../core/types.js';
import type {
  ActionRow, AnswerInput, DeckCardRow, DeckCounts, DeckRow, EventMeta, ImportedReview, OptimizerRow, ReviewRow, Store, StudyCard,
} from './api.js';
import { readExportSource } from './export-source.js';
import { createMediaStore } from './media.js';
import { deckCards, iterateFsrsRows, iterateReviews, readStatsRows } from './stats.js';
import { createSyncStore } from './sync-store.js';
import { createImportStore } from './import-store.js';
import { createFreshCardStore } from './fresh-cards.js';
import { checkDeviceHome } from './device.js';
import { createSearchStore } from './search.js';
import { createCollectionStore, queryClause } from './collection.js';
import { DAILY_COLUMNS, rebuildCardCounts, rebuildDailyRows, retentionDelta, staleRollups } from './rollups.js';
import { SOURCE_KEY_SQL } from './migrations.js';
import type { ReplayEntry } from '../scheduler/index.js';

export type { Store, StudyCard, ReviewRow, DeckRow, DeckCounts, AnswerInput } from './api.js';

const scheduleCols = 'state, due, stability, difficulty, elapsed_days, scheduled_days, learning_steps, reps, lapses, last_review';

interface RawSchedule {
  state: number | null;
  due: number | null;
  stability: number;
  difficulty: number;
  elapsed_days: number;
  scheduled_days: number;
  learning_steps: number;
  reps: number;
  lapses: number;
  last_review: number | null;
}

interface RawStudyCard extends RawSchedule {
  id: number;
  guid: string;
  deckId: number;
  deckName: string;
  uid: string;
  noteUid: string;
  content: string;
  suspended: number;
  buriedUntil: number | null;
  removed: number;
  position: number;
  revision: number;
}

interface RawReview {
  id: number;
  uid: string;
  cardId: number;
  rating: number;
  stateBefore: number;
  stateAfter: number;
  due: number;
  stability: number;
  difficulty: number;
  elapsedDays: number;
  scheduledDays: number;
  reviewedAt: number;
  durationMs: number;
  kind: ReviewKind;
  scheduled: number;
  answer: string | null;
  sourceKey: string | null;
  attemptId: number | null;
  day: number;
  device: string | null;
  actionUid: string | null;
  sourceState: number | null;
}

interface RawEvent {
  uid: string;
  cardId: number;
  kind: CardEventData['kind'];
  at: number;
  day: number;
  device: string;
  actionUid: string | null;
  data: string | null;
  undoneAt: number | null;
}

function toSchedule(r: RawSchedule): Schedule | null {
  if (r.state === null || r.due === null) return null;
  return {
    state: r.state as CardState,
    due: r.due,
    stability: r.stability,
    difficulty: r.difficulty,
    elapsedDays: r.elapsed_days,
    scheduledDays: r.scheduled_days,
    learningSteps: r.learning_steps,
    reps: r.reps,
    lapses: r.lapses,
    lastReview: r.last_review,
  };
}

function scheduleParams(cardId: number, s: Schedule) {
  return [cardId, s.state, s.due, s.stability, s.difficulty, s.elapsedDays, s.scheduledDays, s.learningSteps, s.reps, s.lapses, s.lastReview];
}

function toStudyCard(r: RawStudyCard): StudyCard {
  return {
    id: r.id,
    guid: r.guid,
    deckId: r.deckId,
    deckName: r.deckName,
    uid: r.uid,
    noteUid: r.noteUid,
    content: JSON.parse(r.content) as StudyCard['content'],
    schedule: toSchedule(r),
    suspended: r.suspended === 1,
    buriedUntil: r.buriedUntil,
    removed: r.removed === 1,
    position: r.position,
    revision: r.revision,
  };
}

function toReviewRow(r: RawReview): ReviewRow {
  return { ...r, rating: r.rating as Rating, stateBefore: r.stateBefore as CardState, stateAfter: r.stateAfter as CardState, scheduled: r.scheduled === 1 };
}

function toEvent(r: RawEvent): CardEvent {
  const extra = r.data === null ? {} : (JSON.parse(r.data) as Record<string, unknown>);
  return {
    uid: r.uid,
    cardId: r.cardId,
    at: r.at,
    day: r.day,
    device: r.device,
    actionUid: r.actionUid,
    undone: r.undoneAt !== null,
    data: { ...extra, kind: r.kind } as CardEventData,
  };
}

/** The event's payload without its kind, as stored in `card_events.data`. */
function eventPayload(d: CardEventData): string | null {
  const { kind: _kind, ...rest } = d;
  return Object.keys(rest).length ? JSON.stringify(rest) : null;
}

/**
 * `peer`: the database is opened as another one's sync partner (a file on a USB stick mounted at varying paths), not
 * as this machine's collection, so its device id is left as it is.
 */
export function openStore(path: string, opts: { now?: number; readonly?: boolean; peer?: boolean } = {}): Store {
  const db = openDb(path, opts);
  if (!opts.readonly && !opts.peer && path !== ':memory:') {
    try {
      checkDeviceHome(db, path);
    } catch (e) {
      db.close();
      throw e;
    }
  }
  return createStore(db, path);
}

const REVIEW_SELECT = `SELECT id, uid, card_id AS cardId, rating, state_before AS stateBefore, state_after AS stateAfter, due, stability,
  difficulty, elapsed_days AS elapsedDays, scheduled_days AS scheduledDays, reviewed_at AS reviewedAt,
  duration_ms AS durationMs, kind, scheduled, answer, ${SOURCE_KEY_SQL()} AS sourceKey, attempt_id AS attemptId, day, device,
  action_uid AS actionUid, source_state AS sourceState FROM reviews`;

const EVENT_SELECT = `SELECT uid, card_id AS cardId, kind, at, day, device, action_uid AS actionUid, data, undone_at AS undoneAt FROM card_events`;

const STUDY_CARD_SELECT = `
  SELECT c.id, c.guid, c.deck_id AS deckId, d.name AS deckName, c.uid, c.note_uid AS noteUid, c.content, c.suspended,
    c.buried_until AS buriedUntil, c.removed, c.position, c.mod AS revision, s.state, s.due, s.stability, s.difficulty,
    s.elapsed_days, s.scheduled_days, s.learning_steps, s.reps, s.lapses, s.last_review
  FROM cards c JOIN decks d ON d.id = c.deck_id LEFT JOIN schedules s ON s.card_id = c.id`;

// Built once: a statement text made per call would be hashed again for the cache lookup on every answer.
const UPSERT_SCHEDULE = `INSERT INTO schedules(card_id, ${scheduleCols}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT(card_id) DO UPDATE SET state = excluded.state, due = excluded.due, stability = excluded.stability,
    difficulty = excluded.difficulty, elapsed_days = excluded.elapsed_days, scheduled_days = excluded.scheduled_days,
    learning_steps = excluded.learning_steps, reps = excluded.reps, lapses = excluded.lapses, last_review = excluded.last_review`;

/** `c.deck_id IN (...)`: the given decks, or every deck (a list lets SQLite walk an index that starts with the deck). */
function inDecks(deckIds: readonly number[] | null): string {
  return deckIds ? `c.deck_id IN (${idList(deckIds)})` : 'c.deck_id IN (SELECT id FROM decks)';
}

/** Not buried now (`@now`): the few buried cards, listed once from their partial index, not a row lookup per card. */
const NOT_BURIED = 'c.id NOT IN (SELECT id FROM cards INDEXED BY cards_buried WHERE buried_until IS NOT NULL AND buried_until > @now)';

/** Ids are integers from the database, so inlining them is safe and keeps one statement shape per count. */
function idList(ids: readonly number[]): string {
  return ids.map((id) => Math.trunc(id)).join(',') || 'NULL';
}

/** Repositories over one connection. */
export function createStore(db: Db, path = ':memory:'): Store {
  // Prepared on first use and kept: a command that never answers never pays for the answer statements.
  const cache = new Map<string, Statement<unknown[]>>();
  const sql = (text: string) => {
    let s = cache.get(text);
    if (!s) cache.set(text, (s = db.prepare<unknown[]>(text)));
    return s;
  };
  const deviceId = (sql("SELECT value FROM local WHERE key = 'deviceId'").pluck().get() as string | undefined) ?? 'unknown';
  // One transaction function for the connection's life, handed the work to run: better-sqlite3 builds five wrappers
  // for each db.transaction() it is asked for (~12 us an answer on a loaded machine, ~2 us for this one).
  const inTransaction = db.transaction((fn: () => unknown) => fn());

  const deckUids = new Map<number, string>();
  const deckSelect = 'SELECT id, uid, name, description, source, origin, path, file_hash AS fileHash FROM decks';
  /** A uid not yet taken: the natural one, else with a counter (a deck renamed away left its name's uid behind). */
  const freeUid = (table: 'decks' | 'cards', column: 'uid' | 'guid', base: string) => {
    const taken = sql(`SELECT 1 FROM ${table} WHERE ${column} = ?`).pluck();
    let candidate = base;
    for (let i = 2; taken.get(candidate) !== undefined; i++) candidate = `${base}#${i}`;
    return candidate;
  };

  // `retention`: the true-retention counts (rollups.ts retentionDelta).
  const bumpDaily = (day: number, deckId: number, reviews: number, again: number, durationMs: number, newCards: number, retention: readonly number[]) =>
    sql(
      `INSERT INTO daily(${DAILY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(day, deck_id) DO UPDATE SET reviews = reviews + excluded.reviews, again = again + excluded.again,
         duration_ms = duration_ms + excluded.duration_ms, new_cards = new_cards + excluded.new_cards,
         young_total = young_total + excluded.young_total, young_passed = young_passed + excluded.young_passed,
         mature_total = mature_total + excluded.mature_total, mature_passed = mature_passed + excluded.mature_passed`,
    ).run(day, deckId, reviews, again, durationMs, newCards, ...retention);

  const upsertSchedule = (cardId: number, s: Schedule) => sql(UPSERT_SCHEDULE).run(...scheduleParams(cardId, s));

  const deckOfCard = (cardId: number) => sql('SELECT deck_id FROM cards WHERE id = ?').pluck().get(cardId) as number;

  const rawEvents = (cardId: number) => sql(`${EVENT_SELECT} WHERE card_id = ? ORDER BY at, id`).all(cardId) as RawEvent[];

  /** Applies what a card's events say to its row; only the columns that differ are written. */
  const rederive = (cardId: number, dryRun: boolean): boolean => {
    const row = sql('SELECT deck_id AS deckId, uid, note_uid AS noteUid, content, suspended, buried_until AS buriedUntil, removed FROM cards WHERE id = ?').get(cardId) as
      | { deckId: number; uid: string; noteUid: string; content: string; suspended: number; buriedUntil: number | null; removed: number }
      | undefined;
    if (!row) return false;
    const derived = deriveCardState(rawEvents(cardId).map(toEvent), { deckId: row.deckId, version: { uid: row.uid, noteUid: row.noteUid, content: row.content } });
    const v = derived.version;
    // A move or an edit can land the card on a (deck, uid) another card holds. It happens when a deck file was
    // imported on this device after another device moved a card into it: the file's entry became a card of its own
    // here, and the moved card, with its history, arrives by sync. The card then takes a free uid there (`uid#2`),
    // as a pulled card created on a taken uid does (sync-store, applyCard), and keeps it while the other holds it.
    const free = (candidate: string) => sql('SELECT 1 FROM cards WHERE deck_id = ? AND uid = ? AND id != ?').pluck().get(derived.deckId, candidate, cardId) === undefined;
    let uid = v.uid;
    if ((derived.deckId !== row.deckId || uid !== row.uid) && !free(uid)) {
      if (derived.deckId === row.deckId && row.uid.startsWith(`${uid}#`)) uid = row.uid;
      else for (let i = 2, base = uid; !free(uid); i++) uid = `${base}#${i}`;
    }
    const differs =
      derived.deckId !== row.deckId || uid !== row.uid || v.noteUid !== row.noteUid || v.content !== row.content ||
      (derived.suspended ? 1 : 0) !== row.suspended || derived.buriedUntil !== row.buriedUntil || (derived.removed ? 1 : 0) !== row.removed;
    if (differs && !dryRun) {
      const type = (JSON.parse(v.content) as { type: CardType }).type;
      sql(
        `UPDATE cards SET deck_id = ?, uid = ?, note_uid = ?, type = ?, content = ?, suspended = ?, buried_until = ?, removed = ?
         WHERE id = ?`,
      ).run(derived.deckId, uid, v.noteUid, type, v.content, derived.suspended ? 1 : 0, derived.buriedUntil, derived.removed ? 1 : 0, cardId);
    }
    return differs;
  };

  /** The session's cards when a search narrows it (`recall review --query`): the same three queues, filtered. */
  const filteredStudyCards = (opts: Parameters<Store['studyCards']>[0], query: NonNullable<Parameters<Store['studyCards']>[0]['query']>) => {
    const deckFilter = opts.deckIds ? `AND c.deck_id IN (${idList(opts.deckIds)})` : '';
    const run = (condition: string, order: string, extra: unknown[], decks = deckFilter) => {
      const params: unknown[] = [opts.now];
      const filter = queryClause(query, params);
      return sql(
        `${STUDY_CARD_SELECT} WHERE c.suspended = 0 AND c.removed = 0 AND (c.buried_until IS NULL OR c.buried_until <= ?) ${decks} ${filter}
         AND ${condition} ORDER BY ${order}`,
      ).all(...params, ...extra) as RawStudyCard[];
    };
    // The card's copies of its schedule's state and due (kept by triggers, checked by doctor), as in studyCards; the
    // deck list, every deck included, lets SQLite search cards_counts deck by deck rather than scan the cards in
    // new-card order (a text filter over 100k cards: 836 -> ~60 ms to the first card).
    const everyDeck = `AND ${inDecks(opts.deckIds)}`;
    const learning = run('c.state IN (1, 3)', 'c.due, c.id', [], everyDeck);
    const reviews = run('c.state = 2 AND c.due < ?', 'c.due, c.id LIMIT ?', [opts.dayEnd, opts.reviewLimit], everyDeck);
    const news = run('(s.state IS NULL OR s.state = 0)', 'c.deck_id, c.position, c.id LIMIT ?', [opts.newLimit]);
    return [...learning, ...reviews, ...news].map(toStudyCard);
  };

  let calls = 0;
  /** Counts the transactions begun: what a cache learned in one holds only in that one (a rollback forgets rows). */
  let transactions = 0;
  const store: Store = {
    ...createSyncStore(sql, () => (db.inTransaction ? transactions : null)),
    path,
    ...createSearchStore(db, sql),
    ...createCollectionStore(db, sql),
    deviceId,
    close(): void {
      // Answers skip automatic checkpoints (see db.ts); fold the WAL back in when a command ends, without waiting.
      try {
        if (!db.readonly) db.pragma('wal_checkpoint(PASSIVE)');
      } catch {
        // another connection is busy; the next close will do it
      }
      db.close();
    },
    betweenAnswers() {
      if (db.readonly || path === ':memory:' || db.inTransaction) return;
      calls++;
      // Not on the first card: a step's write and fsync (~10-20 ms) would delay the first card drawn. A step every
      // LOG_RESERVE_EVERY cards keeps the room ahead of the log until it reaches its full size.
      if (calls % LOG_RESERVE_EVERY === 2 && calls < LOG_FOLD_ANSWERS) {
        reserveLog(db, path, Math.min(LOG_RESERVE_MAX, LOG_RESERVE_STEP * (1 + Math.floor(calls / LOG_RESERVE_EVERY))));
      }
      if (calls % LOG_FOLD_ANSWERS !== 0) return;
      try {
        db.pragma('wal_checkpoint(PASSIVE)');
      } catch {
        // another connection holds the database: the next fold does it
      }
    },
    reserveCache(mib) {
      db.pragma(`cache_size = ${-Math.trunc(mib) * 1024}`);
      // A statement writing several rows keeps a journal of the pages it changes, to undo itself alone on a
      // constraint error; on disk that was 7 million small writes (10 s of system time) for a million imported rows.
      db.pragma('temp_store = MEMORY');
    },
    transaction<T>(fn: () => T): T {
      if (db.inTransaction) return inTransaction(fn) as T;
      transactions++;
      // Imported answers may wait to fill a batch (import-store.ts): written before the commit, dropped on a rollback.
      try {
        return inTransaction.immediate(() => {
          const result = fn();
          store.flushImportedReviews();
          return result;
        }) as T;
      } catch (e) {
        store.discardImportedReviews();
        throw e;
      }
    },

    joinTransaction(fn) {
      return db.inTransaction ? fn() : store.transaction(fn);
    },
    fillingWrite(rows, fn) {
      if (rows < FILLING_MIN_ROWS || db.inTransaction || db.readonly || path === ':memory:') return fn();
      const size = (db.pragma('page_count', { simple: true }) as number) * (db.pragma('page_size', { simple: true }) as number);
      if (size > FILLING_MAX_BYTES || !switchJournal(db, 'delete')) return fn();
      // In DELETE mode the unlinking of the journal is the commit: EXTRA syncs the folder after it, so a power cut
      // cannot bring the journal back and roll the import away (FULL's promise, kept).
      db.pragma('synchronous = EXTRA');
      try {
        return fn();
      } finally {
        db.pragma('synchronous = FULL');
        // If another recall opened the file meanwhile (it reads in rollback mode, see openDb) and is reading now,
        // the log comes back at the next open instead: openDb always asks for WAL.
        switchJournal(db, 'wal');
      }
    },

    // settings
    getSetting<T>(key: string): T | undefined {
      const v = sql('SELECT value FROM settings WHERE key = ?').pluck().get(key) as string | undefined;
      return v === undefined ? undefined : (JSON.parse(v) as T);
    },
    allSettings() {
      const out: Record<string, unknown> = {};
      for (const r of sql('SELECT key, value FROM settings').all() as { key: string; value: string }[]) out[r.key] = JSON.parse(r.value);
      return out;
    },
    setSetting(key, value, at) {
      const text = value === undefined ? undefined : JSON.stringify(value);
      const before = sql('SELECT value FROM settings WHERE key = ?').pluck().get(key) as string | undefined;
      if (before === text) return;
      if (text === undefined) sql('DELETE FROM settings WHERE key = ?').run(key);
      else sql('INSERT INTO settings(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, text);
      // Triggers stamped the write with the wall clock; the command's clock (RECALL_NOW in tests) is the one meant.
      if (at !== undefined) sql('UPDATE setting_clock SET at = ?, device = ? WHERE key = ?').run(Math.trunc(at), deviceId, key);
    },
    getLocal(key) {
      return sql('SELECT value FROM local WHERE key = ?').pluck().get(key) as string | undefined;
    },
    setLocal(key, value) {
      if (value === undefined) sql('DELETE FROM local WHERE key = ?').run(key);
      else sql('INSERT INTO local(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
    },

    // decks
    deckByName(name) {
      return sql(`${deckSelect} WHERE name = ?`).get(name) as DeckRow | undefined;
    },
    deckById(id) {
      return sql(`${deckSelect} WHERE id = ?`).get(id) as DeckRow | undefined;
    },
    decks() {
      return sql(`${deckSelect} ORDER BY name`).all() as DeckRow[];
    },
    upsertDeck(d, now) {
      const existing = store.deckByName(d.name);
      if (existing) {
        sql('UPDATE decks SET description = ?, source = ?, origin = ?, path = ?, file_hash = ? WHERE id = ?').run(d.description, d.source, d.origin, d.path, d.fileHash, existing.id);
        return existing.id;
      }
      const uid = freeUid('decks', 'uid', d.origin === 'builtin' ? `builtin:${d.path ?? d.name}` : `${d.origin}:${d.name}`);
      return Number(
        sql('INSERT INTO decks(uid, name, description, source, origin, path, file_hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(
          uid, d.name, d.description, d.source, d.origin, d.path, d.fileHash, now,
        ).lastInsertRowid,
      );
    },
    deckCounts(now, dayEnd, deckId) {
      // Answered cards come from the card_counts rollup (kept by triggers; a few hundred rows, stats_key / 200 is
      // the category: 1 learning, 2 young, 3 mature, 4 suspended); only unanswered cards and what is due today are
      // counted over the cards_counts index, counting entries being ~10x cheaper than reading their columns.
      // 100k cards, cold: 15-21 -> 8-10 ms, most of what `recall decks` spends beyond start-up.
      const range = 'SELECT count(*) FROM cards WHERE deck_id = d.id AND removed = 0';
      type Row = { id: number; name: string; suspended: number; new: number; due: number };
      const rows = sql(
        `SELECT d.id, d.name, (${range} AND suspended = 1 AND state = 0) AS suspended, (${range} AND suspended = 0 AND state = 0) AS new,
           (${range} AND suspended = 0 AND state = 2 AND due < @dayEnd) AS due
         FROM decks d WHERE @deckId IS NULL OR d.id = @deckId ORDER BY d.name`,
      ).all({ dayEnd, deckId: deckId ?? null }) as Row[];
      const counts = new Map<number, DeckCounts>();
      for (const r of rows) counts.set(r.id, { name: r.name, new: r.new, learning: 0, due: r.due, suspended: r.suspended, total: r.suspended + r.new });
      const answered = sql(
        `SELECT deck_id, stats_key / 200, sum(cards) FROM card_counts WHERE cards != 0 AND (@deckId IS NULL OR deck_id = @deckId) GROUP BY 1, 2`,
      ).raw().all({ deckId: deckId ?? null }) as [number, number, number][];
      for (const [id, category, n] of answered) {
        const c = counts.get(id);
        if (!c) continue;
        c.total += n;
        if (category === 1) c.learning += n;
        else if (category === 4) c.suspended += n;
      }
      type Buried = { deckId: number; state: number; n: number; dueSoon: number | null };
      const buried = sql(
        `SELECT deck_id AS deckId, state, count(*) AS n, sum(due < @dayEnd) AS dueSoon FROM cards
         WHERE buried_until > @now AND removed = 0 AND suspended = 0 GROUP BY deck_id, state`,
      ).all({ dayEnd, now }) as Buried[];
      for (const g of buried) {
        const c = counts.get(g.deckId);
        if (!c) continue;
        if (g.state === 0) c.new -= g.n;
        else if (g.state === 2) c.due -= g.dueSoon ?? 0;
        else c.learning -= g.n;
      }
      return [...counts.values()];
    },

    // cards
    getCard(id) {
      const r = sql(`${STUDY_CARD_SELECT} WHERE c.id = ?`).get(id) as RawStudyCard | undefined;
      return r ? toStudyCard(r) : undefined;
    },
    cardRevision(id) {
      const r = sql('SELECT c.mod AS revision, s.card_id AS scheduled, s.last_review AS lastReview FROM cards c LEFT JOIN schedules s ON s.card_id = c.id WHERE c.id = ?').get(id) as
        | { revision: number; scheduled: number | null; lastReview: number | null }
        | undefined;
      return r && { revision: r.revision, lastReview: r.scheduled === null ? undefined : r.lastReview };
    },
    cardByUid(uid, deckId) {
      const select = 'SELECT id, deck_id AS deckId, content AS contentJson, suspended, removed FROM cards';
      // A card with a global uid was created with it as its guid (see insertCard): the guid index finds it.
      const r = (deckId === undefined ? sql(`${select} WHERE guid = ?`).get(uid) : sql(`${select} WHERE deck_id = ? AND uid = ?`).get(deckId, uid)) as
        | { id: number; deckId: number; contentJson: string; suspended: number; removed: number }
        | undefined;
      return r && { ...r, suspended: r.suspended === 1, removed: r.removed === 1 };
    },
    cardsOfDeck(deckId) {
      return (sql('SELECT id, uid, note_uid AS noteUid, content AS contentJson, removed FROM cards WHERE deck_id = ?').all(deckId) as (Omit<DeckCardRow, 'removed'> & { removed: number })[]).map(
        (r) => ({ ...r, removed: r.removed === 1 }),
      );
    },
    cardsOfNote(deckId, key) {
      const rows = sql(
        `SELECT id, deck_id AS deckId, uid, note_uid AS noteUid, content AS contentJson, suspended, removed FROM cards
         WHERE deck_id = @deck AND note_uid = @key UNION SELECT id, deck_id, uid, note_uid, content, suspended, removed FROM cards
         WHERE deck_id = @deck AND uid = @key ORDER BY id`,
      ).all({ deck: deckId, key }) as (Omit<DeckCardRow, 'removed'> & { deckId: number; suspended: number; removed: number })[];
      return rows.map((r) => ({ ...r, suspended: r.suspended === 1, removed: r.removed === 1 }));
    },
    insertCard(deckId, spec, position, now, contentJson) {
      // Anki keeps its guids globally unique; a deck file's ids are unique within their deck. A deck's uid never
      // changes, so it is read once.
      let deckUid = deckUids.get(deckId);
      if (deckUid === undefined) deckUids.set(deckId, (deckUid = sql('SELECT uid FROM decks WHERE id = ?').pluck().get(deckId) as string));
      const natural = isGlobalUid(spec.uid) ? spec.uid : `${deckUid}/${spec.uid}`;
      const insert = (guid: string) =>
        Number(
          sql('INSERT INTO cards(deck_id, uid, guid, note_uid, type, content, position, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)').run(
            deckId, spec.uid, guid, spec.noteUid, spec.content.type, contentJson ?? cardJson(spec), position, now, now,
          ).lastInsertRowid,
        );
      // The natural guid is almost always free: try it, and look for another only when it is taken.
      try {
        return insert(natural);
      } catch (e) {
        if ((e as { code?: string }).code !== 'SQLITE_CONSTRAINT_UNIQUE' || !String((e as Error).message).includes('cards.guid')) throw e;
        return insert(freeUid('cards', 'guid', natural));
      }
    },
    setPosition(id, position) {
      sql('UPDATE cards SET position = ? WHERE id = ?').run(position, id);
    },
    cardIds(filter = {}) {
      const where = ['1'];
      if (!filter.includeRemoved) where.push('removed = 0');
      if (!filter.includeSuspended) where.push('suspended = 0');
      if (filter.deckIds) where.push(`deck_id IN (${idList(filter.deckIds)})`);
      const params: unknown[] = [];
      if (filter.types?.length) {
        where.push(`type IN (${filter.types.map(() => '?').join(',')})`);
        params.push(...filter.types);
      }
      const query = queryClause(filter.query, params);
      return sql(`SELECT c.id FROM cards c WHERE ${where.join(' AND ')} ${query} ORDER BY c.id`).pluck().all(...params) as number[];
    },
    allCardIds() {
      return sql('SELECT id FROM cards ORDER BY id').pluck().all() as number[];
    },
    siblingsToBury(cardId, now) {
      // From the card's id, not its deck and note as parameters: a bound value compared with an indexed column makes
      // SQLite re-plan the statement on every run once ANALYZE has left samples (sqlite_stat4; the planner reads the
      // value, so a new binding expires the plan): ~60 us an answer. A column of the card's row is not a binding.
      // The unary + keeps the flags from steering SQLite to cards_counts (deck, removed, suspended: three equalities
      // beat cards_note's two when there are no statistics, as in every user's database), which read the whole deck:
      // 8.6 ms an answer on a 5,000-card deck, against 14 us along cards_note.
      return sql(
        `SELECT s.id FROM cards c JOIN cards s ON s.deck_id = c.deck_id AND s.note_uid = c.note_uid LEFT JOIN schedules sc ON sc.card_id = s.id
         WHERE c.id = ? AND s.id != c.id AND +s.suspended = 0 AND +s.removed = 0
           AND (s.buried_until IS NULL OR s.buried_until <= ?) AND coalesce(sc.state, 0) IN (0, 2)`,
      ).pluck().all(cardId, now) as number[];
    },
    studyCards(opts) {
      if (opts.query) return filteredStudyCards(opts, opts.query);
      // The queues read the card's copies of its schedule's state and due along cards_counts (deck, removed,
      // suspended, state, due), deck by deck; an index on the schedule's (state, due) would be two more pages in
      // every answer's commit (migration 11). Buried cards are few, and listed once from their own index.
      const inTheDecks = inDecks(opts.deckIds);
      const eligible = `${inTheDecks} AND c.removed = 0 AND c.suspended = 0 AND ${NOT_BURIED}`;
      const learning = sql(`${STUDY_CARD_SELECT} WHERE ${eligible} AND c.state IN (1, 3) ORDER BY c.due, c.id`).all({ now: opts.now }) as RawStudyCard[];
      // Thousands of cards may be due; only the session's first `limit` are read whole, in (due, id) order. With a
      // few decks and an everyday limit, each deck's first `limit` are read from the index alone, the walk stopping
      // there, and merged (34k of 100k cards due, 29 decks, limit 200: ~5 ms from a cold cache, against 10-16 ms for
      // one sorted pass over every due entry). With many decks or a large limit that many walks cost more than the
      // one pass (200 decks: ~40 ms against ~7), which serves them.
      const reviewArgs = { now: opts.now, dayEnd: opts.dayEnd, limit: opts.reviewLimit };
      const reviewWhere = `c.removed = 0 AND c.suspended = 0 AND c.state = 2 AND c.due < @dayEnd AND ${NOT_BURIED}`;
      const decks = opts.deckIds ?? (sql('SELECT id FROM decks').pluck().all() as number[]);
      let due: [number, number][];
      if (decks.length <= 64 && opts.reviewLimit <= 1000) {
        const firstDue = sql(`SELECT c.id, c.due FROM cards c WHERE c.deck_id = @deck AND ${reviewWhere} ORDER BY c.due, c.id LIMIT @limit`).raw();
        due = [];
        for (const deck of decks) for (const row of firstDue.all({ ...reviewArgs, deck }) as [number, number][]) due.push(row);
        due.sort((a, b) => a[1] - b[1] || a[0] - b[0]);
        due.length = Math.min(due.length, opts.reviewLimit);
      } else {
        due = sql(`SELECT c.id, c.due FROM cards c WHERE ${inTheDecks} AND ${reviewWhere} ORDER BY c.due, c.id LIMIT @limit`).raw().all(reviewArgs) as [number, number][];
      }
      const order = new Map(due.map(([id], i) => [id, i]));
      const reviews = (sql(`${STUDY_CARD_SELECT} WHERE c.id IN (SELECT value FROM json_each(?))`).all(JSON.stringify([...order.keys()])) as RawStudyCard[])
        .sort((a, b) => order.get(a.id)! - order.get(b.id)!);
      const deckFilter = opts.deckIds ? `AND c.deck_id IN (${idList(opts.deckIds)})` : '';
      const news = sql(
        `${STUDY_CARD_SELECT} WHERE c.suspended = 0 AND c.removed = 0 AND (c.buried_until IS NULL OR c.buried_until <= @now) ${deckFilter}
         AND (s.state IS NULL OR s.state = 0) ORDER BY c.deck_id, c.position, c.id LIMIT @limit`,
      ).all({ now: opts.now, limit: opts.newLimit }) as RawStudyCard[];
      return [...learning, ...reviews, ...news].map(toStudyCard);
    },
    waitingCounts(opts) {
      const deckFilter = opts.deckIds ? `AND c.deck_id IN (${idList(opts.deckIds)})` : '';
      const params: unknown[] = [opts.dayEnd, opts.now];
      const query = queryClause(opts.query, params);
      const r = sql(
        `SELECT coalesce(sum(c.state = 2 AND c.due < ?), 0) AS reviews, coalesce(sum(c.state = 0), 0) AS news FROM cards c
         WHERE c.suspended = 0 AND c.removed = 0 AND (c.buried_until IS NULL OR c.buried_until <= ?) ${deckFilter} ${query}`,
      ).get(...params) as { reviews: number; news: number };
      return r;
    },
    nextDue(now, deckIds, after, query) {
      // The first eligible card in due order of each state that has a due time, deck by deck: one walk along
      // cards_counts per deck and state, stopping at the first card that is not buried (a min() over every later
      // due card, joined to its row, was ~80 ms on 100k cards at the end of every session).
      const decks = deckIds ? `WHERE d.id IN (${idList(deckIds)})` : '';
      const params: unknown[] = [];
      const parts = [1, 2, 3].map((state) => {
        params.push(state, after ?? -1, now);
        const filter = queryClause(query, params);
        return `SELECT (SELECT c.due FROM cards c WHERE c.deck_id = d.id AND c.removed = 0 AND c.suspended = 0 AND c.state = ? AND c.due > ?
             AND (c.buried_until IS NULL OR c.buried_until <= ?) ${filter} ORDER BY c.due LIMIT 1) AS due FROM decks d ${decks}`;
      });
      return (sql(`SELECT min(due) FROM (${parts.join(' UNION ALL ')})`).pluck().get(...params) as number | null) ?? null;
    },
    typicalDuration(cardId, deckId, type) {
      const median = (xs: number[]) => {
        const s = [...xs].sort((a, b) => a - b);
        return s[Math.floor(s.length / 2)]!;
      };
      const own = sql('SELECT duration_ms FROM reviews WHERE card_id = ? AND rating > 1 AND undone_at IS NULL ORDER BY reviewed_at DESC LIMIT 10').pluck().all(cardId) as number[];
      if (own.length >= 3) return median(own);
      // The deck's 50 latest answers by time: local ids follow the order rows arrived in, which after a pull or an
      // import is card by card (the last 50 by id were the last card or two).
      const same = sql(
        `SELECT r.duration_ms FROM reviews r JOIN cards c ON c.id = r.card_id
         WHERE c.deck_id = ? AND c.type = ? AND r.rating > 1 AND r.undone_at IS NULL ORDER BY r.reviewed_at DESC, r.id DESC LIMIT 50`,
      ).pluck().all(deckId, type) as number[];
      return same.length >= 5 ? median(same) : null;
    },
    deckCards(deckId) {
      return deckCards(db, deckId);
    },

    // the log: actions
    beginAction(kind, at, data = {}) {
      const uid = newId();
      sql('INSERT INTO actions(uid, kind, at, device, data) VALUES (?, ?, ?, ?, ?)').run(uid, kind, at, deviceId, JSON.stringify(data));
      return uid;
    },
    lastAction() {
      const r = sql('SELECT id, uid, kind, at, device, data, undone_at AS undoneAt FROM actions WHERE device = ? AND undone_at IS NULL ORDER BY id DESC LIMIT 1').get(deviceId) as
        | (Omit<ActionRow, 'data'> & { data: string })
        | undefined;
      return r && { ...r, data: JSON.parse(r.data) as Record<string, unknown> };
    },
    markActionUndone(uid, now) {
      const reviews = (sql(`${REVIEW_SELECT} WHERE action_uid = ? AND undone_at IS NULL`).all(uid) as RawReview[]).map(toReviewRow);
      const events = (sql(`${EVENT_SELECT} WHERE action_uid = ? AND undone_at IS NULL`).all(uid) as RawEvent[]).map(toEvent);
      sql('UPDATE actions SET undone_at = ? WHERE uid = ? AND undone_at IS NULL').run(now, uid);
      sql('UPDATE reviews SET undone_at = ? WHERE action_uid = ? AND undone_at IS NULL').run(now, uid);
      sql('UPDATE card_events SET undone_at = ? WHERE action_uid = ? AND undone_at IS NULL').run(now, uid);
      return { reviews, events };
    },

    // the log: card events
    appendEvent(cardId, data, meta) {
      // A card's events are strictly ordered in time: two on the same millisecond (a fixed clock, a fast script) are
      // spread by one, so their order never depends on ids that differ between devices.
      const last = sql('SELECT max(at) FROM card_events WHERE card_id = ?').pluck().get(cardId) as number | null;
      const at = last !== null && meta.at <= last ? last + 1 : meta.at;
      sql('INSERT INTO card_events(uid, card_id, kind, at, day, device, action_uid, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(
        newId(), cardId, data.kind, at, meta.day, deviceId, meta.actionUid ?? null, eventPayload(data),
      );
      sql('UPDATE cards SET updated_at = ? WHERE id = ?').run(at, cardId);
      rederive(cardId, false);
    },
    cardEvents(cardId) {
      return rawEvents(cardId).map(toEvent);
    },
    rederiveCard(cardId, opts = {}) {
      return rederive(cardId, Boolean(opts.dryRun));
    },

    // the log: answers
    recordAnswer(a) {
      const uid = newId();
      const s = a.schedule;
      const info = sql(
        `INSERT INTO reviews(uid, card_id, rating, state_before, state_after, due, stability, difficulty, elapsed_days,
           scheduled_days, reviewed_at, duration_ms, kind, scheduled, answer, source_key, attempt_id, day, device, action_uid)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?)`,
      ).run(
        uid, a.cardId, a.rating, a.stateBefore, s?.state ?? 0, s?.due ?? a.reviewedAt, s?.stability ?? 0, s?.difficulty ?? 0,
        a.elapsedDays, s?.scheduledDays ?? 0, a.reviewedAt, Math.round(a.durationMs), a.kind, a.scheduled ? 1 : 0,
        a.answer ?? null, a.attemptId ?? null, a.day, deviceId, a.actionUid,
      );
      if (a.scheduled && s) upsertSchedule(a.cardId, s);
      if (a.scheduled && a.rating > 0) bumpDaily(a.day, a.deckId ?? deckOfCard(a.cardId), 1, a.rating === 1 ? 1 : 0, Math.round(a.durationMs), a.stateBefore === 0 ? 1 : 0, retentionDelta(a));
      return { reviewId: Number(info.lastInsertRowid), uid };
    },
    hasAnswer(cardId, reviewedAt, rating) {
      return sql('SELECT 1 FROM reviews WHERE card_id = ? AND reviewed_at = ? AND rating = ? AND undone_at IS NULL LIMIT 1').pluck().get(cardId, reviewedAt, rating) !== undefined;
    },
    hasSourceKey(key) {
      // An imported row carries its key as its uid (SOURCE_KEY_SQL); rows imported before that, in source_key.
      return (
        sql('SELECT 1 FROM reviews WHERE uid = ?').pluck().get(key) !== undefined ||
        sql('SELECT 1 FROM reviews WHERE source_key = ?').pluck().get(key) !== undefined
      );
    },
    hasSourceKeyPrefix(prefix) {
      // The keys from `prefix` up to the next string that does not start with it: its last character plus one.
      const end = prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
      return (
        sql('SELECT 1 FROM reviews WHERE uid >= ? AND uid < ? LIMIT 1').pluck().get(prefix, end) !== undefined ||
        sql('SELECT 1 FROM reviews WHERE source_key >= ? AND source_key < ? LIMIT 1').pluck().get(prefix, end) !== undefined
      );
    },
    cardLog(cardId) {
      // One order on every device: time, then device, then uid (row ids differ between databases; see docs/sync.md).
      return (sql(`${REVIEW_SELECT} WHERE card_id = ? AND undone_at IS NULL ORDER BY reviewed_at, device, uid`).all(cardId) as RawReview[]).map(toReviewRow);
    },
    replayLog(cardId) {
      // The order of cardLog; raw rows of five columns cost a third of full rows as objects (1M rows: ~12 -> ~4 s).
      const rows = sql(
        `SELECT rating, reviewed_at, day, state_after, due FROM reviews WHERE card_id = ? AND undone_at IS NULL AND scheduled = 1
         ORDER BY reviewed_at, device, uid`,
      ).raw().all(cardId) as [number, number, number, number, number][];
      const out: ReplayEntry[] = new Array<ReplayEntry>(rows.length);
      for (let i = 0; i < rows.length; i++) {
        const [rating, reviewedAt, day, stateAfter, due] = rows[i]!;
        // As replayEntries gives them from full rows (src/app/replay.ts).
        out[i] = rating === 0 ? { rating: 0, reviewedAt, day, manual: { state: stateAfter as CardState, due } } : { rating: rating as Grade, reviewedAt, day };
      }
      return out;
    },
    lastLogAt(cardId) {
      // Reached from the card's row, so no bound value meets an indexed column: see siblingsToBury.
      return (sql('SELECT (SELECT max(r.reviewed_at) FROM reviews r WHERE r.card_id = c.id) FROM cards c WHERE c.id = ?').pluck().get(cardId) as number | null | undefined) ?? null;
    },
    hasReviews(cardId) {
      return sql('SELECT 1 FROM reviews WHERE card_id = ? LIMIT 1').pluck().get(cardId) !== undefined;
    },
    lastScheduledDay(cardId) {
      // As replay counts it: the latest study day of an answer since the card was last forgotten; a set-due entry
      // (rating 0 keeping the memory) is not an answer and leaves it alone. From the card's row, as lastLogAt.
      return (
        (sql(
          `SELECT (SELECT max(r.day) FROM reviews r WHERE r.card_id = c.id AND r.scheduled = 1 AND r.undone_at IS NULL AND r.rating > 0
             AND r.reviewed_at >= coalesce((SELECT max(f.reviewed_at) FROM reviews f
               WHERE f.card_id = c.id AND f.scheduled = 1 AND f.undone_at IS NULL AND f.rating = 0 AND f.state_after = 0), 0))
           FROM cards c WHERE c.id = ?`,
        ).pluck().get(cardId) as number | null | undefined) ?? undefined
      );
    },
    setSchedule(cardId, s) {
      if (s) upsertSchedule(cardId, s);
      else sql('DELETE FROM schedules WHERE card_id = ?').run(cardId);
    },
    unbumpDaily(r) {
      // As rollups.ts counts: imported answers count even when they did not reschedule.
      const counted = (r.scheduled || r.kind === 'import') && r.rating > 0 ? -1 : 0;
      const retention = retentionDelta(r).map((n) => -n);
      if (counted === 0 && retention.every((n) => n === 0)) return;
      bumpDaily(r.day, deckOfCard(r.cardId), counted, counted && (r.rating === 1 ? -1 : 0), counted * r.durationMs, counted && (r.stateBefore === 0 ? -1 : 0), retention);
    },
    addToDaily(r) {
      bumpDaily(r.day, r.deckId, r.reviews, r.again, r.durationMs, r.newCards, r.retention ?? [0, 0, 0, 0]);
    },
    doneOnDay(day, deckIds) {
      const deckFilter = deckIds ? `AND deck_id IN (${idList(deckIds)})` : '';
      return sql(`SELECT coalesce(sum(new_cards), 0) AS newDone, coalesce(sum(reviews - new_cards), 0) AS reviewsDone FROM daily WHERE day = ? ${deckFilter}`).get(day) as {
        newDone: number;
        reviewsDone: number;
      };
    },
    rebuildDaily() {
      // Imported answers that did not reschedule (Anki's cram reviews) were still answers given that day, so they
      // count, as in Anki's own graphs.
      store.transaction(() => rebuildDailyRows(db));
    },

    // quizzes
    createQuizAttempt(startedAt, options, planned) {
      return Number(sql('INSERT INTO quiz_attempts(started_at, options, planned) VALUES (?, ?, ?)').run(startedAt, JSON.stringify(options), planned).lastInsertRowid);
    },
    finishQuizAttempt(id, finishedAt, questions, correct) {
      sql('UPDATE quiz_attempts SET finished_at = ?, questions = ?, correct = ? WHERE id = ?').run(finishedAt, questions, correct, id);
    },

    // reports
    statsRows(q) {
      return readStatsRows(db, q);
    },
    iterateReviews(opts) {
      return iterateReviews(db, opts);
    },
    iterateFsrsRows(opts) {
      return iterateFsrsRows(db, opts);
    },
    exportSource(deckIds) {
      return readExportSource(db, deckIds);
    },
    optimizerRows(deckIds) {
      const filter = deckIds ? `AND c.deck_id IN (${idList(deckIds)})` : '';
      // Raw rows, made into objects here: a third less CPU than better-sqlite3's named-column objects plus a copy
      // (measured on 100k rows: ~300 ms down to ~195 ms).
      const rows = sql(
        `SELECT r.card_id, r.reviewed_at, r.rating, r.scheduled, r.kind, r.state_before, r.state_after
         FROM reviews r JOIN cards c ON c.id = r.card_id
         WHERE r.undone_at IS NULL ${filter} ORDER BY r.card_id, r.reviewed_at, r.id`,
      ).raw().all() as [number, number, OptimizerRow['rating'], number, OptimizerRow['kind'], OptimizerRow['stateBefore'], OptimizerRow['stateAfter']][];
      return rows.map((r) => ({ cardId: r[0], reviewedAt: r[1], rating: r[2], scheduled: r[3] === 1, kind: r[4], stateBefore: r[5], stateAfter: r[6] }));
    },

    // maintenance
    integrityCheck() {
      return (db.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check);
    },
    foreignKeyViolations() {
      return (db.pragma('foreign_key_check') as unknown[]).length;
    },
    staleCardStates() {
      return sql(
        `SELECT count(*) FROM cards c LEFT JOIN schedules s ON s.card_id = c.id WHERE c.state != coalesce(s.state, 0) OR c.due IS NOT s.due
           OR c.stability_copy IS NOT s.stability OR c.difficulty_copy IS NOT s.difficulty OR c.interval_copy IS NOT s.scheduled_days
           OR c.last_review_copy IS NOT s.last_review`,
      ).pluck().get() as number;
    },
    fixCardStates() {
      db.exec(`UPDATE cards SET state = coalesce((SELECT s.state FROM schedules s WHERE s.card_id = cards.id), 0),
        (due, stability_copy, difficulty_copy, interval_copy, last_review_copy) =
          (SELECT s.due, s.stability, s.difficulty, s.scheduled_days, s.last_review FROM schedules s WHERE s.card_id = cards.id)`);
    },
    staleRollups() {
      return staleRollups(db);
    },
    rebuildRollups() {
      store.transaction(() => {
        rebuildDailyRows(db);
        rebuildCardCounts(db);
      });
    },
    ...createMediaStore(sql),
    ...createImportStore(db, sql, deviceId),
    ...createFreshCardStore(db, sql),
  };
  return store;
}

/**
 * Card uids that are unique in the whole collection, not only in their deck: an Anki note's (`anki:<guid>`, Anki
 * keeps guids unique) and an Anki text row's without guid (`ankitxt:<hash of its first field>`). Such a card's guid
 * is its uid, and it is found by it wherever it is (an Anki import moves a card to the deck Anki has it in).
 */
export function isGlobalUid(uid: string): boolean {
  return uid.startsWith('anki:') || uid.startsWith('ankitxt:');
}

/** The stored form of a card: the one the deck sync compares against, so they can never drift apart. */
export const cardJson = cardContentJson;

/** A card's stored version (what an edit event records before and after). */
export function versionOf(spec: CardSpec): CardVersion {
  return { uid: spec.uid, noteUid: spec.noteUid, content: cardJson(spec) };
}

/**
 * The largest database a filling write takes out of WAL mode. A new database, migrated, with the built-in decks, is
 * well under it; one with a collection in it is far over, and readers of such a file must not wait for an import.
 */
const FILLING_MAX_BYTES = 8 * 2 ** 20;
/** Rows (cards, answers, sync rows) from which a write into such a database is worth the switch. */
const FILLING_MIN_ROWS = 20_000;

/**
 * Sets the journal mode if no other connection holds the database, without waiting for one: true if it is set.
 * Either way needs the file to itself, and a busy timeout of 10 s would make an import wait for a reader.
 */
function switchJournal(db: Db, mode: 'delete' | 'wal'): boolean {
  try {
    return withoutWaiting(db, () => String(db.pragma(`journal_mode = ${mode}`, { simple: true })).toLowerCase() === mode);
  } catch {
    return false;
  }
}

/** Runs `fn` with no busy timeout: a lock another connection holds fails at once instead of being waited for. */
function withoutWaiting<T>(db: Db, fn: () => T): T {
  const timeout = db.pragma('busy_timeout', { simple: true }) as number;
  db.pragma('busy_timeout = 0');
  try {
    return fn();
  } finally {
    db.pragma(`busy_timeout = ${timeout}`);
  }
}

/**
 * How often a study session folds the write-ahead log back into the database (a PASSIVE checkpoint, between
 * answers), and the room it reserves in the log file for that. An answer's commit fsyncs the log; when the log file
 * has to grow for it, ext4 must also journal the new size and allocate blocks, and that fsync costs about half as
 * much again, with a long tail (answer p99 1.0-1.6 ms against 0.8-0.9). With the room already written and synced,
 * and the log restarted from its start by each fold, commits only overwrite. The first commit after a fold writes
 * and syncs the log's header too (two fsyncs: p50 ~0.8 ms), so folds are rare enough for those commits to stay
 * under 1% of answers: 256 answers of ~20 pages (4 KB each) are ~21 MB of log. The room is reserved 8 MB at a time,
 * every 64 cards (~5 MB of log), so that no single step holds up a card for long.
 */
const LOG_FOLD_ANSWERS = 256;
const LOG_RESERVE_EVERY = 64;
const LOG_RESERVE_STEP = 8 * 1024 * 1024;
const LOG_RESERVE_MAX = 24 * 1024 * 1024;

/**
 * Extends the write-ahead log file with zeros up to `bytes`, synced. Safe because SQLite reads the log only up to
 * the last frame its index (or recovery, checking each frame's salt and checksum) says is valid, and reuses a log
 * file larger than that, as it does with `journal_size_limit` unset. The write lock is held throughout, so no other
 * connection appends frames where the zeros go; if another holds it, or anything fails, nothing is reserved and
 * answers grow the log as before. Opening and closing a second descriptor on the -wal file is harmless to SQLite's
 * locks: closing a descriptor drops the process's POSIX locks on that file only, and SQLite locks the database and
 * the -shm file, never the -wal.
 */
function reserveLog(db: Db, dbPath: string, bytes: number): void {
  try {
    withoutWaiting(db, () => db.exec('BEGIN IMMEDIATE'));
  } catch {
    return;
  }
  try {
    // SQLite follows a symlinked database to the real file and keeps its log beside that one.
    const walPath = `${realpathSync(dbPath)}-wal`;
    const size = statSync(walPath).size;
    if (size >= bytes) return;
    const fd = openSync(walPath, 'r+');
    try {
      // Only a log: empty, or starting with a log header's magic number (0x377f0682 or 0x377f0683).
      const head = Buffer.alloc(4);
      if (size > 0 && (readSync(fd, head, 0, 4, 0) !== 4 || (head.readUInt32BE(0) & 0xfffffffe) !== 0x377f0682)) return;
      const chunk = Buffer.alloc(1 << 20);
      for (let at = size; at < bytes; at += chunk.length) writeSync(fd, chunk, 0, Math.min(chunk.length, bytes - at), at);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // no room on the disk, or no log file: nothing reserved
  } finally {
    db.exec('COMMIT');
  }
}
