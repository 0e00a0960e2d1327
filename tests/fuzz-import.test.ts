// Bad input: importers get thousands of mutated and random inputs; each either yields a plan or throws a
// RecallError (never another error type, never a hang). At the CLI, bad files give exit 1, a `file: message`
// line and no stack trace, and leave the database as it was. Zip bombs and huge fields are refused within
// bounded memory.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { unzipSync, zipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import { RecallError } from '../src/core/errors.js';
import { readAnkiPackage } from '../src/importers/anki-package.js';
import { parseAnkiText } from '../src/importers/anki-text.js';
import { recallBin } from '../scripts/lib/term.mjs';

const EXAMPLE_APKG = 'tests/fixtures/anki-spanish/Example-Deck.apkg';
const EXAMPLE_TXT = 'tests/fixtures/anki-spanish/Example-Deck.txt';
const work = mkdtempSync(join(tmpdir(), 'recall-fuzz-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Runs `fn`; the outcome must be a value or a RecallError, and must come quickly. */
function planOrRecallError(fn: () => unknown, what: () => string): 'plan' | 'error' {
  // CPU time, not wall time: on a busy machine the wall clock measures the machine.
  const t0 = process.cpuUsage();
  try {
    fn();
    return 'plan';
  } catch (e) {
    if (!(e instanceof RecallError)) {
      throw new Error(`${what()}: threw ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}\n${(e as Error)?.stack}`);
    }
    return 'error';
  } finally {
    const used = process.cpuUsage(t0);
    const ms = (used.user + used.system) / 1000;
    if (ms > 5000) throw new Error(`${what()}: took ${Math.round(ms)} ms of CPU`);
  }
}

/** Byte-level mutations: flips, overwrites, truncation, insertion, duplication of a chunk. */
const mutation = (len: number) =>
  fc.oneof(
    fc.record({ kind: fc.constant('flip' as const), at: fc.nat(len - 1), bit: fc.nat(7) }),
    fc.record({ kind: fc.constant('set' as const), at: fc.nat(len - 1), value: fc.nat(255) }),
    fc.record({ kind: fc.constant('truncate' as const), at: fc.nat(len) }),
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat(len), bytes: fc.uint8Array({ maxLength: 64 }) }),
    fc.record({ kind: fc.constant('dup' as const), at: fc.nat(len - 1), n: fc.integer({ min: 1, max: 4096 }) }),
  );
type Mutation = ReturnType<typeof mutation> extends fc.Arbitrary<infer T> ? T : never;

function mutate(src: Uint8Array, ms: Mutation[]): Uint8Array {
  let b = Uint8Array.from(src);
  for (const m of ms) {
    const at = Math.min(m.at, b.length);
    switch (m.kind) {
      case 'flip':
        if (b.length) b[at % b.length] = (b[at % b.length] ?? 0) ^ (1 << m.bit);
        break;
      case 'set':
        if (b.length) b[at % b.length] = m.value;
        break;
      case 'truncate':
        b = b.subarray(0, at);
        break;
      case 'insert':
        b = Uint8Array.from([...b.subarray(0, at), ...m.bytes, ...b.subarray(at)]);
        break;
      case 'dup': {
        const chunk = b.subarray(at, at + m.n);
        const out = new Uint8Array(b.length + chunk.length);
        out.set(b.subarray(0, at + chunk.length));
        out.set(chunk, at + chunk.length);
        out.set(b.subarray(at + chunk.length), at + 2 * chunk.length);
        b = out;
        break;
      }
    }
  }
  return b;
}

