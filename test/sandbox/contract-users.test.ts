import { readFileSync } from 'node:fs';
import { Management, ManagementError } from 'auth0';
import { describe, expect, it } from 'vitest';
import { ACME_SCENARIO, LEGACY_DB, rejection, useSandbox } from '../helpers/sandbox.js';

/**
 * Contract tests for connections, users, tickets and the end-user simulation, driven through the
 * official auth0 v7 SDK over TLS, exactly as unstick calls them.
 */

const ACME = JSON.parse(readFileSync(ACME_SCENARIO, 'utf8')) as Record<string, unknown>;
const UPA = 'con_Up7Hw3NbQ8sLx2Ve';
const GOOGLE = 'con_Go4Tz9KqW2mRv6Yb';

/** A ghost that only the internal store knows about (no legacy store behind it, no import mode). */
const PLAIN_GHOST = {
  tenant: 'plain',
  connections: [{ name: 'plain-db', id: 'con_PlainPlainPlain1' }],
  users: [{ email: 'ann@example.com', connection: 'plain-db', user_id: 'ann-1', password: 'pw' }],
  ghosts: [{ email: 'ghost@example.com', connection: 'plain-db', user_id: 'ghost-1' }],
};

type StoreEntry = { email: string; user_id: string; ghost: boolean };
type Log = { type: string; description?: string; user_name?: string; user_id?: string; details?: any };

const sb = useSandbox(ACME);

const store = async (connection: string): Promise<StoreEntry[]> => (await sb().control.state()).stores[connection] ?? [];
const logs = async (): Promise<Log[]> => (await sb().control.state()).logs;

describe('connections', () => {
  const MANY = {
    tenant: 'many',
    connections: [
      ...['db-a', 'db-b', 'db-c', 'db-d', 'db-e'].map((name) => ({ name })),
      { name: 'google-oauth2', strategy: 'google-oauth2' },
      { name: 'github', strategy: 'github' },
    ],
  };

  it('list by name: the v7 SDK sends take=50 and gets checkpoint pages {connections, next?}', async () => {
    const page = await sb().mgmt.connections.list({ name: 'legacy-db' });
    expect(page.data).toHaveLength(1);
    expect(page.data[0]).toMatchObject({ id: LEGACY_DB, name: 'legacy-db', strategy: 'auth0', display_name: 'Acme legacy accounts' });
    expect(page.data[0]!.options).toMatchObject({ enabledDatabaseCustomization: true, import_mode: true });
    expect(page.data[0]).not.toHaveProperty('enabled_clients'); // ConnectionForList
    expect(page.response).toEqual({ connections: page.data }); // no `next` on the last page
    expect(page.hasNextPage()).toBe(false);
    const journal = (await sb().control.journal()).filter((e) => e.path === '/api/v2/connections');
    expect(journal.at(-1)!.query).toEqual({ include_totals: 'true', take: '50', name: 'legacy-db' });
    expect((await sb().mgmt.connections.list({ name: 'Legacy-DB' })).data).toEqual([]); // exact
  });

  it('list by strategy, one or several (repeated parameter)', async () => {
    expect((await sb().mgmt.connections.list({ strategy: ['auth0'] })).data.map((c) => c.name)).toEqual(['legacy-db', 'Username-Password-Authentication']);
    expect((await sb().mgmt.connections.list({ strategy: ['google-oauth2'] })).data.map((c) => c.id)).toEqual([GOOGLE]);
    expect((await sb().mgmt.connections.list({ strategy: ['google-oauth2', 'auth0'] })).data).toHaveLength(3);
    expect((await sb().mgmt.connections.list({ strategy: ['samlp'] })).data).toEqual([]);
    const last = (await sb().control.journal()).filter((e) => e.path === '/api/v2/connections').at(-2)!;
    expect(last.query.strategy).toEqual(['google-oauth2', 'auth0']);
  });

  it('checkpoint pagination across pages with a small take: next is the last id, absent on the last page', async () => {
    await sb().control.reset(MANY);
    const first = await sb().mgmt.connections.list({ take: 3 });
    expect(first.data.map((c) => c.name)).toEqual(['db-a', 'db-b', 'db-c']);
    expect(first.response.next).toBe(first.data[2]!.id);
    expect(first.hasNextPage()).toBe(true);

    const names: string[] = [];
    for await (const c of await sb().mgmt.connections.list({ take: 3 })) names.push(c.name!);
    expect(names).toEqual(['db-a', 'db-b', 'db-c', 'db-d', 'db-e', 'google-oauth2', 'github']);
    const froms = (await sb().control.journal()).filter((e) => e.path === '/api/v2/connections').map((e) => e.query.from ?? null);
    expect(froms.slice(1)).toEqual([null, first.data[2]!.id, expect.stringMatching(/^con_[A-Za-z0-9]{16}$/)]);

    // Filters combine with the checkpoint.
    const dbs: string[] = [];
    for await (const c of await sb().mgmt.connections.list({ take: 2, strategy: ['auth0'] })) dbs.push(c.name!);
    expect(dbs).toEqual(['db-a', 'db-b', 'db-c', 'db-d', 'db-e']);
    const err = await rejection(sb().mgmt.connections.list({ take: 101 }));
    expect(err).toBeInstanceOf(Management.BadRequestError);
  });

  it('generated connection ids are con_ + 16 alphanumerics and stable across resets', async () => {
    await sb().control.reset(MANY);
    const ids = (await sb().mgmt.connections.list()).data.map((c) => c.id);
    for (const id of ids) expect(id).toMatch(/^con_[A-Za-z0-9]{16}$/);
    await sb().control.reset(MANY);
    expect((await sb().mgmt.connections.list()).data.map((c) => c.id)).toEqual(ids);
  });

  it('get by id; an unknown id is 404 inexistent_connection', async () => {
    const c = await sb().mgmt.connections.get(UPA);
    expect(c).toMatchObject({ id: UPA, name: 'Username-Password-Authentication', strategy: 'auth0', enabled_clients: ['Xq9Lw2RrB7nTg4KcVz1mHd8sPa3EuY6f'] });
    expect(c.options).toEqual({ passwordPolicy: 'fair', brute_force_protection: true });
    const err = await rejection(sb().mgmt.connections.get('con_AAAAAAAAAAAAAAAA'));
    expect(err).toBeInstanceOf(Management.NotFoundError);
    expect(err.body).toEqual({ statusCode: 404, error: 'Not Found', message: 'The connection does not exist.', errorCode: 'inexistent_connection' });
  });

  it('PATCH replaces options whole: a key not sent is gone; name is not updatable', async () => {
    const updated = await sb().mgmt.connections.update(LEGACY_DB, { options: { enabledDatabaseCustomization: true, import_mode: false } });
    expect(updated.options).toEqual({ enabledDatabaseCustomization: true, import_mode: false });
    const again = await sb().mgmt.connections.get(LEGACY_DB);
    expect(again.options).toEqual({ enabledDatabaseCustomization: true, import_mode: false });
    expect(again.options).not.toHaveProperty('customScripts');
    expect(again.display_name).toBe('Acme legacy accounts'); // not sent, not touched

    await sb().mgmt.connections.update(LEGACY_DB, { display_name: 'Renamed' });
    expect(await sb().mgmt.connections.get(LEGACY_DB)).toMatchObject({ display_name: 'Renamed', options: { import_mode: false } });

    const err = await rejection(sb().mgmt.connections.update(LEGACY_DB, { name: 'x' } as never));
    expect(err).toBeInstanceOf(Management.BadRequestError);
    expect(err.body).toEqual({ statusCode: 400, error: 'Bad Request', message: "Payload validation error: 'Additional properties not allowed: name'", errorCode: 'invalid_body' });
    expect((await rejection(sb().mgmt.connections.update('con_AAAAAAAAAAAAAAAA', { display_name: 'x' }))).statusCode).toBe(404);

    // Import mode off: "Auth0 will only use the scripts". A legacy user's login is checked by the Login
    // script (the options lost the script source; a missing script counts as a working one) and migrates no one.
    const login = await sb().control.endUser('login', { email: 'nina.kowalski@acme.com', password: 'Nina-Legacy-2024!', connection: 'legacy-db' });
    expect(login).toEqual({ status: 200, body: { outcome: 'logged_in', user_id: 'auth0|legacy-1020', via: 'login_script' } });
    expect(await sb().mgmt.users.listUsersByEmail({ email: 'nina.kowalski@acme.com' })).toEqual([]);
  });
});

