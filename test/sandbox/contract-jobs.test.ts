import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { Management, ManagementError } from 'auth0';
import { describe, expect, it } from 'vitest';
import { ACME_SCENARIO, LEGACY_DB, rejection, useSandbox } from '../helpers/sandbox.js';

/**
 * Contract tests for import/export jobs through the official auth0 v7 SDK, including the whole
 * DUPLICATED_USER story: an import blocked by a ghost, the documented repair, and the re-import.
 */

const ACME = JSON.parse(readFileSync(ACME_SCENARIO, 'utf8')) as Record<string, unknown>;
/** acme-dev with short jobs and no rate limit (polling must not trip it). */
const FAST = { ...ACME, rateLimit: undefined, jobs: { pendingMs: 50, processingMs: 50 } };
const UPA = 'con_Up7Hw3NbQ8sLx2Ve';
const IMPORT_LIMIT_MESSAGE = 'There are 2 active import users jobs, please wait until some of them are finished and try again';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const file = (users: unknown) => Buffer.from(JSON.stringify(users));

const sb = useSandbox(FAST);

/** Polls jobs.get until the job has finished; returns the final job and every status seen. */
async function waitForJob(id: string, timeoutMs = 3000): Promise<{ job: Management.GetJobResponseContent; seen: string[] }> {
  const seen: string[] = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await sb().mgmt.jobs.get(id);
    if (seen.at(-1) !== job.status) seen.push(job.status);
    if (job.status === 'completed' || job.status === 'failed') return { job, seen };
    if (Date.now() > deadline) throw new Error(`job ${id} still ${job.status} after ${timeoutMs} ms`);
    await sleep(5);
  }
}

async function importUsers(users: unknown, options: { connection_id?: string; upsert?: boolean; external_id?: string } = {}) {
  const job = await sb().mgmt.jobs.usersImports.create({ users: file(users), connection_id: options.connection_id ?? LEGACY_DB, upsert: options.upsert ?? false, ...(options.external_id ? { external_id: options.external_id } : {}) });
  return { created: job, ...(await waitForJob(job.id!)) };
}

describe('the DUPLICATED_USER story, end to end through the SDK', () => {
  it('import blocked by a ghost → errors show DUPLICATED_USER → deleteByEmail → re-import inserts; the user is visible with the metadata', async () => {
    const jane = { email: 'jane.doe@acme.com', user_id: 'legacy-1001', name: 'Jane Doe', email_verified: true, user_metadata: { language: 'en', newsletter: false }, app_metadata: { plan: 'gold', legacy_customer_id: 'C-1001' } };

    // 1. The import fails for the ghost.
    const first = await importUsers([jane], { upsert: false, external_id: 'repair-1' });
    expect(first.created).toMatchObject({ type: 'users_import', status: 'pending', connection_id: LEGACY_DB, upsert: false, external_id: 'repair-1', send_completion_email: true });
    expect(first.created.id).toMatch(/^job_[A-Za-z0-9]{16}$/);
    expect(first.job).toMatchObject({ status: 'completed', summary: { failed: 1, updated: 0, inserted: 0, total: 1 } });
    const errors = await sb().mgmt.jobs.errors.get(first.created.id!);
    expect(errors).toEqual([{ user: jane, errors: [{ code: 'DUPLICATED_USER', message: 'The user already exist and upsert parameter is false' }] }]);
    expect(await sb().mgmt.users.listUsersByEmail({ email: 'jane.doe@acme.com' })).toEqual([]);

    // 2. The documented repair: Delete a Connection User.
    await sb().mgmt.connections.users.deleteByEmail(LEGACY_DB, { email: 'jane.doe@acme.com' });
    expect((await sb().control.state()).ghosts.map((g: { email: string }) => g.email)).not.toContain('jane.doe@acme.com');

    // 3. The same import now inserts her.
    const second = await importUsers([jane]);
    expect(second.job).toMatchObject({ status: 'completed', summary: { failed: 0, updated: 0, inserted: 1, total: 1 } });
    expect(await sb().mgmt.jobs.errors.get(second.created.id!)).toBeUndefined(); // 204
    const errorsRaw = await sb().mgmt.jobs.errors.get(second.created.id!).withRawResponse();
    expect(errorsRaw.rawResponse.status).toBe(204);

    const found = await sb().mgmt.users.listUsersByEmail({ email: 'jane.doe@acme.com' });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({
      user_id: 'auth0|legacy-1001',
      email: 'jane.doe@acme.com',
      email_verified: true,
      name: 'Jane Doe',
      identities: [{ connection: 'legacy-db', provider: 'auth0', user_id: 'legacy-1001', isSocial: false }],
      user_metadata: { language: 'en', newsletter: false },
      app_metadata: { plan: 'gold', legacy_customer_id: 'C-1001' },
    });

    // The tenant log tells the same story.
    const state = await sb().control.state();
    const story = state.logs.slice((ACME.logs as unknown[]).length).map((l: { type: string; description: string }) => `${l.type} ${l.description}`);
    expect(story).toEqual([
      'sapi Create import users job',
      `fui Users import job ${first.created.id}: 0 inserted, 0 updated, 1 failed`,
      'sapi Delete a connection user',
      'sapi Create import users job',
      `sui Users import job ${second.created.id}: 1 inserted, 0 updated, 0 failed`,
    ]);
  });
});

