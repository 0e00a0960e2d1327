// Issue 16: hostile and imperfect input through the built CLI. One block per numbered item of the issue, each of
// which failed on the code before the fix; then the CLI contract (JSON errors, unknown commands, missing files,
// --db in a missing folder). Rejected inputs are run as a child that reports its peak memory: < 300 MB, < 10 s.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Term } from '../scripts/lib/term.mjs';
import { BASIC_MID, MODELS, apkgOf, makeCollection, zstdRleBomb } from './helpers/anki.js';
import { CLI, ensureBuilt, runCli, runMeasured, tempDir } from './helpers/cli.js';

const NOW = '2026-03-10T09:00:00Z';
const FIX = join(__dirname, 'fixtures');
let t: ReturnType<typeof tempDir>;
let n = 0;
const freshDb = () => join(t.dir, `db${n++}.db`);
const env = (db: string) => ({ RECALL_DB: db, RECALL_NOW: NOW, TZ: 'UTC' });
const file = (name: string, content: string | Uint8Array) => {
  const path = join(t.dir, name);
  writeFileSync(path, content);
  return path;
};

beforeAll(() => {
  ensureBuilt();
  t = tempDir('recall-hostile-');
});
afterAll(() => t.cleanup());

/** Every row of every table: equal dumps mean an unchanged database. */
function dump(db: string): string {
  const c = new Database(db, { readonly: true });
  try {
    const tables = c.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all() as string[];
    return JSON.stringify(tables.map((name) => [name, c.prepare(`SELECT * FROM "${name}" ORDER BY 1, 2`).all()]));
  } finally {
    c.close();
  }
}
const count = (db: string, sql: string) => {
  const c = new Database(db, { readonly: true });
  try {
    return c.prepare(sql).pluck().get() as number;
  } finally {
    c.close();
  }
};

/** A rejected input: exit 1, a message naming the file, no stack trace, < 300 MB, < 10 s, the database unchanged. */
function expectRefused(args: string[], db: string, name: RegExp | string) {
  const before = existsSync(db) ? dump(db) : null;
  const r = runMeasured(args, env(db), 20_000);
  const where = `exit ${r.code} signal ${r.signal} after ${r.ms} ms, ${r.rssMb.toFixed(0)} MB\n${r.stderr}`;
  expect(r.signal, where).toBeNull();
  expect(r.code, where).toBe(1);
  expect(r.stderr, where).toMatch(typeof name === 'string' ? new RegExp(`^recall: [^\\n]*${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`) : name);
  expect(r.stderr, where).not.toMatch(/unexpected error|this is a bug|^\s+at /m);
  expect(r.ms, where).toBeLessThan(10_000);
  expect(r.rssMb, where).toBeLessThan(300);
  if (before !== null) expect(dump(db), where).toBe(before);
  return r;
}

describe('1. recall import FOLDER', () => {
  it('imports every deck file under a folder, and the built-in decks/ folder too', () => {
    const dir = join(t.dir, 'my-decks');
    mkdirSync(join(dir, 'sub'), { recursive: true });
    writeFileSync(join(dir, 'a.deck'), 'deck: Folder A\n\n--- basic a1\nQ: one\nA: 1\n');
    writeFileSync(join(dir, 'sub', 'b.deck'), 'deck: Folder B\n\n--- basic b1\nQ: two\nA: 2\n\n--- basic b2\nQ: three\nA: 3\n');
    writeFileSync(join(dir, 'notes.txt'), 'not a deck file');
    const db = freshDb();
    const r = runCli(['import', dir, '--json'], env(db));
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ cardsAdded: 3, decks: ['Folder A', 'Folder B'] });
    const builtin = runCli(['import', 'decks/', '--json'], env(freshDb()));
    expect(builtin.code, builtin.stderr).toBe(0);
    expect(JSON.parse(builtin.stdout).decks).toHaveLength(9);
  });
});