describe('users: search', () => {
  it('users-by-email is exact and case-sensitive on the stored (lowercased) email; a plain array', async () => {
    const alice = await sb().mgmt.users.listUsersByEmail({ email: 'alice.ng@acme.com' });
    expect(alice.map((u) => u.user_id)).toEqual(['auth0|legacy-1007']);
    expect(await sb().mgmt.users.listUsersByEmail({ email: 'Alice.Ng@acme.com' })).toEqual([]);
    expect(await sb().mgmt.users.listUsersByEmail({ email: 'ALICE.NG@ACME.COM' })).toEqual([]);
    expect(await sb().mgmt.users.listUsersByEmail({ email: 'alice.ng' })).toEqual([]);
    // One email on two connections: two profiles.
    const maria = await sb().mgmt.users.listUsersByEmail({ email: 'maria.garcia@acme.com' });
    expect(maria.map((u) => u.user_id).sort()).toEqual(['auth0|legacy-1060', 'auth0|upa-maria-01']);
    const raw = await sb().mgmt.users.listUsersByEmail({ email: 'alice.ng@acme.com' }).withRawResponse();
    expect(Array.isArray(raw.data)).toBe(true);
  });

  it('a ghost is invisible to users-by-email and to users.list q=email:"…", though the store has it', async () => {
    expect(await sb().mgmt.users.listUsersByEmail({ email: 'jane.doe@acme.com' })).toEqual([]);
    expect(await sb().mgmt.users.listUsersByEmail({ email: 'Jane.Doe@acme.com' })).toEqual([]);
    const page = await sb().mgmt.users.list({ q: 'email:"jane.doe@acme.com"' });
    expect(page.data).toEqual([]);
    expect(page.response).toMatchObject({ total: 0, users: [] });
    expect((await sb().mgmt.users.list({ q: 'email:jane*' })).data).toEqual([]);
    expect((await store('legacy-db')).find((e) => e.email === 'jane.doe@acme.com')).toMatchObject({ ghost: true });
  });

  it('users.list with q identities.connection:"legacy-db" AND email:"x" (linked identities count)', async () => {
    const maria = await sb().mgmt.users.list({ q: 'identities.connection:"legacy-db" AND email:"maria.garcia@acme.com"', search_engine: 'v3' });
    expect(maria.data.map((u) => u.user_id)).toEqual(['auth0|legacy-1060']);
    const priya = await sb().mgmt.users.list({ q: 'identities.connection:"legacy-db" AND email:"priya.shah@acme.com"' });
    expect(priya.data.map((u) => u.user_id)).toEqual(['google-oauth2|104857600123456789012']);
    const onLegacy = await sb().mgmt.users.list({ q: 'identities.connection:"legacy-db"', per_page: 100 });
    expect(onLegacy.response.total).toBe(9); // 8 primaries + Priya's linked identity
    // Free text is accepted (Auth0 v3 searches the normalized fields); a ghost is invisible to it too.
    expect((await sb().mgmt.users.list({ q: 'jane' })).data).toEqual([]);
    expect((await sb().mgmt.users.list({ q: 'alice' })).data.map((u) => u.user_id)).toEqual(['auth0|legacy-1007']);
    const err = await rejection(sb().mgmt.users.list({ q: 'jane && doe' }));
    expect(err).toBeInstanceOf(Management.BadRequestError);
    expect((err.body as { errorCode: string }).errorCode).toBe('invalid_query_string');
  });

  it('the q subset: metadata, email.domain, booleans, _exists_, NOT, OR, parentheses; unsupported syntax is 400', async () => {
    const ids = async (q: string) => (await sb().mgmt.users.list({ q, per_page: 100, sort: 'user_id:1' })).data.map((u) => u.user_id);
    expect(await ids('app_metadata.plan:gold')).toEqual(['auth0|legacy-1007', 'auth0|legacy-1013', 'auth0|legacy-1060', 'google-oauth2|104857600123456789012']);
    expect(await ids('user_metadata.language:"en"')).toEqual(['auth0|legacy-1007']);
    expect(await ids('email.domain:"gmail.com"')).toEqual(['google-oauth2|109876543210987654321']);
    // Ken (metadata lost), the two stuck profiles (imported without app_metadata) and Priya (linked).
    expect(await ids('identities.connection:"legacy-db" AND NOT _exists_:app_metadata.lazyMigration')).toEqual([
      'auth0|legacy-1030',
      'auth0|legacy-1070',
      'auth0|legacy-1071',
      'google-oauth2|104857600123456789012',
    ]);
    expect(await ids('email_verified:true AND identities.isSocial:false')).toEqual(['auth0|legacy-1007', 'auth0|upa-support-01', 'google-oauth2|104857600123456789012']);
    expect(await ids('email:"ALICE.NG@ACME.COM"')).toEqual(['auth0|legacy-1007']); // q matches email ignoring case
    expect(await ids('(user_id:"auth0|legacy-1007" OR user_id:"auth0|legacy-1011") AND email:dave*')).toEqual(['auth0|legacy-1011']);
    const wildcard = await rejection(sb().mgmt.users.list({ q: 'user_metadata.language:e*' }));
    expect((wildcard.body as { message: string }).message).toBe('Wildcard searches are not available on user_metadata fields');
    expect((await rejection(sb().mgmt.users.list({ q: 'email:"a" && name:b' }))).statusCode).toBe(400);
  });

  it('paging with include_totals (the SDK always sends it): {start, limit, length, total, users}', async () => {
    const page = await sb().mgmt.users.list({ page: 1, per_page: 3, sort: 'email:1' });
    expect(page.response).toMatchObject({ start: 3, limit: 3, length: 3, total: 12 });
    expect(page.data.map((u) => u.email)).toEqual(['frank.li@acme.com', 'greg.hall@gmail.com', 'ken.ito@acme.com']);
    const all: string[] = [];
    for await (const u of await sb().mgmt.users.list({ per_page: 4, sort: 'email:1' })) all.push(u.email!);
    expect(all).toHaveLength(12);
    expect(new Set(all.filter((e) => e !== 'maria.garcia@acme.com')).size).toBe(10);
    const journal = (await sb().control.journal()).filter((e) => e.path === '/api/v2/users');
    expect(journal[0]!.query).toMatchObject({ page: '1', per_page: '3', include_totals: 'true', sort: 'email:1' });
    const picked = await sb().mgmt.users.list({ q: 'email:"alice.ng@acme.com"', fields: 'user_id,email', include_fields: true });
    expect(picked.data).toEqual([{ user_id: 'auth0|legacy-1007', email: 'alice.ng@acme.com' }]);
    const without = await sb().mgmt.users.list({ q: 'email:"alice.ng@acme.com"', fields: 'identities,user_metadata,app_metadata', include_fields: false });
    expect(Object.keys(without.data[0]!)).not.toContain('identities');
    expect(without.data[0]).toMatchObject({ user_id: 'auth0|legacy-1007', name: 'Alice Ng' });
    // Without include_totals (raw request): a plain array.
    const rawPage = await sb().mgmt.users.list({ per_page: 2, include_totals: false });
    expect(Array.isArray(rawPage.response)).toBe(true);
  });

  it('the 1000-record window: (page + 1) * per_page > 1000 is 400', async () => {
    expect((await sb().mgmt.users.list({ page: 9, per_page: 100 })).data).toEqual([]); // records 900-999: allowed
    const err = await rejection(sb().mgmt.users.list({ page: 20, per_page: 50 }));
    expect(err).toBeInstanceOf(Management.BadRequestError);
    expect((err.body as { message: string }).message).toBe('You can only page through the first 1000 records.');
    expect((await rejection(sb().mgmt.users.list({ per_page: 101 }))).statusCode).toBe(400);
  });
});

