import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { Management, ManagementError } from 'auth0';
import { beforeEach, describe, expect, it } from 'vitest';
import { ACME_SCENARIO, LEGACY_DB, rejection, useSandbox } from '../helpers/sandbox.js';

/**
 * Contract tests for what the server itself does (tokens, scopes, rate limits, faults, the control
 * plane, unknown routes), driven through the official auth0 v7 SDK over TLS, as the product does.
 */

const ACME = JSON.parse(readFileSync(ACME_SCENARIO, 'utf8')) as Record<string, unknown>;

const sb = useSandbox(ACME);

describe('auth: client credentials over TLS', () => {
  it('the token endpoint issues a bearer token with every scope for the default client', async () => {
    const res = await fetch(`${sb().running.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'client_credentials', client_id: sb().running.clientId, client_secret: sb().running.clientSecret, audience: `https://${sb().running.domain}/api/v2/` }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 86400 });
    expect(body.access_token).toEqual(expect.any(String));
    expect(String(body.scope).split(' ')).toEqual(expect.arrayContaining(['read:users', 'delete:users', 'create:users', 'read:logs', 'update:connections']));

    // The SDK does the same dance and then calls the API with the token.
    const page = await sb().mgmt.connections.list({ name: 'legacy-db' });
    expect(page.data.map((c) => c.id)).toEqual([LEGACY_DB]);
    const journal = await sb().control.journal();
    expect(journal.map((e) => `${e.method} ${e.path} ${e.status}`)).toContain('GET /api/v2/connections 200');
  });

  it('sb.env is a complete environment: a child process reaches the sandbox with the SDK from it alone', async () => {
    const env = sb().env;
    expect(env).toMatchObject({ AUTH0_DOMAIN: sb().running.domain, AUTH0_CLIENT_ID: sb().running.clientId, AUTH0_CLIENT_SECRET: sb().running.clientSecret, NODE_EXTRA_CA_CERTS: sb().running.caCertPath, NO_COLOR: '1' });
    delete env.AUTH0_DOMAIN;
    expect(sb().env.AUTH0_DOMAIN).toBe(sb().running.domain); // a fresh copy on every read
    const script = `import { ManagementClient } from 'auth0';
      const { AUTH0_DOMAIN: domain, AUTH0_CLIENT_ID: clientId, AUTH0_CLIENT_SECRET: clientSecret } = process.env;
      const page = await new ManagementClient({ domain, clientId, clientSecret }).connections.list({ name: 'legacy-db' });
      console.log(JSON.stringify(page.data.map((c) => c.id)));`;
    // Asynchronous on purpose: the sandbox runs in this process and must keep answering.
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { env: sb().env });
    expect(stderr).toBe('');
    expect(JSON.parse(stdout)).toEqual([LEGACY_DB]);
  });

  it('a wrong client secret: the token request fails and the SDK rejects with a 401 ManagementError', async () => {
    const err = await rejection(sb().client({ clientSecret: 'not-the-secret' }).users.list());
    expect(err.statusCode).toBe(401);
    expect(err.body).toEqual({ error: 'access_denied', error_description: 'Unauthorized' });
    const journal = await sb().control.journal();
    expect(journal.some((e) => e.path.startsWith('/api/v2/'))).toBe(false); // never got past the token
    expect(journal.filter((e) => e.path === '/oauth/token').map((e) => e.status)).toContain(401);
  });

  it('an unknown client id is refused the same way', async () => {
    const err = await rejection(sb().client({ clientId: 'nobody', clientSecret: 'x' }).connections.get(LEGACY_DB));
    expect(err.statusCode).toBe(401);
  });

  it('no token on a raw request: 401 Missing authentication; a made-up token: 401 Invalid token', async () => {
    const none = await fetch(`${sb().running.url}/api/v2/users?q=email:%22alice.ng@acme.com%22`);
    expect(none.status).toBe(401);
    expect(await none.json()).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'Missing authentication' });
    const forged = await fetch(`${sb().running.url}/api/v2/users`, { headers: { authorization: 'Bearer forged' } });
    expect(forged.status).toBe(401);
    expect(await forged.json()).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'Invalid token' });
  });
});

