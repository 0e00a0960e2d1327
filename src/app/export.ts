// Pure formatters for `recall export`: the review log (CSV, JSON, the FSRS optimizer's CSV) and a deck (recall deck
// file, Anki "Notes in Plain Text", JSON). Formats are documented in docs/export-formats.md.
import { toSafeJson } from '../core/text.js';
import type { CardContent, CardExtras, CardSpec } from '../core/types.js';
import { notesFromCards, serializeDeck, type DeckHeader, type NoteBody } from '../decks/parse.js';
import { ankiGuid, ankiNote, toAnkiCloze } from '../exporters/anki-note.js';
import { csvLine } from '../stats/csv.js';
import type { ExportCardRow, ExportReviewRow, FsrsReviewRow } from '../store/api.js';

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
  const { explanation, source, tags, anki, ...content } = JSON.parse(row.contentJson) as CardContent & CardExtras;
  const spec: CardSpec = { uid: row.uid, noteUid: row.noteUid, content: content as CardContent };
  if (explanation) spec.explanation = explanation;
  if (source) spec.source = source;
  if (tags?.length) spec.tags = tags;
  if (anki) spec.anki = anki;
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

export { ankiGuid, ankiNote, toAnkiCloze };

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
