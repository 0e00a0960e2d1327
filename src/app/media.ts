// The collection's media: pictures and sounds of imported packages, kept in the media folder next to the database
// (`<db dir>/media`, private to the user), one file per content hash. Cards name them as their notes did
// ("[image: al.png]", "[sound: 1.mp3]"); the database maps each name to its content.
import { createRequire } from 'node:module';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import type { Context } from './context.js';

let crypto: typeof import('node:crypto') | undefined;
/** node:crypto is loaded on first use (~7 ms): a review session that shows no new media never needs it. */
function sha256(bytes: Uint8Array): string {
  crypto ??= createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto');
  return crypto.createHash('sha256').update(bytes).digest('hex');
}

export type MediaKind = 'image' | 'sound';

/** `[image: NAME]` or `[sound: NAME]` as cards hold them; names stop at the bracket or the line's end (linear). */
const MEDIA_REF = /\[(image|sound): ([^\]\n]{1,255})\]/g;

export function mediaRefs(text: string): { kind: MediaKind; name: string }[] {
  return [...text.matchAll(MEDIA_REF)].map((m) => ({ kind: m[1] as MediaKind, name: m[2]!.trim() }));
}

/** Every media name a card's stored content refers to: recall's own markers and, in Anki notes kept for the way back, `src="..."` and `[sound:...]`. */
export function namesInContent(contentJson: string): Set<string> {
  const names = new Set<string>();
  let text: string;
  try {
    // The strings inside the JSON, decoded, so escaped quotes and unicode read as the note had them.
    text = collectStrings(JSON.parse(contentJson)).join('\n');
  } catch {
    text = contentJson;
  }
  for (const r of mediaRefs(text)) names.add(r.name);
  for (const m of text.matchAll(/\[sound:([^\]\n]{1,255})\]/g)) names.add(m[1]!.trim());
  for (const m of text.matchAll(/<img\b[^>]{0,2000}?\bsrc\s*=\s*["']?([^"'\s>]{1,255})/gi)) names.add(m[1]!);
  return names;
}

function collectStrings(v: unknown, out: string[] = []): string[] {
  if (typeof v === 'string') out.push(v);
  else if (Array.isArray(v)) for (const x of v) collectStrings(x, out);
  else if (v && typeof v === 'object') for (const x of Object.values(v)) collectStrings(x, out);
  return out;
}

/** Every string in a value replaced through `f` (card contents are plain JSON data). */
export function mapStrings<T>(v: T, f: (s: string) => string): T {
  if (typeof v === 'string') return f(v) as T;
  if (Array.isArray(v)) return v.map((x) => mapStrings(x, f)) as T;
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, mapStrings(x, f)])) as T;
  return v;
}

export function mediaDir(ctx: Pick<Context, 'dbPath'>): string {
  return join(dirname(ctx.dbPath), 'media');
}

/**
 * A name safe as a file name on any system: letters, digits and `._-()` and spaces kept, everything else
 * (slashes, controls, quotes, ...) an underscore; no leading dot; at most 100 characters with the extension kept.
 */
export function safeFileName(name: string): string {
  const clean = name.normalize('NFC').replace(/[^\p{L}\p{N}._() -]/gu, '_').replace(/^[.\s]+/, '').trim();
  const ext = extname(clean).slice(0, 10);
  const stem = clean.slice(0, clean.length - ext.length).slice(0, 90) || 'file';
  return `${stem}${ext}`;
}

function withSuffix(file: string, suffix: string): string {
  const ext = extname(file);
  return `${file.slice(0, file.length - ext.length)}-${suffix}${ext}`;
}

export interface MediaImport {
  /** Files written to the media folder. */
  stored: number;
  /** Files whose content the folder held already (same bytes under this or another name). */
  reused: number;
  /** Names taken by other content already: the incoming file goes by the new name, and its cards say so. */
  renamed: Map<string, string>;
  /** Files written by this import, to delete should its transaction roll back. */
  written: string[];
}

/**
 * Keeps a package's media: each file's content once (sha256), under a safe name in the media folder (0700; files
 * 0600), and each name the package uses pointing at it. Runs inside the import's transaction; the files are written
 * first, and `written` lets the caller remove them if the transaction fails. A dry run writes nothing.
 */
