import { DateTime } from 'luxon';

/**
 * Defensive readers for values taken from parsed records and pasted text: a value of the wrong type
 * becomes null, never an exception. Shared by the JSON record readers and the text line parser.
 */

export type Obj = Record<string, unknown>;

export const MAX_DESCRIPTION = 2000;

export function asObj(v: unknown): Obj | null {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : null;
}

/** A non-empty trimmed string (numbers are stringified); null for anything else. */
export function str(v: unknown): string | null {
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v !== 'string') return null;
  const t = v.trim();
  return t === '' ? null : t;
}

/** An HTTP status (100-599) given as a number or a numeric string. */
export function status(v: unknown): number | null {
  const n = typeof v === 'string' ? Number(v.trim()) : v;
  return typeof n === 'number' && Number.isInteger(n) && n >= 100 && n <= 599 ? n : null;
}

export function cap(s: string): string {
  return s.length > MAX_DESCRIPTION ? s.slice(0, MAX_DESCRIPTION) : s;
}

/**
 * Dates are read with a named locale: luxon would otherwise look up the system's (16-22 ms, on the way
 * to the first event, in every thread). Nothing read here is ever formatted with it.
 */
const UTC = { zone: 'utc', locale: 'en-US' } as const;

/** Epoch milliseconds as a UTC DateTime (how times cross from the scan workers). */
export function utcFromMillis(ms: number): DateTime {
  return DateTime.fromMillis(ms, UTC);
}

const PARSERS = [
  (s: string, o: { zone: string; locale: string }) => DateTime.fromISO(s, o),
  (s: string, o: { zone: string; locale: string }) => DateTime.fromRFC2822(s, o),
  (s: string, o: { zone: string; locale: string }) => DateTime.fromHTTP(s, o),
  (s: string, o: { zone: string; locale: string }) => DateTime.fromSQL(s, o),
];

/**
 * Any time-like value to a UTC DateTime: ISO 8601 (no offset means UTC), RFC 2822/HTTP dates,
 * epoch numbers (below 1e11 taken as seconds, else ms), numeric strings, and `{ $date: ... }`.
 */
export function toUtc(v: unknown): DateTime | null {
  let dt: DateTime | null = null;
  if (typeof v === 'number' && Number.isFinite(v)) {
    dt = utcFromMillis(Math.abs(v) < 1e11 ? v * 1000 : v);
  } else if (typeof v === 'string') {
    const s = v.trim();
    if (/^-?\d{9,16}(\.\d+)?$/.test(s)) return toUtc(Number(s));
    for (const parse of PARSERS) {
      dt = parse(s, UTC);
      if (dt.isValid) break;
    }
  } else {
    const o = asObj(v);
    if (o && '$date' in o) return toUtc(o.$date);
    if (o && '$numberLong' in o) return toUtc(o.$numberLong);
  }
  return dt?.isValid ? dt.toUTC() : null;
}