describe('users: read, update, delete, create', () => {
  it('get: the profile; an unknown id is 404 inexistent_user', async () => {
    const alice = await sb().mgmt.users.get('auth0|legacy-1007');
    expect(alice).toMatchObject({
      user_id: 'auth0|legacy-1007',
      email: 'alice.ng@acme.com',
      email_verified: true,
      name: 'Alice Ng',
      identities: [{ connection: 'legacy-db', provider: 'auth0', user_id: 'legacy-1007', isSocial: false }],
      user_metadata: { language: 'en', newsletter: false },
      app_metadata: { plan: 'gold', legacy_customer_id: 'C-1007', lazyMigration: true },
    });
    const err = await rejection(sb().mgmt.users.get('auth0|legacy-1001')); // Jane: a ghost has no profile
    expect(err).toBeInstanceOf(Management.NotFoundError);
    expect(err.body).toEqual({ statusCode: 404, error: 'Not Found', message: 'The user does not exist.', errorCode: 'inexistent_user' });
  });

  it('linked accounts: a profile with 2 identities (social primary, database linked)', async () => {
    const priya = await sb().mgmt.users.get('google-oauth2|104857600123456789012');
    expect(priya.identities).toEqual([
      { connection: 'google-oauth2', provider: 'google-oauth2', user_id: '104857600123456789012', isSocial: true },
      { connection: 'legacy-db', provider: 'auth0', user_id: 'legacy-1050', isSocial: false },
    ]);
    expect((await store('legacy-db')).find((e) => e.email === 'priya.shah@acme.com')).toEqual({ email: 'priya.shah@acme.com', user_id: 'auth0|legacy-1050', has_password: false, ghost: false });
  });

  it('PATCH metadata: first-level merge, nested objects replaced, null deletes a key, {} clears', async () => {
    const id = 'auth0|legacy-1007';
    const merged = await sb().mgmt.users.update(id, { user_metadata: { theme: 'dark', prefs: { a: 1, b: 2 } } });
    expect(merged.user_metadata).toEqual({ language: 'en', newsletter: false, theme: 'dark', prefs: { a: 1, b: 2 } });
    const nested = await sb().mgmt.users.update(id, { user_metadata: { prefs: { c: 3 } } });
    expect(nested.user_metadata).toEqual({ language: 'en', newsletter: false, theme: 'dark', prefs: { c: 3 } });
    const deleted = await sb().mgmt.users.update(id, { user_metadata: { language: null, theme: null } as never });
    expect(deleted.user_metadata).toEqual({ newsletter: false, prefs: { c: 3 } });
    const cleared = await sb().mgmt.users.update(id, { app_metadata: {} });
    expect(cleared).not.toHaveProperty('app_metadata');
    expect(cleared.user_metadata).toEqual({ newsletter: false, prefs: { c: 3 } }); // untouched
    const fetched = await sb().mgmt.users.get(id);
    expect(fetched).not.toHaveProperty('app_metadata');
    expect(fetched.user_metadata).toEqual({ newsletter: false, prefs: { c: 3 } });
    expect(Date.parse(fetched.updated_at as string)).toBeGreaterThan(Date.parse(fetched.created_at as string) - 1);

    const empty = await rejection(sb().mgmt.users.update(id, {}));
    expect((empty.body as { message: string }).message).toBe("Payload validation error: 'Too few properties defined (0), minimum 1'");
    expect((await rejection(sb().mgmt.users.update('auth0|nobody', { name: 'x' }))).statusCode).toBe(404);
    const sapi = (await logs()).filter((l) => l.type === 'sapi' && l.description === 'Update a User');
    expect(sapi).toHaveLength(4);
    expect(sapi[0]!.details.request).toMatchObject({ method: 'patch', path: '/api/v2/users/auth0%7Clegacy-1007', body: { user_metadata: { theme: 'dark' } } });
  });

  it('PATCH email to an address the store has (a ghost included) is 400 auth0_idp_error', async () => {
    const err = await rejection(sb().mgmt.users.update('auth0|legacy-2207', { email: 'jane.doe@acme.com' }));
    expect(err.body).toEqual({ statusCode: 400, error: 'Bad Request', message: 'The specified new email already exists', errorCode: 'auth0_idp_error' });
  });

  it('DELETE removes the profile and its store entry: creating the user again then succeeds', async () => {
    await sb().mgmt.users.delete('auth0|upa-support-01');
    expect((await rejection(sb().mgmt.users.get('auth0|upa-support-01'))).statusCode).toBe(404);
    expect((await store('Username-Password-Authentication')).map((e) => e.email)).not.toContain('support@acme.com');
    await sb().mgmt.users.delete('auth0|upa-support-01'); // unknown id: still 204
    const created = await sb().mgmt.users.create({ connection: 'Username-Password-Authentication', email: 'support@acme.com', password: 'New-Pass-2024!', user_metadata: { team: 'care' } });
    expect(created).toMatchObject({ email: 'support@acme.com', email_verified: false, user_metadata: { team: 'care' } });
    expect(created.user_id).toMatch(/^auth0\|[0-9a-f]{24}$/);
    expect(created.identities).toEqual([{ connection: 'Username-Password-Authentication', provider: 'auth0', user_id: created.user_id!.slice(6), isSocial: false }]);
    const deletes = (await logs()).filter((l) => l.type === 'sdu' || l.description === 'Delete a User');
    expect(deletes.map((l) => `${l.type}:${l.user_id ?? ''}`)).toEqual(['sapi:', 'sdu:auth0|upa-support-01', 'sapi:']);
  });

  it('POST /users for a ghost is 409 with exactly Auth0 body; Delete a Connection User removes the ghost; create then succeeds', async () => {
    await sb().control.reset(PLAIN_GHOST);
    const err = await rejection(sb().mgmt.users.create({ connection: 'plain-db', email: 'Ghost@Example.com', password: 'pw-2024!' }));
    expect(err).toBeInstanceOf(Management.ConflictError);
    expect(err.statusCode).toBe(409);
    expect(err.body).toEqual({ statusCode: 409, error: 'Conflict', message: 'The user already exists.', errorCode: 'auth0_idp_error' });
    expect((await sb().control.state()).ghosts).toEqual([{ connection: 'plain-db', email: 'ghost@example.com', user_id: 'auth0|ghost-1' }]);

    await sb().mgmt.connections.users.deleteByEmail('con_PlainPlainPlain1', { email: 'GHOST@example.com' }); // matched ignoring case
    const state = await sb().control.state();
    expect(state.ghosts).toEqual([]);
    expect(state.stores['plain-db'].map((e: StoreEntry) => e.email)).toEqual(['ann@example.com']);
    expect(state.users).toHaveLength(1);
    const sapi = state.logs.filter((l: Log) => l.type === 'sapi');
    expect(sapi.at(-1)).toMatchObject({ description: 'Delete a connection user', details: { request: { method: 'delete', path: '/api/v2/connections/con_PlainPlainPlain1/users', query: { email: 'GHOST@example.com' } }, response: { statusCode: 204 } } });
    expect(state.logs.some((l: Log) => l.type === 'sdu')).toBe(false); // no profile was deleted

    const created = await sb().mgmt.users.create({ connection: 'plain-db', email: 'ghost@example.com', password: 'pw-2024!' });
    expect(created.email).toBe('ghost@example.com');
    expect((await sb().mgmt.users.listUsersByEmail({ email: 'ghost@example.com' })).map((u) => u.user_id)).toEqual([created.user_id]);
  });

  it('POST /users: other 409s (user_id taken, legacy user under import mode) and 400s', async () => {
    await sb().control.reset(PLAIN_GHOST);
    expect((await rejection(sb().mgmt.users.create({ connection: 'plain-db', email: 'new@example.com', password: 'pw', user_id: 'ann-1' }))).statusCode).toBe(409);
    const noConn = await rejection(sb().mgmt.users.create({ connection: 'nope', email: 'new@example.com', password: 'pw' }));
    expect(noConn.body).toEqual({ statusCode: 400, error: 'Bad Request', message: 'The connection does not exist.', errorCode: 'inexistent_connection' });
    const noPw = await rejection(sb().mgmt.users.create({ connection: 'plain-db', email: 'new@example.com' }));
    expect((noPw.body as { message: string }).message).toBe("Payload validation error: 'Missing required property: password'");
    await sb().control.reset(ACME);
    // Nina is only in the legacy store: Get User finds her, so Auth0 answers "already exists".
    expect((await rejection(sb().mgmt.users.create({ connection: 'legacy-db', email: 'nina.kowalski@acme.com', password: 'pw' }))).statusCode).toBe(409);
    const ok = await sb().mgmt.users.create({ connection: 'legacy-db', email: 'New.Person@Acme.com', password: 'pw', user_id: 'n-1' });
    expect(ok).toMatchObject({ user_id: 'auth0|n-1', email: 'new.person@acme.com' }); // stored lowercased
  });

  it('Delete a Connection User: an unknown connection is 404 (NotFoundError); a missing email, a social connection are 400', async () => {
    const unknown = await rejection(sb().mgmt.connections.users.deleteByEmail('con_AAAAAAAAAAAAAAAA', { email: 'jane.doe@acme.com' }));
    expect(unknown).toBeInstanceOf(Management.NotFoundError);
    expect(unknown.statusCode).toBe(404);
    expect(unknown.body).toEqual({ statusCode: 404, error: 'Not Found', message: 'The connection does not exist.', errorCode: 'inexistent_connection' });
    const noEmail = await rejection(sb().mgmt.connections.users.deleteByEmail(LEGACY_DB, { email: '' }));
    expect((noEmail.body as { message: string }).message).toBe("Query validation error: 'Missing required property: email'");
    const social = await rejection(sb().mgmt.connections.users.deleteByEmail(GOOGLE, { email: 'greg.hall@gmail.com' }));
    expect(social.statusCode).toBe(400);
    expect((await sb().control.state()).ghosts).toHaveLength(6);
  });

  it('Delete a Connection User of a healthy user removes profile and store entry on that connection only', async () => {
    await sb().mgmt.connections.users.deleteByEmail(LEGACY_DB, { email: 'maria.garcia@acme.com' });
    expect((await sb().mgmt.users.listUsersByEmail({ email: 'maria.garcia@acme.com' })).map((u) => u.user_id)).toEqual(['auth0|upa-maria-01']);
    expect((await store('legacy-db')).map((e) => e.email)).not.toContain('maria.garcia@acme.com');
    expect((await store('Username-Password-Authentication')).map((e) => e.email)).toContain('maria.garcia@acme.com');
    expect((await logs()).at(-1)).toMatchObject({ type: 'sdu', user_id: 'auth0|legacy-1060', user_name: 'maria.garcia@acme.com' });
  });

  it('Delete a Connection User on a linked database identity unlinks it; the social profile stays', async () => {
    await sb().mgmt.connections.users.deleteByEmail(LEGACY_DB, { email: 'priya.shah@acme.com' });
    const priya = await sb().mgmt.users.get('google-oauth2|104857600123456789012');
    expect(priya.identities!.map((i) => i.connection)).toEqual(['google-oauth2']);
    expect((await store('legacy-db')).map((e) => e.email)).not.toContain('priya.shah@acme.com');
  });
});