describe('2. zip and zstd bombs', () => {
  it('a 256-byte .apkg whose collection.anki21b is an RLE zstd frame without a size is refused, in bounded memory', () => {
    const bomb = zstdRleBomb(4096); // 512 MiB of zeros
    const apkg = Buffer.from(zipSync({ 'collection.anki21b': bomb }, { level: 9 }));
    expect(apkg.length).toBeLessThan(300);
    const db = freshDb();
    runCli(['decks'], env(db));
    expectRefused(['import', file('bomb.apkg', apkg)], db, 'bomb.apkg');
  });

  it('the same with a valid SQLite header in front stops at the bound the header declares', () => {
    const head = Buffer.alloc(100);
    Buffer.from('SQLite format 3\0', 'latin1').copy(head);
    head.writeUInt16BE(4096, 16);
    head.writeUInt32BE(2, 28); // 2 pages of 4 KiB
    head.writeUInt32BE(7, 24);
    head.writeUInt32BE(7, 92);
    const apkg = Buffer.from(zipSync({ 'collection.anki21b': zstdRleBomb(4096, 0, head) }, { level: 9 }));
    expectRefused(['import', file('headed-bomb.colpkg', apkg)], freshDb(), 'headed-bomb.colpkg');
  });

  it('the worst case, a header declaring 1 GiB and a frame that fills it through an 8 MiB window, stops at 64 MiB: no file expands a thousandfold', () => {
    const head = Buffer.alloc(100);
    Buffer.from('SQLite format 3\0', 'latin1').copy(head);
    head.writeUInt16BE(4096, 16);
    head.writeUInt32BE(262_144, 28); // 1 GiB
    head.writeUInt32BE(7, 24);
    head.writeUInt32BE(7, 92);
    const frame = zstdRleBomb(8192, 0, head);
    frame[5] = 0x68; // window 8 MiB: fzstd shifts its whole window on every block, the slowest frame it accepts
    const apkg = Buffer.from(zipSync({ 'collection.anki21b': frame }, { level: 9 }));
    expect(expectRefused(['import', file('gib-bomb.apkg', apkg)], freshDb(), 'gib-bomb.apkg').stderr).toMatch(/more than 1000 times the size of the file \(64 MiB from \d+ bytes so far\)/);
  });
});

const ESC = '\u001b';
const EVIL = `Evil${ESC}]0;PWNED\u0007${ESC}]52;c;cHduZWQ=\u0007${ESC}[2J\u0007\u202eName`;

describe('3. escape sequences in deck names on every output path', () => {
  let db: string;
  beforeAll(() => {
    db = freshDb();
    const cards = Array.from({ length: 600 }, (_, i) => `--- basic c${i}\nQ: q${i}\nA: a${i}\n`).join('\n');
    const r = runCli(['import', file('evil.deck', `deck: ${EVIL}\n\n${cards}`)], env(db));
    expect(r.code, r.stderr).toBe(0);
    // The progress bar shows from 500 cards of an Anki file, with the deck's name in it.
    const rows = Array.from({ length: 600 }, (_, i) => `front ${i}\tback ${i}`).join('\n');
    file('evil-progress.txt', `#separator:tab\n#deck:${EVIL}2\n${rows}\n`);
    file('evil-name', EVIL);
  });

  it('recall stats, decks and import print the name without its sequences', () => {
    for (const args of [['stats'], ['decks'], ['import', join(t.dir, 'evil.deck')]]) {
      const r = runCli(args, env(db));
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout + r.stderr, args.join(' ')).not.toMatch(/[\u001b\u0007\u009b\u202e]/);
      expect(r.stdout).toContain('EvilName');
    }
  });

  it('JSON output escapes bidi overrides and control characters', () => {
    for (const args of [['decks', '--json'], ['stats', '--json'], ['export', 'deck', EVIL, '--format', 'json'], ['export', 'deck', EVIL, '--format', 'recall', '--json']]) {
      const r = runCli(args, env(db));
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout, args.join(' ')).not.toMatch(/[\u001b\u0007\u009b\u202e]/);
      if (args[0] !== 'export') expect(r.stdout).toContain('\\u202e');
      JSON.parse(r.stdout);
    }
  });

  it('on a terminal, export deck and the import progress bar change no title, clipboard or screen', async () => {
    const term = new Term('hostile16', { cols: 120, rows: 30 });
    try {
      term.run('boot', ['true']);
      term.tmux('set-option', '-g', 'set-clipboard', 'on');
      // The name goes through a file: control characters on a tmux command line would test tmux, not recall.
      const name = `"$(cat '${join(t.dir, 'evil-name')}')"`;
      for (const [win, args] of [
        ['exp-recall', `export deck ${name} --format recall`],
        ['exp-anki', `export deck ${name} --format anki-txt`],
        ['import', `import '${join(t.dir, 'evil-progress.txt')}'`],
      ] as const) {
        const w = term.run(win, ['sh', '-c', `exec '${process.execPath}' '${CLI}' ${args}`], env(db));
        expect(await term.waitExit(w), term.history(w)).toBe(0);
        expect(term.title(w), `${win} changed the title`).not.toMatch(/PWNED/);
        expect(term.info(w, '#{window_bell_flag}'), `${win} rang the bell`).toBe('0');
        expect(term.tmux('list-buffers', '-F', '#{buffer_sample}').trim(), `${win} wrote the clipboard`).toBe('');
        expect(term.history(w)).toMatch(/EvilName/);
      }
    } finally {
      term.close();
    }
  }, 60_000);
});

