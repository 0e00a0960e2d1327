// Pictures and sounds (issue 20, item 9): kept once under the data folder, private; both forms of Anki's media
// map; renamed on a clash; reported by doctor; carried back by the .apkg export; drawn inline on terminals with an
// image protocol and named by path elsewhere; `p` plays a card's sound with the system's player.
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { strToU8, unzipSync, zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectImageProtocol, findPlayer } from '../src/cli/media-view.js';
import { safeFileName } from '../src/app/media.js';
import { CLI, Terminal, ensureBuilt, hasTmux, runCli, runJson, shellQuote, tempDir } from './helpers/cli.js';

const PKG = join(__dirname, 'fixtures/mnemosyne-anki1/anki1.apkg');
const NOW = '2026-03-10T09:00:00Z';
let t: ReturnType<typeof tempDir>;
let n = 0;
const freshDb = () => {
  const dir = join(t.dir, `c${n++}`);
  mkdirSync(dir);
  return join(dir, 'recall.db');
};
const env = (db: string) => ({ RECALL_DB: db, RECALL_NOW: NOW, TZ: 'UTC' });
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

const original = unzipSync(readFileSync(PKG));
const AL_PNG = original['1']!;
const MP3 = original['0']!;
const LATEX = original['2']!;

beforeAll(() => {
  ensureBuilt();
  t = tempDir();
});
afterAll(() => t.cleanup());

/** A zstd frame of raw (stored) blocks: what Anki 2.1.50+ writes, without needing a compressor here. */
function zstdRaw(data: Uint8Array): Uint8Array {
  const parts: Buffer[] = [Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x38])]; // magic; no checksum, no size; a 128 KiB window
  for (let at = 0; ; ) {
    const size = Math.min(data.length - at, 128 * 1024);
    const last = at + size >= data.length ? 1 : 0;
    const h = (size << 3) | last;
    parts.push(Buffer.from([h & 0xff, (h >> 8) & 0xff, (h >> 16) & 0xff]), Buffer.from(data.subarray(at, at + size)));
    at += size;
    if (last) break;
  }
  return new Uint8Array(Buffer.concat(parts));
}

function varint(n: number): number[] {
  const out: number[] = [];
  do {
    out.push((n & 0x7f) | (n >= 0x80 ? 0x80 : 0));
    n >>>= 7;
  } while (n > 0);
  return out;
}
const field = (num: number, bytes: Uint8Array) => [...varint((num << 3) | 2), ...varint(bytes.length), ...bytes];

/** A package in Anki 2.1.50+'s form: meta version 3, a zstd protobuf media map, zstd media files. */
function modernPackage(path: string, media: [string, Uint8Array][]): void {
  const entries = media.flatMap(([name, bytes]) => field(1, Uint8Array.from([...field(1, strToU8(name)), 0x10, ...varint(bytes.length), ...field(3, createHash('sha1').update(bytes).digest())])));
  const files: Record<string, Uint8Array> = {
    'collection.anki2': original['collection.anki2']!,
    meta: Uint8Array.from([0x08, 0x03]),
    media: zstdRaw(Uint8Array.from(entries)),
  };
  media.forEach(([, bytes], i) => (files[String(i)] = zstdRaw(bytes)));
  writeFileSync(path, zipSync(files));
}

const mediaFolder = (db: string) => join(db, '..', 'media');

