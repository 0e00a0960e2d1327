// Pictures and sounds of a card on the terminal. Images are drawn inline where the terminal speaks an image
// protocol (kitty, iTerm2, sixel), found from the environment; elsewhere the card shows a placeholder naming the
// file's path so it can be opened. The escape sequences of an inline image are the one thing recall prints that
// does not pass the sanitiser: they are made by the libraries (terminal-image for kitty and iTerm2, sixel for
// sixel) only from files recall itself stored in its media folder, never from card text.
import { importExternal } from '../core/external.js';
import { createRequire } from 'node:module';
import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import { basename, delimiter, join } from 'node:path';
import { mapStrings, mediaPath, mediaRefs, type MediaKind } from '../app/media.js';
import type { Context, Env } from '../app/context.js';
import type { CardContent } from '../core/types.js';

export type ImageProtocol = 'kitty' | 'iterm2' | 'sixel';

/**
 * The terminal's image protocol, from what terminals say about themselves in the environment. RECALL_IMAGES
 * overrides: `off`, or the protocol to use. tmux and screen pass none of these protocols through by default, so a
 * TERM of theirs means none, unless the outer terminal's own variables are set.
 */
export function detectImageProtocol(env: Env, isTty: boolean): ImageProtocol | null {
  const forced = env.RECALL_IMAGES?.toLowerCase();
  if (forced === 'off' || forced === 'none' || forced === '0') return null;
  if (forced === 'kitty' || forced === 'iterm2' || forced === 'sixel') return forced;
  if (!isTty) return null;
  const term = (env.TERM ?? '').toLowerCase();
  const program = (env.TERM_PROGRAM ?? '').toLowerCase();
  if (env.KITTY_WINDOW_ID || term.includes('kitty') || term === 'xterm-ghostty' || program === 'ghostty' || env.GHOSTTY_RESOURCES_DIR) return 'kitty';
  if (program === 'wezterm' || env.WEZTERM_PANE) return 'kitty';
  if (program === 'iterm.app' || (env.LC_TERMINAL ?? '').toLowerCase() === 'iterm2' || program === 'mintty' || program === 'vscode') return 'iterm2';
  if (/^(foot|mlterm|yaft|contour|xterm-sixel)/.test(term) || env.KONSOLE_VERSION) return 'sixel';
  return null;
}

/** What the terminal can do for a card: its image protocol (or none) and the width to draw in. */
export interface MediaTerminal {
  protocol: ImageProtocol | null;
  columns: number;
}

/** The card with each `[image: NAME]` / `[sound: NAME]` naming the stored file's path, so it can be opened. */
export function withMediaPaths(ctx: Context, content: CardContent): CardContent {
  return mapStrings(content, (s) =>
    s.includes('[image: ') || s.includes('[sound: ')
      ? s.replace(/\[(image|sound): ([^\]\n]{1,255})\]/g, (all, kind: string, name: string) => {
          const path = mediaPath(ctx, name.trim());
          return path && existsSync(path) ? `[${kind}: ${path}]` : all;
        })
      : s,
  );
}

/** The stored files of one kind that a text names, in order, each once. */
export function mediaFilesIn(ctx: Context, text: string, kind: MediaKind): string[] {
  const out: string[] = [];
  for (const r of mediaRefs(text)) {
    if (r.kind !== kind) continue;
    const path = mediaPath(ctx, r.name);
    if (path && existsSync(path) && !out.includes(path)) out.push(path);
  }
  return out;
}

/** Images larger than this are not drawn inline (the placeholder still names them). */
const MAX_INLINE_BYTES = 20 * 2 ** 20;

/**
 * Draws the images inline, each at most `rows` lines high, through the library for the protocol; returns how many
 * were drawn. kitty's output is written by terminal-image itself; the other protocols' come back as strings.
 */
