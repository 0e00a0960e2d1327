import { sqlite, type Db } from './db.js';
import type { AnkiCardOut, AnkiCollection, AnkiNoteOut, AnkiRevlogColumns } from '../exporters/anki.js';

// Writes the rows of an Anki collection into a new SQLite file in Anki's schema 11: the tables and indexes of
// Anki's own `collection.anki21` (rslib/src/storage/schema11.sql), so Anki opens and upgrades it like one of its
// own. A small one (the placeholder) lives in memory and comes back as bytes; a whole collection is written to a
// scratch file the caller names and zips from there, so its pages are never held in memory twice (SQLite's and a
// copy of them as bytes: ~290 MB of an export's 1 GB peak for the bench collection).

const TABLES_11 = `
CREATE TABLE col (
  id integer PRIMARY KEY,
  crt integer NOT NULL,
  mod integer NOT NULL,
  scm integer NOT NULL,
  ver integer NOT NULL,
  dty integer NOT NULL,
  usn integer NOT NULL,
  ls integer NOT NULL,
  conf text NOT NULL,
  models text NOT NULL,
  decks text NOT NULL,
  dconf text NOT NULL,
  tags text NOT NULL
);
CREATE TABLE notes (
  id integer PRIMARY KEY,
  guid text NOT NULL,
  mid integer NOT NULL,
  mod integer NOT NULL,
  usn integer NOT NULL,
  tags text NOT NULL,
  flds text NOT NULL,
  -- integer affinity on purpose: numeric sort fields then sort as numbers, as in Anki
  sfld integer NOT NULL,
  csum integer NOT NULL,
  flags integer NOT NULL,
  data text NOT NULL
);
CREATE TABLE cards (
  id integer PRIMARY KEY,
  nid integer NOT NULL,
  did integer NOT NULL,
  ord integer NOT NULL,
  mod integer NOT NULL,
  usn integer NOT NULL,
  type integer NOT NULL,
  queue integer NOT NULL,
  due integer NOT NULL,
  ivl integer NOT NULL,
  factor integer NOT NULL,
  reps integer NOT NULL,
  lapses integer NOT NULL,
  left integer NOT NULL,
  odue integer NOT NULL,
  odid integer NOT NULL,
  flags integer NOT NULL,
  data text NOT NULL
);
CREATE TABLE revlog (
  id integer PRIMARY KEY,
  cid integer NOT NULL,
  usn integer NOT NULL,
  ease integer NOT NULL,
  ivl integer NOT NULL,
  lastIvl integer NOT NULL,
  factor integer NOT NULL,
  time integer NOT NULL,
  type integer NOT NULL
);
CREATE TABLE graves (
  usn integer NOT NULL,
  oid integer NOT NULL,
  type integer NOT NULL
);
`;

// Built after the rows are in: one sort per index instead of a B-tree insertion per row (and densely packed pages).
const INDEXES_11 = `
CREATE INDEX ix_notes_usn ON notes (usn);
CREATE INDEX ix_cards_usn ON cards (usn);
CREATE INDEX ix_revlog_usn ON revlog (usn);
CREATE INDEX ix_cards_nid ON cards (nid);
CREATE INDEX ix_cards_sched ON cards (did, queue, due);
CREATE INDEX ix_revlog_cid ON revlog (cid);
CREATE INDEX ix_notes_csum ON notes (csum);
`;

/**
 * The collection as SQLite bytes. `pageSize` 512 is what Anki uses for the small placeholder collection; ANALYZE
 * leaves the statistics tables Anki's own files carry.
 */
export function writeAnkiCollection(c: AnkiCollection, opts: { pageSize?: number } = {}): Buffer {
  const db = sqlite(':memory:');
  try {
    if (opts.pageSize) db.pragma(`page_size = ${Math.trunc(opts.pageSize)}`);
    fill(db, c);
    if (opts.pageSize) db.exec('VACUUM');
    return db.serialize();
  } finally {
    db.close();
  }
}

/**
 * The collection written to `file`, a new file the caller removes after use. It is scratch: its journal in memory
 * and no syncs (a crash leaves only the file, never a package made from half of it). Not `journal_mode = OFF`:
 * better-sqlite3's defensive mode refuses it and keeps a journal file, which a kill would leave behind.
 */
export function writeAnkiCollectionFile(c: AnkiCollection, file: string): void {
  const db = sqlite(file);
  try {
    db.pragma('journal_mode = MEMORY');
    db.pragma('synchronous = OFF');
    fill(db, c);
  } finally {
    db.close();
  }
}

function fill(db: Db, c: AnkiCollection): void {
  db.exec(TABLES_11);
  db.transaction(() => {
    db.prepare(
      'INSERT INTO col (id, crt, mod, scm, ver, dty, usn, ls, conf, models, decks, dconf, tags) VALUES (1, @crt, @mod, @scm, @ver, @dty, @usn, @ls, @conf, @models, @decks, @dconf, @tags)',
    ).run(c.col);
    insertRows(db, NOTES, c.notes);
    insertRows(db, CARDS, c.cards);
    insertRevlog(db, c.revlog);
    db.exec(INDEXES_11);
  })();
  db.exec('ANALYZE');
}

/** A table's columns, and how one row's values go into a parameter list (a named lookup per value costs more). */
interface TableSpec<T> {
  table: string;
  columns: readonly string[];
  put(row: T, v: unknown[], at: number): void;
}