describe('auth: a scenario client with only some scopes', () => {
  const scoped = useSandbox({
    tenant: 'scoped',
    connections: [{ name: 'db', id: 'con_DbDbDbDbDbDbDbDb' }],
    users: [{ email: 'ann@example.com', connection: 'db', password: 'pw', user_id: 'ann-1' }],
    clients: [
      { client_id: 'full-client', client_secret: 'full-secret' },
      { client_id: 'reader-client', client_secret: 'reader-secret', scopes: ['read:users'] },
    ],
  });

  it('the token carries only the client scopes; reads work, a delete is 403 insufficient_scope', async () => {
    const reader = scoped().client({ clientId: 'reader-client', clientSecret: 'reader-secret' });
    expect((await reader.users.listUsersByEmail({ email: 'ann@example.com' })).map((u) => u.user_id)).toEqual(['auth0|ann-1']);

    const err = await rejection(reader.connections.users.deleteByEmail('con_DbDbDbDbDbDbDbDb', { email: 'ann@example.com' }));
    expect(err).toBeInstanceOf(Management.ForbiddenError);
    expect(err.statusCode).toBe(403);
    expect(err.body).toEqual({ statusCode: 403, error: 'Forbidden', message: 'Insufficient scope, expected any of: delete:users', errorCode: 'insufficient_scope' });

    const del = await rejection(reader.users.delete('auth0|ann-1'));
    expect(del).toBeInstanceOf(Management.ForbiddenError);
    expect((del.body as { message: string }).message).toBe('Insufficient scope, expected any of: delete:users');
    const logsErr = await rejection(reader.logs.list());
    expect((logsErr.body as { message: string }).message).toBe('Insufficient scope, expected any of: read:logs');

    // Nothing was deleted; the first client (every scope, since it lists none) still can.
    const state = await scoped().control.state();
    expect(state.users.map((u: { user_id: string }) => u.user_id)).toEqual(['auth0|ann-1']);
    expect(state.clients).toEqual([
      { client_id: 'full-client', scopes: expect.arrayContaining(['delete:users', 'read:logs']) },
      { client_id: 'reader-client', scopes: ['read:users'] },
    ]);
    await scoped().mgmt.connections.users.deleteByEmail('con_DbDbDbDbDbDbDbDb', { email: 'ann@example.com' });
    expect(await scoped().mgmt.users.listUsersByEmail({ email: 'ann@example.com' })).toEqual([]);
  });
});

