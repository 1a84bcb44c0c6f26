/**
 * A plain text table: a header row, a rule, then rows, columns padded to their widest cell.
 * No colours and no box drawing, so it reads the same in a terminal, a CI log and a pipe.
 * Width is counted in code points: the cells hold ASCII, `✔`, `✖` and `…`, all one column wide.
 */
export function renderTable(headers: readonly string[], rows: ReadonlyArray<readonly string[]>, indent = 2): string {
  const width = (text: string): number => [...text].length;
  const widths = headers.map((h, i) => Math.max(width(h), ...rows.map((row) => width(row[i] ?? ''))));
  const line = (cells: readonly string[]): string =>
    (' '.repeat(indent) + cells.map((cell, i) => (i === cells.length - 1 ? cell : cell + ' '.repeat(widths[i]! - width(cell)))).join('  ')).trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
