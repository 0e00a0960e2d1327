// Anki stores note fields as HTML; the terminal needs plain text that cannot smuggle escape sequences.
import { sanitize } from '../core/text.js';

const NAMED_ENTITIES: Record<string, string> = {
  amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', ensp: ' ', emsp: ' ', thinsp: ' ',
  ndash: '–', mdash: '—', hellip: '…', laquo: '«', raquo: '»', lsaquo: '‹', rsaquo: '›',
  lsquo: '‘', rsquo: '’', ldquo: '“', rdquo: '”', sbquo: '‚', bdquo: '„',
  copy: '©', reg: '®', trade: '™', deg: '°', middot: '·', bull: '•', times: '×', divide: '÷',
  euro: '€', pound: '£', yen: '¥', cent: '¢', sect: '§', para: '¶', shy: '', zwj: '\u200d', zwnj: '\u200c',
  iexcl: '¡', iquest: '¿', ordf: 'ª', ordm: 'º', plusmn: '±', micro: 'µ', frac12: '½', frac14: '¼', frac34: '¾',
  sup1: '¹', sup2: '²', sup3: '³', larr: '←', rarr: '→', uarr: '↑', darr: '↓', harr: '↔', rArr: '⇒', lArr: '⇐',
  hArr: '⇔', le: '≤', ge: '≥', ne: '≠', asymp: '≈', infin: '∞', minus: '−', prime: '′', Prime: '″',
  alpha: 'α', beta: 'β', gamma: 'γ', delta: 'δ', epsilon: 'ε', lambda: 'λ', mu: 'μ', pi: 'π', sigma: 'σ',
  omega: 'ω', theta: 'θ', Delta: 'Δ', Sigma: 'Σ', Omega: 'Ω',
  Agrave: 'À', Aacute: 'Á', Acirc: 'Â', Atilde: 'Ã', Auml: 'Ä', Aring: 'Å', AElig: 'Æ', Ccedil: 'Ç',
  Egrave: 'È', Eacute: 'É', Ecirc: 'Ê', Euml: 'Ë', Igrave: 'Ì', Iacute: 'Í', Icirc: 'Î', Iuml: 'Ï',
  Ntilde: 'Ñ', Ograve: 'Ò', Oacute: 'Ó', Ocirc: 'Ô', Otilde: 'Õ', Ouml: 'Ö', Oslash: 'Ø',
  Ugrave: 'Ù', Uacute: 'Ú', Ucirc: 'Û', Uuml: 'Ü', Yacute: 'Ý', szlig: 'ß',
  agrave: 'à', aacute: 'á', acirc: 'â', atilde: 'ã', auml: 'ä', aring: 'å', aelig: 'æ', ccedil: 'ç',
  egrave: 'è', eacute: 'é', ecirc: 'ê', euml: 'ë', igrave: 'ì', iacute: 'í', icirc: 'î', iuml: 'ï',
  ntilde: 'ñ', ograve: 'ò', oacute: 'ó', ocirc: 'ô', otilde: 'õ', ouml: 'ö', oslash: 'ø',
  ugrave: 'ù', uacute: 'ú', ucirc: 'û', uuml: 'ü', yacute: 'ý', yuml: 'ÿ', OElig: 'Œ', oelig: 'œ',
};

