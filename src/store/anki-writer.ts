import { sqlite } from './db.js';
import type { AnkiCollection } from '../exporters/anki.js';

// Writes the rows of an Anki collection into a new SQLite file in Anki's schema 11: the tables and indexes of
// Anki's own `collection.anki21` (rslib/src/storage/schema11.sql), so Anki opens and upgrades it like one of its
// own. The database lives in memory and comes back as bytes, ready to be zipped; nothing touches the disk here.

const SCHEMA_11 = `
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
    db.exec(SCHEMA_11);
    const insertCol = db.prepare(
      'INSERT INTO col (id, crt, mod, scm, ver, dty, usn, ls, conf, models, decks, dconf, tags) VALUES (1, @crt, @mod, @scm, @ver, @dty, @usn, @ls, @conf, @models, @decks, @dconf, @tags)',
    );
    const insertNote = db.prepare(
      'INSERT INTO notes (id, guid, mid, mod, usn, tags, flds, sfld, csum, flags, data) VALUES (@id, @guid, @mid, @mod, @usn, @tags, @flds, @sfld, @csum, @flags, @data)',
    );
    const insertCard = db.prepare(
      `INSERT INTO cards (id, nid, did, ord, mod, usn, type, queue, due, ivl, factor, reps, lapses, left, odue, odid, flags, data)
       VALUES (@id, @nid, @did, @ord, @mod, @usn, @type, @queue, @due, @ivl, @factor, @reps, @lapses, @left, @odue, @odid, @flags, @data)`,
    );
    const insertRevlog = db.prepare(
      'INSERT INTO revlog (id, cid, usn, ease, ivl, lastIvl, factor, time, type) VALUES (@id, @cid, @usn, @ease, @ivl, @lastIvl, @factor, @time, @type)',
    );
    db.transaction(() => {
      insertCol.run(c.col);
      for (const n of c.notes) insertNote.run(n);
      for (const card of c.cards) insertCard.run(card);
      for (const r of c.revlog) insertRevlog.run(r);
    })();
    db.exec('ANALYZE');
    if (opts.pageSize) db.exec('VACUUM');
    return db.serialize();
  } finally {
    db.close();
  }
}
