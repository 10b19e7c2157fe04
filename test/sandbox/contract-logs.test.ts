import { readFileSync } from 'node:fs';
import { Management, ManagementError } from 'auth0';
import { describe, expect, it } from 'vitest';
import { ACME_SCENARIO, LEGACY_DB, rejection, useSandbox } from '../helpers/sandbox.js';

/**
 * Contract tests for GET /api/v2/logs through the official auth0 v7 SDK: search mode (what
 * `logs.list` sends: `search`, page, per_page, include_totals) and checkpoint mode (`from`/`take`,
 * which the SDK only sends through requestOptions.queryParams), plus the records writes leave.
 */

const ACME = JSON.parse(readFileSync(ACME_SCENARIO, 'utf8')) as Record<string, unknown>;
const UPA = 'con_Up7Hw3NbQ8sLx2Ve';
const GHOSTS = ['jane.doe@acme.com', 'raj.patel@acme.com', 'marco.rossi@acme.com', 'olga.ivanova@acme.com', 'sam.okafor@acme.com', 'li.wei@acme.com'];
/** Profiles on legacy-db that never logged in, blocked all the same (acme-mixed.json). */
const STUCK_PROFILES = ['chloe.martin@acme.com', 'omar.haddad@acme.com'];
/** acme-mixed.json preloads 11 log records. */
const PRELOADED = 11;

type Log = Management.Log & { log_id: string; date: string; type: string; details?: any };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const sb = useSandbox(ACME);

/** A checkpoint read: the body is a plain array, so the SDK page has no items; read page.response. */
async function checkpoint(from: string, take: number): Promise<{ logs: Log[]; link: string | null }> {
  const page = await sb().mgmt.logs.list({}, { queryParams: { from, take } });
  expect(page.data).toEqual([]);
  expect(Array.isArray(page.response)).toBe(true);
  return { logs: page.response as unknown as Log[], link: page.rawResponse.headers.get('link') };
}

describe('search mode', () => {
  it('search type:fs finds the eight preloaded fs records (six ghosts, two stuck profiles), newest first, in the include_totals shape', async () => {
    const page = await sb().mgmt.logs.list({ search: 'type:fs' });
    expect(page.response).toMatchObject({ start: 0, limit: 50, length: 8, total: 8 });
    expect(page.data.map((l) => l.user_name)).toEqual([
      'omar.haddad@acme.com',
      'chloe.martin@acme.com',
      'li.wei@acme.com',
      'sam.okafor@acme.com',
      'olga.ivanova@acme.com',
      'marco.rossi@acme.com',
      'raj.patel@acme.com',
      'jane.doe@acme.com',
    ]);
    expect(new Set(page.data.map((l) => l.user_name))).toEqual(new Set([...GHOSTS, ...STUCK_PROFILES]));
    expect(page.data[0]).toMatchObject({ type: 'fs', description: 'The user already exists.', connection: 'legacy-db', connection_id: LEGACY_DB, tenant_name: 'acme-dev', date: '2024-05-02T10:37:41.902Z' });
    expect(page.data[2]).toMatchObject({ type: 'fs', description: 'The user already exists.', connection: 'legacy-db', connection_id: LEGACY_DB, tenant_name: 'acme-dev', date: '2024-05-02T10:35:03.118Z' });
    const journal = (await sb().control.journal()).filter((e) => e.path === '/api/v2/logs');
    expect(journal[0]!.query).toEqual({ page: '0', per_page: '50', include_totals: 'true', search: 'type:fs' });
  });

  it('search user_name:"x" (quoted, exact, case-sensitive), wildcards, AND, sort and ranges', async () => {
    const jane = await sb().mgmt.logs.list({ search: 'user_name:"jane.doe@acme.com"' });
    expect(jane.data.map((l) => `${l.type} ${l.description}`)).toEqual(['fs The user already exists.']);
    expect((await sb().mgmt.logs.list({ search: 'user_name:"Jane.Doe@acme.com"' })).data).toEqual([]);
    expect((await sb().mgmt.logs.list({ search: 'description:*already*' })).response).toMatchObject({ total: 9 }); // 8 fs + the fce
    expect((await sb().mgmt.logs.list({ search: 'type:fs AND user_name:raj*' })).data.map((l) => l.user_name)).toEqual(['raj.patel@acme.com']);
    const oldest = await sb().mgmt.logs.list({ sort: 'date:1', per_page: 2 });
    expect(oldest.data.map((l) => l.date)).toEqual(['2024-05-02T10:30:12.551Z', '2024-05-02T10:32:11.204Z']);
    expect((await sb().mgmt.logs.list({ search: 'date:[2024-05-02T10:38:00.000Z TO *]' })).data.map((l) => l.type)).toEqual(['s', 'fp', 'fce']);
    const bad = await rejection(sb().mgmt.logs.list({ search: 'unknown_field:x' }));
    expect(bad).toBeInstanceOf(Management.BadRequestError);
  });

  it('per_page over 100 is rejected (400), as is paging past the 1000-result window', async () => {
    const err = await rejection(sb().mgmt.logs.list({ per_page: 101 }));
    expect(err).toBeInstanceOf(Management.BadRequestError);
    expect(err.body).toEqual({ statusCode: 400, error: 'Bad Request', message: "Query validation error: 'Number is too large (101 > 100)' on property per_page", errorCode: 'invalid_query_string' });
    expect((await sb().mgmt.logs.list({ per_page: 100 })).data).toHaveLength(PRELOADED);
    const window = await rejection(sb().mgmt.logs.list({ page: 10, per_page: 100 }));
    expect((window.body as { message: string }).message).toBe('You can only page through the first 1000 records.');
  });

  it('paging: page/per_page slices the newest-first list; include_totals=false gives a plain array', async () => {
    const second = await sb().mgmt.logs.list({ page: 1, per_page: 4 });
    expect(second.response).toMatchObject({ start: 4, limit: 4, length: 4, total: PRELOADED });
    const all: string[] = [];
    for await (const l of await sb().mgmt.logs.list({ per_page: 4 })) all.push(l.log_id!);
    expect(all).toHaveLength(PRELOADED);
    expect(new Set(all).size).toBe(PRELOADED);
    const plain = await sb().mgmt.logs.list({ include_totals: false, per_page: 3 });
    expect(Array.isArray(plain.response)).toBe(true);
    expect((plain.response as unknown as Log[]).map((l) => l.type)).toEqual(['s', 'fp', 'fce']);
  });
});

