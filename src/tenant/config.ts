import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseEnv } from 'node:util';
import { ConfigError } from '../errors.js';

export type TenantAuth = { kind: 'client-credentials'; clientId: string; clientSecret: string } | { kind: 'token'; token: string };

export interface TenantConfig {
  /** Bare host (and port for the sandbox): "acme.eu.auth0.com", "127.0.0.1:8443". */
  domain: string;
  auth: TenantAuth;
}

export interface ConfigFlags {
  domain?: string | undefined;
}

/**
 * Reads the tenant from flags, then the environment, then `.env` in the working directory (the
 * environment wins over the file, as dotenv does). Missing pieces are named in one line (exit 78).
 */
export function resolveTenantConfig(env: NodeJS.ProcessEnv, cwd: string, flags: ConfigFlags = {}): TenantConfig {
  const file = readDotEnv(cwd);
  const get = (name: string) => nonEmpty(env[name]) ?? nonEmpty(file[name]);
  const rawDomain = nonEmpty(flags.domain) ?? get('AUTH0_DOMAIN');
  const token = get('AUTH0_TOKEN');
  const clientId = get('AUTH0_CLIENT_ID');
  const clientSecret = get('AUTH0_CLIENT_SECRET');
  const missing: string[] = [];
  if (!rawDomain) missing.push('AUTH0_DOMAIN');
  if (!token) {
    if (!clientId) missing.push('AUTH0_CLIENT_ID');
    if (!clientSecret) missing.push('AUTH0_CLIENT_SECRET');
  }
  if (missing.length > 0) {
    const onlyCredentials = missing.every((m) => m !== 'AUTH0_DOMAIN');
    throw new ConfigError(`no Auth0 tenant configured: ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not set${onlyCredentials ? ' (or set AUTH0_TOKEN)' : ''}`, {
      hint: 'set AUTH0_DOMAIN with AUTH0_CLIENT_ID and AUTH0_CLIENT_SECRET (or AUTH0_TOKEN) in the environment or in ./.env; see docs/tenant.md',
    });
  }
  const domain = normalizeDomain(rawDomain!);
  return { domain, auth: token ? { kind: 'token', token } : { kind: 'client-credentials', clientId: clientId!, clientSecret: clientSecret! } };
}

function readDotEnv(cwd: string): Record<string, string | undefined> {
  let text: string;
  try {
    text = readFileSync(path.join(cwd, '.env'), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'EISDIR') return {};
    throw new ConfigError(`cannot read ${path.join(cwd, '.env')}: ${(err as Error).message}`);
  }
  return parseEnv(text) as Record<string, string | undefined>;
}

/** Accepts what people paste: "https://acme.auth0.com/", "acme.auth0.com", with or without the path. */
export function normalizeDomain(value: string): string {
  const trimmed = value.trim().replace(/^https?:\/\//i, '');
  const host = trimmed.split('/')[0] ?? '';
  if (!/^[A-Za-z0-9.-]+(:\d+)?$/.test(host)) throw new ConfigError(`AUTH0_DOMAIN is not a host name: ${JSON.stringify(value)}`, { hint: 'it looks like acme.eu.auth0.com' });
  return host.toLowerCase();
}

function nonEmpty(value: string | undefined): string | undefined {
  const v = value?.trim();
  return v ? v : undefined;
}
