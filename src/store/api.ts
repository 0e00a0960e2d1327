// The store's declared interface: everything the application layer may ask of the database. Every SQL statement
// lives under src/store/ behind these methods; nothing outside sees a connection.
import type { CardEvent, CardEventData } from '../core/card-events.js';
import type { CardContent, CardExtras, CardSpec, CardState, CardType, Rating, ReviewEntry, ReviewKind, Schedule } from '../core/types.js';
import type { ExportSource } from './export-source.js';
import type { ImportStore } from './import-store.js';
import type { FreshCardStore } from './fresh-cards.js';
import type { MediaStore } from './media.js';
import type { SyncStore } from './sync-store.js';
import type { DailyRow, DeckCountRow, DeckInfo, DueBucket, MemoryGroup, QuizAttemptRow, RetentionRow, StatsInput } from '../stats/types.js';
import type { ResolvedQuery } from '../search/resolve.js';
import type { ReplayEntry } from '../scheduler/index.js';

/** `user`: a deck made in recall itself (`recall add` to a new deck): its cards live only in the database. */
export type DeckOrigin = 'builtin' | 'file' | 'anki' | 'user';

export interface DeckRow {
  id: number;
  /** The deck's identity on every device: its origin and the name it was created with; a rename keeps it. */
  uid: string;
  name: string;
  description: string;
  source: string;
  origin: DeckOrigin;
  path: string | null;
  fileHash: string | null;
}

export interface DeckCounts {
  name: string;
  new: number;
  learning: number;
  due: number;
  suspended: number;
  total: number;
}

/** A card with what studying it needs. */
export interface StudyCard {
  id: number;
  /** The card's identity on every device (set once at creation). */
  guid: string;
  deckId: number;
  deckName: string;
  uid: string;
  noteUid: string;
  content: CardContent & CardExtras;
  schedule: Schedule | null;
  suspended: boolean;
  buriedUntil: number | null;
  removed: boolean;
  position: number;
  /** Changes whenever anything about the card changes: an answer commits only against the revision it was drawn at. */
  revision: number;
}

/** A card of a deck as the deck sync compares it. */
export interface DeckCardRow {
  id: number;
  uid: string;
  noteUid: string;
  contentJson: string;
  removed: boolean;
}

/** A review-log row as stored: the entry plus its row id, study day and origin. */
export interface ReviewRow extends ReviewEntry {
  id: number;
  answer: string | null;
  sourceKey: string | null;
  attemptId: number | null;
  day: number;
  device: string | null;
  actionUid: string | null;
  /** The state an imported answer had in its source (Anki filtered decks), when replay cannot know it. */
  sourceState: number | null;
}

export interface AnswerInput {
  cardId: number;
  rating: Rating;
  stateBefore: CardState;
  /** The schedule after the answer; for answers that do not reschedule (quiz), the unchanged one. */
  schedule: Schedule | null;
  elapsedDays: number;
  reviewedAt: number;
  durationMs: number;
  kind: ReviewKind;
  scheduled: boolean;
  day: number;
  answer?: string | null;
  attemptId?: number | null;
  actionUid: string | null;
  /** The card's deck, when the caller knows it as it is stored (saves a lookup for the day's rollup). */
  deckId?: number;
}

/** An imported answer with the state replay gave it. */
export interface ImportedReview {
  cardId: number;
  rating: Rating;
  stateBefore: CardState;
  schedule: Schedule | null;
  elapsedDays: number;
  reviewedAt: number;
  durationMs: number;
  scheduled: boolean;
  sourceKey: string;
  day: number;
  sourceState: number | null;
}

/** What a user action was; `data` holds what undo needs beyond the rows that carry the action's uid. */
export interface ActionRow {
  id: number;
  uid: string;
  kind: string;
  at: number;
  device: string;
  data: Record<string, unknown>;
  undoneAt: number | null;
}

export interface EventMeta {
  at: number;
  day: number;
  actionUid?: string | null;
}

export interface ExportCardRow {
  id: number;
  uid: string;
  noteUid: string;
  contentJson: string;
  suspended: boolean;
}

/** The review log as exported: not undone, with the card's uid and deck. */
export interface ExportReviewRow {
  id: number;
  uid: string;
  cardId: number;
  cardUid: string;
  deck: string;
  rating: number;
  stateBefore: number;
  stateAfter: number;
  due: number;
  stability: number;
  difficulty: number;
  elapsedDays: number;
  scheduledDays: number;
  reviewedAt: number;
  durationMs: number;
  kind: string;
  scheduled: number;
  answer: string | null;
  sourceKey: string | null;
  attemptId: number | null;
  day: number;
  /** The state an imported answer had in its source when replay cannot tell (4 = an Anki filtered deck). */
  sourceState: number | null;
}

