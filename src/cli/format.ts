import { TZDate } from '@date-fns/tz/date';
import { format } from 'date-fns/format';
import { LOCAL_ZONE, formatInterval } from '../scheduler/index.js';

export { formatDuration } from '../stats/render.js';

/** "in 10m (14:32)" or "in 3d (Mon 2026-11-30 09:00)", in the learner's time zone. */
export function formatWhen(at: number, now: number, timeZone: string): string {
  const local = timeZone === LOCAL_ZONE ? new Date(at) : new TZDate(at, timeZone);
  if (at <= now) return 'now';
  const sameDay = at - now < 20 * 3_600_000;
  return `in ${formatInterval(at - now)} (${format(local, sameDay ? 'HH:mm' : 'EEE yyyy-MM-dd HH:mm')})`;
}
