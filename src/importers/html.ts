// Anki stores note fields as HTML; the terminal needs plain text that cannot smuggle escape sequences.

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

/**
 * Removes terminal escape sequences and control characters except newline and tab. Also drops bidirectional
 * overrides, which can make text display in an order other than its content.
 */
export function stripControl(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    // CSI (ESC [ ... final) and OSC (ESC ] ... BEL or ST) sequences, then any other two-char ESC sequence.
    .replace(/\u001b\[[0-?]*[ -/]*[@-~]/g, '')
    .replace(/\u001b\][\s\S]*?(?:\u0007|\u001b\\|$)/g, '')
    .replace(/\u001b[@-_]?/g, '')
    .replace(/\u009b[0-?]*[ -/]*[@-~]/g, '')
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, '');
}

function imageName(attrs: string): string {
  const m = /\bsrc\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))/i.exec(attrs);
  const src = decodeEntities(m?.[1] ?? m?.[2] ?? m?.[3] ?? '');
  const name = src.split(/[\\/]/).pop() ?? '';
  return name ? `[image: ${name}]` : '[image]';
}

const BLOCK_TAGS = 'div|p|li|ul|ol|tr|table|h[1-6]|blockquote|pre|hr|section|article|header|footer|dd|dt|dl';

/**
 * Line breaks the way a browser lays them out: `<br>` always breaks; a block boundary (div, p, li, ...) breaks
 * only when the text is not already at the start of a line, so `<div>a</div><div>b</div>` is two lines and
 * `<div>a<br></div>` one, while Anki's `<div><br></div>` still shows as a blank line.
 */
function layoutBreaks(html: string): string {
  const parts = html.split(new RegExp(`(<br\\s*\\/?>|<\\/?(?:${BLOCK_TAGS})\\b[^>]*>)`, 'i'));
  let out = '';
  let atLineStart = true;
  parts.forEach((part, i) => {
    if (i % 2 === 0) {
      out += part;
      // Tags removed later carry no text; only visible characters end the start of a line.
      if (/[^\s]/.test(part.replace(/<[^>]*>/g, ''))) atLineStart = false;
      return;
    }
    if (/^<br/i.test(part) || !atLineStart) {
      out += '\n';
      atLineStart = true;
    }
  });
  return out;
}

/** Converts Anki field HTML to plain terminal text. */
export function htmlToText(html: string): string {
  let s = html
    .replace(/<!--[\s\S]*?(?:-->|$)/g, '')
    .replace(/<(script|style)\b[^>]*>[\s\S]*?(?:<\/\1\s*>|$)/gi, '')
    .replace(/\[sound:[^\]]*\]/g, '')
    // HTML source whitespace (including newlines) is a single space; line breaks come from tags only.
    .replace(/[ \t\r\n\f]+/g, ' ')
    .replace(/<img\b([^>]*)>/gi, (_m, attrs: string) => imageName(attrs));
  s = layoutBreaks(s)
    // Only things that look like tags are removed, so a literal "a < b" survives.
    .replace(/<\/?[a-zA-Z][^>]*>/g, '')
    .replace(/<![^>]*>/g, '');
  s = stripControl(decodeEntities(s));
  return s
    .split('\n')
    .map((line) => line.replace(/ {2,}/g, ' ').trim())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
