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
  const t0 = performance.now();
  try {
    fn();
    return 'plan';
  } catch (e) {
    if (!(e instanceof RecallError)) {
      throw new Error(`${what()}: threw ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}\n${(e as Error)?.stack}`);
    }
    return 'error';
  } finally {
    const ms = performance.now() - t0;
    if (ms > 5000) throw new Error(`${what()}: took ${Math.round(ms)} ms`);
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
      // A good file next to the bad one is not imported either: nothing is half applied.
      const r = recall(['import', EXAMPLE_TXT, path], env);
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
  writeFileSync(wrapper, `process.on('exit', () => process.stderr.write('MAXRSS_KB ' + process.resourceUsage().maxRSS + '\\n'));\nawait import(${JSON.stringify(BIN)});\n`);
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
    expect(r.err).toMatch(/bomb\.apkg: .*(2 GiB|refusing)/);
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

  it('a 50 MB field in a text export is refused with a message, quickly and in bounded memory', () => {
    const file = join(work, 'huge-field.txt');
    writeFileSync(file, `#separator:tab\n#html:false\nfront\t${'x'.repeat(50 * 1024 * 1024)}\nsmall\tcard\n`);
    const r = importMeasured(file, 30_000);
    expect(r.signal, `killed after ${r.ms} ms: the import did not finish in 30 s`).toBeNull();
    expect(r.code, r.out + r.err).toBe(1);
    expect(r.err).toMatch(/huge-field\.txt(:\d+)?: /);
    expect(r.rssMb, `peak RSS ${r.rssMb} MB`).toBeLessThan(1024);
    const conn = new Database(r.db, { readonly: true });
    expect(conn.prepare('SELECT count(*) FROM cards').pluck().get()).toBe(0);
    conn.close();
  }, 40_000);
});
