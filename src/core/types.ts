// Plain data shared by every module. Nothing here performs I/O.

/** FSRS memory state of a card; numeric values match ts-fsrs's `State`. */
export const CardState = { New: 0, Learning: 1, Review: 2, Relearning: 3 } as const;
export type CardState = (typeof CardState)[keyof typeof CardState];

/** 1-4 are the four answer buttons; 0 is a manual entry (reset, reschedule) that carries no rating. */
export const Rating = { Manual: 0, Again: 1, Hard: 2, Good: 3, Easy: 4 } as const;
export type Rating = (typeof Rating)[keyof typeof Rating];
export type Grade = 1 | 2 | 3 | 4;
export const GRADES: readonly Grade[] = [1, 2, 3, 4];
export const GRADE_NAMES: Record<Grade, string> = { 1: 'Again', 2: 'Hard', 3: 'Good', 4: 'Easy' };

/** Where a review-log entry came from. */
export type ReviewKind = 'review' | 'quiz' | 'manual' | 'import';

/** Content of one card, by question type. A deck entry (note) may produce several cards (reversed, cloze). */
export type CardContent =
  | { type: 'basic'; front: string; back: string }
  | { type: 'reversed'; front: string; back: string; direction: 'forward' | 'backward' }
  | { type: 'cloze'; text: string; index: number }
  | { type: 'typed'; prompt: string; answers: string[] }
  | { type: 'choice'; prompt: string; options: ChoiceOption[] }
  | { type: 'multi'; prompt: string; options: ChoiceOption[] }
  | { type: 'truefalse'; statement: string; answer: boolean }
  | { type: 'classify'; prompt: string; categories: string[]; items: ClassifyItem[] };

export type CardType = CardContent['type'];
export const CARD_TYPES: readonly CardType[] = ['basic', 'reversed', 'cloze', 'typed', 'choice', 'multi', 'truefalse', 'classify'];

export interface ChoiceOption { text: string; correct: boolean }
export interface ClassifyItem { text: string; category: string }

/** What every card may carry besides its content. */
export interface CardExtras {
  explanation?: string;
  /** Where the fact comes from, e.g. `000_a45be12a6a2ac9ed.txt § Root user`. */
  source?: string;
  tags?: string[];
  /** The Anki note the card was imported from, kept as Anki had it so an export to Anki gives it back unchanged. */
  anki?: AnkiOrigin;
}

/** An Anki note type as far as an export needs it: to recreate it elsewhere, and to match it in its own collection. */
export interface AnkiNoteTypeOrigin {
  id: number;
  name: string;
  /** 0 standard, 1 cloze (Anki's `type`). */
  kind: 0 | 1;
  /** Field names in order. */
  fields: string[];
  templates: { name: string; qfmt: string; afmt: string }[];
  css: string;
  /** Index of the sort field. */
  sortField: number;
}

/**
 * Where a card imported from Anki came from. Anki matches a re-imported note by guid and note type id, and
 * updates it only when its `mod` is newer, so these are kept exactly; the fields are the HTML as Anki stored it.
 * The note's tags are the card's `tags`.
 */
export interface AnkiOrigin {
  guid: string;
  noteId: number;
  cardId: number;
  /** The card's template (or cloze deletion) index. */
  ord: number;
  /** `notes.mod`, epoch seconds. */
  mod: number;
  noteType: AnkiNoteTypeOrigin;
  fields: string[];
}

/** A card as the deck layer produces it, before it has a database row. */
export interface CardSpec extends CardExtras {
  /** Stable id of the card inside its deck, e.g. `root-mfa` or `root-mfa::c2`. */
  uid: string;
  /** Id of the entry the card came from; cards of one note are siblings (buried together for the day). */
  noteUid: string;
  content: CardContent;
  /** 1-based line of the entry in its file, for messages. */
  line?: number;
}

/** The derived schedule of a card: the FSRS card state after replaying its log. Times are epoch ms (UTC). */
export interface Schedule {
  state: CardState;
  due: number;
  stability: number;
  difficulty: number;
  elapsedDays: number;
  scheduledDays: number;
  learningSteps: number;
  reps: number;
  lapses: number;
  lastReview: number | null;
}

/** One entry of the append-only review log. */
export interface ReviewEntry {
  /** nanoid, globally unique: survives merges of databases. */
  uid: string;
  cardId: number;
  rating: Rating;
  /** State before the answer; after-state is in `stateAfter`. */
  stateBefore: CardState;
  stateAfter: CardState;
  /** Schedule after the answer. */
  due: number;
  stability: number;
  difficulty: number;
  elapsedDays: number;
  scheduledDays: number;
  reviewedAt: number;
  durationMs: number;
  kind: ReviewKind;
  /**
   * Whether this entry moves the card's FSRS schedule on replay. False for quiz answers without `--schedule`
   * and for Anki cram rows that did not reschedule: they are history, not ratings.
   */
  scheduled: boolean;
  /** What the learner answered, for auto-graded cards (JSON text). */
  answer?: string | null;
  /** For imported rows: a key that makes re-import idempotent, e.g. `anki:<guid>:<ord>:<revlog id>`. */
  sourceKey?: string | null;
  /** Quiz attempt this answer belongs to. */
  attemptId?: number | null;
}

/** Scheduler settings; stored in the settings table. */
export interface SchedulerSettings {
  desiredRetention: number;
  maximumInterval: number;
  /** e.g. ['1m', '10m'] */
  learningSteps: string[];
  relearningSteps: string[];
  enableFuzz: boolean;
  /** FSRS parameters; null = ts-fsrs defaults. */
  parameters: number[] | null;
  /** Hour (0-23) at which a new study day starts, in `timeZone`. */
  dayStartHour: number;
  /** IANA time zone; null = the system's. */
  timeZone: string | null;
}

export interface Limits { newPerDay: number; reviewsPerDay: number }

export const DEFAULT_SETTINGS: SchedulerSettings & Limits = {
  desiredRetention: 0.9,
  maximumInterval: 36500,
  learningSteps: ['1m', '10m'],
  relearningSteps: ['10m'],
  enableFuzz: true,
  parameters: null,
  dayStartHour: 4,
  timeZone: null,
  newPerDay: 20,
  reviewsPerDay: 200,
};

/** The clock and randomness are passed in, never read from globals in the pure core. */
export type Clock = () => number;
export type Rng = () => number;