describe('rate limiting (token bucket: burst 3, 1 per second)', () => {
  const limited = { tenant: 'limited', connections: [{ name: 'db', id: 'con_RateRateRateRate' }], users: [{ email: 'ann@example.com', connection: 'db', user_id: 'ann-1' }], rateLimit: { burst: 3, perSecond: 1 } };
  beforeEach(() => sb().control.reset(limited));

  it('every /api/v2 success carries x-ratelimit-limit/remaining/reset (epoch seconds)', async () => {
    const before = Math.floor(Date.now() / 1000);
    const first = await sb().mgmt.users.get('auth0|ann-1').withRawResponse();
    const second = await sb().mgmt.connections.get('con_RateRateRateRate').withRawResponse();
    for (const [r, remaining] of [[first, '2'], [second, '1']] as const) {
      expect(r.rawResponse.headers.get('x-ratelimit-limit')).toBe('3');
      expect(r.rawResponse.headers.get('x-ratelimit-remaining')).toBe(remaining);
      const reset = Number(r.rawResponse.headers.get('x-ratelimit-reset'));
      expect(Number.isInteger(reset)).toBe(true);
      expect(reset).toBeGreaterThanOrEqual(before);
      expect(reset).toBeLessThanOrEqual(before + 5); // seconds, not milliseconds
    }
  });

  it('error responses (404, 401) carry the x-ratelimit headers too', async () => {
    const err = await rejection(sb().mgmt.users.get('auth0|nobody'));
    expect(err.statusCode).toBe(404);
    expect(err.rawResponse?.headers.get('x-ratelimit-limit')).toBe('3');
    const raw = await fetch(`${sb().running.url}/api/v2/users`);
    expect(raw.status).toBe(401);
    expect(raw.headers.get('x-ratelimit-limit')).toBe('3');
  });

  it('the 4th quick request is 429 too_many_requests with a reset in the future, and is logged as api_limit', async () => {
    for (let i = 0; i < 3; i++) await sb().mgmt.users.get('auth0|ann-1');
    const err = await rejection(sb().mgmt.users.get('auth0|ann-1'));
    expect(err).toBeInstanceOf(Management.TooManyRequestsError);
    expect(err.statusCode).toBe(429);
    expect(err.body).toEqual({ statusCode: 429, error: 'Too Many Requests', message: 'Global limit has been reached', errorCode: 'too_many_requests' });
    const headers = err.rawResponse!.headers;
    expect(headers.get('x-ratelimit-limit')).toBe('3');
    expect(headers.get('x-ratelimit-remaining')).toBe('0');
    expect(Number(headers.get('x-ratelimit-reset')) * 1000).toBeGreaterThan(Date.now());

    const state = await sb().control.state();
    const limits = state.logs.filter((l: { type: string }) => l.type === 'api_limit');
    expect(limits).toHaveLength(1);
    expect(limits[0]).toMatchObject({ description: 'Global limit has been reached', details: { request: { method: 'get', path: '/api/v2/users/auth0%7Cann-1' } } });
  });

  it('with the SDK default retries (2) a burst still succeeds: the SDK waits until x-ratelimit-reset', async () => {
    const patient = sb().client({ maxRetries: 2 });
    const started = Date.now();
    const users = await Promise.all([1, 2, 3, 4].map(() => patient.users.get('auth0|ann-1')));
    expect(users.map((u) => u.user_id)).toEqual(['auth0|ann-1', 'auth0|ann-1', 'auth0|ann-1', 'auth0|ann-1']);
    const statuses = (await sb().control.journal()).filter((e) => e.path.startsWith('/api/v2/users/')).map((e) => e.status);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(1);
    expect(statuses.filter((s) => s === 200)).toHaveLength(4);
    expect(statuses.at(-1)).toBe(200);
    expect(Date.now() - started).toBeGreaterThan(200); // it did wait for a token
  });
});

