import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RateLimiter, TokenBucket, type RateLimitSpec } from '../../src/sandbox/rate-limit.js';
import { parseRateLimitOverride, parseScenario, ScenarioError } from '../../src/sandbox/scenario.js';

/**
 * The rate-limit syntax (a global bucket, endpoint groups) and its validation, and the limiter's
 * arithmetic on a fake clock. The same behaviour over HTTPS, through the SDK, is in
 * contract-rate-limit.test.ts.
 */

const pretty = (value: unknown) => JSON.stringify(value, null, 2);

function errorOf(rateLimit: unknown): { message: string; line: number | undefined; text: string } {
  const text = pretty({ tenant: 'limits', rateLimit });
  try {
    parseScenario(text, 'tenant.json');
  } catch (err) {
    if (err instanceof ScenarioError) return { message: err.message, line: err.line, text };
    throw err;
  }
  throw new Error('expected a ScenarioError');
}

/** The 1-based line of the first line of `text` containing `needle` (after line `after`). */
const lineOf = (text: string, needle: string, after = 0) => text.split('\n').findIndex((l, i) => i >= after && l.includes(needle)) + 1;

const readUsers = { name: 'read-users', routes: ['GET /api/v2/users-by-email', 'GET /api/v2/users', 'GET /api/v2/users/*'], burst: 40, perSecond: 8 };

