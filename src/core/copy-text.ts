// PostgreSQL's COPY text format, read: rows as the hub streams them to a pulling device (`COPY (...) TO STDOUT`).
// One row per line, fields separated by tabs, `\N` for null, and a backslash before the characters that would
// otherwise break the layout. PostgreSQL renders a million answers this way in a fraction of the time it takes to
// build them as JSON, which kept a new device's first sync waiting on the hub for most of its pull. Pure: bytes in,
// rows out.
import { RecallError } from './errors.js';
import { WIRE_FIELDS, type SyncKind, type WireReview } from './sync.js';

/** The fields of each kind that travel as numbers; the rest are text. */
export const WIRE_NUMBERS: Record<SyncKind, ReadonlySet<string>> = {
  decks: new Set(['createdAt', 'metaAt']),
  cards: new Set(['position', 'createdAt']),
  events: new Set(['at', 'day', 'undoneAt']),
  reviews: new Set([
    'rating', 'stateBefore', 'stateAfter', 'due', 'stability', 'difficulty', 'elapsedDays', 'scheduledDays', 'reviewedAt', 'durationMs',
    'scheduled', 'day', 'sourceState', 'undoneAt',
  ]),
  settings: new Set(['at']),
};

/**
 * One row larger than this is not a row recall wrote (a text import reads at most 64 MiB, an Anki note 1 MiB): the
 * pull stops instead of holding it.
 */
export const MAX_COPY_ROW_BYTES = 256 * 2 ** 20;

const NEWLINE = 10;

function malformed(detail: string, hint = 'nothing was changed; check that the address names a recall hub, and run `recall sync` again'): RecallError {
  return new RecallError('sync-hub-data', `The hub sent rows recall cannot read: ${detail}`, { hint });
}

/**
 * Cuts a COPY stream, arriving in chunks cut anywhere (inside a row, inside a UTF-8 character), into pages of whole
 * rows: at least `pageRows` rows each, the last one whatever is left.
 */
export class CopyPager {
  private carry: Uint8Array[] = [];
  private carryBytes = 0;
  private parts: string[] = [];
  private rows = 0;
  // fatal: text that is not UTF-8 is refused, not turned into replacement characters. ignoreBOM: each decode
  // starts at a row, whose first field may begin with U+FEFF; without it the decoder would drop it as a byte-order mark.
  private readonly decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

  constructor(private readonly pageRows: number) {}

  /** The pages completed by this chunk (usually none or one). */
  add(chunk: Uint8Array): { text: string; count: number }[] {
    const last = chunk.lastIndexOf(NEWLINE);
    if (last < 0) {
      this.hold(chunk);
      return [];
    }
    // A newline byte never occurs inside a multi-byte UTF-8 character, so text cut after one decodes on its own.
    let whole = chunk.subarray(0, last + 1);
    if (this.carryBytes > 0) {
      whole = concat([...this.carry, whole], this.carryBytes + whole.length);
      this.carry = [];
      this.carryBytes = 0;
    }
    this.hold(chunk.subarray(last + 1));
    let count = 0;
    for (let i = whole.indexOf(NEWLINE); i >= 0; i = whole.indexOf(NEWLINE, i + 1)) count++;
    try {
      this.parts.push(this.decoder.decode(whole));
    } catch {
      throw malformed('text that is not UTF-8');
    }
    this.rows += count;
    return this.rows >= this.pageRows ? [this.flush()] : [];
  }

  /** What is left when the stream ends; a row without its newline is an error (the stream was cut). */
  end(): { text: string; count: number } | null {
    if (this.carryBytes > 0) throw malformed('the last row ends without a newline');
    return this.rows > 0 ? this.flush() : null;
  }

  private hold(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.carryBytes += bytes.length;
    if (this.carryBytes > MAX_COPY_ROW_BYTES) {
      throw malformed(
        `a row larger than ${MAX_COPY_ROW_BYTES / 2 ** 20} MiB`,
        'nothing was changed; recall writes no row that large, so something else wrote it to the hub: find it with psql (the largest `content` in recall.cards, `data` in recall.card_events)',
      );
    }
    // A copy: the chunk's buffer may be reused by the stream.
    this.carry.push(bytes.slice());
  }

  private flush(): { text: string; count: number } {
    const page = { text: this.parts.join(''), count: this.rows };
    this.parts = [];
    this.rows = 0;
    return page;
  }
}

