import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { JOB_RETENTION_MS } from '../../src/sandbox/jobs.js';
import { LogBook, MAX_LOG_RECORDS } from '../../src/sandbox/log-book.js';
import type { Profile } from '../../src/sandbox/profile.js';
import { LEGACY_DB } from '../helpers/sandbox.js';
import { BASE_SCENARIO, bodyOf, harness } from './handler-harness.js';

/** What keeps a long-running sandbox bounded and its per-request work proportional to the page asked for. */

const ACME = JSON.parse(readFileSync('examples/scenarios/acme-mixed.json', 'utf8')) as Record<string, unknown>;

/** Makes any read of `key` on `target` throw: proves a request never looked at that record. */
function untouchable(target: object, key: string): void {
  Object.defineProperty(target, key, {
    get() {
      throw new Error(`read ${key} of a record the request should not have walked to`);
    },
  });
}

describe('the tenant log is capped', () => {
  it(`keeps the newest ${MAX_LOG_RECORDS.toLocaleString('en')} records (by log_id); checkpoints and date order only see those`, () => {
    const h = harness();
    for (let i = 0; i < MAX_LOG_RECORDS + 7; i++) h.tenant.addLog({ type: 's', description: `n${i}` });
    expect(MAX_LOG_RECORDS).toBe(50_000);
    expect(h.tenant.logs.length).toBe(MAX_LOG_RECORDS);
    const all = h.tenant.logs.all();
    expect(all).toHaveLength(MAX_LOG_RECORDS);
    expect(all[0]!.description).toBe('n7');
    expect(all.at(-1)!.description).toBe(`n${MAX_LOG_RECORDS + 6}`);
    // A checkpoint older than the oldest kept record resumes at the oldest kept one.
    expect(h.tenant.logs.after('0', 2).map((r) => r.description)).toEqual(['n7', 'n8']);
    expect([...h.tenant.logs.inDateOrder(false)].length).toBe(MAX_LOG_RECORDS);
  });

  it('drops the oldest by log_id even when dates arrived out of order, across compactions', () => {
    let now = Date.parse('2024-05-02T10:00:00.000Z');
    const book = new LogBook(() => now, {}, 3);
    // Scenario-style preload: an old date given to a record appended later.
    book.preload([{ type: 'a', date: '2024-05-02T12:00:00.000Z' }, { type: 'b', date: '2024-05-01T00:00:00.000Z' }, { type: 'c' }]);
    const dates = () => [...book.inDateOrder(false)].map((r) => r.type);
    expect(dates()).toEqual(['b', 'c', 'a']);
    book.add({ type: 'd' }); // drops a (the oldest log_id), which is last in date order
    expect(book.all().map((r) => r.type)).toEqual(['b', 'c', 'd']);
    expect(dates()).toEqual(['b', 'c', 'd']);
    expect([...book.inDateOrder(true)].map((r) => r.type)).toEqual(['d', 'c', 'b']);
    for (let i = 0; i < 12_000; i++) {
      now += 1;
      book.add({ type: `x${i}` });
    }
    expect(book.all().map((r) => r.type)).toEqual(['x11997', 'x11998', 'x11999']);
    expect(dates()).toEqual(['x11997', 'x11998', 'x11999']);
    expect(book.after('0', 10)).toHaveLength(3);
  });
});