/** One row of the FSRS optimizer's CSV: card id, time (epoch ms), rating 1-4, state before (or the source's), duration (ms). */
export type FsrsReviewRow = [cardId: number, reviewedAt: number, rating: number, stateBefore: number, durationMs: number];

/** An answer as the optimizer reads it. */
export interface OptimizerRow {
  cardId: number;
  reviewedAt: number;
  rating: Rating;
  scheduled: boolean;
  kind: ReviewKind;
  stateBefore: CardState;
  stateAfter: CardState;
}

/** The part of the statistics input that comes from the database. */
export type StatsRows = Pick<StatsInput, 'daily' | 'studiedBefore' | 'retention' | 'deckCounts' | 'memory' | 'retrievability' | 'dueToday' | 'dueBuckets' | 'decks' | 'quizzes'>;
export type { DailyRow, DeckCountRow, DeckInfo, DueBucket, MemoryGroup, QuizAttemptRow, RetentionRow };

export interface StatsQuery {
  deckIds: readonly number[] | null;
  today: number;
  now: number;
  dayEnd: number;
  horizon: number;
  decay: number;
  deckDecay?: Record<number, number>;
  /** The first day whose figures are read in full (`detailFrom` in src/stats/compute.ts); earlier days only as studied or not. */
  detailFrom?: number;
}

export interface SettingsStore {
  /** Settings travel between devices (last writer per key); JSON values. */
  getSetting<T>(key: string): T | undefined;
  allSettings(): Record<string, unknown>;
  /** `at` (epoch ms) stamps the write for last-writer-wins sync; without it, the wall clock. */
  setSetting(key: string, value: unknown, at?: number): void;
  /** State of this database on this machine that never travels (sync cursors and the like). */
  getLocal(key: string): string | undefined;
  setLocal(key: string, value: string | undefined): void;
}

export interface DeckStore {
  deckByName(name: string): DeckRow | undefined;
  deckById(id: number): DeckRow | undefined;
  decks(): DeckRow[];
  /** Creates the deck of that name (its uid derived from origin and name), or updates the one that has it. */
  upsertDeck(d: Omit<DeckRow, 'id' | 'uid'>, now: number): number;
  deckCounts(now: number, dayEnd: number, deckId?: number): DeckCounts[];
}

export interface CardStore {
  getCard(id: number): StudyCard | undefined;
  /**
   * What an answer's commit checks, and only that: the card's revision (`StudyCard.revision`) and its last review as
   * `getCard(id).schedule?.lastReview` gives it (undefined without a schedule); undefined if there is no such card.
   */
  cardRevision(id: number): { revision: number; lastReview: number | null | undefined } | undefined;
  /**
   * The card of that uid: one with a global uid (an Anki note's `anki:<guid>`, see isGlobalUid) wherever it is; with
   * `deckId`, the one in that deck (deck-file ids are unique only within their deck).
   */
  cardByUid(uid: string, deckId?: number): { id: number; deckId: number; contentJson: string; suspended: boolean; removed: boolean } | undefined;
  cardsOfDeck(deckId: number): DeckCardRow[];
  /** The cards of a deck whose note uid, or own uid, is `key` (removed ones too), in id order. */
  cardsOfNote(deckId: number, key: string): (DeckCardRow & { deckId: number; suspended: boolean })[];
  /** Creates a card's row; flags come only from events afterwards. */
  /** `contentJson`: the card's stored form (`cardJson(spec)`) when the caller has it already. */
  insertCard(deckId: number, spec: CardSpec, position: number, now: number, contentJson?: string): number;
  setPosition(id: number, position: number): void;
  /** Ids of the cards in these decks (all when null), optionally of some types; removed cards left out. */
  cardIds(filter?: { deckIds?: readonly number[] | null; types?: readonly CardType[]; includeSuspended?: boolean; includeRemoved?: boolean; query?: ResolvedQuery | null }): number[];
  /** Every card id, removed ones included, in id order. */
  allCardIds(): number[];
  /**
   * Siblings (same note, same deck, as the card is stored) that answering this card buries: new or review cards, not
   * suspended, removed or already buried.
   */
  siblingsToBury(cardId: number, now: number): number[];
  /**
   * Cards a session may show: not suspended, removed or buried, in the chosen decks; learning cards, reviews due before
   * `dayEnd`, and new cards in deck order (up to `newLimit`).
   */
  studyCards(opts: { deckIds: readonly number[] | null; now: number; dayEnd: number; newLimit: number; reviewLimit: number; query?: ResolvedQuery | null }): StudyCard[];
  /** How many reviews and new cards wait beyond what the session took (for "limit reached" messages). */
  waitingCounts(opts: { deckIds: readonly number[] | null; now: number; dayEnd: number; query?: ResolvedQuery | null }): { reviews: number; news: number };
  /** The earliest due time of a studyable learning or review card (only after `after`, when given). */
  nextDue(now: number, deckIds?: readonly number[] | null, after?: number, query?: ResolvedQuery | null): number | null;
  /** Median time of the learner's right answers on this card, else on cards of its type in its deck; null if too few. */
  typicalDuration(cardId: number, deckId: number, type: string): number | null;
  deckCards(deckId: number): ExportCardRow[];
}

