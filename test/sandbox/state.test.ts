import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../src/sandbox/scenario.js';
import { SandboxTenant } from '../../src/sandbox/state.js';
import { LEGACY_DB } from '../helpers/sandbox.js';
import { BASE_SCENARIO, bodyOf, harness } from './handler-harness.js';

describe('SandboxTenant.fromScenario', () => {
  it('keeps profiles, internal stores and the legacy store apart; a ghost is a store entry without a profile', () => {
    const { tenant } = harness();
    const legacyDb = tenant.connectionNamed('legacy-db')!;
    expect(tenant.storeEntry(legacyDb, 'jane.doe@acme.com')).toEqual({ email: 'jane.doe@acme.com', user_id: 'auth0|legacy-1001', password: 'jane-pw' });
    expect(tenant.isGhost(legacyDb, 'jane.doe@acme.com')).toBe(true);
    expect(tenant.usersWithEmail('jane.doe@acme.com')).toEqual([]);
    expect(tenant.isGhost(legacyDb, 'alice.ng@acme.com')).toBe(false);
    expect(tenant.storeEntry(legacyDb, 'raj.patel@acme.com')).toBeUndefined();
    expect(tenant.legacyUser('RAJ.PATEL@acme.com')?.user_id).toBe('legacy-1002');
    expect(tenant.userCount).toBe(3);
  });

  it('derives stable ids: con_ + 16 alphanumerics per connection name, auth0|/google-oauth2| user ids', () => {
    const a = harness().tenant;
    const b = SandboxTenant.fromScenario(parseScenario(JSON.stringify(BASE_SCENARIO), 'x'));
    const upa = a.connectionNamed('Username-Password-Authentication')!;
    expect(upa.id).toMatch(/^con_[A-Za-z0-9]{16}$/);
    expect(b.connectionNamed('Username-Password-Authentication')!.id).toBe(upa.id);
    expect(a.connectionNamed('legacy-db')!.id).toBe(LEGACY_DB);
    const bob = a.usersWithEmail('bob.smith@acme.com')[0]!;
    expect(bob.email).toBe('bob.smith@acme.com'); // database emails are stored lowercased
    expect(bob.user_id).toMatch(/^auth0\|[0-9a-f]{24}$/);
    expect(bob.identities).toEqual([{ connection: 'Username-Password-Authentication', provider: 'auth0', user_id: bob.user_id.slice(6), isSocial: false }]);
    const carol = a.usersWithEmail('carol@gmail.com')[0]!;
    expect(carol.user_id).toMatch(/^google-oauth2\|\d{21}$/);
    expect(carol.identities[0]).toMatchObject({ provider: 'google-oauth2', isSocial: true });
  });

  it('represents linked identities, and deleting a connection user unlinks a linked database identity without deleting the profile', async () => {
    const h = harness({
      ...BASE_SCENARIO,
      users: [
        {
          email: 'sam@gmail.com',
          connection: 'google-oauth2',
          user_id: 'google-oauth2|111',
          identities: [{ connection: 'legacy-db', provider: 'auth0', user_id: 'legacy-9' }],
        },
      ],
      ghosts: [],
    });
    const sam = h.tenant.user('google-oauth2|111')!;
    expect(sam.identities.map((i) => `${i.connection}/${i.user_id}/${i.isSocial}`)).toEqual(['google-oauth2/111/true', 'legacy-db/legacy-9/false']);
    // The linked database identity has a store entry under the profile's email; it is not a ghost.
    const legacyDb = h.tenant.connectionNamed('legacy-db')!;
    expect(h.tenant.storeEntry(legacyDb, 'sam@gmail.com')).toEqual({ email: 'sam@gmail.com', user_id: 'auth0|legacy-9' });
    expect(h.tenant.isGhost(legacyDb, 'sam@gmail.com')).toBe(false);
    const res = await h.call('DELETE', `/api/v2/connections/${LEGACY_DB}/users`, { query: { email: 'sam@gmail.com' } });
    expect(res.status).toBe(204);
    expect(h.tenant.user('google-oauth2|111')!.identities.map((i) => i.connection)).toEqual(['google-oauth2']);
    expect(h.tenant.storeEntry(legacyDb, 'sam@gmail.com')).toBeUndefined();
  });

  it('snapshot() lists ghosts, store entries without passwords and legacy users without passwords', () => {
    const snap = harness().tenant.snapshot() as Record<string, any>;
    expect(snap.ghosts).toEqual([{ connection: 'legacy-db', email: 'jane.doe@acme.com', user_id: 'auth0|legacy-1001' }]);
    expect(snap.stores['legacy-db']).toContainEqual({ email: 'jane.doe@acme.com', user_id: 'auth0|legacy-1001', has_password: true, ghost: true });
    expect(snap.legacy[0]).toEqual({ email: 'jane.doe@acme.com', user_id: 'legacy-1001', user_metadata: { language: 'fr' }, app_metadata: { tier: 'pro' } });
    expect(JSON.stringify(snap)).not.toContain('jane-pw');
  });
});

