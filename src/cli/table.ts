/** Aligned text tables for terminals: a header row, then one row per item. */

export type Cell = string | number;

/**
 * Columns are separated by two spaces; numbers are right-aligned, text left-aligned.
 * Returns the lines joined with '\n' and a trailing newline ('' when there is no row).
 */
export function formatTable(header: readonly string[], rows: readonly (readonly Cell[])[]): string {
  if (rows.length === 0) return '';
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i] ?? '').length)));
  const numeric = header.map((_, i) => rows.every((r) => typeof r[i] === 'number'));
  const line = (cells: readonly Cell[]): string =>
    header
      .map((_, i) => {
        const text = String(cells[i] ?? '');
        return numeric[i] ? text.padStart(widths[i]!) : text.padEnd(widths[i]!);
      })
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}