describe('rateLimit syntax', () => {
  it('keeps what it was given: perSecond or perMinute, at the top and in groups; no groups key unless given', () => {
    expect(parseScenario(pretty({ rateLimit: { burst: 50, perSecond: 16 } }), 'x').rateLimit).toStrictEqual({ burst: 50, perSecond: 16 });
    expect(parseScenario(pretty({ rateLimit: { burst: 2, perMinute: 120 } }), 'x').rateLimit).toStrictEqual({ burst: 2, perMinute: 120 });
    const spec = {
      burst: 50,
      perSecond: 50,
      groups: [readUsers, { name: 'other', routes: ['* /api/v2/**'], burst: 10, perMinute: 150 }],
    };
    expect(parseScenario(pretty({ rateLimit: spec }), 'x').rateLimit).toStrictEqual(spec);
    expect(parseScenario(pretty({ rateLimit: { burst: 5, perSecond: 1, groups: [] } }), 'x').rateLimit).toStrictEqual({ burst: 5, perSecond: 1, groups: [] });
  });

  it('top level: unknown keys, non-positive numbers, both or neither rate', () => {
    expect(errorOf({ burst: 5, perSecond: 1, group: [] }).message).toBe('rateLimit.group is not a rate limit setting (burst, perSecond, perMinute, groups)');
    expect(errorOf({ burst: -1, perSecond: 1 }).message).toBe('rateLimit.burst must be a positive integer');
    expect(errorOf({ burst: 1.5, perSecond: 1 }).message).toBe('rateLimit.burst must be a positive integer');
    expect(errorOf({ burst: 5, perSecond: 0 }).message).toBe('rateLimit.perSecond must be a positive number');
    expect(errorOf({ burst: 5, perMinute: -3 }).message).toBe('rateLimit.perMinute must be a positive number');
    expect(errorOf({ burst: 5, perMinute: '10' }).message).toBe('rateLimit.perMinute must be a positive number');
    const both = errorOf({ burst: 5, perSecond: 1, perMinute: 60 });
    expect(both.message).toBe('rateLimit has both perSecond and perMinute (give one)');
    expect(both.line).toBe(lineOf(both.text, '"rateLimit"'));
    expect(errorOf({ burst: 5 }).message).toBe('rateLimit needs perSecond or perMinute (the sustained rate)');
    expect(errorOf([1]).message).toBe('rateLimit must be an object {"burst", "perSecond" or "perMinute", "groups"?}');
    expect(errorOf({ burst: 5, perSecond: 1, groups: {} }).message).toBe('rateLimit.groups must be an array');
  });

  it('groups: unknown keys, numbers, both rates, names, routes; each error names the path and its line', () => {
    const cases: Array<[unknown, string, string]> = [
      [{ ...readUsers, method: 'GET' }, 'rateLimit.groups[1].method is not a rate limit group setting (name, routes, burst, perSecond, perMinute)', '"method"'],
      [{ ...readUsers, burst: 0 }, 'rateLimit.groups[1].burst must be a positive integer', '"burst": 0'],
      [{ ...readUsers, perSecond: -2 }, 'rateLimit.groups[1].perSecond must be a positive number', '"perSecond": -2'],
      [{ ...readUsers, perMinute: 500 }, 'rateLimit.groups[1] has both perSecond and perMinute (give one)', '{'],
      [{ name: 'x', routes: ['GET /api/v2/jobs/*'], burst: 1 }, 'rateLimit.groups[1] needs perSecond or perMinute (the sustained rate)', '{'],
      [{ ...readUsers, routes: [] }, 'rateLimit.groups[1].routes must be a non-empty array of routes like "GET /api/v2/users/*"', '"routes": []'],
      [{ ...readUsers, routes: 'GET /api/v2/users' }, 'rateLimit.groups[1].routes must be a non-empty array of routes like "GET /api/v2/users/*"', '"routes"'],
      [{ ...readUsers, name: 'read users' }, 'rateLimit.groups[1].name must be a group name (letters, digits, "-" and "_", at most 64)', '"name": "read users"'],
      [{ ...readUsers, name: undefined }, 'rateLimit.groups[1].name must be a group name (letters, digits, "-" and "_", at most 64)', '{'],
      [{ ...readUsers, name: 'global' }, 'rateLimit.groups[1].name "global" is the tenant-wide bucket\'s name; pick another', '"name": "global"'],
      [{ ...readUsers, name: 'logs' }, 'rateLimit.groups[1].name duplicates rateLimit.groups[0].name ("logs")', '"name": "logs"'],
      [7, 'rateLimit.groups[1] must be an object {"name", "routes", "burst", "perSecond" or "perMinute"}', '7'],
    ];
    for (const [group, message, needle] of cases) {
      const err = errorOf({ burst: 50, perSecond: 50, groups: [{ name: 'logs', routes: ['GET /api/v2/logs'], burst: 10, perMinute: 100 }, group] });
      expect(err.message).toBe(message);
      // The line of the offending value: inside the second group (which starts after the first's "logs" route).
      expect(err.line).toBe(lineOf(err.text, needle, lineOf(err.text, '"GET /api/v2/logs"')));
    }
  });

  it('routes use the fault-route syntax, restricted to /api/v2; a route is listed once; the catch-all comes last', () => {
    const bad = ['FETCH /api/v2/users', 'GET api/v2/users', 'GET /oauth/token', 'GET /api/v2/users*', 'GET /api/v2/**/users', 'GET /api/v2//users', 'GET  /api/v2/users', 42];
    bad.forEach((route) => {
      const err = errorOf({ burst: 5, perSecond: 1, groups: [{ name: 'g', routes: ['GET /api/v2/users/*', route], burst: 1, perSecond: 1 }] });
      expect(err.message).toBe('rateLimit.groups[0].routes[1] must look like "GET /api/v2/users/*" (a method or *, then a path under /api/v2/; * is one whole segment, ** the rest, last)');
      expect(err.line).toBe(lineOf(err.text, '"GET /api/v2/users/*"') + 1);
    });
    for (const good of ['* /api/v2/**', 'DELETE /api/v2/connections/*/users', 'PATCH /api/v2/users/*', 'GET /api/v2/users-by-email', 'PUT /api/v2/**']) {
      expect(() => parseScenario(pretty({ rateLimit: { burst: 5, perSecond: 1, groups: [{ name: 'g', routes: [good], burst: 1, perSecond: 1 }] } }), 'x')).not.toThrow();
    }
    expect(errorOf({ burst: 5, perSecond: 1, groups: [readUsers, { name: 'again', routes: ['GET /api/v2/users'], burst: 1, perSecond: 1 }] }).message).toBe(
      'rateLimit.groups[1].routes[0] "GET /api/v2/users" is already listed at rateLimit.groups[0].routes[1] (a request belongs to the first group that matches)',
    );
    expect(errorOf({ burst: 5, perSecond: 1, groups: [{ name: 'other', routes: ['* /api/v2/**'], burst: 1, perSecond: 1 }, readUsers] }).message).toBe(
      'rateLimit.groups[1] can never be reached: rateLimit.groups[0] has the catch-all route "* /api/v2/**" (declare it last)',
    );
  });

  it('POST /__sandbox/rate-limit bodies: the same syntax with the body\'s own lines, null for none', () => {
    expect(parseRateLimitOverride('null', 'body')).toBeNull();
    expect(parseRateLimitOverride('{"burst": 3, "perMinute": 30}', 'body')).toStrictEqual({ burst: 3, perMinute: 30 });
    const text = pretty({ burst: 3, perSecond: 1, groups: [{ name: 'g', routes: ['GET /api/v2/users'], burst: 0, perSecond: 1 }] });
    try {
      parseRateLimitOverride(text, 'body');
      throw new Error('expected a ScenarioError');
    } catch (err) {
      expect(err).toBeInstanceOf(ScenarioError);
      expect((err as ScenarioError).message).toBe('rateLimit.groups[0].burst must be a positive integer');
      expect((err as ScenarioError).line).toBe(lineOf(text, '"burst": 0'));
    }
    expect(() => parseRateLimitOverride('', 'body')).toThrow('the body must be a rate limit ({"burst", "perSecond" or "perMinute", "groups"?}), or null for none');
    expect(() => parseRateLimitOverride('{"burst": 3,\n"perSecond": }', 'body')).toThrow(/^invalid JSON/);
  });
});

