import { DateTime, Duration, IANAZone } from 'luxon';
import { UsageError } from '../errors.js';

const RELATIVE = /^(\d+(?:\.\d+)?)\s*(s|m|h|d|w)$/i;
const UNIT = { s: 'seconds', m: 'minutes', h: 'hours', d: 'days', w: 'weeks' } as const;

/** `--since/--until`: ISO 8601 (a date alone means its start, UTC unless an offset is given) or a duration back from now (36h, 7d). */
export function parseTimeOption(flag: string, value: string, now: Date): DateTime {
  const trimmed = value.trim();
  const rel = RELATIVE.exec(trimmed);
  if (rel) {
    const unit = UNIT[rel[2]!.toLowerCase() as keyof typeof UNIT];
    return DateTime.fromJSDate(now, { zone: 'utc' }).minus(Duration.fromObject({ [unit]: Number(rel[1]) }));
  }
  const iso = DateTime.fromISO(trimmed, { zone: 'utc', setZone: false });
  if (iso.isValid) return iso.toUTC();
  throw new UsageError(`${flag}: expected an ISO 8601 time (2024-05-01, 2024-05-01T10:00Z) or a duration like 36h or 7d, got "${value}"`);
}

export function parseZoneOption(value: string): string {
  if (value.toUpperCase() === 'UTC' || value.toLowerCase() === 'local' || IANAZone.isValidZone(value)) return value;
  throw new UsageError(`--tz: unknown time zone "${value}" (use an IANA name like Europe/Paris, UTC or local)`);
}
