import { TZDate } from '@date-fns/tz/date';
import { format } from 'date-fns/format';
import { sanitize } from '../core/text.js';
import { GRADE_NAMES, type CardContent, type Grade } from '../core/types.js';
import type { UndoResult } from '../app/undo.js';
import type { StudyCard } from '../store/api.js';
import { presentCard } from '../quiz/present.js';
import { LOCAL_ZONE, formatInterval } from '../scheduler/index.js';

export { formatDuration } from '../stats/render.js';

/** "in 10m (14:32)" or "in 3d (Mon 2026-11-30 09:00)", in the learner's time zone. */
export function formatWhen(at: number, now: number, timeZone: string): string {
  const local = timeZone === LOCAL_ZONE ? new Date(at) : new TZDate(at, timeZone);
  if (at <= now) return 'now';
  const sameDay = at - now < 20 * 3_600_000;
  return `in ${formatInterval(at - now)} (${format(local, sameDay ? 'HH:mm' : 'EEE yyyy-MM-dd HH:mm')})`;
}

/** A card in one line, for messages: its question's first line, made inert and cut to `max` characters. */
export function cardLabel(content: CardContent, max = 60): string {
  const first = sanitize(presentCard(content, 0).prompt).split('\n').find((l) => l.trim()) ?? '';
  const text = first.trim().replace(/\s+/g, ' ');
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

const ACTION_NAMES: Record<string, string> = {
  answer: 'the answer',
  suspend: 'the suspension',
  unsuspend: 'the unsuspension',
  bury: 'the burial',
  unbury: 'the unburial',
  forget: 'forget',
  'set-due': 'the new due date',
  move: 'the move',
};

/** "Undid the answer Good on "What is MFA?" (MFA)." or "Undid the suspension of 12 cards." */
export function undoMessage(u: UndoResult & { cards: StudyCard[] }): string {
  // Actions on decks and settings say what they were themselves.
  const notes = u.notes.length ? ` ${u.notes.map((n) => `Note: ${sanitize(n)}.`).join(' ')}` : '';
  if (!(u.kind in ACTION_NAMES) && typeof u.data.label === 'string') return `Undid ${sanitize(u.data.label)}.${notes}`;
  const card = u.cards[0];
  const name = ACTION_NAMES[u.kind] ?? sanitize(u.kind);
  const grade = u.kind === 'answer' && u.grade ? ` ${GRADE_NAMES[u.grade as Grade]}` : '';
  const target = u.cardIds.length > 1 && u.kind !== 'answer' ? `${u.cardIds.length} cards` : card ? `"${cardLabel(card.content)}" (${sanitize(card.deckName)})` : 'a card';
  return `Undid ${name}${grade} ${u.kind === 'answer' ? 'on' : 'of'} ${target}.${notes}`;
}
