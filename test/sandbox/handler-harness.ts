import type { Route, SandboxResponse } from '../../src/sandbox/contract.js';
import { ApiError } from '../../src/sandbox/contract.js';
import { exportDownload } from '../../src/sandbox/exports.js';
import { allRoutes } from '../../src/sandbox/routes/index.js';
import { parseScenario } from '../../src/sandbox/scenario.js';
import { SandboxTenant } from '../../src/sandbox/state.js';
import { LEGACY_DB } from '../helpers/sandbox.js';

/** Calls route handlers directly (no HTTP): matches the pattern, builds a SandboxRequest, turns ApiError into its body. */
export interface Harness {
  tenant: SandboxTenant;
  clock: { now: number };
  call(method: Route['method'], path: string, init?: { query?: Record<string, string | string[]>; json?: unknown; body?: Buffer; contentType?: string }): Promise<SandboxResponse>;
  importUsers(users: unknown, fields?: Record<string, string>): Promise<SandboxResponse>;
  /** A request to the exports host (where an export's `location` points), answered by the tenant at the harness clock. */
  download(location: string, init?: { method?: string; headers?: Record<string, string> }): SandboxResponse;
}

export const BASE_SCENARIO = {
  tenant: 'acme-dev',
  connections: [
    {
      name: 'legacy-db',
      id: LEGACY_DB,
      options: { enabledDatabaseCustomization: true, import_mode: true, customScripts: { login: 'function login(){}', get_user: 'function getByEmail(){}' } },
    },
    { name: 'Username-Password-Authentication' },
  ],
  users: [
    { email: 'alice.ng@acme.com', connection: 'legacy-db', password: 'alice-pw', user_metadata: { language: 'en', theme: 'dark' }, app_metadata: { plan: 'gold' } },
    { email: 'Bob.Smith@Acme.com', connection: 'Username-Password-Authentication', password: 'bob-pw' },
    { email: 'carol@gmail.com', connection: 'google-oauth2' },
  ],
  ghosts: [{ email: 'jane.doe@acme.com', connection: 'legacy-db' }],
  legacy: [
    { email: 'jane.doe@acme.com', password: 'jane-pw', user_id: 'legacy-1001', user_metadata: { language: 'fr' }, app_metadata: { tier: 'pro' } },
    { email: 'raj.patel@acme.com', password: 'raj-pw', user_id: 'legacy-1002', name: 'Raj Patel', user_metadata: { language: 'hi' } },
  ],
  jobs: { pendingMs: 100, processingMs: 200 },
};

/** Every scope the sandbox checks (what the default client gets). */
export const ALL_TEST_SCOPES = ['read:users', 'update:users', 'delete:users', 'create:users', 'read:connections', 'update:connections', 'read:logs', 'create:user_tickets'];

/** `scopes`: the token's scopes as the handlers see them (the server has already checked the route's). */
export function harness(scenario: unknown = BASE_SCENARIO, options: { scopes?: string[] } = {}): Harness {
  const clock = { now: Date.parse('2024-05-02T10:00:00.000Z') };
  let seed = 1;
  const random = () => {
    seed = (seed * 16807) % 2147483647;
    return (seed - 1) / 2147483646;
  };
  const tenant = SandboxTenant.fromScenario(parseScenario(JSON.stringify(scenario), 'test.json'), { now: () => clock.now, random, baseUrl: 'https://127.0.0.1:4443' });
  const routes = allRoutes(tenant).map((r) => ({ ...r, regex: new RegExp(`^${r.pattern.replace(/:(\w+)/g, '(?<$1>[^/]+)')}$`) }));
  const scopes = new Set(options.scopes ?? ALL_TEST_SCOPES);

  const call: Harness['call'] = async (method, path, init = {}) => {
    const [pathname, search] = path.split('?') as [string, string | undefined];
    const found = routes.find((r) => r.method === method && r.regex.test(pathname));
    if (!found) throw new Error(`no route for ${method} ${pathname}`);
    const params = Object.fromEntries(Object.entries(found.regex.exec(pathname)!.groups ?? {}).map(([k, v]) => [k, decodeURIComponent(v)]));
    const query = new URLSearchParams(search ?? '');
    for (const [k, v] of Object.entries(init.query ?? {})) for (const item of Array.isArray(v) ? v : [v]) query.append(k, item);
    const body = init.body ?? (init.json === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(init.json)));
    const contentType = init.contentType ?? (init.json === undefined ? undefined : 'application/json');
    try {
      return await found.handler({
        method,
        path: pathname,
        params,
        query,
        headers: contentType ? { 'content-type': contentType } : {},
        body,
        scopes,
        now: () => clock.now,
      });
    } catch (err) {
      if (err instanceof ApiError) return { status: err.status, body: err.toBody() };
      throw err;
    }
  };

  const importUsers: Harness['importUsers'] = async (users, fields = {}) => {
    const form = new FormData();
    const text = typeof users === 'string' ? users : JSON.stringify(users);
    form.append('users', new Blob([text], { type: 'application/json' }), 'users.json');
    form.append('connection_id', fields.connection_id ?? LEGACY_DB);
    for (const [k, v] of Object.entries(fields)) if (k !== 'connection_id') form.append(k, v);
    const encoded = new Response(form);
    const body = Buffer.from(await encoded.arrayBuffer());
    return call('POST', '/api/v2/jobs/users-imports', { body, contentType: encoded.headers.get('content-type')! });
  };

  const download: Harness['download'] = (location, init = {}) => exportDownload(tenant, { method: init.method ?? 'GET', url: new URL(location), headers: init.headers ?? {} });

  return { tenant, clock, call, importUsers, download };
}

/** Record type for asserting on JSON bodies. */
export type Json = Record<string, unknown> & Record<string, any>;

export function bodyOf(res: SandboxResponse): Json {
  return res.body as Json;
}