export interface LogStore {
  /** Starts a user action (an answer, a suspend of many cards, ...): the rows written for it carry its uid. */
  beginAction(kind: string, at: number, data?: Record<string, unknown>): string;
  /** This device's most recent action not yet undone. */
  lastAction(): ActionRow | undefined;
  /** Marks the action and every row it wrote undone; returns the cards whose rows changed. */
  markActionUndone(uid: string, now: number): { reviews: ReviewRow[]; events: CardEvent[] };

  /** Appends a card event and re-derives the card's flags, deck and content from all its events. */
  appendEvent(cardId: number, data: CardEventData, meta: EventMeta): void;
  cardEvents(cardId: number): CardEvent[];
  /** Re-derives a card's flags, deck and content from its events; returns whether anything differed. */
  rederiveCard(cardId: number, opts?: { dryRun?: boolean }): boolean;

  /** Writes one answer: the log entry, the card's new schedule and the day's rollup (the caller holds the transaction). */
  recordAnswer(a: AnswerInput): { reviewId: number; uid: string };
  hasSourceKey(key: string): boolean;
  /** Whether any answer's source key starts with `prefix` (one index probe or two). */
  hasSourceKeyPrefix(prefix: string): boolean;
  /** Whether the card's log already holds this answer (same millisecond, same rating): a package recall wrote, imported back. */
  hasAnswer(cardId: number, reviewedAt: number, rating: number): boolean;
  cardLog(cardId: number): ReviewRow[];
  /**
   * The card's log as replay reads it (scheduled rows not undone, in log order): the five columns replay needs, not
   * whole rows. Replaying every card (a first sync, a preset change, `recall doctor`) reads a million of them.
   */
  replayLog(cardId: number): ReplayEntry[];
  /** The time of the card's latest log row (undone ones included), or null. */
  lastLogAt(cardId: number): number | null;
  hasReviews(cardId: number): boolean;
  /** The study day replay would carry as the card's last review: the latest day of an answer since its last forget. */
  lastScheduledDay(cardId: number): number | undefined;
  setSchedule(cardId: number, s: Schedule | null): void;
  /** Takes an undone answer out of the day's rollup. */
  unbumpDaily(r: ReviewRow): void;
  /** Adds counted answers to a day's rollup (an import, which tallies them as it writes). */
  addToDaily(r: { day: number; deckId: number; reviews: number; again: number; durationMs: number; newCards: number; retention?: readonly number[] }): void;
  doneOnDay(day: number, deckIds?: readonly number[] | null): { newDone: number; reviewsDone: number };
  rebuildDaily(): void;
}

export interface QuizStore {
  createQuizAttempt(startedAt: number, options: Record<string, unknown>, planned: number): number;
  finishQuizAttempt(id: number, finishedAt: number, questions: number, correct: number): void;
}

export interface ReportStore {
  statsRows(q: StatsQuery): StatsRows;
  /** Streams the log (not undone), by card then time. */
  iterateReviews(opts: { deckIds: readonly number[] | null }): Generator<ExportReviewRow>;
  iterateFsrsRows(opts: { deckIds: readonly number[] | null }): Generator<FsrsReviewRow>;
  optimizerRows(deckIds: readonly number[] | null): OptimizerRow[];
  /** What an export to Anki needs: decks, their cards with schedules, each card's log (`deckIds` null = all). */
  exportSource(deckIds: readonly number[] | null): ExportSource;
}

export interface MaintenanceStore {
  integrityCheck(): string[];
  foreignKeyViolations(): number;
  /** Cards whose copy of their schedule's state and due (for fast counts) differs from it. */
  staleCardStates(): number;
  fixCardStates(): void;
  /** Rows of the statistics' rollups (`daily`, `card_counts`) that differ from what the log and the cards say. */
  staleRollups(): { daily: number; cardCounts: number };
  rebuildRollups(): void;
  /**
   * For a study session, each time a card is drawn: keeps the answers' commits off the slow paths of the write-ahead
   * log (its file growing, a checkpoint) by reserving room in it once and folding it back every so many answers.
   */
  betweenAnswers(): void;
}