describe('4. SQLite schema tricks', () => {
  const notes = [{ id: 1, guid: 'g1', flds: 'a\u001fb' }];
  const cards = [{ id: 10, nid: 1 }];
  it('a generated notes.flds column is refused before any row is read', () => {
    const path = join(t.dir, 'generated.anki2');
    makeCollection(path, {
      notesSql: "CREATE TABLE notes (id integer primary key, guid, mid, mod, usn, tags, flds GENERATED ALWAYS AS (printf('%.*c', 400000000, 'x')) VIRTUAL, sfld, csum, flags, data);",
      notes: [1, 2, 3, 4].map((i) => ({ id: i, guid: `g${i}`, flds: null })),
      cards: [1, 2, 3, 4].map((i) => ({ id: 10 + i, nid: i })),
    });
    const r = expectRefused(['import', path], freshDb(), 'generated.anki2');
    expect(r.stderr).toMatch(/notes\.flds is computed/);
  });

  it('a view instead of a table (here a recursive one that never ends) is refused', () => {
    const path = join(t.dir, 'view.anki2');
    makeCollection(path, {
      notesSql: `CREATE VIEW notes AS WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT x AS id, 'g' || x AS guid, ${BASIC_MID} AS mid, '' AS tags, 'a' AS flds FROM n;`,
      cards,
    });
    expect(expectRefused(['import', path], freshDb(), 'view.anki2').stderr).toMatch(/notes is a view/);
  });

  it('a note of 50 MB is skipped and reported; the rest imports', () => {
    const path = join(t.dir, 'huge-note.anki2');
    makeCollection(path, { notes: [...notes, { id: 2, guid: 'g2', flds: `big\u001f${'x'.repeat(50 * 2 ** 20)}` }], cards: [...cards, { id: 11, nid: 2 }] });
    const db = freshDb();
    const r = runMeasured(['import', path, '--json'], env(db));
    expect(r.code, r.stderr).toBe(0);
    expect(r.rssMb).toBeLessThan(300);
    const report = JSON.parse(r.stdout);
    expect(report.cardsAdded).toBe(1);
    expect(report.skipped[0].message).toMatch(/^Note 2( "[^"]*")?: it is 50\.0 MB/);
    // The card that imported holds its short text and its Anki note (note type and raw fields, about a kilobyte for
    // the way back to Anki): nothing of the 50 MB one.
    expect(count(db, 'SELECT max(length(content)) FROM cards')).toBeLessThan(10_000);
  });
});

describe('5. cards per note', () => {
  it('a cloze entry with 1,000 deletions is refused with its line, not turned into 1,000 copies of its text', () => {
    const text = Array.from({ length: 1000 }, (_, i) => `{{c${i + 1}::w${i}}}`).join(' ');
    const db = freshDb();
    const r = runCli(['import', file('many-cloze.deck', `deck: Many\n\n--- cloze big\nT: ${text}\n`)], env(db));
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/many-cloze\.deck:4: cloze text with 1000 deletion numbers; at most 100/);
    expect(count(db, 'SELECT count(*) FROM cards')).toBe(0);
  });
});

