// The sync's plain data: rows as they travel between recall databases and the hub (by global ids, never by the local
// integer ids that differ per database), the cursors that say what a device has already exchanged, and the merge
// rules that are decisions rather than storage (last writer wins, which edits conflicted). Pure: no I/O, no clock.
import { RecallError } from './errors.js';

/** A deck as it travels: matched by uid; name and description are one last-writer-wins register (metaAt, metaDevice). */
export interface WireDeck {
  uid: string;
  name: string;
  description: string;
  source: string;
  origin: string;
  /** Only for built-in decks (the file under decks/); a deck file's path belongs to the machine it was imported on. */
  path: string | null;
  createdAt: number;
  metaAt: number;
  metaDevice: string;
}

/** A card as it travels: matched by guid, with the deck and content it was created with; later changes are events. */
export interface WireCard {
  guid: string;
  deckUid: string;
  uid: string;
  noteUid: string;
  /** CardContent & CardExtras as stored (JSON text). */
  content: string;
  position: number;
  createdAt: number;
}

/** A card event as it travels: a move's decks are deck uids here (local deck ids on disk). */
export interface WireEvent {
  uid: string;
  cardGuid: string;
  kind: string;
  at: number;
  day: number;
  device: string;
  actionUid: string | null;
  /** JSON payload without the kind, as stored. */
  data: string | null;
  undoneAt: number | null;
}

/** A review-log row as it travels. A quiz attempt is local to its database and does not travel (its id is dropped). */
export interface WireReview {
  uid: string;
  cardGuid: string;
  rating: number;
  stateBefore: number;
  stateAfter: number;
  due: number;
  stability: number;
  difficulty: number;
  elapsedDays: number;
  scheduledDays: number;
  reviewedAt: number;
  durationMs: number;
  kind: string;
  scheduled: number;
  answer: string | null;
  sourceKey: string | null;
  day: number;
  device: string | null;
  actionUid: string | null;
  sourceState: number | null;
  undoneAt: number | null;
}

/** A setting as it travels: `value` is its JSON text, or null when it was deleted (a tombstone keeps its clock). */
export interface WireSetting {
  key: string;
  value: string | null;
  at: number;
  device: string;
}

/** Rows in the order a receiver needs them: decks before the cards in them, cards before their events and answers. */
export interface SyncBatch {
  decks: WireDeck[];
  cards: WireCard[];
  events: WireEvent[];
  reviews: WireReview[];
  settings: WireSetting[];
}

export type SyncKind = keyof SyncBatch;

/**
 * Rows of one kind as they travel: a JSON array of Wire* objects (as SQLite renders them, and the hub reads them),
 * or, for a large push to the hub, PostgreSQL COPY text: one line per row, fields in WIRE_FIELDS order.
 */
export interface SyncPage {
  kind: SyncKind;
  count: number;
  json: string;
  copy?: string;
}

/** The fields of each kind of row, in the order COPY text carries them. */
export const WIRE_FIELDS: Record<SyncKind, readonly string[]> = {
  decks: ['uid', 'name', 'description', 'source', 'origin', 'path', 'createdAt', 'metaAt', 'metaDevice'],
  cards: ['guid', 'deckUid', 'uid', 'noteUid', 'content', 'position', 'createdAt'],
  events: ['uid', 'cardGuid', 'kind', 'at', 'day', 'device', 'actionUid', 'data', 'undoneAt'],
  reviews: [
    'uid', 'cardGuid', 'rating', 'stateBefore', 'stateAfter', 'due', 'stability', 'difficulty', 'elapsedDays', 'scheduledDays', 'reviewedAt',
    'durationMs', 'kind', 'scheduled', 'answer', 'sourceKey', 'day', 'device', 'actionUid', 'sourceState', 'undoneAt',
  ],
  settings: ['key', 'value', 'at', 'device'],
};
export const SYNC_KINDS: readonly SyncKind[] = ['decks', 'cards', 'events', 'reviews', 'settings'];

export type SyncCounts = Record<SyncKind, number>;

export function emptyBatch(): SyncBatch {
  return { decks: [], cards: [], events: [], reviews: [], settings: [] };
}

export function zeroCounts(): SyncCounts {
  return { decks: 0, cards: 0, events: 0, reviews: 0, settings: 0 };
}

export function addCounts(a: SyncCounts, b: Partial<SyncCounts>): SyncCounts {
  const out = { ...a };
  for (const k of SYNC_KINDS) out[k] += b[k] ?? 0;
  return out;
}

