// The review log of an Anki collection as the import keeps it: each row checked as it is read, the rows kept as
// columns of numbers grouped by card. Pure: the rows come from src/store/anki-reader.ts, on this thread or on a
// worker (src/importers/revlog-read.ts).
import type { AnkiRevlogRow, Loose } from '../store/anki-reader.js';
import { int, num } from './loose.js';

/** A review-log row after its values were checked: what the history planner works with. */
export interface RevlogRow {
  id: number; cid: number; ease: number; ivl: number; lastIvl: number; factor: number; time: number; type: number;
}

type F64 = Float64Array<ArrayBuffer>;
type Columns = { id: F64; cid: F64; ease: F64; ivl: F64; lastIvl: F64; factor: F64; time: F64; type: F64 };
type Problem = { count: number; first: string; at: { cid: Loose; id: Loose } };

/** A sealed ReviewLog as structured-cloneable arrays. */
export interface ReviewLogTransfer {
  latest: number;
  size: number;
  rowsRead: number;
  cols: Columns;
  order: Int32Array<ArrayBuffer>;
  cards: F64;
  starts: Int32Array<ArrayBuffer>;
  counts: Int32Array<ArrayBuffer>;
  malformed: [string, Problem][];
}

const isoDate = (ms: number) => (Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString().slice(0, 10) : String(ms));

/** What is wrong with an unusable row: rows are counted by this, so a value in the message never splits a kind. */
type RevlogProblemKind = 'id' | 'future' | 'card' | 'ease' | 'type' | 'interval';

/** A revlog row's values checked; a reason when the row cannot be used. */
function checkRevlog(r: AnkiRevlogRow, latest: number): RevlogRow | { kind: RevlogProblemKind; problem: string } {
  const id = int(r.id);
  const cid = int(r.cid);
  // Anki's revlog id is the answer's time in ms; JavaScript dates end at 8.64e15.
  if (id === undefined || id < 0 || id > 8.64e15) return { kind: 'id', problem: `its id ${String(r.id)} is not a time` };
  if (id > latest) return { kind: 'future', problem: `it is dated ${isoDate(id)}, in the future` };
  if (cid === undefined) return { kind: 'card', problem: `its card id ${String(r.cid)} is not a number` };
  const ease = int(r.ease);
  if (ease === undefined || ease < 0 || ease > 4) return { kind: 'ease', problem: `its answer button (ease) is ${JSON.stringify(r.ease)}` };
  const type = int(r.type);
  if (type === undefined || type < 0 || type > 5) return { kind: 'type', problem: `its type is ${JSON.stringify(r.type)}` };
  const ivl = num(r.ivl);
  if (ivl === undefined || Math.abs(ivl) > 1e9) return { kind: 'interval', problem: `its interval is ${JSON.stringify(r.ivl)}` };
  // Fractions and NULLs where Anki writes whole numbers: rounded or zero, the row stays.
  return { id, cid, ease, type, ivl: Math.round(ivl), lastIvl: Math.round(num(r.lastIvl) ?? 0), factor: Math.round(num(r.factor) ?? 0), time: Math.round(num(r.time) ?? 0) };
}

/** SQLite's order of values (NULL, numbers, text, blobs; text and blobs byte by byte), for values read from a file. */
function compareLoose(a: Loose, b: Loose): number {
  const rank = (v: Loose) => (v === null ? 0 : typeof v === 'number' || typeof v === 'bigint' ? 1 : typeof v === 'string' ? 2 : 3);
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  if (ra === 1) return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
  if (ra === 2) return Buffer.compare(Buffer.from(a as string), Buffer.from(b as string));
  if (ra === 3) return Buffer.compare(a as Uint8Array, b as Uint8Array);
  return 0;
}

/**
 * The review log, checked row by row as it is read and kept as columns of numbers grouped by card: a collection of
 * years has a million rows, and as objects (the file's rows, then the checked ones, then the planned reviews, all
 * alive until the import ends) they made the import spend a fifth of its time collecting garbage, at 1.8 GB.
 * A card's rows become objects only when the card is planned or written.
 */
export class ReviewLog {
  private size = 0;
  private cols = ReviewLog.columns(4096);
  /** Row numbers grouped by card, each card's in the order read; filled by seal(). */
  private order = new Int32Array(0);
  private readonly byCard = new Map<number, { start: number; count: number }>();
  rowsRead = 0;
  /** Rows that cannot be used, by kind of problem: how many, and the first as an example. */
  private readonly malformed = new Map<string, { count: number; first: string; at: { cid: Loose; id: Loose } }>();

  /** The kinds of unusable rows, in the order of their first rows. */
  problems(): { count: number; first: string }[] {
    const firstRow = (a: { at: { cid: Loose; id: Loose } }, b: { at: { cid: Loose; id: Loose } }) => compareLoose(a.at.cid, b.at.cid) || compareLoose(a.at.id, b.at.id);
    return [...this.malformed.values()].sort(firstRow);
  }

  constructor(private readonly latest: number) {}

  private static columns(n: number): Columns {
    return { id: new Float64Array(n), cid: new Float64Array(n), ease: new Float64Array(n), ivl: new Float64Array(n), lastIvl: new Float64Array(n), factor: new Float64Array(n), time: new Float64Array(n), type: new Float64Array(n) };
  }