describe('6. linear-time HTML', () => {
  it('a field of 200,000 "<" with #html:true imports in well under 10 s', () => {
    const r = runMeasured(['import', file('lt.txt', `#separator:tab\n#html:true\nfront\t${'<'.repeat(200_000)}\n`)], env(freshDb()), 20_000);
    expect(r.signal, `killed after ${r.ms} ms`).toBeNull();
    expect(r.code, r.stderr).toBe(0);
    expect(r.ms).toBeLessThan(10_000);
  });
});

describe('7. a deck named like a built-in deck', () => {
  it('is refused, by file and by --deck, and the built-in cards stay as they are', () => {
    const db = freshDb();
    runCli(['decks'], env(db));
    const before = dump(db);
    const mine = file('organizations.deck', 'deck: AWS Organizations\n\n--- basic mine\nQ: my own card\nA: yes\n');
    const a = runCli(['import', mine], env(db));
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/organizations\.deck: "AWS Organizations" is the name of a built-in deck/);
    expect(a.stderr).toMatch(/--deck/);
    const b = runCli(['import', join(FIX, 'anki-spanish/Example-Deck.txt'), '--deck', 'AWS Organizations'], env(db));
    expect(b.code).toBe(2);
    const lower = runCli(['import', join(FIX, 'anki-spanish/Example-Deck.txt'), '--deck', 'aws organizations'], env(db));
    expect(lower.code).toBe(2);
    expect(lower.stderr).toContain('the built-in deck "AWS Organizations"');
    expect(dump(db)).toBe(before);
    // A subdeck under the built-in name is a deck of its own (as deck rename allows): the built-in cards stay.
    const c = runCli(['import', join(FIX, 'anki-spanish/Example-Deck.txt'), '--deck', 'AWS Organizations::Sub'], env(db));
    expect(c.code).toBe(0);
    // Under another name it imports, and the next start leaves both alone.
    expect(runCli(['import', mine, '--deck', 'AWS Organizations (mine)'], env(db)).code).toBe(0);
    const decks = JSON.parse(runCli(['decks', '--json'], env(db)).stdout) as { name: string; total: number; suspended: number }[];
    expect(decks.find((d) => d.name === 'AWS Organizations')).toMatchObject({ total: 24, suspended: 0 });
    expect(decks.find((d) => d.name === 'AWS Organizations (mine)')).toMatchObject({ total: 1, suspended: 0 });
  });
});

describe('8. special files and permissions', () => {
  it('creates the database file readable by its owner only', () => {
    const db = freshDb();
    expect(runCli(['decks'], env(db)).code).toBe(0);
    expect(statSync(db).mode & 0o777).toBe(0o600);
  });

  it('refuses a FIFO named .txt or .deck and a symlink to /dev/zero, quickly', () => {
    for (const name of ['fifo.txt', 'fifo.deck']) {
      const path = join(t.dir, name);
      execFileSync('mkfifo', [path]);
      expect(expectRefused(['import', path], freshDb(), name).stderr).toMatch(/named pipe/);
    }
    const zero = join(t.dir, 'zero.deck');
    symlinkSync('/dev/zero', zero);
    expect(expectRefused(['import', zero], freshDb(), 'zero.deck').stderr).toMatch(/character device/);
  });
});