describe('parseAnkiText with mutated and random input', () => {
  const seedText = readFileSync(EXAMPLE_TXT, 'utf8');
  const rich = [
    '#separator:tab',
    '#html:true',
    '#tags:a b',
    '#columns:Notetype\tDeck\tFront\tBack\tTags',
    '#notetype column:1',
    '#deck column:2',
    '#tags column:5',
    'Basic\tD1\t<b>Hola</b>\tHello\tt1',
    'Basic (and reversed card)\tD1::Sub\t"multi\nline"\t"quoted ""x"""\tt2',
    'Cloze\tD2\t{{c1::a}} {{c2::b::hint}}\textra\t',
    'Basic (type in the answer)\tD2\tq\ta\t',
    'Basic (optional reversed card)\tD2\tq2\ta2\tyes',
  ].join('\n');

  it('returns a plan or throws a RecallError on 3000 mutations of real exports', () => {
    let plans = 0;
    let errors = 0;
    const seeds = [seedText, rich];
    fc.assert(
      fc.property(fc.nat(seeds.length - 1), fc.array(mutation(400), { minLength: 1, maxLength: 6 }), (which, ms) => {
        const src = Buffer.from(seeds[which]!, 'utf8');
        const text = Buffer.from(mutate(src, ms.map((m) => ({ ...m, at: m.at % (src.length + 1) })))).toString('utf8');
        planOrRecallError(() => parseAnkiText(text, 'fuzz.txt'), () => `mutated text ${JSON.stringify(text)}`) === 'plan' ? plans++ : errors++;
      }),
      { numRuns: 3000, seed: 42 },
    );
    // Both outcomes happen: the property is not vacuous.
    expect(plans).toBeGreaterThan(100);
    expect(errors).toBeGreaterThan(0);
  });

  it('returns a plan or throws a RecallError on 3000 random texts built from the format\'s own tokens', () => {
    const token = fc.constantFrom('#separator:', '#html:', '#columns:', '#deck:', '#notetype:', '#guid column:', '#tags column:', '#deck column:', '#notetype column:',
      'tab', 'Comma', 'Pipe', 'true', 'false', '0', '1', '3', '99', '-1', '\t', ',', ';', '|', '"', '""', '\n', '\r\n', '\r', '{{c1::', '}}', '::', '<br>', '<b>', '&amp;', '&#0;', '&#x110000;',
      'Basic', 'Cloze', 'Basic (and reversed card)', 'Basic (type in the answer)', 'Basic (optional reversed card)', 'x', ' ', '\u0000', '\u001b[2J', '\uFEFF', '\uD800', '漢字');
    fc.assert(
      fc.property(fc.array(token, { maxLength: 80 }), fc.string({ maxLength: 20 }), (tokens, tail) => {
        const text = tokens.join('') + tail;
        planOrRecallError(() => parseAnkiText(text, 'tokens.txt', { deck: tail.length % 2 ? undefined : 'Forced' }), () => `token text ${JSON.stringify(text)}`);
      }),
      { numRuns: 3000, seed: 7 },
    );
  });

  it('random unicode strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (text) => {
        planOrRecallError(() => parseAnkiText(text, 'random.txt'), () => `random text ${JSON.stringify(text)}`);
      }),
      { numRuns: 2000, seed: 3 },
    );
  });
});

describe('readAnkiPackage with mutated and random bytes', () => {
  const apkg = new Uint8Array(readFileSync(EXAMPLE_APKG));
  const inner = unzipSync(apkg);
  const collectionName = Object.keys(inner).find((n) => n.startsWith('collection.'))!;
  const collection = inner[collectionName]!;
  let n = 0;
  const tryBytes = (bytes: Uint8Array, name = 'fuzz.apkg') => {
    const path = join(work, `${n++ % 4}-${name}`);
    writeFileSync(path, bytes);
    return planOrRecallError(() => readAnkiPackage(path, { tmpDir: work }), () => `${name} (${bytes.length} bytes; base64 ${Buffer.from(bytes.subarray(0, 2048)).toString('base64')})`);
  };

  it('the unmutated package reads', () => {
    expect(tryBytes(apkg)).toBe('plan');
  });

  it('mutated package bytes (1000 cases)', () => {
    const outcomes = { plan: 0, error: 0 };
    fc.assert(
      fc.property(fc.array(mutation(apkg.length), { minLength: 1, maxLength: 4 }), (ms) => {
        outcomes[tryBytes(mutate(apkg, ms))]++;
      }),
      { numRuns: 1000, seed: 11 },
    );
    expect(outcomes.error).toBeGreaterThan(0);
  }, 120_000);

  it('mutated collection inside a valid zip, so the SQLite reader and the plan builder see damage (1000 cases)', () => {
    const outcomes = { plan: 0, error: 0 };
    fc.assert(
      fc.property(fc.array(mutation(collection.length), { minLength: 1, maxLength: 8 }), fc.boolean(), (ms, bare) => {
        const damaged = mutate(collection, ms);
        const bytes = bare ? damaged : zipSync({ [collectionName]: damaged, media: new TextEncoder().encode('{}') }, { level: 0 });
        outcomes[tryBytes(bytes, bare ? 'fuzz.anki2' : 'fuzz.apkg')]++;
      }),
      { numRuns: 1000, seed: 13 },
    );
    // Many small mutations leave a readable collection: the plan builder sees odd rows, not just the reader.
    expect(outcomes.plan).toBeGreaterThan(20);
    expect(outcomes.error).toBeGreaterThan(50);
  }, 180_000);

  it('random bytes, with and without a zip, zstd or SQLite magic (1000 cases)', () => {
    const magic = fc.constantFrom(new Uint8Array(0), Uint8Array.from([0x50, 0x4b, 0x03, 0x04]), Uint8Array.from([0x50, 0x4b, 0x05, 0x06]), Uint8Array.from([0x28, 0xb5, 0x2f, 0xfd]), new TextEncoder().encode('SQLite format 3\0'));
    fc.assert(
      fc.property(magic, fc.uint8Array({ maxLength: 4096 }), fc.constantFrom('x.apkg', 'x.colpkg', 'x.anki2'), (m, rest, name) => {
        const bytes = new Uint8Array(m.length + rest.length);
        bytes.set(m);
        bytes.set(rest, m.length);
        tryBytes(bytes, name);
      }),
      { numRuns: 1000, seed: 17 },
    );
  }, 120_000);
});

