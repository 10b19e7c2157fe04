import { readFileSync } from 'node:fs';
import { Management, ManagementError } from 'auth0';
import { describe, expect, it } from 'vitest';
import { ACME_SCENARIO, LEGACY_DB, rejection, useSandbox } from '../helpers/sandbox.js';

/**
 * Contract tests for GET /api/v2/logs through the official auth0 v7 SDK, as Auth0 documents the
 * endpoint (docs-v2 `deploy-monitor/logs/log-search-query-syntax.mdx`,
 * `retrieve-log-events-using-mgmt-api.mdx`):
 * - search mode: the query goes in `q`, which `logs.list` has no parameter for, so it is sent with
 *   `requestOptions.queryParams: { q }`; `logs.list({ search })` sends `search=`, which Auth0 answers
 *   400 (auth0/auth0-java#842). The SDK always sends page, per_page and include_totals=true, so the
 *   answer is `{start, limit, length, total, logs}` and the Page's `.data` is `logs`.
 * - checkpoint mode: `from`/`take`, which `logs.list` has no parameters for either
 *   (`queryParams: { from, take }`). The answer is a plain array whatever include_totals says, so
 *   the Page's `.data` is [] and the records are in `page.response`.
 * Plus the records writes leave.
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

/** A log search as Auth0 reads it: `q` through queryParams (the SDK's own `search` is refused). */
function search(q: string, request: Management.ListLogsRequestParameters = {}, mgmt = sb().mgmt) {
  return mgmt.logs.list(request, { queryParams: { q } });
}

/** A checkpoint read: the body is a plain array, so the SDK page has no items; read page.response. */
async function checkpoint(from: string, take: number, mgmt = sb().mgmt): Promise<{ logs: Log[]; link: string | null }> {
  const page = await mgmt.logs.list({}, { queryParams: { from, take } });
  expect(page.data).toEqual([]);
  expect(Array.isArray(page.response)).toBe(true);
  return { logs: page.response as unknown as Log[], link: page.rawResponse.headers.get('link') };
}

/** The `rel="next"` URL of a Link header, and its from/take. */
function nextLink(link: string | null): { url: string; from: string; take: number } {
  const m = /^<([^>]+)>; rel="next"$/.exec(link ?? '');
  expect(m, `Link header ${link}`).not.toBeNull();
  const url = new URL(m![1]!);
  expect([...url.searchParams.keys()]).toEqual(['from', 'take']);
  return { url: m![1]!, from: url.searchParams.get('from')!, take: Number(url.searchParams.get('take')) };
}

async function allIds(): Promise<string[]> {
  return ((await sb().control.state()).logs as Log[]).map((l) => l.log_id);
}

