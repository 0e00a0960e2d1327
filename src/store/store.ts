import { nanoid } from 'nanoid';
import type { Db } from './db.js';
import { openDb } from './db.js';
import { cardContentJson } from '../decks/match.js';
import type { CardContent, CardExtras, CardSpec, CardState, Rating, ReviewEntry, ReviewKind, Schedule } from '../core/types.js';

export interface DeckRow {
  id: number;
  name: string;
  description: string;
  source: string;
  origin: 'builtin' | 'file' | 'anki';
  path: string | null;
  fileHash: string | null;
}

export interface DeckCounts {
  name: string;
  new: number;
  learning: number;
  due: number;
  suspended: number;
  total: number;
}

/** A card with what studying it needs. */
export interface StudyCard {
  id: number;
  deckId: number;
  deckName: string;
  uid: string;
  noteUid: string;
  content: CardContent & CardExtras;
  schedule: Schedule | null;
  suspended: boolean;
  buriedUntil: number | null;
  position: number;
}

/** A review-log row as stored: the entry plus its row id and study day. */
export interface ReviewRow extends ReviewEntry {
  id: number;
  answer: string | null;
  sourceKey: string | null;
  attemptId: number | null;
  day: number;
}

export interface AnswerInput {
  cardId: number;
  rating: Rating;
  stateBefore: CardState;
  /** The schedule after the answer; for answers that do not reschedule (quiz), the unchanged one. */
  schedule: Schedule | null;
  elapsedDays: number;
  reviewedAt: number;
  durationMs: number;
  kind: ReviewKind;
  scheduled: boolean;
  day: number;
  answer?: string | null;
  attemptId?: number | null;
  /** The card's schedule as the caller saw it; if another session changed it since, the answer is refused. */
  expectedLastReview?: number | null;
}

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

export type Store = ReturnType<typeof createStore>;

export function openStore(path: string, opts: { now?: number } = {}): Store {
  return createStore(openDb(path, opts));
}

