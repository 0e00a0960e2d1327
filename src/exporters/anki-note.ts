// How a recall card reads as an Anki note: Anki's stock note types and field names, and a text rendering for the
// question types Anki has no note type for. Shared by the plain-text and the package export. Pure.
import { parseCloze } from '../decks/cloze.js';
import type { NoteBody } from '../decks/parse.js';
import type { CardContent } from '../core/types.js';

/**
 * Our cloze syntax in Anki's: every deletion numbered, `{{cN::answer::hint}}`. Only the missing `cN::` are
 * inserted; everything else stays byte for byte (spaces inside a deletion included), so the text imports back
 * unchanged. The scan is parseCloze's, so the k-th pair of braces is its k-th deletion.
 */
export function toAnkiCloze(text: string): string {
  const deletions = parseCloze(text).segments.filter((s) => s.kind === 'deletion');
  let k = 0;
  let out = '';
  let pos = 0;
  while (pos < text.length) {
    const open = text.indexOf('{{', pos);
    const stray = text.indexOf('}}', pos);
    if (stray !== -1 && (open === -1 || stray < open)) {
      out += text.slice(pos, stray + 2);
      pos = stray + 2;
      continue;
    }
    const close = open === -1 ? -1 : text.indexOf('}}', open + 2);
    if (close === -1) {
      out += text.slice(pos);
      break;
    }
    const inner = text.slice(open + 2, close);
    if (inner.includes('{{')) {
      out += text.slice(pos, close + 2);
      pos = close + 2;
      continue;
    }
    const d = deletions[k++];
    const number = d && d.kind === 'deletion' && !/^c\d+::/.test(inner) ? `c${d.number}::` : '';
    out += `${text.slice(pos, open + 2)}${number}${inner}}}`;
    pos = close + 2;
  }
  return out;
}

const letter = (i: number) => String.fromCharCode(65 + (i % 26));

/** Note type and its two fields for one entry. Types Anki has no note type for become Basic with a text rendering. */
export function ankiNote(body: NoteBody, explanation: string | undefined): { noteType: string; fields: [string, string] } {
  const withExplanation = (back: string) => (explanation ? `${back}\n\n${explanation}` : back);
  switch (body.type) {
    case 'basic':
      return { noteType: 'Basic', fields: [body.front, withExplanation(body.back)] };
    // The back of a reversed note is also a question, and a typed answer is compared with the whole field: both stay bare.
    case 'reversed':
      return { noteType: 'Basic (and reversed card)', fields: [body.front, body.back] };
    case 'typed':
      return { noteType: 'Basic (type in the answer)', fields: [body.prompt, body.answers[0] ?? ''] };
    case 'cloze':
      return { noteType: 'Cloze', fields: [toAnkiCloze(body.text), explanation ?? ''] };
    case 'choice':
    case 'multi': {
      const front = [body.prompt, ...body.options.map((o, i) => `${letter(i)}) ${o.text}`)].join('\n');
      const correct = body.options.flatMap((o, i) => (o.correct ? [`${letter(i)}) ${o.text}`] : []));
      return { noteType: 'Basic', fields: [front, withExplanation(correct.join('\n'))] };
    }
    case 'truefalse':
      return { noteType: 'Basic', fields: [`True or false: ${body.statement}`, withExplanation(body.answer ? 'True' : 'False')] };
    case 'classify': {
      const front = [body.prompt, `Categories: ${body.categories.join(', ')}`, ...body.items.map((it) => `- ${it.text}`)].join('\n');
      const back = body.items.map((it) => `${it.text}: ${it.category}`).join('\n');
      return { noteType: 'Basic', fields: [front, withExplanation(back)] };
    }
  }
}

/**
 * The guid Anki identifies a note by, for a note written from recall's text: derived from our ids. Never the guid of
 * a note that came from Anki: its fields were converted from HTML to text, and Anki's default import updates the note
 * whose guid matches, so the original guid would replace that note's HTML (formatting, images) in the source
 * collection with escaped text. A guid Anki has not seen adds a note instead. (A package export writes a note that
 * came from Anki as Anki had it, guid and HTML included, from the card's `anki` record: see exporters/anki.ts.)
 */
export function ankiGuid(deck: string, noteUid: string): string {
  return `recall:${deck}:${noteUid}`;
}

/** The Anki card a recall card is: the reversed direction, the cloze deletion; 0 for single-card notes. */
export function ankiOrd(content: CardContent): number {
  if (content.type === 'reversed') return content.direction === 'backward' ? 1 : 0;
  if (content.type === 'cloze') return Math.max(0, content.index - 1);
  return 0;
}