describe('RateLimiter (fake clock)', () => {
  const spec: RateLimitSpec = {
    burst: 5,
    perSecond: 1,
    groups: [
      { name: 'read-users', routes: ['GET /api/v2/users/*'], burst: 3, perMinute: 6 },
      { name: 'delete-users', routes: ['DELETE /api/v2/users/*'], burst: 2, perSecond: 1 },
    ],
  };
  const clock = () => {
    const c = { t: Date.parse('2030-01-01T00:00:00.000Z') };
    return { c, now: () => c.t };
  };

  it('without groups it is the old single bucket, verdict for verdict', () => {
    const { c, now } = clock();
    const old = new TokenBucket({ burst: 3, perSecond: 1.5 }, now);
    const limiter = new RateLimiter({ burst: 3, perSecond: 1.5 }, now);
    for (const step of [0, 0, 0, 0, 300, 400, 0, 0, 2500, 0, 0, 0, 0]) {
      c.t += step;
      const verdict = old.take();
      const decision = limiter.take('GET', '/api/v2/users');
      expect(decision.headers).toEqual(verdict);
      expect(decision.allowed).toBe(verdict.allowed);
    }
  });

  it('a group empties on its own; the others and the global bucket go on', () => {
    const { now } = clock();
    const limiter = new RateLimiter(spec, now);
    for (let i = 0; i < 3; i++) expect(limiter.take('GET', '/api/v2/users/auth0%7C1').allowed).toBe(true);
    const refused = limiter.take('GET', '/api/v2/users/auth0%7C1');
    expect(refused).toMatchObject({ allowed: false, headers: { limit: 3, remaining: 0 }, refusal: { bucket: 'read-users', global: false, size: 3, message: 'Global per minute read-users group limit has been reached' } });
    expect(limiter.take('DELETE', '/api/v2/users/auth0%7C1')).toMatchObject({ allowed: true, headers: { limit: 2, remaining: 1 } });
    // The refused request took nothing from the global bucket: 5 - 3 - 1 = 1 left.
    expect(limiter.take('GET', '/api/v2/connections')).toMatchObject({ allowed: true, headers: { limit: 5, remaining: 0 } });
    // Now the global bucket is empty: a delete with a token left in its group is refused by the global limit.
    expect(limiter.take('DELETE', '/api/v2/users/auth0%7C2')).toMatchObject({ allowed: false, headers: { limit: 5, remaining: 0 }, refusal: { bucket: 'global', global: true, size: 5, message: 'Global limit has been reached' } });
    const stats = limiter.stats();
    expect(stats).toMatchObject({ requests: 7, limited: 2, ungrouped: 1, since: '2030-01-01T00:00:00.000Z' });
    expect(stats.buckets.map((b) => [b.name, b.requests, b.taken, b.limited, b.remaining])).toEqual([
      ['global', 7, 5, 1, 0],
      ['read-users', 4, 3, 1, 0],
      ['delete-users', 2, 1, 0, 1],
    ]);
  });

  it('headers: the bucket closer to empty; a tie goes to the group', () => {
    const { now } = clock();
    const limiter = new RateLimiter(spec, now);
    // global 5 → 4, read-users 3 → 2: the group is lower.
    expect(limiter.take('GET', '/api/v2/users/a').headers).toMatchObject({ limit: 3, remaining: 2 });
    limiter.take('GET', '/api/v2/logs'); // global → 3 (no group)
    // global 3 → 2, delete-users 2 → 1: the group.
    expect(limiter.take('DELETE', '/api/v2/users/a').headers).toMatchObject({ limit: 2, remaining: 1 });
    // global 2 → 1, read-users 2 → 1: a tie, the group's limit is shown.
    expect(limiter.take('GET', '/api/v2/users/a').headers).toMatchObject({ limit: 3, remaining: 1 });
    // global 1 → 0, delete-users 1 → 0: a tie again.
    expect(limiter.take('DELETE', '/api/v2/users/a').headers).toMatchObject({ limit: 2, remaining: 0 });
  });

  it('refill: per minute by the millisecond (6/min is one token every 10 s), x-ratelimit-reset when the next one comes', () => {
    const { c, now } = clock();
    const limiter = new RateLimiter({ burst: 100, perSecond: 100, groups: [spec.groups![0]!] }, now);
    for (let i = 0; i < 3; i++) limiter.take('GET', '/api/v2/users/a');
    const refused = limiter.take('GET', '/api/v2/users/a');
    expect(refused.allowed).toBe(false);
    expect(refused.headers.reset).toBe(c.t / 1000 + 10);
    c.t += 9_999;
    expect(limiter.take('GET', '/api/v2/users/a').allowed).toBe(false);
    c.t += 1;
    expect(limiter.take('GET', '/api/v2/users/a')).toMatchObject({ allowed: true, headers: { remaining: 0 } });
    c.t += 60_000; // a minute refills 6, capped at the burst of 3
    for (let i = 0; i < 3; i++) expect(limiter.take('GET', '/api/v2/users/a').allowed).toBe(true);
    expect(limiter.take('GET', '/api/v2/users/a').allowed).toBe(false);
  });
});

