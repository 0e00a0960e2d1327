// Cloze deletions: `{{answer}}`, `{{answer::hint}}`, Anki-style `{{c2::answer}}` and `{{c2::answer::hint}}`.

export type ClozeSegment =
  | { kind: 'text'; text: string }
  | { kind: 'deletion'; number: number; answer: string; hint?: string };

export interface ClozeProblem {
  message: string;
  hint: string;
  /** Offset into the text where the problem starts, so the parser can turn it into a line. */
  offset: number;
}

export interface ClozeParse {
  segments: ClozeSegment[];
  problems: ClozeProblem[];
}

const EXPLICIT = /^c(\d+)::/;

/**
 * Split a cloze text into plain text and deletions. Unnumbered deletions are numbered in order after the highest
 * explicit number, so adding `{{c1::...}}` markers to a few deletions never renumbers the explicit ones.
 * Problems (unbalanced or nested braces, empty deletions, `c0`) are reported, never thrown.
 */
export function parseCloze(text: string): ClozeParse {
  const raw: ({ kind: 'text'; text: string } | { kind: 'deletion'; explicit: number | null; answer: string; hint?: string })[] = [];
  const problems: ClozeProblem[] = [];
  let pos = 0;
  let plain = '';
  while (pos < text.length) {
    const open = text.indexOf('{{', pos);
    const strayClose = text.indexOf('}}', pos);
    if (strayClose !== -1 && (open === -1 || strayClose < open)) {
      problems.push({ message: 'unbalanced braces: `}}` without `{{`', hint: 'write a deletion as {{answer}} or {{answer::hint}}', offset: strayClose });
      // Keep the braces as text so the rest still parses.
      plain += text.slice(pos, strayClose + 2);
      pos = strayClose + 2;
      continue;
    }
    if (open === -1) {
      plain += text.slice(pos);
      break;
    }
    plain += text.slice(pos, open);
    const close = text.indexOf('}}', open + 2);
    if (close === -1) {
      problems.push({ message: 'unbalanced braces: `{{` without `}}`', hint: 'close the deletion with }}', offset: open });
      plain += text.slice(open);
      break;
    }
    const inner = text.slice(open + 2, close);
    const nested = inner.indexOf('{{');
    if (nested !== -1) {
      problems.push({ message: 'nested deletions are not supported', hint: 'close each {{...}} before opening the next', offset: open + 2 + nested });
      plain += text.slice(open, close + 2);
      pos = close + 2;
      continue;
    }
    if (plain) raw.push({ kind: 'text', text: plain });
    plain = '';
    let body = inner;
    let explicit: number | null = null;
    const m = EXPLICIT.exec(body);
    if (m) {
      explicit = Number(m[1]);
      body = body.slice(m[0].length);
      if (explicit < 1) problems.push({ message: `deletion number c${m[1]} must be 1 or more`, hint: 'number deletions c1, c2, ...', offset: open });
    }
    const sep = body.indexOf('::');
    const answer = (sep === -1 ? body : body.slice(0, sep)).trim();
    const hint = sep === -1 ? undefined : body.slice(sep + 2).trim();
    // `{{}}` is a typo; Anki's `{{c1::}}` (a numbered gap with nothing in it) exists in real collections and stays.
    if (!answer && explicit === null) problems.push({ message: 'empty cloze deletion', hint: 'put the hidden text inside the braces: {{answer}}', offset: open });
    raw.push(hint ? { kind: 'deletion', explicit, answer, hint } : { kind: 'deletion', explicit, answer });
    pos = close + 2;
  }
  if (plain) raw.push({ kind: 'text', text: plain });

  let next = 0;
  for (const r of raw) if (r.kind === 'deletion' && r.explicit !== null) next = Math.max(next, r.explicit);
  const segments: ClozeSegment[] = raw.map((r) => {
    if (r.kind === 'text') return r;
    const number = r.explicit ?? ++next;
    return r.hint !== undefined ? { kind: 'deletion', number, answer: r.answer, hint: r.hint } : { kind: 'deletion', number, answer: r.answer };
  });
  return { segments, problems };
}

/**
 * One card per deletion number, each storing the note's text: a limit on both keeps one note from becoming
 * thousands of cards or hundreds of MB (10,000 deletions in a 99 KB text would be 990 MB).
 */
export const MAX_CLOZE_CARDS = 100;
/** Text stored across all the cards of one cloze note. */
export const MAX_CLOZE_STORED_CHARS = 8 * 2 ** 20;

/** Why a cloze text with `cards` deletion numbers is refused, or null when it is fine. */
export function clozeLimitProblem(text: string, cards: number): { message: string; hint: string } | null {
  const hint = 'split the text into several cloze entries';
  if (cards > MAX_CLOZE_CARDS) return { message: `cloze text with ${cards} deletion numbers; at most ${MAX_CLOZE_CARDS} per entry`, hint };
  if (cards * text.length > MAX_CLOZE_STORED_CHARS) {
    return { message: `cloze text of ${Math.round(text.length / 1024)} KB with ${cards} deletion numbers would be stored ${cards} times; at most ${MAX_CLOZE_STORED_CHARS / 2 ** 20} MB per entry`, hint };
  }
  return null;
}

/** The deletion numbers of a cloze text, ascending and distinct: one card per number. */
export function clozeNumbers(text: string): number[] {
  const set = new Set<number>();
  for (const s of parseCloze(text).segments) if (s.kind === 'deletion' && s.number >= 1) set.add(s.number);
  return [...set].sort((a, b) => a - b);
}

/**
 * The question hides every deletion numbered `index` as `[hint]` or `[...]` and shows the others as plain text;
 * the answer shows the hidden text in brackets so the learner sees what was asked.
 */
export function renderCloze(text: string, index: number): { question: string; answer: string } {
  let question = '';
  let answer = '';
  for (const s of parseCloze(text).segments) {
    if (s.kind === 'text') {
      question += s.text;
      answer += s.text;
    } else if (s.number === index) {
      question += `[${s.hint ? s.hint : '...'}]`;
      answer += `[${s.answer}]`;
    } else {
      question += s.answer;
      answer += s.answer;
    }
  }
  return { question, answer };
}

/** The hidden texts of deletion `index`, in order. */
export function clozeAnswers(text: string, index: number): string[] {
  const out: string[] = [];
  for (const s of parseCloze(text).segments) if (s.kind === 'deletion' && s.number === index) out.push(s.answer);
  return out;
}