export async function drawImages(paths: readonly string[], term: MediaTerminal, write: (raw: string) => void, rows = 12, onError?: (e: unknown) => void): Promise<number> {
  if (!term.protocol || paths.length === 0) return 0;
  let drawn = 0;
  for (const path of paths) {
    try {
      if (statSync(path).size > MAX_INLINE_BYTES) continue;
      const bytes = readFileSync(path);
      const width = Math.max(10, Math.min(term.columns - 2, 60));
      if (term.protocol === 'sixel') {
        const { Jimp } = await importExternal<typeof import('jimp')>('jimp');
        const { image2sixel } = await importExternal<typeof import('sixel')>('sixel');
        const image = await Jimp.fromBuffer(bytes);
        // About 10 pixels a column: a picture as wide as the text, never larger than it is.
        const targetWidth = Math.min(image.bitmap.width, width * 10);
        if (targetWidth < image.bitmap.width) image.resize({ w: targetWidth });
        write(`${image2sixel(image.bitmap.data, image.bitmap.width, image.bitmap.height, 256, 1)}\n`);
      } else if (term.protocol === 'iterm2') {
        // ansi-escapes (Sindre Sorhus, under terminal-image's iTerm2 path) makes the OSC 1337 sequence; called
        // directly because terminal-image only trusts iTerm2 when it can read the app's version on macOS itself.
        const { default: ansiEscapes } = await import('ansi-escapes');
        write(`${ansiEscapes.image(bytes, { width, height: rows, preserveAspectRatio: true })}\n`);
      } else {
        // terminal-image writes kitty's graphics sequence to stdout itself and returns ''.
        const { default: terminalImage } = await importExternal<typeof import('terminal-image')>('terminal-image');
        const out = await terminalImage.buffer(bytes, { width, height: rows, preferNativeRender: true });
        write(`${out}\n`);
      }
      drawn++;
    } catch (e) {
      // A file that is no picture the libraries read: its placeholder in the card still names it.
      onError?.(e);
    }
  }
  return drawn;
}

/** Players tried for `p`, in order; each takes the file as its last argument. Found on PATH, never run through a shell. */
const PLAYERS: readonly (readonly string[])[] = [
  ['mpv', '--no-video', '--really-quiet'],
  ['ffplay', '-nodisp', '-autoexit', '-loglevel', 'quiet'],
  ['afplay'],
  ['paplay'],
  ['aplay', '-q'],
  ['play', '-q'],
];

function onPath(program: string, env: Env): string | null {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const full = join(dir, program);
    try {
      accessSync(full, constants.X_OK);
      if (statSync(full).isFile()) return full;
    } catch {
      // not here
    }
  }
  return null;
}

/** The system's sound player: RECALL_PLAYER (a program name or path, no arguments) first, else the first of PLAYERS on PATH. */
export function findPlayer(env: Env): string[] | null {
  if (env.RECALL_PLAYER) {
    const p = env.RECALL_PLAYER.includes('/') ? env.RECALL_PLAYER : onPath(env.RECALL_PLAYER, env);
    if (p && existsSync(p)) return [p];
  }
  for (const [program, ...args] of PLAYERS) {
    const found = onPath(program!, env);
    if (found) return [found, ...args];
  }
  return null;
}

/** Plays the files one after the other in the background; returns the line to show. */
export function playSounds(paths: readonly string[], env: Env): string {
  if (paths.length === 0) return 'This card has no sound.';
  const player = findPlayer(env);
  if (!player) return `No sound player found (mpv, ffplay, afplay, paplay, aplay or play); the sound is ${paths.join(', ')}`;
  const [cmd, ...args] = player;
  const playNext = (i: number) => {
    if (i >= paths.length) return;
    // node:child_process is loaded when a sound is first played, not at every start of a session.
    const { spawn } = createRequire(import.meta.url)('node:child_process') as typeof import('node:child_process');
    const child = spawn(cmd!, [...args, paths[i]!], { stdio: 'ignore', env: env as NodeJS.ProcessEnv });
    child.on('error', () => undefined);
    child.on('exit', () => playNext(i + 1));
    child.unref();
  };
  playNext(0);
  return `Playing ${paths.map((p) => basename(p)).join(', ')} with ${basename(cmd!)}.`;
}

/**
 * A card made ready for the terminal: its text naming media paths, its question's pictures drawn above it where
 * the terminal can, and `p` playing its sounds. Used by review and quiz alike.
 */
export async function showCardMedia(
  ctx: Context,
  content: CardContent,
  question: string,
  io: { env: Env; stdoutIsTty: boolean; columns: number },
): Promise<{ content: CardContent; onPlay?: () => string }> {
  const hasMedia = JSON.stringify(content).includes('[image: ') || JSON.stringify(content).includes('[sound: ');
  if (!hasMedia) return { content };
  const term: MediaTerminal = { protocol: detectImageProtocol(io.env, io.stdoutIsTty), columns: io.columns };
  // Deliberately past the sanitiser: only the libraries' escape sequences for files in recall's media folder.
  await drawImages(mediaFilesIn(ctx, question, 'image'), term, (raw) => void process.stdout.write(raw), 12, io.env.RECALL_DEBUG ? (e) => void process.stderr.write(`recall: image: ${String((e as Error)?.stack ?? e)}\n`) : undefined);
  const sounds = mediaFilesIn(ctx, JSON.stringify(content), 'sound');
  return { content: withMediaPaths(ctx, content), ...(sounds.length ? { onPlay: () => playSounds(sounds, io.env) } : {}) };
}
