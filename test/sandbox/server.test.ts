import { readdirSync, statSync } from 'node:fs';
import { connect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

const SCENARIO = {
  tenant: 'server-test',
  connections: [{ name: 'db', options: {} }],
  users: [{ email: 'a@acme.com', connection: 'db', password: 'pw' }],
  rateLimit: { burst: 1000, perSecond: 1000 },
};

let sb: TestSandbox;
let token: string;
beforeAll(async () => {
  sb = await startTestSandbox(SCENARIO);
  token = await getToken(sb.running.clientId, sb.running.clientSecret);
});
afterAll(() => sb.close());

async function getToken(clientId: string, clientSecret: string): Promise<string> {
  const res = await fetch(`${sb.running.url}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret }).toString(),
  });
  return ((await res.json()) as { access_token: string }).access_token;
}

const api = (path: string, init: RequestInit = {}) =>
  fetch(`${sb.running.url}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, ...(init.headers ?? {}) } });

describe('sandbox server: odd requests are answered, never fatal', () => {
  it('a request target no URL parser accepts gets 400 and the sandbox keeps serving', async () => {
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port: sb.running.port, servername: 'localhost' }, () => {
        socket.write('GET http://[ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      });
      let data = '';
      socket.on('data', (d) => (data += d.toString()));
      socket.on('end', () => resolve(data));
      socket.on('error', reject);
    });
    expect(raw).toMatch(/^HTTP\/1\.1 400/);
    expect((await api('/api/v2/users-by-email?email=a%40acme.com')).status).toBe(200);
  });

  it('a malformed path escape, a token request with bad JSON: 400s', async () => {
    const bad = await api('/api/v2/users/%E0%A4%A');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ statusCode: 400, errorCode: 'invalid_uri' });
    const tokenRes = await fetch(`${sb.running.url}/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{bad' });
    expect(tokenRes.status).toBe(400);
    expect(await tokenRes.json()).toMatchObject({ error: 'invalid_request' });
  });

  it('rate-limit headers ride on error answers too', async () => {
    const res = await api('/api/v2/users/auth0%7Cnobody');
    expect(res.status).toBe(404);
    expect(res.headers.get('x-ratelimit-limit')).toBe('1000');
    expect(Number(res.headers.get('x-ratelimit-reset'))).toBeGreaterThan(0);
  });
});

describe('sandbox server: control plane', () => {
  it('reset with a scenario that does not validate is a 400 naming the problem', async () => {
    const res = await fetch(`${sb.running.url}/__sandbox/reset`, { method: 'POST', body: '{"foo":1}' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toMatch(/foo/);
  });

  it("reset loads the new scenario's clients: a read-only client then gets 403 insufficient_scope", async () => {
    await sb.control.reset({ ...SCENARIO, clients: [{ client_id: 'ro', client_secret: 'ro-secret', scopes: ['read:users'] }] });
    try {
      const ro = await getToken('ro', 'ro-secret');
      expect(ro).toBeTruthy();
      const del = await fetch(`${sb.running.url}/api/v2/users/auth0%7Cx`, { method: 'DELETE', headers: { authorization: `Bearer ${ro}` } });
      expect(del.status).toBe(403);
      expect(await del.json()).toEqual({
        statusCode: 403,
        error: 'Forbidden',
        message: 'Insufficient scope, expected any of: delete:users',
        errorCode: 'insufficient_scope',
      });
    } finally {
      await sb.control.reset(SCENARIO);
    }
  });

  it('an injected 429 looks like the real limiter: headers and an api_limit log', async () => {
    await sb.control.faults([{ route: 'GET /api/v2/users-by-email', sequence: [429] }]);
    try {
      const res = await api('/api/v2/users-by-email?email=a%40acme.com');
      expect(res.status).toBe(429);
      expect(res.headers.get('x-ratelimit-remaining')).toBe('0');
      expect(await res.json()).toMatchObject({ errorCode: 'too_many_requests' });
      const state = await sb.control.state();
      expect(state.logs.at(-1)).toMatchObject({ type: 'api_limit', description: 'Global limit has been reached' });
    } finally {
      await fetch(`${sb.running.url}/__sandbox/faults`, { method: 'DELETE' });
    }
  });
});

describe('sandbox server: lifecycle and TLS material', () => {
  it('close() does not wait for injected latency', async () => {
    const other = await startTestSandbox(SCENARIO);
    await other.control.faults([{ route: 'GET /api/v2/**', latencyMs: 20_000 }]);
    const pending = fetch(`${other.running.url}/api/v2/users-by-email?email=a%40acme.com`).catch(() => 'closed');
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    await other.close();
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(await pending).toBe('closed');
  });

  it('keeps no CA private key on disk, and keeps its files private', () => {
    const dir = process.env.UNSTICK_TEST_STATE_DIR!;
    const files = readdirSync(dir).sort();
    expect(files).toEqual(expect.arrayContaining(['ca.pem', 'server-key.pem', 'server.pem']));
    expect(files).not.toContain('ca-key.pem');
    expect(statSync(`${dir}/server-key.pem`).mode & 0o077).toBe(0);
  });
});