describe('log search walks only as far as it must', () => {
  it('without include_totals, a search stops once the page is full (older records are never read)', async () => {
    const h = harness();
    const oldest = h.tenant.addLog({ type: 'fs', description: 'old' });
    for (let i = 0; i < 5; i++) {
      h.clock.now += 1000;
      h.tenant.addLog({ type: 'fs', description: `new ${i}` });
    }
    untouchable(oldest, 'type');
    const res = await h.call('GET', '/api/v2/logs', { query: { q: 'type:fs', per_page: '2', page: '1' } });
    expect((res.body as any[]).map((l) => l.description)).toEqual(['new 2', 'new 1']);
    // include_totals: `total` is the page's count (search v3), so there is still no walk past the page.
    const totals = await h.call('GET', '/api/v2/logs', { query: { per_page: '2', include_totals: 'true' } });
    expect(bodyOf(totals)).toMatchObject({ start: 0, limit: 2, length: 2, total: 2 });
  });

  it('with a query and include_totals, the walk stops at the end of the page too: total is the number of records in the page', async () => {
    const h = harness();
    const added = [];
    for (const type of ['s', 'fs', 's', 'fs', 'fs']) {
      h.clock.now += 1000;
      added.push(h.tenant.addLog({ type }));
    }
    // Another sort field reads every match, then sorts.
    const other = await h.call('GET', '/api/v2/logs', { query: { q: 'type:fs OR type:s', sort: 'type:1', include_totals: 'true' } });
    expect(bodyOf(other).logs.map((l: any) => l.type)).toEqual(['fs', 'fs', 'fs', 's', 's']);
    expect(bodyOf(other)).toMatchObject({ length: 5, total: 5 });
    untouchable(added.at(-1)!, 'type');
    const res = await h.call('GET', '/api/v2/logs', { query: { q: 'type:fs', per_page: '1', page: '1', include_totals: 'true', sort: 'date:1' } });
    expect(bodyOf(res)).toMatchObject({ start: 1, limit: 1, length: 1, total: 1 });
    expect(bodyOf(res).logs[0].log_id).toBe(added[3]!.log_id);
  });
});

describe('jobs are forgotten 24 hours after they finished', () => {
  it('GET /jobs/{id} (and /errors, and the export file) answer 404 once the job finished over 24 h ago', async () => {
    const h = harness();
    const imp = bodyOf(await h.importUsers([{ email: 'jane.doe@acme.com' }]));
    const exp = bodyOf(await h.call('POST', '/api/v2/jobs/users-exports', { json: { format: 'json' } }));
    h.clock.now += 300; // both finish now
    expect(bodyOf(await h.call('GET', `/api/v2/jobs/${imp.id}`)).status).toBe('completed');
    h.clock.now += JOB_RETENTION_MS - 1;
    expect((await h.call('GET', `/api/v2/jobs/${imp.id}/errors`)).status).toBe(200);
    const link = bodyOf(await h.call('GET', `/api/v2/jobs/${exp.id}`)).location as string;
    expect(h.download(link).status).toBe(200);
    h.clock.now += 1;
    const gone = { status: 404, body: { statusCode: 404, error: 'Not Found', message: 'Job not found.', errorCode: 'inexistent_job' } };
    expect(await h.call('GET', `/api/v2/jobs/${imp.id}`)).toEqual(gone);
    expect(await h.call('GET', `/api/v2/jobs/${imp.id}/errors`)).toEqual(gone);
    // The link read a moment ago has not expired, but the file is gone with the job.
    expect(h.download(link)).toMatchObject({ status: 404, raw: expect.stringContaining('<Code>NoSuchKey</Code>') });
    expect((h.tenant.snapshot() as { jobs: unknown[] }).jobs).toEqual([]);
    // What the job did stays done: its log records are still there.
    expect(h.tenant.logs.all().some((l) => l.type === 'fui')).toBe(true);
  });

  it('a job that finished while nobody asked is applied, then forgotten, by the first request after 24 h', async () => {
    const h = harness();
    const imp = bodyOf(await h.importUsers([{ email: 'late@acme.com' }]));
    h.clock.now += JOB_RETENTION_MS + 300;
    expect((await h.call('GET', `/api/v2/jobs/${imp.id}`)).status).toBe(404);
    expect(h.tenant.usersWithEmail('late@acme.com')).toHaveLength(1);
    expect(h.tenant.usersWithEmail('late@acme.com')[0]!.created_at).toBe('2024-05-02T10:00:00.300Z');
  });

  it('a running job is never pruned, and only running imports count toward the limit of two', async () => {
    const h = harness({ ...BASE_SCENARIO, jobs: { pendingMs: 600_000, processingMs: 0 } });
    const a = bodyOf(await h.importUsers([{ email: 'a@acme.com' }]));
    await h.importUsers([{ email: 'b@acme.com' }]);
    expect((await h.importUsers([{ email: 'c@acme.com' }])).status).toBe(429);
    h.clock.now += 600_000;
    expect(bodyOf(await h.call('GET', `/api/v2/jobs/${a.id}`)).status).toBe('completed');
    expect((await h.importUsers([{ email: 'c@acme.com' }])).status).toBe(202);
  });
});

