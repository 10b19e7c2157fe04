import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DUPLICATED_USER_UPSERT_FALSE } from '../../src/sandbox/jobs.js';
import { newProfile } from '../../src/sandbox/profile.js';
import { parseScenario, ScenarioError } from '../../src/sandbox/scenario.js';
import { SandboxTenant } from '../../src/sandbox/state.js';
import { LEGACY_DB } from '../helpers/sandbox.js';
import { BASE_SCENARIO, bodyOf, harness, type Harness } from './handler-harness.js';

/**
 * The tenant's integrity: a user_id names one user across the tenant, and a store entry is never
 * silently replaced. Most cases replay the reviewer's repros on the shipped acme-mixed scenario.
 */

const ACME = JSON.parse(readFileSync('examples/scenarios/acme-mixed.json', 'utf8')) as Record<string, unknown>;
const UPA_ID = 'con_Up7Hw3NbQ8sLx2Ve';
const PRIYA = 'google-oauth2|104857600123456789012';

async function runImport(h: Harness, users: unknown, fields: Record<string, string>) {
  const res = await h.importUsers(users, fields);
  expect(res.status).toBe(202);
  h.clock.now += 1000;
  const id = bodyOf(res).id as string;
  return { job: bodyOf(await h.call('GET', `/api/v2/jobs/${id}`)), errors: (await h.call('GET', `/api/v2/jobs/${id}/errors`)).body };
}

function scenarioError(value: unknown): ScenarioError {
  try {
    parseScenario(JSON.stringify(value, null, 2), 'tenant.json');
  } catch (err) {
    if (err instanceof ScenarioError) return err;
    throw err;
  }
  throw new Error('expected a ScenarioError');
}

