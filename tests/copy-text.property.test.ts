// The COPY text a hub streams to a pulling device arrives in chunks cut anywhere: inside a row, inside an escape,
// inside a UTF-8 character. Whatever the cuts and the page size, the rows read back must be the rows written, and
// text that is not a stream of whole rows must be refused, not half-read.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CopyPager, parseCopyRows, unescapeCopy, WIRE_NUMBERS } from '../src/core/copy-text.js';
import { RecallError } from '../src/core/errors.js';
import { WIRE_FIELDS, type SyncKind } from '../src/core/sync.js';

/** A value as PostgreSQL's COPY TO writes it (CopyAttributeOutText): these six characters and the backslash escaped. */
function copyField(v: string | number | null): string {
  if (v === null) return '\\N';
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
  return v.replace(/[\\\b\f\n\r\t\v]/g, (c) => `\\${({ '\b': 'b', '\f': 'f', '\n': 'n', '\r': 'r', '\t': 't', '\v': 'v' } as Record<string, string>)[c] ?? c}`);
}

// U+FEFF too: at the start of a row's first field it must not be taken for a byte-order mark.
const text = fc.string({ unit: fc.oneof(fc.constantFrom('\\', '\t', '\n', '\r', '\b', '\f', '\v', 'N', 'é', '😀', '\u0000', '\ufeff'), fc.string({ maxLength: 1, unit: 'grapheme' })), maxLength: 12 });
// Any double PostgreSQL can hold, -0 included (it writes "-0").
const num = fc.oneof(fc.integer({ min: -(2 ** 40), max: 2 ** 45 }), fc.double({ noNaN: true, noDefaultInfinity: true }));
const NULLABLE: Record<SyncKind, ReadonlySet<string>> = {
  decks: new Set(['path']),
  cards: new Set(),
  events: new Set(['actionUid', 'data', 'undoneAt']),
  reviews: new Set(['answer', 'sourceKey', 'device', 'actionUid', 'sourceState', 'undoneAt']),
  settings: new Set(['value']),
};

function rowOf(kind: SyncKind): fc.Arbitrary<Record<string, string | number | null>> {
  const fields = Object.fromEntries(
    WIRE_FIELDS[kind].map((f) => {
      const value: fc.Arbitrary<string | number> = WIRE_NUMBERS[kind].has(f) ? num : text;
      return [f, NULLABLE[kind].has(f) ? fc.option(value, { nil: null }) : value];
    }),
  );
  return fc.record(fields) as fc.Arbitrary<Record<string, string | number | null>>;
}

const copyText = (kind: SyncKind, rows: Record<string, string | number | null>[]) =>
  rows.map((r) => `${WIRE_FIELDS[kind].map((f) => copyField(r[f]!)).join('\t')}\n`).join('');

/** The bytes cut at the given points (sorted, deduplicated, inside the range). */
function cut(bytes: Uint8Array, points: number[]): Uint8Array[] {
  const at = [...new Set(points.map((p) => p % (bytes.length + 1)))].sort((x, y) => x - y);
  const out: Uint8Array[] = [];
  let from = 0;
  for (const p of [...at, bytes.length]) {
    out.push(bytes.slice(from, p));
    from = p;
  }
  return out;
}

function readAll(kind: SyncKind, chunks: Uint8Array[], pageRows: number): { rows: unknown[]; pages: number[] } {
  const pager = new CopyPager(pageRows);
  const rows: unknown[] = [];
  const pages: number[] = [];
  const take = (page: { text: string; count: number } | null) => {
    if (!page) return;
    const read = parseCopyRows(kind, page.text);
    expect(read.length).toBe(page.count);
    pages.push(page.count);
    rows.push(...read);
  };
  for (const c of chunks) for (const p of pager.add(c)) take(p);
  take(pager.end());
  return { rows, pages };
}

const kinds = fc.constantFrom<SyncKind>('decks', 'cards', 'events', 'reviews', 'settings');

describe('COPY text from the hub', () => {
  it('reads back the rows written, however the stream is cut into chunks and pages', () => {
    fc.assert(
      fc.property(
        kinds.chain((kind) => fc.tuple(fc.constant(kind), fc.array(rowOf(kind), { maxLength: 12 }))),
        fc.array(fc.nat(), { maxLength: 30 }),
        fc.integer({ min: 1, max: 5 }),
        ([kind, rows], points, pageRows) => {
          const bytes = new TextEncoder().encode(copyText(kind, rows));
          const { rows: read, pages } = readAll(kind, cut(bytes, points), pageRows);
          expect(read).toEqual(rows);
          // Every page but the last holds at least pageRows rows.
          pages.slice(0, -1).forEach((n) => expect(n).toBeGreaterThanOrEqual(pageRows));
        },
      ),
      { numRuns: 400 },
    );
  });

  it('refuses a stream cut inside a row, text that is not UTF-8, and rows of the wrong shape', () => {
    const row = copyText('settings', [{ key: 'k', value: 'v', at: 1, device: 'd' }]);
    const bytes = new TextEncoder().encode(row);
    const refused = (f: () => unknown) => expect(f).toThrow(RecallError);
    refused(() => readAll('settings', [bytes.slice(0, bytes.length - 1)], 1));
    refused(() => readAll('settings', [new Uint8Array([0x6b, 0xff, 0x09, 0x76, 0x09, 0x31, 0x09, 0x64, 0x0a])], 1));
    refused(() => parseCopyRows('settings', 'k\tv\t1\n'));
    refused(() => parseCopyRows('settings', 'k\tv\tx\td\n'));
    refused(() => parseCopyRows('settings', 'k\tv\t\td\n'));
    refused(() => parseCopyRows('settings', 'k\tv\\\t1\td\n'));
    refused(() => parseCopyRows('reviews', `${WIRE_FIELDS.reviews.map(() => '\\N').join('\t')}\n`));
    expect(parseCopyRows('settings', 'k\t\\N\t1\td\n')).toEqual([{ key: 'k', value: null, at: 1, device: 'd' }]);
    expect(unescapeCopy('a\\\\b\\tc\\x')).toBe('a\\b\tcx');
    // A row's first field starting with U+FEFF, in a chunk of its own: kept.
    expect(readAll('settings', [new TextEncoder().encode('\ufeffk\tv\t1\td\n')], 1).rows).toEqual([{ key: '\ufeffk', value: 'v', at: 1, device: 'd' }]);
  });
});