describe('tickets: password change', () => {
  it('by user_id and by (connection_id, email): a sandbox URL that shows the target', async () => {
    const byId = await sb().mgmt.tickets.changePassword({ user_id: 'auth0|legacy-1007' });
    expect(byId.ticket).toMatch(new RegExp(`^${sb().running.url.replace(/[.]/g, '\\.')}/__sandbox/reset-password\\?ticket=[A-Za-z0-9]{32}$`));
    const shown = (await (await fetch(byId.ticket!)).json()) as { email: string; connection: string };
    expect(shown).toMatchObject({ email: 'alice.ng@acme.com', connection: 'legacy-db' });

    const byEmail = await sb().mgmt.tickets.changePassword({ connection_id: UPA, email: 'support@acme.com' });
    expect(byEmail.ticket).toContain('/__sandbox/reset-password?ticket=');
    expect(((await (await fetch(byEmail.ticket!)).json()) as { email: string }).email).toBe('support@acme.com');
    // A ghost has a store entry, so a ticket by email is issued (Auth0 does the same).
    expect((await sb().mgmt.tickets.changePassword({ connection_id: LEGACY_DB, email: 'jane.doe@acme.com' })).ticket).toBeTruthy();

    const sapi = (await logs()).filter((l) => l.type === 'sapi');
    expect(sapi.map((l) => l.description)).toEqual(['Create a Password Change Ticket', 'Create a Password Change Ticket', 'Create a Password Change Ticket']);
  });

  it('both user_id and connection_id: 400; an unknown user: 404 User not found.', async () => {
    const both = await rejection(sb().mgmt.tickets.changePassword({ user_id: 'auth0|legacy-1007', connection_id: LEGACY_DB, email: 'alice.ng@acme.com' }));
    expect(both).toBeInstanceOf(Management.BadRequestError);
    expect(both.body).toEqual({ statusCode: 400, error: 'Bad Request', message: 'You cannot send user_id when specifying a connection_id', errorCode: 'invalid_body' });
    const unknownId = await rejection(sb().mgmt.tickets.changePassword({ user_id: 'auth0|nobody' }));
    expect(unknownId).toBeInstanceOf(Management.NotFoundError);
    expect(unknownId.body).toEqual({ statusCode: 404, error: 'Not Found', message: 'User not found.', errorCode: 'inexistent_user' });
    const unknownEmail = await rejection(sb().mgmt.tickets.changePassword({ connection_id: UPA, email: 'nobody@acme.com' }));
    expect(unknownEmail.statusCode).toBe(404);
    expect((await logs()).filter((l) => l.type === 'sapi')).toEqual([]); // failures are not sapi
  });

  it('completing a ticket changes the password (scp); the ticket is single-use', async () => {
    const { ticket } = await sb().mgmt.tickets.changePassword({ user_id: 'auth0|upa-support-01' });
    const token = new URL(ticket!).searchParams.get('ticket');
    expect(await sb().control.endUser('change-password', { ticket: token, password: 'Brand-New-1!' })).toEqual({ status: 200, body: { outcome: 'password_changed', user_id: 'auth0|upa-support-01' } });
    expect((await sb().control.endUser('change-password', { ticket: token, password: 'Again-1!' })).status).toBe(400);
    expect((await sb().control.endUser('login', { email: 'support@acme.com', password: 'Brand-New-1!' })).status).toBe(401); // default connection is legacy-db
    expect((await sb().control.endUser('login', { email: 'support@acme.com', password: 'Brand-New-1!', connection: 'Username-Password-Authentication' })).body.outcome).toBe('logged_in');
  });
});

