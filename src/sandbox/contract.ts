import type { IncomingHttpHeaders } from 'node:http';

/**
 * The contract between the sandbox server (src/sandbox/server.ts: TLS, auth, rate limits, faults,
 * journal) and the route handlers (src/sandbox/routes/*): handlers see a parsed request and return a
 * response value; they never touch sockets.
 */
export interface SandboxRequest {
  method: string;
  /** Path without the query string, e.g. /api/v2/users/auth0%7C123 (as sent). */
  path: string;
  /** Decoded path parameters from the route pattern (`:id`). */
  params: Record<string, string>;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** Scopes of the bearer token (empty for unauthenticated /__sandbox routes). */
  scopes: ReadonlySet<string>;
  /** Server time, injectable for tests. */
  now: () => number;
}

export interface SandboxResponse {
  status: number;
  /** Serialized as JSON unless `raw` is given. Omitted for 204. */
  body?: unknown;
  raw?: string | Buffer;
  contentType?: string;
  headers?: Record<string, string>;
}

export type Handler = (req: SandboxRequest) => SandboxResponse | Promise<SandboxResponse>;

export interface Route {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  /** Path pattern with `:name` segments, e.g. /api/v2/users/:id. */
  pattern: string;
  /** Any one of these scopes grants access; empty for routes that need no token. */
  scopes: string[];
  handler: Handler;
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Payload Too Large',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function reasonPhrase(status: number): string {
  return REASONS[status] ?? 'Error';
}

/** An Auth0 Management API error: answered as `{statusCode, error, message, errorCode}`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errorCode?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  toBody(): Record<string, unknown> {
    const body: Record<string, unknown> = { statusCode: this.status, error: reasonPhrase(this.status), message: this.message };
    if (this.errorCode) body.errorCode = this.errorCode;
    return body;
  }
}

export function json(status: number, body: unknown, headers?: Record<string, string>): SandboxResponse {
  return headers ? { status, body, headers } : { status, body };
}