describe('logs', () => {
  it('assigns strictly increasing 56-digit log_ids after the largest preloaded one, and fills dates', () => {
    const h = harness({
      ...BASE_SCENARIO,
      logs: [
        { type: 'fs', description: 'The user already exists.', user_name: 'jane.doe@acme.com', date: '2024-05-01T08:00:00.000Z' },
        { type: 's', log_id: '90020240502104012031001007919000000000000000000000000000', date: '2024-05-01T09:00:00.000Z' },
      ],
    });
    const all = h.tenant.logs.all();
    expect(all.map((l) => l.log_id)).toEqual([
      '90020240502104012031001007919000000000000000000000000000',
      '90020240502104012031001007919000000000000000000000000001',
    ]);
    const added = h.tenant.addLog({ type: 'api_limit', description: 'Global limit has been reached' });
    expect(added.log_id).toBe('90020240502104012031001007919000000000000000000000000002');
    expect(added.date).toBe('2024-05-02T10:00:00.000Z');
    expect(added._id).toBe(added.log_id);
    expect(added.tenant_name).toBe('acme-dev');
  });

  it('checkpoint mode: from/take returns newer records oldest first, ignores q, and links the next page', async () => {
    const h = harness();
    for (const type of ['s', 'fs', 'fp', 'fu', 'ss']) {
      h.tenant.addLog({ type });
      h.clock.now += 1000;
    }
    const ids = h.tenant.logs.all().map((l) => l.log_id);
    const res = await h.call('GET', '/api/v2/logs', { query: { from: ids[1]!, take: '2', q: 'type:s' } });
    expect(res.status).toBe(200);
    expect((res.body as any[]).map((l) => l.type)).toEqual(['fp', 'fu']);
    expect(res.headers?.link).toBe(`<https://127.0.0.1:4443/api/v2/logs?from=${ids[3]}&take=2>; rel="next"`);
    const empty = await h.call('GET', '/api/v2/logs', { query: { from: ids[4]!, take: '2' } });
    expect(empty.body).toEqual([]);
    expect(empty.headers?.link).toContain(`from=${ids[4]}&take=2`);
    expect((await h.call('GET', '/api/v2/logs', { query: { from: ids[0]!, take: '101' } })).status).toBe(400);
  });

  it('search mode: newest first by default, q (search= is 400), include_totals (total = the page count), sort and the 1000 window', async () => {
    const h = harness();
    for (const type of ['s', 'fs', 'fp', 'fs']) {
      h.tenant.addLog({ type, description: type === 'fs' ? 'The user already exists.' : 'x' });
      h.clock.now += 1000;
    }
    const newest = await h.call('GET', '/api/v2/logs');
    expect((newest.body as any[]).map((l) => l.type)).toEqual(['fs', 'fp', 'fs', 's']);
    const oldest = await h.call('GET', '/api/v2/logs', { query: { sort: 'date:1', per_page: '2' } });
    expect((oldest.body as any[]).map((l) => l.type)).toEqual(['s', 'fs']);
    const sdk = await h.call('GET', '/api/v2/logs', { query: { page: '0', per_page: '50', include_totals: 'true', q: 'type:fs' } });
    expect(bodyOf(sdk)).toMatchObject({ start: 0, limit: 50, length: 2, total: 2 });
    expect(bodyOf(sdk).logs.every((l: any) => l.type === 'fs')).toBe(true);
    const paged = await h.call('GET', '/api/v2/logs', { query: { per_page: '3', include_totals: 'true' } });
    expect(bodyOf(paged)).toMatchObject({ start: 0, limit: 3, length: 3, total: 3 });
    const searchParam = await h.call('GET', '/api/v2/logs', { query: { page: '0', per_page: '50', include_totals: 'true', search: 'type:fs' } });
    expect(searchParam).toEqual({ status: 400, body: { statusCode: 400, error: 'Bad Request', message: "Query validation error: 'Additional properties not allowed: search'", errorCode: 'invalid_query_string' } });
    expect(bodyOf(await h.call('GET', '/api/v2/logs', { query: { q: 'type:fp' } }))).toHaveLength(1);
    const window = await h.call('GET', '/api/v2/logs', { query: { page: '10', per_page: '100' } });
    expect(window).toEqual({ status: 400, body: { statusCode: 400, error: 'Bad Request', message: 'You can only page through the first 1000 records.' } });
    expect(bodyOf(await h.call('GET', '/api/v2/logs', { query: { per_page: '101' } })).message).toBe("Query validation error: 'Number is too large (101 > 100)' on property per_page");
    expect(bodyOf(await h.call('GET', '/api/v2/logs', { query: { q: 'nonsense' } }))).toEqual([]); // a bare term that matches nothing
    expect(bodyOf(await h.call('GET', '/api/v2/logs', { query: { q: 'nonsense:x' } })).errorCode).toBe('invalid_query_string');
  });
});

