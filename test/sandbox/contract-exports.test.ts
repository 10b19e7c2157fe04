import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { Management } from 'auth0';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ACME_SCENARIO, LEGACY_DB, rejection, startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

/**
 * Users exports through the official auth0 v7 SDK, as a product must handle them on a real tenant:
 * create answers 200; the completed job's `location` is a signed link on another host (like
 * user-exports.auth0.com), fetched with no Management token, valid 60 s from each GET /jobs/{id};
 * the file is gzip, NDJSON for JSON, OWASP-escaped for CSV.
 */

const ACME = JSON.parse(readFileSync(ACME_SCENARIO, 'utf8')) as Record<string, unknown>;
const FAST = { ...ACME, rateLimit: undefined, jobs: { pendingMs: 20, processingMs: 20 } };

/** The sandbox's clock runs `offset` ms ahead of real time: a test moves it to expire links. */
const clock = { offset: 0 };
let sb: TestSandbox;
beforeAll(async () => {
  sb = await startTestSandbox(FAST, { now: () => Date.now() + clock.offset });
});
afterAll(() => sb?.close());
beforeEach(async () => {
  clock.offset = 0;
  await sb.control.reset(FAST);
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function completed(id: string): Promise<Management.GetJobResponseContent> {
  const deadline = Date.now() + 3000;
  for (;;) {
    const job = await sb.mgmt.jobs.get(id);
    if (job.status === 'completed') return job;
    if (Date.now() > deadline) throw new Error(`job ${id} still ${job.status}`);
    await sleep(5);
  }
}

/** Downloads like a product must: a plain fetch, no Authorization header. */
async function download(location: string): Promise<{ status: number; type: string | null; text: string }> {
  const res = await fetch(location);
  const body = Buffer.from(await res.arrayBuffer());
  return { status: res.status, type: res.headers.get('content-type'), text: res.status === 200 ? gunzipSync(body).toString('utf8') : body.toString('utf8') };
}

describe('users exports through the SDK', () => {
  it('create is 200 with the job (connection name included); the completed location is on another host and serves gzipped NDJSON without a token', async () => {
    const fields = [{ name: 'email' }, { name: 'user_id' }, { name: 'identities[0].connection', export_as: 'connection' }, { name: 'user_metadata.language', export_as: 'language' }];
    const { data: created, rawResponse } = await sb.mgmt.jobs.usersExports.create({ connection_id: LEGACY_DB, format: 'json', limit: 100, fields }).withRawResponse();
    expect(rawResponse.status).toBe(200);
    expect(created).toEqual({
      type: 'users_export',
      status: 'pending',
      connection_id: LEGACY_DB,
      format: 'json',
      limit: 100,
      fields,
      connection: 'legacy-db',
      created_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
      id: expect.stringMatching(/^job_[A-Za-z0-9]{16}$/),
    });

    const job = await completed(created.id!);
    const location = new URL(job.location!);
    expect(location.host).not.toBe(sb.running.domain);
    expect(location.hostname).not.toBe(new URL(sb.running.url).hostname);
    expect(location.origin).toBe(sb.running.exportsUrl);
    expect(location.pathname).toBe(`/${created.id}/acme-dev.json.gz`);
    expect([...location.searchParams.keys()]).toEqual(['Expires', 'Key-Pair-Id', 'Signature']);
    const expires = Number(location.searchParams.get('Expires')) * 1000;
    expect(expires - Date.now()).toBeGreaterThan(55_000);
    expect(expires - Date.now()).toBeLessThanOrEqual(61_000);

    const file = await download(job.location!);
    expect(file).toMatchObject({ status: 200, type: 'application/gzip' });
    const lines = file.text.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, string>);
    expect(lines).toHaveLength(8);
    expect(lines.find((l) => l.email === 'alice.ng@acme.com')).toEqual({ email: 'alice.ng@acme.com', user_id: 'auth0|legacy-1007', connection: 'legacy-db', language: 'en' });
    expect(file.text.endsWith('\n')).toBe(true);
    // The download is journaled on the exports host, apart from the API's requests.
    const entry = (await sb.control.journal()).find((e) => e.host !== undefined)!;
    expect(entry).toMatchObject({ method: 'GET', path: location.pathname, status: 200, host: location.host });
  });

  it("CSV: every string prefixed with ' and wrapped in quotes, the header from the field names", async () => {
    const created = await sb.mgmt.jobs.usersExports.create({ fields: [{ name: 'email' }, { name: 'name' }, { name: 'logins_count' }] });
    expect(created.format).toBe('csv');
    const job = await completed(created.id!);
    expect(new URL(job.location!).pathname).toBe(`/${created.id}/acme-dev.csv.gz`);
    const csv = (await download(job.location!)).text.trimEnd().split('\n');
    expect(csv[0]).toBe('email,name,logins_count');
    expect(csv).toHaveLength(13); // the header and the 12 users
    expect(csv).toContain(`"'support@acme.com","'Acme Support",40`);
    expect(csv.slice(1).every((line) => line.startsWith(`"'`))).toBe(true);
  });

  it('CSV cannot carry user_metadata or app_metadata as single objects, nor more than 30 fields: 400', async () => {
    const whole = await rejection(sb.mgmt.jobs.usersExports.create({ format: 'csv', fields: [{ name: 'email' }, { name: 'user_metadata' }] }));
    expect(whole).toBeInstanceOf(Management.BadRequestError);
    const many = await rejection(sb.mgmt.jobs.usersExports.create({ format: 'csv', fields: Array.from({ length: 31 }, (_, i) => ({ name: `app_metadata.k${i}` })) }));
    expect(many.statusCode).toBe(400);
    expect((await sb.mgmt.jobs.usersExports.create({ format: 'json', fields: [{ name: 'user_metadata' }] })).status).toBe('pending');
  });

  it('the link expires 60 s after the job was read: 403 AccessDenied; a fresh GET /jobs/{id} gives a new link that works', async () => {
    const created = await sb.mgmt.jobs.usersExports.create({ format: 'json', fields: [{ name: 'email' }] });
    const first = (await completed(created.id!)).location!;
    expect((await download(first)).status).toBe(200);
    clock.offset += 61_000;
    const expired = await download(first);
    expect(expired.status).toBe(403);
    expect(expired.type).toBe('application/xml');
    expect(expired.text).toContain('<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>');

    const fresh = (await sb.mgmt.jobs.get(created.id!)).location!;
    expect(fresh).not.toBe(first);
    const again = await download(fresh);
    expect(again.status).toBe(200);
    expect(again.text.trimEnd().split('\n')).toHaveLength(12);
  });

  it('a tampered signature (or Expires) is 403; an Authorization header is refused (400): the link is its own credential', async () => {
    const created = await sb.mgmt.jobs.usersExports.create({ format: 'json', fields: [{ name: 'email' }] });
    const location = new URL((await completed(created.id!)).location!);
    const signature = location.searchParams.get('Signature')!;
    const tampered = new URL(location);
    tampered.searchParams.set('Signature', (signature[0] === 'A' ? 'B' : 'A') + signature.slice(1));
    const bad = await download(tampered.toString());
    expect(bad.status).toBe(403);
    expect(bad.text).toContain('<Code>AccessDenied</Code>');
    const longer = new URL(location);
    longer.searchParams.set('Expires', String(Number(location.searchParams.get('Expires')) + 86_400));
    expect((await download(longer.toString())).status).toBe(403);

    const token = (await (await fetch(`${sb.running.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'client_credentials', client_id: sb.running.clientId, client_secret: sb.running.clientSecret, audience: `${sb.running.url}/api/v2/` }),
    })).json()) as { access_token: string };
    const withToken = await fetch(location, { headers: { authorization: `Bearer ${token.access_token}` } });
    expect(withToken.status).toBe(400);
    expect(await withToken.text()).toContain('<Code>InvalidArgument</Code>');
    // Nothing else on the exports host: the Management API is not there.
    expect((await fetch(`${sb.running.exportsUrl}/api/v2/users`, { headers: {} })).status).toBe(403);
    expect((await download(location.toString())).status).toBe(200); // the untouched link still works
  });

  it('the old same-host /__sandbox/exports route is gone', async () => {
    const created = await sb.mgmt.jobs.usersExports.create({ format: 'json' });
    await completed(created.id!);
    expect((await fetch(`${sb.running.url}/__sandbox/exports/${created.id}.json.gz`)).status).toBe(404);
  });
});

describe('a disconnected legacy store (Login and Get User scripts turned into no-ops, import mode kept on)', () => {
  const NOOP_LOGIN = 'function login(email, password, callback) {\n  return callback(null, null);\n}';
  const NOOP_GET_USER = 'function getByEmail(email, callback) {\n  // the legacy store is disconnected\n  return callback(null);\n}';
  const login = (email: string, password: string) => sb.control.endUser('login', { email, password, connection: 'legacy-db' });

  async function disconnect(): Promise<Record<string, unknown>> {
    const before = (await sb.mgmt.connections.get(LEGACY_DB)).options as Record<string, unknown>;
    const scripts = before.customScripts as Record<string, string>;
    // The whole options object, only the two scripts changed (PATCH replaces options whole).
    const options = { ...before, customScripts: { ...scripts, login: NOOP_LOGIN, get_user: NOOP_GET_USER } };
    const updated = await sb.mgmt.connections.update(LEGACY_DB, { options });
    expect(updated.options).toEqual(options);
    return before;
  }

  it('a user only in the legacy store can no longer log in (fu "Wrong email or password."); migrated users still can; ghosts still fail', async () => {
    await disconnect();
    expect(await login('nina.kowalski@acme.com', 'Nina-Legacy-2024!')).toEqual({ status: 401, body: { outcome: 'failed', reason: 'unknown_user', message: 'Wrong email or password.' } });
    const log = (await sb.control.state()).logs.at(-1);
    expect(log).toMatchObject({ type: 'fu', description: 'Wrong email or password.', user_name: 'nina.kowalski@acme.com', connection: 'legacy-db', user_id: '' });
    expect(await sb.mgmt.users.listUsersByEmail({ email: 'nina.kowalski@acme.com' })).toEqual([]);

    expect(await login('alice.ng@acme.com', 'Alice-Legacy-2024!')).toEqual({ status: 200, body: { outcome: 'logged_in', user_id: 'auth0|legacy-1007' } });
    expect((await login('jane.doe@acme.com', 'Jane-Legacy-2024!')).status).toBe(409); // a ghost is Auth0's own state
  });

  it('Get User finds nobody: the email of a user never migrated signs up as a new user, and POST /users and tickets no longer see the legacy user', async () => {
    await disconnect();
    const signup = await sb.control.endUser('signup', { email: 'nina.kowalski@acme.com', password: 'Nina-New-2025!', connection: 'legacy-db' });
    expect(signup.status).toBe(200);
    expect(signup.body).toMatchObject({ outcome: 'signed_up', email: 'nina.kowalski@acme.com' });
    expect(signup.body.user_id).not.toBe('auth0|legacy-1020');
    expect(await login('nina.kowalski@acme.com', 'Nina-New-2025!')).toMatchObject({ status: 200, body: { outcome: 'logged_in' } });

    const bob = await sb.mgmt.users.create({ connection: 'legacy-db', email: 'bob.smith@acme.com', password: 'Bob-New-2025!' });
    expect(bob.email).toBe('bob.smith@acme.com');
    const ticket = await rejection(sb.mgmt.tickets.changePassword({ connection_id: LEGACY_DB, email: 'thomas.berg@acme.com' }));
    expect(ticket).toBeInstanceOf(Management.NotFoundError);
    // A ghost is in Auth0's own store: still found.
    expect((await sb.mgmt.tickets.changePassword({ connection_id: LEGACY_DB, email: 'raj.patel@acme.com' })).ticket).toEqual(expect.any(String));
  });

  it('putting the scripts back reconnects the store: the legacy user migrates at login', async () => {
    const before = await disconnect();
    expect((await login('nina.kowalski@acme.com', 'Nina-Legacy-2024!')).status).toBe(401);
    await sb.mgmt.connections.update(LEGACY_DB, { options: before });
    expect(await login('nina.kowalski@acme.com', 'Nina-Legacy-2024!')).toEqual({ status: 200, body: { outcome: 'migrated', user_id: 'auth0|legacy-1020' } });
  });

  it('import mode off with real scripts: Auth0 uses only the scripts, so a migrated user logs in with the legacy password, not the one changed in Auth0', async () => {
    expect((await sb.control.endUser('change-password', { email: 'alice.ng@acme.com', password: 'Alice-New-2025!', connection: 'legacy-db' })).status).toBe(200);
    const options = (await sb.mgmt.connections.get(LEGACY_DB)).options as Record<string, unknown>;
    await sb.mgmt.connections.update(LEGACY_DB, { options: { ...options, import_mode: false } });

    expect(await login('alice.ng@acme.com', 'Alice-New-2025!')).toMatchObject({ status: 401, body: { reason: 'wrong_password' } });
    expect(await login('alice.ng@acme.com', 'Alice-Legacy-2024!')).toEqual({ status: 200, body: { outcome: 'logged_in', user_id: 'auth0|legacy-1007', via: 'login_script' } });
    expect((await sb.mgmt.users.get('auth0|legacy-1007')).logins_count).toBe(4); // 3 in the scenario, and this one
    // Not migrated, and not migrating: nina logs in through the script, no profile is made.
    expect((await login('nina.kowalski@acme.com', 'Nina-Legacy-2024!')).body.outcome).toBe('logged_in');
    expect(await sb.mgmt.users.listUsersByEmail({ email: 'nina.kowalski@acme.com' })).toEqual([]);

    // With no-op scripts too, nobody logs in.
    const scripts = options.customScripts as Record<string, string>;
    await sb.mgmt.connections.update(LEGACY_DB, { options: { ...options, import_mode: false, customScripts: { ...scripts, login: NOOP_LOGIN, get_user: NOOP_GET_USER } } });
    expect((await login('alice.ng@acme.com', 'Alice-Legacy-2024!')).status).toBe(401);
  });
});

describe('PATCH /connections/{id}: enabledDatabaseCustomization is locked once the database has users', () => {
  it('400 "This database contains users…" when the PATCH would turn it off (leaving it out counts) or on; an empty database may switch', async () => {
    await sb.control.reset({ ...FAST, connections: [...(ACME.connections as object[]), { name: 'fresh-db' }] });
    const options = (await sb.mgmt.connections.get(LEGACY_DB)).options as Record<string, unknown>;
    const { enabledDatabaseCustomization: _on, ...rest } = options;
    for (const next of [rest, { ...options, enabledDatabaseCustomization: false }]) {
      const err = await rejection(sb.mgmt.connections.update(LEGACY_DB, { options: next }));
      expect(err).toBeInstanceOf(Management.BadRequestError);
      expect((err.body as { message: string }).message).toBe('This database contains users. You cannot change options.enabledDatabaseCustomization');
    }
    expect((await sb.mgmt.connections.get(LEGACY_DB)).options).toEqual(options); // nothing changed

    // Username-Password-Authentication has users: turning customization on is refused too.
    const upa = (await sb.mgmt.connections.list({ name: 'Username-Password-Authentication' })).data[0]!;
    expect((await rejection(sb.mgmt.connections.update(upa.id!, { options: { ...upa.options, enabledDatabaseCustomization: true } }))).statusCode).toBe(400);
    // Same value: fine. An empty database: fine.
    expect((await sb.mgmt.connections.update(LEGACY_DB, { options: { ...options, import_mode: true } })).options).toMatchObject({ enabledDatabaseCustomization: true });
    const fresh = (await sb.mgmt.connections.list({ name: 'fresh-db' })).data[0]!;
    expect((await sb.mgmt.connections.update(fresh.id!, { options: { enabledDatabaseCustomization: true, import_mode: true } })).options).toEqual({ enabledDatabaseCustomization: true, import_mode: true });
  });
});