  add(r: AnkiRevlogRow): void {
    this.rowsRead++;
    // The row as Anki writes it (every value a number in range) is kept as it comes, without a checked copy:
    // the same values checkRevlog would give. Anything else goes through checkRevlog.
    const { id, cid, ease, type, ivl, lastIvl, factor, time } = r;
    if (
      typeof id === 'number' && Number.isSafeInteger(id) && id >= 0 && id <= this.latest && id <= 8.64e15 &&
      typeof cid === 'number' && Number.isSafeInteger(cid) &&
      typeof ease === 'number' && Number.isInteger(ease) && ease >= 0 && ease <= 4 &&
      typeof type === 'number' && Number.isInteger(type) && type >= 0 && type <= 5 &&
      typeof ivl === 'number' && Math.abs(ivl) <= 1e9 &&
      typeof lastIvl === 'number' && Number.isFinite(lastIvl) &&
      typeof factor === 'number' && Number.isFinite(factor) &&
      typeof time === 'number' && Number.isFinite(time)
    ) {
      this.keep(id, cid, ease, Math.round(ivl), Math.round(lastIvl), Math.round(factor), Math.round(time), type);
      return;
    }
    const row = checkRevlog(r, this.latest);
    if ('problem' in row) {
      // The example of each kind, and the order kinds are reported in, is the first such row by card and time, as
      // SQLite orders (cid, id): the report does not depend on the order the table was read in.
      const kind = row.kind;
      const m = this.malformed.get(kind);
      const at = { cid: r.cid, id: r.id };
      if (!m) this.malformed.set(kind, { count: 1, first: `row ${String(r.id)}: ${row.problem}`, at });
      else {
        m.count++;
        if (compareLoose(at.cid, m.at.cid) < 0 || (compareLoose(at.cid, m.at.cid) === 0 && compareLoose(at.id, m.at.id) < 0)) {
          m.first = `row ${String(r.id)}: ${row.problem}`;
          m.at = at;
        }
      }
      return;
    }
    this.keep(row.id, row.cid, row.ease, row.ivl, row.lastIvl, row.factor, row.time, row.type);
  }

  private keep(id: number, cid: number, ease: number, ivl: number, lastIvl: number, factor: number, time: number, type: number): void {
    if (this.size === this.cols.id.length) {
      const grown = ReviewLog.columns(this.size * 2);
      for (const k of Object.keys(grown) as (keyof typeof grown)[]) grown[k].set(this.cols[k]);
      this.cols = grown;
    }
    const i = this.size++;
    const c = this.cols;
    c.id[i] = id;
    c.cid[i] = cid;
    c.ease[i] = ease;
    c.ivl[i] = ivl;
    c.lastIvl[i] = lastIvl;
    c.factor[i] = factor;
    c.time[i] = time;
    c.type[i] = type;
  }

  /** Groups the rows by card (a counting sort: each card's rows stay in the order read). */
  seal(): void {
    const { cid } = this.cols;
    for (let i = 0; i < this.size; i++) {
      const g = this.byCard.get(cid[i]!);
      if (g) g.count++;
      else this.byCard.set(cid[i]!, { start: 0, count: 1 });
    }
    let at = 0;
    const next = new Map<number, number>();
    for (const [card, g] of this.byCard) {
      g.start = at;
      next.set(card, at);
      at += g.count;
    }
    this.order = new Int32Array(this.size);
    for (let i = 0; i < this.size; i++) {
      const k = next.get(cid[i]!)!;
      this.order[k] = i;
      next.set(cid[i]!, k + 1);
    }
  }

  /** The card's rows in time order (Anki's table order already is; another file's is sorted). */
  rows(cardId: number): RevlogRow[] {
    const g = this.byCard.get(cardId);
    if (!g) return [];
    const c = this.cols;
    const out: RevlogRow[] = [];
    let sorted = true;
    for (let k = g.start; k < g.start + g.count; k++) {
      const i = this.order[k]!;
      out.push({ id: c.id[i]!, cid: c.cid[i]!, ease: c.ease[i]!, ivl: c.ivl[i]!, lastIvl: c.lastIvl[i]!, factor: c.factor[i]!, time: c.time[i]!, type: c.type[i]! });
      if (out.length > 1 && out[out.length - 2]!.id > out[out.length - 1]!.id) sorted = false;
    }
    return sorted ? out : out.sort((a, b) => a.id - b.id);
  }

  /** Every card that has rows, with how many. */
  counts(): IterableIterator<[number, { count: number }]> {
    return this.byCard.entries();
  }

  /**
   * The sealed log as plain arrays, for a worker thread to hand over (src/importers/revlog-read.ts): the columns and
   * the order move without a copy, the grouping goes as three arrays in the order it was made.
   */
  toTransfer(): ReviewLogTransfer {
    const cards = new Float64Array(this.byCard.size);
    const starts = new Int32Array(this.byCard.size);
    const counts = new Int32Array(this.byCard.size);
    let k = 0;
    for (const [card, g] of this.byCard) {
      cards[k] = card;
      starts[k] = g.start;
      counts[k++] = g.count;
    }
    return { latest: this.latest, size: this.size, rowsRead: this.rowsRead, cols: this.cols, order: this.order, cards, starts, counts, malformed: [...this.malformed] };
  }

  /** The log a worker sealed and handed over, as it was there. */
  static fromTransfer(t: ReviewLogTransfer): ReviewLog {
    const log = new ReviewLog(t.latest);
    log.size = t.size;
    log.rowsRead = t.rowsRead;
    log.cols = t.cols;
    log.order = t.order;
    for (let k = 0; k < t.cards.length; k++) log.byCard.set(t.cards[k]!, { start: t.starts[k]!, count: t.counts[k]! });
    for (const [kind, m] of t.malformed) log.malformed.set(kind, m);
    return log;
  }

  /** The buffers toTransfer's arrays live in, to move rather than copy. */
  static buffers(t: ReviewLogTransfer): ArrayBuffer[] {
    return [...Object.values(t.cols), t.order, t.cards, t.starts, t.counts].map((a) => a.buffer);
  }
}
