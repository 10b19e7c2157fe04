import { randomBytes } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { FaultInjector, parseFaults, type FaultSpec } from './faults.js';
import { ApiError, reasonPhrase, type Route, type SandboxRequest, type SandboxResponse } from './http.js';
import { TokenBucket } from './rate-limit.js';
import { allRoutes } from './routes/index.js';
import { parseScenario, ScenarioError, type Scenario } from './scenario.js';
import { Tenant } from './state.js';
import { ensureCertificates } from './tls.js';

/** Every scope the sandbox checks; the default client gets them all. */
export const ALL_SCOPES = [
  'read:users',
  'update:users',
  'delete:users',
  'create:users',
  'read:connections',
  'update:connections',
  'read:logs',
  'create:user_tickets',
];

export interface SandboxOptions {
  scenario: Scenario;
  stateDir: string;
  port?: number;
  host?: string;
  now?: () => number;
  random?: () => number;
  /** Where warnings go (unhandled routes, handler crashes). */
  warn?: (message: string) => void;
}

export interface Client {
  client_id: string;
  client_secret: string;
  scopes: string[];
}

export interface JournalEntry {
  method: string;
  path: string;
  query: Record<string, string | string[]>;
  status: number;
  time: string;
  ms: number;
}

export interface RunningSandbox {
  /** What ManagementClient takes as `domain`: "127.0.0.1:PORT". */
  domain: string;
  url: string;
  port: number;
  clientId: string;
  clientSecret: string;
  caCertPath: string;
  /** The live state (for in-process tests). */
  readonly tenant: Tenant;
  readonly journal: readonly JournalEntry[];
  close(): Promise<void>;
}

const MAX_BODY = 2 * 1024 * 1024;
const JOURNAL_LIMIT = 100_000;
const TOKEN_TTL_SECONDS = 86_400;

interface CompiledRoute extends Route {
  regex: RegExp;
  names: string[];
}

function compile(routes: Route[]): CompiledRoute[] {
  return routes.map((route) => {
    const names: string[] = [];
    const source = route.pattern
      .split('/')
      .map((seg) => {
        if (seg.startsWith(':')) {
          names.push(seg.slice(1));
          return '([^/]+)';
        }
        return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      })
      .join('/');
    return { ...route, regex: new RegExp(`^${source}$`), names };
  });
}