describe('end-user simulation', () => {
  it('login of a legacy user under import mode migrates them: auth0|<legacy id>, legacy name and metadata', async () => {
    expect(await sb().mgmt.users.listUsersByEmail({ email: 'nina.kowalski@acme.com' })).toEqual([]);
    const wrong = await sb().control.endUser('login', { email: 'nina.kowalski@acme.com', password: 'nope' });
    expect(wrong).toEqual({ status: 401, body: { outcome: 'failed', reason: 'wrong_password', message: 'Wrong email or password.' } });
    const res = await sb().control.endUser('login', { email: 'Nina.Kowalski@acme.com', password: 'Nina-Legacy-2024!' });
    expect(res).toEqual({ status: 200, body: { outcome: 'migrated', user_id: 'auth0|legacy-1020' } });
    const [nina, ...rest] = await sb().mgmt.users.listUsersByEmail({ email: 'nina.kowalski@acme.com' });
    expect(rest).toEqual([]);
    expect(nina).toMatchObject({
      user_id: 'auth0|legacy-1020',
      name: 'Nina Kowalski',
      identities: [{ connection: 'legacy-db', provider: 'auth0', user_id: 'legacy-1020', isSocial: false }],
      user_metadata: { language: 'pl', newsletter: true },
      app_metadata: { plan: 'bronze', legacy_customer_id: 'C-1020' },
      logins_count: 1,
    });
    const recent = (await logs()).slice(-2);
    expect(recent.map((l) => `${l.type}:${l.user_id}`)).toEqual(['fp:auth0|nina.kowalski@acme.com', 's:auth0|legacy-1020']);
    expect((await sb().control.endUser('login', { email: 'nina.kowalski@acme.com', password: 'Nina-Legacy-2024!' })).body.outcome).toBe('logged_in');
  });

  it('a login records last_login (now), last_ip and one more logins_count, on an existing profile and on a lazily migrated one', async () => {
    const before = Date.now();
    expect((await sb().control.endUser('login', { email: 'alice.ng@acme.com', password: 'Alice-Legacy-2024!' })).body.outcome).toBe('logged_in');
    expect((await sb().control.endUser('login', { email: 'bob.smith@acme.com', password: 'Bob-Legacy-2024!' })).body.outcome).toBe('migrated');
    const after = Date.now();
    const alice = await sb().mgmt.users.get('auth0|legacy-1007');
    expect(alice).toMatchObject({ logins_count: 4, last_ip: '203.0.113.10', created_at: '2024-03-11T09:14:02.000Z' }); // 3 in the scenario, plus this one
    const bob = await sb().mgmt.users.get('auth0|legacy-1040');
    expect(bob).toMatchObject({ logins_count: 1, last_ip: '203.0.113.10' }); // the migrating login counts
    for (const user of [alice, bob]) {
      const at = Date.parse(user.last_login as string);
      expect(at).toBeGreaterThanOrEqual(before);
      expect(at).toBeLessThanOrEqual(after);
      expect(user.updated_at).toBe(user.last_login);
    }
    // A failed login changes nothing.
    await sb().control.endUser('login', { email: 'alice.ng@acme.com', password: 'wrong' });
    expect((await sb().mgmt.users.get('auth0|legacy-1007')).logins_count).toBe(4);
  });

  it('acme-mixed.json: healthy users logged in after the last evidence; the stuck profiles never logged in, and the logs block them after they were created', async () => {
    const fs = (await logs()).filter((l) => l.type === 'fs') as Array<Log & { date: string }>;
    for (const email of ['chloe.martin@acme.com', 'omar.haddad@acme.com']) {
      const [profile, ...others] = await sb().mgmt.users.listUsersByEmail({ email });
      expect(others).toEqual([]);
      expect(profile).toMatchObject({ logins_count: 0, identities: [{ connection: 'legacy-db', provider: 'auth0', isSocial: false }] });
      expect(profile).not.toHaveProperty('last_login');
      expect(profile).not.toHaveProperty('last_ip');
      const blocked = fs.filter((l) => l.user_name === email);
      expect(blocked.map((l) => l.description)).toEqual(['The user already exists.']);
      expect(Date.parse(blocked[0]!.date)).toBeGreaterThan(Date.parse(profile!.created_at as string));
      // They cannot log in (imported without a password hash), and signing up says the user exists.
      expect((await sb().control.endUser('login', { email, password: 'anything' })).status).toBe(401);
      expect((await sb().control.endUser('signup', { email, password: 'New-Pass-2024!' })).body.code).toBe('user_exists');
    }
    const healthy = (await sb().mgmt.users.list({ q: 'identities.connection:"legacy-db" AND logins_count:[1 TO *]', per_page: 100 })).data;
    expect(healthy.map((u) => u.email).sort()).toEqual(['alice.ng@acme.com', 'dave.kim@acme.com', 'frank.li@acme.com', 'ken.ito@acme.com', 'maria.garcia@acme.com', 'priya.shah@acme.com', 'tom.berg@acme.com']);
    const all = (await logs()) as Array<Log & { date: string }>;
    const failures = (email: string) => all.filter((l) => l.user_name === email && l.type !== 's');
    expect(failures('tom.berg@acme.com').map((l) => l.type)).toEqual(['fce']); // the loop below has evidence to beat
    for (const u of healthy) {
      const last = Date.parse(u.last_login as string);
      expect(last).toBeGreaterThan(Date.parse(u.created_at as string));
      for (const l of failures(u.email!)) expect(last).toBeGreaterThan(Date.parse(l.date));
    }
  });

  it('a stuck profile is repaired the documented way: Delete a Connection User, then the login migrates her with her metadata', async () => {
    await sb().mgmt.connections.users.deleteByEmail(LEGACY_DB, { email: 'chloe.martin@acme.com' });
    expect(await sb().mgmt.users.listUsersByEmail({ email: 'chloe.martin@acme.com' })).toEqual([]);
    expect((await sb().control.endUser('login', { email: 'chloe.martin@acme.com', password: 'Chloe-Legacy-2024!' })).body).toEqual({ outcome: 'migrated', user_id: 'auth0|legacy-1070' });
    const [chloe] = await sb().mgmt.users.listUsersByEmail({ email: 'chloe.martin@acme.com' });
    expect(chloe).toMatchObject({ user_id: 'auth0|legacy-1070', logins_count: 1, user_metadata: { language: 'fr', newsletter: true }, app_metadata: { plan: 'silver', legacy_customer_id: 'C-1070' } });
    expect(chloe!.last_login).toEqual(expect.any(String));
  });

  it('a scenario user without login history has logins_count 0 and no last_login (an imported profile that never logged in)', async () => {
    await sb().control.reset(PLAIN_GHOST);
    const ann = await sb().mgmt.users.get('auth0|ann-1');
    expect(ann.logins_count).toBe(0);
    expect(ann).not.toHaveProperty('last_login');
    expect(ann).not.toHaveProperty('last_ip');
    expect(ann.updated_at).toBe(ann.created_at);
  });

  it('signup for a ghost: 400 user_exists (Authentication API body) and an fs "The user already exists." log', async () => {
    const res = await sb().control.endUser('signup', { email: 'jane.doe@acme.com', password: 'Whatever-1!' });
    expect(res).toEqual({ status: 400, body: { name: 'BadRequestError', code: 'user_exists', description: 'The user already exists.', statusCode: 400 } });
    const page = await sb().mgmt.logs.list({}, { queryParams: { q: 'type:fs AND user_name:"jane.doe@acme.com"' } });
    expect(page.data).toHaveLength(2); // the preloaded one and this one
    expect(page.data[0]).toMatchObject({ type: 'fs', description: 'The user already exists.', connection: 'legacy-db', connection_id: LEGACY_DB, user_id: '' });
    expect(Date.parse(page.data[0]!.date as string)).toBeGreaterThan(Date.parse('2025-01-01')); // newest first
    // A new email signs up fine (ss).
    const ok = await sb().control.endUser('signup', { email: 'newbie@acme.com', password: 'Newbie-1!', connection: 'Username-Password-Authentication' });
    expect(ok.body).toMatchObject({ outcome: 'signed_up', email: 'newbie@acme.com' });
    expect((await sb().mgmt.users.listUsersByEmail({ email: 'newbie@acme.com' })).map((u) => u.user_id)).toEqual([ok.body.user_id]);
  });

  it('interrupt leaves a ghost: invisible, blocks login and POST /users; deleteByEmail + login migrates with metadata intact', async () => {
    const cut = await sb().control.endUser('interrupt', { email: 'bob.smith@acme.com' });
    expect(cut).toEqual({ status: 200, body: { outcome: 'interrupted', user_id: 'auth0|legacy-1040' } });
    expect((await logs()).at(-1)).toMatchObject({ type: 'f', description: 'Request to Webtask exceeded allowed execution time', user_name: 'bob.smith@acme.com' });
    expect(await sb().mgmt.users.listUsersByEmail({ email: 'bob.smith@acme.com' })).toEqual([]);
    expect((await sb().mgmt.users.list({ q: 'email:"bob.smith@acme.com"' })).data).toEqual([]);
    expect((await sb().control.state()).ghosts).toContainEqual({ connection: 'legacy-db', email: 'bob.smith@acme.com', user_id: 'auth0|legacy-1040' });

    const login = await sb().control.endUser('login', { email: 'bob.smith@acme.com', password: 'Bob-Legacy-2024!' });
    expect(login).toEqual({ status: 409, body: { outcome: 'failed', reason: 'user_exists', message: 'The user already exists.' } });
    const create = await rejection(sb().mgmt.users.create({ connection: 'legacy-db', email: 'bob.smith@acme.com', password: 'Bob-Legacy-2024!' }));
    expect(create.body).toEqual({ statusCode: 409, error: 'Conflict', message: 'The user already exists.', errorCode: 'auth0_idp_error' });
    expect((await sb().control.endUser('interrupt', { email: 'bob.smith@acme.com' })).status).toBe(409);

    await sb().mgmt.connections.users.deleteByEmail(LEGACY_DB, { email: 'bob.smith@acme.com' });
    expect((await sb().control.state()).ghosts.map((g: { email: string }) => g.email)).not.toContain('bob.smith@acme.com');
    const again = await sb().control.endUser('login', { email: 'bob.smith@acme.com', password: 'Bob-Legacy-2024!' });
    expect(again).toEqual({ status: 200, body: { outcome: 'migrated', user_id: 'auth0|legacy-1040' } });
    const [bob] = await sb().mgmt.users.listUsersByEmail({ email: 'bob.smith@acme.com' });
    expect(bob).toMatchObject({ name: 'Bob Smith', user_metadata: { language: 'en', newsletter: true }, app_metadata: { plan: 'bronze', legacy_customer_id: 'C-1040' } });
  });

  it('change-password: a ghost fails fcp 409; a legacy-only user under import mode is migrated by the ticket', async () => {
    const ghost = await sb().control.endUser('change-password', { email: 'olga.ivanova@acme.com', password: 'Olga-New-1!' });
    expect(ghost).toEqual({ status: 409, body: { outcome: 'failed', reason: 'user_exists', message: 'The user already exists.' } });
    expect((await logs()).at(-1)).toMatchObject({ type: 'fcp', description: 'The user already exists.', user_name: 'olga.ivanova@acme.com' });

    // Under import mode the Get User script finds Nina in the legacy store, so a ticket is issued.
    const { ticket } = await sb().mgmt.tickets.changePassword({ connection_id: LEGACY_DB, email: 'nina.kowalski@acme.com' });
    const done = await sb().control.endUser('change-password', { ticket: new URL(ticket!).searchParams.get('ticket'), password: 'Nina-New-1!' });
    expect(done).toEqual({ status: 200, body: { outcome: 'migrated', user_id: 'auth0|legacy-1020' } });
    const nina = await sb().mgmt.users.get('auth0|legacy-1020');
    expect(nina.user_metadata).toEqual({ language: 'pl', newsletter: true });
    expect(nina.last_password_reset).toEqual(expect.any(String));
    expect((await logs()).at(-1)).toMatchObject({ type: 'scp', user_id: 'auth0|legacy-1020' });
    expect((await sb().control.endUser('login', { email: 'nina.kowalski@acme.com', password: 'Nina-New-1!' })).body.outcome).toBe('logged_in');
    expect((await sb().control.endUser('login', { email: 'nina.kowalski@acme.com', password: 'Nina-Legacy-2024!' })).status).toBe(401);
  });

  it('the documented repair of a preloaded ghost: deleteByEmail, then the next login migrates them again', async () => {
    expect((await sb().control.endUser('login', { email: 'raj.patel@acme.com', password: 'Raj-Legacy-2024!' })).status).toBe(409);
    await sb().mgmt.connections.users.deleteByEmail(LEGACY_DB, { email: 'raj.patel@acme.com' });
    expect((await sb().control.endUser('login', { email: 'raj.patel@acme.com', password: 'Raj-Legacy-2024!' })).body).toEqual({ outcome: 'migrated', user_id: 'auth0|legacy-1002' });
    expect((await sb().mgmt.users.get('auth0|legacy-1002')).user_metadata).toEqual({ language: 'hi', newsletter: true });
  });
});