describe('importing media', () => {
  it('keeps each file of a legacy package once, under the data folder, readable only by the user', () => {
    const db = freshDb();
    const r = runJson(['import', PKG], env(db));
    expect(r).toMatchObject({ cardsAdded: 7, mediaStored: 4, mediaReused: 0 });
    const dir = mediaFolder(db);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(readdirSync(dir).sort()).toEqual(['1.mp3', 'al.png', 'latex-291ba45a7c0f5521a78ef3a6e04f25000a3a3f5c.png', 'latex-48524d3889ec8433cb03669176e738011df245b8.png']);
    for (const f of readdirSync(dir)) expect(statSync(join(dir, f)).mode & 0o777, f).toBe(0o600);
    expect(readFileSync(join(dir, 'al.png'))).toEqual(Buffer.from(AL_PNG));
    // Importing again keeps what is there: no second copy.
    expect(runJson(['import', PKG], env(db))).toMatchObject({ mediaStored: 0, mediaReused: 4 });
    expect(readdirSync(dir)).toHaveLength(4);
    // The cards name their media; the sound is kept as a marker (it used to be dropped).
    const c = new Database(db, { readonly: true });
    const contents = (c.prepare('SELECT content FROM cards').pluck().all() as string[]).join('\n');
    expect(contents).toContain('[image: al.png]');
    expect(contents).toContain('[sound: 1.mp3]');
    c.close();
    const text = runCli(['import', PKG, '--dry-run'], env(db));
    expect(text.stdout).toContain(`Would keep 4 media files (0 new, 4 already there) in ${dir}`);
  });

  it('reads the modern form (zstd protobuf map, zstd files) and stores the same bytes once under two names', () => {
    const db = freshDb();
    const pkg = join(t.dir, 'modern.apkg');
    modernPackage(pkg, [['al.png', AL_PNG], ['same-picture.png', AL_PNG], ['1.mp3', MP3], ['../../escape me.png', LATEX]]);
    const r = runJson(['import', pkg], env(db));
    expect(r).toMatchObject({ mediaStored: 3, mediaReused: 1 });
    const dir = mediaFolder(db);
    const files = readdirSync(dir).sort();
    expect(files).toHaveLength(3);
    // One file per content hash; a name with folders in it is made a plain file name inside the folder.
    expect(new Set(files.map((f) => sha(readFileSync(join(dir, f)))))).toEqual(new Set([sha(AL_PNG), sha(MP3), sha(LATEX)]));
    expect(files).toContain(safeFileName('../../escape me.png'));
    expect(safeFileName('../../escape me.png')).not.toMatch(/[/\\]|^\./);
    const c = new Database(db, { readonly: true });
    const names = c.prepare('SELECT name, hash FROM media_names ORDER BY name').all() as { name: string; hash: string }[];
    c.close();
    expect(names.find((x) => x.name === 'same-picture.png')!.hash).toBe(names.find((x) => x.name === 'al.png')!.hash);
  });

  it('renames an incoming file whose name another content holds, in its cards too', () => {
    const db = freshDb();
    runJson(['import', PKG], env(db));
    const pkg = join(t.dir, 'clash.apkg');
    modernPackage(pkg, [['al.png', LATEX]]);
    const r = runJson(['import', pkg, '--deck', 'Other'], env(db));
    const renamed = `al-${sha(LATEX).slice(0, 8)}.png`;
    expect(r.warnings.join('\n')).toContain(`the media file name "al.png" is taken by another file; this package's file is kept as "${renamed}"`);
    const c = new Database(db, { readonly: true });
    expect(c.prepare("SELECT count(*) FROM cards c JOIN decks d ON d.id = c.deck_id WHERE d.name = 'Other' AND c.content LIKE ?").pluck().get(`%[image: ${renamed}]%`)).toBe(1);
    // The Anki note kept for the way back names the renamed file too, so an export packs this picture, not the other.
    expect(c.prepare("SELECT count(*) FROM cards WHERE content LIKE ?").pluck().get(`%src=\\"${renamed}\\"%`)).toBe(1);
    // The first al.png keeps its name and its bytes.
    expect(c.prepare("SELECT hash FROM media_names WHERE name = 'al.png'").pluck().get()).toBe(sha(AL_PNG));
    c.close();
  });

  it('refuses nothing but keeps out a file over the size bound, and never unpacks past it', async () => {
    const { unpackMedia } = await import('../src/importers/unpack.js');
    const { openSync, closeSync } = await import('node:fs');
    const pkg = join(t.dir, 'big.apkg');
    modernPackage(pkg, [['big.bin', new Uint8Array(300_000)], ['al.png', AL_PNG]]);
    const fd = openSync(pkg, 'r');
    const out = join(t.dir, 'unpacked');
    try {
      const r = unpackMedia(fd, statSync(pkg).size, pkg, () => (mkdirSync(out), out), { file: 100_000, total: 10 ** 9 });
      expect(r.files.map((f) => f.name)).toEqual(['al.png']);
      expect(r.skipped).toEqual([{ name: 'big.bin', reason: 'larger than 0 MiB' }]);
    } finally {
      closeSync(fd);
    }
  });
});

