import { describe, expect, it } from 'vitest';
import { auth0Group, RateBuckets } from '../../src/tenant/buckets.js';

const headers = (remaining: number, resetSeconds: number, limit = 10) =>
  new Headers({ 'x-ratelimit-remaining': String(remaining), 'x-ratelimit-reset': String(resetSeconds), 'x-ratelimit-limit': String(limit) });

describe('rate-limit buckets learned from headers', () => {
  it('groups requests like Auth0: user reads, writes and deletes, logs, connections, the rest', () => {
    const g = (m: string, p: string) => auth0Group(m, new URL(`https://a.auth0.com${p}`));
    expect(g('GET', '/api/v2/users-by-email')).toBe('read-users');
    expect(g('GET', '/api/v2/users/auth0%7C1')).toBe('read-users');
    expect(g('PATCH', '/api/v2/users/auth0%7C1')).toBe('write-users');
    expect(g('DELETE', '/api/v2/users/auth0%7C1')).toBe('delete-users');
    expect(g('DELETE', '/api/v2/connections/con_1/users')).toBe('other');
    expect(g('GET', '/api/v2/logs')).toBe('read-logs');
    expect(g('GET', '/api/v2/connections')).toBe('read-connections');
    expect(g('POST', '/api/v2/tickets/password-change')).toBe('other');
    expect(g('POST', '/oauth/token')).toBe('token');
  });

  it('an empty bucket holds requests until its reset, lets one probe through, then as many as the answer allows', async () => {
    let now = 1_000_980; // 20 ms before the reset at 1001 s
    const rates = new RateBuckets(() => now, () => 0);
    await rates.take('read-users');
    rates.observe('read-users', headers(0, 1001), 200);
    let released = 0;
    const waiting = [1, 2, 3].map(() => rates.take('read-users').then(() => released++));
    await new Promise((r) => setTimeout(r, 5));
    expect(released).toBe(0);
    now = 1_001_000; // the reset has passed
    await new Promise((r) => setTimeout(r, 60));
    expect(released).toBe(1); // the probe
    rates.observe('read-users', headers(5, now / 1000 + 1), 200);
    await Promise.all(waiting);
    expect(released).toBe(3);
    expect(rates.view()['read-users']).toMatchObject({ remaining: 3, taken: 4 });
  });

  it('each group is paced on its own until a 429 says the global limit binds; then all are one bucket', () => {
    const rates = new RateBuckets(() => 0);
    expect(rates.key('read-users')).toBe('read-users');
    rates.observe('delete-users', headers(0, 1), 429, false); // a group limit: only that group waits
    expect(rates.key('read-users')).toBe('read-users');
    rates.observe('read-users', headers(0, 1), 429, true);
    expect(rates.global).toBe(true);
    expect(rates.key('delete-users')).toBe('global');
    expect(rates.view().global).toMatchObject({ remaining: 0, limited: 1 });
  });
});
