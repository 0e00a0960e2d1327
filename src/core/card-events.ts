// Card events: every change to a card other than an answer, as an append-only log entry. A card's flags (suspended,
// buried, removed), its deck and its content are derived from its events by `deriveCardState`, the way its schedule
// is derived from its answers by replay. Pure: no I/O, no clock.

/** The content of a card as stored, with the ids that locate it in its deck. */
export interface CardVersion {
  uid: string;
  noteUid: string;
  /** CardContent & CardExtras as stored (JSON text), so two versions compare as strings. */
  content: string;
}

export type CardEventData =
  | { kind: 'suspend' }
  | { kind: 'unsuspend' }
  | { kind: 'bury'; until: number }
  | { kind: 'unbury' }
  | { kind: 'move'; from: number; to: number }
  | { kind: 'edit'; before: CardVersion; after: CardVersion }
  /** Gone from its deck (a deck file no longer lists it, or its deck was deleted): kept with its history, never shown. */
  | { kind: 'remove' }
  | { kind: 'restore' };

export type CardEventKind = CardEventData['kind'];
export const CARD_EVENT_KINDS: readonly CardEventKind[] = ['suspend', 'unsuspend', 'bury', 'unbury', 'move', 'edit', 'remove', 'restore'];

/** One row of the log. `at` orders a card's events; ties (same millisecond, several devices) by `device`, then `uid`. */
export interface CardEvent {
  uid: string;
  cardId: number;
  at: number;
  day: number;
  device: string;
  actionUid: string | null;
  undone: boolean;
  data: CardEventData;
}

/** What events decide about a card. `deckId` and `version` stay as the card row has them when no event says otherwise. */
export interface DerivedCardState {
  suspended: boolean;
  buriedUntil: number | null;
  removed: boolean;
  deckId: number;
  version: CardVersion;
}

/** The global order of events: time, then device, then id (a total order every device agrees on). */
export function compareEvents(a: Pick<CardEvent, 'at' | 'device' | 'uid'>, b: Pick<CardEvent, 'at' | 'device' | 'uid'>): number {
  return a.at - b.at || (a.device < b.device ? -1 : a.device > b.device ? 1 : 0) || (a.uid < b.uid ? -1 : a.uid > b.uid ? 1 : 0);
}

/**
 * Folds a card's events (undone ones are skipped) into its derived state. The card row holds only the latest deck
 * and content, so the ones it was created with come from the earliest move's `from` and the earliest edit's
 * `before`, undone or not; `current` (the row as it stands) is the answer only for a card never moved or edited.
 */
export function deriveCardState(events: readonly CardEvent[], current: { deckId: number; version: CardVersion }): DerivedCardState {
  const all = [...events].sort(compareEvents);
  const live = all.filter((e) => !e.undone);
  const firstMove = all.find((e) => e.data.kind === 'move');
  const firstEdit = all.find((e) => e.data.kind === 'edit');
  const state: DerivedCardState = {
    suspended: false,
    buriedUntil: null,
    removed: false,
    deckId: firstMove?.data.kind === 'move' ? firstMove.data.from : current.deckId,
    version: firstEdit?.data.kind === 'edit' ? firstEdit.data.before : current.version,
  };
  for (const e of live) {
    const d = e.data;
    switch (d.kind) {
      case 'suspend':
      case 'unsuspend':
        state.suspended = d.kind === 'suspend';
        break;
      case 'bury':
        state.buriedUntil = d.until;
        break;
      case 'unbury':
        state.buriedUntil = null;
        break;
      case 'move':
        state.deckId = d.to;
        break;
      case 'edit':
        state.version = d.after;
        break;
      case 'remove':
      case 'restore':
        state.removed = d.kind === 'remove';
        break;
    }
  }
  return state;
}
