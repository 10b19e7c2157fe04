import { readFileSync } from 'node:fs';
import { Management } from 'auth0';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LEGACY_DB, rejection, startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

/**
 * Endpoint rate-limit groups, through the official auth0 v7 SDK (maxRetries 0) over TLS: the global
 * bucket is evaluated first, then the request's group; each group empties on its own; the headers
 * describe the bucket closer to empty; 429 bodies and api_limit logs name the limit reached. The
 * sandbox runs on a fake clock, so nothing refills unless a test moves the clock.
 */

const READ_USERS = { name: 'read-users', routes: ['GET /api/v2/users', 'GET /api/v2/users/*', 'GET /api/v2/users-by-email'], burst: 3, perMinute: 6 };
const USERS_DELETE = { name: 'users_delete', routes: ['DELETE /api/v2/users/*'], burst: 2, perSecond: 1 };
const CONNECTION = 'con_GroupGroupGroup1';
const SCENARIO = {
  tenant: 'grouped',
  connections: [{ name: 'db', id: CONNECTION }],
  users: ['ann', 'bob', 'cat', 'dan'].map((n) => ({ email: `${n}@example.com`, connection: 'db', user_id: `${n}-1` })),
  rateLimit: { burst: 8, perSecond: 1, groups: [READ_USERS, USERS_DELETE] },
};

let clock = Math.floor(Date.now() / 1000) * 1000;
let sb: TestSandbox;
beforeAll(async () => {
  sb = await startTestSandbox(SCENARIO, { now: () => clock });
});
afterAll(() => sb.close());
beforeEach(async () => {
  clock = Math.ceil(clock / 1000) * 1000; // each test starts on a whole second, so resets are exact
  await sb.control.reset(SCENARIO);
});

