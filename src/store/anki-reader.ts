import Database from 'better-sqlite3';

// Reads the tables of an Anki collection as plain rows. The importer owns all interpretation; this module only
// exists because better-sqlite3 stays inside src/store. The caller passes a private temporary copy: Anki's
// own file is never opened.

export interface AnkiNoteRow {
  id: number; guid: string; mid: number; tags: string; flds: string; sfld: string | number;
  /** Modification time, epoch seconds; and `data`, which Anki leaves empty and recall's own exports use. */
  mod: number; data: string | null;
}
export interface AnkiCardRow {
  id: number; nid: number; did: number; ord: number; type: number; queue: number; due: number; ivl: number;
  factor: number; reps: number; lapses: number; odid: number;
}
export interface AnkiRevlogRow {
  id: number; cid: number; ease: number; ivl: number; lastIvl: number; factor: number; time: number; type: number;
}

export interface AnkiRawCollection {
  /** `col.ver`: 11 for the legacy JSON-in-col layout, 15+ for separate tables. */
  ver: number;
  crt: number;
  /** Schema 11 JSON columns of `col` (empty strings in later schemas). */
  conf: string;
  models: string;
  decks: string;
  /** Schema 15+ tables; empty arrays for schema 11. Blobs are protobuf or JSON as Anki stores them. */
  config: { key: string; val: Uint8Array }[];
  deckRows: { id: number; name: string }[];
  notetypeRows: { id: number; name: string; config: Uint8Array }[];
  fieldRows: { ntid: number; ord: number; name: string }[];
  templateRows: { ntid: number; ord: number; name: string; config: Uint8Array }[];
  notes: AnkiNoteRow[];
  cards: AnkiCardRow[];
  revlog: AnkiRevlogRow[];
}

function toBytes(v: unknown): Uint8Array {
  if (v instanceof Uint8Array) return v;
  if (typeof v === 'string') return new TextEncoder().encode(v);
  return new Uint8Array(0);
}

/** `mod` and `data` of notes, or stand-ins when a damaged collection lacks the columns (only the export uses them). */
function noteExtras(db: Database.Database): string {
  const cols = new Set((db.prepare('PRAGMA table_info(notes)').all() as { name: string }[]).map((c) => c.name.toLowerCase()));
  return `${cols.has('mod') ? 'mod' : '0 AS mod'}, ${cols.has('data') ? 'data' : 'NULL AS data'}`;
}

/** Opens `path` read-only and returns its rows; throws the driver's error for a file that is not a database. */
export function readAnkiSqlite(path: string): AnkiRawCollection {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const tables = new Set(
      (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as { name: string }[]).map((r) => r.name),
    );
    for (const t of ['col', 'notes', 'cards', 'revlog']) {
      if (!tables.has(t)) throw new Error(`missing table ${t}`);
    }
    const col = db.prepare('SELECT ver, crt, conf, models, decks FROM col LIMIT 1').get() as
      | { ver: number; crt: number; conf: string | null; models: string | null; decks: string | null }
      | undefined;
    if (!col) throw new Error('empty col table');
    const has = (t: string) => tables.has(t);
    return {
      ver: Number(col.ver),
      crt: Number(col.crt),
      conf: col.conf ?? '',
      models: col.models ?? '',
      decks: col.decks ?? '',
      config: has('config')
        ? (db.prepare('SELECT KEY AS key, val FROM config').all() as { key: string; val: unknown }[]).map((r) => ({ key: r.key, val: toBytes(r.val) }))
        : [],
      deckRows: has('decks') ? (db.prepare('SELECT id, name FROM decks').all() as { id: number; name: string }[]) : [],
      notetypeRows: has('notetypes')
        ? (db.prepare('SELECT id, name, config FROM notetypes').all() as { id: number; name: string; config: unknown }[]).map((r) => ({
            id: r.id, name: r.name, config: toBytes(r.config),
          }))
        : [],
      fieldRows: has('fields') ? (db.prepare('SELECT ntid, ord, name FROM fields ORDER BY ntid, ord').all() as AnkiRawCollection['fieldRows']) : [],
      templateRows: has('templates')
        ? (db.prepare('SELECT ntid, ord, name, config FROM templates ORDER BY ntid, ord').all() as { ntid: number; ord: number; name: string; config: unknown }[]).map(
            (r) => ({ ntid: r.ntid, ord: r.ord, name: r.name, config: toBytes(r.config) }),
          )
        : [],
      notes: db.prepare(`SELECT id, guid, mid, tags, flds, sfld, ${noteExtras(db)} FROM notes ORDER BY id`).all() as AnkiNoteRow[],
      cards: db
        .prepare('SELECT id, nid, did, ord, type, queue, due, ivl, factor, reps, lapses, odid FROM cards ORDER BY nid, ord, id')
        .all() as AnkiCardRow[],
      revlog: db.prepare('SELECT id, cid, ease, ivl, lastIvl, factor, time, type FROM revlog ORDER BY cid, id').all() as AnkiRevlogRow[],
    };
  } finally {
    db.close();
  }
}
