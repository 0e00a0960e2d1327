// Small edits to a deck file's text that keep everything else byte for byte: the `deck:` header renamed, an entry
// appended, an entry cut out. Pure text in, text out; the caller re-parses the result before writing it.
import { serializeDeck, type ParsedNote } from './parse.js';

/** The file's line ending: CRLF when its first line break is one, else LF. */
function eol(text: string): string {
  const i = text.indexOf('\n');
  return i > 0 && text[i - 1] === '\r' ? '\r\n' : '\n';
}

/**
 * The text with the header's `deck:` value replaced (continuation lines of the old value dropped), or null when
 * the header has no `deck:` line.
 */
export function setHeaderName(text: string, name: string): string | null {
  const nl = eol(text);
  const bom = text.startsWith('\uFEFF') ? '\uFEFF' : '';
  const lines = text.slice(bom.length).split(/\r\n|\r|\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (/^---(\s|$)/.test(line)) return null;
    if (/^deck:/.test(line)) {
      let j = i + 1;
      while (j < lines.length && (lines[j]!.startsWith('  ') || lines[j]!.startsWith('\t'))) j++;
      lines.splice(i, j - i, `deck: ${name}`);
      return bom + lines.join(nl);
    }
  }
  return null;
}

/** One entry in deck-file syntax (its separator line and fields), without a trailing newline. */
export function entryText(note: ParsedNote): string {
  const whole = serializeDeck({ name: 'x', description: '', source: '' }, [note]);
  // serializeDeck writes `deck: x`, a blank line, then the entry.
  return whole.split('\n').slice(2).join('\n').replace(/\n+$/, '');
}

/** The text with an entry added at its end, after a blank line, in the file's own line endings. */
export function appendEntry(text: string, entry: string): string {
  const nl = eol(text);
  const body = entry.split('\n').join(nl);
  const trimmed = text.replace(/(\r\n|\r|\n)+$/, '');
  return `${trimmed}${nl}${nl}${body}${nl}`;
}

/** The text with the first occurrence of an appended entry taken out again, or null when it is not there as written. */
export function removeEntry(text: string, entry: string): string | null {
  const nl = eol(text);
  const block = `${nl}${nl}${entry.split('\n').join(nl)}${nl}`;
  const i = text.lastIndexOf(block);
  if (i === -1) return null;
  return `${text.slice(0, i)}${nl}${text.slice(i + block.length)}`;
}

/** The 1-based line of the separator of the entry whose id or provisional uid is `uid`, from a parse of the file. */
export function entryLine(notes: readonly ParsedNote[], noteUid: string): number | undefined {
  return notes.find((n) => n.uid === noteUid)?.line;
}

/**
 * The text with the entry whose separator is on `line` replaced by `entry` (or cut out, with the blank line after
 * it, when `entry` is null). The entry runs to the next separator in `lines` (the separators of every entry),
 * without the blank and comment lines just before that one, which stay as they are. Everything else stays byte for
 * byte, in the file's own line endings.
 */
export function replaceEntryAt(text: string, lines: readonly number[], line: number, entry: string | null): string {
  const nl = eol(text);
  const all = text.split(/\r\n|\r|\n/);
  const start = line - 1;
  const next = lines.filter((l) => l > line).reduce((a, b) => Math.min(a, b), all.length + 1);
  let end = next - 2;
  while (end > start && (all[end]!.trim() === '' || all[end]!.startsWith('#'))) end--;
  if (entry !== null) {
    all.splice(start, end - start + 1, ...entry.split('\n'));
  } else {
    const blankAfter = end + 1 < all.length - 1 && all[end + 1]!.trim() === '' ? 1 : 0;
    const blankBefore = !blankAfter && start > 0 && all[start - 1]!.trim() === '' ? 1 : 0;
    all.splice(start - blankBefore, end - start + 1 + blankAfter + blankBefore);
  }
  return all.join(nl);
}