describe('user_id uniqueness across the tenant', () => {
  it('an import into another connection with a user_id the tenant already has fails that user (DUPLICATED_USER); the profile stays', async () => {
    const h = harness(ACME);
    const alice = structuredClone(h.tenant.user('auth0|legacy-1007'));
    const user = { email: 'someone.else@acme.com', user_id: 'legacy-1007' };
    const { job, errors } = await runImport(h, [user], { connection_id: UPA_ID });
    expect(job).toMatchObject({ status: 'completed', summary: { failed: 1, updated: 0, inserted: 0, total: 1 } });
    expect(errors).toEqual([{ user, errors: [{ code: 'DUPLICATED_USER', message: DUPLICATED_USER_UPSERT_FALSE }] }]);
    expect(h.tenant.user('auth0|legacy-1007')).toEqual(alice);
    expect(h.tenant.usersWithEmail('someone.else@acme.com')).toEqual([]);
    expect(h.tenant.storeEntry(h.tenant.connection(UPA_ID)!, 'someone.else@acme.com')).toBeUndefined();
  });

  it('with upsert on, the same import is a CONFLICT on user_id (upsert matches on email only)', async () => {
    const h = harness(ACME);
    const { errors } = await runImport(h, [{ email: 'someone.else@acme.com', user_id: 'legacy-1007' }], { connection_id: UPA_ID, upsert: 'true' });
    expect((errors as any[])[0].errors).toEqual([{ code: 'CONFLICT', message: 'A user with user_id legacy-1007 already exists with another email', path: 'user_id' }]);
    expect(h.tenant.user('auth0|legacy-1007')!.email).toBe('alice.ng@acme.com');
  });

  it('a ghost\'s id and a linked identity\'s id count as taken too, on any connection', async () => {
    const h = harness(ACME);
    const users = [
      { email: 'x1@acme.com', user_id: 'legacy-1001' }, // Jane's ghost on legacy-db
      { email: 'x2@acme.com', user_id: 'legacy-1050' }, // Priya's linked legacy-db identity
      { email: 'x3@acme.com', user_id: 'fresh-1' },
      { email: 'x4@acme.com', user_id: 'fresh-1' }, // taken by the line above
    ];
    const { job, errors } = await runImport(h, users, { connection_id: UPA_ID });
    expect(job.summary).toEqual({ failed: 3, updated: 0, inserted: 1, total: 4 });
    expect((errors as any[]).map((e) => [e.user.email, e.errors[0].code])).toEqual([
      ['x1@acme.com', 'DUPLICATED_USER'],
      ['x2@acme.com', 'DUPLICATED_USER'],
      ['x4@acme.com', 'DUPLICATED_USER'],
    ]);
    expect(h.tenant.isGhost(h.tenant.connection(LEGACY_DB)!, 'jane.doe@acme.com')).toBe(true);
    expect(h.tenant.user('auth0|fresh-1')!.email).toBe('x3@acme.com');
  });

  it('POST /users with a user_id held on another connection (a ghost) is 409, not a second user', async () => {
    const h = harness(ACME);
    const conflict = { statusCode: 409, error: 'Conflict', message: 'The user already exists.', errorCode: 'auth0_idp_error' };
    const res = await h.call('POST', '/api/v2/users', { json: { email: 'new@acme.com', password: 'pw', connection: 'Username-Password-Authentication', user_id: 'legacy-1001' } });
    expect(res).toEqual({ status: 409, body: conflict });
    expect(h.tenant.usersWithEmail('new@acme.com')).toEqual([]);
  });

  it('a lazy migration whose legacy id is taken is refused instead of overwriting anything', async () => {
    const h = harness({
      ...BASE_SCENARIO,
      users: [{ email: 'renamed@acme.com', connection: 'legacy-db', user_id: 'legacy-1002', password: 'pw' }],
      ghosts: [],
    });
    // Raj's legacy id is already the user renamed@: neither an interrupt nor a login may create a second one.
    expect((await h.call('POST', '/__sandbox/interrupt', { json: { email: 'raj.patel@acme.com' } })).status).toBe(409);
    expect(bodyOf(await h.call('POST', '/__sandbox/login', { json: { email: 'raj.patel@acme.com', password: 'raj-pw' } }))).toMatchObject({ outcome: 'failed', reason: 'user_exists' });
    expect(h.tenant.user('auth0|legacy-1002')!.email).toBe('renamed@acme.com');
    expect(h.tenant.storeEntry(h.tenant.connection(LEGACY_DB)!, 'raj.patel@acme.com')).toBeUndefined();
  });

  it('addProfile throws on an existing user_id or an identity another profile holds (an internal invariant)', () => {
    const { tenant } = harness();
    const alice = tenant.usersWithEmail('alice.ng@acme.com')[0]!;
    const copy = newProfile({ user_id: alice.user_id, email: 'other@acme.com', identities: [], created_at: alice.created_at });
    expect(() => tenant.addProfile(copy)).toThrow(/user_id auth0\|[0-9a-f]+ already exists/);
    const thief = newProfile({ user_id: 'auth0|thief', email: 'thief@acme.com', identities: [{ ...alice.identities[0]! }], created_at: alice.created_at });
    expect(() => tenant.addProfile(thief)).toThrow(/already belongs to/);
    expect(tenant.user(alice.user_id)).toBe(alice);
    expect(tenant.userCount).toBe(3);
  });
});