/** Starts the sandbox over HTTPS and resolves once it is listening. */
export async function startSandbox(options: SandboxOptions): Promise<RunningSandbox> {
  const now = options.now ?? Date.now;
  const warn = options.warn ?? (() => {});
  const certs = ensureCertificates(options.stateDir);
  const fallbackClient = defaultClient(options.stateDir);
  let clients: Client[] = [];
  const tokens = new Map<string, { scopes: Set<string>; expiresAt: number }>();
  const journal: JournalEntry[] = [];

  let scenario = options.scenario;
  let domain = '';
  let tenant!: Tenant;
  let routes: CompiledRoute[] = [];
  let faults = new FaultInjector([]);
  let bucket: TokenBucket | null = null;
  const load = (next: Scenario) => {
    scenario = next;
    clients = next.clients?.length ? next.clients.map(withScopes) : [fallbackClient];
    tenant = Tenant.fromScenario(next, { now, random: options.random, baseUrl: `https://${domain}` });
    routes = compile(allRoutes(tenant));
    faults = new FaultInjector(next.faults ?? [], options.random);
    bucket = next.rateLimit ? new TokenBucket(next.rateLimit, now) : null;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const started = now();
    const method = req.method ?? 'GET';
    let pathname = req.url ?? '/';
    let searchParams = new URLSearchParams();
    let limitHeaders: Record<string, string> = {};
    const record = (status: number) => {
      // Trim in steps, not one shift per request: shifting a 100,000-entry array is not free.
      if (journal.length >= JOURNAL_LIMIT) journal.splice(0, JOURNAL_LIMIT / 10);
      journal.push({ method, path: pathname, query: queryObject(searchParams), status, time: new Date(started).toISOString(), ms: now() - started });
    };
    const reply = (r: SandboxResponse) => {
      record(r.status);
      send(res, { ...r, headers: { ...limitHeaders, ...r.headers } });
    };
    try {
      const url = parseTarget(req.url);
      pathname = url.pathname;
      searchParams = url.searchParams;
      const body = await readBody(req);
      const control = controlPlane(method, pathname, body);
      if (control) return reply(await control);
      const decision = pathname.startsWith('/__sandbox/') ? null : faults.decide(method, pathname);
      if (decision?.latencyMs) await sleep(decision.latencyMs);
      if (decision?.action === 'drop') {
        record(0);
        req.socket.destroy();
        return;
      }
      if (pathname.startsWith('/api/v2/') && bucket) {
        const verdict = bucket.take();
        limitHeaders = {
          'x-ratelimit-limit': String(verdict.limit),
          'x-ratelimit-remaining': String(verdict.remaining),
          'x-ratelimit-reset': String(verdict.reset),
        };
        if (!verdict.allowed) return reply(rateLimited(method, pathname, verdict.limit));
      }
      if (typeof decision?.action === 'number') {
        const status = decision.action;
        if (status === 429) {
          limitHeaders = { ...limitHeaders, 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(Math.ceil(now() / 1000) + 1) };
          return reply(rateLimited(method, pathname, Number(limitHeaders['x-ratelimit-limit'] ?? 0)));
        }
        return reply({ status, body: new ApiError(status, `Injected fault: ${reasonPhrase(status)}`).toBody() });
      }
      reply(pathname === '/oauth/token' && method === 'POST' ? issueToken(req, body) : await route(method, url, req, body));
    } catch (err) {
      if (err instanceof ApiError) return reply({ status: err.status, body: err.toBody() });
      warn(`sandbox: ${method} ${pathname} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      reply({ status: 500, body: new ApiError(500, 'Internal sandbox error').toBody() });
    }
  };

  /** Auth0's answer when the tenant's bucket is empty, with the api_limit log it writes. */
  const rateLimited = (method: string, pathname: string, size: number): SandboxResponse => {
    tenant.addLog({
      type: 'api_limit',
      description: 'Global limit has been reached',
      details: { limit: { bucket: 'global', global: true, size }, request: { method: method.toLowerCase(), path: pathname }, response: {} },
    });
    return { status: 429, body: new ApiError(429, 'Global limit has been reached', 'too_many_requests').toBody() };
  };

  // Injected latency must not keep a stopping sandbox alive.
  const timers = new Set<NodeJS.Timeout>();
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.add(timer);
    });

  const controlPlane = (method: string, pathname: string, body: Buffer): Promise<SandboxResponse> | SandboxResponse | null => {
    if (!pathname.startsWith('/__sandbox/')) return null;
    if (pathname === '/__sandbox/state' && method === 'GET') return { status: 200, body: { ...(tenant.snapshot() as object), clients: clients.map((c) => ({ client_id: c.client_id, scopes: c.scopes })) } };
    if (pathname === '/__sandbox/journal' && method === 'GET') return { status: 200, body: journal };
    if (pathname === '/__sandbox/journal' && method === 'DELETE') {
      journal.length = 0;
      return { status: 204 };
    }
    if (pathname === '/__sandbox/reset' && method === 'POST') {
      // An optional scenario in the body replaces the one the sandbox started with.
      let next = scenario;
      if (body.length) {
        try {
          next = parseScenario(body.toString('utf8'), 'POST /__sandbox/reset');
        } catch (err) {
          if (err instanceof ScenarioError) throw new ApiError(400, err.line ? `line ${err.line}: ${err.message}` : err.message, 'invalid_body');
          throw err;
        }
      }
      load(next);
      journal.length = 0;
      return { status: 200, body: { tenant: tenant.name } };
    }
    if (pathname === '/__sandbox/faults' && (method === 'POST' || method === 'PUT')) {
      let specs: FaultSpec[];
      try {
        specs = parseFaults(JSON.parse(body.toString('utf8') || '[]'));
      } catch (err) {
        throw new ApiError(400, err instanceof Error ? err.message : String(err), 'invalid_body');
      }
      faults = new FaultInjector(specs, options.random);
      return { status: 200, body: specs };
    }
    if (pathname === '/__sandbox/faults' && method === 'DELETE') {
      faults = new FaultInjector([]);
      return { status: 204 };
    }
    return null; // end-user simulation routes live in the route table
  };

  const issueToken = (req: IncomingMessage, body: Buffer): SandboxResponse => {
    let params: URLSearchParams;
    if ((req.headers['content-type'] ?? '').includes('json')) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(body.toString('utf8') || '{}');
      } catch {
        parsed = null;
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        return { status: 400, body: { error: 'invalid_request', error_description: 'The request body is not a JSON object' } };
      }
      params = new URLSearchParams(Object.entries(parsed).map(([k, v]): [string, string] => [k, String(v)]));
    } else {
      params = new URLSearchParams(body.toString('utf8'));
    }
    if (params.get('grant_type') !== 'client_credentials') {
      return { status: 400, body: { error: 'unsupported_grant_type', error_description: 'Only client_credentials is supported by the sandbox' } };
    }
    const client = clients.find((c) => c.client_id === params.get('client_id'));
    if (!client || client.client_secret !== params.get('client_secret')) {
      return { status: 401, body: { error: 'access_denied', error_description: 'Unauthorized' } };
    }
    const audience = params.get('audience');
    if (audience && audience !== `https://${domain}/api/v2/`) {
      return { status: 403, body: { error: 'access_denied', error_description: `Service not enabled within domain: ${audience}` } };
    }
    const token = randomBytes(24).toString('base64url');
    tokens.set(token, { scopes: new Set(client.scopes), expiresAt: now() + TOKEN_TTL_SECONDS * 1000 });
    return { status: 200, body: { access_token: token, scope: client.scopes.join(' '), expires_in: TOKEN_TTL_SECONDS, token_type: 'Bearer' } };
  };

  const route = async (method: string, url: URL, req: IncomingMessage, body: Buffer): Promise<SandboxResponse> => {
    let found: { route: CompiledRoute; params: Record<string, string> } | null = null;
    for (const r of routes) {
      if (r.method !== method) continue;
      const m = r.regex.exec(url.pathname);
      if (!m) continue;
      const params: Record<string, string> = {};
      for (const [i, name] of r.names.entries()) {
        try {
          params[name] = decodeURIComponent(m[i + 1]!);
        } catch {
          throw new ApiError(400, `Malformed URI in path segment "${m[i + 1]}"`, 'invalid_uri');
        }
      }
      found = { route: r, params };
      break;
    }
    if (!found) {
      const message = `unstick sandbox: no route for ${method} ${url.pathname} (docs/sandbox.md lists what the sandbox implements)`;
      warn(message);
      return { status: 404, body: new ApiError(404, message, 'inexistent_route').toBody() };
    }
    let scopes: ReadonlySet<string> = new Set();
    if (found.route.scopes.length > 0) {
      const auth = req.headers.authorization ?? '';
      const token = /^Bearer (.+)$/i.exec(auth)?.[1];
      if (!token) throw new ApiError(401, 'Missing authentication');
      const grant = tokens.get(token);
      if (!grant || grant.expiresAt < now()) throw new ApiError(401, grant ? 'Expired token received for JSON Web Token validation' : 'Invalid token');
      if (!found.route.scopes.some((s) => grant.scopes.has(s))) {
        throw new ApiError(403, `Insufficient scope, expected any of: ${found.route.scopes.join(',')}`, 'insufficient_scope');
      }
      scopes = grant.scopes;
    }
    const sreq: SandboxRequest = { method, path: url.pathname, params: found.params, query: url.searchParams, headers: req.headers, body, scopes, now };
    return found.route.handler(sreq);
  };

  const server: Server = createServer({ key: certs.key, cert: certs.cert, keepAlive: true }, (req, res) => {
    handle(req, res).catch((err: unknown) => {
      // Last resort: a failure while answering must not take the whole sandbox down.
      warn(`sandbox: cannot answer ${req.method} ${req.url}: ${err instanceof Error ? err.message : String(err)}`);
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  domain = `${options.host ?? '127.0.0.1'}:${port}`;
  load(options.scenario);
  const client = clients[0]!;
  return {
    domain,
    url: `https://${domain}`,
    port,
    clientId: client.client_id,
    clientSecret: client.client_secret,
    caCertPath: certs.caCertPath,
    get tenant() {
      return tenant;
    },
    journal,
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function withScopes(c: { client_id: string; client_secret: string; scopes?: string[] }): Client {
  return { client_id: c.client_id, client_secret: c.client_secret, scopes: c.scopes ?? ALL_SCOPES };
}

/** The default client's credentials persist in the state dir, so a restarted sandbox keeps them. */
function defaultClient(stateDir: string): Client {
  const file = path.join(stateDir, 'client.json');
  try {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as Partial<Client>;
    if (typeof saved.client_id === 'string' && typeof saved.client_secret === 'string') {
      return { client_id: saved.client_id, client_secret: saved.client_secret, scopes: ALL_SCOPES };
    }
  } catch {
    // missing or unreadable: make new credentials
  }
  const client = { client_id: randomBytes(16).toString('hex'), client_secret: randomBytes(32).toString('base64url'), scopes: ALL_SCOPES };
  // Write then rename, so a sandbox starting at the same moment never reads half a file.
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  writeFileSync(temp, JSON.stringify({ client_id: client.client_id, client_secret: client.client_secret }), { mode: 0o600 });
  renameSync(temp, file);
  return client;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reject(new ApiError(413, `Payload content length greater than maximum allowed: ${MAX_BODY}.`));
        req.resume();
        return;
      }
      parts.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(parts)));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, r: SandboxResponse): void {
  if (res.headersSent || res.destroyed) return;
  const headers: Record<string, string> = { ...r.headers };
  let payload: string | Buffer | undefined;
  if (r.raw !== undefined) {
    payload = r.raw;
    headers['content-type'] = r.contentType ?? 'application/octet-stream';
  } else if (r.status !== 204 && r.body !== undefined) {
    payload = JSON.stringify(r.body);
    headers['content-type'] = r.contentType ?? 'application/json; charset=utf-8';
  }
  if (payload !== undefined) headers['content-length'] = String(Buffer.byteLength(payload));
  res.writeHead(r.status, headers);
  res.end(payload);
}

function queryObject(params: URLSearchParams): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const key of new Set(params.keys())) {
    const all = params.getAll(key);
    out[key] = all.length === 1 ? all[0]! : all;
  }
  return out;
}

/** The request target as a URL; a target no URL parser accepts is a 400, not a crash. */
function parseTarget(target: string | undefined): URL {
  try {
    return new URL(target ?? '/', 'https://sandbox');
  } catch {
    throw new ApiError(400, 'Malformed request target', 'invalid_uri');
  }
}
