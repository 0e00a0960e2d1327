// The statistics as a long CSV table (docs/export-formats.md): one figure per row, `panel,key,subkey,value`.
import { dayDate } from './compute.js';
import type { Bucket, RetentionPeriod, StatsReport } from './types.js';

/** RFC 4180 quoting: a field with a comma, quote or line break is quoted, with inner quotes doubled. */
export function csvField(v: string | number | boolean | null | undefined): string {
  if (v === null || v === undefined) return '';
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvLine(fields: readonly (string | number | boolean | null | undefined)[]): string {
  return `${fields.map(csvField).join(',')}\n`;
}

export const STATS_CSV_HEADER = ['panel', 'key', 'subkey', 'value'] as const;

export function statsCsvRows(r: StatsReport): (string | number | null)[][] {
  const rows: (string | number | null)[][] = [];
  const add = (panel: string, key: string | number, subkey: string, value: string | number | null) => rows.push([panel, key, subkey, value]);
  for (const [k, v] of Object.entries(r.today)) add('today', k, '', v);
  for (const [k, v] of Object.entries(r.streak)) add('streak', k, '', v);
  for (const d of r.reviewsPerDay) {
    add('reviews_per_day', d.date, 'reviews', d.reviews);
    add('reviews_per_day', d.date, 'again', d.again);
    add('reviews_per_day', d.date, 'new_cards', d.newCards);
    add('reviews_per_day', d.date, 'time_ms', d.timeMs);
  }
  r.heatmap.reviews.forEach((v, i) => {
    if (v > 0) add('heatmap', dayDate(r.heatmap.startDay + i), 'reviews', v);
  });
  for (const [period, p] of Object.entries(r.retention) as [string, RetentionPeriod][]) {
    for (const group of ['young', 'mature', 'all'] as const) {
      add('retention', period, `${group}_total`, p[group].total);
      add('retention', period, `${group}_passed`, p[group].passed);
      add('retention', period, `${group}_rate`, p[group].rate);
    }
  }
  for (const f of r.forecast) add('forecast', f.date, 'due', f.due);
  for (const d of r.decks) {
    for (const k of ['new', 'learning', 'young', 'mature', 'suspended', 'total', 'averageRetrievability', 'mastery'] as const) add('deck', d.name, k, d[k]);
  }
  for (const [name, buckets] of Object.entries(r.distributions) as [string, Bucket[]][]) {
    for (const b of buckets) add(name, b.label, 'count', b.count);
  }
  for (const q of r.quizzes) {
    add('quiz', q.id, 'started_at', q.startedAt);
    add('quiz', q.id, 'questions', q.questions);
    add('quiz', q.id, 'correct', q.correct);
    add('quiz', q.id, 'planned', q.planned);
    add('quiz', q.id, 'unfinished', q.unfinished ? 1 : 0);
    add('quiz', q.id, 'score', q.score);
    for (const d of q.decks) add('quiz', q.id, `deck:${d.deck}`, d.score);
  }
  return rows;
}

export function statsToCsv(r: StatsReport): string {
  return [STATS_CSV_HEADER, ...statsCsvRows(r)].map(csvLine).join('');
}