describe('search mode', () => {
  it('q=type:fs finds the eight preloaded fs records (six ghosts, two stuck profiles), newest first, in the include_totals shape', async () => {
    const page = await search('type:fs');
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
    expect(journal[0]!.query).toEqual({ page: '0', per_page: '50', include_totals: 'true', q: 'type:fs' });
  });

  it('the search parameter is q: logs.list({search}) sends search=, which is answered 400 like Auth0 (auth0-java#842), in both modes', async () => {
    const err = await rejection(sb().mgmt.logs.list({ search: 'type:fs' }));
    expect(err).toBeInstanceOf(Management.BadRequestError);
    expect(err.body).toEqual({ statusCode: 400, error: 'Bad Request', message: "Query validation error: 'Additional properties not allowed: search'", errorCode: 'invalid_query_string' });
    const journal = (await sb().control.journal()).filter((e) => e.path === '/api/v2/logs');
    expect(journal.at(-1)).toMatchObject({ status: 400, query: { page: '0', per_page: '50', include_totals: 'true', search: 'type:fs' } });
    // An empty search= too, and with from/take (the parameter is not one the endpoint knows).
    expect((await rejection(sb().mgmt.logs.list({}, { queryParams: { search: '' } }))).statusCode).toBe(400);
    const [first] = await allIds();
    expect((await rejection(sb().mgmt.logs.list({ search: 'type:s' }, { queryParams: { from: first!, take: 2 } }))).statusCode).toBe(400);
  });

  it('q: user_name:"x" (quoted, exact, case-sensitive), wildcards, AND, sort and ranges', async () => {
    const jane = await search('user_name:"jane.doe@acme.com"');
    expect(jane.data.map((l) => `${l.type} ${l.description}`)).toEqual(['fs The user already exists.']);
    expect((await search('user_name:"Jane.Doe@acme.com"')).data).toEqual([]);
    expect((await search('description:*already*')).response).toMatchObject({ total: 9 }); // 8 fs + the fce
    expect((await search('type:fs AND user_name:raj*')).data.map((l) => l.user_name)).toEqual(['raj.patel@acme.com']);
    const oldest = await sb().mgmt.logs.list({ sort: 'date:1', per_page: 2 });
    expect(oldest.data.map((l) => l.date)).toEqual(['2024-05-02T10:30:12.551Z', '2024-05-02T10:32:11.204Z']);
    expect((await search('date:[2024-05-02T10:38:00.000Z TO *]')).data.map((l) => l.type)).toEqual(['s', 'fp', 'fce']);
    expect((await search('details.error.message:"x"')).data).toEqual([]); // details paths are searchable
    const bad = await rejection(search('unknown_field:x'));
    expect(bad).toBeInstanceOf(Management.BadRequestError);
    expect((bad.body as { errorCode: string }).errorCode).toBe('invalid_query_string');
    // Wildcards as Auth0 documents them for logs: a prefix, or at least 3 literal characters; no `?`.
    expect((await rejection(search('user_name:*ng'))).statusCode).toBe(400);
    expect((await rejection(search('type:f?'))).statusCode).toBe(400);
  });

  it('bare terms match the whole value of user_name, connection, client_name, type, ip, log_id or description, case-sensitively', async () => {
    const count = async (q: string) => ((await search(q, { per_page: 100 })).data as Log[]).length;
    expect(await count('fs')).toBe(8); // type
    expect(await count('FS')).toBe(0); // case-sensitive
    expect(await count('"The user already exists."')).toBe(8); // description, as a phrase
    expect(await count('already')).toBe(0); // fields are not tokenized
    expect(await count('*already*')).toBe(9); // 8 fs + the fce
    expect(await count('jane.doe@acme.com')).toBe(1); // user_name
    expect(await count('Jane.Doe@acme.com')).toBe(0);
    expect(await count('legacy-db')).toBe(PRELOADED); // connection
    expect(await count('"Acme Portal"')).toBe(PRELOADED); // client_name
    expect(await count('203.0.113.21')).toBe(1); // ip
    const ids = await allIds();
    expect((await search(ids[4]!)).data.map((l) => l.log_id)).toEqual([ids[4]]); // log_id
    // Only those fields: the connection id matches as connection_id:..., not bare.
    expect(await count(LEGACY_DB)).toBe(0);
    expect(await count(`connection_id:${LEGACY_DB}`)).toBe(PRELOADED);
    expect((await search('fs AND raj*')).data.map((l) => l.user_name)).toEqual(['raj.patel@acme.com']);
    expect((await search('NOT legacy-db OR s')).data.map((l) => l.type)).toEqual(['s']);
    expect((await rejection(search('*ng'))).statusCode).toBe(400);
  });

  it('per_page over 100 is rejected (400), as is paging past the 1000-result window', async () => {
    const err = await rejection(sb().mgmt.logs.list({ per_page: 101 }));
    expect(err).toBeInstanceOf(Management.BadRequestError);
    expect(err.body).toEqual({ statusCode: 400, error: 'Bad Request', message: "Query validation error: 'Number is too large (101 > 100)' on property per_page", errorCode: 'invalid_query_string' });
    expect((await sb().mgmt.logs.list({ per_page: 100 })).data).toHaveLength(PRELOADED);
    const window = await rejection(sb().mgmt.logs.list({ page: 10, per_page: 100 }));
    expect((window.body as { message: string }).message).toBe('You can only page through the first 1000 records.');
    expect((await rejection(search('type:fs', { page: 10, per_page: 100 }))).statusCode).toBe(400);
    expect((await search('type:fs', { page: 9, per_page: 100 })).response).toMatchObject({ start: 900, limit: 100, length: 0, total: 0 });
  });

  it('include_totals: total is the number of records in the page (search v3), not the number of matches; paging goes on by page/per_page', async () => {
    const first = await search('type:fs', { per_page: 3 });
    expect(first.response).toMatchObject({ start: 0, limit: 3, length: 3, total: 3 });
    const last = await search('type:fs', { per_page: 3, page: 2 });
    expect(last.response).toMatchObject({ start: 6, limit: 3, length: 2, total: 2 });
    expect((await search('type:fs', { per_page: 3, page: 3 })).response).toMatchObject({ start: 9, limit: 3, length: 0, total: 0 });
    const second = await sb().mgmt.logs.list({ page: 1, per_page: 4 });
    expect(second.response).toMatchObject({ start: 4, limit: 4, length: 4, total: 4 });
    // The SDK's iterator pages on (it stops at a short or empty page, never reads total) and keeps the queryParams.
    const seen: string[] = [];
    for await (const l of await search('type:fs', { per_page: 3 })) seen.push(l.user_name!);
    expect(seen).toHaveLength(8);
    expect(new Set(seen)).toEqual(new Set([...GHOSTS, ...STUCK_PROFILES]));
    const queries = (await sb().control.journal()).filter((e) => e.path === '/api/v2/logs').slice(-3).map((e) => e.query);
    expect(queries.map((qs) => [qs.page, qs.q])).toEqual([['0', 'type:fs'], ['1', 'type:fs'], ['2', 'type:fs']]);
  });

  it('paging: page/per_page slices the newest-first list; include_totals=false gives a plain array', async () => {
    const all: string[] = [];
    for await (const l of await sb().mgmt.logs.list({ per_page: 4 })) all.push(l.log_id!);
    expect(all).toHaveLength(PRELOADED);
    expect(new Set(all).size).toBe(PRELOADED);
    const plain = await sb().mgmt.logs.list({ include_totals: false, per_page: 3 });
    expect(Array.isArray(plain.response)).toBe(true);
    expect((plain.response as unknown as Log[]).map((l) => l.type)).toEqual(['s', 'fp', 'fce']);
    expect(plain.data).toEqual([]); // the SDK's Page only reads {logs}
    // take without from is not a checkpoint: a search, newest first, per_page as sent.
    const takeOnly = await sb().mgmt.logs.list({ per_page: 2 }, { queryParams: { take: 5 } });
    expect(takeOnly.response).toMatchObject({ start: 0, limit: 2, length: 2 });
    expect(takeOnly.data.map((l) => l.type)).toEqual(['s', 'fp']);
  });
});