/** Repositories over one connection. Statements are prepared once; every write that belongs together is one transaction. */
export function createStore(db: Db) {
  const stmt = {
    getSetting: db.prepare('SELECT value FROM settings WHERE key = ?').pluck(),
    allSettings: db.prepare('SELECT key, value FROM settings'),
    setSetting: db.prepare('INSERT INTO settings(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value'),
    deleteSetting: db.prepare('DELETE FROM settings WHERE key = ?'),
    deckByName: db.prepare('SELECT id, name, description, source, origin, path, file_hash AS fileHash FROM decks WHERE name = ?'),
    decks: db.prepare('SELECT id, name, description, source, origin, path, file_hash AS fileHash FROM decks ORDER BY name'),
    insertDeck: db.prepare('INSERT INTO decks(name, description, source, origin, path, file_hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)'),
    updateDeck: db.prepare('UPDATE decks SET description = ?, source = ?, origin = ?, path = ?, file_hash = ? WHERE id = ?'),
    insertCard: db.prepare(
      'INSERT INTO cards(deck_id, uid, note_uid, type, content, position, suspended, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    updateCard: db.prepare(
      'UPDATE cards SET uid = ?, note_uid = ?, type = ?, content = ?, position = ?, removed = 0, suspended = CASE WHEN removed = 1 THEN 0 ELSE suspended END, updated_at = ? WHERE id = ?',
    ),
    touchCardPosition: db.prepare('UPDATE cards SET position = ? WHERE id = ?'),
    removeCard: db.prepare('UPDATE cards SET removed = 1, suspended = 1, updated_at = ? WHERE id = ?'),
    cardsOfDeck: db.prepare('SELECT id, uid, note_uid AS noteUid, content, removed FROM cards WHERE deck_id = ?'),
    upsertSchedule: db.prepare(
      `INSERT INTO schedules(card_id, ${scheduleCols}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(card_id) DO UPDATE SET state = excluded.state, due = excluded.due, stability = excluded.stability,
         difficulty = excluded.difficulty, elapsed_days = excluded.elapsed_days, scheduled_days = excluded.scheduled_days,
         learning_steps = excluded.learning_steps, reps = excluded.reps, lapses = excluded.lapses, last_review = excluded.last_review`,
    ),
    deleteSchedule: db.prepare('DELETE FROM schedules WHERE card_id = ?'),
    lastReviewOf: db.prepare('SELECT last_review FROM schedules WHERE card_id = ?').pluck(),
    insertReview: db.prepare(
      `INSERT INTO reviews(uid, card_id, rating, state_before, state_after, due, stability, difficulty, elapsed_days,
         scheduled_days, reviewed_at, duration_ms, kind, scheduled, answer, source_key, attempt_id, day)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    bumpDaily: db.prepare(
      `INSERT INTO daily(day, deck_id, reviews, again, duration_ms, new_cards) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT(day, deck_id) DO UPDATE SET reviews = reviews + excluded.reviews, again = again + excluded.again,
         duration_ms = duration_ms + excluded.duration_ms, new_cards = new_cards + excluded.new_cards`,
    ),
    deckOfCard: db.prepare('SELECT deck_id FROM cards WHERE id = ?').pluck(),
    cardLog: db.prepare(
      `SELECT id, uid, card_id AS cardId, rating, state_before AS stateBefore, state_after AS stateAfter, due, stability,
         difficulty, elapsed_days AS elapsedDays, scheduled_days AS scheduledDays, reviewed_at AS reviewedAt,
         duration_ms AS durationMs, kind, scheduled, answer, source_key AS sourceKey, attempt_id AS attemptId, day
       FROM reviews WHERE card_id = ? AND undone_at IS NULL ORDER BY reviewed_at, id`,
    ),
    lastScheduledDay: db.prepare('SELECT day FROM reviews WHERE card_id = ? AND scheduled = 1 AND undone_at IS NULL ORDER BY reviewed_at DESC, id DESC LIMIT 1').pluck(),
    cardDurations: db.prepare('SELECT duration_ms FROM reviews WHERE card_id = ? AND rating > 1 AND undone_at IS NULL ORDER BY reviewed_at DESC LIMIT 10').pluck(),
    typeDurations: db.prepare(
      `SELECT r.duration_ms FROM reviews r JOIN cards c ON c.id = r.card_id
       WHERE c.deck_id = ? AND c.type = ? AND r.rating > 1 AND r.undone_at IS NULL ORDER BY r.id DESC LIMIT 50`,
    ).pluck(),
    hasReviews: db.prepare('SELECT 1 FROM reviews WHERE card_id = ? LIMIT 1').pluck(),
    reviewById: db.prepare('SELECT id, card_id AS cardId, rating, state_before AS stateBefore, kind, scheduled, duration_ms AS durationMs, day, undone_at AS undoneAt FROM reviews WHERE id = ?'),
    markUndone: db.prepare('UPDATE reviews SET undone_at = ? WHERE id = ? AND undone_at IS NULL'),
    setSuspended: db.prepare('UPDATE cards SET suspended = ?, updated_at = ? WHERE id = ?'),
    setBuried: db.prepare('UPDATE cards SET buried_until = ? WHERE id = ?'),
    siblings: db.prepare('SELECT id FROM cards WHERE deck_id = ? AND note_uid = ? AND id != ?').pluck(),
    dailyDone: db.prepare('SELECT coalesce(sum(new_cards), 0) AS newDone, coalesce(sum(reviews - new_cards), 0) AS reviewsDone FROM daily WHERE day = ?'),
    nextDue: db.prepare(
      `SELECT min(s.due) FROM schedules s JOIN cards c ON c.id = s.card_id
       WHERE c.suspended = 0 AND s.state != 0 AND (c.buried_until IS NULL OR c.buried_until <= ?)`,
    ).pluck(),
  };

  const studyCardSelect = `
    SELECT c.id, c.deck_id AS deckId, d.name AS deckName, c.uid, c.note_uid AS noteUid, c.content, c.suspended,
      c.buried_until AS buriedUntil, c.position, s.state, s.due, s.stability, s.difficulty, s.elapsed_days,
      s.scheduled_days, s.learning_steps, s.reps, s.lapses, s.last_review
    FROM cards c JOIN decks d ON d.id = c.deck_id LEFT JOIN schedules s ON s.card_id = c.id`;
  const getCardStmt = db.prepare(`${studyCardSelect} WHERE c.id = ?`);

  const toStudyCard = (r: any): StudyCard => ({
    id: r.id,
    deckId: r.deckId,
    deckName: r.deckName,
    uid: r.uid,
    noteUid: r.noteUid,
    content: JSON.parse(r.content),
    schedule: toSchedule(r),
    suspended: r.suspended === 1,
    buriedUntil: r.buriedUntil,
    position: r.position,
  });

  const toReviewRow = (r: any): ReviewRow => ({ ...r, scheduled: r.scheduled === 1 });

  const store = {
    db,
    close(): void {
      // Answers skip automatic checkpoints (see db.ts); fold the WAL back in when a command ends, without waiting.
      try {
        if (!db.readonly) db.pragma('wal_checkpoint(PASSIVE)');
      } catch {
        // another connection is busy; the next close will do it
      }
      db.close();
    },
    transaction<T>(fn: () => T): T {
      return db.transaction(fn).immediate();
    },

    // settings: JSON values by key
    getSetting<T>(key: string): T | undefined {
      const v = stmt.getSetting.get(key) as string | undefined;
      return v === undefined ? undefined : (JSON.parse(v) as T);
    },
    allSettings(): Record<string, unknown> {
      const out: Record<string, unknown> = {};
      for (const r of stmt.allSettings.all() as { key: string; value: string }[]) out[r.key] = JSON.parse(r.value);
      return out;
    },
    setSetting(key: string, value: unknown): void {
      if (value === undefined) stmt.deleteSetting.run(key);
      else stmt.setSetting.run(key, JSON.stringify(value));
    },

    // decks
    deckByName(name: string): DeckRow | undefined {
      return stmt.deckByName.get(name) as DeckRow | undefined;
    },
    decks(): DeckRow[] {
      return stmt.decks.all() as DeckRow[];
    },
    upsertDeck(d: Omit<DeckRow, 'id'>, now: number): number {
      const existing = store.deckByName(d.name);
      if (existing) {
        stmt.updateDeck.run(d.description, d.source, d.origin, d.path, d.fileHash, existing.id);
        return existing.id;
      }
      return Number(stmt.insertDeck.run(d.name, d.description, d.source, d.origin, d.path, d.fileHash, now).lastInsertRowid);
    },
    deckCounts(now: number, dayEnd: number, deckId?: number): DeckCounts[] {
      // One ordered pass over the cards_counts index (no temp b-tree, no card rows, no schedule lookups), then the
      // few buried cards taken back out. 100k cards: ~17 ms, against ~130 ms joining schedules.
      type Group = { deckId: number; removed: number; suspended: number; state: number; n: number; dueSoon: number | null };
      const sql = `SELECT deck_id AS deckId, removed, suspended, state, count(*) AS n, sum(due < @dayEnd) AS dueSoon FROM cards`;
      const groupBy = 'GROUP BY deck_id, removed, suspended, state';
      const all = db.prepare(`${sql} ${groupBy}`).all({ dayEnd }) as Group[];
      const buried = db.prepare(`${sql} WHERE buried_until > @now ${groupBy}`).all({ dayEnd, now }) as Group[];
      const counts = new Map<number, DeckCounts>();
      for (const d of store.decks()) {
        if (deckId === undefined || d.id === deckId) counts.set(d.id, { name: d.name, new: 0, learning: 0, due: 0, suspended: 0, total: 0 });
      }
      const add = (g: Group, sign: 1 | -1) => {
        const c = counts.get(g.deckId);
        if (!c || g.removed === 1) return;
        if (sign === 1) c.total += g.n;
        if (g.suspended === 1) {
          if (sign === 1) c.suspended += g.n;
          return;
        }
        if (g.state === 0) c.new += sign * g.n;
        else if (g.state === 2) c.due += sign * (g.dueSoon ?? 0);
        else c.learning += sign * g.n;
      };
      for (const g of all) add(g, 1);
      for (const g of buried) add(g, -1);
      return [...counts.values()];
    },

    // cards
    cardsOfDeck(deckId: number): { id: number; uid: string; noteUid: string; contentJson: string; removed: boolean }[] {
      return (stmt.cardsOfDeck.all(deckId) as any[]).map((r) => ({ id: r.id, uid: r.uid, noteUid: r.noteUid, contentJson: r.content, removed: r.removed === 1 }));
    },
    insertCard(deckId: number, spec: CardSpec, position: number, now: number, suspended = false): number {
      return Number(stmt.insertCard.run(deckId, spec.uid, spec.noteUid, spec.content.type, cardJson(spec), position, suspended ? 1 : 0, now, now).lastInsertRowid);
    },
    updateCard(id: number, spec: CardSpec, position: number, now: number): void {
      stmt.updateCard.run(spec.uid, spec.noteUid, spec.content.type, cardJson(spec), position, now, id);
    },
    setPosition(id: number, position: number): void {
      stmt.touchCardPosition.run(position, id);
    },
    markRemoved(id: number, now: number): void {
      stmt.removeCard.run(now, id);
    },
    getCard(id: number): StudyCard | undefined {
      const r = getCardStmt.get(id);
      return r ? toStudyCard(r) : undefined;
    },
    /**
     * Cards a session may show: unsuspended, unburied, in the chosen decks; learning cards and reviews due before
     * `dayEnd`, and new cards in deck order (up to `newLimit`).
     */
    studyCards(opts: { deckIds: number[] | null; now: number; dayEnd: number; newLimit: number; reviewLimit: number }): StudyCard[] {
      const deckFilter = opts.deckIds ? `AND c.deck_id IN (${opts.deckIds.map(() => '?').join(',')})` : '';
      const ids = opts.deckIds ?? [];
      const base = `${studyCardSelect} WHERE c.suspended = 0 AND (c.buried_until IS NULL OR c.buried_until <= ?) ${deckFilter}`;
      // Learning and review cards have a schedule: an inner join lets SQLite walk the (state, due) index.
      const scheduled = base.replace('LEFT JOIN schedules', 'JOIN schedules');
      const learning = db.prepare(`${scheduled} AND s.state IN (1, 3) ORDER BY s.due`).all(opts.now, ...ids);
      const reviews = db.prepare(`${scheduled} AND s.state = 2 AND s.due < ? ORDER BY s.due LIMIT ?`).all(opts.now, ...ids, opts.dayEnd, opts.reviewLimit);
      const news = db.prepare(`${base} AND (s.state IS NULL OR s.state = 0) ORDER BY c.deck_id, c.position, c.id LIMIT ?`).all(opts.now, ...ids, opts.newLimit);
      return [...learning, ...reviews, ...news].map(toStudyCard);
    },
    doneOnDay(day: number): { newDone: number; reviewsDone: number } {
      return stmt.dailyDone.get(day) as { newDone: number; reviewsDone: number };
    },
    nextDue(now: number): number | null {
      return (stmt.nextDue.get(now) as number | null) ?? null;
    },

    // answers
    /**
     * Commits one answer: the log entry, the card's new schedule and the day's rollup, in one transaction.
     * Returns null when another session answered the card since the caller read it.
     */
    recordAnswer(a: AnswerInput): { reviewId: number; uid: string } | null {
      const run = db.transaction((): { reviewId: number; uid: string } | null => {
        if (a.expectedLastReview !== undefined) {
          const current = (stmt.lastReviewOf.get(a.cardId) as number | null | undefined) ?? null;
          if (current !== a.expectedLastReview) return null;
        }
        const uid = nanoid();
        const s = a.schedule;
        const info = stmt.insertReview.run(
          uid, a.cardId, a.rating, a.stateBefore, s?.state ?? 0, s?.due ?? a.reviewedAt, s?.stability ?? 0, s?.difficulty ?? 0,
          a.elapsedDays, s?.scheduledDays ?? 0, a.reviewedAt, Math.round(a.durationMs), a.kind, a.scheduled ? 1 : 0,
          a.answer ?? null, null, a.attemptId ?? null, a.day,
        );
        if (a.scheduled && s) stmt.upsertSchedule.run(...scheduleParams(a.cardId, s));
        if (a.scheduled && a.rating > 0) {
          const deckId = stmt.deckOfCard.get(a.cardId) as number;
          stmt.bumpDaily.run(a.day, deckId, 1, a.rating === 1 ? 1 : 0, Math.round(a.durationMs), a.stateBefore === 0 ? 1 : 0);
        }
        return { reviewId: Number(info.lastInsertRowid), uid };
      });
      return run.immediate();
    },
    /** Marks an answer undone and puts back the schedule `rebuilt` (the replay of what is left of the log). */
    undoAnswer(reviewId: number, rebuilt: Schedule | null, now: number): void {
      db.transaction(() => {
        const r = stmt.reviewById.get(reviewId) as any;
        if (!r || r.undoneAt !== null) return;
        stmt.markUndone.run(now, reviewId);
        if (r.scheduled === 1) {
          if (rebuilt) stmt.upsertSchedule.run(...scheduleParams(r.cardId, rebuilt));
          else stmt.deleteSchedule.run(r.cardId);
          if (r.rating > 0) {
            const deckId = stmt.deckOfCard.get(r.cardId) as number;
            stmt.bumpDaily.run(r.day, deckId, -1, r.rating === 1 ? -1 : 0, -r.durationMs, r.stateBefore === 0 ? -1 : 0);
          }
        }
      }).immediate();
    },
    /**
     * How long the learner usually takes on this card when they know it (median of its last right answers), else
     * on cards of its type in its deck; null while there is too little to go on.
     */
    typicalDuration(cardId: number, deckId: number, type: string): number | null {
      const median = (xs: number[]) => {
        const s = [...xs].sort((a, b) => a - b);
        return s[Math.floor(s.length / 2)]!;
      };
      const own = stmt.cardDurations.all(cardId) as number[];
      if (own.length >= 3) return median(own);
      const same = stmt.typeDurations.all(deckId, type) as number[];
      return same.length >= 5 ? median(same) : null;
    },
    hasReviews(cardId: number): boolean {
      return stmt.hasReviews.get(cardId) !== undefined;
    },
    /** Study day of the card's last answer that moved its schedule, as recorded then. */
    lastScheduledDay(cardId: number): number | undefined {
      return (stmt.lastScheduledDay.get(cardId) as number | undefined) ?? undefined;
    },
    cardLog(cardId: number): ReviewRow[] {
      return (stmt.cardLog.all(cardId) as any[]).map(toReviewRow);
    },
    setSchedule(cardId: number, s: Schedule | null): void {
      if (s) stmt.upsertSchedule.run(...scheduleParams(cardId, s));
      else stmt.deleteSchedule.run(cardId);
    },
    suspend(cardId: number, suspended: boolean, now: number): void {
      stmt.setSuspended.run(suspended ? 1 : 0, now, cardId);
    },
    bury(cardIds: number[], until: number | null): void {
      db.transaction(() => {
        for (const id of cardIds) stmt.setBuried.run(until, id);
      }).immediate();
    },
    siblingsOf(card: { id: number; deckId: number; noteUid: string }): number[] {
      return stmt.siblings.all(card.deckId, card.noteUid, card.id) as number[];
    },
    /**
     * Recomputes the per-day rollup from the log (after imports, or to repair it). Imported answers that did not
     * reschedule (Anki's cram reviews) were still answers given that day, so they count, as in Anki's own graphs.
     */
    rebuildDaily(): void {
      db.transaction(() => {
        db.exec('DELETE FROM daily');
        db.exec(`INSERT INTO daily(day, deck_id, reviews, again, duration_ms, new_cards)
          SELECT r.day, c.deck_id, count(*), sum(r.rating = 1), sum(r.duration_ms), sum(r.state_before = 0)
          FROM reviews r JOIN cards c ON c.id = r.card_id
          WHERE r.undone_at IS NULL AND r.rating > 0 AND (r.scheduled = 1 OR r.kind = 'import') GROUP BY r.day, c.deck_id`);
      }).immediate();
    },
  };
  return store;
}

/** The stored form of a card: the one the deck sync compares against, so they can never drift apart. */
export const cardJson = cardContentJson;
