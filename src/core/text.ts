/** \r, ESC, the 8-bit CSI, the other C0 and C1 controls (tab and newline stay), bidi controls. */
const NEEDS_WORK = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/;

/**
 * Makes text from decks and imports inert on a terminal: removes escape sequences (CSI, OSC, DCS, ...), every
 * other C0/C1 control except newline and tab, and Unicode bidi overrides that could disguise what is shown.
 * Carriage returns are dropped so a line cannot be overwritten.
 */
export function sanitize(text: string): string {
  // Every pattern below needs one of these characters; most text has none (an import sanitizes every field).
  if (!NEEDS_WORK.test(text)) return text;
  return text
    .replace(/\r\n?/g, '\n')
    .replace(/\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)?/g, '') // OSC ... BEL/ST
    .replace(/\u001b[P^_X][^\u001b]*(?:\u001b\\)?/g, '') // DCS, PM, APC, SOS
    .replace(/\u001b\[[0-?]*[ -/]*[@-~]?/g, '') // CSI
    .replace(/\u009b[0-?]*[ -/]*[@-~]?/g, '') // 8-bit CSI
    .replace(/\u001b[\s\S]?/g, '') // any other ESC sequence
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '')
    .replace(/[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/g, '');
}

/** Whether `sanitize` would change the text (false: it returns the text as it is). */
export function needsSanitizing(text: string): boolean {
  return NEEDS_WORK.test(text);
}

/** The colour and weight codes recall's own styler writes (SGR: bold, dim, inverse, colours, their resets). */
const OWN_STYLE = /(\u001b\[(?:0|1|2|7|22|27|3[1-9])m)/;

/**
 * `sanitize` for text that may carry recall's own styling: those few SGR codes survive, every other sequence
 * (and every control character) goes. The CLI's single output path calls this on everything it prints, so a
 * string that missed its own sanitize call can at worst change a colour.
 */
export function sanitizeStyled(text: string): string {
  if (!text.includes('\u001b')) return sanitize(text);
  return text
    .split(OWN_STYLE)
    .map((part, i) => (i % 2 === 1 ? part : sanitize(part)))
    .join('');
}

/**
 * JSON text in which nothing can act on a terminal or disguise itself: JSON.stringify already escapes C0
 * controls, and this also escapes DEL, the C1 controls, bidi overrides and isolates, and the line and paragraph
 * separators. The value is unchanged for any JSON parser; only its spelling differs.
 */
export function toSafeJson(value: unknown, indent?: number): string {
  return (JSON.stringify(value, null, indent) ?? 'null').replace(
    /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