/** The limit, remaining and reset headers of an SDK answer or error. */
function limits(headers: Headers | undefined): [number, number, number] {
  return [Number(headers?.get('x-ratelimit-limit')), Number(headers?.get('x-ratelimit-remaining')), Number(headers?.get('x-ratelimit-reset'))];
}
const ok = async (call: { withRawResponse(): Promise<{ rawResponse: { headers: Headers } }> }) => limits((await call.withRawResponse()).rawResponse.headers).slice(0, 2);
const refused = async (call: Promise<unknown>) => {
  const err = await rejection(call);
  expect(err).toBeInstanceOf(Management.TooManyRequestsError);
  return { message: (err.body as { message: string }).message, body: err.body, headers: limits(err.rawResponse?.headers) };
};
const apiLimits = async () => (await sb.control.state()).logs.filter((l: { type: string }) => l.type === 'api_limit');
const stats = async () => (await fetch(`${sb.running.url}/__sandbox/rate-limit`)).json() as Promise<any>;
const setLimits = (body: string) => fetch(`${sb.running.url}/__sandbox/rate-limit`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

describe('endpoint groups', () => {
  it('a group empties on its own: with read-users drained, a DELETE and an ungrouped read still succeed', async () => {
    for (let i = 0; i < 3; i++) await sb.mgmt.users.get('auth0|ann-1');
    const r = await refused(sb.mgmt.users.listUsersByEmail({ email: 'ann@example.com' }));
    expect(r.body).toEqual({ statusCode: 429, error: 'Too Many Requests', message: 'Global per minute read-users group limit has been reached', errorCode: 'too_many_requests' });
    expect(r.headers).toEqual([3, 0, clock / 1000 + 10]); // 6 per minute: the next token in 10 s
    // The 429 took nothing from the global bucket (8 - 3 = 5 left): the delete's group is lower, then the global one.
    expect(await ok(sb.mgmt.users.delete('auth0|bob-1'))).toEqual([2, 1]);
    expect(await ok(sb.mgmt.connections.get(CONNECTION))).toEqual([8, 3]);
    expect(await apiLimits()).toEqual([
      expect.objectContaining({
        type: 'api_limit',
        description: 'Global per minute read-users group limit has been reached',
        details: { limit: { bucket: 'read-users', global: false, size: 3 }, request: { method: 'get', path: '/api/v2/users-by-email' }, response: {} },
      }),
    ]);
  });

  it('the headers describe the bucket closer to empty (a tie: the group); an empty global bucket refuses first', async () => {
    expect(await ok(sb.mgmt.users.get('auth0|ann-1'))).toEqual([3, 2]); // global 7, read-users 2
    for (let i = 0; i < 4; i++) await sb.mgmt.connections.get(CONNECTION);
    expect(await ok(sb.mgmt.connections.get(CONNECTION))).toEqual([8, 2]); // no group: the global bucket
    expect(await ok(sb.mgmt.users.delete('auth0|bob-1'))).toEqual([2, 1]); // global 1, users_delete 1: a tie
    expect(await ok(sb.mgmt.users.get('auth0|ann-1'))).toEqual([8, 0]); // global 0, read-users 1
    // Both buckets of a delete: the global one is empty, users_delete still has a token, which stays.
    const r = await refused(sb.mgmt.users.delete('auth0|cat-1'));
    expect(r.body).toEqual({ statusCode: 429, error: 'Too Many Requests', message: 'Global limit has been reached', errorCode: 'too_many_requests' });
    expect(r.headers).toEqual([8, 0, clock / 1000 + 1]);
    expect((await apiLimits()).map((l: { description: string; details: { limit: unknown } }) => [l.description, l.details.limit])).toEqual([
      ['Global limit has been reached', { bucket: 'global', global: true, size: 8 }],
    ]);
    const s = await stats();
    expect(s.buckets.find((b: { name: string }) => b.name === 'users_delete')).toMatchObject({ remaining: 1, requests: 2, taken: 1, limited: 0 });
    expect((await sb.control.state()).users.map((u: { user_id: string }) => u.user_id)).toEqual(['auth0|ann-1', 'auth0|cat-1', 'auth0|dan-1']);
  });

  it('a per-second group says "Global per second … group limit"', async () => {
    await sb.mgmt.users.delete('auth0|ann-1');
    await sb.mgmt.users.delete('auth0|bob-1');
    const r = await refused(sb.mgmt.users.delete('auth0|cat-1'));
    expect(r.message).toBe('Global per second users_delete group limit has been reached');
    expect(r.headers).toEqual([2, 0, clock / 1000 + 1]);
    const [log] = await apiLimits();
    expect(log).toMatchObject({ description: 'Global per second users_delete group limit has been reached', details: { limit: { bucket: 'users_delete', global: false, size: 2 }, request: { method: 'delete', path: '/api/v2/users/auth0%7Ccat-1' } } });
    expect((await sb.control.state()).users).toHaveLength(2); // the refused delete was not handled
  });

  it('refill over time: 6 per minute is one token every 10 s, up to the burst', async () => {
    for (let i = 0; i < 3; i++) await sb.mgmt.users.get('auth0|ann-1');
    expect((await refused(sb.mgmt.users.get('auth0|ann-1'))).headers[2]).toBe(clock / 1000 + 10);
    clock += 9_000;
    await refused(sb.mgmt.users.get('auth0|ann-1'));
    clock += 1_000;
    expect(await ok(sb.mgmt.users.get('auth0|ann-1'))).toEqual([3, 0]);
    await refused(sb.mgmt.users.get('auth0|ann-1'));
    clock += 120_000; // 12 tokens' worth, capped at 3
    for (let i = 0; i < 3; i++) await sb.mgmt.users.get('auth0|ann-1');
    expect((await refused(sb.mgmt.users.get('auth0|ann-1'))).message).toBe('Global per minute read-users group limit has been reached');
  });

  it('a catch-all group "* /api/v2/**" declared last takes every request no other group matches', async () => {
    const other = { name: 'other', routes: ['* /api/v2/**'], burst: 2, perMinute: 150 };
    await sb.control.reset({ ...SCENARIO, rateLimit: { ...SCENARIO.rateLimit, groups: [READ_USERS, other] } });
    await sb.mgmt.connections.get(CONNECTION);
    await sb.mgmt.users.delete('auth0|ann-1');
    expect((await refused(sb.mgmt.connections.list())).message).toBe('Global per minute other group limit has been reached');
    expect(await ok(sb.mgmt.users.get('auth0|bob-1'))).toEqual([3, 2]);
  });
});

describe('GET /__sandbox/rate-limit: the limits in force and per-bucket counters', () => {
  it('configured limits, requests, tokens taken and 429s answered per bucket; requests no group matched', async () => {
    const since = new Date(clock).toISOString();
    for (let i = 0; i < 4; i++) await sb.mgmt.users.get('auth0|ann-1').catch(() => undefined);
    await sb.mgmt.connections.get(CONNECTION);
    clock += 500;
    expect(await stats()).toEqual({
      rateLimit: SCENARIO.rateLimit,
      since,
      requests: 5,
      limited: 1,
      ungrouped: 1,
      buckets: [
        { name: 'global', global: true, burst: 8, perSecond: 1, remaining: 4, reset: Math.ceil(clock / 1000), requests: 5, taken: 4, limited: 0 },
        { name: 'read-users', global: false, burst: 3, perMinute: 6, routes: READ_USERS.routes, remaining: 0, reset: Math.ceil(clock / 1000 + 9.5), requests: 4, taken: 3, limited: 1 },
        { name: 'users_delete', global: false, burst: 2, perSecond: 1, routes: USERS_DELETE.routes, remaining: 2, reset: Math.ceil(clock / 1000), requests: 0, taken: 0, limited: 0 },
      ],
    });
    // Control-plane requests and the token endpoint are not counted.
    expect((await stats()).requests).toBe(5);
  });

  it('a reset starts the counters again', async () => {
    await sb.mgmt.users.get('auth0|ann-1');
    await sb.control.reset();
    expect(await stats()).toMatchObject({ requests: 0, limited: 0, buckets: [{ taken: 0 }, { taken: 0 }, { taken: 0 }] });
  });
});

describe('POST /__sandbox/rate-limit: limits set at run time (until the next reset)', () => {
  it('replaces the limits, with fresh buckets; answers the new stats', async () => {
    await sb.mgmt.users.get('auth0|ann-1');
    const res = await setLimits(JSON.stringify({ burst: 2, perMinute: 60 }));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ rateLimit: { burst: 2, perMinute: 60 }, requests: 0, buckets: [{ name: 'global', burst: 2, perMinute: 60, remaining: 2 }] });
    expect(await ok(sb.mgmt.users.get('auth0|ann-1'))).toEqual([2, 1]); // no groups any more
    await sb.mgmt.users.get('auth0|ann-1');
    const r = await refused(sb.mgmt.users.get('auth0|ann-1'));
    expect(r.message).toBe('Global limit has been reached');
    expect(r.headers).toEqual([2, 0, clock / 1000 + 1]);
    // A reset restores the scenario's limits.
    await sb.control.reset();
    expect((await stats()).rateLimit).toEqual(SCENARIO.rateLimit);
  });

  it('null turns rate limiting off: no 429, no x-ratelimit headers; GET then says so', async () => {
    const res = await setLimits('null');
    expect(await res.json()).toEqual({ rateLimit: null, buckets: [] });
    for (let i = 0; i < 12; i++) await sb.mgmt.users.get('auth0|ann-1');
    const raw = await sb.mgmt.users.get('auth0|ann-1').withRawResponse();
    expect(raw.rawResponse.headers.get('x-ratelimit-limit')).toBeNull();
    expect(await stats()).toEqual({ rateLimit: null, buckets: [] });
  });

  it('a body that does not validate is a 400 with its line and path, and changes nothing', async () => {
    const body = JSON.stringify({ burst: 5, perSecond: 1, groups: [{ name: 'g', routes: ['GET /users'], burst: 1, perSecond: 1 }] }, null, 2);
    const res = await setLimits(body);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: 'line 8: rateLimit.groups[0].routes[0] must look like "GET /api/v2/users/*" (a method or *, then a path under /api/v2/; * is one whole segment, ** the rest, last)',
      errorCode: 'invalid_body',
    });
    const both = await setLimits('{"burst": 1, "perSecond": 1, "perMinute": 1}');
    expect(((await both.json()) as { message: string }).message).toBe('line 1: rateLimit has both perSecond and perMinute (give one)');
    const empty = await setLimits('');
    expect(empty.status).toBe(400);
    expect(((await empty.json()) as { message: string }).message).toBe('the body must be a rate limit ({"burst", "perSecond" or "perMinute", "groups"?}), or null for none');
    expect((await stats()).rateLimit).toEqual(SCENARIO.rateLimit);
  });
});