describe('integrity: one user per user_id, no silently replaced store entry', () => {
  it('PATCH email of a social primary to a ghost\'s email: 200, and the ghost (and the linked identity\'s entry) are untouched', async () => {
    const priya = await sb().mgmt.users.update('google-oauth2|104857600123456789012', { email: 'jane.doe@acme.com' });
    expect(priya.email).toBe('jane.doe@acme.com');
    const state = await sb().control.state();
    expect(state.ghosts).toContainEqual({ connection: 'legacy-db', email: 'jane.doe@acme.com', user_id: 'auth0|legacy-1001' });
    const entries = await store('legacy-db');
    expect(entries.find((e) => e.email === 'jane.doe@acme.com')).toEqual({ email: 'jane.doe@acme.com', user_id: 'auth0|legacy-1001', has_password: true, ghost: true });
    expect(entries.find((e) => e.email === 'priya.shah@acme.com')).toEqual({ email: 'priya.shah@acme.com', user_id: 'auth0|legacy-1050', has_password: false, ghost: false });
    // The repair still works on the ghost afterwards.
    const err = await rejection(sb().mgmt.users.create({ connection: 'legacy-db', email: 'jane.doe@acme.com', password: 'x-2024!' }));
    expect(err.statusCode).toBe(409);
  });

  it('POST /users with the id of a ghost on another connection is 409', async () => {
    const err = await rejection(sb().mgmt.users.create({ connection: 'Username-Password-Authentication', email: 'new@acme.com', password: 'x-2024!', user_id: 'legacy-1001' }));
    expect(err).toBeInstanceOf(Management.ConflictError);
    expect(err.body).toEqual({ statusCode: 409, error: 'Conflict', message: 'The user already exists.', errorCode: 'auth0_idp_error' });
  });

  it('suffix and free-text searches through the SDK', async () => {
    const ids = async (q: string) => (await sb().mgmt.users.list({ q, per_page: 100, sort: 'user_id:1' })).data.map((u) => u.user_id);
    expect(await ids('email:*@gmail.com')).toEqual(['google-oauth2|109876543210987654321']);
    expect(await ids('identities.connection:"Username-Password-Authentication" AND email:*@acme.com')).toEqual(['auth0|upa-maria-01', 'auth0|upa-support-01']);
    expect(await ids('maria')).toEqual(['auth0|legacy-1060', 'auth0|upa-maria-01']);
    const short = await rejection(sb().mgmt.users.list({ q: 'email:*om' }));
    expect((short.body as { errorCode: string }).errorCode).toBe('invalid_query_string');
  });

  it('a client with only update:users_app_metadata may PATCH app_metadata, and nothing else (403 insufficient_scope)', async () => {
    await sb().control.reset({
      ...ACME,
      clients: [{ client_id: 'metadata-client', client_secret: 'metadata-secret', scopes: ['read:users', 'update:users_app_metadata'] }],
    });
    const meta = sb().client({ clientId: 'metadata-client', clientSecret: 'metadata-secret' });
    const updated = await meta.users.update('auth0|legacy-1007', { app_metadata: { migrated: true } });
    expect(updated.app_metadata).toMatchObject({ plan: 'gold', migrated: true });
    for (const body of [{ email: 'mallory@acme.com' }, { password: 'Pwned-2024!' }, { app_metadata: { a: 1 }, blocked: true }]) {
      const err = await rejection(meta.users.update('auth0|legacy-1007', body));
      expect(err).toBeInstanceOf(Management.ForbiddenError);
      expect(err.body).toEqual({ statusCode: 403, error: 'Forbidden', message: 'Insufficient scope, expected any of: update:users', errorCode: 'insufficient_scope' });
    }
    const alice = await meta.users.get('auth0|legacy-1007');
    expect(alice.email).toBe('alice.ng@acme.com');
    expect(alice.blocked).toBeUndefined();
  });
});