describe('GET /users: the connection index', () => {
  it('identities.connection:"x" answers from the index: profiles elsewhere are never read, nor those past the page', async () => {
    const h = harness(ACME);
    const onLegacy = [...h.tenant.usersOnConnection('legacy-db')].map((p) => p.user_id);
    expect(onLegacy).toEqual([
      'auth0|legacy-1007', 'auth0|legacy-1011', 'auth0|legacy-1013', 'auth0|legacy-2207', 'auth0|legacy-1030', 'auth0|legacy-1060',
      'auth0|legacy-1070', 'auth0|legacy-1071', 'google-oauth2|104857600123456789012',
    ]);
    // Profiles on other connections are not candidates; the last legacy-db member is past the page.
    for (const p of h.tenant.users()) if (!onLegacy.includes(p.user_id)) untouchable(p, 'identities');
    untouchable(h.tenant.user('google-oauth2|104857600123456789012')!, 'email');
    const res = await h.call('GET', '/api/v2/users', { query: { q: 'identities.connection:"legacy-db"', per_page: '3', page: '1', include_totals: 'true', search_engine: 'v3' } });
    expect(bodyOf(res)).toMatchObject({ start: 3, limit: 3, length: 3, total: 9 });
    expect(bodyOf(res).users.map((u: any) => u.user_id)).toEqual(['auth0|legacy-2207', 'auth0|legacy-1030', 'auth0|legacy-1060']);
    // ANDed with another term, the index still picks the candidates; the other term is tested on those only.
    const gold = await h.call('GET', '/api/v2/users', { query: { q: 'identities.connection:"legacy-db" AND app_metadata.plan:"silver"', include_totals: 'true' } });
    expect(bodyOf(gold).users.map((u: any) => u.user_id)).toEqual(['auth0|legacy-1011', 'auth0|legacy-2207']);
  });

  it('agrees with a full scan, and follows creates, deletes and unlinks', async () => {
    const h = harness(ACME);
    const ids = async (q: string) => (bodyOf(await h.call('GET', '/api/v2/users', { query: { q, per_page: '100', include_totals: 'true' } })).users as any[]).map((u) => u.user_id);
    const indexed = 'identities.connection:"legacy-db"';
    const scanned = 'identities.connection:"legacy-db" OR identities.connection:"legacy-db"'; // no index for an OR
    expect(await ids(indexed)).toEqual(await ids(scanned));
    await h.call('POST', '/api/v2/users', { json: { email: 'new@acme.com', password: 'pw', connection: 'legacy-db', user_id: 'n-1' } });
    await h.call('DELETE', `/api/v2/users/${encodeURIComponent('auth0|legacy-1011')}`);
    await h.call('DELETE', `/api/v2/connections/${LEGACY_DB}/users`, { query: { email: 'priya.shah@acme.com' } }); // unlinks Priya's identity
    expect(await ids(indexed)).toEqual(['auth0|legacy-1007', 'auth0|legacy-1013', 'auth0|legacy-2207', 'auth0|legacy-1030', 'auth0|legacy-1060', 'auth0|legacy-1070', 'auth0|legacy-1071', 'auth0|n-1']);
    expect(await ids(indexed)).toEqual(await ids(scanned));
    expect(h.tenant.countOnConnection('legacy-db')).toBe(8);
    expect(await ids('identities.connection:"google-oauth2"')).toEqual(['google-oauth2|104857600123456789012', 'google-oauth2|109876543210987654321']);
    expect(await ids('identities.connection:"nope"')).toEqual([]);
  });

  it('without q, a page is read without walking every profile; the total is the profile count', async () => {
    const h = harness(ACME);
    const profiles: Profile[] = [...h.tenant.users()];
    const all = h.tenant.users.bind(h.tenant);
    let walked = 0;
    h.tenant.users = function* () {
      for (const p of all()) {
        walked++;
        yield p;
      }
    };
    const res = await h.call('GET', '/api/v2/users', { query: { per_page: '2', page: '1', include_totals: 'true' } });
    expect(bodyOf(res)).toMatchObject({ start: 2, limit: 2, length: 2, total: 12 });
    expect(bodyOf(res).users.map((u: any) => u.user_id)).toEqual([profiles[2]!.user_id, profiles[3]!.user_id]);
    expect(walked).toBe(4);
    // A sort needs every profile.
    walked = 0;
    await h.call('GET', '/api/v2/users', { query: { per_page: '2', sort: 'email:1' } });
    expect(walked).toBe(12);
  });
});