// ---------------------------------------------------------------------------------------------------------
// At the command line

const BIN = recallBin();
function recall(args: string[], env: Record<string, string>) {
  const r = spawnSync(process.execPath, [BIN, ...args], { env: { ...process.env, NO_COLOR: '1', ...env }, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** Every row of every table, in a stable order: equal dumps mean an unchanged database. */
function dump(db: string): string {
  const conn = new Database(db, { readonly: true });
  try {
    const tables = conn.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all() as string[];
    return JSON.stringify(tables.map((t) => [t, conn.prepare(`SELECT * FROM "${t}" ORDER BY 1, 2`).all()]));
  } finally {
    conn.close();
  }
}

describe('recall import of bad files', () => {
  const db = join(work, 'cli.db');
  const env = { RECALL_DB: db, RECALL_NOW: '2026-04-01T10:00:00Z' };
  const apkg = readFileSync(EXAMPLE_APKG);

  it('exit 1, a file: message, no stack trace, the database unchanged', () => {
    const good = recall(['import', EXAMPLE_APKG, EXAMPLE_TXT], env);
    expect(good.code, good.err).toBe(0);
    const before = dump(db);
    const bad: Record<string, Buffer | string> = {
      'truncated.apkg': apkg.subarray(0, Math.floor(apkg.length / 2)),
      'random.apkg': Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919) % 251)),
      'empty.apkg': Buffer.alloc(0),
      'no-collection.apkg': Buffer.from(zipSync({ 'media': new TextEncoder().encode('{}') })),
      'bad-zstd.colpkg': Buffer.from(zipSync({ 'collection.anki21b': Uint8Array.from([0x28, 0xb5, 0x2f, 0xfd, 1, 2, 3, 4, 5]) })),
      'not-sqlite.anki2': 'SQLite format 3\0' + 'x'.repeat(200),
      'unclosed-quote.txt': '#separator:tab\n"never closed\tback\nnext\trow\n',
      'reversed-without-back.txt': '#separator:tab\n#notetype:Basic (and reversed card)\nfront only\t\n',
      'bad-header.txt': '#separator:tab\n#guid column:zero\na\tb\n',
    };
    for (const [name, content] of Object.entries(bad)) {
      const path = join(work, name);
      writeFileSync(path, content);
      // A good file next to the bad one is not imported either: nothing is half applied. (--strict: without it a
      // file whose rows have problems imports its good rows.)
      const r = recall(['import', EXAMPLE_TXT, path, '--strict'], env);
      const where = `${name}: exit ${r.code}\n${r.err}`;
      expect(r.code, where).toBe(1);
      expect(r.err, where).toMatch(new RegExp(`^recall: ${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(:\\d+)?:? `));
      expect(r.err, where).not.toMatch(/^\s+at /m);
      expect(r.err, where).not.toMatch(/unexpected error|TypeError|SqliteError/);
      expect(dump(db), where).toBe(before);
    }
  }, 120_000);
});