describe('doctor and export', () => {
  it('doctor names media no card uses and cards whose media is missing; --fix deletes only the unused', () => {
    const db = freshDb();
    const pkg = join(t.dir, 'extra.apkg');
    modernPackage(pkg, [['al.png', AL_PNG], ['1.mp3', MP3], ['nobody.png', LATEX]]);
    runJson(['import', pkg], env(db));
    unlinkSync(join(mediaFolder(db), '1.mp3'));
    const report = runJson(['doctor'], env(db));
    expect(report.unusedMedia.map((u: { file: string }) => u.file)).toEqual([join(mediaFolder(db), 'nobody.png')]);
    expect(report.missingMedia.map((m: { name: string }) => m.name)).toEqual(['1.mp3']);
    const text = runCli(['doctor'], env(db));
    expect(text.stdout).toContain(`media: 1 file in ${mediaFolder(db)} no card uses`);
    expect(text.stdout).toContain('media: 1 card names 1 file the collection does not have');
    runJson(['doctor', '--fix'], env(db));
    expect(readdirSync(mediaFolder(db))).toEqual(['al.png']);
  });

  it('deleting a deck keeps the media other decks still use; doctor --fix keeps them; undo finds them', () => {
    const db = freshDb();
    runJson(['import', PKG], env(db));
    const dir = mediaFolder(db);
    const before = readdirSync(dir).sort();
    expect(before).toContain('al.png');
    // A deck of the user's own whose card shows the package's picture.
    const added = runJson(['add', '--deck', 'Mine', '--create', '--front', 'What is this? [image: al.png]', '--back', 'a picture'], env(db));
    const mine = added.cardIds[0] as number;
    const deleted = runJson(['deck', 'delete', 'Deck 1', '--yes'], env(db));
    expect(deleted.cards).toBeGreaterThan(0);
    expect(runJson(['search', '"deck:Deck 1"'], env(db)).total).toBe(0);
    // Still there, for the card of Mine (and for the deleted cards, whose history undo or a re-import brings back).
    expect(readdirSync(dir)).toContain('al.png');
    const check = runJson(['doctor'], env(db));
    expect(check.missingMedia).toEqual([]);
    expect(check.unusedMedia).toEqual([]);
    runJson(['doctor', '--fix'], env(db));
    expect(readdirSync(dir).sort()).toEqual(before);
    expect(readFileSync(join(dir, 'al.png'))).toEqual(Buffer.from(AL_PNG));
    expect(runJson(['show', String(mine)], env(db)).content.front).toContain('[image: al.png]');
    // Undo of the deletion: the cards come back and every file they name is found.
    expect(runCli(['undo'], env(db)).code).toBe(0);
    expect(runJson(['search', '"deck:Deck 1"'], env(db)).total).toBe(7);
    expect(runJson(['doctor'], env(db)).missingMedia).toEqual([]);
    expect(readdirSync(dir).sort()).toEqual(before);
  });

  it('the .apkg export carries the media its cards name, and importing it elsewhere brings them back', () => {
    const db = freshDb();
    runJson(['import', PKG], env(db));
    const out = join(t.dir, 'back.apkg');
    const r = runJson(['export', 'deck', 'Deck 1', '--format', 'apkg', '-o', out], env(db));
    expect(r.media).toBe(2);
    const zip = unzipSync(readFileSync(out));
    const map = JSON.parse(Buffer.from(zip.media!).toString('utf8')) as Record<string, string>;
    expect(Object.values(map).sort()).toEqual(['1.mp3', 'al.png']);
    const entry = Object.entries(map).find(([, name]) => name === 'al.png')![0];
    expect(Buffer.from(zip[entry]!)).toEqual(Buffer.from(AL_PNG));
    const other = freshDb();
    expect(runJson(['import', out], env(other))).toMatchObject({ mediaStored: 2 });
  });
});

