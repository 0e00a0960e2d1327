// What recall writes into an Anki package beside Anki's own data, so a package that comes back to recall gives the
// same cards and history: Anki has no column for a study day and no note type for a multiple-choice question.
// It lives in `notes.data`, a column Anki neither reads nor carries over into the collection it imports into, so
// a note that passed through Anki simply has none. Read back from files anyone can write: every value is checked,
// bounded and made inert before use.
import * as z from 'zod/mini';
import { sanitize } from './text.js';
import type { CardContent, CardExtras } from './types.js';

/** One card of a note, by its Anki ordinal. */
export interface RecallCardRecord {
  /** The card as recall had it. Absent for notes that came from Anki: their fields are the truth. */
  card?: { uid: string; noteUid: string; content: CardContent } & Omit<CardExtras, 'anki'>;
  /** The study day recall recorded for each answer, by revlog id (= answer time, epoch ms). */
  days?: Record<string, number>;
}

export interface RecallNoteRecord {
  v: 1;
  cards: Record<string, RecallCardRecord>;
}

/** Bounds that no real card reaches: a forged record cannot make the import allocate without limit. */
const MAX_TEXT = 2 ** 20;
const MAX_ITEMS = 1000;
const MAX_RECORD_CHARS = 16 * 2 ** 20;
const DAY_MS = 86_400_000;

const text = z.string().check(z.maxLength(MAX_TEXT));
const short = z.string().check(z.minLength(1), z.maxLength(1000));
const list = <T extends z.ZodMiniType>(item: T) => z.array(item).check(z.maxLength(MAX_ITEMS));
const option = z.object({ text, correct: z.boolean() });

const content = z.discriminatedUnion('type', [
  z.object({ type: z.literal('basic'), front: text, back: text }),
  z.object({ type: z.literal('reversed'), front: text, back: text, direction: z.enum(['forward', 'backward']) }),
  z.object({ type: z.literal('cloze'), text, index: z.int().check(z.minimum(1), z.maximum(MAX_ITEMS)) }),
  z.object({ type: z.literal('typed'), prompt: text, answers: list(text) }),
  z.object({ type: z.literal('choice'), prompt: text, options: list(option) }),
  z.object({ type: z.literal('multi'), prompt: text, options: list(option) }),
  z.object({ type: z.literal('truefalse'), statement: text, answer: z.boolean() }),
  z.object({ type: z.literal('classify'), prompt: text, categories: list(text), items: list(z.object({ text, category: text })) }),
]);

const cardRecord = z.object({
  card: z.optional(
    z.object({
      uid: short,
      noteUid: short,
      content,
      explanation: z.optional(text),
      source: z.optional(text),
      tags: z.optional(list(short)),
    }),
  ),
  days: z.optional(z.record(z.string().check(z.regex(/^\d{1,16}$/)), z.int())),
});

const noteRecord = z.object({
  recall: z.object({ v: z.literal(1), cards: z.record(z.string().check(z.regex(/^\d{1,4}$/)), cardRecord) }),
});

/** The text of `notes.data` for a note carrying `record`. */
export function encodeRecallRecord(record: RecallNoteRecord): string {
  return JSON.stringify({ recall: record });
}

/** Every string of a value made inert for the terminal (content from a file, like a deck file's). */
function sanitizeDeep<T>(v: T): T {
  if (typeof v === 'string') return sanitize(v) as T;
  if (Array.isArray(v)) return v.map(sanitizeDeep) as T;
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, sanitizeDeep(x)])) as T;
  return v;
}

/**
 * The record in a note's `data`, or null when there is none or it is not one recall wrote (anything that fails a
 * check is ignored as a whole: the note then imports from its Anki fields like any other).
 */
export function decodeRecallRecord(data: string | null | undefined): RecallNoteRecord | null {
  if (!data || data.length > MAX_RECORD_CHARS || !data.startsWith('{"recall"')) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(data);
  } catch {
    return null;
  }
  const parsed = noteRecord.safeParse(raw);
  if (!parsed.success) return null;
  return sanitizeDeep(parsed.data.recall) as RecallNoteRecord;
}

/**
 * A recorded study day, if it can be one for an answer at `reviewedAt`: study days lie between two days before and
 * one day after the UTC date (offsets -12 h..+14 h, day starts 0-23 h). Anything else is ignored.
 */
export function plausibleDay(day: number | undefined, reviewedAt: number): number | undefined {
  if (day === undefined || !Number.isInteger(day)) return undefined;
  const utc = Math.floor(reviewedAt / DAY_MS);
  return day >= utc - 2 && day <= utc + 1 ? day : undefined;
}
