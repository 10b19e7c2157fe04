import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { DUPLICATED_USER_IN_FILE, DUPLICATED_USER_UPSERT_FALSE } from '../../src/sandbox/jobs.js';
import { LEGACY_DB } from '../helpers/sandbox.js';
import { BASE_SCENARIO, bodyOf, harness, type Harness } from './handler-harness.js';

async function finish(h: Harness, jobId: string) {
  h.clock.now += 1000;
  return bodyOf(await h.call('GET', `/api/v2/jobs/${jobId}`));
}

describe('users import jobs', () => {
  it('the DUPLICATED_USER story: a ghost fails the import, Delete a Connection User clears it, the re-import succeeds', async () => {
    const h = harness();
    const jane = { email: 'jane.doe@acme.com', user_id: 'legacy-1001', user_metadata: { language: 'fr' } };

    const first = await h.importUsers([jane]);
    expect(first.status).toBe(202);
    const firstJob = await finish(h, bodyOf(first).id);
    expect(firstJob).toMatchObject({ status: 'completed', summary: { failed: 1, updated: 0, inserted: 0, total: 1 } });
    const errors = await h.call('GET', `/api/v2/jobs/${bodyOf(first).id}/errors`);
    expect(errors).toEqual({ status: 200, body: [{ user: jane, errors: [{ code: 'DUPLICATED_USER', message: 'The user already exist and upsert parameter is false' }] }] });
    expect((await h.call('GET', '/api/v2/users-by-email', { query: { email: 'jane.doe@acme.com' } })).body).toEqual([]);

    expect((await h.call('DELETE', `/api/v2/connections/${LEGACY_DB}/users`, { query: { email: 'jane.doe@acme.com' } })).status).toBe(204);

    const second = await h.importUsers([jane]);
    const secondJob = await finish(h, bodyOf(second).id);
    expect(secondJob.summary).toEqual({ failed: 0, updated: 0, inserted: 1, total: 1 });
    expect(await h.call('GET', `/api/v2/jobs/${bodyOf(second).id}/errors`)).toEqual({ status: 204 });
    const found = bodyOf(await h.call('GET', '/api/v2/users-by-email', { query: { email: 'jane.doe@acme.com' } })) as unknown as any[];
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ user_id: 'auth0|legacy-1001', email_verified: false, user_metadata: { language: 'fr' } });
    expect(found[0].identities).toEqual([{ connection: 'legacy-db', provider: 'auth0', user_id: 'legacy-1001', isSocial: false }]);
    // The tenant log tells the same story.
    const types = h.tenant.logs.all().map((l) => `${l.type}:${l.description}`);
    expect(types).toEqual([
      'sapi:Create import users job',
      `fui:Users import job ${bodyOf(first).id}: 0 inserted, 0 updated, 1 failed`,
      'sapi:Delete a connection user',
      'sapi:Create import users job',
      `sui:Users import job ${bodyOf(second).id}: 1 inserted, 0 updated, 0 failed`,
    ]);
    expect(h.tenant.logs.all()[1]).toMatchObject({ connection: 'legacy-db', connection_id: LEGACY_DB, date: '2024-05-02T10:00:00.300Z' });
  });

  it('status moves pending → processing (percentage, time left) → completed with the clock, applying the import once', async () => {
    const h = harness();
    const res = await h.importUsers([{ email: 'new.one@acme.com' }], { external_id: 'batch-7', upsert: 'false', send_completion_email: 'false' });
    const id = bodyOf(res).id as string;
    expect(id).toMatch(/^job_[A-Za-z0-9]{16}$/);
    expect(res.body).toEqual({
      type: 'users_import',
      status: 'pending',
      created_at: '2024-05-02T10:00:00.000Z',
      id,
      connection_id: LEGACY_DB,
      upsert: false,
      external_id: 'batch-7',
      send_completion_email: false,
    });
    h.clock.now += 99;
    expect(bodyOf(await h.call('GET', `/api/v2/jobs/${id}`)).status).toBe('pending');
    h.clock.now += 51; // 150 ms: a quarter into processing
    expect(bodyOf(await h.call('GET', `/api/v2/jobs/${id}`))).toMatchObject({ status: 'processing', percentage_done: 25, time_left_seconds: 1 });
    expect(h.tenant.usersWithEmail('new.one@acme.com')).toEqual([]);
    h.clock.now += 150; // 300 ms: done
    const done = bodyOf(await h.call('GET', `/api/v2/jobs/${id}`));
    expect(done).toMatchObject({ status: 'completed', summary: { failed: 0, updated: 0, inserted: 1, total: 1 } });
    expect(done.percentage_done).toBeUndefined();
    expect(h.tenant.usersWithEmail('new.one@acme.com')[0]!.created_at).toBe('2024-05-02T10:00:00.300Z');
    await h.call('GET', `/api/v2/jobs/${id}`);
    expect(h.tenant.usersWithEmail('new.one@acme.com')).toHaveLength(1);
    expect(h.tenant.logs.all().filter((l) => l.type === 'sui')).toHaveLength(1);
  });

  it('is applied by any later request, not only by polling the job', async () => {
    const h = harness();
    await h.importUsers([{ email: 'quiet@acme.com' }]);
    h.clock.now += 300;
    expect(((await h.call('GET', '/api/v2/users-by-email', { query: { email: 'quiet@acme.com' } })).body as unknown[]).length).toBe(1);
  });

  it('tells an in-file duplicate from a ghost, and with upsert updates real users but still fails ghosts', async () => {
    const h = harness();
    const users = [
      { email: 'nina.kowalski@acme.com', user_id: 'legacy-1020' },
      { email: 'Nina.Kowalski@acme.com', user_id: 'legacy-1020' },
      { email: 'jane.doe@acme.com' },
      { email: 'alice.ng@acme.com', user_metadata: { language: 'de' }, name: 'Alice N.' },
    ];
    const plain = await h.importUsers(users);
    await finish(h, bodyOf(plain).id);
    const plainErrors = bodyOf(await h.call('GET', `/api/v2/jobs/${bodyOf(plain).id}/errors`)) as unknown as any[];
    expect(plainErrors.map((e) => [e.user.email, e.errors[0].code, e.errors[0].message])).toEqual([
      ['Nina.Kowalski@acme.com', 'DUPLICATED_USER', DUPLICATED_USER_IN_FILE],
      ['jane.doe@acme.com', 'DUPLICATED_USER', DUPLICATED_USER_UPSERT_FALSE],
      ['alice.ng@acme.com', 'DUPLICATED_USER', DUPLICATED_USER_UPSERT_FALSE],
    ]);
    expect(DUPLICATED_USER_IN_FILE).toBe('A user with this email was already provided.');

    const upsert = await h.importUsers([users[2], users[3]], { upsert: 'true' });
    const job = await finish(h, bodyOf(upsert).id);
    expect(job.summary).toEqual({ failed: 1, updated: 1, inserted: 0, total: 2 });
    const upsertErrors = bodyOf(await h.call('GET', `/api/v2/jobs/${bodyOf(upsert).id}/errors`)) as unknown as any[];
    expect(upsertErrors).toEqual([{ user: { email: 'jane.doe@acme.com' }, errors: [{ code: 'DUPLICATED_USER', message: 'The user already exists.' }] }]);
    // Upsert overwrites metadata instead of merging it (as Auth0 documents).
    const alice = h.tenant.usersWithEmail('alice.ng@acme.com')[0]!;
    expect(alice.user_metadata).toEqual({ language: 'de' });
    expect(alice.app_metadata).toEqual({ plan: 'gold' });
    expect(alice.name).toBe('Alice N.');
  });

  it('reports schema problems per user with z-schema codes', async () => {
    const h = harness();
    const res = await h.importUsers([{ email: 'not-an-email' }, { user_id: 'x' }, { email: 'ok@acme.com', colour: 'red' }, 'nope']);
    await finish(h, bodyOf(res).id);
    const errors = bodyOf(await h.call('GET', `/api/v2/jobs/${bodyOf(res).id}/errors`)) as unknown as any[];
    expect(errors.map((e) => e.errors[0])).toEqual([
      { code: 'FORMAT', message: "Object didn't pass validation for format email: not-an-email", path: 'email' },
      { code: 'OBJECT_REQUIRED', message: 'Missing required property: email', path: 'email' },
      { code: 'OBJECT_ADDITIONAL_PROPERTIES', message: 'Additional properties not allowed: colour', path: 'colour' },
      { code: 'INVALID_TYPE', message: 'Expected type object but found type string' },
    ]);
  });

  it('a file that is not a JSON array fails the whole job; errors then returns the job with status_details', async () => {
    const h = harness();
    const res = await h.importUsers('{"email": "a@b.co"}');
    const job = await finish(h, bodyOf(res).id);
    expect(job).toMatchObject({ status: 'failed', status_details: 'Users file must be an array' });
    const errors = await h.call('GET', `/api/v2/jobs/${bodyOf(res).id}/errors`);
    expect(errors.status).toBe(200);
    expect(errors.body).toEqual({
      status: 'failed',
      type: 'users_import',
      created_at: '2024-05-02T10:00:00.000Z',
      id: bodyOf(res).id,
      connection_id: LEGACY_DB,
      status_details: 'Users file must be an array',
    });
    expect(h.tenant.logs.all().at(-1)).toMatchObject({ type: 'fui', description: 'Users file must be an array' });
  });

  it('allows two active import jobs per tenant; the third gets 429 until one finishes', async () => {
    const h = harness();
    expect((await h.importUsers([{ email: 'a1@acme.com' }])).status).toBe(202);
    expect((await h.importUsers([{ email: 'a2@acme.com' }])).status).toBe(202);
    expect(await h.importUsers([{ email: 'a3@acme.com' }])).toEqual({
      status: 429,
      body: {
        statusCode: 429,
        error: 'Too Many Requests',
        message: 'There are 2 active import users jobs, please wait until some of them are finished and try again',
        errorCode: 'too_many_requests',
      },
    });
    h.clock.now += 300;
    expect((await h.importUsers([{ email: 'a3@acme.com' }])).status).toBe(202);
  });

  it('answers 413 for a users file over 512000 bytes and 400 for a malformed connection_id or unknown connection', async () => {
    const h = harness();
    const big = JSON.stringify([{ email: 'big@acme.com', user_metadata: { blob: 'x'.repeat(512_000) } }]);
    expect(await h.importUsers(big)).toEqual({
      status: 413,
      body: { statusCode: 413, error: 'Payload Too Large', message: 'Payload content length greater than maximum allowed: 512000.' },
    });
    expect(await h.importUsers([], { connection_id: 'legacy-db' })).toEqual({
      status: 400,
      body: {
        statusCode: 400,
        error: 'Bad Request',
        message: "Payload validation error: 'String does not match pattern ^con_[A-Za-z0-9]{16}$' on property connection_id",
        errorCode: 'invalid_body',
      },
    });
    expect(bodyOf(await h.importUsers([], { connection_id: 'con_AAAAAAAAAAAAAAAA' })).errorCode).toBe('inexistent_connection');
    expect(bodyOf(await h.importUsers([], { upsert: 'yes' })).message).toBe("Payload validation error: 'Expected type boolean but found type string' on property upsert");
    expect(bodyOf(await h.call('POST', '/api/v2/jobs/users-imports', { json: { users: [] } })).errorCode).toBe('invalid_body');
  });

  it('GET /jobs/:id answers 404 "Job not found." for unknown ids and 400 for malformed ones', async () => {
    const h = harness();
    expect(await h.call('GET', '/api/v2/jobs/job_AAAAAAAAAAAAAAAA')).toEqual({
      status: 404,
      body: { statusCode: 404, error: 'Not Found', message: 'Job not found.', errorCode: 'inexistent_job' },
    });
    expect((await h.call('GET', '/api/v2/jobs/nope/errors')).status).toBe(400);
  });

  it('imported custom_password_hash (sha256) lets the user log in; the first import stores no plain password', async () => {
    const h = harness();
    const { createHash } = await import('node:crypto');
    const hash = createHash('sha256').update('s3cret').digest('hex');
    const res = await h.importUsers([{ email: 'hashy@acme.com', custom_password_hash: { algorithm: 'sha256', hash: { value: hash } } }]);
    await finish(h, bodyOf(res).id);
    expect(bodyOf(await h.call('POST', '/__sandbox/login', { json: { email: 'hashy@acme.com', password: 'wrong', connection: 'legacy-db' } })).outcome).toBe('failed');
    expect(bodyOf(await h.call('POST', '/__sandbox/login', { json: { email: 'hashy@acme.com', password: 's3cret', connection: 'legacy-db' } })).outcome).toBe('logged_in');
  });
});