describe('checkpoint mode (from/take)', () => {
  it('returns records after `from`, oldest first, with a Link to the next checkpoint; q/search are ignored', async () => {
    const everything = (await sb().control.state()).logs as Log[];
    const ids = everything.map((l) => l.log_id);
    expect(ids).toHaveLength(PRELOADED);
    for (const id of ids) expect(id).toMatch(/^\d{56}$/);
    expect([...ids].sort()).toEqual(ids); // string order = numeric order = insertion order

    const first = await checkpoint('0', 4);
    expect(first.logs.map((l) => l.log_id)).toEqual(ids.slice(0, 4));
    expect(first.logs.map((l) => l.date)).toEqual([...first.logs.map((l) => l.date)].sort());
    expect(first.link).toBe(`<${sb().running.url}/api/v2/logs?from=${ids[3]}&take=4>; rel="next"`);
    const second = await checkpoint(ids[3]!, 4);
    expect(second.logs.map((l) => l.log_id)).toEqual(ids.slice(4, 8));
    const third = await checkpoint(ids[7]!, 4);
    expect(third.logs.map((l) => l.log_id)).toEqual(ids.slice(8));
    expect(third.link).toBe(`<${sb().running.url}/api/v2/logs?from=${ids.at(-1)}&take=4>; rel="next"`);
    const empty = await checkpoint(ids.at(-1)!, 4);
    expect(empty).toEqual({ logs: [], link: `<${sb().running.url}/api/v2/logs?from=${ids.at(-1)}&take=4>; rel="next"` });

    // The SDK still sends page/per_page/include_totals/search; checkpoint mode ignores them.
    const ignored = await sb().mgmt.logs.list({ search: 'type:s' }, { queryParams: { from: ids[0]!, take: 2 } });
    expect((ignored.response as unknown as Log[]).map((l) => l.log_id)).toEqual(ids.slice(1, 3));
    const journal = (await sb().control.journal()).filter((e) => e.path === '/api/v2/logs').at(-1)!;
    expect(journal.query).toMatchObject({ from: ids[0], take: '2', search: 'type:s', include_totals: 'true' });

    const tooMany = await rejection(sb().mgmt.logs.list({}, { queryParams: { from: '0', take: 101 } }));
    expect(tooMany.statusCode).toBe(400);
  });

  it('new records appear after the last checkpoint, in the order they were written', async () => {
    const last = ((await sb().control.state()).logs as Log[]).at(-1)!.log_id;
    await sb().control.endUser('signup', { email: 'jane.doe@acme.com', password: 'x' });
    await sb().control.endUser('login', { email: 'alice.ng@acme.com', password: 'Alice-Legacy-2024!' });
    const { logs } = await checkpoint(last, 100);
    expect(logs.map((l) => `${l.type}:${l.user_name}`)).toEqual(['fs:jane.doe@acme.com', 's:alice.ng@acme.com']);
    expect(BigInt(logs[0]!.log_id)).toBe(BigInt(last) + 1n);
  });
});