describe('import rules', () => {
  it('the same email twice in one file: the second fails "A user with this email was already provided."', async () => {
    const users = [{ email: 'new.one@acme.com', name: 'First' }, { email: 'New.One@acme.com', name: 'Second' }, { email: 'other@acme.com' }];
    const { job } = await importUsers(users);
    expect(job.summary).toEqual({ failed: 1, updated: 0, inserted: 2, total: 3 });
    expect(await sb().mgmt.jobs.errors.get(job.id)).toEqual([{ user: users[1], errors: [{ code: 'DUPLICATED_USER', message: 'A user with this email was already provided.' }] }]);
    expect((await sb().mgmt.users.listUsersByEmail({ email: 'new.one@acme.com' }))[0]).toMatchObject({ name: 'First', email_verified: false });
  });

  it('schema errors per user (z-schema codes), an existing healthy user with upsert false', async () => {
    const users = [{ name: 'no email' }, { email: 'not-an-email' }, { email: 'x@acme.com', favourite: 'blue' }, { email: 'alice.ng@acme.com' }];
    const { job } = await importUsers(users);
    expect(job.summary).toEqual({ failed: 4, updated: 0, inserted: 0, total: 4 });
    const errors = (await sb().mgmt.jobs.errors.get(job.id)) as Array<{ errors: Array<{ code: string; message: string }> }>;
    expect(errors.map((e) => e.errors[0]!.code)).toEqual(['OBJECT_REQUIRED', 'FORMAT', 'OBJECT_ADDITIONAL_PROPERTIES', 'DUPLICATED_USER']);
    expect(errors[1]!.errors[0]!.message).toBe("Object didn't pass validation for format email: not-an-email");
  });

  it('upsert true: a healthy user is updated with metadata overwritten; a ghost still fails "The user already exists."', async () => {
    const users = [
      { email: 'ken.ito@acme.com', name: 'Ken Ito', user_metadata: { language: 'ja' } },
      { email: 'raj.patel@acme.com', name: 'Raj Patel' },
    ];
    const { job } = await importUsers(users, { upsert: true });
    expect(job).toMatchObject({ upsert: true, summary: { failed: 1, updated: 1, inserted: 0, total: 2 } });
    expect(await sb().mgmt.jobs.errors.get(job.id)).toEqual([{ user: users[1], errors: [{ code: 'DUPLICATED_USER', message: 'The user already exists.' }] }]);
    expect((await sb().mgmt.users.get('auth0|legacy-1030')).user_metadata).toEqual({ language: 'ja' });
  });

  it('an imported custom_password_hash (salted sha256) is checked at login; a bcrypt password_hash cannot be', async () => {
    const hash = createHash('sha256').update('pepper' + 'Imported-1!').digest('hex');
    const users = [
      { email: 'hashed@acme.com', custom_password_hash: { algorithm: 'sha256', hash: { value: hash, encoding: 'hex' }, salt: { value: 'pepper', position: 'prefix' } } },
      { email: 'bcrypt@acme.com', password_hash: '$2b$10$abcdefghijklmnopqrstuuA3q8Yp3QmYqTt8yqY5kQJ6D0l1o2e3K' },
    ];
    const { job } = await importUsers(users, { connection_id: UPA });
    expect(job.summary).toMatchObject({ inserted: 2, failed: 0 });
    const login = (email: string, password: string) => sb().control.endUser('login', { email, password, connection: 'Username-Password-Authentication' });
    expect((await login('hashed@acme.com', 'Imported-1!')).body.outcome).toBe('logged_in');
    expect((await login('hashed@acme.com', 'imported-1!')).status).toBe(401);
    expect((await login('bcrypt@acme.com', 'anything')).status).toBe(401);
    expect((await sb().control.state()).stores['Username-Password-Authentication'].find((e: { email: string }) => e.email === 'hashed@acme.com')).toMatchObject({ has_password: true, ghost: false });
  });

  it('errors.get redacts hash.value, password_hash and any password to "*****", like Auth0; the job keeps what was imported', async () => {
    const hash = createHash('sha256').update('pepper' + 'Jane-Legacy-2024!').digest('hex');
    const users = [
      { email: 'jane.doe@acme.com', user_id: 'legacy-1001', custom_password_hash: { algorithm: 'sha256', hash: { value: hash, encoding: 'hex' }, salt: { value: 'pepper', position: 'prefix' } }, user_metadata: { language: 'en' } },
      { email: 'raj.patel@acme.com', password_hash: '$2b$10$abcdefghijklmnopqrstuuA3q8Yp3QmYqTt8yqY5kQJ6D0l1o2e3K' },
      { email: 'plain@acme.com', password: 'Plain-Text-1!', user_metadata: { note: 'kept', password: 'nested-secret' } },
    ];
    const { job } = await importUsers(users);
    expect(job.summary).toEqual({ failed: 3, updated: 0, inserted: 0, total: 3 });
    const duplicated = [{ code: 'DUPLICATED_USER', message: 'The user already exist and upsert parameter is false' }];
    expect(await sb().mgmt.jobs.errors.get(job.id)).toEqual([
      {
        user: { ...users[0], custom_password_hash: { algorithm: 'sha256', hash: { value: '*****', encoding: 'hex' }, salt: { value: 'pepper', position: 'prefix' } } },
        errors: duplicated,
      },
      { user: { email: 'raj.patel@acme.com', password_hash: '*****' }, errors: duplicated },
      {
        user: { email: 'plain@acme.com', password: '*****', user_metadata: { note: 'kept', password: '*****' } },
        errors: [{ code: 'OBJECT_ADDITIONAL_PROPERTIES', message: 'Additional properties not allowed: password', path: 'password' }],
      },
    ]);
    // Redacted in the answer only: the job still holds the file's users, hashes included.
    expect(sb().running.tenant.jobs.get(job.id)).toMatchObject({ errors: users.map((user) => ({ user })) });
  });

  it('a file that is not a JSON array fails the whole job; errors.get returns the job with status_details', async () => {
    const created = await sb().mgmt.jobs.usersImports.create({ users: Buffer.from('{"email": "a@b.co"}'), connection_id: LEGACY_DB });
    const { job } = await waitForJob(created.id!);
    expect(job).toMatchObject({ status: 'failed', status_details: 'Users file must be an array' });
    expect(job).not.toHaveProperty('summary');
    const errors = await sb().mgmt.jobs.errors.get(created.id!);
    expect(errors).toMatchObject({ id: created.id, type: 'users_import', status: 'failed', connection_id: LEGACY_DB, status_details: 'Users file must be an array' });
    expect((await sb().control.state()).logs.at(-1)).toMatchObject({ type: 'fui', description: 'Users file must be an array' });
  });

  it('the users file may be a Blob or a stream', async () => {
    const fromBlob = await sb().mgmt.jobs.usersImports.create({ users: new Blob([JSON.stringify([{ email: 'blob@acme.com' }])]), connection_id: UPA, send_completion_email: false });
    expect(fromBlob).toMatchObject({ upsert: false, send_completion_email: false });
    expect(fromBlob).not.toHaveProperty('external_id');
    const fromStream = await sb().mgmt.jobs.usersImports.create({ users: Readable.from([Buffer.from(JSON.stringify([{ email: 'stream@acme.com' }]))]), connection_id: UPA });
    for (const id of [fromBlob.id!, fromStream.id!]) expect((await waitForJob(id)).job.summary).toMatchObject({ inserted: 1 });
    expect((await sb().mgmt.users.listUsersByEmail({ email: 'stream@acme.com' }))[0]!.identities![0]!.connection).toBe('Username-Password-Authentication');
  });
});