describe('checkpoint mode (from/take)', () => {
  it('log_ids: 56 digits, increasing with each record written', async () => {
    const ids = await allIds();
    expect(ids).toHaveLength(PRELOADED);
    for (const id of ids) expect(id).toMatch(/^\d{56}$/);
    expect([...ids].sort()).toEqual(ids); // string order = numeric order = insertion order
  });

  it('a client starts from a log_id it got from a search (the oldest: sort date:1, per_page 1), then follows the Link header to the end', async () => {
    const ids = await allIds();
    // Auth0: "Retrieve the log_id from any log in your system", then from=LOG_ID&take=N. `from`
    // excludes that record, so the client keeps the record its search returned.
    const start = await sb().mgmt.logs.list({ sort: 'date:1', per_page: 1 });
    expect(start.data.map((l) => l.log_id)).toEqual([ids[0]]);
    const read: string[] = [start.data[0]!.log_id!];
    let request = { from: start.data[0]!.log_id!, take: 4 };
    const links: string[] = [];
    for (;;) {
      const { logs, link } = await checkpoint(request.from, request.take);
      const next = nextLink(link);
      links.push(next.url);
      expect(next.take).toBe(4);
      expect(next.from).toBe(logs.at(-1)?.log_id ?? request.from);
      read.push(...logs.map((l) => l.log_id));
      if (logs.length === 0) break; // Auth0: an empty page links to the URL just used
      expect(logs.map((l) => l.log_id)).toEqual([...logs.map((l) => l.log_id)].sort());
      request = { from: next.from, take: next.take };
    }
    expect(read).toEqual(ids); // each record once, in log_id order
    expect(links).toEqual([
      `${sb().running.url}/api/v2/logs?from=${ids[4]}&take=4`,
      `${sb().running.url}/api/v2/logs?from=${ids[8]}&take=4`,
      `${sb().running.url}/api/v2/logs?from=${ids[10]}&take=4`,
      `${sb().running.url}/api/v2/logs?from=${ids[10]}&take=4`,
    ]);
  });

  it('from may be any digit string: every record after it (from=0: the whole log kept); a non-numeric from is 400', async () => {
    const ids = await allIds();
    const all = await checkpoint('0', 100);
    expect(all.logs.map((l) => l.log_id)).toEqual(ids);
    expect(nextLink(all.link).from).toBe(ids.at(-1));
    expect((await checkpoint('0', 3)).logs.map((l) => l.log_id)).toEqual(ids.slice(0, 3));
    expect((await rejection(sb().mgmt.logs.list({}, { queryParams: { from: 'latest', take: 3 } }))).statusCode).toBe(400);
  });

  it('resuming from a saved log_id, with another client: the records after it', async () => {
    const ids = await allIds();
    const saved = ids[5]!;
    const other = sb().client();
    const { logs, link } = await checkpoint(saved, 3, other);
    expect(logs.map((l) => l.log_id)).toEqual(ids.slice(6, 9));
    expect(nextLink(link)).toMatchObject({ from: ids[8], take: 3 });
    expect((await checkpoint(ids[8]!, 3, other)).logs.map((l) => l.log_id)).toEqual(ids.slice(9));
  });

  it('every other parameter is ignored, q, sort, per_page, fields and include_totals (the SDK sends true) included; take is 1-100, default 50', async () => {
    const ids = await allIds();
    const plain = await checkpoint(ids[0]!, 2);
    const page = await sb().mgmt.logs.list(
      { per_page: 1, page: 3, sort: 'date:-1', fields: 'type', include_fields: true, include_totals: true },
      { queryParams: { from: ids[0]!, take: 2, q: 'type:s' } },
    );
    expect(page.response).toEqual(plain.logs);
    expect((page.response as unknown as Log[]).map((l) => l.log_id)).toEqual(ids.slice(1, 3));
    expect(page.rawResponse.headers.get('link')).toBe(plain.link);
    const journal = (await sb().control.journal()).filter((e) => e.path === '/api/v2/logs').at(-1)!;
    expect(journal.query).toMatchObject({ from: ids[0], take: '2', q: 'type:s', include_totals: 'true', per_page: '1' });
    // What the v7 SDK makes of it: a Page whose items are read from `.logs`, so none.
    expect(page.data).toEqual([]);
    expect(page.hasNextPage()).toBe(false);
    const iterated: unknown[] = [];
    for await (const l of page) iterated.push(l);
    expect(iterated).toEqual([]);
    // getNextPage() asks for page=1 with the same from/take: the same checkpoint again, not the next one.
    await page.getNextPage();
    expect((await sb().control.journal()).filter((e) => e.path === '/api/v2/logs').at(-1)!.query).toMatchObject({ page: '4', from: ids[0], take: '2' });
    expect(page.response).toEqual(plain.logs);

    const defaultTake = await sb().mgmt.logs.list({}, { queryParams: { from: '0' } });
    expect(defaultTake.response).toHaveLength(PRELOADED); // under the default of 50
    expect(nextLink(defaultTake.rawResponse.headers.get('link')).take).toBe(50);
    for (const take of [0, 101]) expect((await rejection(sb().mgmt.logs.list({}, { queryParams: { from: '0', take } }))).statusCode).toBe(400);
  });

  it('records written after the last page appear on the next call of the same Link URL, in the order they were written', async () => {
    const last = (await allIds()).at(-1)!;
    const empty = await checkpoint(last, 100);
    expect(empty.logs).toEqual([]);
    const next = nextLink(empty.link);
    expect(next).toMatchObject({ from: last, take: 100 });
    await sb().control.endUser('signup', { email: 'jane.doe@acme.com', password: 'x' });
    await sb().control.endUser('login', { email: 'alice.ng@acme.com', password: 'Alice-Legacy-2024!' });
    const { logs, link } = await checkpoint(next.from, next.take);
    expect(logs.map((l) => `${l.type}:${l.user_name}`)).toEqual(['fs:jane.doe@acme.com', 's:alice.ng@acme.com']);
    expect(BigInt(logs[0]!.log_id)).toBe(BigInt(last) + 1n);
    expect(nextLink(link).from).toBe(logs[1]!.log_id);
    expect((await checkpoint(logs[1]!.log_id, 100)).logs).toEqual([]);
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
      'post /api/v2/jobs/users-exports → 200 Create export users job',
    ]);
    expect(sapi[0]!.details.request).toMatchObject({ channel: 'api', body: { email: 'new@acme.com', password: '*****' }, auth: { credentials: { scopes: expect.arrayContaining(['create:users']) } } });
    expect(JSON.stringify(logs)).not.toContain('Secret-2024!');
    expect(sapi[3]!.details.request.query).toEqual({ email: 'jane.doe@acme.com' });
    expect(logs.map((l) => l.type)).toEqual(['sapi', 'sapi', 'sapi', 'sdu', 'sapi', 'sapi', 'sapi', 'sapi', 'sapi']);
    expect(logs[3]).toMatchObject({ type: 'sdu', user_id: created.user_id, user_name: 'new@acme.com', connection: 'Username-Password-Authentication' });
    // And search finds them.
    expect((await search('type:sapi')).response).toMatchObject({ length: 8, total: 8 });
  });

  it('a rate-limited request is logged as api_limit', async () => {
    await sb().control.reset({ ...ACME, rateLimit: { burst: 2, perSecond: 2 } });
    await sb().mgmt.users.get('auth0|legacy-1007');
    await sb().mgmt.users.get('auth0|legacy-1007');
    const err = await rejection(sb().mgmt.users.listUsersByEmail({ email: 'alice.ng@acme.com' }));
    expect(err.statusCode).toBe(429);
    await sleep(550); // let a token come back
    const page = await search('type:api_limit');
    expect(page.data).toHaveLength(1);
    expect(page.data[0]).toMatchObject({ type: 'api_limit', description: 'Global limit has been reached', details: { request: { method: 'get', path: '/api/v2/users-by-email' }, limit: { size: 2, global: true } } });
  });
});