describe('the terminal', () => {
  it('has an image protocol only where the environment says so (RECALL_IMAGES overrides)', () => {
    expect(detectImageProtocol({ TERM: 'xterm-kitty' }, true)).toBe('kitty');
    expect(detectImageProtocol({ TERM: 'xterm-256color', KITTY_WINDOW_ID: '1' }, true)).toBe('kitty');
    expect(detectImageProtocol({ TERM: 'xterm-256color', TERM_PROGRAM: 'iTerm.app' }, true)).toBe('iterm2');
    expect(detectImageProtocol({ TERM: 'foot' }, true)).toBe('sixel');
    expect(detectImageProtocol({ TERM: 'xterm-256color' }, true)).toBeNull();
    expect(detectImageProtocol({ TERM: 'tmux-256color' }, true)).toBeNull();
    expect(detectImageProtocol({ TERM: 'xterm-kitty' }, false)).toBeNull();
    expect(detectImageProtocol({ TERM: 'xterm-kitty', RECALL_IMAGES: 'off' }, true)).toBeNull();
    expect(detectImageProtocol({ TERM: 'xterm', RECALL_IMAGES: 'sixel' }, true)).toBe('sixel');
  });

  it('finds a sound player on PATH, never through a shell', () => {
    const bin = join(t.dir, 'bin-find');
    mkdirSync(bin);
    expect(findPlayer({ PATH: bin })).toBeNull();
    writeFileSync(join(bin, 'paplay'), '#!/bin/sh\n');
    chmodSync(join(bin, 'paplay'), 0o755);
    expect(findPlayer({ PATH: bin })).toEqual([join(bin, 'paplay')]);
    writeFileSync(join(bin, 'mpv'), '#!/bin/sh\n');
    chmodSync(join(bin, 'mpv'), 0o755);
    expect(findPlayer({ PATH: bin })).toEqual([join(bin, 'mpv'), '--no-video', '--really-quiet']);
  });
});

/** Steps through the session (space to show, 3 for Good) until `text` is on the card in front. */
/**
 * The pane's recorded output once it holds `pattern`: tmux's pipe-pane hands bytes to `cat`, which can write them to
 * the file after the screen already shows the card (seen under load), so the file is polled like the screen.
 */