describe('records written by the sandbox', () => {
  it('every Management API write produced one sapi record with the request and response', async () => {
    const last = ((await sb().control.state()).logs as Log[]).at(-1)!.log_id;
    const created = await sb().mgmt.users.create({ connection: 'Username-Password-Authentication', email: 'new@acme.com', password: 'Secret-2024!' });
    await sb().mgmt.users.update(created.user_id!, { user_metadata: { a: 1 } });
    await sb().mgmt.users.delete(created.user_id!);
    await sb().mgmt.connections.users.deleteByEmail(LEGACY_DB, { email: 'jane.doe@acme.com' });
    await sb().mgmt.connections.update(UPA, { display_name: 'Portal' });
    await sb().mgmt.tickets.changePassword({ user_id: 'auth0|legacy-1007' });
    await sb().mgmt.jobs.usersImports.create({ users: Buffer.from('[]'), connection_id: UPA });
    await sb().mgmt.jobs.usersExports.create({ format: 'json' });
    // Reads and failed writes write nothing.
    await sb().mgmt.users.get('auth0|legacy-1007');
    await rejection(sb().mgmt.users.create({ connection: 'legacy-db', email: 'raj.patel@acme.com', password: 'x' }));

    const { logs } = await checkpoint(last, 100);
    const sapi = logs.filter((l) => l.type === 'sapi');
    expect(sapi.map((l) => `${l.details.request.method} ${l.details.request.path} → ${l.details.response.statusCode} ${l.description}`)).toEqual([
      `post /api/v2/users → 201 Create a User`,
      `patch /api/v2/users/${encodeURIComponent(created.user_id!)} → 200 Update a User`,
      `delete /api/v2/users/${encodeURIComponent(created.user_id!)} → 204 Delete a User`,
      `delete /api/v2/connections/${LEGACY_DB}/users → 204 Delete a connection user`,
      `patch /api/v2/connections/${UPA} → 200 Update a connection`,
      'post /api/v2/tickets/password-change → 201 Create a Password Change Ticket',
      'post /api/v2/jobs/users-imports → 202 Create import users job',
      'post /api/v2/jobs/users-exports → 201 Create export users job',
    ]);
    expect(sapi[0]!.details.request).toMatchObject({ channel: 'api', body: { email: 'new@acme.com', password: '*****' }, auth: { credentials: { scopes: expect.arrayContaining(['create:users']) } } });
    expect(JSON.stringify(logs)).not.toContain('Secret-2024!');
    expect(sapi[3]!.details.request.query).toEqual({ email: 'jane.doe@acme.com' });
    expect(logs.map((l) => l.type)).toEqual(['sapi', 'sapi', 'sapi', 'sdu', 'sapi', 'sapi', 'sapi', 'sapi', 'sapi']);
    expect(logs[3]).toMatchObject({ type: 'sdu', user_id: created.user_id, user_name: 'new@acme.com', connection: 'Username-Password-Authentication' });
    // And search finds them.
    expect((await sb().mgmt.logs.list({ search: 'type:sapi' })).response).toMatchObject({ total: 8 });
  });

  it('a rate-limited request is logged as api_limit', async () => {
    await sb().control.reset({ ...ACME, rateLimit: { burst: 2, perSecond: 2 } });
    await sb().mgmt.users.get('auth0|legacy-1007');
    await sb().mgmt.users.get('auth0|legacy-1007');
    const err = await rejection(sb().mgmt.users.listUsersByEmail({ email: 'alice.ng@acme.com' }));
    expect(err.statusCode).toBe(429);
    await sleep(550); // let a token come back
    const page = await sb().mgmt.logs.list({ search: 'type:api_limit' });
    expect(page.data).toHaveLength(1);
    expect(page.data[0]).toMatchObject({ type: 'api_limit', description: 'Global limit has been reached', details: { request: { method: 'get', path: '/api/v2/users-by-email' }, limit: { size: 2, global: true } } });
  });
});