describe('users export jobs', () => {
  const LINK = /^https:\/\/localhost:4443\/(job_[A-Za-z0-9]{16})\/acme-dev\.(json|csv)\.gz\?Expires=(\d+)&Key-Pair-Id=APKASANDBOXEXPORTS01&Signature=([A-Za-z0-9~_-]+)$/;

  it('create answers 200 with the job; once completed, location is a signed link on the exports host serving gzipped NDJSON', async () => {
    const h = harness();
    const fields = [{ name: 'email' }, { name: 'identities[0].connection', export_as: 'connection' }, { name: 'user_metadata.language', export_as: 'language' }];
    const res = await h.call('POST', '/api/v2/jobs/users-exports', { json: { connection_id: LEGACY_DB, format: 'json', limit: 5, fields } });
    expect(res.status).toBe(200);
    expect(bodyOf(res)).toEqual({ type: 'users_export', status: 'pending', connection_id: LEGACY_DB, format: 'json', limit: 5, fields, connection: 'legacy-db', created_at: '2024-05-02T10:00:00.000Z', id: expect.stringMatching(/^job_[A-Za-z0-9]{16}$/) });
    const job = await finish(h, bodyOf(res).id);
    expect(Object.keys(job)).toEqual(['type', 'status', 'connection_id', 'format', 'limit', 'fields', 'location', 'connection', 'created_at', 'id']);
    const [, jobId, format, expires] = LINK.exec(job.location)!;
    expect([jobId, format]).toEqual([bodyOf(res).id, 'json']);
    expect(Number(expires) * 1000).toBe(h.clock.now + 60_000); // read at 10:00:01.000, valid until 10:01:01
    const download = h.download(job.location);
    expect(download).toMatchObject({ status: 200, contentType: 'application/gzip', headers: { 'content-disposition': 'attachment; filename="acme-dev.json.gz"' } });
    expect(gunzipSync(download.raw as Buffer).toString('utf8')).toBe('{"email":"alice.ng@acme.com","connection":"legacy-db","language":"en"}\n');
  });

  it('without connection_id there is neither connection_id nor connection; without fields, the defaults (JSON keeps the metadata objects)', async () => {
    const h = harness();
    const res = bodyOf(await h.call('POST', '/api/v2/jobs/users-exports', { json: { format: 'json' } }));
    expect(res).not.toHaveProperty('connection_id');
    expect(res).not.toHaveProperty('connection');
    expect(res).not.toHaveProperty('limit');
    expect(res.fields.map((f: { name: string }) => f.name)).toEqual(['user_id', 'email', 'email_verified', 'name', 'nickname', 'created_at', 'updated_at', 'last_login', 'logins_count', 'user_metadata', 'app_metadata']);
    const job = await finish(h, res.id);
    const lines = gunzipSync(h.download(job.location).raw as Buffer).toString('utf8').split('\n');
    expect(lines).toHaveLength(4); // three users, then the final newline
    expect(JSON.parse(lines[0]!)).toMatchObject({ email: 'alice.ng@acme.com', user_metadata: { language: 'en', theme: 'dark' }, app_metadata: { plan: 'gold' } });
    // CSV's defaults leave the metadata objects out.
    const csv = bodyOf(await h.call('POST', '/api/v2/jobs/users-exports', { json: {} }));
    expect(csv.format).toBe('csv');
    expect(csv.fields.map((f: { name: string }) => f.name)).toEqual(['user_id', 'email', 'email_verified', 'name', 'nickname', 'created_at', 'updated_at', 'last_login', 'logins_count']);
  });

  it("CSV as Auth0 writes it: header of export_as names, each string prefixed with ' and quoted (\" doubled), Auth0 dates, numbers and booleans bare", async () => {
    const h = harness();
    const bob = h.tenant.usersWithEmail('bob.smith@acme.com')[0]!;
    await h.call('PATCH', `/api/v2/users/${encodeURIComponent(bob.user_id)}`, { json: { name: 'Smith, "Bob"', user_metadata: { since: '2020-01-02T03:04:05.000Z', tags: ['a'] } } });
    const fields = [
      { name: 'email' },
      { name: 'name', export_as: 'Full name' },
      { name: 'email_verified' },
      { name: 'logins_count' },
      { name: 'created_at' },
      { name: 'last_login' },
      { name: 'user_metadata.since' },
      { name: 'user_metadata.tags' },
    ];
    const res = await h.call('POST', '/api/v2/jobs/users-exports', { json: { format: 'csv', fields } });
    expect(res.status).toBe(200);
    const job = await finish(h, bodyOf(res).id);
    expect(LINK.exec(job.location)![2]).toBe('csv');
    const csv = gunzipSync(h.download(job.location).raw as Buffer).toString('utf8');
    const created = bob.created_at;
    expect(csv.split('\n')).toEqual([
      'email,Full name,email_verified,logins_count,created_at,last_login,user_metadata.since,user_metadata.tags',
      `"'alice.ng@acme.com","'alice.ng@acme.com",false,0,${created},,,`,
      `"'bob.smith@acme.com","'Smith, ""Bob""",false,0,${created},,"'2020-01-02T03:04:05.000Z","'[""a""]"`,
      `"'carol@gmail.com","'carol@gmail.com",false,0,${created},,,`,
      '',
    ]);
  });

  it('CSV refuses more than 30 fields and whole user_metadata / app_metadata (400); JSON takes both', async () => {
    const h = harness();
    const many = Array.from({ length: 31 }, (_, i) => ({ name: `user_metadata.f${i}` }));
    expect(bodyOf(await h.call('POST', '/api/v2/jobs/users-exports', { json: { format: 'csv', fields: many } }))).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: "Payload validation error: 'Array is too long (31), maximum 30' on property fields",
      errorCode: 'invalid_body',
    });
    expect((await h.call('POST', '/api/v2/jobs/users-exports', { json: { format: 'csv', fields: many.slice(0, 30) } })).status).toBe(200);
    expect((await h.call('POST', '/api/v2/jobs/users-exports', { json: { format: 'json', fields: many } })).status).toBe(200);
    const whole = await h.call('POST', '/api/v2/jobs/users-exports', { json: { format: 'csv', fields: [{ name: 'email' }, { name: 'app_metadata', export_as: 'app' }] } });
    expect(whole.status).toBe(400);
    expect(bodyOf(whole).message).toBe(
      "Payload validation error: 'CSV exports cannot include app_metadata as a single object: name its fields (app_metadata.<field>), or export in JSON format' on property fields[1].name",
    );
    expect((await h.call('POST', '/api/v2/jobs/users-exports', { json: { fields: [{ name: 'user_metadata' }] } })).status).toBe(400); // csv is the default
    expect((await h.call('POST', '/api/v2/jobs/users-exports', { json: { format: 'json', fields: [{ name: 'user_metadata' }, { name: 'app_metadata' }] } })).status).toBe(200);
    expect(bodyOf(await h.call('POST', '/api/v2/jobs/users-exports', { json: { format: 'xml' } })).message).toBe(`Payload validation error: 'No enum match for: "xml"' on property format`);
  });

  it('the link expires 60 s after the read (on the tenant clock); each read signs a fresh one; tampering, credentials and other methods are refused', async () => {
    const h = harness();
    const id = bodyOf(await h.call('POST', '/api/v2/jobs/users-exports', { json: { format: 'json', fields: [{ name: 'email' }] } })).id;
    const first = (await finish(h, id)).location as string;
    h.clock.now += 59_999;
    expect(h.download(first).status).toBe(200);
    h.clock.now += 1; // exactly Expires
    expect(h.download(first)).toEqual({
      status: 403,
      contentType: 'application/xml',
      raw: '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>',
    });
    const second = bodyOf(await h.call('GET', `/api/v2/jobs/${id}`)).location as string;
    expect(second).not.toBe(first);
    expect(h.download(second).status).toBe(200);
    expect(h.download(second, { method: 'HEAD' }).status).toBe(200);

    const url = new URL(second);
    const denied = (u: URL) => h.download(u.toString()).raw as string;
    const tampered = new URL(url);
    tampered.searchParams.set('Signature', `${url.searchParams.get('Signature')!.slice(0, -2)}AA`);
    expect(denied(tampered)).toContain('<Code>AccessDenied</Code><Message>Access denied</Message>');
    const later = new URL(url);
    later.searchParams.set('Expires', String(Number(url.searchParams.get('Expires')) + 3600));
    expect(h.download(later.toString()).status).toBe(403);
    const otherPath = new URL(second.replace('/acme-dev.json.gz', '/acme-dev.csv.gz'));
    expect(h.download(otherPath.toString()).status).toBe(403);
    const unsigned = new URL(url.origin + url.pathname);
    expect(h.download(unsigned.toString())).toMatchObject({ status: 403, raw: expect.stringContaining('<Code>MissingKey</Code>') });

    const withToken = h.download(second, { headers: { authorization: 'Bearer abc' } });
    expect(withToken).toMatchObject({ status: 400, contentType: 'application/xml', raw: expect.stringContaining('<Code>InvalidArgument</Code><Message>Only one auth mechanism allowed;') });
    expect(h.download(second, { method: 'POST' })).toMatchObject({ status: 403, raw: expect.stringContaining('<Code>MethodNotAllowed</Code>') });
    // A job that is not (yet) completed has no location; its file is not there.
    const pending = bodyOf(await h.call('POST', '/api/v2/jobs/users-exports', { json: { format: 'json' } }));
    expect(pending).not.toHaveProperty('location');
  });
});

describe('job timing from the scenario', () => {
  it('uses the scenario\'s pendingMs / processingMs', async () => {
    const h = harness({ ...BASE_SCENARIO, jobs: { pendingMs: 0, processingMs: 0 } });
    const res = await h.importUsers([{ email: 'instant@acme.com' }]);
    expect(bodyOf(await h.call('GET', `/api/v2/jobs/${bodyOf(res).id}`)).status).toBe('completed');
  });
});