describe('users endpoints', () => {
  it('users-by-email is exact and case-sensitive on the stored (lowercased) email', async () => {
    const h = harness();
    const found = await h.call('GET', '/api/v2/users-by-email', { query: { email: 'bob.smith@acme.com' } });
    expect((found.body as any[]).map((u) => u.email)).toEqual(['bob.smith@acme.com']);
    expect((await h.call('GET', '/api/v2/users-by-email', { query: { email: 'Bob.Smith@Acme.com' } })).body).toEqual([]);
    // A ghost has no profile, so it is invisible here (the heart of the support case).
    expect((await h.call('GET', '/api/v2/users-by-email', { query: { email: 'jane.doe@acme.com' } })).body).toEqual([]);
    expect(bodyOf(await h.call('GET', '/api/v2/users-by-email'))).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: "Query validation error: 'Missing required property: email'",
      errorCode: 'invalid_query_string',
    });
  });

  it('GET /users: q search, include_totals shape, plain array without it, per_page cap and 1000 window', async () => {
    const h = harness();
    const byConnection = await h.call('GET', '/api/v2/users', { query: { q: 'identities.connection:"legacy-db"', search_engine: 'v3', include_totals: 'true', page: '0', per_page: '50' } });
    expect(bodyOf(byConnection)).toMatchObject({ start: 0, limit: 50, length: 1, total: 1 });
    expect(bodyOf(byConnection).users[0].email).toBe('alice.ng@acme.com');
    const plain = await h.call('GET', '/api/v2/users', { query: { per_page: '2' } });
    expect((plain.body as any[]).map((u) => u.email)).toEqual(['alice.ng@acme.com', 'bob.smith@acme.com']);
    const second = await h.call('GET', '/api/v2/users', { query: { per_page: '2', page: '1', fields: 'email,user_id' } });
    expect(second.body).toEqual([{ email: 'carol@gmail.com', user_id: h.tenant.usersWithEmail('carol@gmail.com')[0]!.user_id }]);
    expect((await h.call('GET', '/api/v2/users', { query: { per_page: '101' } })).status).toBe(400);
    expect(bodyOf(await h.call('GET', '/api/v2/users', { query: { per_page: '100', page: '10' } })).message).toBe('You can only page through the first 1000 records.');
    expect((await h.call('GET', '/api/v2/users', { query: { per_page: '100', page: '9' } })).status).toBe(200);
    const sorted = await h.call('GET', '/api/v2/users', { query: { sort: 'email:-1' } });
    expect((sorted.body as any[]).map((u) => u.email)).toEqual(['carol@gmail.com', 'bob.smith@acme.com', 'alice.ng@acme.com']);
  });

  it('GET /users/:id answers 404 inexistent_user for an unknown id', async () => {
    const h = harness();
    expect(await h.call('GET', '/api/v2/users/auth0%7Cnope')).toEqual({
      status: 404,
      body: { statusCode: 404, error: 'Not Found', message: 'The user does not exist.', errorCode: 'inexistent_user' },
    });
  });

  it('PATCH merges metadata at the first level, null deletes a key, {} clears it; root attributes are replaced', async () => {
    const h = harness();
    const alice = h.tenant.usersWithEmail('alice.ng@acme.com')[0]!;
    const path = `/api/v2/users/${encodeURIComponent(alice.user_id)}`;
    h.clock.now += 5000;
    const merged = await h.call('PATCH', path, { json: { user_metadata: { theme: null, addresses: { work: '100 Industrial Way' } }, name: 'Alice Ng' } });
    expect(merged.status).toBe(200);
    expect(bodyOf(merged).user_metadata).toEqual({ language: 'en', addresses: { work: '100 Industrial Way' } });
    expect(bodyOf(merged).app_metadata).toEqual({ plan: 'gold' });
    expect(bodyOf(merged).name).toBe('Alice Ng');
    expect(bodyOf(merged).updated_at).toBe('2024-05-02T10:00:05.000Z');
    // Nested objects are replaced whole, not merged.
    const nested = await h.call('PATCH', path, { json: { user_metadata: { addresses: { home: '1 Main St' } } } });
    expect(bodyOf(nested).user_metadata).toEqual({ language: 'en', addresses: { home: '1 Main St' } });
    const cleared = await h.call('PATCH', path, { json: { app_metadata: {} } });
    expect(bodyOf(cleared).app_metadata).toBeUndefined();
    expect(h.tenant.user(alice.user_id)!.app_metadata).toEqual({});
    const sapi = h.tenant.logs.all().filter((l) => l.type === 'sapi');
    expect(sapi.map((l) => l.description)).toEqual(['Update a User', 'Update a User', 'Update a User']);
    expect((sapi[0]!.details as any).request).toMatchObject({ method: 'patch', path, channel: 'api', body: { name: 'Alice Ng' } });
    expect((sapi[0]!.details as any).response.statusCode).toBe(200);
  });

  it('PATCH rejects unknown attributes, empty bodies and non-object metadata with invalid_body', async () => {
    const h = harness();
    const path = `/api/v2/users/${encodeURIComponent(h.tenant.usersWithEmail('alice.ng@acme.com')[0]!.user_id)}`;
    expect(bodyOf(await h.call('PATCH', path, { json: { colour: 'red' } }))).toMatchObject({ statusCode: 400, message: "Payload validation error: 'Additional properties not allowed: colour'", errorCode: 'invalid_body' });
    expect(bodyOf(await h.call('PATCH', path, { json: {} })).message).toBe("Payload validation error: 'Too few properties defined (0), minimum 1'");
    expect(bodyOf(await h.call('PATCH', path, { json: { user_metadata: 'x' } })).message).toBe("Payload validation error: 'Expected type object but found type string' on property user_metadata");
    expect((await h.call('PATCH', '/api/v2/users/auth0%7Cnope', { json: { name: 'x' } })).status).toBe(404);
    expect(bodyOf(await h.call('PATCH', path, { body: Buffer.from('{nope'), contentType: 'application/json' })).message).toBe('Invalid request payload JSON format');
  });

  it('PATCH email moves the store entry; an email taken on the connection (a ghost too) is refused', async () => {
    const h = harness();
    const legacyDb = h.tenant.connectionNamed('legacy-db')!;
    const alice = h.tenant.usersWithEmail('alice.ng@acme.com')[0]!;
    const path = `/api/v2/users/${encodeURIComponent(alice.user_id)}`;
    expect(bodyOf(await h.call('PATCH', path, { json: { email: 'jane.doe@acme.com' } }))).toMatchObject({ statusCode: 400, message: 'The specified new email already exists' });
    expect(bodyOf(await h.call('PATCH', path, { json: { email: 'Alice@Acme.com' } })).email).toBe('alice@acme.com');
    expect(h.tenant.storeEntry(legacyDb, 'alice.ng@acme.com')).toBeUndefined();
    expect(h.tenant.storeEntry(legacyDb, 'alice@acme.com')?.user_id).toBe(alice.user_id);
  });

  it('POST /users: 409 auth0_idp_error when the store has the email (ghost included) or Get User finds it; 201 otherwise', async () => {
    const h = harness();
    const conflict = { status: 409, body: { statusCode: 409, error: 'Conflict', message: 'The user already exists.', errorCode: 'auth0_idp_error' } };
    expect(await h.call('POST', '/api/v2/users', { json: { email: 'Jane.Doe@acme.com', password: 'x', connection: 'legacy-db' } })).toEqual(conflict);
    expect(await h.call('POST', '/api/v2/users', { json: { email: 'raj.patel@acme.com', password: 'x', connection: 'legacy-db' } })).toEqual(conflict);
    expect(bodyOf(await h.call('POST', '/api/v2/users', { json: { email: 'x@acme.com', password: 'x', connection: 'nope' } }))).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: 'The connection does not exist.',
      errorCode: 'inexistent_connection',
    });
    const created = await h.call('POST', '/api/v2/users', {
      json: { email: 'New.User@acme.com', password: 'pw', connection: 'Username-Password-Authentication', user_id: 'abc123', user_metadata: { a: 1 } },
    });
    expect(created.status).toBe(201);
    expect(bodyOf(created)).toMatchObject({ user_id: 'auth0|abc123', email: 'new.user@acme.com', email_verified: false, user_metadata: { a: 1 }, logins_count: 0 });
    expect(bodyOf(created).identities).toEqual([{ connection: 'Username-Password-Authentication', provider: 'auth0', user_id: 'abc123', isSocial: false }]);
    const upa = h.tenant.connectionNamed('Username-Password-Authentication')!;
    expect(h.tenant.storeEntry(upa, 'new.user@acme.com')).toEqual({ email: 'new.user@acme.com', user_id: 'auth0|abc123', password: 'pw' });
    const sapi = h.tenant.logs.all().at(-1)!;
    expect(sapi).toMatchObject({ type: 'sapi', description: 'Create a User' });
    expect((sapi.details as any).request.body.password).toBe('*****');
  });

  it('DELETE /users/:id removes the profile and its store entry, answers 204 and logs sapi + sdu', async () => {
    const h = harness();
    const legacyDb = h.tenant.connectionNamed('legacy-db')!;
    const alice = h.tenant.usersWithEmail('alice.ng@acme.com')[0]!;
    const res = await h.call('DELETE', `/api/v2/users/${encodeURIComponent(alice.user_id)}`);
    expect(res).toEqual({ status: 204 });
    expect(h.tenant.user(alice.user_id)).toBeUndefined();
    expect(h.tenant.storeEntry(legacyDb, 'alice.ng@acme.com')).toBeUndefined();
    const [sapi, sdu] = h.tenant.logs.all().slice(-2);
    expect(sapi).toMatchObject({ type: 'sapi', description: 'Delete a User' });
    expect(sdu).toMatchObject({ type: 'sdu', user_id: alice.user_id, user_name: 'alice.ng@acme.com', connection: 'legacy-db', connection_id: LEGACY_DB });
    // Deleting again is still a 204 (Auth0 does not 404 here), with no second sdu.
    expect((await h.call('DELETE', `/api/v2/users/${encodeURIComponent(alice.user_id)}`)).status).toBe(204);
    expect(h.tenant.logs.all().filter((l) => l.type === 'sdu')).toHaveLength(1);
  });

  it('DELETE /connections/:id/users?email= removes a ghost (case-insensitively); 404 for an unknown connection, 400 for a missing email', async () => {
    const h = harness();
    const legacyDb = h.tenant.connectionNamed('legacy-db')!;
    const res = await h.call('DELETE', `/api/v2/connections/${LEGACY_DB}/users`, { query: { email: 'JANE.DOE@acme.com' } });
    expect(res.status).toBe(204);
    expect(h.tenant.storeEntry(legacyDb, 'jane.doe@acme.com')).toBeUndefined();
    expect(h.tenant.logs.all().at(-1)).toMatchObject({ type: 'sapi', description: 'Delete a connection user' });
    expect(await h.call('DELETE', '/api/v2/connections/con_AAAAAAAAAAAAAAAA/users', { query: { email: 'a@b.co' } })).toEqual({
      status: 404,
      body: { statusCode: 404, error: 'Not Found', message: 'The connection does not exist.', errorCode: 'inexistent_connection' },
    });
    expect((await h.call('DELETE', `/api/v2/connections/${LEGACY_DB}/users`)).status).toBe(400);
    // A healthy user: store entry and profile both go.
    await h.call('DELETE', `/api/v2/connections/${LEGACY_DB}/users`, { query: { email: 'alice.ng@acme.com' } });
    expect(h.tenant.usersWithEmail('alice.ng@acme.com')).toEqual([]);
    expect(h.tenant.logs.all().at(-1)).toMatchObject({ type: 'sdu', user_name: 'alice.ng@acme.com' });
  });
});