describe('resource limits', () => {
  const wrapper = join(work, 'maxrss.mjs');
  writeFileSync(wrapper, `process.on('exit', () => { const u = process.resourceUsage(); process.stderr.write('MAXRSS_KB ' + u.maxRSS + ' CPU_MS ' + Math.round((u.userCPUTime + u.systemCPUTime) / 1000) + '\\n'); });\nawait import(${JSON.stringify(BIN)});\n`);
  const GiB = 1024 ** 3;

  /** Runs recall import in a child that reports its peak RSS. */
  function importMeasured(file: string, timeout = 60_000) {
    const db = join(work, `limits-${Math.random().toString(36).slice(2)}.db`);
    const t0 = Date.now();
    const r = spawnSync(process.execPath, [wrapper, 'import', file], { env: { ...process.env, NO_COLOR: '1', RECALL_DB: db }, encoding: 'utf8', timeout });
    const rssKb = Number(/MAXRSS_KB (\d+)/.exec(r.stderr)?.[1] ?? NaN);
    return { code: r.status, signal: r.signal, err: r.stderr, out: r.stdout, rssMb: rssKb / 1024, ms: Date.now() - t0, db };
  }

  /** A real zip of a big run of zeros, then its declared uncompressed size rewritten to `declared`. */
  function bomb(declared: number): Buffer {
    const zeros = new Uint8Array(64 * 1024 * 1024);
    const zip = Buffer.from(zipSync({ 'collection.anki2': zeros }, { level: 9 }));
    // Local header: uncompressed size at +22. Central directory entry (PK\1\2): uncompressed size at +24.
    zip.writeUInt32LE(Math.min(declared, 0xfffffffe), 22);
    const cd = zip.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    zip.writeUInt32LE(Math.min(declared, 0xfffffffe), cd + 24);
    return zip;
  }

  it('a zip bomb (an entry declared to inflate to more than 2 GiB) is refused, in bounded memory', () => {
    const file = join(work, 'bomb.apkg');
    const bytes = bomb(3 * GiB);
    expect(bytes.length).toBeLessThan(200_000);
    writeFileSync(file, bytes);
    const r = importMeasured(file);
    expect(r.code, r.err).toBe(1);
    expect(r.err).toMatch(/bomb\.apkg: .*(declares|refus|stops)/);
    expect(r.rssMb, `peak RSS ${r.rssMb} MB`).toBeLessThan(1024);
  });

  it('a zip whose entry inflates far beyond its declared size cannot take memory beyond the declaration', () => {
    const file = join(work, 'liar.apkg');
    writeFileSync(file, bomb(1024 * 1024)); // 64 MiB of zeros declared as 1 MiB
    const r = importMeasured(file);
    expect(r.code, r.err).toBe(1);
    expect(r.err).toMatch(/liar\.apkg: /);
    expect(r.rssMb, `peak RSS ${r.rssMb} MB`).toBeLessThan(1024);
  });

  it('a zip declaring just under the limit with a plausible ratio does not make recall allocate it', () => {
    // 1.9 GiB declared for a 2.5 MB entry (ratio < 1000:1): a tiny file must not cost gigabytes.
    const file = join(work, 'plausible.apkg');
    const sqliteHead = Buffer.alloc(4096);
    Buffer.from('SQLite format 3\0', 'latin1').copy(sqliteHead);
    const body = Buffer.concat([sqliteHead, randomBytes(2_500_000)]);
    const zip = Buffer.from(zipSync({ 'collection.anki2': body }, { level: 1 }));
    const declared = Math.floor(1.9 * GiB);
    expect(declared / zip.length).toBeLessThan(1000);
    zip.writeUInt32LE(declared, 22);
    const cd = zip.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    zip.writeUInt32LE(declared, cd + 24);
    writeFileSync(file, zip);
    const r = importMeasured(file);
    expect(r.code, r.err).toBe(1);
    expect(r.rssMb, `peak RSS ${r.rssMb} MB`).toBeLessThan(1024);
  });

  it('a 50 MB field in a text export is skipped with its line, quickly and in bounded memory', () => {
    const file = join(work, 'huge-field.txt');
    writeFileSync(file, `#separator:tab\n#html:false\nfront\t${'x'.repeat(50 * 1024 * 1024)}\nsmall\tcard\n`);
    const r = importMeasured(file, 30_000);
    expect(r.signal, `killed after ${r.ms} ms: the import did not finish in 30 s`).toBeNull();
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.err).toMatch(/huge-field\.txt:3: Field 2 is 50\.0 MB/);
    expect(r.rssMb, `peak RSS ${r.rssMb} MB`).toBeLessThan(1024);
    const conn = new Database(r.db, { readonly: true });
    expect(conn.prepare('SELECT count(*) FROM cards').pluck().get()).toBe(1);
    expect(conn.prepare('SELECT max(length(content)) FROM cards').pluck().get()).toBeLessThan(1000);
    conn.close();
  }, 40_000);
});

// ---------------------------------------------------------------------------------------------------------
// Issue 16 families: zip and zstd bombs, SQLite schema tricks, hostile names on every output path. In process
// for volume (each input: a plan or a RecallError, within 5 s), then a sample through the CLI as a child that
// reports its peak memory: every rejected input exits 1 with a message, in < 10 s and < 300 MB, and leaves the
// database as it was.