describe('fault injection', () => {
  const plain = { tenant: 'faulty', connections: [{ name: 'db', id: 'con_FaultFaultFault1' }], users: [{ email: 'ann@example.com', connection: 'db', user_id: 'ann-1' }] };
  beforeEach(() => sb().control.reset(plain));

  it('sequence [503, "ok"] on GET /api/v2/users/*: with maxRetries 1 the SDK succeeds after one retry', async () => {
    const res = await sb().control.faults([{ route: 'GET /api/v2/users/*', sequence: [503, 'ok'] }]);
    expect(res.status).toBe(200);
    const user = await sb().client({ maxRetries: 1 }).users.get('auth0|ann-1');
    expect(user.email).toBe('ann@example.com');
    const journal = (await sb().control.journal()).filter((e) => e.path.startsWith('/api/v2/'));
    expect(journal.map((e) => `${e.method} ${e.path} ${e.status}`)).toEqual(['GET /api/v2/users/auth0%7Cann-1 503', 'GET /api/v2/users/auth0%7Cann-1 200']);
  });

  it('without retries the injected 503 reaches the caller with an Auth0-shaped body; other routes are untouched', async () => {
    await sb().control.faults([{ route: 'GET /api/v2/users/*', sequence: [503] }]);
    expect((await sb().mgmt.connections.get('con_FaultFaultFault1')).name).toBe('db');
    const err = await rejection(sb().mgmt.users.get('auth0|ann-1'));
    expect(err.statusCode).toBe(503);
    expect(err.body).toEqual({ statusCode: 503, error: 'Service Unavailable', message: 'Injected fault: Service Unavailable' });
    expect((await sb().mgmt.users.get('auth0|ann-1')).user_id).toBe('auth0|ann-1'); // sequence exhausted
  });

  it('"drop" destroys the connection: the SDK call rejects with a connection error, journaled as status 0', async () => {
    await sb().control.faults([{ route: 'GET /api/v2/users/*', sequence: ['drop'] }]);
    const err = await rejection(sb().mgmt.users.get('auth0|ann-1'));
    expect(err.statusCode).toBeUndefined();
    expect(err.message).toMatch(/fetch failed|socket|closed|ECONNRESET/i);
    const journal = await sb().control.journal();
    expect(journal.find((e) => e.path === '/api/v2/users/auth0%7Cann-1')?.status).toBe(0);
    expect((await sb().mgmt.users.get('auth0|ann-1')).user_id).toBe('auth0|ann-1');
  });

  it('latencyMs delays every matching request', async () => {
    await sb().mgmt.users.get('auth0|ann-1'); // token fetched, connection warm
    await sb().control.faults([{ route: 'GET /api/v2/users/*', latencyMs: 300 }]);
    for (let i = 0; i < 2; i++) {
      const started = performance.now();
      await sb().mgmt.users.get('auth0|ann-1');
      expect(performance.now() - started).toBeGreaterThanOrEqual(295);
    }
    const started = performance.now();
    await sb().mgmt.connections.get('con_FaultFaultFault1');
    expect(performance.now() - started).toBeLessThan(250);
  });

  it('probability 1 with status 500 and times 2: exactly two 500s, then requests pass', async () => {
    await sb().control.faults([{ route: '* /api/v2/users/**', probability: 1, status: 500, times: 2 }]);
    for (let i = 0; i < 2; i++) {
      const err = await rejection(sb().mgmt.users.get('auth0|ann-1'));
      expect(err.statusCode).toBe(500);
      expect(err.body).toEqual({ statusCode: 500, error: 'Internal Server Error', message: 'Injected fault: Internal Server Error' });
    }
    expect((await sb().mgmt.users.get('auth0|ann-1')).user_id).toBe('auth0|ann-1');
    expect((await sb().control.journal()).filter((e) => e.path.startsWith('/api/v2/')).map((e) => e.status)).toEqual([500, 500, 200]);
  });

  it('faults from a scenario apply after reset; a bad fault spec is a 400 naming the setting', async () => {
    await sb().control.reset({ ...plain, faults: [{ route: 'DELETE /api/v2/users/*', sequence: [503, 'ok'] }] });
    const err = await rejection(sb().mgmt.users.delete('auth0|ann-1'));
    expect(err.statusCode).toBe(503);
    expect((await sb().control.state()).users).toHaveLength(1);
    await sb().mgmt.users.delete('auth0|ann-1');
    expect((await sb().control.state()).users).toHaveLength(0);

    const bad = await sb().control.faults([{ route: 'GET /api/v2/users/*', sequence: [200] }]);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toBe('faults[0].sequence[0] must be "ok", "drop" or an HTTP status 400-599');
  });

  describe('after: true (the fault strikes once the request was handled)', () => {
    /** Jobs that are due at once: the next request applies them. */
    const instant = { ...plain, jobs: { pendingMs: 0, processingMs: 0 } };
    const users = (list: unknown) => Buffer.from(JSON.stringify(list));
    const sapi = async (description: string) => (await sb().control.state()).logs.filter((l: { type: string; description: string }) => l.type === 'sapi' && l.description === description);

    it('POST /jobs/users-imports: the client gets a 503, yet the job was created and runs; the sapi log holds its id', async () => {
      await sb().control.reset(instant);
      await sb().control.faults([{ route: 'POST /api/v2/jobs/users-imports', sequence: [503], after: true }]);
      const err = await rejection(sb().mgmt.jobs.usersImports.create({ users: users([{ email: 'new@example.com' }]), connection_id: 'con_FaultFaultFault1' }));
      expect(err.statusCode).toBe(503);
      expect(err.body).toEqual({ statusCode: 503, error: 'Service Unavailable', message: 'Injected fault: Service Unavailable' });
      const journal = (await sb().control.journal()).filter((e) => e.path === '/api/v2/jobs/users-imports');
      expect(journal).toEqual([expect.objectContaining({ method: 'POST', status: 503, handled: 202 })]);

      const [created] = await sapi('Create import users job');
      const id = created.details.response.body.id as string;
      expect(id).toMatch(/^job_[A-Za-z0-9]{16}$/);
      expect((await sb().control.state()).jobs.map((j: { id: string }) => j.id)).toEqual([id]);
      expect(await sb().mgmt.jobs.get(id)).toMatchObject({ id, type: 'users_import', status: 'completed', summary: { inserted: 1, failed: 0, total: 1 } });
      expect((await sb().mgmt.users.listUsersByEmail({ email: 'new@example.com' })).map((u) => u.email)).toEqual(['new@example.com']);
    });

    it("the SDK's own retry after such a 503 makes a second job, which reports DUPLICATED_USER for the users the first inserted", async () => {
      await sb().control.reset(instant);
      await sb().control.faults([{ route: 'POST /api/v2/jobs/users-imports', sequence: [503], after: true }]);
      const job = await sb().client({ maxRetries: 1 }).jobs.usersImports.create({ users: users([{ email: 'new@example.com' }]), connection_id: 'con_FaultFaultFault1' });
      expect((await sb().control.journal()).filter((e) => e.path === '/api/v2/jobs/users-imports').map((e) => [e.status, e.handled])).toEqual([[503, 202], [202, undefined]]);
      expect(await sb().mgmt.jobs.get(job.id!)).toMatchObject({ status: 'completed', summary: { inserted: 0, failed: 1, total: 1 } });
      expect(await sb().mgmt.jobs.errors.get(job.id!)).toEqual([{ user: { email: 'new@example.com' }, errors: [{ code: 'DUPLICATED_USER', message: 'The user already exist and upsert parameter is false' }] }]);
      expect((await sb().control.state()).jobs).toHaveLength(2);
      // Not a ghost: the first job made a healthy user.
      expect((await sb().mgmt.users.listUsersByEmail({ email: 'new@example.com' })).map((u) => u.email)).toEqual(['new@example.com']);
    });

    it('DELETE /users/{id} with "drop": the connection dies without an answer, yet the user is deleted (and a retry is a 204)', async () => {
      await sb().control.faults([{ route: 'DELETE /api/v2/users/*', sequence: ['drop'], after: true }]);
      const err = await rejection(sb().mgmt.users.delete('auth0|ann-1'));
      expect(err.statusCode).toBeUndefined();
      expect(err.message).toMatch(/fetch failed|socket|closed|ECONNRESET/i);
      expect((await sb().control.journal()).find((e) => e.path === '/api/v2/users/auth0%7Cann-1')).toMatchObject({ method: 'DELETE', status: 0, handled: 204 });
      const state = await sb().control.state();
      expect(state.users).toEqual([]);
      expect(state.stores.db).toEqual([]);
      expect(state.logs.map((l: { type: string }) => l.type)).toEqual(['sapi', 'sdu']);
      await sb().mgmt.users.delete('auth0|ann-1'); // gone already: still 204
    });

    it('DELETE /users/{id} with a 503 after: the client sees the error, the user is gone', async () => {
      await sb().control.faults([{ route: 'DELETE /api/v2/users/*', probability: 1, status: 503, times: 1, after: true }]);
      expect((await rejection(sb().mgmt.users.delete('auth0|ann-1'))).statusCode).toBe(503);
      expect((await rejection(sb().mgmt.users.get('auth0|ann-1'))).statusCode).toBe(404);
      expect(await sapi('Delete a User')).toHaveLength(1);
    });

    it('an after-fault needs something to strike with, and after must be a boolean', async () => {
      const latencyOnly = await sb().control.faults([{ route: 'GET /api/v2/users/*', latencyMs: 10, after: true }]);
      expect(latencyOnly.status).toBe(400);
      expect(((await latencyOnly.json()) as { message: string }).message).toBe(
        'faults[0].after needs a sequence or a probability to strike with (latencyMs is always added before the handler)',
      );
      const notBoolean = await sb().control.faults([{ route: 'GET /api/v2/users/*', sequence: [503], after: 'yes' }]);
      expect(((await notBoolean.json()) as { message: string }).message).toBe('faults[0].after must be true or false');
    });
  });

  it('DELETE /__sandbox/faults clears runtime faults', async () => {
    await sb().control.faults([{ route: '* /api/v2/**', probability: 1, status: 503 }]);
    expect((await rejection(sb().mgmt.users.get('auth0|ann-1'))).statusCode).toBe(503);
    const cleared = await fetch(`${sb().running.url}/__sandbox/faults`, { method: 'DELETE' });
    expect(cleared.status).toBe(204);
    expect((await sb().mgmt.users.get('auth0|ann-1')).user_id).toBe('auth0|ann-1');
  });
});