describe('the rate-limit presets', () => {
  const load = (file: string) => parseScenario(readFileSync(`examples/scenarios/${file}`, 'utf8'), file);

  it('rate-free.json: 2 burst, 2 per second, tenant-wide', () => {
    const s = load('rate-free.json');
    expect(s.tenant).toBe('acme-free');
    expect(s.rateLimit).toStrictEqual({ burst: 2, perSecond: 2 });
  });

  it('rate-enterprise.json: 50 burst, 16 per second (production), no group the sandbox serves', () => {
    expect(load('rate-enterprise.json').rateLimit).toStrictEqual({ burst: 50, perSecond: 16 });
  });

  it('rate-self-service.json: the published groups per minute under a global bucket above their sum', () => {
    const rl = load('rate-self-service.json').rateLimit!;
    expect(rl.groups!.map((g) => [g.name, g.burst, g.perMinute, g.routes])).toEqual([
      ['read-users', 40, 500, ['GET /api/v2/users', 'GET /api/v2/users/*', 'GET /api/v2/users-by-email']],
      ['write-users', 20, 200, ['POST /api/v2/users', 'PATCH /api/v2/users/*']],
      ['delete-users', 20, 200, ['DELETE /api/v2/users/*']],
      ['read-logs', 10, 100, ['GET /api/v2/logs', 'GET /api/v2/logs/*']],
      ['read-connections', 5, 50, ['GET /api/v2/connections', 'GET /api/v2/connections/*']],
      ['other', 10, 150, ['* /api/v2/**']],
    ]);
    const sumBurst = rl.groups!.reduce((n, g) => n + g.burst, 0);
    const sumPerSecond = rl.groups!.reduce((n, g) => n + g.perMinute! / 60, 0);
    expect(rl.burst).toBeGreaterThan(sumBurst);
    expect(rl.perSecond).toBeGreaterThan(sumPerSecond);
  });

  it('each is a small tenant with the lazy-migration connection, healthy users, ghosts and a stuck profile', () => {
    for (const file of ['rate-free.json', 'rate-self-service.json', 'rate-enterprise.json']) {
      const s = load(file);
      expect(s.connections.map((c) => [c.name, c.id, c.options.import_mode])).toEqual([['legacy-db', 'con_Lg7cYq2RzX4mB9tK', true]]);
      expect(s.users.map((u) => u.email)).toEqual(['alice.ng@acme.com', 'dave.kim@acme.com', 'chloe.martin@acme.com']);
      expect(s.ghosts.map((g) => g.email)).toEqual(['jane.doe@acme.com', 'raj.patel@acme.com', 'li.wei@acme.com']);
      expect(s.logs.filter((l) => l.type === 'fs')).toHaveLength(4);
    }
  });
});
