// Terminal rendering of a StatsReport: pure, width-aware, colour through ANSI codes only when asked for.
import { plural } from '../core/plural.js';
import { sanitize } from '../core/text.js';
import { dayDate } from './compute.js';
import type { Bucket, Rate, StatsReport } from './types.js';

export interface RenderOptions {
  width: number;
  color: boolean;
  /** How to show an instant (quiz attempts); the CLI passes a local-time formatter. Default: UTC. */
  formatTime?: (ms: number) => string;
}

type Paint = (s: string) => string;

function palette(color: boolean) {
  const wrap = (open: number, close: number): Paint => (s) => (color && s ? `\u001b[${open}m${s}\u001b[${close}m` : s);
  return { bold: wrap(1, 22), dim: wrap(2, 22), red: wrap(31, 39), green: wrap(32, 39), yellow: wrap(33, 39), cyan: wrap(36, 39) };
}

const EIGHTHS = ' ▁▂▃▄▅▆▇█';
const SHADES = '░▒▓█';
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const WEEKDAYS = ['Mon', '', 'Wed', '', 'Fri', '', 'Sun'];

export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  return `${Math.floor(m / 60)}h ${m % 60}m`;
}

export function formatPercent(r: number | null, digits = 1): string {
  return r === null ? '-' : `${(r * 100).toFixed(digits)}%`;
}

function truncate(s: string, w: number): string {
  return s.length <= w ? s : `${s.slice(0, Math.max(0, w - 1))}…`;
}

/**
 * A vertical bar chart, one column per value, `height` rows of eighth blocks; the maximum labels the top row.
 * Values that do not fit the width are dropped from the left (oldest first).
 */
export function barChart(values: readonly number[], opts: { width: number; height: number; paint?: Paint; labels?: [string, string] }): string[] {
  const paint = opts.paint ?? ((s: string) => s);
  const max = Math.max(0, ...values);
  const axis = Math.max(String(max).length, 1) + 1;
  const room = Math.max(1, opts.width - axis - 1);
  const colWidth = Math.max(1, Math.min(3, Math.floor(room / Math.max(1, values.length))));
  const shown = values.slice(-Math.floor(room / colWidth));
  const eighths = shown.map((v) => (max === 0 || v <= 0 ? 0 : Math.max(1, Math.round((v / max) * opts.height * 8))));
  const lines: string[] = [];
  for (let row = opts.height - 1; row >= 0; row--) {
    const label = row === opts.height - 1 ? String(max) : row === 0 ? '0' : '';
    let bars = '';
    for (const e of eighths) {
      const level = Math.max(0, Math.min(8, e - row * 8));
      // Leave a gap between wide columns so neighbouring bars stay distinguishable.
      bars += EIGHTHS[level]!.repeat(colWidth > 1 ? colWidth - 1 : 1) + (colWidth > 1 ? ' ' : '');
    }
    lines.push(`${label.padStart(axis - 1)} ${paint(bars.trimEnd())}`.trimEnd());
  }
  if (opts.labels) {
    const span = shown.length * colWidth - (colWidth > 1 ? 1 : 0);
    const [left, right] = opts.labels;
    const gap = span - left.length - right.length;
    lines.push(`${' '.repeat(axis)}${gap >= 1 ? left + ' '.repeat(gap) + right : left}`);
  }
  return lines;
}

/** GitHub-style year heatmap: rows Monday..Sunday, one column per week, shades by quarter of the busiest day. */
export function heatmap(report: StatsReport['heatmap'], opts: { width: number; paint?: Paint; dim?: Paint }): string[] {
  const paint = opts.paint ?? ((s: string) => s);
  const dim = opts.dim ?? ((s: string) => s);
  const totalWeeks = Math.ceil(report.reviews.length / 7);
  const weeks = Math.max(1, Math.min(totalWeeks, opts.width - 4));
  const firstWeek = totalWeeks - weeks;
  const cell = (week: number, row: number): string => {
    const i = week * 7 + row;
    if (i >= report.reviews.length) return ' ';
    const v = report.reviews[i]!;
    if (v <= 0 || report.max <= 0) return dim('·');
    const q = Math.min(3, Math.ceil((v / report.max) * 4) - 1);
    return paint(SHADES[q]!);
  };
  // Each month is labelled at its first week. Months start at least four weeks apart, so only the first, partial
  // month at the left edge can crowd the next one; then it is the one left out ("Oct", never "SepOct").
  const labels: { at: number; name: string }[] = [];
  let lastMonth = -1;
  for (let w = firstWeek; w < totalWeeks; w++) {
    const month = Number(dayDate(report.startDay + w * 7).slice(5, 7)) - 1;
    if (month !== lastMonth) labels.push({ at: w - firstWeek, name: MONTHS[month]! });
    lastMonth = month;
  }
  const kept = labels.filter((l, i) => !labels[i + 1] || l.at + l.name.length < labels[i + 1]!.at);
  let months = '';
  for (const l of kept) months = months.padEnd(l.at) + l.name;
  const lines = [`    ${months}`.slice(0, opts.width).trimEnd()];
  for (let row = 0; row < 7; row++) {
    let line = WEEKDAYS[row]!.padEnd(4);
    for (let w = firstWeek; w < totalWeeks; w++) line += cell(w, row);
    lines.push(line.trimEnd());
  }
  return lines;
}

