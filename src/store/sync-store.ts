// The sync's side of a recall database: what this database has (high-water marks), its rows as they travel (global
// ids instead of local ones), and applying rows that arrive. Applying is idempotent and order-free: a row already
// present is skipped, an undo mark only ever goes from unset to set, decks' names and settings go to the later
// writer. The caller holds the transaction and re-derives the cards it is told about (app/log-sync.ts).
import type { Statement } from 'better-sqlite3';
import type { CardEventData } from '../core/card-events.js';
import {
  LOCAL_SETTING_KEYS, emptyBatch, laterWrite, preferredBase, zeroCounts, type Marks, type SyncBatch, type SyncCounts, type WireCard, type WireDeck,
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
}

export function emptyEffects(): ApplyEffects {
  return { counts: zeroCounts(), rederive: new Set(), replay: new Set(), edited: new Set(), days: new Set(), settings: new Set() };
}

export interface SyncStore {
  /** This database's high-water marks, read in one statement (one snapshot). */
  syncMarks(): Marks;
  /** How many rows lie between two sets of marks (for a progress bar; marks' rows are not counted). */
  countBetween(from: Marks, to: Marks): number;
  /**
   * This database's rows above `from` and up to `to`, one page at a time (each page its own short read), decks first,
   * then cards, events, reviews, settings. Rows created in the `skip` window (ours echoed back) are left out.
   */
  outgoing(from: Marks, to: Marks, opts?: { pageSize?: number; skip?: readonly [Marks, Marks] }): Generator<SyncBatch>;
  /** Applies arriving rows (the caller holds the transaction); `into` accumulates what changed. */
  applyBatch(batch: SyncBatch, into?: ApplyEffects): ApplyEffects;
  /** Rebuilds the per-day rollup of these study days from the log. */
  rebuildDailyDays(days: readonly number[]): void;
}

const DAY_CHUNK = 500;

