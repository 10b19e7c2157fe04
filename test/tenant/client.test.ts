import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { NotAuthorizedError, TemporaryFailureError, TenantUnreachableError } from '../../src/errors.js';
import { openTenant } from '../../src/tenant/client.js';
import { TenantApiError } from '../../src/tenant/errors.js';
import type { PacerWait } from '../../src/tenant/pacer.js';
import { useSandbox, type TestSandbox } from '../helpers/sandbox.js';

const DB = 'con_DbDbDbDbDbDbDbDb';
const SCENARIO = {
  tenant: 'pacing',
  connections: [{ name: 'db', id: DB, options: { enabledDatabaseCustomization: true, import_mode: true } }],
  users: [{ email: 'ann@example.com', connection: 'db', password: 'pw', user_id: 'ann-1' }],
  clients: [
    { client_id: 'full-client', client_secret: 'full-secret-value' },
    { client_id: 'reader-client', client_secret: 'reader-secret', scopes: ['read:users'] },
  ],
};

const sb = useSandbox(SCENARIO);

function tenant(s: TestSandbox, options: { clientId?: string; clientSecret?: string; waits?: PacerWait[] } = {}) {
  return openTenant(
    { domain: s.running.domain, auth: { kind: 'client-credentials', clientId: options.clientId ?? 'full-client', clientSecret: options.clientSecret ?? 'full-secret-value' } },
    { pacing: { baseDelayMs: 5, maxRetries: 3, onWait: (w) => options.waits?.push(w) } },
  );
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a failure');
}

const apiCalls = async (s: TestSandbox, method: string, path: string) => (await s.control.journal()).filter((e) => e.method === method && e.path === path);

describe('the tenant door over the real SDK, paced by unstick', () => {
  it('reads users and connections as unstick types', async () => {
    const t = tenant(sb());
    const [ann] = await t.usersByEmail('ann@example.com');
    expect(ann).toMatchObject({ user_id: 'auth0|ann-1', email: 'ann@example.com', identities: [{ connection: 'db', provider: 'auth0', user_id: 'ann-1', isSocial: false }] });
    expect(ann!.raw.user_id).toBe('auth0|ann-1');
    expect(await t.getUser('auth0|nobody')).toBeNull();
    expect(await t.findConnection('db')).toMatchObject({ id: DB, customDatabase: true, importMode: true });
    expect(await t.findConnection(DB)).toMatchObject({ name: 'db' });
    expect(await t.findConnection('con_AAAAAAAAAAAAAAAA')).toBeNull();
    expect((await t.databaseConnections()).map((c) => c.name)).toEqual(['db']);
  });

  it('a 429 waits for the reset and the request goes through once; the SDK retries nothing itself', async () => {
    const waits: PacerWait[] = [];
    const t = tenant(sb(), { waits });
    await t.usersByEmail('ann@example.com'); // token first
    await sb().control.clearJournal();
    await sb().control.faults([{ route: 'GET /api/v2/users-by-email', sequence: [429] }]);
    expect(await t.usersByEmail('ann@example.com')).toHaveLength(1);
    expect(waits.map((w) => [w.reason, w.status])).toEqual([['rate-limit', 429]]);
    expect((await apiCalls(sb(), 'GET', '/api/v2/users-by-email')).map((e) => e.status)).toEqual([429, 200]);
  });

  it('5xx and dropped connections on a repeatable call are retried with backoff; past the budget it is exit 75', async () => {
    const t = tenant(sb());
    await sb().control.faults([{ route: 'DELETE /api/v2/users/*', sequence: [503, 'drop', 500] }]);
    await t.deleteUser('auth0|ann-1');
    expect((await apiCalls(sb(), 'DELETE', '/api/v2/users/auth0%7Cann-1')).map((e) => e.status)).toEqual([503, 0, 500, 204]);

    await sb().control.faults([{ route: 'GET /api/v2/users-by-email', sequence: [503, 503, 503, 503, 503] }]);
    const err = await failure(t.usersByEmail('ann@example.com'));
    expect(err).toBeInstanceOf(TemporaryFailureError);
    expect(err.message).toBe('look up ann@example.com: Auth0 answered 503 (Injected fault: Service Unavailable), still after retries');
  });

  it('a POST that creates is never repeated blindly: a 5xx or a drop comes back as "may have taken effect"', async () => {
    const t = tenant(sb());
    await sb().control.faults([{ route: 'POST /api/v2/jobs/users-imports', sequence: [503] }]);
    const users = Buffer.from(JSON.stringify([{ email: 'new@example.com' }]));
    const e503 = await failure(t.createImportJob({ connectionId: DB, users }));
    expect(e503).toBeInstanceOf(TenantApiError);
    expect((e503 as TenantApiError).uncertain).toBe(true);
    await sb().control.faults([{ route: 'POST /api/v2/jobs/users-imports', sequence: ['drop'] }]);
    const dropped = await failure(t.createImportJob({ connectionId: DB, users }));
    expect(dropped).toMatchObject({ uncertain: true });
    expect(dropped.message).toMatch(/may or may not have taken effect/);
    expect((await apiCalls(sb(), 'POST', '/api/v2/jobs/users-imports')).map((e) => e.status)).toEqual([503, 0]);
  });

  it('wrong credentials and missing scopes are exit 77, naming the scope and never the secret', async () => {
    const wrong = await failure(tenant(sb(), { clientSecret: 'not-the-secret' }).usersByEmail('ann@example.com'));
    expect(wrong).toBeInstanceOf(NotAuthorizedError);
    expect(wrong.message).toMatch(/refused the credentials \(401/);
    expect(wrong.message).not.toContain('not-the-secret');

    const reader = tenant(sb(), { clientId: 'reader-client', clientSecret: 'reader-secret' });
    const scope = await failure(reader.deleteConnectionUser(DB, 'ann@example.com'));
    expect(scope).toBeInstanceOf(NotAuthorizedError);
    expect(scope.message).toBe('Delete a Connection User ann@example.com: the token lacks the scope delete:users');
    expect((scope as NotAuthorizedError).hint).toMatch(/Machine To Machine/);
  });

  it('Delete a Connection User on an unknown connection is a 404 the caller sees, not a success', async () => {
    const err = await failure(tenant(sb()).deleteConnectionUser('con_AAAAAAAAAAAAAAAA', 'ann@example.com'));
    expect(err).toMatchObject({ status: 404, errorCode: 'inexistent_connection', uncertain: false });
  });

  it('a closed port is exit 69 naming the host, after bounded retries', async () => {
    const port = await freePort();
    const closed = openTenant({ domain: `127.0.0.1:${port}`, auth: { kind: 'token', token: 'secret-token-value' } }, { pacing: { baseDelayMs: 1, maxRetries: 2 } });
    const err = await failure(closed.usersByEmail('ann@example.com'));
    expect(err).toBeInstanceOf(TenantUnreachableError);
    expect(err.message).toBe(`look up ann@example.com: 127.0.0.1:${port} refused the connection (after 3 attempts)`);
    expect(err.message).not.toContain('secret-token-value');
  });
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
