// Writes of an import: a collection of years is a million review rows in one transaction, so they go in several
// rows to a statement, under ids that need no random source and keep the unique indexes in order.
import type { Statement } from 'better-sqlite3';
import type { ImportedReview } from './api.js';
import type { Db } from './db.js';

export interface ImportStore {
  /**
   * Writes imported answers (the caller holds the transaction). An imported row's global uid is its source key
   * (`anki:<note guid>:<ord>:<revlog id>`): the same for every device that imports the same file, so their logs
   * merge into one row (docs/sync.md), and never one of the random ids recall's own rows get (those have no colon).
   */
  insertImportedReviews(rows: readonly ImportedReview[]): void;
  /**
   * Imported answers are written 32 to a statement, across cards (a card has a handful): the last few wait for
   * more until this writes them. Call it before reading the log; the store's transaction() calls it before it
   * commits, and drops what still waits when it rolls back.
   */
  flushImportedReviews(): void;
  /** Forgets the rows still waiting (their transaction failed). */
  discardImportedReviews(): void;
  /**
   * For an import about to write `rows` answers (the caller holds the transaction): when that is more than the log
   * holds already, the log's indexes that only reports read (per-day counts, true retention) are dropped now, and
   * the returned function builds them again, in one sorted pass each instead of a million inserts at random
   * places. If the transaction fails, the rollback brings them back as they were.
   */
  deferReportIndexes(rows: number): () => void;
}

/** Indexes of `reviews` no import reads (found by name, re-created from the definition the database holds). */
const REPORT_INDEXES = ['reviews_day'];
/** Below this many new rows, keeping the indexes up to date costs less than a second anyway. */
const DEFER_MIN_ROWS = 20_000;

/** Rows per statement: one statement step per batch instead of per row (15 values a row; SQLite allows 32766). */
const BATCH = 32;
const COLUMNS = `uid, card_id, rating, state_before, state_after, due, stability, difficulty, elapsed_days, scheduled_days,
  reviewed_at, duration_ms, kind, scheduled, answer, source_key, attempt_id, day, source_state, device`;
// source_key is left NULL: the uid is the source key already (SOURCE_KEY_SQL in migrations.ts reads it back). Writing the key
// twice cost a second unique index of ~50-byte text keys: a million b-tree inserts and ~100 MB more to write.
/** A row's values; the device is the same for every row, so it goes into the statement as text rather than bound a million times. */
const row = (device: string) => `(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'import', ?, NULL, NULL, NULL, ?, ?, '${device.replace(/'/g, "''")}')`;
const VALUES_PER_ROW = 15;

export function createImportStore(db: Db, sql: (text: string) => Statement<unknown[]>, deviceId: string): ImportStore {
  const statements = new Map<number, Statement<unknown[]>>();
  const ROW = row(deviceId);
  const insert = (n: number) => {
    let s = statements.get(n);
    if (!s) statements.set(n, (s = sql(`INSERT INTO reviews(${COLUMNS}) VALUES ${Array.from({ length: n }, () => ROW).join(', ')}`)));
    return s;
  };
  const values: unknown[] = [];
  /** Rows of the current transaction not written yet (fewer than a batch, but for a moment). */
  let waiting: ImportedReview[] = [];
  /** Writes `rows` from `start`, whole batches only unless `all`; returns where it stopped. */
  const write = (rows: readonly ImportedReview[], start: number, all: boolean): number => {
    for (; start < rows.length; start += BATCH) {
      const n = Math.min(BATCH, rows.length - start);
      if (n < BATCH && !all) break;
      values.length = n * VALUES_PER_ROW;
      let k = 0;
      for (let i = start; i < start + n; i++) {
        const r = rows[i]!;
        const s = r.schedule;
        values[k++] = r.sourceKey;
        values[k++] = r.cardId;
        values[k++] = r.rating;
        values[k++] = r.stateBefore;
        values[k++] = s?.state ?? 0;
        values[k++] = s?.due ?? r.reviewedAt;
        values[k++] = s?.stability ?? 0;
        values[k++] = s?.difficulty ?? 0;
        values[k++] = r.elapsedDays;
        values[k++] = s?.scheduledDays ?? 0;
        values[k++] = r.reviewedAt;
        values[k++] = Math.max(0, Math.round(r.durationMs));
        values[k++] = r.scheduled ? 1 : 0;
        values[k++] = r.day;
        values[k++] = r.sourceState;
      }
      insert(n).run(values);
    }
    return start;
  };
  const flush = () => {
    if (waiting.length === 0) return;
    const rest = waiting;
    waiting = [];
    write(rest, 0, true);
  };
  return {
    insertImportedReviews(rows) {
      for (const r of rows) waiting.push(r);
      if (waiting.length < BATCH) return;
      const rest = waiting;
      // Taken out before writing: rows are never written twice, whatever throws.
      waiting = [];
      const at = write(rest, 0, false);
      for (let i = at; i < rest.length; i++) waiting.push(rest[i]!);
    },
    flushImportedReviews: flush,
    discardImportedReviews() {
      waiting = [];
    },
    deferReportIndexes(rows) {
      if (rows < DEFER_MIN_ROWS) return () => {};
      // Rows are never deleted: the largest id is the size of the log, without counting it.
      const held = (sql('SELECT max(id) FROM reviews').pluck().get() as number | null) ?? 0;
      if (rows <= held) return () => {};
      const defs = REPORT_INDEXES.map((name) => sql("SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'reviews' AND name = ?").pluck().get(name) as string | undefined)
        .filter((d): d is string => typeof d === 'string');
      for (const name of REPORT_INDEXES) db.exec(`DROP INDEX IF EXISTS ${name}`);
      return () => {
        flush();
        for (const d of defs) db.exec(d);
      };
    },
  };
}
