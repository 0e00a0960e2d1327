import { sqlite, type Db } from './db.js';

// Reads the tables of an Anki collection as plain rows. The importer owns all interpretation; this module only
// exists because better-sqlite3 stays inside src/store. The caller passes a private temporary copy: Anki's
// own file is never opened.
//
// The file is hostile until proven otherwise. SQLite runs code on read for views and generated columns (a
// generated `flds` can build a 400 MB string per row, a recursive view never ends), so the schema is checked
// before any row is read: the tables recall reads must be plain tables without generated or hidden columns.
// Values come back as whatever type the file holds (the "loose" rows below); sizes are measured with
// octet_length, which SQLite answers from the record header, so an oversized value is never loaded. The two big
// tables (cards, and the review log: a million rows in a collection of years) are first scanned for an oversized
// value, which no file Anki wrote holds; when there is none they are read as they are (wrapping each value in a
// size check cost half the read), else value by value as the small tables are.

/** A value as SQLite returns it: the importer checks the type of every one it uses. */
export type Loose = number | bigint | string | Uint8Array | null;

export interface AnkiNoteRow {
  id: Loose; guid: Loose; mid: Loose; tags: Loose;
  /** NULL when the value is longer than `maxNoteBytes` (see `fldsBytes`). */
  flds: Loose;
  fldsBytes: number | null;
  /** Modification time, epoch seconds; and `data`, which Anki leaves empty and recall's own exports use (NULL when absent or too long). */
  mod: Loose; data: Loose;
}
export interface AnkiCardRow {
  id: Loose; nid: Loose; did: Loose; ord: Loose; type: Loose; queue: Loose; due: Loose; ivl: Loose;
  factor: Loose; reps: Loose; lapses: Loose; odid: Loose;
  /** Modification time, epoch seconds. */
  mod: Loose;
}
export interface AnkiRevlogRow {
  id: Loose; cid: Loose; ease: Loose; ivl: Loose; lastIvl: Loose; factor: Loose; time: Loose; type: Loose;
}

export interface AnkiRawCollection {
  /** `col.ver`: 11 for the legacy JSON-in-col layout, 15+ for separate tables. */
  ver: Loose;
  crt: Loose;
  /** Schema 11 JSON columns of `col` (NULL or empty in later schemas). */
  conf: Loose;
  models: Loose;
  decks: Loose;
  /** Schema 15+ tables; empty arrays for schema 11. Blobs are protobuf or JSON as Anki stores them. */
  config: { key: Loose; val: Loose }[];
  deckRows: { id: Loose; name: Loose }[];
  notetypeRows: { id: Loose; name: Loose; config: Loose }[];
  fieldRows: { ntid: Loose; ord: Loose; name: Loose }[];
  templateRows: { ntid: Loose; ord: Loose; name: Loose; config: Loose }[];
  notes: AnkiNoteRow[];
  cards: AnkiCardRow[];
}

/** The file is an SQLite database, but not one shaped like an Anki collection (or shaped to attack a reader). */
export class AnkiSchemaError extends Error {}

/** JSON settings, note types and templates are small; a value beyond this is refused rather than loaded. */
const MAX_META_BYTES = 32 * 2 ** 20;

const REQUIRED = ['col', 'notes', 'cards', 'revlog'] as const;
const OPTIONAL = ['config', 'decks', 'notetypes', 'fields', 'templates'] as const;

/**
 * Called with each review-log row, in the table's order (Anki's: by id, i.e. time). The object is reused for the next
 * row: copy what you keep. A million rows held as objects cost more in garbage collection than reading them.
 */
export type OnRevlogRow = (row: AnkiRevlogRow) => void;

const REVLOG_COLUMNS = ['id', 'cid', 'ease', 'ivl', 'lastIvl', 'factor', 'time', 'type'] as const;
const CARD_COLUMNS = ['id', 'nid', 'did', 'ord', 'type', 'queue', 'due', 'ivl', 'factor', 'reps', 'lapses', 'odid', 'mod'] as const;
/** Numbers are short; a column that should hold one but holds a longer text or blob reads as NULL. */
const MAX_NUMBER_BYTES = 64;

/**
 * Opens `path` read-only and returns the rows of every table but the review log, which readAnkiRevlog reads (on
 * another thread, meanwhile): `onChecked` is called as soon as the schema has passed the checks below, before any row
 * is read. Throws AnkiSchemaError or the driver's error.
 */