export type SearchSort = 'deck' | 'id' | 'due' | 'added' | 'interval' | 'lapses' | 'reps' | 'stability' | 'difficulty';

export interface SearchOptions {
  sort?: SearchSort;
  reverse?: boolean;
  /** 0 or absent: every match. */
  limit?: number;
  offset?: number;
}

/** A card as search lists it: the card row with its schedule's figures. */
export interface SearchRow {
  id: number;
  guid: string;
  deckId: number;
  deckName: string;
  uid: string;
  noteUid: string;
  contentJson: string;
  suspended: boolean;
  buriedUntil: number | null;
  removed: boolean;
  position: number;
  createdAt: number;
  state: number;
  due: number | null;
  stability: number | null;
  difficulty: number | null;
  intervalDays: number | null;
  reps: number;
  lapses: number;
  lastReview: number | null;
}

export interface SearchStore {
  /** Cards matching a resolved query (src/search), removed ones only if it asks for them: a page, and how many in all. */
  searchCards(q: ResolvedQuery, opts?: SearchOptions): { total: number; rows: SearchRow[] };
  countCards(q: ResolvedQuery): number;
  searchIds(q: ResolvedQuery): number[];
}

/** Managing the collection: decks renamed, cards found by guid, per-deck figures for limits and lists. */
export interface CollectionStore {
  renameDeck(id: number, name: string): void;
  cardByGuid(guid: string): number | undefined;
  /** What was studied on `day`, per deck: new cards and reviews (the daily rollup). */
  doneByDeck(day: number): Map<number, { newDone: number; reviewsDone: number }>;
  /** Studyable reviews due before `dayEnd` and new cards, per deck (for "held back by a limit" messages). */
  waitingByDeck(opts: { deckIds: readonly number[] | null; now: number; dayEnd: number; query?: ResolvedQuery | null }): Map<number, { reviews: number; news: number }>;
  /** Cards tagged leech (not removed), per deck. */
  leechCounts(deckIds: readonly number[] | null): Map<number, number>;
  /** Every card of these decks that is not removed (the cards a deck delete removes). */
  liveCardIds(deckIds: readonly number[]): number[];
  /** The highest position in a deck, for a card added at its end. */
  maxPosition(deckId: number): number;
  /** Cards of one note in a deck (siblings included), removed ones too, by id. */
  noteCards(deckId: number, noteUid: string): DeckCardRow[];
  /** A card's whole review log in time order, undone answers included (marked). */
  reviewHistory(cardId: number): HistoryReview[];
  /** When a card's row was created. */
  cardCreatedAt(cardId: number): number | undefined;
  /** Replaces what an action records (for what is known only once its rows are written). */
  updateActionData(uid: string, data: Record<string, unknown>): void;
}

export interface HistoryReview {
  uid: string;
  reviewedAt: number;
  day: number;
  rating: number;
  kind: ReviewKind;
  scheduled: boolean;
  stateBefore: number;
  stateAfter: number;
  due: number;
  stability: number;
  difficulty: number;
  elapsedDays: number;
  scheduledDays: number;
  durationMs: number;
  device: string | null;
  undoneAt: number | null;
}

export interface Store extends SettingsStore, DeckStore, CardStore, LogStore, QuizStore, ReportStore, MaintenanceStore, MediaStore, SyncStore, SearchStore, CollectionStore, ImportStore, FreshCardStore {
  readonly path: string;
  /** This database's device id: every row it writes carries it. */
  readonly deviceId: string;
  /**
   * For a command about to write a great deal (an import): lets SQLite keep up to `mib` MiB of pages in memory.
   * With the default 2 MiB, a million-row transaction spills and rereads index pages all along. Temporary
   * files (statement journals of multi-row inserts) are kept in memory too.
   */
  reserveCache(mib: number): void;
  /** Runs `fn` in one IMMEDIATE transaction (nested calls join the outer one). */
  transaction<T>(fn: () => T): T;
  /**
   * Like `transaction`, but inside an open transaction `fn` runs as part of it, without the savepoint a nested
   * `transaction` opens: for a long write whose failure fails its caller as well (a replay of every card).
   */
  joinTransaction<T>(fn: () => T): T;
  /**
   * Runs `fn` (which opens the transaction) for a write of `rows` rows that may fill a new database: its first import
   * of a large collection, a new device's first sync. When the write is large (20k rows or more), the file nearly
   * empty and no other connection has it open, the write goes through a rollback journal instead of the write-ahead
   * log, so its pages are written once instead of twice (into the log, then into the database at the checkpoint);
   * the log comes back after. Otherwise just runs `fn`.
   */
  fillingWrite<T>(rows: number, fn: () => T): T;
  close(): void;
}
