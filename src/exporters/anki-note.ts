// How a recall card reads as an Anki note: Anki's stock note types and field names, and a text rendering for the
// question types Anki has no note type for. Shared by the plain-text and the package export. Pure.
import { parseCloze } from '../decks/cloze.js';
import type { NoteBody } from '../decks/parse.js';

/** Our cloze syntax in Anki's: every deletion numbered, `{{cN::answer::hint}}`. */
export function toAnkiCloze(text: string): string {
  return parseCloze(text)
    .segments.map((s) => (s.kind === 'text' ? s.text : `{{c${s.number}::${s.answer}${s.hint !== undefined ? `::${s.hint}` : ''}}}`))
    .join('');
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

/** The guid Anki identifies the note by: the original one for notes imported from Anki, else one derived from our ids. */
export function ankiGuid(deck: string, noteUid: string): string {
  return noteUid.startsWith('anki:') ? noteUid.slice('anki:'.length) : `recall:${deck}:${noteUid}`;
}