describe('scenario validation: user_ids are unique across the tenant', () => {
  const connections = [
    { name: 'legacy-db', options: { enabledDatabaseCustomization: true, import_mode: true } },
    { name: 'other-db', options: { enabledDatabaseCustomization: true, import_mode: true } },
  ];

  it('rejects a user_id given twice on two connections, naming both paths', () => {
    const err = scenarioError({
      connections,
      users: [
        { email: 'a@acme.com', connection: 'legacy-db', user_id: 'u-1' },
        { email: 'b@acme.com', connection: 'other-db', user_id: 'u-1' },
      ],
    });
    expect(err.message).toBe('users[1].user_id: user_id "auth0|u-1" is already used by users[0] (a user_id is unique across the tenant)');
    expect(err.line).toBeGreaterThan(1);
  });

  it('rejects derived ids that collide: the same legacy user imported on two connections, or a ghost on another', () => {
    const legacy = [{ email: 'jane@acme.com', password: 'pw', user_id: 'legacy-1' }];
    const twoUsers = scenarioError({ connections, legacy, users: [{ email: 'jane@acme.com', connection: 'legacy-db' }, { email: 'jane@acme.com', connection: 'other-db' }] });
    expect(twoUsers.message).toBe('users[1]: its derived user_id "auth0|legacy-1" is already used by users[0] (a user_id is unique across the tenant)');
    const ghost = scenarioError({ connections, legacy, users: [{ email: 'jane@acme.com', connection: 'legacy-db' }], ghosts: [{ email: 'jane@acme.com', connection: 'other-db' }] });
    expect(ghost.message).toBe('ghosts[0]: its derived user_id "auth0|legacy-1" is already used by users[0] (a user_id is unique across the tenant)');
  });

  it('counts linked identities: their ids, and the store entry they take under the profile\'s email', () => {
    const linkedId = scenarioError({
      connections,
      users: [
        { email: 'a@acme.com', connection: 'legacy-db', user_id: 'legacy-9' },
        { email: 'sam@gmail.com', connection: 'google-oauth2', user_id: '111', identities: [{ connection: 'other-db', user_id: 'legacy-9' }] },
      ],
    });
    expect(linkedId.message).toBe('users[1].identities[0].user_id: user_id "auth0|legacy-9" is already used by users[0] (a user_id is unique across the tenant)');
    const linkedEmail = scenarioError({
      connections,
      users: [
        { email: 'sam@gmail.com', connection: 'google-oauth2', user_id: '111', identities: [{ connection: 'legacy-db', user_id: 'legacy-9' }] },
        { email: 'Sam@gmail.com', connection: 'legacy-db', user_id: 'legacy-10' },
      ],
    });
    expect(linkedEmail.message).toBe('users[1].email: Sam@gmail.com is already on connection "legacy-db" (users[0].identities[0])');
  });

  it('the shipped scenarios pass and load', () => {
    for (const file of ['examples/scenarios/acme-mixed.json', 'examples/scenarios/large-10k.json']) {
      const tenant = SandboxTenant.fromScenario(parseScenario(readFileSync(file, 'utf8'), file));
      expect(tenant.userCount).toBeGreaterThan(0);
    }
  });
});

