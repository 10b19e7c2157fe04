import { describe, expect, it } from 'vitest';
import { LEGACY_DB } from '../helpers/sandbox.js';
import { bodyOf, harness } from './handler-harness.js';

const lastLog = (h: ReturnType<typeof harness>) => h.tenant.logs.all().at(-1)!;

describe('simulated end-user actions', () => {
  it('login as a ghost fails like Auth0: 409 and an "f" log "The user already exists." naming the email', async () => {
    const h = harness();
    const res = await h.call('POST', '/__sandbox/login', { json: { email: 'Jane.Doe@acme.com', password: 'jane-pw' } });
    expect(res).toEqual({ status: 409, body: { outcome: 'failed', reason: 'user_exists', message: 'The user already exists.' } });
    expect(lastLog(h)).toMatchObject({ type: 'f', description: 'The user already exists.', user_name: 'jane.doe@acme.com', user_id: '', connection: 'legacy-db', connection_id: LEGACY_DB });
  });

  it('login of a legacy user under import mode migrates them with the legacy id and metadata (s); a wrong password is fp', async () => {
    const h = harness();
    const wrong = await h.call('POST', '/__sandbox/login', { json: { email: 'raj.patel@acme.com', password: 'nope', connection: 'legacy-db' } });
    expect(wrong.status).toBe(401);
    expect(lastLog(h)).toMatchObject({ type: 'fp', description: 'Wrong email or password.', user_id: 'auth0|raj.patel@acme.com' });
    const ok = await h.call('POST', '/__sandbox/login', { json: { email: 'raj.patel@acme.com', password: 'raj-pw', connection: 'legacy-db' } });
    expect(ok).toEqual({ status: 200, body: { outcome: 'migrated', user_id: 'auth0|legacy-1002' } });
    const raj = h.tenant.user('auth0|legacy-1002')!;
    expect(raj).toMatchObject({ email: 'raj.patel@acme.com', name: 'Raj Patel', user_metadata: { language: 'hi' }, logins_count: 1, last_login: '2024-05-02T10:00:00.000Z', last_ip: '203.0.113.10' });
    expect(lastLog(h)).toMatchObject({ type: 's', user_id: 'auth0|legacy-1002', user_name: 'raj.patel@acme.com' });
    // Next time the user exists in Auth0: a normal login against the store.
    expect(bodyOf(await h.call('POST', '/__sandbox/login', { json: { email: 'raj.patel@acme.com', password: 'raj-pw' } })).outcome).toBe('logged_in');
    expect(h.tenant.user('auth0|legacy-1002')!.logins_count).toBe(2);
    h.clock.now += 60_000;
    expect(bodyOf(await h.call('POST', '/__sandbox/login', { json: { email: 'raj.patel@acme.com', password: 'raj-pw' } })).outcome).toBe('logged_in');
    expect(h.tenant.user('auth0|legacy-1002')).toMatchObject({ logins_count: 3, last_login: '2024-05-02T10:01:00.000Z', updated_at: '2024-05-02T10:01:00.000Z' });
  });

  it('an unknown user is fu; a healthy user with a wrong password is fp with their user_id', async () => {
    const h = harness();
    expect((await h.call('POST', '/__sandbox/login', { json: { email: 'eve@example.org', password: 'x' } })).status).toBe(401);
    expect(lastLog(h)).toMatchObject({ type: 'fu', description: 'Wrong email or password.', user_id: '' });
    await h.call('POST', '/__sandbox/login', { json: { email: 'alice.ng@acme.com', password: 'bad' } });
    expect(lastLog(h)).toMatchObject({ type: 'fp', user_id: h.tenant.usersWithEmail('alice.ng@acme.com')[0]!.user_id });
  });

  it('signup of a ghost or of a legacy user under import mode fails with the Authentication API body and an fs log', async () => {
    const h = harness();
    const exists = { status: 400, body: { name: 'BadRequestError', code: 'user_exists', description: 'The user already exists.', statusCode: 400 } };
    expect(await h.call('POST', '/__sandbox/signup', { json: { email: 'jane.doe@acme.com', password: 'x', connection: 'legacy-db' } })).toEqual(exists);
    expect(lastLog(h)).toMatchObject({ type: 'fs', description: 'The user already exists.', user_name: 'jane.doe@acme.com', strategy: 'auth0', strategy_type: 'database' });
    expect((lastLog(h).details as any).body).toMatchObject({ email: 'jane.doe@acme.com', password: '*****', connection: 'legacy-db' });
    expect(await h.call('POST', '/__sandbox/signup', { json: { email: 'raj.patel@acme.com', password: 'x', connection: 'legacy-db' } })).toEqual(exists);
    const fresh = await h.call('POST', '/__sandbox/signup', { json: { email: 'fresh@acme.com', password: 'x', connection: 'legacy-db' } });
    expect(bodyOf(fresh)).toMatchObject({ outcome: 'signed_up', email: 'fresh@acme.com' });
    expect(lastLog(h)).toMatchObject({ type: 'ss', user_id: bodyOf(fresh).user_id });
  });

  it('interrupt leaves a ghost: store entry written, no profile, metadata lost, and an "f" webtask timeout log', async () => {
    const h = harness();
    const res = await h.call('POST', '/__sandbox/interrupt', { json: { email: 'raj.patel@acme.com' } });
    expect(res).toEqual({ status: 200, body: { outcome: 'interrupted', user_id: 'auth0|legacy-1002' } });
    const legacyDb = h.tenant.connectionNamed('legacy-db')!;
    expect(h.tenant.isGhost(legacyDb, 'raj.patel@acme.com')).toBe(true);
    expect(lastLog(h)).toMatchObject({ type: 'f', description: 'Request to Webtask exceeded allowed execution time', user_name: 'raj.patel@acme.com' });
    expect((await h.call('POST', '/__sandbox/interrupt', { json: { email: 'raj.patel@acme.com' } })).status).toBe(409);
    expect((await h.call('POST', '/__sandbox/interrupt', { json: { email: 'nobody@acme.com' } })).status).toBe(404);
  });

  it('change-password: fails on a ghost (fcp), migrates a legacy user (scp), updates a healthy user, and accepts a ticket', async () => {
    const h = harness();
    expect(bodyOf(await h.call('POST', '/__sandbox/change-password', { json: { email: 'jane.doe@acme.com', password: 'n' } })).reason).toBe('user_exists');
    expect(lastLog(h)).toMatchObject({ type: 'fcp', description: 'The user already exists.' });

    const migrated = await h.call('POST', '/__sandbox/change-password', { json: { email: 'raj.patel@acme.com', password: 'new-pw' } });
    expect(migrated.body).toEqual({ outcome: 'migrated', user_id: 'auth0|legacy-1002' });
    expect(h.tenant.user('auth0|legacy-1002')!.user_metadata).toEqual({ language: 'hi' });
    expect(lastLog(h)).toMatchObject({ type: 'scp', user_id: 'auth0|legacy-1002' });
    expect(bodyOf(await h.call('POST', '/__sandbox/login', { json: { email: 'raj.patel@acme.com', password: 'new-pw' } })).outcome).toBe('logged_in');

    const alice = h.tenant.usersWithEmail('alice.ng@acme.com')[0]!;
    const ticket = bodyOf(await h.call('POST', '/api/v2/tickets/password-change', { json: { user_id: alice.user_id } })).ticket as string;
    const token = new URL(ticket).searchParams.get('ticket')!;
    expect(bodyOf(await h.call('GET', '/__sandbox/reset-password', { query: { ticket: token } }))).toMatchObject({ email: 'alice.ng@acme.com', connection: 'legacy-db' });
    const changed = await h.call('POST', '/__sandbox/change-password', { json: { ticket: token, password: 'alice-2' } });
    expect(changed.body).toEqual({ outcome: 'password_changed', user_id: alice.user_id });
    expect(bodyOf(await h.call('POST', '/__sandbox/login', { json: { email: 'alice.ng@acme.com', password: 'alice-2' } })).outcome).toBe('logged_in');
    expect((await h.call('POST', '/__sandbox/change-password', { json: { ticket: token, password: 'again' } })).status).toBe(400);
  });

  it('after the repair (delete the connection user) the ghost can log in and migrate again', async () => {
    const h = harness();
    await h.call('DELETE', `/api/v2/connections/${LEGACY_DB}/users`, { query: { email: 'jane.doe@acme.com' } });
    const res = await h.call('POST', '/__sandbox/login', { json: { email: 'jane.doe@acme.com', password: 'jane-pw' } });
    expect(res.body).toEqual({ outcome: 'migrated', user_id: 'auth0|legacy-1001' });
    expect(h.tenant.user('auth0|legacy-1001')!.app_metadata).toEqual({ tier: 'pro' });
  });

  it('validates the request: unknown connection, non-database connection, missing password', async () => {
    const h = harness();
    expect(bodyOf(await h.call('POST', '/__sandbox/login', { json: { email: 'a@b.co', password: 'x', connection: 'nope' } })).message).toBe('Unknown connection "nope"');
    expect((await h.call('POST', '/__sandbox/login', { json: { email: 'a@b.co' } })).status).toBe(400);
  });
});
