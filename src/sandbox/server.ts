import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { defaultClient, TokenIssuer, withScopes, type Client } from './clients.js';
import { exportDownload } from './exports.js';
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
  /** The port of the exports host (the second listener, serving users-export downloads); default a free one. */
  exportsPort?: number;
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
  /** Set on requests to the exports host (export downloads): its "host:port". */
  host?: string;
}

export interface RunningSandbox {
  /** What ManagementClient takes as `domain`: "127.0.0.1:PORT". */
  domain: string;
  url: string;
  port: number;
  /**
   * Origin of the exports host, where completed users exports' signed `location` links point (like
   * user-exports.auth0.com): another host name than `url` (localhost vs 127.0.0.1), another port.
   */
  exportsUrl: string;
  exportsPort: number;
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
  let exportsDomain = '';
  let tenant!: SandboxTenant;
  let router = new Router([]);
  let faults = new FaultInjector([]);
  let limiter: RateLimiter | null = null;
  const load = (next: Scenario) => {
    scenario = next;
    clients = next.clients?.length ? next.clients.map(withScopes) : [fallbackClient];
    tenant = SandboxTenant.fromScenario(next, { now, random: options.random, baseUrl: `https://${domain}`, exportsUrl: `https://${exportsDomain}` });
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
  const bindHost = options.host ?? '127.0.0.1';
  await listen(server, options.port ?? 0, bindHost);
  const port = (server.address() as AddressInfo).port;
  domain = `${bindHost}:${port}`;

  /** The exports host: export downloads only (no token, no faults, no rate limit), journaled with `host`. */
  const handleExport = async (req: IncomingMessage, res: ServerResponse) => {
    const started = now();
    const method = req.method ?? 'GET';
    let answer: SandboxResponse;
    let url: URL | undefined;
    try {
      url = parseTarget(req.url);
      await readBody(req);
      answer = exportDownload(tenant, { method, url, headers: req.headers });
    } catch (err) {
      warn(`sandbox exports: ${method} ${req.url} failed: ${err instanceof Error ? err.message : String(err)}`);
      answer = { status: 500, raw: '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>InternalError</Code><Message>We encountered an internal error. Please try again.</Message></Error>', contentType: 'application/xml' };
    }
    if (journal.length >= JOURNAL_LIMIT) journal.splice(0, JOURNAL_LIMIT / 10);
    journal.push({ method, path: url?.pathname ?? req.url ?? '/', query: url ? queryObject(url.searchParams) : {}, status: answer.status, time: new Date(started).toISOString(), ms: now() - started, host: exportsDomain });
    send(res, answer);
  };
  const exportServers = await listenExports(
    () =>
      createServer({ key: certs.key, cert: certs.cert, keepAlive: true }, (req, res) => {
        handleExport(req, res).catch(() => {
          if (!res.headersSent) res.writeHead(500).end();
        });
      }),
    options.exportsPort ?? 0,
    bindHost,
  ).catch(async (err: unknown) => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    throw err;
  });
  const exportsPort = (exportServers[0]!.address() as AddressInfo).port;
  exportsDomain = `${exportsHostName(bindHost)}:${exportsPort}`;
  load(options.scenario);
  const client = clients[0]!;
  return {
    domain,
    url: `https://${domain}`,
    port,
    exportsUrl: `https://${exportsDomain}`,
    exportsPort,
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
        let open = 1 + exportServers.length;
        const done = () => {
          if (--open === 0) resolve();
        };
        for (const s of [server, ...exportServers]) {
          s.closeAllConnections();
          s.close(done);
        }
      }),
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const failed = (err: Error) => reject(err);
    server.once('error', failed);
    server.listen(port, host, () => {
      server.off('error', failed);
      resolve();
    });
  });
}

/**
 * The exports host's name: another host name than the API's, one the sandbox certificate covers
 * (127.0.0.1, ::1, localhost), so the SDK-trusting client reaches it as it reaches user-exports.auth0.com.
 */
function exportsHostName(apiHost: string): string {
  return apiHost === 'localhost' ? '127.0.0.1' : 'localhost';
}

/**
 * Listens for the exports host on `host` and, when its name is `localhost` and `host` is 127.0.0.1, on
 * ::1 at the same port too: `localhost` may resolve to ::1 first, and then the download must not reach
 * whatever else listens there. Without IPv6 the one listener is enough. With a port in use on ::1, a
 * free port is tried again (a few times) unless the port was given.
 */
async function listenExports(make: () => Server, port: number, host: string): Promise<Server[]> {
  for (let attempt = 0; ; attempt++) {
    const v4 = make();
    await listen(v4, port, host);
    if (host !== '127.0.0.1') return [v4]; // only a 127.0.0.1 listener named localhost needs its ::1 twin
    const chosen = (v4.address() as AddressInfo).port;
    const v6 = make();
    try {
      await listen(v6, chosen, '::1');
      return [v4, v6];
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') return [v4]; // no IPv6 loopback here (EADDRNOTAVAIL, EAFNOSUPPORT, ...)
      await new Promise<void>((resolve) => v4.close(() => resolve()));
      if (port !== 0 || attempt >= 5) throw err;
    }
  }
}
