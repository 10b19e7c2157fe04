import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { prng } from '../../scripts/prng.js';
import { fastUtc, toUtc } from '../../src/logs/values.js';

/** What luxon's general ISO parser makes of a string, as toUtc used to return it. */
const general = (s: string) => {
  const dt = DateTime.fromISO(s, { zone: 'utc', locale: 'en-US' });
  return dt.isValid ? dt.toUTC() : null;
};

const pad = (n: number, width: number) => String(n).padStart(width, '0');

describe('fastUtc: the Auth0 log date form without the general parser', () => {
  it('reads the forms Auth0 writes', () => {
    expect(fastUtc('2024-05-02T10:00:00Z')!.toISO()).toBe('2024-05-02T10:00:00.000Z');
    expect(fastUtc('2024-05-02T10:00:00.123Z')!.toISO()).toBe('2024-05-02T10:00:00.123Z');
    expect(fastUtc('2024-02-29T23:59:59.999999Z')!.toISO()).toBe('2024-02-29T23:59:59.999Z');
    expect(fastUtc('0099-01-01T00:00:00Z')!.year).toBe(99); // not 1999, as Date.UTC would have it
  });

  it('leaves every other form to the general parsers, which toUtc still tries', () => {
    for (const s of ['2024-05-02T10:00:00+02:00', '2024-05-02 10:00:00Z', '2024-05-02T10:00Z', '2024-05-02T10:00:00,5Z', '2024-05-02', '20240502T100000Z', 'Thu, 02 May 2024 10:00:00 GMT']) {
      expect(fastUtc(s), s).toBeNull();
    }
    // Not digits where digits go (a letter O in the year, a sign), and a fraction luxon rounds up to 1000 ms: luxon rejects them, and so does toUtc.
    for (const s of ['2O24-05-02T10:00:00Z', '+024-05-02T10:00:00Z', '-024-05-02T10:00:00Z', '2024-O5-02T10:00:00Z', '2024-05-02T1O:00:00Z', '2024-05-02T10:00:0xZ', '2024-05-02T10:00:00.9x9Z', '2024-12-31T23:59:59.99999999999999999Z']) {
      expect(fastUtc(s), s).toBeNull();
      expect(toUtc(s), s).toBe(general(s));
    }
    expect(toUtc('2024-05-02T12:00:00+02:00')!.toISO()).toBe('2024-05-02T10:00:00.000Z');
    expect(toUtc('Thu, 02 May 2024 10:00:00 GMT')!.toISO()).toBe('2024-05-02T10:00:00.000Z');
  });

  it('gives the same instant as luxon for 20,000 random dates, in and out of range; never one luxon rejects', () => {
    const random = prng(11);
    const pick = (max: number) => Math.floor(random() * max);
    let read = 0;
    for (let i = 0; i < 20_000; i++) {
      // Mostly valid fields, with out-of-range ones (month 0 or 13, Feb 30, hour 24, second 60) mixed in.
      const fields = [pad(pick(10000), 4), pad(pick(14), 2), pad(pick(33), 2), pad(pick(26), 2), pad(pick(61), 2), pad(pick(61), 2)];
      const fraction = random() < 0.5 ? '' : `.${Array.from({ length: 1 + pick(30) }, () => pick(10)).join('')}`;
      const s = `${fields[0]}-${fields[1]}-${fields[2]}T${fields[3]}:${fields[4]}:${fields[5]}${fraction}Z`;
      const fast = fastUtc(s);
      const slow = general(s);
      if (slow === null) expect(fast, s).toBeNull();
      if (fast === null) continue;
      read++;
      expect(fast.toMillis(), s).toBe(slow!.toMillis());
      expect(fast.zoneName, s).toBe(slow!.zoneName);
    }
    expect(read).toBeGreaterThan(5_000);
  });
});