/** A zstd frame header: magic, descriptor, window descriptor (or, single-segment, the content size). */
function zstdFrame(opts: { windowByte: number; blocks: { type: 0 | 1 | 2; size: number; byte: number }[]; checksum: boolean; declared?: number }): Uint8Array {
  const out: number[] = [0x28, 0xb5, 0x2f, 0xfd];
  if (opts.declared !== undefined) {
    out.push(0x80 | (opts.checksum ? 4 : 0)); // 4-byte content size, with a window descriptor
    out.push(opts.windowByte);
    out.push(opts.declared & 0xff, (opts.declared >>> 8) & 0xff, (opts.declared >>> 16) & 0xff, (opts.declared >>> 24) & 0xff);
  } else {
    out.push(opts.checksum ? 4 : 0, opts.windowByte);
  }
  opts.blocks.forEach((b, i) => {
    const h = (b.size << 3) | (b.type << 1) | (i === opts.blocks.length - 1 ? 1 : 0);
    out.push(h & 0xff, (h >> 8) & 0xff, (h >> 16) & 0xff);
    if (b.type === 1) out.push(b.byte);
    else for (let k = 0; k < Math.min(b.size, 4096); k++) out.push((b.byte + k) & 0xff);
  });
  if (opts.checksum) out.push(1, 2, 3, 4);
  return Uint8Array.from(out);
}

function sqliteHead(pages: number, pageSize: number, valid: boolean): Uint8Array {
  const h = Buffer.alloc(100);
  Buffer.from('SQLite format 3\0', 'latin1').copy(h);
  h.writeUInt16BE(pageSize === 65536 ? 1 : pageSize, 16);
  h.writeUInt32BE(pages, 28);
  h.writeUInt32BE(5, 24);
  h.writeUInt32BE(valid ? 5 : 4, 92);
  return h;
}

const bombArb = fc.record({
  windowByte: fc.oneof(fc.constant(0x38), fc.constant(0x58), fc.nat(255)),
  blockCount: fc.integer({ min: 1, max: 2048 }),
  blockSize: fc.oneof(fc.constant(131072), fc.integer({ min: 0, max: 300_000 })),
  byte: fc.nat(255),
  rawFirst: fc.boolean(),
  head: fc.option(fc.record({ pages: fc.integer({ min: 0, max: 300_000 }), pageSize: fc.constantFrom(512, 1024, 4096, 65536, 3000), valid: fc.boolean() }), { nil: undefined }),
  checksum: fc.boolean(),
  declared: fc.option(fc.oneof(fc.nat(), fc.constant(0xffffffff)), { nil: undefined }),
  frames: fc.integer({ min: 1, max: 3 }),
  container: fc.constantFrom('zip-deflate', 'zip-stored', 'bare-zstd', 'zip-liar'),
  name: fc.constantFrom('collection.anki21b', 'collection.anki21', 'collection.anki2'),
});
type Bomb = typeof bombArb extends fc.Arbitrary<infer T> ? T : never;

function buildBomb(b: Bomb): { bytes: Uint8Array; ext: string } {
  const frames: Uint8Array[] = [];
  for (let f = 0; f < b.frames; f++) {
    const blocks = Array.from({ length: b.blockCount }, (_, i) => ({ type: (i === 0 && b.rawFirst ? 0 : 1) as 0 | 1, size: b.blockSize, byte: b.byte }));
    frames.push(zstdFrame({ windowByte: b.windowByte, blocks, checksum: b.checksum, declared: b.declared }));
  }
  let inner = Buffer.concat(frames.map((x) => Buffer.from(x)));
  if (b.head) {
    // The SQLite header as the first raw block of the first frame.
    const head = sqliteHead(b.head.pages, b.head.pageSize, b.head.valid);
    const first = zstdFrame({ windowByte: b.windowByte, blocks: [{ type: 0, size: 100, byte: 0 }], checksum: false });
    const withHead = Buffer.from(first);
    Buffer.from(head).copy(withHead, withHead.length - 100);
    // Not the last block: clear the last-block bit so the bomb's blocks follow in the same frame.
    withHead[6] = withHead[6]! & 0xfe;
    inner = Buffer.concat([withHead, inner.subarray(6)]);
  }
  if (b.container === 'bare-zstd') return { bytes: inner, ext: 'anki21b' };
  const zip = Buffer.from(zipSync({ [b.name]: inner }, { level: b.container === 'zip-stored' ? 0 : 9 }));
  if (b.container === 'zip-liar') {
    // Declared sizes that understate the entry: the counter, not the header, must stop it.
    zip.writeUInt32LE(100, 22);
    const cd = zip.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    if (cd >= 0) zip.writeUInt32LE(100, cd + 24);
  }
  return { bytes: zip, ext: 'apkg' };
}