/** Horizontal bars for a distribution: label, bar scaled to the largest bucket, count. */
export function histogram(buckets: readonly Bucket[], opts: { width: number; paint?: Paint }): string[] {
  const paint = opts.paint ?? ((s: string) => s);
  const max = Math.max(0, ...buckets.map((b) => b.count));
  const labelWidth = Math.max(...buckets.map((b) => b.label.length));
  const countWidth = String(max).length;
  const room = Math.max(4, opts.width - labelWidth - countWidth - 4);
  return buckets.map((b) => {
    const eighths = max === 0 ? 0 : Math.round((b.count / max) * room * 8);
    const bar = '█'.repeat(Math.floor(eighths / 8)) + (eighths % 8 ? '▏▎▍▌▋▊▉'[(eighths % 8) - 1]! : '');
    return `  ${b.label.padStart(labelWidth)} ${String(b.count).padStart(countWidth)} ${paint(bar)}`.trimEnd();
  });
}

function rateCell(r: Rate, withCounts: boolean): string {
  if (r.rate === null) return '-';
  return withCounts ? `${formatPercent(r.rate)} ${r.passed}/${r.total}` : formatPercent(r.rate);
}

/** Cuts a line to `width` visible characters, keeping ANSI codes intact (and closing them when cut). */
export function fit(line: string, width: number): string {
  let visible = 0;
  let out = '';
  for (let i = 0; i < line.length; ) {
    if (line[i] === '\u001b') {
      const end = line.indexOf('m', i);
      if (end !== -1) {
        out += line.slice(i, end + 1);
        i = end + 1;
        continue;
      }
    }
    const ch = String.fromCodePoint(line.codePointAt(i)!);
    if (visible === width) return out.includes('\u001b[') ? `${out}\u001b[0m` : out;
    out += ch;
    visible++;
    i += ch.length;
  }
  return out;
}