describe('PATCH email and the internal store', () => {
  it('a social primary with a linked database identity: only the primary moves; the ghost at the new email is untouched', async () => {
    const h = harness(ACME);
    const legacyDb = h.tenant.connection(LEGACY_DB)!;
    const res = await h.call('PATCH', `/api/v2/users/${encodeURIComponent(PRIYA)}`, { json: { email: 'jane.doe@acme.com' } });
    expect(res.status).toBe(200);
    expect(bodyOf(res).email).toBe('jane.doe@acme.com');
    // Jane's ghost is still Jane's ghost.
    expect(h.tenant.storeEntry(legacyDb, 'jane.doe@acme.com')).toEqual({ email: 'jane.doe@acme.com', user_id: 'auth0|legacy-1001', password: 'Jane-Legacy-2024!' });
    expect(h.tenant.isGhost(legacyDb, 'jane.doe@acme.com')).toBe(true);
    // Priya's linked identity keeps its entry (and its owner).
    const linked = h.tenant.storeEntry(legacyDb, 'priya.shah@acme.com')!;
    expect(linked.user_id).toBe('auth0|legacy-1050');
    expect(h.tenant.profileFor(legacyDb, linked)?.user_id).toBe(PRIYA);
  });

  it('a database primary cannot take an email its connection\'s store holds: a ghost, or a linked identity\'s entry', async () => {
    const h = harness(ACME);
    const tom = `/api/v2/users/${encodeURIComponent('auth0|legacy-2207')}`;
    const refused = { status: 400, body: { statusCode: 400, error: 'Bad Request', message: 'The specified new email already exists', errorCode: 'auth0_idp_error' } };
    expect(await h.call('PATCH', tom, { json: { email: 'Jane.Doe@acme.com' } })).toEqual(refused);
    expect(await h.call('PATCH', tom, { json: { email: 'priya.shah@acme.com' } })).toEqual(refused);
    // Another connection's store does not matter: maria.garcia@ is on Username-Password-Authentication and on legacy-db.
    const support = `/api/v2/users/${encodeURIComponent('auth0|upa-support-01')}`;
    expect(bodyOf(await h.call('PATCH', support, { json: { email: 'frank.li@acme.com' } })).email).toBe('frank.li@acme.com');
  });

  it('a refused PATCH changes nothing, even the attributes sent along with the email', async () => {
    const h = harness(ACME);
    const before = structuredClone(h.tenant.user('auth0|legacy-2207'));
    const res = await h.call('PATCH', `/api/v2/users/${encodeURIComponent('auth0|legacy-2207')}`, { json: { name: 'Changed', user_metadata: {}, email: 'jane.doe@acme.com' } });
    expect(res.status).toBe(400);
    expect(h.tenant.user('auth0|legacy-2207')).toEqual(before);
    expect(h.tenant.logs.all().some((l) => l.type === 'sapi')).toBe(false);
  });

  it('putStoreEntry never overwrites an entry owned by another user_id, nor gives a user_id a second entry', () => {
    const { tenant } = harness();
    const legacyDb = tenant.connection(LEGACY_DB)!;
    expect(() => tenant.putStoreEntry(legacyDb, { email: 'JANE.DOE@acme.com', user_id: 'auth0|someone-else', password: 'x' })).toThrow(/refusing to overwrite/);
    expect(() => tenant.putStoreEntry(legacyDb, { email: 'second@acme.com', user_id: 'auth0|legacy-1001' })).toThrow(/already has a store entry/);
    expect(tenant.storeEntry(legacyDb, 'jane.doe@acme.com')).toEqual({ email: 'jane.doe@acme.com', user_id: 'auth0|legacy-1001', password: 'jane-pw' });
    // The owner itself may rewrite its entry (a password change does).
    tenant.putStoreEntry(legacyDb, { email: 'jane.doe@acme.com', user_id: 'auth0|legacy-1001', password: 'new' });
    expect(tenant.storeEntry(legacyDb, 'jane.doe@acme.com')?.password).toBe('new');
  });
});

describe('scopes: update:users_app_metadata alone', () => {
  const appMetadataOnly = ['read:users', 'update:users_app_metadata'];

  it('may PATCH app_metadata; anything else (email, password, name, user_metadata) is 403 insufficient_scope and changes nothing', async () => {
    const h = harness(BASE_SCENARIO, { scopes: appMetadataOnly });
    const alice = h.tenant.usersWithEmail('alice.ng@acme.com')[0]!;
    const path = `/api/v2/users/${encodeURIComponent(alice.user_id)}`;
    const ok = await h.call('PATCH', path, { json: { app_metadata: { migrated: true } } });
    expect(ok.status).toBe(200);
    expect(bodyOf(ok).app_metadata).toEqual({ plan: 'gold', migrated: true });
    const forbidden = { status: 403, body: { statusCode: 403, error: 'Forbidden', message: 'Insufficient scope, expected any of: update:users', errorCode: 'insufficient_scope' } };
    for (const body of [{ email: 'evil@acme.com' }, { password: 'pwned' }, { app_metadata: { a: 1 }, name: 'x' }, { user_metadata: { a: 1 } }]) {
      expect(await h.call('PATCH', path, { json: body })).toEqual(forbidden);
    }
    expect(h.tenant.user(alice.user_id)!.email).toBe('alice.ng@acme.com');
    expect(h.tenant.storeEntry(h.tenant.connection(LEGACY_DB)!, 'alice.ng@acme.com')?.password).toBe('alice-pw');
    // With update:users every attribute is allowed.
    const full = harness();
    expect((await full.call('PATCH', path, { json: { name: 'Alice', app_metadata: { a: 1 } } })).status).toBe(200);
  });
});
