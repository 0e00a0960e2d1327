// The sync's side of a recall database: what this database has (high-water marks), its rows as they travel (global
// ids instead of local ones), and applying rows that arrive. Applying is idempotent and order-free: a row already
// present is skipped, an undo mark only ever goes from unset to set, decks' names and settings go to the later
// writer. The caller holds the transaction and re-derives the cards it is told about (app/log-sync.ts).
import type { Statement } from 'better-sqlite3';
import type { CardEventData } from '../core/card-events.js';
import { parseCopyRows } from '../core/copy-text.js';
import { REBUILD_DAILY_ALL, REBUILD_DAILY_DAYS } from './rollups.js';
import { SOURCE_KEY_SQL } from './migrations.js';
import {
  LOCAL_SETTING_KEYS, SYNC_KINDS, WIRE_FIELDS, ZERO_MARKS, emptyBatch, laterWrite, preferredBase, zeroCounts, type Marks, type SyncBatch, type SyncCounts, type SyncKind, type SyncPage, type WireCard, type WireDeck,
  type WireEvent, type WireReview, type WireSetting,
} from '../core/sync.js';

/** What applying rows changed, so the caller can re-derive exactly the cards concerned. */
export interface ApplyEffects {
  /** Rows new to this database (or whose undo mark / value arrived), by kind. */
  counts: SyncCounts;
  /** Cards whose events changed: flags, deck and content to derive again. */
  rederive: Set<number>;
  /** Cards whose scheduled log (or deck, so scheduler) changed: schedules to replay. */
  replay: Set<number>;
  /** Cards that received an edit event. */
  edited: Set<number>;
  /** Study days whose rollup changed. */
  days: Set<number>;
  /** Settings keys whose value changed. */
  settings: Set<string>;
  /** Cards created here by the merge, or whose content as created changed. */
  cards: Set<number>;
}

export function emptyEffects(): ApplyEffects {
  return { counts: zeroCounts(), rederive: new Set(), replay: new Set(), edited: new Set(), days: new Set(), settings: new Set(), cards: new Set() };
}

export interface SyncStore {
  /** This database's high-water marks, read in one statement (one snapshot). */
  syncMarks(): Marks;
  /** How many rows lie between two sets of marks (changed rows counted once per change). */
  countBetween(from: Marks, to: Marks): number;
  /**
   * This database's rows above `from` and up to `to`, one page at a time (each page its own short read), decks first,
   * then cards, events, reviews, settings. Rows created in the `skip` window (ours echoed back) are left out.
   */
  outgoing(from: Marks, to: Marks, opts?: { pageSize?: number; skip?: readonly [Marks, Marks]; copyText?: boolean }): Generator<SyncPage>;
  /** Applies arriving rows (the caller holds the transaction); `into` accumulates what changed. */
  applyBatch(batch: SyncBatch, into?: ApplyEffects): ApplyEffects;
  /** The same for one page as it travels (a JSON array of one kind of row). */
  applyPage(page: SyncPage, into?: ApplyEffects): ApplyEffects;
  /** Rebuilds the per-day rollup of these study days from the log. */
  rebuildDailyDays(days: readonly number[]): void;
}

const DAY_CHUNK = 500;

/**
 * `transaction` tells which transaction of the store's is open (a new number for each; null outside one): the ids
 * the apply looks up are kept for the rest of that transaction, not past it.
 */