export function readAnkiSqlite(path: string, opts: { maxNoteBytes: number; onChecked: () => void }): AnkiRawCollection {
  const db = sqlite(path, { readonly: true, fileMustExist: true });
  try {
    // Functions marked unsafe may not run from the schema; a second belt besides the checks below.
    db.pragma('trusted_schema = OFF');
    const objects = db.prepare('SELECT type, name, sql FROM sqlite_master').all() as { type: unknown; name: unknown; sql: unknown }[];
    const kindOf = (t: string) => objects.find((o) => typeof o.name === 'string' && o.name.toLowerCase() === t);
    const present = new Set<string>();
    // Columns of notes beyond the ones every schema has: `mod` and `data` are read when present (only the export uses them).
    const noteColumns = new Set<string>();
    for (const t of [...REQUIRED, ...OPTIONAL]) {
      const o = kindOf(t);
      if (!o) {
        if ((REQUIRED as readonly string[]).includes(t)) throw new AnkiSchemaError(`it has no ${t} table`);
        continue;
      }
      if (o.type !== 'table') throw new AnkiSchemaError(`its ${t} is a ${String(o.type)}, not a table`);
      if (typeof o.sql === 'string' && /^\s*create\s+virtual\b/i.test(o.sql)) throw new AnkiSchemaError(`its ${t} is a virtual table`);
      // hidden: 0 normal, 1 hidden (virtual tables), 2 and 3 generated columns.
      const cols = db.prepare(`SELECT name, hidden FROM pragma_table_xinfo(?)`).all(t) as { name: string; hidden: number }[];
      const generated = cols.find((c) => c.hidden !== 0);
      if (generated) throw new AnkiSchemaError(`its column ${t}.${generated.name} is computed, not stored`);
      if (t === 'notes') for (const c of cols) noteColumns.add(c.name.toLowerCase());
      present.add(t);
    }
    const oversized = (table: string, cols: string[]) => {
      const n = db.prepare(`SELECT count(*) FROM ${table} WHERE ${cols.map((c) => `octet_length(${c}) > ${MAX_META_BYTES}`).join(' OR ')}`).pluck().get() as number;
      if (n > 0) throw new AnkiSchemaError(`its ${table} table holds values larger than ${MAX_META_BYTES / 2 ** 20} MiB`);
    };
    oversized('col', ['conf', 'models', 'decks']);
    const col = db.prepare(`SELECT ver, crt, conf, models, decks FROM col LIMIT 1`).get() as
      | { ver: Loose; crt: Loose; conf: Loose; models: Loose; decks: Loose }
      | undefined;
    if (!col) throw new AnkiSchemaError('its col table is empty');
    const has = (t: string) => present.has(t);
    if (has('config')) oversized('config', ['val']);
    if (has('notetypes')) oversized('notetypes', ['config', 'name']);
    if (has('templates')) oversized('templates', ['config', 'name']);
    if (has('decks')) oversized('decks', ['name']);
    if (has('fields')) oversized('fields', ['name']);
    opts.onChecked();
    return {
      ver: col.ver,
      crt: col.crt,
      conf: col.conf,
      models: col.models,
      decks: col.decks,
      config: has('config') ? (db.prepare('SELECT KEY AS key, val FROM config').all() as AnkiRawCollection['config']) : [],
      deckRows: has('decks') ? (db.prepare('SELECT id, name FROM decks').all() as AnkiRawCollection['deckRows']) : [],
      notetypeRows: has('notetypes') ? (db.prepare('SELECT id, name, config FROM notetypes').all() as AnkiRawCollection['notetypeRows']) : [],
      fieldRows: has('fields') ? (db.prepare('SELECT ntid, ord, name FROM fields ORDER BY ntid, ord').all() as AnkiRawCollection['fieldRows']) : [],
      templateRows: has('templates')
        ? (db.prepare('SELECT ntid, ord, name, config FROM templates ORDER BY ntid, ord').all() as AnkiRawCollection['templateRows'])
        : [],
      notes: db
        .prepare(
          `SELECT ${nums(['id'])}, ${capped('guid', 1024)} AS guid, ${nums(['mid'])}, ${capped('tags', opts.maxNoteBytes)} AS tags,
             ${capped('flds', opts.maxNoteBytes)} AS flds, octet_length(flds) AS fldsBytes,
             ${noteColumns.has('mod') ? nums(['mod']) : '0 AS mod'}, ${noteColumns.has('data') ? `${capped('data', opts.maxNoteBytes)} AS data` : 'NULL AS data'}
           FROM notes ORDER BY id`,
        )
        .all() as AnkiNoteRow[],
      cards: db.prepare(`SELECT ${numsOrPlain(db, 'cards', CARD_COLUMNS)} FROM cards ORDER BY nid, ord, id`).all() as AnkiCardRow[],
    };
  } finally {
    db.close();
  }
}

const capped = (col: string, max = MAX_META_BYTES) => `CASE WHEN octet_length(${col}) > ${max} THEN NULL ELSE ${col} END`;
const nums = (cols: readonly string[]) => cols.map((c) => `${capped(c, MAX_NUMBER_BYTES)} AS ${c}`).join(', ');
/** The columns as they are when no value in them is longer than a number can be (one scan of the sizes), else capped. */
function numsOrPlain(db: Db, table: string, cols: readonly string[]): string {
  const long = db.prepare(`SELECT EXISTS (SELECT 1 FROM ${table} WHERE ${cols.map((c) => `octet_length(${c}) > ${MAX_NUMBER_BYTES}`).join(' OR ')})`).pluck().get();
  return long ? nums(cols) : cols.map((c) => `${c} AS ${c}`).join(', ');
}

/**
 * Reads the review log of a collection whose schema readAnkiSqlite has checked (its `onChecked`), on a connection of
 * its own, so that another thread can read the other tables meanwhile; returns how many rows there were.
 */
export function readAnkiRevlog(path: string, onRow: OnRevlogRow): number {
  const db = sqlite(path, { readonly: true, fileMustExist: true });
  try {
    db.pragma('trusted_schema = OFF');
    // One object for every row: see OnRevlogRow.
    const row: AnkiRevlogRow = { id: null, cid: null, ease: null, ivl: null, lastIvl: null, factor: null, time: null, type: null };
    let n = 0;
    for (const v of db.prepare(`SELECT ${numsOrPlain(db, 'revlog', REVLOG_COLUMNS)} FROM revlog`).raw().iterate() as IterableIterator<Loose[]>) {
      row.id = v[0]!;
      row.cid = v[1]!;
      row.ease = v[2]!;
      row.ivl = v[3]!;
      row.lastIvl = v[4]!;
      row.factor = v[5]!;
      row.time = v[6]!;
      row.type = v[7]!;
      onRow(row);
      n++;
    }
    return n;
  } finally {
    db.close();
  }
}