describe('9. malformed collections, read-only and full disks, odd databases', () => {
  it('NULL and blob fields and tags, a null note type, revlog ids beyond the date range, ease "abc", fractions: imported with reports, never a bug', () => {
    const path = join(t.dir, 'malformed.anki2');
    const t0 = Date.parse('2025-01-01T00:00:00Z');
    const models = { ...JSON.parse(MODELS), 99: null };
    makeCollection(path, {
      models: JSON.stringify(models),
      notes: [
        { id: 1, guid: 'ok', flds: 'front\u001fback' },
        { id: 2, guid: 'nullflds', flds: null },
        { id: 3, guid: 'blob', flds: Buffer.from('blob front\u001fblob back'), tags: Buffer.from('t1 t2') },
        { id: 4, guid: 'nulltags', flds: 'f4\u001fb4', tags: null },
      ],
      cards: [1, 2, 3, 4].map((i) => ({ id: 10 + i, nid: i })),
      revlog: [
        { id: t0, cid: 11, ease: 3 },
        { id: 9e15, cid: 11, ease: 3 },
        { id: t0 + 1000, cid: 13, ease: 'abc' },
        { id: t0 + 2000, cid: 14, ease: 3, ivl: 2.5, time: 1234.5 },
      ],
    });
    for (const target of [path, file('malformed.apkg', apkgOf(path))]) {
      const db = freshDb();
      const r = runCli(['import', target, '--json'], env(db));
      expect(r.code, r.stderr).toBe(0);
      const report = JSON.parse(r.stdout);
      expect(report.cardsAdded).toBe(3);
      expect(report.reviewsImported).toBe(2);
      const skipped = report.skipped.map((s: { message: string }) => s.message).join('\n');
      expect(skipped).toMatch(/In the collection: 1 note has no fields \(NULL\), e.g. note \d+/);
      expect(skipped).toMatch(/not a time[\s\S]*ease/);
      expect(report.warnings.join('\n')).toMatch(/damaged|binary/);
      const strict = runCli(['import', target, '--strict'], env(freshDb()));
      expect(strict.code).toBe(1);
      expect(strict.stderr).toMatch(/malformed\.(anki2|apkg): 3 rows have problems; with --strict nothing was imported/);
    }
  });

  it('a null deck entry and a collection without a col row give a located message', () => {
    const path = join(t.dir, 'nullcol.anki2');
    makeCollection(path, { notes: [{ id: 1, guid: 'g', flds: 'a\u001fb' }], cards: [{ id: 10, nid: 1 }], decks: JSON.stringify({ 1: null }) });
    const r = runCli(['import', path, '--json'], env(freshDb()));
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).decks).toEqual(['Default']);
    const c = new Database(path);
    c.exec('DELETE FROM col');
    c.close();
    expectRefused(['import', path], freshDb(), 'nullcol.anki2');
  });

  it('a negative user_version is refused as not a recall database, naming no backup', () => {
    const db = join(t.dir, 'negative.db');
    const c = new Database(db);
    c.pragma('user_version = -1');
    c.close();
    const r = runCli(['decks'], env(db));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/negative\.db: .*schema version -1/);
    expect(r.stderr).not.toMatch(/\.bak|unexpected/);
    expect(readdirSync(t.dir).filter((f) => f.startsWith('negative.db.'))).toEqual([]);
  });

  it('a full disk says so, names the database, and changes nothing', () => {
    const db = freshDb();
    runCli(['decks'], env(db));
    const before = dump(db);
    const rows = Array.from({ length: 20_000 }, (_, i) => `front ${i} ${'x'.repeat(100)}\tback ${i}`).join('\n');
    const big = file('big.txt', `#separator:tab\n${rows}\n`);
    // A file size limit stands in for a full disk: writes past it fail as they would with ENOSPC.
    const r = execFileSyncStatus('bash', ['-c', `trap '' XFSZ; ulimit -f 1000; exec "${process.execPath}" "${CLI}" import "${big}"`], env(db));
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain(db);
    expect(r.stderr).toMatch(/full|disk/i);
    expect(r.stderr).not.toMatch(/unexpected error|this is a bug/);
    expect(dump(db)).toBe(before);
  });

  // As root every file is writable, so the test runs recall as nobody; that needs the checkout to be reachable by
  // other users (CI's is; a clone in a private `mktemp -d` folder is not, and then there is nothing to run it as).
  const asRoot = process.getuid?.() === 0;
  const nobodyReachesCli = !asRoot || spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '-e', `require('fs').accessSync(${JSON.stringify(CLI)}, 4)`]).status === 0;
  it.skipIf(!nobodyReachesCli)('a read-only database file says so and names it', () => {
    // Outside the test's private folder, so that another user can reach it.
    const dir = mkdtempSync(join(tmpdir(), 'recall-ro-'));
    chmodSync(dir, 0o777);
    const db = join(dir, 'r.db');
    runCli(['decks'], env(db));
    chmodSync(db, 0o444);
    // As root every file is writable: run as nobody there.
    const asUser = process.getuid?.() === 0 ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'] : [];
    const r = execFileSyncStatus(asUser[0] ?? process.execPath, [...asUser.slice(1), ...(asUser.length ? [process.execPath] : []), CLI, 'import', join(FIX, 'anki-spanish/Example-Deck.txt')], env(db));
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/r\.db: .*read-only/);
    expect(r.stderr).not.toMatch(/unexpected error|this is a bug/);
    rmSync(dir, { recursive: true, force: true });
  });
});