describe('zip and zstd bombs (in process, 300 cases)', () => {
  it('every generated bomb gives a plan or a RecallError, quickly', () => {
    let n = 0;
    const outcomes = { plan: 0, error: 0 };
    fc.assert(
      fc.property(bombArb, (b) => {
        const { bytes, ext } = buildBomb(b);
        const path = join(work, `bomb-${n++ % 4}.${ext}`);
        writeFileSync(path, bytes);
        outcomes[planOrRecallError(() => readAnkiPackage(path, { tmpDir: work }), () => `bomb ${JSON.stringify(b)}`)]++;
      }),
      { numRuns: 300, seed: 16 },
    );
    expect(outcomes.error).toBeGreaterThan(250);
  }, 180_000);
});

/** Collections whose schema or values attack the reader. */
const trickArb = fc.record({
  notes: fc.constantFrom('table', 'view', 'recursive-view', 'generated-virtual', 'generated-stored', 'missing', 'fts', 'without-rowid'),
  cards: fc.constantFrom('table', 'view', 'missing'),
  blobBytes: fc.constantFrom(0, 100, 1_100_000, 3_000_000),
  value: fc.constantFrom<unknown>(null, 'abc', 1.5, -1, 2 ** 53 + 2, 9e15, '', Buffer.from([0xff, 0xfe]), 'x'.repeat(2000)),
  column: fc.constantFrom('guid', 'mid', 'flds', 'tags', 'cid', 'ease', 'ivl', 'time', 'type', 'ord', 'nid', 'queue'),
  models: fc.constantFrom('ok', 'null-entry', 'array', 'not-json', 'no-fields', 'huge-template'),
  triggers: fc.boolean(),
});
type Trick = typeof trickArb extends fc.Arbitrary<infer T> ? T : never;

