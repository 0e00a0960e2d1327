// Builds small Anki collections (schema 11: JSON note types and decks in `col`) for tests, including damaged and
// hostile ones: the column types are left open so a test can store NULLs, blobs or text where Anki writes numbers.
import Database from 'better-sqlite3';
import { readFileSync } from 'node:fs';
import { zipSync } from 'fflate';

export const BASIC_MID = 1_600_000_000_000;
export const DECK_ID = 1;

export interface CollectionSpec {
  /** Replaces the notes table's definition (e.g. with a generated column), or makes `notes` a view. */
  notesSql?: string;
  notes?: { id: unknown; guid: unknown; mid?: unknown; tags?: unknown; flds: unknown }[];
  cards?: { id: unknown; nid: unknown; ord?: unknown; did?: unknown; queue?: unknown }[];
  revlog?: { id: unknown; cid: unknown; ease: unknown; ivl?: unknown; time?: unknown; type?: unknown; factor?: unknown }[];
  /** Replaces the note types JSON (`col.models`). */
  models?: string;
  decks?: string;
  extraSql?: string;
}

export const MODELS = JSON.stringify({
  [BASIC_MID]: {
    id: BASIC_MID, name: 'Basic', type: 0,
    flds: [{ name: 'Front', ord: 0 }, { name: 'Back', ord: 1 }],
    tmpls: [{ name: 'Card 1', ord: 0, qfmt: '{{Front}}', afmt: '{{FrontSide}}<hr id=answer>{{Back}}' }],
  },
});
export const DECKS = JSON.stringify({ [DECK_ID]: { id: DECK_ID, name: 'Fixture', desc: '' } });

/** Writes an .anki2 collection to `path`. */
export function makeCollection(path: string, spec: CollectionSpec = {}): void {
  const db = new Database(path);
  db.exec(`
    CREATE TABLE col (id integer primary key, crt, mod, scm, ver, dty, usn, ls, conf, models, decks, dconf, tags);
    ${spec.notesSql ?? 'CREATE TABLE notes (id integer primary key, guid, mid, mod, usn, tags, flds, sfld, csum, flags, data);'}
    CREATE TABLE cards (id integer primary key, nid, did, ord, mod, usn, type, queue, due, ivl, factor, reps, lapses, left, odue, odid, flags, data);
    CREATE TABLE revlog (id integer primary key, cid, usn, ease, ivl, lastIvl, factor, time, type);
    ${spec.extraSql ?? ''}
  `);
  db.prepare('INSERT INTO col VALUES (1, 1600000000, 0, 0, 11, 0, 0, 0, ?, ?, ?, ?, ?)').run(
    JSON.stringify({ schedVer: 2, rollover: 4 }), spec.models ?? MODELS, spec.decks ?? DECKS, '{}', '{}',
  );
  const isView = /create\s+view\s+notes\b/i.test(spec.notesSql ?? '');
  const generated = /generated/i.test(spec.notesSql ?? '');
  const note = isView ? null : generated
    ? db.prepare('INSERT INTO notes (id, guid, mid, mod, usn, tags, sfld, csum, flags, data) VALUES (?, ?, ?, 0, 0, ?, 0, 0, 0, \'\')')
    : db.prepare('INSERT INTO notes VALUES (?, ?, ?, 0, 0, ?, ?, 0, 0, 0, \'\')');
  for (const n of spec.notes ?? []) {
    if (!note) break;
    if (generated) note.run(n.id, n.guid, n.mid ?? BASIC_MID, n.tags ?? '');
    else note.run(n.id, n.guid, n.mid ?? BASIC_MID, n.tags ?? '', n.flds);
  }
  const card = db.prepare('INSERT INTO cards VALUES (?, ?, ?, ?, 0, 0, 0, ?, 0, 0, 0, 0, 0, 0, 0, 0, 0, \'\')');
  for (const c of spec.cards ?? []) card.run(c.id, c.nid, c.did ?? DECK_ID, c.ord ?? 0, c.queue ?? 0);
  const rev = db.prepare('INSERT INTO revlog VALUES (?, ?, 0, ?, ?, 0, ?, ?, ?)');
  for (const r of spec.revlog ?? []) rev.run(r.id, r.cid, r.ease, r.ivl ?? 1, r.factor ?? 2500, r.time ?? 5000, r.type ?? 0);
  db.close();
}

/** The same collection as an .apkg (a zip holding collection.anki2). */
export function apkgOf(anki2: string): Buffer {
  return Buffer.from(zipSync({ 'collection.anki2': new Uint8Array(readFileSync(anki2)), media: new TextEncoder().encode('{}') }));
}

/**
 * A zstd frame without a declared content size made of RLE blocks: `blocks` x 128 KiB of `byte` from a few
 * bytes per block (the 256-byte package). `head` (raw bytes, e.g. an SQLite header) comes first.
 */
export function zstdRleBomb(blocks: number, byte = 0, head?: Uint8Array): Uint8Array {
  const parts: number[] = [0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x38]; // magic; no size, not single-segment; 128 KiB window
  const block = (type: number, size: number, last: boolean) => {
    const h = (size << 3) | (type << 1) | (last ? 1 : 0);
    parts.push(h & 0xff, (h >> 8) & 0xff, (h >> 16) & 0xff);
  };
  if (head) {
    block(0, head.length, false);
    parts.push(...head);
  }
  for (let i = 0; i < blocks; i++) {
    block(1, 131072, i === blocks - 1);
    parts.push(byte);
  }
  return Uint8Array.from(parts);
}
