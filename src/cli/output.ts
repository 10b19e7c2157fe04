/** Plain aligned table (no box drawing): fits terminals, pipes and pasted tickets alike. */
export function renderTable(headers: string[], rows: string[][], style: (header: string) => string = (h) => h): string {
  const widths = headers.map((h, i) => Math.max(visibleLength(h), ...rows.map((r) => visibleLength(r[i] ?? ''))));
  const line = (cells: string[], styled = false) =>
    cells
      .map((cell, i) => {
        const padded = i === cells.length - 1 ? cell : cell + ' '.repeat(widths[i]! - visibleLength(cell));
        return styled ? style(padded) : padded;
      })
      .join('  ')
      .trimEnd();
  return [line(headers, true), ...rows.map((r) => line(r))].join('\n') + '\n';
}

// Strips ANSI color sequences when measuring a cell.
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;
function visibleLength(s: string): number {
  return s.replace(ANSI, '').length;
}

/**
 * One RFC 4180 row. A value that starts with = + - @ gets a leading ' so a spreadsheet never runs it
 * as a formula, except in `verbatim` columns: machine input that must round-trip (the email column).
 */
export function csvRow(values: string[], verbatim: ReadonlySet<number> = new Set()): string {
  return (
    values
      .map((value, i) => {
        const safe = !verbatim.has(i) && /^[=+\-@]/.test(value) ? `'${value}` : value;
        return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
      })
      .join(',') + '\n'
  );
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}