describe('the presets in examples/scenarios', () => {
  const preset = (file: string) => JSON.parse(readFileSync(`examples/scenarios/${file}`, 'utf8')) as object;

  it('rate-free.json: the third quick request of any kind is refused by the global limit', async () => {
    await sb.control.reset(preset('rate-free.json'));
    expect(await ok(sb.mgmt.users.listUsersByEmail({ email: 'alice.ng@acme.com' }))).toEqual([2, 1]);
    await sb.mgmt.connections.get(LEGACY_DB);
    expect((await refused(sb.mgmt.logs.list())).message).toBe('Global limit has been reached');
    clock += 500; // 2 per second: one token in 500 ms
    await sb.mgmt.logs.list();
  });

  it('rate-self-service.json: read-connections empties after 5 reads; a connection-user delete draws on "other"; users reads go on', async () => {
    await sb.control.reset(preset('rate-self-service.json'));
    for (let i = 0; i < 5; i++) await sb.mgmt.connections.get(LEGACY_DB);
    const r = await refused(sb.mgmt.connections.list());
    expect(r.message).toBe('Global per minute read-connections group limit has been reached');
    expect(r.headers.slice(0, 2)).toEqual([5, 0]);
    await sb.mgmt.connections.users.deleteByEmail(LEGACY_DB, { email: 'jane.doe@acme.com' });
    expect((await sb.control.journal()).filter((e) => e.path.startsWith('/api/v2/')).at(-1)).toMatchObject({ method: 'DELETE', path: `/api/v2/connections/${LEGACY_DB}/users`, status: 204 });
    expect(await ok(sb.mgmt.users.listUsersByEmail({ email: 'alice.ng@acme.com' }))).toEqual([40, 39]);
    await sb.mgmt.logs.list(); // a Page, without withRawResponse: the stats below show its bucket
    const s = await stats();
    expect(s.buckets.map((b: { name: string; taken: number; remaining: number }) => `${b.name}:${b.taken}:${b.remaining}`)).toEqual([
      'global:8:112', 'read-users:1:39', 'write-users:0:20', 'delete-users:0:20', 'read-logs:1:9', 'read-connections:5:0', 'other:1:9',
    ]);
  });

  it('rate-enterprise.json: 50 requests in a burst, the 51st is refused by the global limit', async () => {
    await sb.control.reset(preset('rate-enterprise.json'));
    for (let i = 0; i < 50; i++) await sb.mgmt.users.get('auth0|legacy-1007');
    expect((await refused(sb.mgmt.users.get('auth0|legacy-1007'))).headers).toEqual([50, 0, clock / 1000 + 1]);
  });
});
