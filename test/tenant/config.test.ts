import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { normalizeDomain, resolveTenantConfig } from '../../src/tenant/config.js';

const empty = () => mkdtempSync(path.join(tmpdir(), 'unstick-config-'));

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('tenant configuration', () => {
  it('reads client credentials or a token from the environment', () => {
    expect(resolveTenantConfig({ AUTH0_DOMAIN: 'acme.eu.auth0.com', AUTH0_CLIENT_ID: 'id', AUTH0_CLIENT_SECRET: 's3' }, empty())).toEqual({
      domain: 'acme.eu.auth0.com',
      auth: { kind: 'client-credentials', clientId: 'id', clientSecret: 's3' },
    });
    expect(resolveTenantConfig({ AUTH0_DOMAIN: 'acme.auth0.com', AUTH0_TOKEN: 'tok' }, empty()).auth).toEqual({ kind: 'token', token: 'tok' });
  });

  it('reads .env in the working directory; the environment wins over the file', () => {
    const dir = empty();
    writeFileSync(path.join(dir, '.env'), 'AUTH0_DOMAIN=file.auth0.com\nAUTH0_CLIENT_ID="from-file"\nAUTH0_CLIENT_SECRET=secret # comment\n');
    expect(resolveTenantConfig({}, dir)).toEqual({ domain: 'file.auth0.com', auth: { kind: 'client-credentials', clientId: 'from-file', clientSecret: 'secret' } });
    expect(resolveTenantConfig({ AUTH0_DOMAIN: 'env.auth0.com' }, dir).domain).toBe('env.auth0.com');
  });

  it('names exactly what is missing, and never prints a secret', () => {
    expect(configError(() => resolveTenantConfig({}, empty())).message).toBe('no Auth0 tenant configured: AUTH0_DOMAIN, AUTH0_CLIENT_ID, AUTH0_CLIENT_SECRET are not set');
    const e = configError(() => resolveTenantConfig({ AUTH0_DOMAIN: 'a.auth0.com', AUTH0_CLIENT_SECRET: 'hunter2' }, empty()));
    expect(e.message).toBe('no Auth0 tenant configured: AUTH0_CLIENT_ID is not set (or set AUTH0_TOKEN)');
    expect(e.exitCode).toBe(78);
    expect(`${e.message} ${e.hint}`).not.toContain('hunter2');
  });

  it('accepts pasted domains and rejects what is not a host', () => {
    expect(normalizeDomain('https://Acme.EU.auth0.com/')).toBe('acme.eu.auth0.com');
    expect(normalizeDomain('127.0.0.1:8443')).toBe('127.0.0.1:8443');
    expect(configError(() => normalizeDomain('acme auth0')).message).toMatch(/not a host name/);
  });
});