function decodeCodePoint(cp: number): string {
  // Surrogates and out-of-range values are not characters; HTML maps them to U+FFFD.
  if (!Number.isFinite(cp) || cp <= 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return '\ufffd';
  return String.fromCodePoint(cp);
}

/** Decodes named (common set), decimal and hexadecimal character references; unknown names stay as written. */
export function decodeEntities(text: string): string {
  return text.replace(/&(#[0-9]{1,8}|#[xX][0-9a-fA-F]{1,8}|[a-zA-Z][a-zA-Z0-9]{1,31});?/g, (whole, ref: string) => {
    if (ref[0] === '#') {
      const hex = ref[1] === 'x' || ref[1] === 'X';
      return decodeCodePoint(parseInt(ref.slice(hex ? 2 : 1), hex ? 16 : 10));
    }
    const named = NAMED_ENTITIES[ref];
    return named !== undefined ? named : whole;
  });
}

/** Text that cannot act on a terminal: the one sanitiser (`core/text.ts`), under the name the importers use. */
export function stripControl(text: string): string {
  return sanitize(text);
}

/** `[image: NAME]` for an img tag's attributes; the src value is read by hand, so a tag of any length costs one pass. */
function imageName(attrs: string): string {
  const at = /\bsrc\s*=\s*/i.exec(attrs);
  let src = '';
  if (at) {
    const from = at.index + at[0].length;
    const quote = attrs[from];
    if (quote === '"' || quote === "'") {
      const end = attrs.indexOf(quote, from + 1);
      src = attrs.slice(from + 1, end === -1 ? attrs.length : end);
    } else {
      let end = from;
      while (end < attrs.length && !/[\s>]/.test(attrs[end]!)) end++;
      src = attrs.slice(from, end);
    }
  }
  const name = decodeEntities(src).split(/[\\/]/).pop() ?? '';
  return name ? `[image: ${name}]` : '[image]';
}

const BLOCK_TAGS = new Set(['div', 'p', 'li', 'ul', 'ol', 'tr', 'table', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'blockquote', 'pre', 'hr', 'section', 'article', 'header', 'footer', 'dd', 'dt', 'dl']);

/**
 * Writes every `[sound:NAME]` as `[sound: NAME]`, the form cards keep (like `[image: NAME]`), so a session can play
 * it; an unclosed one stays as text. One pass: once no `]` follows, none ever will.
 */
function dropSounds(s: string): string {
  if (!s.includes('[sound:')) return s;
  let out = '';
  let i = 0;
  for (;;) {
    const open = s.indexOf('[sound:', i);
    if (open === -1) break;
    const close = s.indexOf(']', open + 7);
    if (close === -1) break;
    const name = s.slice(open + 7, close).trim().split(/[\\/]/).pop() ?? '';
    out += s.slice(i, open) + (name ? `[sound: ${name}]` : '');
    i = close + 1;
  }
  return out + s.slice(i);
}

/**
 * Converts Anki field HTML to plain terminal text, in one left-to-right pass over the tags (every step is linear
 * in the field's length: a field of 200,000 `<` costs what any field of that length does).
 *
 * Line breaks follow a browser's layout: `<br>` always breaks; a block boundary (div, p, li, ...) breaks only
 * when the text is not already at the start of a line, so `<div>a</div><div>b</div>` is two lines and
 * `<div>a<br></div>` one, while Anki's `<div><br></div>` still shows as a blank line. Only things that look like
 * tags are removed, so a literal "a < b" survives.
 */
export function htmlToText(html: string): string {
  // HTML source whitespace (including newlines) is a single space; line breaks come from tags only.
  const s = dropSounds(html).replace(/[ \t\r\n\f]+/g, ' ');
  let out = '';
  let atLineStart = true;
  const text = (t: string) => {
    out += t;
    if (/[^\s]/.test(t)) atLineStart = false;
  };
  let i = 0;
  // The first '>' at or after `gtFrom`; reused while later '<' come before it, so runs of '<' stay linear.
  let gt = -1;
  let gtFrom = -1;
  while (i < s.length) {
    const lt = s.indexOf('<', i);
    if (lt === -1) break;
    text(s.slice(i, lt));
    if (s.startsWith('<!--', lt)) {
      const end = s.indexOf('-->', lt + 4);
      i = end === -1 ? s.length : end + 3;
      continue;
    }
    if (gt < lt + 1 || gtFrom > lt + 1) {
      gt = s.indexOf('>', lt + 1);
      gtFrom = lt + 1;
    }
    if (gt === -1) break; // no tag can close: the rest is text
    const inner = s.slice(lt + 1, gt);
    const m = /^(\/?)([a-zA-Z][a-zA-Z0-9]*)/.exec(inner);
    if (!m && inner[0] !== '!') {
      text('<');
      i = lt + 1;
      continue;
    }
    i = gt + 1;
    if (!m) continue; // <!DOCTYPE ...>, <![CDATA[ ...
    const closing = m[1] === '/';
    const name = m[2]!.toLowerCase();
    if (!closing && (name === 'script' || name === 'style')) {
      const end = new RegExp(`<\\/${name}\\s*>`, 'ig');
      end.lastIndex = i;
      const found = end.exec(s);
      i = found ? found.index + found[0].length : s.length;
      continue;
    }
    if (name === 'img' && !closing) text(imageName(inner.slice(3)));
    else if (name === 'br' || (BLOCK_TAGS.has(name) && !atLineStart)) {
      out += '\n';
      atLineStart = true;
    }
  }
  if (i < s.length) text(s.slice(i));
  return stripControl(decodeEntities(out))
    .split('\n')
    .map((line) => line.replace(/ {2,}/g, ' ').trim())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