export function renderStats(report: StatsReport, opts: RenderOptions): string {
  const width = Math.max(40, opts.width);
  const p = palette(opts.color);
  const fmtTime = opts.formatTime ?? ((ms: number) => new Date(ms).toISOString().slice(0, 16).replace('T', ' '));
  const out: string[] = [];
  const heading = (s: string) => {
    if (out.length) out.push('');
    out.push(p.bold(s));
  };

  const t = report.today;
  heading(`Today ${t.date}`);
  const againPaint = t.againRate !== null && t.againRate > 0.2 ? p.red : (s: string) => s;
  out.push(`  Reviewed ${t.reviewed} (${t.newCards} new) in ${formatDuration(t.timeMs)}, again ${againPaint(formatPercent(t.againRate))}`);
  out.push(`  Still due ${t.stillDue} (${plural(t.dueReviews, 'review')}, ${t.dueLearning} learning)`);
  const s = report.streak;
  out.push(`  Streak ${plural(s.current, 'day')}, longest ${s.longest}, ${plural(s.daysStudied, 'day')} studied`);

  const rpd = report.reviewsPerDay;
  if (rpd.length > 0) {
    const total = rpd.reduce((a, r) => a + r.reviews, 0);
    heading(`Reviews per day, last ${rpd.length === 1 ? 'day' : `${rpd.length} days`} (${plural(total, 'review')})`);
    if (total === 0) out.push('  (no reviews in this period)');
    else out.push(...barChart(rpd.map((r) => r.reviews), { width, height: 6, paint: p.cyan, labels: [rpd[0]!.date, rpd[rpd.length - 1]!.date] }));
  }

  const yearTotal = report.heatmap.reviews.reduce((a, v) => a + v, 0);
  heading(`Past year (${plural(yearTotal, 'review')}, busiest day ${report.heatmap.max})`);
  if (yearTotal === 0) out.push('  (no reviews in the past year)');
  else out.push(...heatmap(report.heatmap, { width, paint: p.green, dim: p.dim }));

  heading('True retention (mature: 21+ days since the previous answer)');
  const periods = [['Today', report.retention.day], ['Week', report.retention.week], ['Month', report.retention.month], ['Year', report.retention.year]] as const;
  // Counts when they fit, else percentages alone; columns as wide as the widest cell.
  const cellsOf = (withCounts: boolean) => periods.map(([, p]) => [p.young, p.mature, p.all].map((r) => rateCell(r, withCounts)));
  let cells = cellsOf(true);
  let col = Math.max(10, ...cells.flat().map((c) => c.length + 2));
  if (9 + 3 * col > width) {
    cells = cellsOf(false);
    col = Math.max(8, ...cells.flat().map((c) => c.length + 2));
  }
  out.push(`  ${''.padEnd(7)}${'Young'.padStart(col)}${'Mature'.padStart(col)}${'All'.padStart(col)}`);
  periods.forEach(([name], i) => out.push(`  ${name.padEnd(7)}${cells[i]!.map((c) => c.padStart(col)).join('')}`));

  const fc = report.forecast;
  if (fc.length > 0) {
    const total = fc.reduce((a, r) => a + r.due, 0);
    heading(`Forecast, next ${fc.length === 1 ? 'day' : `${fc.length} days`} (${plural(total, 'review')}; overdue counted today)`);
    if (total === 0) out.push('  (no reviews due)');
    else out.push(...barChart(fc.map((r) => r.due), { width, height: 6, paint: p.yellow, labels: [fc[0]!.date, fc[fc.length - 1]!.date] }));
  }

  heading('Decks');
  const cols = ['New', 'Learn', 'Young', 'Mature', 'Susp', 'Avg R', 'Mastery'];
  const colW = [6, 6, 6, 7, 5, 7, 8];
  const fixed = colW.reduce((a, w) => a + w, 0);
  // Deck names come from files: made inert here, before their width is measured.
  const names = report.decks.map((d) => sanitize(d.name).replace(/[\n\t]/g, ' '));
  const nameWidth = Math.max(4, Math.min(Math.max(4, ...names.map((n) => n.length)), width - fixed - 2));
  out.push(`  ${'Deck'.padEnd(nameWidth)}${cols.map((c, i) => c.padStart(colW[i]!)).join('')}`);
  report.decks.forEach((d, k) => {
    const cells = [d.new, d.learning, d.young, d.mature, d.suspended, formatPercent(d.averageRetrievability, 0), formatPercent(d.mastery, 0)];
    out.push(`  ${truncate(names[k]!, nameWidth).padEnd(nameWidth)}${cells.map((c, i) => String(c).padStart(colW[i]!)).join('')}`);
  });
  if (report.decks.length === 0) out.push('  (no decks)');
  if (report.leeches > 0) {
    const by = report.decks.filter((d) => d.leeches > 0).map((d) => `${sanitize(d.name)} ${d.leeches}`).join(', ');
    out.push('', `  Leeches: ${report.leeches} (${by}); recall search is:leech lists them`);
  }

  const dist = report.distributions;
  for (const [title, buckets] of [['Stability (days)', dist.stability], ['Difficulty', dist.difficulty], ['Retrievability now', dist.retrievability]] as const) {
    heading(title);
    if (buckets.every((b) => b.count === 0)) out.push('  (no answered cards)');
    else out.push(...histogram(buckets, { width, paint: p.cyan }));
  }

  heading('Quizzes');
  if (report.quizzes.length === 0) out.push('  (no quizzes yet)');
  const recent = report.quizzes.slice(-10);
  if (report.quizzes.length > recent.length) out.push(p.dim(`  ... ${plural(report.quizzes.length - recent.length, 'earlier attempt')}`));
  for (const q of recent) {
    const decks = q.decks.map((d) => `${sanitize(d.deck).replace(/[\n\t]/g, ' ')} ${formatPercent(d.score, 0)}`).join(', ');
    // A quiz left early shows how far it got ("12 of 20, unfinished") rather than passing for a short one.
    const left = q.unfinished ? `; ${q.planned !== null ? `${q.questions} of ${q.planned}` : plural(q.questions, 'question')}, ${p.yellow('unfinished')}` : '';
    const line = `  ${fmtTime(q.startedAt)}  ${formatPercent(q.score, 0).padStart(5)} (${q.correct}/${q.questions}${left})${decks ? `  ${decks}` : ''}`;
    out.push(truncate(line, width));
  }
  return `${out.map((l) => fit(l, width)).join('\n')}\n`;
}
