import { randomBytes } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ApiError, type SandboxResponse } from './contract.js';

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
  'read:actions',
  'create:actions',
  'update:actions',
];

export interface Client {
  client_id: string;
  client_secret: string;
  scopes: string[];
}

const TOKEN_TTL_SECONDS = 86_400;

export function withScopes(c: { client_id: string; client_secret: string; scopes?: string[] }): Client {
  return { client_id: c.client_id, client_secret: c.client_secret, scopes: c.scopes ?? ALL_SCOPES };
}

/** The default client's credentials persist in the state dir, so a restarted sandbox keeps them. */
export function defaultClient(stateDir: string): Client {
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

/**
 * POST /oauth/token (client credentials) and bearer-token checks. Tokens are opaque and live in
 * memory; they outlive a reset, so a test's client keeps working across scenarios.
 */
export class TokenIssuer {
  private readonly tokens = new Map<string, { scopes: Set<string>; expiresAt: number }>();

  constructor(private readonly now: () => number) {}

  issue(contentType: string, body: Buffer, clients: readonly Client[], audience: string): SandboxResponse {
    const params = tokenParams(contentType, body);
    if (!params) return { status: 400, body: { error: 'invalid_request', error_description: 'The request body is not a JSON object' } };
    if (params.get('grant_type') !== 'client_credentials') {
      return { status: 400, body: { error: 'unsupported_grant_type', error_description: 'Only client_credentials is supported by the sandbox' } };
    }
    const client = clients.find((c) => c.client_id === params.get('client_id'));
    if (!client || client.client_secret !== params.get('client_secret')) {
      return { status: 401, body: { error: 'access_denied', error_description: 'Unauthorized' } };
    }
    const asked = params.get('audience');
    if (asked && asked !== audience) {
      return { status: 403, body: { error: 'access_denied', error_description: `Service not enabled within domain: ${asked}` } };
    }
    const token = randomBytes(24).toString('base64url');
    this.tokens.set(token, { scopes: new Set(client.scopes), expiresAt: this.now() + TOKEN_TTL_SECONDS * 1000 });
    return { status: 200, body: { access_token: token, scope: client.scopes.join(' '), expires_in: TOKEN_TTL_SECONDS, token_type: 'Bearer' } };
  }

  /** The scopes of a valid bearer token that has one of `required`; else Auth0's 401 or 403. */
  authorize(authorization: string | undefined, required: readonly string[]): ReadonlySet<string> {
    const token = /^Bearer (.+)$/i.exec(authorization ?? '')?.[1];
    if (!token) throw new ApiError(401, 'Missing authentication');
    const grant = this.tokens.get(token);
    if (!grant || grant.expiresAt < this.now()) throw new ApiError(401, grant ? 'Expired token received for JSON Web Token validation' : 'Invalid token');
    if (!required.some((s) => grant.scopes.has(s))) {
      throw new ApiError(403, `Insufficient scope, expected any of: ${required.join(',')}`, 'insufficient_scope');
    }
    return grant.scopes;
  }
}

/** The token request's fields from a form or a JSON body; null for JSON that is not an object. */
function tokenParams(contentType: string, body: Buffer): URLSearchParams | null {
  if (!contentType.includes('json')) return new URLSearchParams(body.toString('utf8'));
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8') || '{}');
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return null;
  return new URLSearchParams(Object.entries(parsed).map(([k, v]): [string, string] => [k, String(v)]));
}