export function importMedia(ctx: Context, files: readonly { name: string; path: string }[], opts: { dryRun?: boolean } = {}): MediaImport {
  const { store } = ctx;
  const dir = mediaDir(ctx);
  const result: MediaImport = { stored: 0, reused: 0, renamed: new Map(), written: [] };
  if (files.length === 0) return result;
  if (!opts.dryRun) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
  }
  const now = ctx.clock();
  const taken = new Set(store.mediaFiles().map((m) => m.file));
  for (const f of files) {
    const bytes = readFileSync(f.path);
    const hash = sha256(bytes);
    const known = store.mediaFileByHash(hash);
    if (known) result.reused++;
    else {
      let file = safeFileName(f.name);
      for (let i = 0; taken.has(file) || existsSync(join(dir, file)); i++) file = withSuffix(safeFileName(f.name), i === 0 ? hash.slice(0, 8) : `${hash.slice(0, 8)}-${i}`);
      taken.add(file);
      if (!opts.dryRun) {
        const path = join(dir, file);
        const fd = openSync(path, 'wx', 0o600);
        try {
          for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done, bytes.length - done);
        } finally {
          closeSync(fd);
        }
        result.written.push(path);
      }
      store.addMediaFile({ hash, file, size: bytes.length }, now);
      result.stored++;
    }
    // A name is the package's to keep unless another content holds it already (Anki renames the same way).
    const holder = store.mediaByName(f.name);
    if (holder && holder.hash !== hash) {
      let alt = withSuffix(f.name, hash.slice(0, 8));
      for (let i = 2; store.mediaByName(alt) && store.mediaByName(alt)!.hash !== hash; i++) alt = withSuffix(f.name, `${hash.slice(0, 8)}-${i}`);
      result.renamed.set(f.name, alt);
      store.setMediaName(alt, hash);
    } else store.setMediaName(f.name, hash);
  }
  return result;
}

/** Removes files written by an import whose transaction did not commit. */
export function discardWritten(written: readonly string[]): void {
  for (const p of written) {
    try {
      unlinkSync(p);
    } catch {
      // already gone
    }
  }
}

/**
 * Rewrites a card's media names where the import renamed them: recall's markers, and in the Anki note kept for
 * the way back its `src="..."` attributes and `[sound:...]` tags, so an export packs the right file.
 */
export function renameRefs<T>(content: T, renamed: ReadonlyMap<string, string>): T {
  if (renamed.size === 0) return content;
  const to = (name: string) => renamed.get(name.trim());
  return mapStrings(content, (s) =>
    s
      .replace(MEDIA_REF, (all, kind: string, name: string) => (to(name) ? `[${kind}: ${to(name)}]` : all))
      .replace(/\[sound:([^\]\n]{1,255})\]/g, (all, name: string) => (to(name) ? `[sound:${to(name)}]` : all))
      .replace(/(\bsrc\s*=\s*["']?)([^"'\s>]{1,255})/gi, (all, pre: string, name: string) => (to(name) ? `${pre}${to(name)}` : all)),
  );
}

/** Where a name's file is, if the collection has it. */
export function mediaPath(ctx: Context, name: string): string | null {
  const row = ctx.store.mediaByName(name);
  return row ? join(mediaDir(ctx), row.file) : null;
}

export interface MediaCheck {
  /** Files in the media folder that no card (removed ones included: their history may come back) refers to. */
  unused: { file: string; size: number; hash: string }[];
  /** Cards (not removed) naming media the collection does not have, or whose file is gone from the folder. */
  missing: { cardId: number; name: string }[];
}

export function checkMedia(ctx: Context): MediaCheck {
  const { store } = ctx;
  const dir = mediaDir(ctx);
  const usedNames = new Set<string>();
  const missing: MediaCheck['missing'] = [];
  const names = new Map(store.mediaNames().map((n) => [n.name, n.hash]));
  const files = new Map(store.mediaFiles().map((f) => [f.hash, f]));
  for (const card of store.cardContents()) {
    for (const name of namesInContent(card.contentJson)) {
      usedNames.add(name);
      if (card.removed) continue;
      const hash = names.get(name);
      const file = hash === undefined ? undefined : files.get(hash);
      if (!file || !existsSync(join(dir, file.file))) missing.push({ cardId: card.id, name });
    }
  }
  // Anki's own conventions keep two kinds of file that no field names: `_name` files (fonts and scripts of note
  // templates) and the images of LaTeX it renders (`latex-<sha1>.png`); they go back with an export.
  for (const name of names.keys()) if (name.startsWith('_') || /^latex-[0-9a-f]{40}\.(png|svg)$/.test(name)) usedNames.add(name);
  const usedHashes = new Set([...usedNames].flatMap((n) => (names.has(n) ? [names.get(n)!] : [])));
  const unused = [...files.values()].filter((f) => !usedHashes.has(f.hash)).map((f) => ({ file: join(dir, f.file), size: f.size, hash: f.hash }));
  return { unused, missing };
}

/**
 * Deletes the media files no card refers to (with their names), keeping every file another card still uses. For
 * deleting a deck (issue 14) and `recall doctor --fix`. Returns what was deleted.
 */
export function pruneUnusedMedia(ctx: Context): { file: string; size: number }[] {
  const { unused } = checkMedia(ctx);
  ctx.store.transaction(() => {
    for (const u of unused) ctx.store.deleteMediaFile(u.hash);
  });
  discardWritten(unused.map((u) => u.file));
  return unused.map((u) => ({ file: u.file, size: u.size }));
}

/** The stored files the given cards' contents name, as an export packs them: the name the notes use and the path. */
export function mediaForContents(ctx: Context, contents: Iterable<string>): { name: string; path: string }[] {
  const out = new Map<string, string>();
  for (const c of contents) {
    for (const name of namesInContent(c)) {
      if (out.has(name)) continue;
      const path = mediaPath(ctx, name);
      if (path && existsSync(path)) out.set(name, path);
    }
  }
  return [...out].map(([name, path]) => ({ name, path }));
}