export function createSyncStore(sql: (text: string) => Statement<unknown[]>): SyncStore {
  const marks = (): Marks =>
    sql(
      `SELECT (SELECT coalesce(max(id), 0) FROM decks) AS d, (SELECT coalesce(max(id), 0) FROM cards) AS c,
         (SELECT coalesce(max(id), 0) FROM card_events) AS e, (SELECT coalesce(max(id), 0) FROM reviews) AS r,
         (SELECT coalesce(max(seq), 0) FROM sync_marks) AS m`,
    ).get() as Marks;

  // One statement shape per table: the window is (lo, hi] minus the skip window (s0, s1], paged by id.
  const windowWhere = (col: string) => `${col} > @lo AND ${col} <= @hi AND NOT (${col} > @s0 AND ${col} <= @s1) AND ${col} > @after`;
  const markRefs = (kind: string) => sql(`SELECT seq, ref FROM sync_marks WHERE kind = '${kind}' AND ${windowWhere('seq')} ORDER BY seq LIMIT @limit`);

  const DECK_COLS = `d.id, d.uid, d.name, d.description, d.source, d.origin, CASE d.origin WHEN 'builtin' THEN d.path END AS path,
    d.created_at AS createdAt, d.meta_at AS metaAt, d.meta_device AS metaDevice FROM decks d`;
  const CARD_COLS = `c.id, c.guid, d.uid AS deckUid, c.uid, c.note_uid AS noteUid, c.content, c.position, c.created_at AS createdAt,
    (SELECT e.data FROM card_events e WHERE e.card_id = c.id AND e.kind = 'edit' ORDER BY e.at, e.device, e.uid LIMIT 1) AS firstEdit,
    (SELECT (SELECT uid FROM decks WHERE id = json_extract(e.data, '$.from')) FROM card_events e WHERE e.card_id = c.id AND e.kind = 'move'
      ORDER BY e.at, e.device, e.uid LIMIT 1) AS firstDeck
    FROM cards c JOIN decks d ON d.id = c.deck_id`;
  const EVENT_COLS = `e.id, e.uid, c.guid AS cardGuid, e.kind, e.at, e.day, e.device, e.action_uid AS actionUid,
    CASE e.kind WHEN 'move' THEN json_object('from', (SELECT uid FROM decks WHERE id = json_extract(e.data, '$.from')),
      'to', (SELECT uid FROM decks WHERE id = json_extract(e.data, '$.to'))) ELSE e.data END AS data, e.undone_at AS undoneAt
    FROM card_events e JOIN cards c ON c.id = e.card_id`;
  const REVIEW_COLS = `r.id, r.uid, c.guid AS cardGuid, r.rating, r.state_before AS stateBefore, r.state_after AS stateAfter, r.due, r.stability,
    r.difficulty, r.elapsed_days AS elapsedDays, r.scheduled_days AS scheduledDays, r.reviewed_at AS reviewedAt, r.duration_ms AS durationMs,
    r.kind, r.scheduled, r.answer, r.source_key AS sourceKey, r.day, r.device, r.action_uid AS actionUid, r.source_state AS sourceState,
    r.undone_at AS undoneAt FROM reviews r JOIN cards c ON c.id = r.card_id`;
  const SETTING_COLS = `k.key, s.value, k.at, k.device FROM setting_clock k LEFT JOIN settings s ON s.key = k.key`;

  type Raw = Record<string, unknown> & { id?: number };
  const strip = <T>(r: Raw): T => {
    const { id: _id, ...rest } = r;
    return rest as T;
  };
  const toCard = (r: Raw): WireCard => {
    const { id: _id, firstEdit, firstDeck, ...rest } = r as Raw & { firstEdit: string | null; firstDeck: string | null };
    const card = rest as unknown as WireCard;
    // The card as created: its first edit's `before` and its first move's `from`, when it has been edited or moved.
    if (firstEdit) {
      const before = (JSON.parse(firstEdit) as { before: { uid: string; noteUid: string; content: string } }).before;
      card.uid = before.uid;
      card.noteUid = before.noteUid;
      card.content = before.content;
    }
    if (firstDeck) card.deckUid = firstDeck;
    return card;
  };

  function* outgoing(from: Marks, to: Marks, opts: { pageSize?: number; skip?: readonly [Marks, Marks] } = {}): Generator<SyncBatch> {
    const limit = opts.pageSize ?? 5000;
    const skip = opts.skip ?? [{ d: 0, c: 0, e: 0, r: 0, m: 0 }, { d: 0, c: 0, e: 0, r: 0, m: 0 }];
    const byId = (key: keyof Marks, cols: string, alias: string, put: (b: SyncBatch, rows: Raw[]) => void) =>
      function* (): Generator<SyncBatch> {
        let after = 0;
        const st = sql(`SELECT ${cols} WHERE ${windowWhere(`${alias}.id`)} ORDER BY ${alias}.id LIMIT @limit`);
        for (;;) {
          const rows = st.all({ lo: from[key], hi: to[key], s0: skip[0][key], s1: skip[1][key], after, limit }) as Raw[];
          if (!rows.length) return;
          after = rows[rows.length - 1]!.id!;
          const b = emptyBatch();
          put(b, rows);
          yield b;
        }
      };
    const byMark = (kind: string, cols: string, keyCol: string, put: (b: SyncBatch, rows: Raw[]) => void) =>
      function* (): Generator<SyncBatch> {
        let after = 0;
        const st = sql(`SELECT ${cols} WHERE ${keyCol} IN (SELECT value FROM json_each(?))`);
        for (;;) {
          const refs = markRefs(kind).all({ lo: from.m, hi: to.m, s0: skip[0].m, s1: skip[1].m, after, limit }) as { seq: number; ref: string }[];
          if (!refs.length) return;
          after = refs[refs.length - 1]!.seq;
          const rows = st.all(JSON.stringify([...new Set(refs.map((r) => r.ref))])) as Raw[];
          const b = emptyBatch();
          put(b, rows);
          yield b;
        }
      };
    yield* byId('d', DECK_COLS, 'd', (b, rows) => (b.decks = rows.map((r) => strip<WireDeck>(r))))();
    yield* byMark('deck', DECK_COLS, 'd.uid', (b, rows) => (b.decks = rows.map((r) => strip<WireDeck>(r))))();
    yield* byId('c', CARD_COLS, 'c', (b, rows) => (b.cards = rows.map(toCard)))();
    yield* byId('e', EVENT_COLS, 'e', (b, rows) => (b.events = rows.map((r) => strip<WireEvent>(r))))();
    yield* byMark('event', EVENT_COLS, 'e.uid', (b, rows) => (b.events = rows.map((r) => strip<WireEvent>(r))))();
    yield* byId('r', REVIEW_COLS, 'r', (b, rows) => (b.reviews = rows.map((r) => strip<WireReview>(r))))();
    yield* byMark('review', REVIEW_COLS, 'r.uid', (b, rows) => (b.reviews = rows.map((r) => strip<WireReview>(r))))();
    yield* byMark('setting', SETTING_COLS, 'k.key', (b, rows) => (b.settings = (rows as unknown as WireSetting[]).filter((s) => !LOCAL_SETTING_KEYS.includes(s.key))))();
  }

  // ---- applying ----------------------------------------------------------------------------------------------
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
  /** A deck name not taken by another deck: two decks of one name from two machines keep both, the newcomer marked. */
  const freeName = (name: string, uid: string): string => {
    const owner = sql('SELECT uid FROM decks WHERE name = ?').pluck();
    const holder = owner.get(name) as string | undefined;
    if (holder === undefined || holder === uid) return name;
    for (let i = 2; ; i++) {
      const candidate = `${name} (${i})`;
      const h = owner.get(candidate) as string | undefined;
      if (h === undefined || h === uid) return candidate;
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
      return;
    }
    cardIds.set(c.guid, local.id);
    // The same card created on two machines with two contents and never edited: both keep the same one.
    if (!local.edited && local.content !== c.content && preferredBase(local.content, c.content) === c.content) {
      sql('UPDATE cards SET type = ?, content = ? WHERE id = ?').run(type, c.content, local.id);
      fx.counts.cards++;
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
  const applyReview = (r: WireReview, fx: ApplyEffects) => {
    const card = cardId(r.cardGuid);
    // ON CONFLICT DO NOTHING covers the uid and the source key: one Anki history imported on two machines is one.
    let changed =
      insertReview().run(
        r.uid, card, r.rating, r.stateBefore, r.stateAfter, r.due, r.stability, r.difficulty, r.elapsedDays, r.scheduledDays, r.reviewedAt,
        r.durationMs, r.kind, r.scheduled, r.answer, r.sourceKey, r.day, r.device, r.actionUid, r.sourceState, r.undoneAt,
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
      const n = sql(
        `SELECT (SELECT count(*) FROM decks WHERE id > @d0 AND id <= @d1) + (SELECT count(*) FROM cards WHERE id > @c0 AND id <= @c1)
           + (SELECT count(*) FROM card_events WHERE id > @e0 AND id <= @e1) + (SELECT count(*) FROM reviews WHERE id > @r0 AND id <= @r1)`,
      ).pluck().get({ d0: from.d, d1: to.d, c0: from.c, c1: to.c, e0: from.e, e1: to.e, r0: from.r, r1: to.r }) as number;
      return n + (to.m - from.m);
    },
    outgoing,
    applyBatch(batch, into = emptyEffects()) {
      // Ids found in an earlier transaction may belong to rows it rolled back: look them up afresh.
      deckIds.clear();
      cardIds.clear();
      for (const d of batch.decks) applyDeck(d, into);
      for (const c of batch.cards) applyCard(c, into);
      for (const e of batch.events) applyEvent(e, into);
      for (const r of batch.reviews) applyReview(r, into);
      for (const s of batch.settings) applySetting(s, into);
      return into;
    },
    rebuildDailyDays(days) {
      const list = [...new Set(days)];
      for (let i = 0; i < list.length; i += DAY_CHUNK) {
        const chunk = JSON.stringify(list.slice(i, i + DAY_CHUNK));
        sql('DELETE FROM daily WHERE day IN (SELECT value FROM json_each(?))').run(chunk);
        sql(
          `INSERT INTO daily(day, deck_id, reviews, again, duration_ms, new_cards)
           SELECT r.day, c.deck_id, count(*), sum(r.rating = 1), sum(r.duration_ms), sum(r.state_before = 0)
           FROM reviews r JOIN cards c ON c.id = r.card_id
           WHERE r.day IN (SELECT value FROM json_each(?)) AND r.undone_at IS NULL AND r.rating > 0 AND (r.scheduled = 1 OR r.kind = 'import')
           GROUP BY r.day, c.deck_id`,
        ).run(chunk);
      }
    },
  };
}
