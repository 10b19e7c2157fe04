import { ApiError, type Handler, type Route, type SandboxRequest, type SandboxResponse } from '../contract.js';
import { isPlainObject } from '../profile.js';
import type { SandboxTenant } from '../state.js';

/** Declares a route; every handler first applies the jobs whose completion time has passed. */
export function route(tenant: SandboxTenant, method: Route['method'], pattern: string, scopes: string[], handler: Handler): Route {
  return {
    method,
    pattern,
    scopes,
    handler: (req) => {
      tenant.settleDueJobs();
      return handler(req);
    },
  };
}

export function payloadError(detail: string, property?: string): ApiError {
  return new ApiError(400, `Payload validation error: '${detail}'${property ? ` on property ${property}` : ''}`, 'invalid_body');
}

export function queryError(detail: string, property?: string): ApiError {
  return new ApiError(400, `Query validation error: '${detail}'${property ? ` on property ${property}` : ''}`, 'invalid_query_string');
}

/** The JSON body as an object, or 400 like Auth0. */
export function objectBody(req: SandboxRequest): Record<string, unknown> {
  let body: unknown;
  if (req.body.length === 0) body = {};
  else {
    try {
      body = JSON.parse(req.body.toString('utf8'));
    } catch {
      throw new ApiError(400, 'Invalid request payload JSON format', 'invalid_body');
    }
  }
  if (!isPlainObject(body)) throw payloadError(`Expected type object but found type ${Array.isArray(body) ? 'array' : typeof body}`);
  return body;
}

export function rejectUnknownKeys(body: Record<string, unknown>, allowed: readonly string[]): void {
  const extra = Object.keys(body).filter((k) => !allowed.includes(k));
  if (extra.length > 0) throw payloadError(`Additional properties not allowed: ${extra.join(',')}`);
}

export function intParam(query: URLSearchParams, name: string, fallback: number, min: number, max: number): number {
  const raw = query.get(name);
  if (raw === null || raw === '') return fallback;
  if (!/^-?\d+$/.test(raw)) throw queryError(`Expected type integer but found type string`, name);
  const n = Number(raw);
  if (n < min) throw queryError(`Number is less than minimum (${n} < ${min})`, name);
  if (n > max) throw queryError(`Number is too large (${n} > ${max})`, name);
  return n;
}

/** Booleans arrive as "true"/"false" (that is how the v7 SDK serializes them). */
export function boolParam(query: URLSearchParams, name: string, fallback: boolean): boolean {
  const raw = query.get(name);
  if (raw === null || raw === '') return fallback;
  if (raw !== 'true' && raw !== 'false') throw queryError(`Expected type boolean but found type string`, name);
  return raw === 'true';
}

/** Applies `fields` (comma-separated) and `include_fields` (default true) like Auth0. */
export function fieldFilter(query: URLSearchParams): (record: Record<string, unknown>) => Record<string, unknown> {
  const fields = query.get('fields');
  if (!fields) return (r) => r;
  const names = new Set(fields.split(',').map((f) => f.trim()).filter(Boolean));
  const include = boolParam(query, 'include_fields', true);
  return (r) => Object.fromEntries(Object.entries(r).filter(([k]) => names.has(k) === include));
}

/** Page/per_page with Auth0's 1000-result window. */
export function pageParams(query: URLSearchParams, defaultPerPage = 50): { page: number; perPage: number } {
  const page = intParam(query, 'page', 0, 0, Number.MAX_SAFE_INTEGER);
  const perPage = intParam(query, 'per_page', defaultPerPage, 0, 100);
  if ((page + 1) * perPage > 1000) throw new ApiError(400, 'You can only page through the first 1000 records.');
  return { page, perPage };
}

/** `field:1` / `field:-1`. */
export function sortParam(query: URLSearchParams): { field: string; descending: boolean } | undefined {
  const raw = query.get('sort');
  if (!raw) return undefined;
  const m = /^([\w.]+):(1|-1)$/.exec(raw);
  if (!m) throw queryError(`String does not match pattern ^(([a-zA-Z_]+)):(-1|1)$`, 'sort');
  return { field: m[1]!, descending: m[2] === '-1' };
}

export function compareValues(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === undefined || a === null) return -1;
  if (b === undefined || b === null) return 1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const x = String(a);
  const y = String(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

const MASKED = new Set(['password', 'client_secret']);

function mask(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(mask);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, MASKED.has(k) ? '*****' : mask(v)]));
}

/**
 * Logs a successful Management API write as `sapi`, with `details.request` / `details.response`
 * shaped like Auth0's (lowercase method, channel "api", the token's scopes).
 */
export function logApiOperation(tenant: SandboxTenant, req: SandboxRequest, description: string, response: SandboxResponse, requestBody?: unknown): void {
  tenant.addLog({
    type: 'sapi',
    description,
    ip: '127.0.0.1',
    user_agent: String(req.headers['user-agent'] ?? ''),
    details: {
      request: {
        method: req.method.toLowerCase(),
        path: req.path,
        query: Object.fromEntries(req.query),
        body: mask(requestBody ?? {}),
        channel: 'api',
        ip: '127.0.0.1',
        auth: { strategy: 'jwt', credentials: { scopes: [...req.scopes] } },
      },
      response: { statusCode: response.status, body: mask(response.body ?? {}) },
    },
  });
}
