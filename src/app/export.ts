// Pure formatters for `recall export`: the review log (CSV, JSON, the FSRS optimizer's CSV) and a deck (recall deck
// file, Anki "Notes in Plain Text", JSON). Formats are documented in docs/export-formats.md.
import { toSafeJson } from '../core/text.js';
import type { CardContent, CardExtras, CardSpec } from '../core/types.js';
import { parseCloze } from '../decks/cloze.js';
import { notesFromCards, serializeDeck, type DeckHeader, type NoteBody } from '../decks/parse.js';
import { csvLine } from '../stats/csv.js';
import type { ExportCardRow, ExportReviewRow, FsrsReviewRow } from '../store/stats.js';

export const REVIEW_CSV_COLUMNS = [
  'id', 'uid', 'card_id', 'card_uid', 'deck', 'reviewed_at', 'day', 'rating', 'state_before', 'state_after', 'due',
  'stability', 'difficulty', 'elapsed_days', 'scheduled_days', 'duration_ms', 'kind', 'scheduled', 'attempt_id',
  'source_key', 'source_state', 'answer',
] as const;

export function reviewCsvLine(r: ExportReviewRow): string {
  return csvLine([
    r.id, r.uid, r.cardId, r.cardUid, r.deck, r.reviewedAt, r.day, r.rating, r.stateBefore, r.stateAfter, r.due,
    r.stability, r.difficulty, r.elapsedDays, r.scheduledDays, r.durationMs, r.kind, r.scheduled, r.attemptId,
    r.sourceKey, r.sourceState, r.answer,
  ]);
}

/** Header of the FSRS optimizer's revlog CSV (as read by fsrs-rs / @open-spaced-repetition/binding). */
export const FSRS_CSV_HEADER = 'card_id,review_time,review_rating,review_state,review_duration\n';

/**
 * One optimizer row: review_time in epoch ms, review_state = the state BEFORE the answer (0 New .. 3 Relearning),
 * or 4 for an answer imported from an Anki filtered deck, as Anki's own export writes it.
 */
export function fsrsCsvLine(r: FsrsReviewRow): string {
  return `${r[0]},${r[1]},${r[2]},${r[3]},${r[4]}\n`;
}

export function reviewJson(r: ExportReviewRow): Record<string, unknown> {
  return { ...r, scheduled: r.scheduled === 1 };
}

export type ReviewFormat = 'csv' | 'json' | 'fsrs';

/** The log as chunks, one per row, so the caller can stream a large log. Counts rows into `counter.rows`. */
export function* reviewChunks(rows: Iterable<ExportReviewRow>, format: 'csv' | 'json', counter: { rows: number }): Generator<string> {
  yield format === 'csv' ? csvLine(REVIEW_CSV_COLUMNS) : '[';
  for (const r of rows) {
    yield format === 'csv' ? reviewCsvLine(r) : `${counter.rows === 0 ? '\n' : ',\n'}  ${toSafeJson(reviewJson(r))}`;
    counter.rows++;
  }
  if (format === 'json') yield counter.rows === 0 ? ']\n' : '\n]\n';
}

export function* fsrsChunks(rows: Iterable<FsrsReviewRow>, counter: { rows: number }): Generator<string> {
  yield FSRS_CSV_HEADER;
  for (const r of rows) {
    yield fsrsCsvLine(r);
    counter.rows++;
  }
}

/** A stored card back as a CardSpec: the content JSON holds the content and the extras side by side. */
export function cardSpecOf(row: Pick<ExportCardRow, 'uid' | 'noteUid' | 'contentJson'>): CardSpec {
  const { explanation, source, tags, ...content } = JSON.parse(row.contentJson) as CardContent & CardExtras;
  const spec: CardSpec = { uid: row.uid, noteUid: row.noteUid, content: content as CardContent };
  if (explanation) spec.explanation = explanation;
  if (source) spec.source = source;
  if (tags?.length) spec.tags = tags;
  return spec;
}

/** JSON export of a deck: one object per card with its uid as `id`, its type, content fields, source and explanation. */
export function deckToJson(cards: readonly CardSpec[]): string {
  const out = cards.map((c) => {
    const { type, ...fields } = c.content;
    return { id: c.uid, note: c.noteUid, type, ...fields, source: c.source ?? null, explanation: c.explanation ?? null, tags: c.tags ?? [] };
  });
  return `${toSafeJson(out, 2)}\n`;
}

export function deckToRecall(header: DeckHeader, cards: readonly CardSpec[]): string {
  return serializeDeck(header, notesFromCards([...cards]));
}

/** A field of Anki's plain-text format: quoted (inner quotes doubled) when it holds a tab, quote or line break. */
export function ankiField(s: string): string {
  return /[\t"\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

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
 * The guid Anki identifies the note by, derived from our ids. Never the guid of a note that came from Anki: its
 * fields were converted from HTML to text, and Anki's default import updates the note whose guid matches, so the
 * original guid would replace the note's HTML (formatting, images) in the source collection with escaped text. A
 * guid Anki has not seen adds a note instead. (Keeping the original guid needs the original HTML, written with
 * #html:true: that is for when recall stores the Anki note itself.)
 */
export function ankiGuid(deck: string, noteUid: string): string {
  return `recall:${deck}:${noteUid}`;
}

/** Anki's "Notes in Plain Text" (File > Import): notetype, deck, two fields, tags, guid, tab-separated. */
export function deckToAnkiTxt(deck: string, cards: readonly CardSpec[]): string {
  const lines = ['#separator:tab', '#html:false', '#notetype column:1', '#deck column:2', '#tags column:5', '#guid column:6'];
  for (const note of notesFromCards([...cards])) {
    const { noteType, fields } = ankiNote(note.body, note.explanation);
    const tags = (note.tags ?? []).map((t) => t.replace(/\s+/g, '_')).join(' ');
    lines.push([noteType, deck, ...fields, tags, ankiGuid(deck, note.uid)].map(ankiField).join('\t'));
  }
  return `${lines.join('\n')}\n`;
}