describe('control plane', () => {
  it('GET /__sandbox/state: connections, users, stores with ghosts, legacy without passwords, logs, jobs', async () => {
    const state = await sb().control.state();
    expect(state.tenant).toBe('acme-dev');
    expect(state.connections.map((c: { name: string; id: string }) => `${c.name}=${c.id}`)).toEqual([
      'legacy-db=con_Lg7cYq2RzX4mB9tK',
      'Username-Password-Authentication=con_Up7Hw3NbQ8sLx2Ve',
      'google-oauth2=con_Go4Tz9KqW2mRv6Yb',
    ]);
    expect(state.users).toHaveLength(12);
    expect(state.ghosts.map((g: { email: string }) => g.email).sort()).toEqual([
      'jane.doe@acme.com', 'li.wei@acme.com', 'marco.rossi@acme.com', 'olga.ivanova@acme.com', 'raj.patel@acme.com', 'sam.okafor@acme.com',
    ]);
    expect(state.ghosts[0]).toEqual({ connection: 'legacy-db', email: expect.any(String), user_id: expect.stringMatching(/^auth0\|legacy-\d+$/) });
    expect(Object.keys(state.stores)).toEqual(['legacy-db', 'Username-Password-Authentication']); // no store for a social connection
    expect(state.stores['legacy-db'].find((e: { email: string }) => e.email === 'jane.doe@acme.com')).toEqual({ email: 'jane.doe@acme.com', user_id: 'auth0|legacy-1001', has_password: true, ghost: true });
    // Priya's linked legacy-db identity has a store entry owned by her Google profile: not a ghost.
    expect(state.stores['legacy-db'].find((e: { email: string }) => e.email === 'priya.shah@acme.com')).toMatchObject({ user_id: 'auth0|legacy-1050', ghost: false });
    expect(state.legacy).toHaveLength(18);
    expect(JSON.stringify(state)).not.toContain('Legacy-2024!'); // no password anywhere
    expect(state.legacy[0]).not.toHaveProperty('password');
    expect(state.logs).toHaveLength(11);
    expect(state.jobs).toEqual([]);
    expect(state.clients).toEqual([{ client_id: sb().running.clientId, scopes: expect.arrayContaining(['read:users']) }]);
    expect(JSON.stringify(state)).not.toContain(sb().running.clientSecret);
  });

  it('GET /__sandbox/journal lists method, path, query, status and time of each request', async () => {
    await sb().control.clearJournal();
    const since = Date.now() - 1000;
    await sb().mgmt.users.list({ q: 'email:"alice.ng@acme.com"', per_page: 5 });
    await rejection(sb().mgmt.users.get('auth0|nobody'));
    const journal = (await sb().control.journal()).filter((e) => e.path.startsWith('/api/v2/'));
    expect(journal).toHaveLength(2);
    expect(journal[0]).toMatchObject({ method: 'GET', path: '/api/v2/users', status: 200, query: { q: 'email:"alice.ng@acme.com"', per_page: '5', page: '0', include_totals: 'true' } });
    expect(journal[1]).toMatchObject({ method: 'GET', path: '/api/v2/users/auth0%7Cnobody', query: {}, status: 404 });
    for (const e of journal as Array<{ time: string; ms: number }>) {
      expect(Date.parse(e.time)).toBeGreaterThanOrEqual(since);
      expect(e.ms).toEqual(expect.any(Number));
    }
  });

  it('POST /__sandbox/reset restores the scenario and clears the journal', async () => {
    await sb().mgmt.users.delete('auth0|legacy-1007');
    await sb().mgmt.connections.users.deleteByEmail(LEGACY_DB, { email: 'jane.doe@acme.com' });
    expect((await sb().control.state()).users).toHaveLength(11);
    await sb().control.reset();
    const state = await sb().control.state();
    expect(state.users).toHaveLength(12);
    expect(state.ghosts).toHaveLength(6);
    expect(state.logs).toHaveLength(11); // the sapi/sdu records are gone too
    // The journal restarts at the reset itself.
    expect((await sb().control.journal()).map((e) => `${e.method} ${e.path}`)).toEqual(['POST /__sandbox/reset', 'GET /__sandbox/state', 'GET /__sandbox/journal']);
    expect((await sb().mgmt.users.get('auth0|legacy-1007')).email).toBe('alice.ng@acme.com'); // the old token still works
  });

  it('POST /__sandbox/reset with a scenario body replaces the tenant', async () => {
    await sb().control.reset({ tenant: 'other', connections: [{ name: 'only-db' }], users: [{ email: 'zed@example.com', connection: 'only-db' }] });
    const state = await sb().control.state();
    expect(state.tenant).toBe('other');
    expect(state.connections.map((c: { name: string }) => c.name)).toEqual(['only-db']);
    expect((await sb().mgmt.users.listUsersByEmail({ email: 'zed@example.com' })).map((u) => u.email)).toEqual(['zed@example.com']);
    expect(await sb().mgmt.users.listUsersByEmail({ email: 'alice.ng@acme.com' })).toEqual([]);
    // A plain reset now restores the new scenario.
    await sb().mgmt.users.delete((await sb().mgmt.users.listUsersByEmail({ email: 'zed@example.com' }))[0]!.user_id!);
    await sb().control.reset();
    expect((await sb().control.state()).users.map((u: { email: string }) => u.email)).toEqual(['zed@example.com']);
  });

  it('POST /__sandbox/reset with an invalid scenario is a 400 naming the JSON path, and changes nothing', async () => {
    await sb().control.reset({ tenant: 'other' });
    const bad = await fetch(`${sb().running.url}/__sandbox/reset`, { method: 'POST', body: JSON.stringify({ tenant: 'x', users: [{ email: 'a@b.co', connection: 'nope' }] }) });
    expect(bad.status).toBe(400);
    const body = (await bad.json()) as { message: string };
    expect(body).toMatchObject({ statusCode: 400, error: 'Bad Request', errorCode: 'invalid_body' });
    expect(body.message).toContain('users[0].connection: "nope" is not a declared connection');
    expect((await sb().control.state()).tenant).toBe('other'); // unchanged
  });

  it('POST /__sandbox/reset with a scenario that declares clients: those clients get tokens', async () => {
    await sb().control.reset({ tenant: 'with-clients', clients: [{ client_id: 'reset-client', client_secret: 'reset-secret', scopes: ['read:users'] }] });
    expect((await sb().control.state()).clients).toEqual([{ client_id: 'reset-client', scopes: ['read:users'] }]);
    expect(await sb().client({ clientId: 'reset-client', clientSecret: 'reset-secret' }).users.listUsersByEmail({ email: 'x@example.com' })).toEqual([]);
  });

  it('an unhandled route is a loud 404 naming it, through the SDK and through raw fetch', async () => {
    const err = await rejection(sb().mgmt.roles.list());
    expect(err.statusCode).toBe(404);
    expect(err.body).toEqual({
      statusCode: 404,
      error: 'Not Found',
      message: 'unstick sandbox: no route for GET /api/v2/roles (docs/sandbox.md lists what the sandbox implements)',
      errorCode: 'inexistent_route',
    });
    const token = await fetch(`${sb().running.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: sb().running.clientId, client_secret: sb().running.clientSecret }),
    });
    const { access_token } = (await token.json()) as { access_token: string };
    const raw = await fetch(`${sb().running.url}/api/v2/users/auth0%7Clegacy-1007/roles`, { headers: { authorization: `Bearer ${access_token}` } });
    expect(raw.status).toBe(404);
    expect(((await raw.json()) as { message: string }).message).toBe('unstick sandbox: no route for GET /api/v2/users/auth0%7Clegacy-1007/roles (docs/sandbox.md lists what the sandbox implements)');
    const del = await fetch(`${sb().running.url}/api/v2/connections/${LEGACY_DB}`, { method: 'DELETE', headers: { authorization: `Bearer ${access_token}` } });
    expect(del.status).toBe(404);
    expect((await sb().control.state()).connections).toHaveLength(3);
  });

  it('control-plane requests are never rate limited', async () => {
    await sb().control.reset({ tenant: 'tiny', rateLimit: { burst: 1, perSecond: 0.1 } });
    for (let i = 0; i < 5; i++) expect((await fetch(`${sb().running.url}/__sandbox/state`)).status).toBe(200);
    await sb().mgmt.connections.list();
    expect((await rejection(sb().mgmt.connections.list())).statusCode).toBe(429);
  });
});