export function createSyncStore(sql: (text: string) => Statement<unknown[]>, transaction: () => number | null): SyncStore {
  const marks = (): Marks =>
    sql(
      `SELECT (SELECT coalesce(max(id), 0) FROM decks) AS d, (SELECT coalesce(max(id), 0) FROM cards) AS c,
         (SELECT coalesce(max(id), 0) FROM card_events) AS e, (SELECT coalesce(max(id), 0) FROM reviews) AS r,
         (SELECT coalesce(max(seq), 0) FROM sync_marks) AS m`,
    ).get() as Marks;

  // One statement shape per table: the window is (lo, hi] minus the skip window (s0, s1], paged by id.
  // One lower bound (@start: the cursor or the last page's end, whichever is later): with two, SQLite may range-scan
  // from the smaller and filter a million rows by the other (16 ms of an incremental sync).
  const windowWhere = (col: string) => `${col} > @start AND ${col} <= @hi AND NOT (${col} > @s0 AND ${col} <= @s1)`;
  const markRefs = (kind: string) => sql(`SELECT seq, ref FROM sync_marks WHERE kind = '${kind}' AND ${windowWhere('seq')} ORDER BY seq LIMIT @limit`);

  // Each row is rendered by SQLite itself, so a page leaves as text: no object per row in JavaScript. As JSON
  // (json_object; REALs print with 17 digits, exact) for files and small pushes, which the hub reads with
  // json_to_recordset; or as COPY text (tab-separated, escaped, \N for null) for a large push to the hub.
  type Field = [wire: string, expr: string, type: 'text' | 'int' | 'real'];
  interface Shape {
    fields: Field[];
    from: string;
  }
  const SHAPES: Record<SyncKind, Shape> = {
    decks: {
      fields: [
        ['uid', 'd.uid', 'text'], ['name', 'd.name', 'text'], ['description', 'd.description', 'text'], ['source', 'd.source', 'text'],
        ['origin', 'd.origin', 'text'], ['path', "CASE d.origin WHEN 'builtin' THEN d.path END", 'text'], ['createdAt', 'd.created_at', 'int'],
        ['metaAt', 'd.meta_at', 'int'], ['metaDevice', 'd.meta_device', 'text'],
      ],
      from: 'decks d',
    },
    // A card as created: its first edit's `before` and its first move's `from`, when it was edited or moved.
    cards: {
      fields: [
        ['guid', 'c.guid', 'text'], ['deckUid', 'coalesce(c.first_deck, c.deck_uid)', 'text'],
        ['uid', "coalesce(json_extract(c.edit, '$.before.uid'), c.uid)", 'text'],
        ['noteUid', "coalesce(json_extract(c.edit, '$.before.noteUid'), c.note_uid)", 'text'],
        ['content', "coalesce(json_extract(c.edit, '$.before.content'), c.content)", 'text'], ['position', 'c.position', 'int'],
        ['createdAt', 'c.created_at', 'int'],
      ],
      from: `(SELECT c.id, c.guid, c.uid, c.note_uid, c.content, c.position, c.created_at, d.uid AS deck_uid,
          (SELECT e.data FROM card_events e WHERE e.card_id = c.id AND e.kind = 'edit' ORDER BY e.at, e.device, e.uid LIMIT 1) AS edit,
          (SELECT (SELECT uid FROM decks WHERE id = json_extract(e.data, '$.from')) FROM card_events e
            WHERE e.card_id = c.id AND e.kind = 'move' ORDER BY e.at, e.device, e.uid LIMIT 1) AS first_deck
        FROM cards c JOIN decks d ON d.id = c.deck_id) c`,
    },
    events: {
      fields: [
        ['uid', 'e.uid', 'text'], ['cardGuid', 'c.guid', 'text'], ['kind', 'e.kind', 'text'], ['at', 'e.at', 'int'], ['day', 'e.day', 'int'],
        ['device', 'e.device', 'text'], ['actionUid', 'e.action_uid', 'text'],
        ['data', `CASE e.kind WHEN 'move' THEN '' || json_object('from', (SELECT uid FROM decks WHERE id = json_extract(e.data, '$.from')),
          'to', (SELECT uid FROM decks WHERE id = json_extract(e.data, '$.to'))) ELSE e.data END`, 'text'],
        ['undoneAt', 'e.undone_at', 'int'],
      ],
      from: 'card_events e JOIN cards c ON c.id = e.card_id',
    },
    reviews: {
      fields: [
        ['uid', 'r.uid', 'text'], ['cardGuid', 'c.guid', 'text'], ['rating', 'r.rating', 'int'], ['stateBefore', 'r.state_before', 'int'],
        ['stateAfter', 'r.state_after', 'int'], ['due', 'r.due', 'int'], ['stability', 'r.stability', 'real'], ['difficulty', 'r.difficulty', 'real'],
        ['elapsedDays', 'r.elapsed_days', 'int'], ['scheduledDays', 'r.scheduled_days', 'int'], ['reviewedAt', 'r.reviewed_at', 'int'],
        ['durationMs', 'r.duration_ms', 'int'], ['kind', 'r.kind', 'text'], ['scheduled', 'r.scheduled', 'int'], ['answer', 'r.answer', 'text'],
        ['sourceKey', SOURCE_KEY_SQL('r.'), 'text'], ['day', 'r.day', 'int'], ['device', 'r.device', 'text'], ['actionUid', 'r.action_uid', 'text'],
        ['sourceState', 'r.source_state', 'int'], ['undoneAt', 'r.undone_at', 'int'],
      ],
      from: 'reviews r JOIN cards c ON c.id = r.card_id',
    },
    settings: {
      fields: [['key', 'k.key', 'text'], ['value', 's.value', 'text'], ['at', 'k.at', 'int'], ['device', 'k.device', 'text']],
      from: 'setting_clock k LEFT JOIN settings s ON s.key = k.key',
    },
  };
  for (const kind of SYNC_KINDS) {
    const names = SHAPES[kind].fields.map((f) => f[0]).join(',');
    if (names !== WIRE_FIELDS[kind].join(',')) throw new Error(`sync: the ${kind} fields differ from WIRE_FIELDS`);
  }
  const asJson = (sh: Shape) => `json_object(${sh.fields.map(([w, e]) => `'${w}', ${e}`).join(', ')})`;
  // Only text holding a tab, newline, carriage return or backslash needs escaping: one GLOB scan tells (@esc).
  const copyText = (e: string) =>
    `coalesce(CASE WHEN ${e} GLOB @esc THEN replace(replace(replace(replace(${e}, '\\', '\\\\'), char(9), '\\t'), char(10), '\\n'), char(13), '\\r') ELSE ${e} END, '\\N')`;
  const asTsv = (sh: Shape) =>
    sh.fields
      .map(([, e, type]) =>
        type === 'text' ? copyText(e)
        : type === 'int' ? `coalesce(CAST(CAST(${e} AS INTEGER) AS TEXT), '\\N')`
        // '!': SQLite's printf gives at most 16 significant digits without it, which loses the last bit of some
        // doubles (1.1428571428571428 came back as 1.142857142857143); 17 digits give every double back exactly.
        : `CASE WHEN ${e} IS NULL THEN '\\N' ELSE printf('%!.17g', ${e}) END`,
      )
      .join(" || char(9) || ");
  const LOCAL_KEYS = JSON.stringify(LOCAL_SETTING_KEYS);
  const COPY_SPECIAL = '*[\t\n\r\\]*';

  const jsonPage = (kind: SyncKind, parts: string[]): SyncPage => ({ kind, count: parts.length, json: `[${parts.join(',')}]` });

  function* outgoing(from: Marks, to: Marks, opts: { pageSize?: number; skip?: readonly [Marks, Marks]; copyText?: boolean } = {}): Generator<SyncPage> {
    const limit = opts.pageSize ?? 5000;
    const skip = opts.skip ?? [ZERO_MARKS, ZERO_MARKS];
    // New rows (by id) of cards, events and reviews may go as COPY text; changed rows (by mark) always go as JSON,
    // so the rows of one COPY never repeat a key.
    const byId = function* (kind: SyncKind, key: keyof Marks, alias: string): Generator<SyncPage> {
      let after = 0;
      const tsv = Boolean(opts.copyText) && kind !== 'decks';
      const sh = SHAPES[kind];
      const st = sql(`SELECT ${alias}.id, ${tsv ? asTsv(sh) : asJson(sh)} FROM ${sh.from} WHERE ${windowWhere(`${alias}.id`)} ORDER BY ${alias}.id LIMIT @limit`).raw();
      for (;;) {
        const rows = st.all({ start: Math.max(from[key], after), hi: to[key], s0: skip[0][key], s1: skip[1][key], limit, ...(tsv ? { esc: COPY_SPECIAL } : {}) }) as [number, string][];
        if (!rows.length) return;
        after = rows[rows.length - 1]![0];
        const parts = rows.map((r) => r[1]);
        yield tsv ? { kind, count: parts.length, json: '', copy: `${parts.join('\n')}\n` } : jsonPage(kind, parts);
      }
    };
    const byMark = function* (kind: SyncKind, mark: string, keyCol: string, extra = ''): Generator<SyncPage> {
      let after = 0;
      const sh = SHAPES[kind];
      const st = sql(`SELECT ${asJson(sh)} FROM ${sh.from} WHERE ${keyCol} IN (SELECT value FROM json_each(@refs)) ${extra}`).pluck();
      for (;;) {
        const refs = markRefs(mark).all({ start: Math.max(from.m, after), hi: to.m, s0: skip[0].m, s1: skip[1].m, limit }) as { seq: number; ref: string }[];
        if (!refs.length) return;
        after = refs[refs.length - 1]!.seq;
        const rows = st.all({ refs: JSON.stringify([...new Set(refs.map((r) => r.ref))]), local: LOCAL_KEYS }) as string[];
        if (rows.length) yield jsonPage(kind, rows);
      }
    };
    yield* byId('decks', 'd', 'd');
    yield* byMark('decks', 'deck', 'd.uid');
    yield* byId('cards', 'c', 'c');
    yield* byId('events', 'e', 'e');
    yield* byMark('events', 'event', 'e.uid');
    yield* byId('reviews', 'r', 'r');
    yield* byMark('reviews', 'review', 'r.uid');
    yield* byMark('settings', 'setting', 'k.key', 'AND k.key NOT IN (SELECT value FROM json_each(@local))');
  }

  // ---- applying ----------------------------------------------------------------------------------------------
  /** The transaction the two id caches below were filled in. */
  let cachedIn = -1;
  const deckIds = new Map<string, number>();
  const deckId = (uid: string): number => {
    let id = deckIds.get(uid);
    if (id === undefined) {
      id = sql('SELECT id FROM decks WHERE uid = ?').pluck().get(uid) as number | undefined;
      if (id === undefined) throw new Error(`sync: a row names the deck ${uid}, which neither side has`);
      deckIds.set(uid, id);
    }
    return id;
  };
  const cardIds = new Map<string, number>();
  const cardId = (guid: string): number => {
    let id = cardIds.get(guid);
    if (id === undefined) {
      id = sql('SELECT id FROM cards WHERE guid = ?').pluck().get(guid) as number | undefined;
      if (id === undefined) throw new Error(`sync: a row names the card ${guid}, which neither side has`);
      cardIds.set(guid, id);
    }
    return id;
  };
  /**
   * A deck name not taken by another deck: two decks of one name from two machines keep both, the newcomer marked.
   * Taken ignoring case, as names are matched (`Spanish` here and `spanish` there would shadow each other).
   */
  const freeName = (name: string, uid: string): string => {
    const others = new Set((sql('SELECT name FROM decks WHERE uid != ?').pluck().all(uid) as string[]).map((n) => n.toLowerCase()));
    if (!others.has(name.toLowerCase())) return name;
    for (let i = 2; ; i++) {
      const candidate = `${name} (${i})`;
      if (!others.has(candidate.toLowerCase())) return candidate;
    }
  };
  const freeCardUid = (deck: number, uid: string): string => {
    const taken = sql('SELECT 1 FROM cards WHERE deck_id = ? AND uid = ?').pluck();
    let candidate = uid;
    for (let i = 2; taken.get(deck, candidate) !== undefined; i++) candidate = `${uid}#${i}`;
    return candidate;
  };

  const applyDeck = (d: WireDeck, fx: ApplyEffects) => {
    const local = sql('SELECT id, name, description, meta_at AS metaAt, meta_device AS metaDevice FROM decks WHERE uid = ?').get(d.uid) as
      | { id: number; name: string; description: string; metaAt: number; metaDevice: string }
      | undefined;
    if (!local) {
      const id = Number(
        sql(
          `INSERT INTO decks(uid, name, description, source, origin, path, file_hash, created_at, meta_at, meta_device)
           VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?, ?)`,
        ).run(d.uid, freeName(d.name, d.uid), d.description, d.source, d.origin, d.path, d.createdAt, d.metaAt, d.metaDevice).lastInsertRowid,
      );
      deckIds.set(d.uid, id);
      fx.counts.decks++;
      return;
    }
    if (!laterWrite({ at: d.metaAt, device: d.metaDevice }, { at: local.metaAt, device: local.metaDevice })) return;
    sql('UPDATE decks SET name = ?, description = ?, meta_at = ?, meta_device = ? WHERE id = ?').run(
      d.name === local.name ? d.name : freeName(d.name, d.uid), d.description, d.metaAt, d.metaDevice, local.id,
    );
    if (d.name !== local.name || d.description !== local.description) fx.counts.decks++;
  };

  const applyCard = (c: WireCard, fx: ApplyEffects) => {
    const local = sql(
      `SELECT c.id, c.content, c.uid, c.note_uid AS noteUid,
         EXISTS (SELECT 1 FROM card_events e WHERE e.card_id = c.id AND e.kind = 'edit') AS edited FROM cards c WHERE c.guid = ?`,
    ).get(c.guid) as { id: number; content: string; uid: string; noteUid: string; edited: number } | undefined;
    const type = (JSON.parse(c.content) as { type: string }).type;
    if (!local) {
      const deck = deckId(c.deckUid);
      const id = Number(
        sql(
          `INSERT INTO cards(deck_id, uid, guid, note_uid, type, content, position, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        ).run(deck, freeCardUid(deck, c.uid), c.guid, c.noteUid, type, c.content, c.position, c.createdAt, c.createdAt).lastInsertRowid,
      );
      cardIds.set(c.guid, id);
      fx.counts.cards++;
      fx.cards.add(id);
      return;
    }
    cardIds.set(c.guid, local.id);
    // The same card created on two machines with two contents and never edited: both keep the same one.
    if (!local.edited && local.content !== c.content && preferredBase(local.content, c.content) === c.content) {
      sql('UPDATE cards SET type = ?, content = ? WHERE id = ?').run(type, c.content, local.id);
      fx.counts.cards++;
      fx.cards.add(local.id);
    }
  };

  const insertEvent = () =>
    sql(
      `INSERT INTO card_events(uid, card_id, kind, at, day, device, action_uid, data, undone_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT DO NOTHING`,
    );
  const markEvent = () => sql('UPDATE card_events SET undone_at = ? WHERE uid = ? AND undone_at IS NULL');
  const applyEvent = (e: WireEvent, fx: ApplyEffects) => {
    const card = cardId(e.cardGuid);
    let data = e.data;
    if (e.kind === 'move' && data) {
      const m = JSON.parse(data) as { from: string; to: string };
      data = JSON.stringify({ from: deckId(m.from), to: deckId(m.to) } satisfies Omit<Extract<CardEventData, { kind: 'move' }>, 'kind'>);
    }
    let changed = insertEvent().run(e.uid, card, e.kind, e.at, e.day, e.device, e.actionUid, data, e.undoneAt).changes > 0;
    if (!changed && e.undoneAt !== null) changed = markEvent().run(e.undoneAt, e.uid).changes > 0;
    if (!changed) return;
    fx.counts.events++;
    fx.rederive.add(card);
    if (e.kind === 'move') fx.replay.add(card);
    if (e.kind === 'edit') fx.edited.add(card);
  };

  const insertReview = () =>
    sql(
      `INSERT INTO reviews(uid, card_id, rating, state_before, state_after, due, stability, difficulty, elapsed_days, scheduled_days,
         reviewed_at, duration_ms, kind, scheduled, answer, source_key, attempt_id, day, device, action_uid, source_state, undone_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?)
       ON CONFLICT DO NOTHING`,
    );
  const markReview = () => sql('UPDATE reviews SET undone_at = ? WHERE uid = ? AND undone_at IS NULL');
  const hasUid = () => sql('SELECT 1 FROM reviews WHERE uid = ?').pluck();
  const uidOfKey = () => sql('SELECT uid FROM reviews WHERE source_key = ?').pluck();
  const applyReview = (r: WireReview, fx: ApplyEffects) => {
    const card = cardId(r.cardGuid);
    // ON CONFLICT DO NOTHING covers the uid and the source key: one Anki history imported on two machines is one.
    // An answer imported before uids were source keys has a random uid and its key in source_key; here the same
    // answer may be a row whose uid is that key and whose source_key is NULL (SOURCE_KEY_SQL), which no constraint
    // catches.
    if (r.sourceKey !== null && r.sourceKey !== r.uid && hasUid().get(r.sourceKey) !== undefined) return;
    // An imported answer whose uid is its key is stored as the import stores it, key in the uid alone; an older copy
    // of it (another uid, the key in source_key) is then found by a lookup instead of the constraint.
    const keyInUid = r.kind === 'import' && r.sourceKey === r.uid;
    if (keyInUid) {
      const other = uidOfKey().get(r.uid) as string | undefined;
      if (other !== undefined && other !== r.uid) return;
    }
    let changed =
      insertReview().run(
        r.uid, card, r.rating, r.stateBefore, r.stateAfter, r.due, r.stability, r.difficulty, r.elapsedDays, r.scheduledDays, r.reviewedAt,
        r.durationMs, r.kind, r.scheduled, r.answer, keyInUid ? null : r.sourceKey, r.day, r.device, r.actionUid, r.sourceState, r.undoneAt,
      ).changes > 0;
    if (!changed && r.undoneAt !== null) changed = markReview().run(r.undoneAt, r.uid).changes > 0;
    if (!changed) return;
    fx.counts.reviews++;
    if (r.scheduled) fx.replay.add(card);
    fx.days.add(r.day);
  };

  const applySetting = (s: WireSetting, fx: ApplyEffects) => {
    if (LOCAL_SETTING_KEYS.includes(s.key)) return;
    const clock = sql('SELECT at, device FROM setting_clock WHERE key = ?').get(s.key) as { at: number; device: string } | undefined;
    if (clock && !laterWrite(s, clock)) return;
    const before = sql('SELECT value FROM settings WHERE key = ?').pluck().get(s.key) as string | undefined;
    if (s.value === null) sql('DELETE FROM settings WHERE key = ?').run(s.key);
    else sql('INSERT INTO settings(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(s.key, s.value);
    // The triggers stamped the write with this machine's clock; it is the remote writer's.
    sql('INSERT OR REPLACE INTO setting_clock(key, at, device) VALUES (?, ?, ?)').run(s.key, s.at, s.device);
    if ((before ?? null) !== s.value) {
      fx.counts.settings++;
      fx.settings.add(s.key);
    }
  };

  return {
    syncMarks: marks,
    countBetween(from, to) {
      // Row ids are dense (nothing is deleted, and SQLite gives max + 1), so the marks' differences are the counts.
      return to.d - from.d + (to.c - from.c) + (to.e - from.e) + (to.r - from.r) + (to.m - from.m);
    },
    outgoing,
    applyPage(p, into = emptyEffects()) {
      const batch = emptyBatch();
      (batch[p.kind] as unknown[]) = p.copy !== undefined ? parseCopyRows(p.kind, p.copy) : (JSON.parse(p.json) as unknown[]);
      return this.applyBatch(batch, into);
    },
    applyBatch(batch, into = emptyEffects()) {
      // Ids found in an earlier transaction may belong to rows it rolled back: look them up afresh. Within one they
      // hold: a pull of a million answers is 200 pages, each touching thousands of cards (~8 s of lookups when
      // every page asked again).
      const open = transaction();
      if (open === null || cachedIn !== open) {
        deckIds.clear();
        cardIds.clear();
        cachedIn = open ?? -1;
      }
      for (const d of batch.decks) applyDeck(d, into);
      for (const c of batch.cards) applyCard(c, into);
      for (const e of batch.events) applyEvent(e, into);
      for (const r of batch.reviews) applyReview(r, into);
      for (const s of batch.settings) applySetting(s, into);
      return into;
    },
    rebuildDailyDays(days) {
      const list = [...new Set(days)];
      // When most days change (a new device takes the whole log), every day is rebuilt by one scan of the log in
      // storage order: day by day through the per-day index costs a random row lookup per answer, twice the time.
      const known = list.length < DAY_CHUNK ? 0 : (sql('SELECT count(*) FROM (SELECT day FROM daily UNION SELECT value FROM json_each(?))').pluck().get(JSON.stringify(list)) as number);
      if (list.length * 2 > known && known > 0) {
        for (const text of REBUILD_DAILY_ALL) sql(text).run();
        return;
      }
      for (let i = 0; i < list.length; i += DAY_CHUNK) {
        const chunk = JSON.stringify(list.slice(i, i + DAY_CHUNK));
        for (const text of REBUILD_DAILY_DAYS) sql(text).run(chunk);
      }
    },
  };
}
