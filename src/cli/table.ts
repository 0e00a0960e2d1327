// A plain table that fits the terminal: fixed columns keep their width, flexible ones share what is left (the
// widest shrinks first) and their cells are cut with an ellipsis. Cells must already be inert (sanitized).

export interface Column {
  header: string;
  align?: 'left' | 'right';
  /** Shrinks to fit the width, down to `min`; otherwise the column is as wide as its widest cell. */
  flex?: boolean;
  min?: number;
}

/** Characters a cell takes on screen (code points; wide characters count as one, as elsewhere in recall). */
const width = (s: string) => Array.from(s).length;

function cut(s: string, w: number): string {
  const chars = Array.from(s);
  if (chars.length <= w) return s;
  return w <= 1 ? chars.slice(0, w).join('') : `${chars.slice(0, w - 1).join('')}…`;
}

function pad(s: string, w: number, align: 'left' | 'right'): string {
  const fill = ' '.repeat(Math.max(0, w - width(s)));
  return align === 'right' ? fill + s : s + fill;
}

export function formatTable(columns: readonly Column[], rows: readonly string[][], totalWidth: number, style: { header: (s: string) => string } = { header: (s) => s }): string {
  const widths = columns.map((c, i) => Math.max(width(c.header), ...rows.map((r) => width((r[i] ?? '').replace(/\n/g, ' ')))));
  const available = Math.max(20, totalWidth);
  let gap = 2;
  const over = () => widths.reduce((a, b) => a + b, 0) + gap * (columns.length - 1) - available;
  // Take from the widest flexible column, a character at a time, down to its minimum; on a narrow terminal, down to
  // its header's width, then with one space between columns.
  const shrink = (floor: (i: number) => number) => {
    while (over() > 0) {
      let best = -1;
      columns.forEach((c, i) => {
        if (c.flex && widths[i]! > floor(i) && (best === -1 || widths[i]! > widths[best]!)) best = i;
      });
      if (best === -1) return;
      widths[best] = widths[best]! - 1;
    }
  };
  shrink((i) => Math.max(columns[i]!.min ?? 8, width(columns[i]!.header)));
  shrink((i) => width(columns[i]!.header));
  if (over() > 0) gap = 1;
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => pad(cut(cell.replace(/\n/g, ' '), widths[i]!), widths[i]!, columns[i]!.align ?? 'left'))
      .join(' '.repeat(gap))
      .trimEnd();
  return [style.header(line(columns.map((c) => c.header))), ...rows.map(line)].join('\n') + '\n';
}