const NOTES: TableSpec<AnkiNoteOut> = {
  table: 'notes',
  columns: ['id', 'guid', 'mid', 'mod', 'usn', 'tags', 'flds', 'sfld', 'csum', 'flags', 'data'],
  put(n, v, k) {
    v[k] = n.id; v[k + 1] = n.guid; v[k + 2] = n.mid; v[k + 3] = n.mod; v[k + 4] = n.usn; v[k + 5] = n.tags;
    v[k + 6] = n.flds; v[k + 7] = n.sfld; v[k + 8] = n.csum; v[k + 9] = n.flags; v[k + 10] = n.data;
  },
};

const CARDS: TableSpec<AnkiCardOut> = {
  table: 'cards',
  columns: ['id', 'nid', 'did', 'ord', 'mod', 'usn', 'type', 'queue', 'due', 'ivl', 'factor', 'reps', 'lapses', 'left', 'odue', 'odid', 'flags', 'data'],
  put(c, v, k) {
    v[k] = c.id; v[k + 1] = c.nid; v[k + 2] = c.did; v[k + 3] = c.ord; v[k + 4] = c.mod; v[k + 5] = c.usn;
    v[k + 6] = c.type; v[k + 7] = c.queue; v[k + 8] = c.due; v[k + 9] = c.ivl; v[k + 10] = c.factor; v[k + 11] = c.reps;
    v[k + 12] = c.lapses; v[k + 13] = c.left; v[k + 14] = c.odue; v[k + 15] = c.odid; v[k + 16] = c.flags; v[k + 17] = c.data;
  },
};

/** Rows per INSERT statement: one call into SQLite binds many rows. */
const BATCH = 64;

/**
 * Inserts rows in id order, so each lands at the end of its table's B-tree (the review log comes card by card, its
 * ids are answer times); BATCH rows to a statement.
 */
function insertRows<T extends { id: number }>(db: Db, spec: TableSpec<T>, rows: readonly T[]): void {
  const ordered = inIdOrder(rows);
  const width = spec.columns.length;
  const tuple = `(${spec.columns.map(() => '?').join(', ')})`;
  const sql = (n: number) => `INSERT INTO ${spec.table} (${spec.columns.join(', ')}) VALUES ${Array.from({ length: n }, () => tuple).join(', ')}`;
  const many = db.prepare(sql(BATCH));
  const values: unknown[] = new Array(width * BATCH);
  let i = 0;
  for (; i + BATCH <= ordered.length; i += BATCH) {
    for (let j = 0; j < BATCH; j++) spec.put(ordered[i + j]!, values, j * width);
    many.run(values);
  }
  if (i < ordered.length) {
    const one = db.prepare(sql(1));
    const row: unknown[] = new Array(width);
    for (; i < ordered.length; i++) {
      spec.put(ordered[i]!, row, 0);
      one.run(row);
    }
  }
}

/**
 * The review log, from its columns, in id order (its answers come card by card; their ids are answer times), BATCH
 * rows to a statement. `usn` is -1 for every row, written into the statement.
 */
function insertRevlog(db: Db, c: AnkiRevlogColumns): void {
  const order = idOrder(c.id, c.length);
  const sql = (n: number) =>
    `INSERT INTO revlog (id, cid, usn, ease, ivl, lastIvl, factor, time, type) VALUES ${Array.from({ length: n }, () => '(?, ?, -1, ?, ?, ?, ?, ?, ?)').join(', ')}`;
  const width = 8;
  const put = (v: unknown[], k: number, i: number) => {
    v[k] = c.id[i]; v[k + 1] = c.cid[i]; v[k + 2] = c.ease[i]; v[k + 3] = c.ivl[i]; v[k + 4] = c.lastIvl[i];
    v[k + 5] = c.factor[i]; v[k + 6] = c.time[i]; v[k + 7] = c.type[i];
  };
  const many = db.prepare(sql(BATCH));
  const values: unknown[] = new Array(width * BATCH);
  let i = 0;
  for (; i + BATCH <= c.length; i += BATCH) {
    for (let j = 0; j < BATCH; j++) put(values, j * width, order === null ? i + j : order[i + j]!);
    many.run(values);
  }
  if (i < c.length) {
    const one = db.prepare(sql(1));
    const row: unknown[] = new Array(width);
    for (; i < c.length; i++) {
      put(row, 0, order === null ? i : order[i]!);
      one.run(row);
    }
  }
}

/** Positions 0..length-1 ordered by `ids`; null when they are in order already. */
function idOrder(ids: Float64Array, length: number): Uint32Array | null {
  let sorted = true;
  for (let i = 1; i < length && sorted; i++) if (ids[i - 1]! > ids[i]!) sorted = false;
  if (sorted) return null;
  const order = new Uint32Array(length);
  for (let i = 0; i < length; i++) order[i] = i;
  return order.sort((a, b) => ids[a]! - ids[b]!);
}

/**
 * The rows sorted by id. Sorting a million row objects with a comparator took 1.7 s; sorting their positions by the
 * ids in a Float64Array takes a quarter of that.
 */
function inIdOrder<T extends { id: number }>(rows: readonly T[]): readonly T[] {
  const ids = new Float64Array(rows.length);
  let sorted = true;
  for (let i = 0; i < rows.length; i++) {
    ids[i] = rows[i]!.id;
    if (i > 0 && ids[i - 1]! > ids[i]!) sorted = false;
  }
  if (sorted) return rows;
  const order = new Uint32Array(rows.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  order.sort((a, b) => ids[a]! - ids[b]!);
  return Array.from(order, (i) => rows[i]!);
}
