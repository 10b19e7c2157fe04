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
  it('completes with a sandbox location serving gzipped NDJSON of the connection\'s users', async () => {
    const h = harness();
    const res = await h.call('POST', '/api/v2/jobs/users-exports', {
      json: { connection_id: LEGACY_DB, format: 'json', fields: [{ name: 'email' }, { name: 'identities[0].connection', export_as: 'connection' }, { name: 'user_metadata.language', export_as: 'language' }] },
    });
    expect(res.status).toBe(201);
    expect(bodyOf(res)).toMatchObject({ type: 'users_export', status: 'pending', connection_id: LEGACY_DB, connection: 'legacy-db', format: 'json' });
    const job = await finish(h, bodyOf(res).id);
    expect(job.location).toBe(`https://127.0.0.1:4443/__sandbox/exports/${bodyOf(res).id}.json.gz`);
    const download = await h.call('GET', `/__sandbox/exports/${bodyOf(res).id}.json.gz`);
    expect(download.contentType).toBe('application/gzip');
    expect(gunzipSync(download.raw as Buffer).toString('utf8')).toBe('{"email":"alice.ng@acme.com","connection":"legacy-db","language":"en"}\n');
  });

  it('writes CSV with a header row and quotes values that need it', async () => {
    const h = harness();
    await h.call('PATCH', `/api/v2/users/${encodeURIComponent(h.tenant.usersWithEmail('bob.smith@acme.com')[0]!.user_id)}`, { json: { name: 'Smith, Bob' } });
    const res = await h.call('POST', '/api/v2/jobs/users-exports', { json: { format: 'csv', fields: [{ name: 'email' }, { name: 'name' }] } });
    await finish(h, bodyOf(res).id);
    const csv = gunzipSync((await h.call('GET', `/__sandbox/exports/${bodyOf(res).id}.csv.gz`)).raw as Buffer).toString('utf8');
    expect(csv).toBe('email,name\nalice.ng@acme.com,alice.ng@acme.com\nbob.smith@acme.com,"Smith, Bob"\ncarol@gmail.com,carol@gmail.com\n');
    expect((await h.call('GET', '/__sandbox/exports/job_AAAAAAAAAAAAAAAA.csv.gz')).status).toBe(404);
    expect(bodyOf(await h.call('POST', '/api/v2/jobs/users-exports', { json: { format: 'xml' } })).message).toBe(`Payload validation error: 'No enum match for: "xml"' on property format`);
  });
});

describe('job timing from the scenario', () => {
  it('uses the scenario\'s pendingMs / processingMs', async () => {
    const h = harness({ ...BASE_SCENARIO, jobs: { pendingMs: 0, processingMs: 0 } });
    const res = await h.importUsers([{ email: 'instant@acme.com' }]);
    expect(bodyOf(await h.call('GET', `/api/v2/jobs/${bodyOf(res).id}`)).status).toBe('completed');
  });
});