function execFileSyncStatus(cmd: string, args: string[], extraEnv: Record<string, string>) {
  try {
    const out = execFileSync(cmd, args, { env: { ...process.env, NO_COLOR: '1', ...extraEnv }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return { code: 0, stdout: out, stderr: '' };
  } catch (e) {
    const err = e as { status: number | null; stdout: string; stderr: string };
    return { code: err.status, stdout: err.stdout, stderr: err.stderr };
  }
}

describe('10. guids and dates inside one package', () => {
  it('duplicate and missing guids stay separate notes; a review dated in the year 3000 is skipped and said', () => {
    const path = join(t.dir, 'guids.anki2');
    const t0 = Date.parse('2025-01-01T00:00:00Z');
    makeCollection(path, {
      notes: [
        { id: 1, guid: 'same', flds: 'one\u001f1' },
        { id: 2, guid: 'same', flds: 'two\u001f2' },
        { id: 3, guid: null, flds: 'three\u001f3' },
        { id: 4, guid: '', flds: 'four\u001f4' },
      ],
      cards: [1, 2, 3, 4].map((i) => ({ id: 10 + i, nid: i })),
      revlog: [{ id: t0, cid: 11, ease: 3 }, { id: Date.parse('3000-01-01T00:00:00Z'), cid: 12, ease: 3 }],
    });
    const db = freshDb();
    const r = runCli(['import', path, '--json'], env(db));
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.cardsAdded).toBe(4);
    expect(report.reviewsImported).toBe(1);
    expect(report.skipped.map((s: { message: string }) => s.message).join('\n')).toMatch(/3000-01-01, in the future/);
    expect(report.warnings.join('\n')).toMatch(/notes? repeats? the guid of an earlier note, e.g. note/);
    // Nothing hides until the year 3000.
    expect(count(db, `SELECT count(*) FROM schedules WHERE due > ${Date.parse('2030-01-01')}`)).toBe(0);
  });
});

describe('11. Anki text files with bad rows', () => {
  const SRC = join(FIX, 'anki-text/text-2fields.txt');
  it("Anki's own text-2fields.txt: the 5 good rows import, the 4 bad ones are reported as file:line: reason", () => {
    const db = freshDb();
    const r = runCli(['import', SRC], env(db));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Imported 5 new cards.*skipped 4 rows/);
    for (const line of [6, 7, 8, 10]) expect(r.stderr).toMatch(new RegExp(`text-2fields\\.txt:${line}: `));
    expect(r.stderr).toMatch(/text-2fields\.txt:6: Duplicate first field/);
    expect(r.stderr).toMatch(/text-2fields\.txt:7: Row has 3 fields but 2 are expected/);
    expect(r.stderr).toMatch(/text-2fields\.txt:8: Row has 1 field/);
    expect(r.stderr).toMatch(/text-2fields\.txt:10: The first field is empty/);
    const json = runCli(['import', SRC, '--json'], env(freshDb()));
    expect(JSON.parse(json.stdout)).toMatchObject({ cardsAdded: 5, rowsSkipped: 4 });
  });

  it('--strict imports nothing and names every bad row; a fatal error in one file imports nothing of the others', () => {
    const db = freshDb();
    runCli(['decks'], env(db));
    const before = dump(db);
    const strict = runCli(['import', SRC, '--strict'], env(db));
    expect(strict.code).toBe(1);
    expect(strict.stderr).toMatch(/4 rows have problems; with --strict nothing was imported/);
    expect(strict.stderr).toMatch(/text-2fields\.txt:10:/);
    const fatal = runCli(['import', SRC, file('unclosed.txt', '#separator:tab\n"never closed\tback\n')], env(db));
    expect(fatal.code).toBe(1);
    expect(dump(db)).toBe(before);
  });
});

