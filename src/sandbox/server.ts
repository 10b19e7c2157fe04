import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { defaultClient, TokenIssuer, withScopes, type Client } from './clients.js';
import { FaultInjector, parseFaults, type FaultAction, type FaultSpec } from './faults.js';
import { ApiError, reasonPhrase, type SandboxRequest, type SandboxResponse } from './contract.js';
import { GLOBAL_LIMIT_MESSAGE, RateLimiter, type RateLimitRefusal } from './rate-limit.js';
import { Router } from './router.js';
import { allRoutes } from './routes/index.js';
import { parseRateLimitOverride, parseScenario, ScenarioError, type Scenario } from './scenario.js';
import { SandboxTenant } from './state.js';
import { ensureCertificates } from './tls.js';
import { parseTarget, queryObject, readBody, send } from './wire.js';


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

export interface JournalEntry {
  method: string;
  path: string;
  query: Record<string, string | string[]>;
  status: number;
  time: string;
  ms: number;
  /** Set when an after-fault replaced the answer: the status the handler answered (its changes were made). */
  handled?: number;
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
  readonly tenant: SandboxTenant;
  readonly journal: readonly JournalEntry[];
  close(): Promise<void>;
}

const JOURNAL_LIMIT = 100_000;

/** Starts the sandbox over HTTPS and resolves once it is listening. */
export async function startSandbox(options: SandboxOptions): Promise<RunningSandbox> {
  const now = options.now ?? Date.now;
  const warn = options.warn ?? (() => {});
  const certs = ensureCertificates(options.stateDir);
  const fallbackClient = defaultClient(options.stateDir);
  let clients: Client[] = [];
  const tokens = new TokenIssuer(now);
  const journal: JournalEntry[] = [];

  let scenario = options.scenario;
  let domain = '';
  let tenant!: SandboxTenant;
  let router = new Router([]);
  let faults = new FaultInjector([]);
  let limiter: RateLimiter | null = null;
  const load = (next: Scenario) => {
    scenario = next;
    clients = next.clients?.length ? next.clients.map(withScopes) : [fallbackClient];
    tenant = SandboxTenant.fromScenario(next, { now, random: options.random, baseUrl: `https://${domain}` });
    router = new Router(allRoutes(tenant));
    faults = new FaultInjector(next.faults ?? [], options.random);
    limiter = next.rateLimit ? new RateLimiter(next.rateLimit, now) : null;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const started = now();
    const method = req.method ?? 'GET';
    let pathname = req.url ?? '/';
    let searchParams = new URLSearchParams();
    let limitHeaders: Record<string, string> = {};
    /** `handled`: what the handler answered, when an after-fault replaced that answer. */
    const record = (status: number, handled?: number) => {
      // Trim in steps, not one shift per request: shifting a 100,000-entry array is not free.
      if (journal.length >= JOURNAL_LIMIT) journal.splice(0, JOURNAL_LIMIT / 10);
      const entry: JournalEntry = { method, path: pathname, query: queryObject(searchParams), status, time: new Date(started).toISOString(), ms: now() - started };
      if (handled !== undefined) entry.handled = handled;
      journal.push(entry);
    };
    const reply = (r: SandboxResponse, handled?: number) => {
      record(r.status, handled);
      send(res, { ...r, headers: { ...limitHeaders, ...r.headers } });
    };
    /** An injected fault: the connection dropped without an answer, or an error status. */
    const strike = (action: Exclude<FaultAction, 'ok'>, handled?: number) => {
      if (action === 'drop') {
        record(0, handled);
        req.socket.destroy();
        return;
      }
      if (action === 429) {
        limitHeaders = { ...limitHeaders, 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(Math.ceil(now() / 1000) + 1) };
        const size = Number(limitHeaders['x-ratelimit-limit'] ?? 0);
        return reply(rateLimited(method, pathname, { bucket: 'global', global: true, size, message: GLOBAL_LIMIT_MESSAGE }), handled);
      }
      reply({ status: action, body: new ApiError(action, `Injected fault: ${reasonPhrase(action)}`).toBody() }, handled);
    };
    /** An ApiError as Auth0's body; anything else is a sandbox bug, answered 500 and reported. */
    const failure = (err: unknown): SandboxResponse => {
      if (err instanceof ApiError) return { status: err.status, body: err.toBody() };
      warn(`sandbox: ${method} ${pathname} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      return { status: 500, body: new ApiError(500, 'Internal sandbox error').toBody() };
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
      const before = decision && !decision.after ? decision.action : 'ok';
      if (before === 'drop') return strike(before);
      if (pathname.startsWith('/api/v2/') && limiter) {
        const limit = limiter.take(method, pathname);
        limitHeaders = {
          'x-ratelimit-limit': String(limit.headers.limit),
          'x-ratelimit-remaining': String(limit.headers.remaining),
          'x-ratelimit-reset': String(limit.headers.reset),
        };
        if (limit.refusal) return reply(rateLimited(method, pathname, limit.refusal));
      }
      if (before !== 'ok') return strike(before);
      let answer: SandboxResponse;
      try {
        answer =
          pathname === '/oauth/token' && method === 'POST'
            ? tokens.issue(req.headers['content-type'] ?? '', body, clients, `https://${domain}/api/v2/`)
            : await route(method, url, req, body);
      } catch (err) {
        answer = failure(err);
      }
      // An after-fault: the request did whatever it does to the tenant, then the client gets the fault instead.
      if (decision?.after && decision.action !== 'ok') return strike(decision.action, answer.status);
      reply(answer);
    } catch (err) {
      reply(failure(err));
    }
  };

  /** Auth0's answer when a bucket (the global one or a group's) is empty, with the api_limit log it writes. */
  const rateLimited = (method: string, pathname: string, limit: RateLimitRefusal): SandboxResponse => {
    tenant.addLog({
      type: 'api_limit',
      description: limit.message,
      details: { limit: { bucket: limit.bucket, global: limit.global, size: limit.size }, request: { method: method.toLowerCase(), path: pathname }, response: {} },
    });
    return { status: 429, body: new ApiError(429, limit.message, 'too_many_requests').toBody() };
  };

  /** GET /__sandbox/rate-limit: the limits in force and each bucket's counters. */
  const rateLimitStats = () => (limiter ? limiter.stats() : { rateLimit: null, buckets: [] });

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
    if (pathname === '/__sandbox/rate-limit' && method === 'GET') return { status: 200, body: rateLimitStats() };
    if (pathname === '/__sandbox/rate-limit' && (method === 'POST' || method === 'PUT')) {
      // Until the next reset, which restores the scenario's rateLimit. Fresh buckets, counters at zero.
      try {
        const spec = parseRateLimitOverride(body.toString('utf8'), 'POST /__sandbox/rate-limit');
        limiter = spec ? new RateLimiter(spec, now) : null;
      } catch (err) {
        if (err instanceof ScenarioError) throw new ApiError(400, err.line ? `line ${err.line}: ${err.message}` : err.message, 'invalid_body');
        throw err;
      }
      return { status: 200, body: rateLimitStats() };
    }
    if (pathname === '/__sandbox/faults' && method === 'DELETE') {
      faults = new FaultInjector([]);
      return { status: 204 };
    }
    return null; // end-user simulation routes live in the route table
  };

  const route = async (method: string, url: URL, req: IncomingMessage, body: Buffer): Promise<SandboxResponse> => {
    const found = router.match(method, url.pathname);
    if (!found) {
      const message = `unstick sandbox: no route for ${method} ${url.pathname} (docs/sandbox.md lists what the sandbox implements)`;
      warn(message);
      return { status: 404, body: new ApiError(404, message, 'inexistent_route').toBody() };
    }
    const scopes = found.route.scopes.length > 0 ? tokens.authorize(req.headers.authorization, found.route.scopes) : new Set<string>();
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
