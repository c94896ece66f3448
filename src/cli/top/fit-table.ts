/**
 * A table that fits a terminal width: when all columns do not fit, the least important ones are
 * left out (each column has a rank; rank 0 columns always stay), and what still overflows is cut.
 */

export interface FitColumn {
  header: string;
  /** 0 = always shown; higher ranks are dropped first when the width is short. */
  rank: number;
  align: 'left' | 'right';
}

/** Cut to `width` characters, marking the cut with '…'. */
export function cut(text: string, width: number): string {
  if (width <= 0) return '';
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}

/** Header line, then one line per row; every line at most `width` characters. */
export function fitTable(columns: readonly FitColumn[], rows: readonly (readonly string[])[], width: number): string[] {
  const widths = columns.map((c, i) => Math.max(c.header.length, ...rows.map((r) => (r[i] ?? '').length)));
  const byRank = columns.map((c, i) => ({ rank: c.rank, i })).sort((a, b) => a.rank - b.rank || a.i - b.i);
  const shown = new Set<number>();
  let used = 0;
  for (const { rank, i } of byRank) {
    const extra = widths[i]! + (shown.size > 0 ? 2 : 0);
    if (rank > 0 && used + extra > width) break;
    shown.add(i);
    used += extra;
  }
  const kept = columns.map((_, i) => i).filter((i) => shown.has(i));
  const line = (cells: readonly string[]): string =>
    cut(
      kept
        .map((i) => {
          const text = cells[i] ?? '';
          return columns[i]!.align === 'right' ? text.padStart(widths[i]!) : text.padEnd(widths[i]!);
        })
        .join('  ')
        .trimEnd(),
      width,
    );
  return [line(columns.map((c) => c.header)), ...rows.map(line)];
}
