import path from 'node:path';
import type { Context } from './context.js';

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

/** `warning: <message>` on stderr: something was skipped or looks wrong, and the run goes on. */
export function warn(ctx: Pick<Context, 'stderr' | 'color'>, message: string): void {
  ctx.stderr.write(`${ctx.color.err.yellow('warning:')} ${message}\n`);
}

/**
 * `note: <message>`: worth knowing, nothing wrong. On stderr unless told otherwise, so stdout keeps
 * only results; a report whose notes are part of it (diagnose's human output) passes 'stdout'.
 */
export function note(ctx: Pick<Context, 'stdout' | 'stderr' | 'color'>, message: string, to: 'stdout' | 'stderr' = 'stderr'): void {
  const [stream, color] = to === 'stdout' ? [ctx.stdout, ctx.color.out] : [ctx.stderr, ctx.color.err];
  stream.write(`${color.yellow('note:')} ${message}\n`);
}

/** A path to print in a command to copy: relative to the working directory when under it, else absolute. */
export function shortPath(cwd: string, file: string): string {
  const relative = path.relative(cwd, file);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : file;
}