describe('connections endpoints', () => {
  it('lists with checkpoint pagination {connections, next} and filters by strategy and name', async () => {
    const h = harness();
    const first = await h.call('GET', '/api/v2/connections', { query: { include_totals: 'true', take: '1' } });
    expect(bodyOf(first).connections.map((c: any) => c.name)).toEqual(['legacy-db']);
    expect(bodyOf(first).next).toBe(LEGACY_DB);
    expect(bodyOf(first).connections[0].enabled_clients).toBeUndefined();
    const second = await h.call('GET', '/api/v2/connections', { query: { take: '1', from: bodyOf(first).next } });
    expect(bodyOf(second)).toEqual({ connections: [expect.objectContaining({ name: 'Username-Password-Authentication' })] });
    const byName = await h.call('GET', '/api/v2/connections', { query: { strategy: ['auth0'], name: 'legacy-db', take: '50' } });
    expect(bodyOf(byName).connections.map((c: any) => c.id)).toEqual([LEGACY_DB]);
    const none = await h.call('GET', '/api/v2/connections', { query: { strategy: 'github', take: '50' } });
    expect(bodyOf(none)).toEqual({ connections: [] });
  });

  it('GET by id answers 404 inexistent_connection; PATCH replaces options whole and merges other fields', async () => {
    const h = harness();
    expect(bodyOf(await h.call('GET', '/api/v2/connections/con_AAAAAAAAAAAAAAAA'))).toEqual({
      statusCode: 404,
      error: 'Not Found',
      message: 'The connection does not exist.',
      errorCode: 'inexistent_connection',
    });
    const patched = await h.call('PATCH', `/api/v2/connections/${LEGACY_DB}`, { json: { options: { enabledDatabaseCustomization: true, import_mode: false }, display_name: 'Legacy' } });
    expect(bodyOf(patched)).toMatchObject({ id: LEGACY_DB, name: 'legacy-db', display_name: 'Legacy', options: { enabledDatabaseCustomization: true, import_mode: false } });
    expect(bodyOf(patched).options.customScripts).toBeUndefined();
    expect(h.tenant.importsFromLegacy(h.tenant.connection(LEGACY_DB)!)).toBe(false);
    // Leaving enabledDatabaseCustomization out of a whole-options PATCH would turn it off: refused on a database with users.
    expect(await h.call('PATCH', `/api/v2/connections/${LEGACY_DB}`, { json: { options: { import_mode: true } } })).toEqual({
      status: 400,
      body: { statusCode: 400, error: 'Bad Request', message: 'This database contains users. You cannot change options.enabledDatabaseCustomization' },
    });
    expect(bodyOf(await h.call('PATCH', `/api/v2/connections/${LEGACY_DB}`, { json: { name: 'renamed' } })).message).toBe(
      "Payload validation error: 'Additional properties not allowed: name'",
    );
  });
});