describe('import request validation', () => {
  it('a connection_id not matching ^con_[A-Za-z0-9]{16}$ is 400 invalid_body; an unknown one 400 inexistent_connection', async () => {
    const bad = await rejection(sb().mgmt.jobs.usersImports.create({ users: file([{ email: 'a@acme.com' }]), connection_id: 'legacy-db' }));
    expect(bad).toBeInstanceOf(Management.BadRequestError);
    expect(bad.body).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: "Payload validation error: 'String does not match pattern ^con_[A-Za-z0-9]{16}$' on property connection_id",
      errorCode: 'invalid_body',
    });
    const unknown = await rejection(sb().mgmt.jobs.usersImports.create({ users: file([{ email: 'a@acme.com' }]), connection_id: 'con_AAAAAAAAAAAAAAAA' }));
    expect(unknown.body).toEqual({ statusCode: 400, error: 'Bad Request', message: 'The connection does not exist.', errorCode: 'inexistent_connection' });
    const social = await rejection(sb().mgmt.jobs.usersImports.create({ users: file([{ email: 'a@acme.com' }]), connection_id: 'con_Go4Tz9KqW2mRv6Yb' }));
    expect(social.statusCode).toBe(400);
    expect((await sb().control.state()).jobs).toEqual([]);
  });

  it('a users file over 500 KB (512000 bytes) is 413; exactly 512000 bytes is accepted', async () => {
    const sized = (bytes: number) => {
      const base = JSON.stringify([{ email: 'pad@acme.com', name: '' }]).length;
      return file([{ email: 'pad@acme.com', name: 'x'.repeat(bytes - base) }]);
    };
    expect(sized(512_001).length).toBe(512_001);
    const err = await rejection(sb().mgmt.jobs.usersImports.create({ users: sized(512_001), connection_id: LEGACY_DB }));
    expect(err).toBeInstanceOf(Management.ContentTooLargeError);
    expect(err.statusCode).toBe(413);
    expect((err.body as { message: string }).message).toBe('Payload content length greater than maximum allowed: 512000.');
    expect((await sb().control.state()).jobs).toEqual([]);
    const fits = await sb().mgmt.jobs.usersImports.create({ users: sized(512_000), connection_id: LEGACY_DB });
    expect(fits.status).toBe('pending');
  });

  it('a third concurrent import job is 429 with the documented message; once one finishes, a new one is accepted', async () => {
    await sb().control.reset({ ...FAST, jobs: { pendingMs: 400, processingMs: 0 } });
    const a = await sb().mgmt.jobs.usersImports.create({ users: file([{ email: 'a@acme.com' }]), connection_id: LEGACY_DB });
    await sb().mgmt.jobs.usersImports.create({ users: file([{ email: 'b@acme.com' }]), connection_id: UPA });
    const err = await rejection(sb().mgmt.jobs.usersImports.create({ users: file([{ email: 'c@acme.com' }]), connection_id: LEGACY_DB }));
    expect(err).toBeInstanceOf(Management.TooManyRequestsError);
    expect(err.statusCode).toBe(429);
    expect(err.body).toEqual({ statusCode: 429, error: 'Too Many Requests', message: IMPORT_LIMIT_MESSAGE, errorCode: 'too_many_requests' });
    expect((await sb().control.state()).jobs).toHaveLength(2);
    // An export is not an import: not limited.
    expect((await sb().mgmt.jobs.usersExports.create({ format: 'json' })).type).toBe('users_export');
    await waitForJob(a.id!);
    expect((await sb().mgmt.jobs.usersImports.create({ users: file([{ email: 'c@acme.com' }]), connection_id: LEGACY_DB })).status).toBe('pending');
  });
});