function concat(parts: Uint8Array[], bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const ESCAPES: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

/** A text field as COPY wrote it: `\n`, `\t`, ... for those characters, and a backslash before any other for itself. */
export function unescapeCopy(field: string): string {
  if (!field.includes('\\')) return field;
  let out = '';
  let from = 0;
  for (let i = field.indexOf('\\'); i >= 0; i = field.indexOf('\\', from)) {
    if (i + 1 >= field.length) throw malformed('a field ends in a lone backslash');
    const c = field[i + 1]!;
    out += field.slice(from, i) + (ESCAPES[c] ?? c);
    from = i + 2;
  }
  return out + field.slice(from);
}

function numberField(field: string): number {
  const n = Number(field);
  if (field === '' || Number.isNaN(n)) throw malformed(`"${field.slice(0, 40)}" where a number belongs`);
  return n;
}

/** The rows of one page of COPY text (whole rows, each ending in a newline) as wire rows of `kind`. */
export function parseCopyRows(kind: SyncKind, text: string): unknown[] {
  const lines = text.split('\n');
  if (lines.pop() !== '') throw malformed('the last row ends without a newline');
  const fields = WIRE_FIELDS[kind];
  const numbers = fields.map((f) => WIRE_NUMBERS[kind].has(f));
  const out = new Array<unknown>(lines.length);
  for (let k = 0; k < lines.length; k++) {
    const f = lines[k]!.split('\t');
    if (f.length !== fields.length) throw malformed(`a ${kind} row of ${f.length} fields instead of ${fields.length}`);
    if (kind === 'reviews') {
      out[k] = reviewRow(f);
      continue;
    }
    // The other kinds are a few rows per deck or card: a generic loop is fast enough for them.
    const row: Record<string, unknown> = {};
    for (let i = 0; i < fields.length; i++) {
      const s = f[i]!;
      row[fields[i]!] = s === '\\N' ? null : numbers[i] ? numberField(s) : unescapeCopy(s);
    }
    out[k] = row;
  }
  return out;
}

const nullable = <T>(s: string, read: (s: string) => T): T | null => (s === '\\N' ? null : read(s));
const req = <T>(s: string, read: (s: string) => T): T => {
  if (s === '\\N') throw malformed('null where a review needs a value');
  return read(s);
};

/**
 * A review row, written out field by field: one object shape built the same way each time is twice as fast as a
 * loop over the field names, and a pull is a million of them. The order is WIRE_FIELDS.reviews (checked below).
 */
function reviewRow(f: string[]): WireReview {
  return {
    uid: req(f[0]!, unescapeCopy),
    cardGuid: req(f[1]!, unescapeCopy),
    rating: req(f[2]!, numberField),
    stateBefore: req(f[3]!, numberField),
    stateAfter: req(f[4]!, numberField),
    due: req(f[5]!, numberField),
    stability: req(f[6]!, numberField),
    difficulty: req(f[7]!, numberField),
    elapsedDays: req(f[8]!, numberField),
    scheduledDays: req(f[9]!, numberField),
    reviewedAt: req(f[10]!, numberField),
    durationMs: req(f[11]!, numberField),
    kind: req(f[12]!, unescapeCopy),
    scheduled: req(f[13]!, numberField),
    answer: nullable(f[14]!, unescapeCopy),
    sourceKey: nullable(f[15]!, unescapeCopy),
    day: req(f[16]!, numberField),
    device: nullable(f[17]!, unescapeCopy),
    actionUid: nullable(f[18]!, unescapeCopy),
    sourceState: nullable(f[19]!, numberField),
    undoneAt: nullable(f[20]!, numberField),
  };
}

// reviewRow spells the fields out; they must be WIRE_FIELDS.reviews, in that order, with the numbers where
// WIRE_NUMBERS says.
{
  const probe = reviewRow(WIRE_FIELDS.reviews.map((_, i) => String(i)));
  const keys = Object.keys(probe);
  const typed = keys.map((k) => typeof (probe as unknown as Record<string, unknown>)[k] === 'number');
  if (keys.join(',') !== WIRE_FIELDS.reviews.join(',') || typed.some((t, i) => t !== WIRE_NUMBERS.reviews.has(keys[i]!))) {
    throw new Error('copy-text: reviewRow differs from WIRE_FIELDS.reviews / WIRE_NUMBERS');
  }
}
