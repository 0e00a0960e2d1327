import type { CardState, Rating, Schedule } from '../core/types.js';
import type { CardLog, ExportReview } from '../exporters/anki.js';
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
  /** A card's log, chronological (empty for a card without answers). */
  logOf(cardId: number): CardLog;
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
  const log = new ReviewColumns();
  const ranges = new Map<number, CardLog>();
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
  let card = Number.NaN;
  let start = 0;
  for (const r of stmt.iterate() as IterableIterator<Raw>) {
    if (r[0] !== card) {
      if (log.length > start) ranges.set(card, new ColumnLog(log, start, log.length - start));
      card = r[0];
      start = log.length;
    }
    log.push(r);
  }
  if (log.length > start) ranges.set(card, new ColumnLog(log, start, log.length - start));
  return { decks, cards, logOf: (cardId) => ranges.get(cardId) ?? NO_ANSWERS };
}

const NO_ANSWERS: CardLog = { length: 0, firstAt: null, all: () => [] };

/**
 * The log in columns, one typed array per field, grown by doubling. A million answers as objects were ~160 MB alive
 * plus the garbage of building them, most of an export's peak; in columns they are ~80 MB. Every field is NOT NULL
 * in the table but source_state, kept here as NaN for NULL.
 */
class ReviewColumns {
  length = 0;
  reviewedAt = new Float64Array(1024);
  due = new Float64Array(1024);
  difficulty = new Float64Array(1024);
  scheduledDays = new Float64Array(1024);
  durationMs = new Float64Array(1024);
  sourceState = new Float64Array(1024);
  day = new Float64Array(1024);
  // Whatever the database holds, as the objects had it: neither the states nor (in a REAL) the rating are bounded to
  // a byte by the table, and a log that arrived by sync is not checked again.
  rating = new Float64Array(1024);
  stateBefore = new Float64Array(1024);
  stateAfter = new Float64Array(1024);
  // Only 1 means scheduled.
  scheduled = new Uint8Array(1024);

  push(r: readonly [number, number, number, number, number, number, number, number, number, number, number | null, number]): void {
    if (this.length === this.reviewedAt.length) this.grow();
    const i = this.length++;
    this.reviewedAt[i] = r[1];
    this.rating[i] = r[2];
    this.stateBefore[i] = r[3];
    this.stateAfter[i] = r[4];
    this.due[i] = r[5];
    this.difficulty[i] = r[6];
    this.scheduledDays[i] = r[7];
    this.durationMs[i] = r[8];
    this.scheduled[i] = r[9] === 1 ? 1 : 0;
    this.sourceState[i] = r[10] ?? Number.NaN;
    this.day[i] = r[11];
  }

  private grow(): void {
    const twice = <T extends Float64Array | Uint8Array>(a: T): T => {
      const b = new (a.constructor as new (n: number) => T)(a.length * 2);
      b.set(a);
      return b;
    };
    this.reviewedAt = twice(this.reviewedAt);
    this.due = twice(this.due);
    this.difficulty = twice(this.difficulty);
    this.scheduledDays = twice(this.scheduledDays);
    this.durationMs = twice(this.durationMs);
    this.sourceState = twice(this.sourceState);
    this.day = twice(this.day);
    this.rating = twice(this.rating);
    this.stateBefore = twice(this.stateBefore);
    this.stateAfter = twice(this.stateAfter);
    this.scheduled = twice(this.scheduled);
  }
}

/** One card's answers: a range of the columns, built into objects when asked. */
class ColumnLog implements CardLog {
  constructor(
    private readonly cols: ReviewColumns,
    private readonly start: number,
    readonly length: number,
  ) {}

  get firstAt(): number {
    return this.cols.reviewedAt[this.start]!;
  }

  all(): ExportReview[] {
    const c = this.cols;
    const out: ExportReview[] = new Array(this.length);
    for (let k = 0; k < this.length; k++) {
      const i = this.start + k;
      const source = c.sourceState[i]!;
      out[k] = {
        reviewedAt: c.reviewedAt[i]!, rating: c.rating[i] as Rating, stateBefore: c.stateBefore[i] as CardState, stateAfter: c.stateAfter[i] as CardState,
        due: c.due[i]!, difficulty: c.difficulty[i]!, scheduledDays: c.scheduledDays[i]!, durationMs: c.durationMs[i]!,
        scheduled: c.scheduled[i] === 1, sourceState: Number.isNaN(source) ? null : source, day: c.day[i]!,
      };
    }
    return out;
  }
}