describe('job status and lookup', () => {
  it('an import goes pending → processing (with percentage_done) → completed', async () => {
    const created = await sb().mgmt.jobs.usersImports.create({ users: file([{ email: 'timing@acme.com' }]), connection_id: LEGACY_DB });
    expect(created.status).toBe('pending');
    let processing: Management.GetJobResponseContent | undefined;
    const seen: string[] = [created.status!];
    const deadline = Date.now() + 3000;
    for (;;) {
      const job = await sb().mgmt.jobs.get(created.id!);
      if (job.status === 'processing') processing ??= job;
      if (seen.at(-1) !== job.status) seen.push(job.status);
      if (job.status === 'completed' || Date.now() > deadline) break;
      await sleep(2);
    }
    expect(seen).toEqual(['pending', 'processing', 'completed']);
    expect(processing!.percentage_done).toEqual(expect.any(Number));
    expect(processing!.percentage_done).toBeLessThan(100);
    expect(processing!.time_left_seconds).toBeGreaterThanOrEqual(0);
    const done = await sb().mgmt.jobs.get(created.id!);
    expect(done).not.toHaveProperty('percentage_done');
    expect(done.summary).toEqual({ failed: 0, updated: 0, inserted: 1, total: 1 });
    expect(await sb().mgmt.jobs.errors.get(created.id!)).toBeUndefined();
  });

  it('errors.get before the job has finished is 204 (undefined)', async () => {
    await sb().control.reset({ ...FAST, jobs: { pendingMs: 10_000, processingMs: 0 } });
    const created = await sb().mgmt.jobs.usersImports.create({ users: file([{ email: 'jane.doe@acme.com' }]), connection_id: LEGACY_DB });
    expect(await sb().mgmt.jobs.errors.get(created.id!)).toBeUndefined();
    expect((await sb().mgmt.jobs.get(created.id!)).status).toBe('pending');
  });

  it('jobs.get of an unknown job is 404 inexistent_job; a malformed id is 400', async () => {
    const err = await rejection(sb().mgmt.jobs.get('job_AAAAAAAAAAAAAAAA'));
    expect(err).toBeInstanceOf(Management.NotFoundError);
    expect(err.body).toEqual({ statusCode: 404, error: 'Not Found', message: 'Job not found.', errorCode: 'inexistent_job' });
    expect((await rejection(sb().mgmt.jobs.errors.get('job_AAAAAAAAAAAAAAAA'))).statusCode).toBe(404);
    const malformed = await rejection(sb().mgmt.jobs.get('nope'));
    expect(malformed).toBeInstanceOf(Management.BadRequestError);
  });
});

// Export jobs (200 on create, the signed link on the exports host, the file formats): contract-exports.test.ts.

describe('user_ids are unique across the tenant', () => {
  it('importing another email with a user_id the tenant has (on another connection) fails DUPLICATED_USER; the existing user is intact', async () => {
    const alice = await sb().mgmt.users.get('auth0|legacy-1007');
    const user = { email: 'someone.else@acme.com', user_id: 'legacy-1007' };
    const { job } = await importUsers([user], { connection_id: UPA });
    expect(job.summary).toEqual({ failed: 1, updated: 0, inserted: 0, total: 1 });
    expect(await sb().mgmt.jobs.errors.get(job.id)).toEqual([{ user, errors: [{ code: 'DUPLICATED_USER', message: 'The user already exist and upsert parameter is false' }] }]);
    expect(await sb().mgmt.users.get('auth0|legacy-1007')).toEqual(alice);
    expect(await sb().mgmt.users.listUsersByEmail({ email: 'someone.else@acme.com' })).toEqual([]);
  });
});