export function totalCount(c: SyncCounts): number {
  return SYNC_KINDS.reduce((n, k) => n + c[k], 0);
}

export function batchSize(b: SyncBatch): number {
  return SYNC_KINDS.reduce((n, k) => n + b[k].length, 0);
}

/**
 * How far a recall database has got, as high-water marks: the largest row id of each append-only table (decks,
 * cards, card events, reviews) and the last in-place change (`sync_marks`: undo marks, deck names, settings). A
 * database's rows above a mark are new since then; ids never go back, because nothing is ever deleted.
 */
export interface Marks {
  d: number;
  c: number;
  e: number;
  r: number;
  m: number;
}

export const ZERO_MARKS: Marks = { d: 0, c: 0, e: 0, r: 0, m: 0 };

export function sameMarks(a: Marks, b: Marks): boolean {
  return a.d === b.d && a.c === b.c && a.e === b.e && a.r === b.r && a.m === b.m;
}

/** What one database remembers about one sync partner, in its `local` table. */
export interface SyncCursor {
  /** Everything of ours up to these marks is known to be in the partner. */
  push: Marks;
  /** Everything of the partner's up to here is in ours: marks of a database file, or the hub's sequence number. */
  pull: Marks | number;
  /** For a database file: the nonce we left in it at the last sync; another value means the file was replaced. */
  stamp?: string;
}

/** Keys of settings that describe one database file, not the learner: they never travel. */
export const LOCAL_SETTING_KEYS: readonly string[] = ['createdAt'];

/** Last writer wins: is (at, device) of `a` later than that of `b`? Ties in time go to the larger device id. */
export function laterWrite(a: { at: number; device: string }, b: { at: number; device: string }): boolean {
  return a.at > b.at || (a.at === b.at && a.device > b.device);
}

/**
 * Of two contents created independently under one card guid (the same deck file imported on two machines in two
 * versions), the one every device keeps: the smaller by text, so the choice is the same whatever the order of syncs.
 */
export function preferredBase(a: string, b: string): string {
  return a <= b ? a : b;
}

/** An edit as the fold orders it (at, device, uid) with the versions it went from and to. */
export interface EditLike {
  at: number;
  device: string;
  uid: string;
  before: string;
  after: string;
}

/**
 * Whether a card's edits include two made without knowledge of each other: in (at, device, uid) order, an edit whose
 * `before` is not what the previous edit left. Such a card's content was decided by the later edit ("resolved").
 */
export function hasConcurrentEdits(edits: readonly EditLike[]): boolean {
  const sorted = [...edits].sort((a, b) => a.at - b.at || (a.device < b.device ? -1 : a.device > b.device ? 1 : 0) || (a.uid < b.uid ? -1 : 1));
  for (let i = 1; i < sorted.length; i++) if (sorted[i]!.before !== sorted[i - 1]!.after) return true;
  return false;
}

// ---- targets ------------------------------------------------------------------------------------------------------

export type SyncTarget =
  | { kind: 'postgres'; url: string; hasPassword: boolean }
  | { kind: 'file'; path: string };

/** A PostgreSQL connection string (`postgres://...`, `postgresql://...`) or the path of a recall database file. */
export function parseTarget(raw: string): SyncTarget {
  const text = raw.trim();
  if (!text) throw new RecallError('sync-no-target', 'No sync target given', { hint: 'recall sync postgres://user@host/db, or recall sync /path/to/other.db', exitCode: 2 });
  if (/^postgres(ql)?:\/\//i.test(text)) {
    // The connection string itself is read by the PostgreSQL client (libpq's forms, `postgresql:///db?host=/socket`
    // included); here only: does it carry a password, in the user part or as a parameter?
    const userinfo = /^postgres(?:ql)?:\/\/([^/?#]*)@/i.exec(text)?.[1] ?? '';
    const hasPassword = userinfo.includes(':') || /[?&]password=/i.test(text);
    return { kind: 'postgres', url: text, hasPassword };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    throw new RecallError('sync-bad-target', `recall cannot sync with ${redactTarget(text)}`, {
      hint: 'a target is a postgres:// connection string or the path of another recall database file',
      exitCode: 2,
    });
  }
  return { kind: 'file', path: text };
}

/** The target as it may be shown or stored: any password replaced by `***`. */
export function redactTarget(raw: string): string {
  return raw
    .replace(/^([a-z][a-z0-9+.-]*:\/\/[^/@:?#]*):[^@/?#]*@/i, '$1:***@')
    .replace(/([?&]password=)[^&#]*/gi, '$1***');
}