async function logWith(log: () => string, pattern: RegExp | ((raw: string) => boolean), timeoutMs = 15_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const raw = log();
    if ((typeof pattern === 'function' ? pattern(raw) : pattern.test(raw)) || Date.now() > deadline) return raw;
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function studyUntil(term: Terminal, text: string): Promise<string> {
  for (let i = 0; i < 10; i++) {
    const screen = await term.waitFor(/shows the answer|type your answer/);
    const tail = screen.slice(screen.lastIndexOf('────'));
    if (screen.slice(screen.lastIndexOf('new ·')).includes(text)) return screen;
    term.send(tail.includes('type your answer') ? 'Enter' : 'Space');
    await term.waitFor(/Enter accepts|space\/Enter = Good/);
    term.send('3');
    await term.waitForCount('Good →', i + 1);
  }
  throw new Error(`never reached a card showing ${text}`);
}

describe.skipIf(!hasTmux)('a card with a picture, in a real terminal', () => {
  const session = async (termEnv: Record<string, string>, run: (term: Terminal, log: () => string, db: string) => Promise<void>) => {
    const db = freshDb();
    runJson(['import', PKG], env(db));
    const log = join(t.dir, `pty-${n}.log`);
    writeFileSync(log, '');
    const vars = Object.entries({ ...env(db), ...termEnv }).map(([k, v]) => `${k}=${shellQuote(v)}`).join(' ');
    // The session waits for a key, so the pane's output is recorded from its first byte.
    const term = new Terminal(`sh -c ${shellQuote(`read _ && env ${vars} node ${CLI} --deck 'deck 1'`)}`, { socketDir: t.dir, env: {} });
    try {
      term.tmux('pipe-pane', '-o', '-t', term.name, `cat >> ${shellQuote(log)}`);
      term.send('Enter');
      await run(term, () => readFileSync(log, 'latin1'), db);
    } finally {
      term.kill();
    }
  };

  it('TERM=xterm-kitty: the kitty graphics sequence carrying the stored al.png reaches the terminal', async () => {
    await session({ TERM: 'xterm-kitty' }, async (term, log, db) => {
      const screen = await studyUntil(term, 'aoeu');
      expect(screen).toContain(`[image: ${join(mediaFolder(db), 'al.png')}]aoeu`);
      const kitty = (raw: string) => [...raw.matchAll(/\u001b_G([^;]*);([A-Za-z0-9+/=]*)\u001b\\/g)];
      const raw = await logWith(log, (r) => Buffer.from(kitty(r).map((c) => c[2]).join(''), 'base64').length >= AL_PNG.length);
      const chunks = kitty(raw);
      expect(chunks.length).toBeGreaterThan(0);
      expect(chunks[0]![1]).toContain('f=100');
      expect(Buffer.from(chunks.map((c) => c[2]).join(''), 'base64')).toEqual(Buffer.from(AL_PNG));
    });
  });

  it('TERM_PROGRAM=iTerm.app: the iTerm2 inline image sequence reaches the terminal', async () => {
    await session({ TERM: 'xterm-256color', TERM_PROGRAM: 'iTerm.app', TERM_PROGRAM_VERSION: '3.5.0' }, async (term, log) => {
      await studyUntil(term, 'aoeu');
      const m = /\u001b\]1337;File=([^:]*):([A-Za-z0-9+/=]+)\u0007/.exec(await logWith(log, /\u001b\]1337;File=[^:]*:[A-Za-z0-9+/=]+\u0007/));
      expect(m, 'no OSC 1337 in the output').not.toBeNull();
      expect(m![1]).toContain('inline=1');
      expect(Buffer.from(m![2]!, 'base64')).toEqual(Buffer.from(AL_PNG));
    });
  });

  it('TERM=foot: a sixel image reaches the terminal', async () => {
    await session({ TERM: 'foot' }, async (term, log) => {
      await studyUntil(term, 'aoeu');
      expect(await logWith(log, /\u001bP[0-9;]*q"1;1;165;110/)).toMatch(/\u001bP[0-9;]*q"1;1;165;110/);
    });
  });

  it('TERM=xterm-256color: no image sequence at all, the placeholder names the file', async () => {
    await session({ TERM: 'xterm-256color' }, async (term, log, db) => {
      const screen = await studyUntil(term, 'aoeu');
      expect(screen).toContain(`[image: ${join(mediaFolder(db), 'al.png')}]aoeu`);
      expect(existsSync(join(mediaFolder(db), 'al.png'))).toBe(true);
      const raw = log();
      expect(raw).not.toMatch(/\u001b_G|\u001b\]1337|\u001bP[0-9;]*q/);
    });
  });

  it('p plays the card\'s sound with the player found on PATH (a stand-in that records its arguments)', async () => {
    const bin = join(t.dir, 'bin-play');
    mkdirSync(bin);
    const record = join(t.dir, 'played.txt');
    writeFileSync(join(bin, 'mpv'), `#!/bin/sh\nprintf '%s\\n' "$@" > ${shellQuote(record)}\n`);
    chmodSync(join(bin, 'mpv'), 0o755);
    await session({ TERM: 'xterm-256color', PATH: `${bin}:/usr/bin:/bin` }, async (term, _log, db) => {
      const screen = await studyUntil(term, '[sound: ');
      expect(screen).toContain('p play · u undo');
      term.send('p');
      await term.waitFor('Playing 1.mp3 with mpv.');
      for (let i = 0; i < 100 && !existsSync(record); i++) await new Promise((r) => setTimeout(r, 50));
      expect(readFileSync(record, 'utf8').split('\n')).toEqual(['--no-video', '--really-quiet', join(mediaFolder(db), '1.mp3'), '']);
    });
  });
});
