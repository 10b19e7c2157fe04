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

/** Digits `from` to `from + count` of `s` as a number; NaN where one is not a digit. */
function digits(s: string, from: number, count: number): number {
  let n = 0;
  for (let i = from; i < from + count; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return NaN;
    n = n * 10 + d;
  }
  return n;
}

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const isLeap = (year: number) => year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);

/** Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  return era * 146097 + yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy - 719468;
}

/**
 * The form every Auth0 log date takes, `2024-05-02T10:00:00.123Z` (UTC, seconds, an optional
 * fraction), read without luxon's general ISO parser, which cost a third of the main thread's time
 * on a log in which every line is a failed signup. Null for any other form, and where a field is out
 * of range (Feb 30, hour 24): the general parsers decide those. The fraction is read as luxon reads
 * it (parseMillis: the milliseconds, rounded down).
 */
export function fastUtc(s: string): DateTime | null {
  const n = s.length;
  if (n < 20 || n === 21 || n > 51 || s.charCodeAt(n - 1) !== 90 /* Z */) return null;
  if (s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45 || s.charCodeAt(10) !== 84 || s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58) return null; // - - T : :
  const year = digits(s, 0, 4);
  const month = digits(s, 5, 2);
  const day = digits(s, 8, 2);
  const hour = digits(s, 11, 2);
  const minute = digits(s, 14, 2);
  const second = digits(s, 17, 2);
  let millis = 0;
  if (n > 20) {
    const count = n - 21;
    const fraction = digits(s, 20, count);
    if (s.charCodeAt(19) !== 46 /* . */ || Number.isNaN(fraction)) return null;
    // Up to three digits are exact as they are (checked against parseMillis for every one of them).
    millis = count <= 3 ? fraction * 10 ** (3 - count) : Math.floor(parseFloat(`0.${s.slice(20, n - 1)}`) * 1000);
  }
  // NaN (a field that is not all digits) fails every comparison. 17 nines and more round up to 1000 ms, which luxon rejects.
  if (!(year >= 0 && month >= 1 && month <= 12 && day >= 1 && hour >= 0 && hour <= 23 && minute >= 0 && minute <= 59 && second >= 0 && second <= 59 && millis <= 999)) return null;
  if (!(day <= (month === 2 && isLeap(year) ? 29 : MONTH_DAYS[month - 1]!))) return null;
  return utcFromMillis(daysFromCivil(year, month, day) * 86_400_000 + ((hour * 60 + minute) * 60 + second) * 1000 + millis);
}

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
    const fast = fastUtc(s);
    if (fast) return fast;
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