function buildTrick(path: string, t: Trick): void {
  rmSync(path, { force: true });
  const db = new Database(path);
  // Test data only: no journal, no fsync.
  db.pragma('journal_mode = OFF');
  db.pragma('synchronous = OFF');
  const mid = 1_600_000_000_000;
  const tmpl = t.models === 'huge-template' ? '{{#a}}'.repeat(50_000) : '{{Front}}';
  const models = t.models === 'ok' || t.models === 'huge-template'
    ? JSON.stringify({ [mid]: { id: mid, name: 'Basic', type: 0, flds: [{ name: 'Front', ord: 0 }, { name: 'Back', ord: 1 }], tmpls: [{ name: 'C', ord: 0, qfmt: tmpl, afmt: '{{Back}}' }] } })
    : t.models === 'null-entry' ? JSON.stringify({ [mid]: null }) : t.models === 'array' ? '[1,2]' : t.models === 'no-fields' ? JSON.stringify({ [mid]: { id: mid } }) : '{not json';
  db.exec(`CREATE TABLE col (id integer primary key, crt, mod, scm, ver, dty, usn, ls, conf, models, decks, dconf, tags);
    CREATE TABLE revlog (id integer primary key, cid, usn, ease, ivl, lastIvl, factor, time, type);`);
  db.prepare('INSERT INTO col VALUES (1, 0, 0, 0, 11, 0, 0, 0, ?, ?, ?, ?, ?)').run('{}', models, JSON.stringify({ 1: { id: 1, name: 'D' } }), '{}', '{}');
  const notesCols = 'id integer primary key, guid, mid, mod, usn, tags, flds, sfld, csum, flags, data';
  switch (t.notes) {
    case 'table':
      db.exec(`CREATE TABLE notes (${notesCols})`);
      break;
    case 'without-rowid':
      db.exec(`CREATE TABLE notes (id integer primary key, guid, mid, mod, usn, tags, flds, sfld, csum, flags, data) WITHOUT ROWID`);
      break;
    case 'view':
      db.exec(`CREATE TABLE n2 (${notesCols}); CREATE VIEW notes AS SELECT * FROM n2`);
      break;
    case 'recursive-view':
      db.exec(`CREATE VIEW notes AS WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r) SELECT x AS id, 'g' AS guid, ${mid} AS mid, '' AS tags, 'a' AS flds FROM r`);
      break;
    case 'generated-virtual':
    case 'generated-stored':
      db.exec(`CREATE TABLE notes (id integer primary key, guid, mid, mod, usn, tags, flds GENERATED ALWAYS AS (printf('%.*c', 400000000, 'x')) ${t.notes === 'generated-stored' ? 'STORED' : 'VIRTUAL'}, sfld, csum, flags, data)`);
      break;
    case 'fts':
      db.exec(`CREATE VIRTUAL TABLE notes USING fts5(id, guid, mid, tags, flds)`);
      break;
    case 'missing':
      break;
  }
  if (t.cards === 'table') db.exec('CREATE TABLE cards (id integer primary key, nid, did, ord, mod, usn, type, queue, due, ivl, factor, reps, lapses, left, odue, odid, flags, data)');
  else if (t.cards === 'view') db.exec("CREATE VIEW cards AS SELECT 1 AS id, 1 AS nid, 1 AS did, 0 AS ord, 0 AS type, 0 AS queue, 0 AS due, 0 AS ivl, 0 AS factor, 0 AS reps, 0 AS lapses, 0 AS odid");
  if (t.triggers) db.exec("CREATE TRIGGER tr AFTER INSERT ON revlog BEGIN SELECT printf('%.*c', 400000000, 'x'); END");
  const v = (col: string, normal: unknown) => (t.column === col ? t.value : normal);
  if (t.notes === 'table' || t.notes === 'without-rowid') {
    const flds = t.blobBytes ? Buffer.alloc(t.blobBytes, 0x41) : 'front\u001fback';
    for (let i = 1; i <= 3; i++) {
      db.prepare('INSERT INTO notes VALUES (?, ?, ?, 0, 0, ?, ?, 0, 0, 0, ?)').run(i, v('guid', `g${i}`), v('mid', mid), v('tags', 't'), i === 2 ? flds : v('flds', 'a\u001fb'), '');
    }
  }
  if (t.cards === 'table') {
    for (let i = 1; i <= 3; i++) db.prepare('INSERT INTO cards VALUES (?, ?, 1, ?, 0, 0, 0, ?, 0, 0, 0, 0, 0, 0, 0, 0, 0, \'\')').run(10 + i, v('nid', i), v('ord', 0), v('queue', 0));
  }
  db.prepare('INSERT INTO revlog VALUES (?, ?, 0, ?, ?, 0, 2500, ?, ?)').run(1_700_000_000_000, v('cid', 11), v('ease', 3), v('ivl', 1), v('time', 1000), v('type', 0));
  db.close();
}

describe('SQLite schema tricks (in process, 150 cases)', () => {
  it('views, computed columns, virtual tables, huge blobs, values of any type: a plan or a RecallError, quickly', () => {
    let n = 0;
    let slowest = 0;
    const outcomes = { plan: 0, error: 0 };
    fc.assert(
      fc.property(trickArb, (t) => {
        const path = join(work, `trick-${n++ % 4}.anki2`);
        buildTrick(path, t);
        const t0 = performance.now();
        outcomes[planOrRecallError(() => readAnkiPackage(path, { tmpDir: work, now: Date.parse('2026-04-01') }), () => `trick ${JSON.stringify(t)}`)]++;
        slowest = Math.max(slowest, performance.now() - t0);
      }),
      { numRuns: 150, seed: 23 },
    );
    expect(outcomes.plan).toBeGreaterThan(5);
    expect(outcomes.error).toBeGreaterThan(50);
    expect(slowest).toBeLessThan(5000);
  }, 180_000);
});

