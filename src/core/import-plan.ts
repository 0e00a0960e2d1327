import type { CardSpec, CardState, Rating } from './types.js';
import type { Diagnostic } from './errors.js';

/**
 * What an importer produces from a file, before anything touches the database. Every importer (recall deck
 * files, Anki text exports, Anki packages) parses to this one shape; `store/` applies it in one transaction.
 */
export interface ImportPlan {
  /** The file the plan came from, as the user named it. */
  file: string;
  format: 'recall' | 'recall-json' | 'anki-text' | 'anki-package';
  decks: PlannedDeck[];
  warnings: Diagnostic[];
  /** The source collection's own day settings, when it records them (Anki packages). */
  timeZone?: string | null;
  dayStartHour?: number | null;
  /**
   * How many review rows the cards hold in all, when the importer knows it without planning them (an Anki package
   * plans each card's history when it is read); else it is counted from the cards.
   */
  reviewCount?: number;
  /** Media files of the package, unpacked to a temporary folder: the name its notes use, and where the bytes are. */
  media?: { name: string; path: string; size: number }[];
}

export interface PlannedDeck {
  /** Full deck name; Anki subdecks keep Anki's `Parent::Child` form. */
  name: string;
  description?: string;
  source?: string;
  cards: PlannedCard[];
}

export interface PlannedCard extends CardSpec {
  suspended?: boolean;
  /** Buried in the source: buried until the next day boundary after import. */
  buried?: boolean;
  /** The card's id in the source Anki collection (Anki packages only), for matching and diagnostics. */
  ankiCardId?: number;
  /**
   * True when `uid` is a deck-file id (a card recall exported to Anki, coming back): such ids are unique only within
   * their deck, so the card is matched in its deck. Other importers' uids (`anki:<guid>`) name one card anywhere.
   */
  uidInDeck?: boolean;
  /**
   * A note recall wrote (guid `recall:<deck>:<key>`, src/exporters/anki-note.ts) that came back without recall's
   * record, as a package does once it went through Anki: the card is recall's own card of note (or card) `key` in
   * deck `deck` with Anki ordinal `ord`, when the database has it; otherwise it is imported as the Anki card it is.
   */
  recallHome?: { deck: string; key: string; ord: number; /** When Anki last changed the card (epoch ms), if known. */ changedAt?: number };
  /**
   * Such a note in a deck of another name (renamed in Anki): its guid, for the import to find which of the database's
   * decks it names.
   */
  recallGuid?: { guid: string; ord: number; changedAt?: number };
  /** Review history in chronological order (may be empty). */
  reviews: PlannedReview[];
}

export interface PlannedReview {
  /** Unique per source row, so re-importing never duplicates history, e.g. `anki:<note guid>:<ord>:<revlog id>`. */
  sourceKey: string;
  reviewedAt: number;
  /** 1-4 for a real answer, 0 for a manual entry (reset, set due date). */
  rating: Rating;
  durationMs: number;
  /** False for rows that are history but did not reschedule (Anki cram rows in filtered decks). */
  scheduled: boolean;
  /**
   * The state the source records for this answer when replay cannot reconstruct it: 4 for an answer given in an
   * Anki filtered deck (the FSRS optimizer's `review_state` 4).
   */
  sourceState?: number;
  /** For manual entries (rating 0): the state and due the card was put into. */
  manual?: { state: CardState; due: number };
  /** The study day the source recorded for the answer (recall's own packages); else it is computed on import. */
  day?: number;
}
