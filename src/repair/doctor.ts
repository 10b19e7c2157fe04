import type { BucketView } from '../tenant/buckets.js';
import { isNoopScript, scriptsOf } from './disconnect.js';

export interface Check {
  name: string;
  status: 'pass' | 'warn' | 'fail';
  detail: string;
  /** What to do about a warn or fail. */
  fix: string | null;
}

/** The scopes each command needs (Auth0 Management API scopes). */
export const COMMAND_SCOPES: ReadonlyArray<{ command: string; scopes: string[]; essential: boolean }> = [
  { command: 'inspect', scopes: ['read:users', 'read:connections'], essential: true },
  { command: 'repair, batch', scopes: ['read:users', 'read:connections', 'delete:users'], essential: true },
  { command: 'diagnose --tenant, logs pull', scopes: ['read:logs'], essential: false },
  { command: 'repair/batch --reattempt ticket', scopes: ['create:user_tickets'], essential: false },
  { command: 'repair/batch --reattempt import', scopes: ['create:users'], essential: false },
  { command: 'verify (export jobs)', scopes: ['read:users'], essential: false },
  { command: 'disconnect', scopes: ['read:connections', 'update:connections'], essential: false },
  { command: 'metadata restore/backfill', scopes: ['update:users'], essential: false },
  { command: 'metadata action --deploy', scopes: ['read:actions', 'create:actions', 'update:actions'], essential: false },
];

const GRANT = 'Dashboard: Applications > APIs > Auth0 Management API > Machine To Machine Applications: authorize the application and tick';

export function scopeChecks(granted: string[] | null): Check[] {
  if (granted === null) {
    return [{ name: 'scopes', status: 'warn', detail: 'the token does not say which scopes it carries', fix: 'use client credentials (AUTH0_CLIENT_ID/SECRET) so the token endpoint reports them' }];
  }
  const have = new Set(granted);
  return COMMAND_SCOPES.map(({ command, scopes, essential }) => {
    const missing = scopes.filter((s) => !have.has(s));
    if (missing.length === 0) return { name: `scopes for ${command}`, status: 'pass', detail: scopes.join(', '), fix: null };
    return { name: `scopes for ${command}`, status: essential ? 'fail' : 'warn', detail: `missing ${missing.join(', ')}`, fix: `${GRANT} ${missing.join(', ')}` };
  });
}

export interface ConnectionFacts {
  name: string;
  id: string;
  strategy: string;
  options: Record<string, unknown>;
}

export function connectionChecks(c: ConnectionFacts): Check[] {
  const checks: Check[] = [];
  const custom = c.options.enabledDatabaseCustomization === true;
  const importMode = c.options.import_mode === true;
  const scripts = scriptsOf(c.options);
  const disconnected = isNoopScript(scripts.login) && isNoopScript(scripts.get_user);
  checks.push(
    c.strategy === 'auth0' && custom
      ? { name: `${c.name}: custom database`, status: 'pass', detail: `${c.id}, "Use my own database" on`, fix: null }
      : { name: `${c.name}: custom database`, status: 'fail', detail: `${c.strategy === 'auth0' ? 'a database connection without "Use my own database"' : `a ${c.strategy} connection`}: no lazy migration here`, fix: 'name the custom database connection with --connection' },
  );
  if (!importMode) {
    checks.push({
      name: `${c.name}: import mode`,
      status: 'fail',
      detail: disconnected
        ? 'Import Users to Auth0 is off and the scripts are no-ops: Auth0 uses only the scripts, so nobody can log in'
        : 'Import Users to Auth0 is off: users are never copied into Auth0, and repairs cannot make them migrate again',
      fix: 'turn Import Users to Auth0 on (Dashboard > Authentication > Database > the connection > Settings)',
    });
  } else checks.push({ name: `${c.name}: import mode`, status: 'pass', detail: 'Import Users to Auth0 is on', fix: null });
  if (!custom) return checks; // no legacy store to speak of
  if (disconnected) checks.push({ name: `${c.name}: legacy store`, status: importMode ? 'pass' : 'fail', detail: 'disconnected: the Login and Get User scripts are no-ops', fix: null });
  else if (isNoopScript(scripts.login) !== isNoopScript(scripts.get_user)) {
    checks.push({ name: `${c.name}: legacy store`, status: 'warn', detail: 'only one of the Login and Get User scripts is a no-op', fix: 'unstick disconnect makes both no-ops (or --restore puts both back)' });
  } else checks.push({ name: `${c.name}: legacy store`, status: 'pass', detail: 'connected: the scripts reach the legacy store (lazy migration runs)', fix: null });
  return checks;
}

export function rateChecks(buckets: Record<string, BucketView>): Check[] {
  return Object.entries(buckets)
    .filter(([, b]) => b.limit !== null && b.remaining !== null && Number.isFinite(b.remaining))
    .map(([name, b]) => {
      const low = b.remaining! <= Math.max(1, Math.floor(b.limit! * 0.1));
      return { name: `rate limit ${name}`, status: low ? 'warn' : 'pass', detail: `${b.remaining} of ${b.limit} left`, fix: low ? 'another client is using this bucket: batch will run slower' : null };
    });
}