describe('password change tickets', () => {
  it('refuses user_id with connection_id, 404s unknown users, and issues tickets for ghosts and legacy users', async () => {
    const h = harness();
    expect(bodyOf(await h.call('POST', '/api/v2/tickets/password-change', { json: { user_id: 'auth0|x', connection_id: LEGACY_DB, email: 'a@b.co' } })).message).toBe(
      'You cannot send user_id when specifying a connection_id',
    );
    expect(await h.call('POST', '/api/v2/tickets/password-change', { json: { user_id: 'auth0|nope' } })).toEqual({
      status: 404,
      body: { statusCode: 404, error: 'Not Found', message: 'User not found.', errorCode: 'inexistent_user' },
    });
    expect((await h.call('POST', '/api/v2/tickets/password-change', { json: { connection_id: LEGACY_DB, email: 'nobody@acme.com' } })).status).toBe(404);
    const ghost = await h.call('POST', '/api/v2/tickets/password-change', { json: { connection_id: LEGACY_DB, email: 'jane.doe@acme.com' } });
    expect(ghost.status).toBe(201);
    expect(bodyOf(ghost).ticket).toMatch(/^https:\/\/127\.0\.0\.1:4443\/__sandbox\/reset-password\?ticket=[A-Za-z0-9]{32}$/);
    const alice = h.tenant.usersWithEmail('alice.ng@acme.com')[0]!;
    expect((await h.call('POST', '/api/v2/tickets/password-change', { json: { user_id: alice.user_id } })).status).toBe(201);
    expect(h.tenant.logs.all().at(-1)).toMatchObject({ type: 'sapi', description: 'Create a Password Change Ticket' });
  });
});