describe('hostile names on every output path (2000 cases)', () => {
  const piece = fc.constantFrom('\u001b', '\u0007', '\r', '\u009b', '\u009d', '\u0085', '[', ']', ';', '0', '2J', '52;c;', 'P', '\\', '\u202e', '\u2066', '\u200f', '\u2028', 'a', ' ', '\n', '\t', 'é', '漢', '"', '{{', '}}');
  const BAD = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/;
  it('text output and JSON never carry an escape, a control character or a bidi override', async () => {
    const { sanitize, sanitizeStyled, toSafeJson } = await import('../src/core/text.js');
    const { deckToAnkiTxt, deckToRecall } = await import('../src/app/export.js');
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 30 }), (parts) => {
        const name = `d${parts.join('')}`;
        expect(sanitize(name)).not.toMatch(BAD);
        expect(sanitizeStyled(`\u001b[1m${name}\u001b[22m`).replace(/\u001b\[(1|22)m/g, '')).not.toMatch(BAD);
        const json = toSafeJson({ name, nested: [name] }, 2);
        expect(json.replace(/\n/g, '')).not.toMatch(BAD);
        expect(JSON.parse(json)).toEqual({ name, nested: [name] });
        const cards = [{ uid: 'u1', noteUid: 'u1', content: { type: 'basic' as const, front: name, back: name } }];
        // Exported files keep the text; on a terminal the one output path (sanitize) makes them inert.
        for (const text of [deckToRecall({ name, description: '', source: '' }, cards), deckToAnkiTxt(name, cards)]) expect(sanitize(text)).not.toMatch(BAD);
      }),
      { numRuns: 2000, seed: 31 },
    );
  });

  it('through the CLI: import, decks, stats and export print 8 hostile deck names inertly', () => {
    const db = join(work, 'names.db');
    const env = { RECALL_DB: db, RECALL_NOW: '2026-04-01T10:00:00Z' };
    const names = fc.sample(fc.array(piece, { minLength: 3, maxLength: 20 }).map((p) => `n${p.join('').replace(/\n/g, ' ')}`), { numRuns: 8, seed: 5 });
    names.forEach((name, i) => {
      const file = join(work, `name-${i}.txt`);
      writeFileSync(file, `#separator:tab\n#deck:${name.replace(/[\r\n]/g, ' ')}\nfront ${i}\tback\n`);
      for (const args of [['import', file], ['decks'], ['stats'], ['decks', '--json'], ['stats', '--json']]) {
        const r = recall(args, env);
        expect(r.code, `${args.join(' ')}: ${r.err}`).toBe(0);
        expect(r.out.replace(/\n/g, '') + r.err.replace(/\n/g, ''), args.join(' ')).not.toMatch(BAD);
      }
    });
  }, 120_000);
});

describe('rejected inputs through the CLI: bounded memory and time, database unchanged (40 cases)', () => {
  it('bombs and schema tricks', () => {
    const wrapper = join(work, 'maxrss2.mjs');
    writeFileSync(wrapper, `process.on('exit', () => { const u = process.resourceUsage(); process.stderr.write('MAXRSS_KB ' + u.maxRSS + ' CPU_MS ' + Math.round((u.userCPUTime + u.systemCPUTime) / 1000) + '\\n'); });\nawait import(${JSON.stringify(BIN)});\n`);
    const db = join(work, 'reject.db');
    const env = { RECALL_DB: db, RECALL_NOW: '2026-04-01T10:00:00Z' };
    expect(recall(['import', EXAMPLE_TXT], env).code).toBe(0);
    const before = dump(db);
    const files: string[] = [];
    fc.sample(bombArb, { numRuns: 20, seed: 99 }).forEach((b, i) => {
      const { bytes, ext } = buildBomb({ ...b, blockCount: Math.max(b.blockCount, 1024) });
      const path = join(work, `cli-bomb-${i}.${ext}`);
      writeFileSync(path, bytes);
      files.push(path);
    });
    fc.sample(trickArb.filter((t) => t.notes !== 'table' && t.notes !== 'without-rowid'), { numRuns: 20, seed: 98 }).forEach((t, i) => {
      const path = join(work, `cli-trick-${i}.anki2`);
      buildTrick(path, t);
      files.push(path);
    });
    let rejected = 0;
    for (const file of files) {
      // Time is the process's own CPU time: wall time on a busy machine says more about the machine. A run that
      // hangs is killed (a signal fails the case).
      const r = spawnSync(process.execPath, [wrapper, 'import', file, '--strict'], { env: { ...process.env, NO_COLOR: '1', ...env }, encoding: 'utf8', timeout: 60_000, killSignal: 'SIGKILL' });
      const usage = /MAXRSS_KB (\d+) CPU_MS (\d+)/.exec(r.stderr);
      const rssMb = Number(usage?.[1] ?? NaN) / 1024;
      const ms = Number(usage?.[2] ?? NaN);
      const where = `${file}: exit ${r.status} ${r.signal ?? ''} after ${ms} ms of CPU, ${rssMb.toFixed(0)} MB\n${r.stderr}`;
      expect(r.signal, where).toBeNull();
      expect(r.stderr, where).not.toMatch(/unexpected error|^\s+at |TypeError|SqliteError/m);
      if (r.status !== 0) {
        rejected++;
        expect(r.status, where).toBe(1);
        expect(r.stderr, where).toContain(file);
        expect(ms, where).toBeLessThan(10_000);
        expect(rssMb, where).toBeLessThan(300);
        expect(dump(db), where).toBe(before);
      }
    }
    expect(rejected).toBeGreaterThan(30);
  }, 600_000);
});