describe('13. anki-txt export of notes that came from Anki', () => {
  it('never writes the guid of a note whose HTML was converted to text', () => {
    const db = freshDb();
    expect(runCli(['import', join(FIX, 'anki-spanish/Example-Deck.apkg'), '--deck', 'Example'], env(db)).code).toBe(0);
    const r = runCli(['export', 'deck', 'Example', '--format', 'anki-txt'], env(db));
    expect(r.code, r.stderr).toBe(0);
    const guids = r.stdout.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split('\t')[5]);
    expect(guids).toHaveLength(4);
    for (const g of guids) expect(g).toMatch(/^recall:/);
  });
});

describe('14. files that are not decks', () => {
  it('a one-column CSV and a licence file are refused with what was expected', () => {
    const db = freshDb();
    runCli(['decks'], env(db));
    const csv = expectRefused(['import', file('words.csv', 'apple\npear\nplum\ncherry\n')], db, 'words.csv');
    expect(csv.stderr).toMatch(/does not look like an Anki text export: none of its 4 rows/);
    const licence = join(t.dir, 'LICENSE.txt');
    copyFileSync(join(FIX, 'anki-spanish/SolturaIOS-LICENSE.txt'), licence);
    expect(expectRefused(['import', licence], db, 'LICENSE.txt').stderr).toMatch(/one note per line/);
  });
});

describe('the CLI contract', () => {
  it('under --json every error is {"error": {code, message, file, line, column, hint}} on stderr, stdout empty', () => {
    const db = freshDb();
    const cases: [string[], string][] = [
      [['import', 'nosuch.txt'], 'no-such-file'],
      [['import', join(FIX, 'anki-text/text-2fields.txt'), '--strict'], 'import-invalid'],
      [['decks', '--bogus'], 'usage'],
      [['stat'], 'unknown-command'],
      [['export', 'deck', 'No Such Deck'], 'no-such-deck'],
    ];
    for (const [args, code] of cases) {
      const r = runCli([...args, '--json'], env(db));
      expect(r.code, r.stderr).not.toBe(0);
      expect(r.stdout, args.join(' ')).toBe('');
      const e = JSON.parse(r.stderr);
      expect(Object.keys(e.error).sort(), args.join(' ')).toEqual(['code', 'column', 'file', 'hint', 'line', 'message']);
      expect(e.error.code).toBe(code);
    }
    expect(JSON.parse(runCli(['import', 'nosuch.txt', '--json'], env(db)).stderr).error).toMatchObject({ file: 'nosuch.txt', line: null });
  });

  it('export ... --json to stdout is JSON', () => {
    const db = freshDb();
    for (const format of ['recall', 'anki-txt']) {
      const r = runCli(['export', 'deck', 'AWS Organizations', '--format', format, '--json'], env(db));
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ format, rows: 24, content: expect.stringContaining('Organizations') });
    }
    expect(JSON.parse(runCli(['export', 'reviews', '--json'], env(db)).stdout)).toMatchObject({ format: 'csv', rows: 0 });
  });

  it('an unknown command says so and suggests the nearest', () => {
    const r = runCli(['stat'], env(freshDb()));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown command 'stat' \(did you mean stats\?\)/);
    expect(runCli(['--db', freshDb(), 'improt', 'x'], {}).stderr).toMatch(/did you mean import\?/);
    // The default command's own option before it is no command word.
    expect(runCli(['-d', 'AWS Organizations'], env(freshDb())).stderr).not.toMatch(/unknown command/);
    for (const query of [['-q', 'is:due'], ['--query', 'deck:AWS*']]) {
      const r = runCli(query, env(freshDb()));
      expect(r.stderr).not.toMatch(/unknown command/);
      expect(r.stderr).toMatch(/interactive and needs a terminal/);
    }
  });

  it('a missing file is named once', () => {
    const r = runCli(['import', 'nosuch.txt'], env(freshDb()));
    expect(r.code).toBe(1);
    expect(r.stderr.split('nosuch.txt').length - 1).toBe(1);
  });

  it('an explicit --db in a folder that does not exist is an error, and creates nothing', () => {
    const missing = join(t.dir, 'no-such-folder');
    const r = runCli(['--db', join(missing, 'x.db'), 'decks'], { RECALL_NOW: NOW });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no-such-folder does not exist/);
    expect(existsSync(missing)).toBe(false);
  });
});
