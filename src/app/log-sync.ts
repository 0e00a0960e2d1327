// `recall sync`: merges this database's log with a partner's (a PostgreSQL hub, or another recall database file).
// The merge is a union of rows by global id followed by a replay of the cards whose rows changed, so it is
// commutative and idempotent and loses nothing (docs/sync.md). Each side changes in one transaction per step: the
// partner when our rows go in, this database when the partner's rows come back. No local transaction is open while
// the hub is being talked to.
import { nanoid } from 'nanoid';
import { existsSync, realpathSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { RecallError } from '../core/errors.js';
import {
  ZERO_MARKS, hasConcurrentEdits, parseTarget, redactTarget, sameMarks, type EditLike, type Marks, type SyncCounts, type SyncCursor, type SyncPage,
} from '../core/sync.js';
import { emptyEffects, type ApplyEffects } from '../store/sync-store.js';
import { openContext, type Context, type Env } from './context.js';
import { fileBackedDecks, writeDecksThrough, type WriteThroughResult } from './deck-write.js';
import { rescheduleAll, sameSchedule } from './maintenance.js';
import { openPageSpool } from './page-spool.js';
import { rescheduleCard } from './replay.js';

export interface SyncProgress {
  phase: 'push' | 'pull' | 'apply';
  done: number;
  total: number;
}

export interface SyncOptions {
  env: Env;
  onProgress?: (p: SyncProgress) => void;
  /** Told each step as it completes: for `RECALL_SYNC_TRACE` (the crash tests kill at chosen steps). */
  trace?: (step: string) => void;
  pageSize?: number;
  /** Rows to push (or of one kind to pull) from which they travel to or from the hub as COPY text (default 5000; tests lower it). */
  copyAbove?: number;
}

export interface SyncSummary {
  target: string;
  kind: 'postgres' | 'file';
  /** Rows the partner did not have (or whose undo mark or newer value it lacked), by kind. */
  pushed: SyncCounts;
  /** Rows this database did not have, by kind. */
  pulled: SyncCounts;
  /** Cards of this database whose schedule the merge changed. */
  rescheduled: number;
  /** Cards of this database whose content two devices edited apart: the later edit won, the other is in its history. */
  editsResolved: number;
  /** The partner was not the one the cursors remember (replaced, restored): everything was compared again. */
  fullResync: boolean;
  /** Deck files of this device the merge's changes were written into (so each stays the truth of its deck). */
  filesWritten: string[];
  /** Deck files that could not take the merge's changes (missing, not writable, with problems): the database keeps them. */
  warnings: string[];
}

/** After a merge that touched cards: their changes written into this device's deck files. */
function writeThrough(ctx: Context, fx: ApplyEffects): WriteThroughResult {
  if (fx.cards.size === 0 && fx.rederive.size === 0) return { files: [], warnings: [] };
  return writeDecksThrough(ctx, fileBackedDecks(ctx));
}

/** Settings that do not change any schedule: a change of any other (presets, retention, steps, zone) replays all. */
const NON_SCHEDULING_SETTINGS = ['newPerDay', 'reviewsPerDay'];

interface Derived {
  effects: ApplyEffects;
  rescheduled: number;
  editsResolved: number;
}

/**
 * Applies arriving pages and derives again what they touch: flags, deck and content from events first (a card moved
 * replays with its new deck's scheduler), then schedules by replay. The caller holds the transaction.
 */
export function applyAndDerive(ctx: Context, pages: Iterable<SyncPage>, onRows?: (n: number) => void, expected?: { rows: number; reviews: number }): Derived {
  const fx = emptyEffects();
  // Many rows at once (a new device's first sync takes the whole log) are written as an import writes them: with
  // room for the indexes' pages in memory (a 2 MB cache made a million answers ~17 s of system time re-reading
  // pages), and the per-day report index built once at the end instead of a million inserts at random places.
  // Inside the caller's transaction, not before it: temp_store = MEMORY set before a transaction made every write
  // under the savepoint rescheduleAll opens in it several times slower (a new device's first sync: 542 s of
  // schedule writes instead of ~3 s; docs/performance.md has the reproduction).
  if (expected && expected.rows >= LARGE_APPLY) ctx.store.reserveCache(256);
  const rebuildIndexes = ctx.store.deferReportIndexes(expected?.reviews ?? 0);
  for (const page of pages) {
    ctx.store.applyPage(page, fx);
    onRows?.(page.count);
  }
  rebuildIndexes();
  for (const id of fx.rederive) ctx.store.rederiveCard(id);
  if (fx.settings.size || fx.counts.decks) ctx.reloadSettings();
  let rescheduled = 0;
  if ([...fx.settings].some((k) => !NON_SCHEDULING_SETTINGS.includes(k))) {
    rescheduled = rescheduleAll(ctx).changed;
  } else {
    for (const id of fx.replay) {
      const before = ctx.store.getCard(id)?.schedule ?? null;
      if (!sameSchedule(before, rescheduleCard(ctx, id))) rescheduled++;
    }
  }
  if (fx.days.size) ctx.store.rebuildDailyDays([...fx.days]);
  let editsResolved = 0;
  for (const id of fx.edited) {
    const edits: EditLike[] = [];
    for (const e of ctx.store.cardEvents(id)) {
      if (e.undone || e.data.kind !== 'edit') continue;
      const v = (x: { uid: string; noteUid: string; content: string }) => JSON.stringify([x.uid, x.noteUid, x.content]);
      edits.push({ at: e.at, device: e.device, uid: e.uid, before: v(e.data.before), after: v(e.data.after) });
    }
    if (hasConcurrentEdits(edits)) editsResolved++;
  }
  return { effects: fx, rescheduled, editsResolved };
}

const cursorKey = (partner: string) => `sync:${partner}`;

/** Rows arriving beyond which their apply gets a large page cache (see applyAndDerive). */
const LARGE_APPLY = 20_000;

/** Rows pushed beyond which the push cursor is recorded before the pull (see syncHub). */
const LARGE_PUSH = 5000;

function readCursor(ctx: Context, partner: string): SyncCursor & { pending?: string } {
  const raw = ctx.store.getLocal(cursorKey(partner));
  if (!raw) return { push: ZERO_MARKS, pull: 0 };
  try {
    return JSON.parse(raw) as SyncCursor & { pending?: string };
  } catch {
    return { push: ZERO_MARKS, pull: 0 };
  }
}

function writeCursor(ctx: Context, partner: string, cursor: SyncCursor & { pending?: string }): void {
  ctx.store.setLocal(cursorKey(partner), JSON.stringify(cursor));
}

/** The sync target: the one given, else the one set with `recall config set syncTarget`. */
export function resolveSyncTarget(ctx: Context, given: string | undefined): string {
  const target = given ?? ctx.store.getLocal('syncTarget');
  if (!target) {
    throw new RecallError('sync-no-target', 'No sync target given, and none is set', {
      hint: 'recall sync postgres://user@host/db (or a path to another recall database); recall config set syncTarget TARGET makes it the default',
      exitCode: 2,
    });
  }
  return target;
}

export async function syncWith(ctx: Context, raw: string, opts: SyncOptions): Promise<SyncSummary> {
  const target = parseTarget(raw);
  return target.kind === 'postgres' ? syncHub(ctx, target.url, opts) : syncFile(ctx, target.path, opts);
}

async function syncHub(ctx: Context, url: string, opts: SyncOptions): Promise<SyncSummary> {
  const trace = opts.trace ?? (() => {});
  // Loaded here, so no other command pays for the PostgreSQL client at start-up.
  const { openHub } = await import('../store/pg-hub.js');
  trace('loaded');
  const hub = await openHub(url, opts.env);
  trace('connected');
  try {
    const partner = `pg:${hub.id}:${hub.owner}`;
    let cursor = readCursor(ctx, partner);
    let fullResync = false;
    // A hub restored from an older backup has forgotten pushes we think it has: compare everything again.
    if (typeof cursor.pull !== 'number' || cursor.pull > hub.seq) {
      fullResync = cursor.pull !== 0;
      cursor = { push: ZERO_MARKS, pull: 0 };
    }
    const localTo = ctx.store.syncMarks();
    const pushTotal = ctx.store.countBetween(cursor.push, localTo);
    let pushedRows = 0;
    const copyText = pushTotal >= (opts.copyAbove ?? LARGE_PUSH);
    const pushed = await hub.push(ctx.store.outgoing(cursor.push, localTo, { pageSize: opts.pageSize, copyText }), (n) => {
      pushedRows += n;
      opts.onProgress?.({ phase: 'push', done: pushedRows, total: Math.max(pushTotal, pushedRows) });
    }, trace);
    trace('pushed');
    // After a long push, remember at once that the hub has our rows, so a sync stopped from here on does not send
    // them again (sending them again would change nothing, but takes as long). A short push is not worth a commit.
    if (pushedRows >= LARGE_PUSH) {
      ctx.store.transaction(() => writeCursor(ctx, partner, { ...cursor, push: localTo }));
      trace('push-recorded');
    }
    // Nothing numbered above our cursor but our own push (or, with nothing pushed, nothing above it when we
    // connected): nothing to fetch. Pushes made since are fetched next time; the cursor is what we have seen.
    const seen = cursor.pull as number;
    const nothingNew = pushed.before === seen;
    const spool = openPageSpool({ dir: ctx.dbPath === ':memory:' ? undefined : dirname(ctx.dbPath) });
    let derived: Derived;
    try {
      const pulled = nothingNew
        ? { seq: pushed.seq ?? seen }
        : await hub.pull(seen, pushed.seq, (page) => spool.add(page), (done, total) => opts.onProgress?.({ phase: 'pull', done, total }), {
          copyAbove: opts.copyAbove,
        });
      trace('pulled');
      const total = spool.rows;
      let applied = 0;
      // Into a new device, the pages reach the disk once (Store.fillingWrite).
      derived = ctx.store.fillingWrite(total, () => ctx.store.transaction(() => {
        const before = ctx.store.syncMarks();
        const d = applyAndDerive(ctx, spool.pages(), (n) => {
          applied += n;
          opts.onProgress?.({ phase: 'apply', done: applied, total });
        }, { rows: total, reviews: spool.reviews });
        // Rows that just came in got ids above our marks: they are the hub's already, not ours to push back.
        const after = ctx.store.syncMarks();
        writeCursor(ctx, partner, { push: sameMarks(before, localTo) ? after : localTo, pull: pulled.seq });
        return d;
      }));
    } finally {
      spool.close();
    }
    trace('applied');
    const files = writeThrough(ctx, derived.effects);
    return {
      target: redactTarget(url),
      kind: 'postgres',
      pushed: pushed.counts,
      pulled: derived.effects.counts,
      rescheduled: derived.rescheduled,
      editsResolved: derived.editsResolved,
      fullResync,
      filesWritten: files.files,
      warnings: files.warnings,
    };
  } finally {
    await hub.close();
  }
}

async function syncFile(ctx: Context, path: string, opts: SyncOptions): Promise<SyncSummary> {
  const trace = opts.trace ?? (() => {});
  if (!existsSync(path)) {
    throw new RecallError('sync-no-file', `There is no recall database at ${path}`, {
      hint: 'give the path of another recall database file (copy one there first to start a shared file), or a postgres:// URL',
      exitCode: 2,
    });
  }
  if (realpathSync(path) === realpathSync(ctx.dbPath)) {
    throw new RecallError('sync-self', `${path} is this database itself`, { hint: 'sync with another database file or a hub', exitCode: 2 });
  }
  const targetHint = 'the sync target is another recall database file (its path) or a postgres:// URL; recall config set syncTarget remembers one';
  if (statSync(path).isDirectory()) {
    throw new RecallError('sync-target', 'This is a folder, not a recall database', { file: path, hint: targetHint, exitCode: 2 });
  }
  let peer: Context;
  try {
    peer = openContext({ db: path, env: opts.env, peer: true });
  } catch (e) {
    // The database layer's advice is about --db; here the file is the sync target.
    if (e instanceof RecallError) throw new RecallError(e.code, e.message, { file: e.file ?? path, ...(e.line ? { line: e.line } : {}), hint: targetHint, exitCode: 2 });
    throw e;
  }
  try {
    const me = ctx.store.deviceId;
    const peerId = peer.store.getLocal('replicaId') ?? peer.store.transaction(() => {
      const id = peer.store.getLocal('replicaId') ?? nanoid();
      peer.store.setLocal('replicaId', id);
      return id;
    });
    const partner = `file:${peerId}`;
    let cursor = readCursor(ctx, partner);
    let fullResync = false;
    // The file carries the nonce we left at our last sync with it; another nonce (or none) means this is not that
    // file any more (replaced by an older copy, a Syncthing conflict's winner, ...): compare everything again.
    const stamp = peer.store.getLocal(`syncStamp:${me}`);
    if (typeof cursor.pull === 'number' || (stamp !== cursor.stamp && stamp !== cursor.pending)) {
      fullResync = !(typeof cursor.pull === 'number' && cursor.pull === 0);
      cursor = { push: ZERO_MARKS, pull: ZERO_MARKS };
    } else cursor = { push: cursor.push, pull: cursor.pull, stamp };
    const nonce = nanoid();
    ctx.store.transaction(() => writeCursor(ctx, partner, { ...cursor, pending: nonce }));
    const localTo = ctx.store.syncMarks();
    const pushTotal = ctx.store.countBetween(cursor.push, localTo);
    let pushedRows = 0;
    // 1. Ours into the partner, in one transaction of the partner's.
    const pushed = peer.store.fillingWrite(pushTotal, () => peer.store.transaction(() => {
      const before = peer.store.syncMarks();
      const d = applyAndDerive(peer, ctx.store.outgoing(cursor.push, localTo, { pageSize: opts.pageSize }), (n) => {
        pushedRows += n;
        opts.onProgress?.({ phase: 'push', done: pushedRows, total: Math.max(pushTotal, pushedRows) });
      }, { rows: pushTotal, reviews: Math.max(0, localTo.r - cursor.push.r) });
      peer.store.setLocal(`syncStamp:${me}`, nonce);
      return { d, window: [before, peer.store.syncMarks()] as const };
    }));
    trace('pushed');
    // 2. The partner's into ours, in one transaction of ours, leaving out our own rows just written there.
    const pullFrom = cursor.pull as Marks;
    const peerTo = peer.store.syncMarks();
    const pullTotal = peer.store.countBetween(pullFrom, peerTo);
    let applied = 0;
    // The partner's count includes the rows we just pushed there, which the pull skips.
    const derived = ctx.store.fillingWrite(Math.max(0, pullTotal - pushedRows), () => ctx.store.transaction(() => {
      const before = ctx.store.syncMarks();
      const d = applyAndDerive(ctx, peer.store.outgoing(pullFrom, peerTo, { pageSize: opts.pageSize, skip: pushed.window }), (n) => {
        applied += n;
        opts.onProgress?.({ phase: 'pull', done: applied, total: Math.max(pullTotal, applied) });
      }, { rows: pullTotal, reviews: Math.max(0, peerTo.r - pullFrom.r) });
      const after = ctx.store.syncMarks();
      writeCursor(ctx, partner, { push: sameMarks(before, localTo) ? after : localTo, pull: peerTo, stamp: nonce });
      return d;
    }));
    trace('applied');
    const files = writeThrough(ctx, derived.effects);
    return {
      target: path,
      kind: 'file',
      pushed: pushed.d.effects.counts,
      pulled: derived.effects.counts,
      rescheduled: derived.rescheduled,
      editsResolved: derived.editsResolved,
      fullResync,
      filesWritten: files.files,
      warnings: files.warnings,
    };
  } finally {
    peer.store.close();
  }
}
