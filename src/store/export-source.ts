import type { CardState, Rating, Schedule } from '../core/types.js';
import type { ExportReview } from '../exporters/anki.js';
import type { Db } from './db.js';

// Reads what an export to Anki needs from a recall database: decks, their cards with schedules, and the log (rows
// not undone). Cards removed from their deck file are left out, as every other export does.

export interface ExportDeckRow { id: number; name: string; description: string }

export interface ExportCardSource {
  id: number;
  deckId: number;
  uid: string;
  noteUid: string;
  contentJson: string;
  position: number;
  suspended: boolean;
  buriedUntil: number | null;
  createdAt: number;
  updatedAt: number;
  schedule: Schedule | null;
}

export interface ExportSource {
  decks: ExportDeckRow[];
  /** In deck order (position, then id). */
  cards: ExportCardSource[];
  /** Each card's log, chronological. */
  reviews: Map<number, ExportReview[]>;
}

/** A card row as read (`.raw()`: row objects with twenty named columns cost twice as much to build). */
type RawExportCard = [
  id: number, deckId: number, uid: string, noteUid: string, contentJson: string, position: number, suspended: number,
  buriedUntil: number | null, createdAt: number, updatedAt: number, state: CardState | null, due: number | null,
  stability: number, difficulty: number, elapsedDays: number, scheduledDays: number, learningSteps: number, reps: number,
  lapses: number, lastReview: number | null,
];

/** `deckIds` null = every deck. Ids are integers from the database, so they are inlined. */
export function readExportSource(db: Db, deckIds: readonly number[] | null): ExportSource {
  const inDecks = (column: string) => (deckIds === null ? '' : `AND ${column} IN (${deckIds.map((id) => Math.trunc(id)).join(',') || 'NULL'})`);
  const decks = db.prepare(`SELECT id, name, description FROM decks WHERE 1 ${inDecks('id')} ORDER BY name`).all() as ExportDeckRow[];
  const rows = db
    .prepare(
      `SELECT c.id, c.deck_id, c.uid, c.note_uid, c.content, c.position, c.suspended, c.buried_until, c.created_at,
         c.updated_at, s.state, s.due, s.stability, s.difficulty, s.elapsed_days, s.scheduled_days, s.learning_steps, s.reps,
         s.lapses, s.last_review
       FROM cards c LEFT JOIN schedules s ON s.card_id = c.id
       WHERE c.removed = 0 ${inDecks('c.deck_id')}
       ORDER BY c.deck_id, c.position, c.id`,
    )
    .raw()
    .all() as RawExportCard[];
  const cards = rows.map(
    ([id, deckId, uid, noteUid, contentJson, position, suspended, buriedUntil, createdAt, updatedAt, state, due, stability, difficulty,
      elapsedDays, scheduledDays, learningSteps, reps, lapses, lastReview]): ExportCardSource => ({
      id, deckId, uid, noteUid, contentJson, position, suspended: suspended === 1, buriedUntil, createdAt, updatedAt,
      schedule:
        state === null || due === null
          ? null
          : { state, due, stability, difficulty, elapsedDays, scheduledDays, learningSteps, reps, lapses, lastReview },
    }),
  );
  const reviews = new Map<number, ExportReview[]>();
  const stmt = db
    .prepare(
      `SELECT card_id, reviewed_at, rating, state_before, state_after, due, difficulty, scheduled_days, duration_ms, scheduled,
         source_state, day
       FROM reviews
       WHERE undone_at IS NULL AND card_id IN (SELECT id FROM cards WHERE removed = 0 ${inDecks('deck_id')})
       ORDER BY card_id, reviewed_at, id`,
    )
    .raw();
  type Raw = [cardId: number, reviewedAt: number, rating: Rating, stateBefore: CardState, stateAfter: CardState, due: number, difficulty: number,
    scheduledDays: number, durationMs: number, scheduled: number, sourceState: number | null, day: number];
  for (const r of stmt.iterate() as IterableIterator<Raw>) {
    let list = reviews.get(r[0]);
    if (!list) reviews.set(r[0], (list = []));
    list.push({
      reviewedAt: r[1], rating: r[2], stateBefore: r[3], stateAfter: r[4], due: r[5], difficulty: r[6], scheduledDays: r[7],
      durationMs: r[8], scheduled: r[9] === 1, sourceState: r[10], day: r[11],
    });
  }
  return { decks, cards, reviews };
}
