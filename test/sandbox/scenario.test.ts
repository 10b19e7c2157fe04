import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { emptyScenario, parseScenario, ScenarioError } from '../../src/sandbox/scenario.js';

function errorOf(text: string): ScenarioError {
  try {
    parseScenario(text, 'tenant.json');
  } catch (err) {
    if (err instanceof ScenarioError) return err;
    throw err;
  }
  throw new Error('expected a ScenarioError');
}

const pretty = (value: unknown) => JSON.stringify(value, null, 2);

const connections = [{ name: 'legacy-db', options: { enabledDatabaseCustomization: true, import_mode: true } }];

describe('parseScenario', () => {
  it('fills defaults: strategy auth0, empty lists, job timing 100/200 ms, no rate limit', () => {
    const s = parseScenario(pretty({ tenant: 'acme-dev', connections: [{ name: 'legacy-db' }] }), 'tenant.json');
    expect(s.tenant).toBe('acme-dev');
    expect(s.connections).toEqual([{ name: 'legacy-db', strategy: 'auth0', options: {}, enabled_clients: [] }]);
    expect(s.users).toEqual([]);
    expect(s.ghosts).toEqual([]);
    expect(s.faults).toEqual([]);
    expect(s.jobs).toEqual({ pendingMs: 100, processingMs: 200 });
    expect(s.rateLimit).toBeUndefined();
    expect(emptyScenario()).toEqual({ tenant: 'sandbox', connections: [], users: [], ghosts: [], legacy: [], logs: [], clients: [], faults: [], jobs: { pendingMs: 100, processingMs: 200 } });
  });

  it('reports JSON syntax errors with the 1-based line of the error', () => {
    const err = errorOf('{\n  "tenant": "acme-dev",\n  "users": [\n    {"email": "a@b.co",}\n  ]\n}');
    expect(err.file).toBe('tenant.json');
    expect(err.line).toBe(4);
    expect(err.message).toMatch(/^invalid JSON: /);
    // V8 gives no position for this one ("Unexpected token ']'"): the line is found by bisection.
    const noPosition = errorOf('{\n  "users": [\n    1,\n  ]\n}');
    expect(noPosition.line).toBe(4);
    expect(errorOf('{\n  "tenant": "x"\n').line).toBe(3);
  });

  it('names the JSON path and the line of the offending value', () => {
    const text = pretty({ tenant: 'acme-dev', connections, users: [{ email: 'ok@acme.com', connection: 'legacy-db' }, { email: 'not-an-email', connection: 'legacy-db' }] });
    const err = errorOf(text);
    expect(err.message).toBe('users[1].email: must be an email');
    expect(err.line).toBe(text.split('\n').findIndex((l) => l.includes('not-an-email')) + 1);
    expect(err.location).toBe(`tenant.json:${err.line}`);
  });

  it('rejects unknown keys and lists the allowed ones', () => {
    const text = pretty({ connections, ghosts: [{ email: 'jane@acme.com', connection: 'legacy-db', emial: 'x' }] });
    const err = errorOf(text);
    expect(err.message).toBe('ghosts[0].emial: unknown key (allowed: email, connection, user_id)');
    expect(err.line).toBe(text.split('\n').findIndex((l) => l.includes('"emial"')) + 1);
    expect(errorOf(pretty({ tenants: 'x' })).message).toMatch(/^tenants: unknown key \(allowed: tenant, connections, users, ghosts, legacy, logs, clients, rateLimit, faults, jobs\)$/);
  });

  it('requires users and ghosts to name a declared connection; users may also be social; ghosts must be database', () => {
    expect(errorOf(pretty({ connections, users: [{ email: 'a@acme.com', connection: 'legacy' }] })).message).toBe(
      'users[0].connection: "legacy" is not a declared connection (declared: legacy-db) nor a social connection (google-oauth2, github, facebook, apple, windowslive, linkedin, twitter)',
    );
    expect(parseScenario(pretty({ users: [{ email: 'a@gmail.com', connection: 'google-oauth2' }] }), 'x').users[0]!.connection).toBe('google-oauth2');
    expect(errorOf(pretty({ ghosts: [{ email: 'a@gmail.com', connection: 'google-oauth2' }] })).message).toBe('ghosts[0].connection: "google-oauth2" is not a declared connection (declared: none)');
    const social = pretty({ connections: [{ name: 'gh', strategy: 'github' }], ghosts: [{ email: 'a@acme.com', connection: 'gh' }] });
    expect(errorOf(social).message).toBe('ghosts[0].connection: "gh" is not a database connection (strategy "github")');
  });

  it('rejects an email twice on one connection (user vs ghost), but allows it on two connections', () => {
    const twice = { connections: [...connections, { name: 'other-db' }], users: [{ email: 'Jane@acme.com', connection: 'legacy-db' }], ghosts: [{ email: 'jane@acme.com', connection: 'legacy-db' }] };
    expect(errorOf(pretty(twice)).message).toBe('ghosts[0].email: jane@acme.com is already on connection "legacy-db" (users[0])');
    const ok = parseScenario(pretty({ ...twice, ghosts: [{ email: 'jane@acme.com', connection: 'other-db' }] }), 'x');
    expect(ok.ghosts).toHaveLength(1);
  });

  it('validates connection ids, duplicate names and option flags', () => {
    expect(errorOf(pretty({ connections: [{ name: 'db', id: 'con_short' }] })).message).toBe('connections[0].id: must match ^con_[A-Za-z0-9]{16}$');
    expect(errorOf(pretty({ connections: [{ name: 'db' }, { name: 'db' }] })).message).toBe('connections[1].name: duplicate connection name "db"');
    expect(errorOf(pretty({ connections: [{ name: 'db', options: { import_mode: 'yes' } }] })).message).toBe('connections[0].options.import_mode: must be true or false');
    const kept = parseScenario(pretty({ connections: [{ name: 'db', options: { import_mode: true, passwordPolicy: 'good' } }] }), 'x');
    expect(kept.connections[0]!.options).toEqual({ import_mode: true, passwordPolicy: 'good' });
  });

  it('validates preloaded logs: type required, 56-digit log_id when given', () => {
    expect(errorOf(pretty({ logs: [{ description: 'x' }] })).message).toBe('logs[0].type: is required');
    expect(errorOf(pretty({ logs: [{ type: 'fs', log_id: '123' }] })).message).toMatch(/^logs\[0\]\.log_id: must be a 56-digit numeric string/);
    expect(errorOf(pretty({ logs: [{ type: 'fs', date: 'yesterday' }] })).message).toBe('logs[0].date: must be an ISO 8601 date');
    const id = '9'.repeat(56);
    expect(errorOf(pretty({ logs: [{ type: 'fs', log_id: id }, { type: 's', log_id: id }] })).message).toBe(`logs[1].log_id: duplicate log_id "${id}"`);
  });

  it('wraps rate limit and fault errors with their path and line', () => {
    const text = pretty({ tenant: 'acme-dev', rateLimit: { burst: 0, perSecond: 16 } });
    const err = errorOf(text);
    expect(err.message).toBe('rateLimit.burst must be a positive integer');
    expect(err.line).toBe(text.split('\n').findIndex((l) => l.includes('"burst"')) + 1);
    const faults = pretty({ faults: [{ route: 'DELETE /api/v2/users/*', sequence: [503] }, { route: 'GET /x', status: 200, probability: 1 }] });
    const ferr = errorOf(faults);
    expect(ferr.message).toBe('faults[1].status must be an HTTP status 400-599');
    expect(ferr.line).toBe(faults.split('\n').findIndex((l) => l.includes('"status": 200')) + 1);
    expect(parseScenario(pretty({ rateLimit: { burst: 50, perSecond: 16 } }), 'x').rateLimit).toEqual({ burst: 50, perSecond: 16 });
  });

  it('validates clients and job timing', () => {
    expect(errorOf(pretty({ clients: [{ client_id: 'a', client_secret: 's' }, { client_id: 'a', client_secret: 't' }] })).message).toBe('clients[1].client_id: duplicate client_id "a" (also clients[0])');
    expect(errorOf(pretty({ clients: [{ client_id: 'a', client_secret: 's', scopes: ['read:users', 3] }] })).message).toBe('clients[0].scopes[1]: must be a non-empty string');
    expect(errorOf(pretty({ jobs: { pendingMs: -1 } })).message).toBe('jobs.pendingMs: must be an integer number of milliseconds, 0-600000');
    expect(parseScenario(pretty({ jobs: { processingMs: 0 } }), 'x').jobs).toEqual({ pendingMs: 100, processingMs: 0 });
  });

  it('login history on users: created_at, logins_count and last_login, checked together, with the line', () => {
    const user = (extra: object) => pretty({ connections, users: [{ email: 'ok@acme.com', connection: 'legacy-db' }, { email: 'a@acme.com', connection: 'legacy-db', ...extra }] });
    const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;
    const fails = (extra: object, message: string, needle: string) => {
      const text = user(extra);
      const err = errorOf(text);
      expect(err.message).toBe(message);
      expect(err.line).toBe(lineOf(text, needle));
    };
    const parsed = parseScenario(user({ created_at: '2024-03-11T10:14:02+01:00', logins_count: 3, last_login: '2024-05-02T10:40:12.031Z' }), 'x').users[1]!;
    expect(parsed).toMatchObject({ created_at: '2024-03-11T09:14:02.000Z', logins_count: 3, last_login: '2024-05-02T10:40:12.031Z' }); // normalized to UTC
    expect(parseScenario(user({ logins_count: 0 }), 'x').users[1]!.logins_count).toBe(0);

    fails({ logins_count: -1 }, 'users[1].logins_count: must be a non-negative integer', '"logins_count"');
    fails({ logins_count: 1.5 }, 'users[1].logins_count: must be a non-negative integer', '"logins_count"');
    fails({ logins_count: '2' }, 'users[1].logins_count: must be a non-negative integer', '"logins_count"');
    fails({ created_at: '2024-03-11T09:14:02.000Z', last_login: '2024-05-02T10:40:12.031Z' }, 'users[1].last_login: needs logins_count of at least 1 (a user who never logged in has no last login)', '"last_login"');
    fails({ created_at: '2024-03-11T09:14:02.000Z', logins_count: 0, last_login: '2024-05-02T10:40:12.031Z' }, 'users[1].last_login: needs logins_count of at least 1 (a user who never logged in has no last login)', '"last_login"');
    fails({ logins_count: 2 }, 'users[1].logins_count: is 2, so last_login is required (a user who logged in has a last login)', '"logins_count"');
    fails({ created_at: '2024-03-11T09:14:02.000Z', logins_count: 1, last_login: '2024-05-02' }, 'users[1].last_login: must be an ISO 8601 date-time with a time zone, like 2024-05-02T10:40:12.031Z', '"last_login"');
    fails({ created_at: '2024-03-11T09:14:02.000Z', logins_count: 1, last_login: '2024-02-30T10:00:00Z' }, 'users[1].last_login: must be a real date and time', '"last_login"');
    fails({ created_at: 'yesterday' }, 'users[1].created_at: must be an ISO 8601 date-time with a time zone, like 2024-05-02T10:40:12.031Z', '"created_at"');
    fails(
      { logins_count: 1, last_login: '2024-05-02T10:40:12.031Z' },
      'users[1].last_login: needs created_at too (the default created_at is the moment the scenario loads, which would come after this login)',
      '"last_login"',
    );
    fails({ created_at: '2024-05-03T00:00:00.000Z', logins_count: 1, last_login: '2024-05-02T10:40:12.031Z' }, 'users[1].last_login: is before created_at (2024-05-03T00:00:00.000Z)', '"last_login"');
  });

  it('parses the example scenarios', () => {
    const mixed = parseScenario(readFileSync('examples/scenarios/acme-mixed.json', 'utf8'), 'acme-mixed.json');
    expect(mixed.tenant).toBe('acme-dev');
    expect(mixed.ghosts.map((g) => g.email)).toContain('jane.doe@acme.com');
    expect(mixed.rateLimit).toEqual({ burst: 50, perSecond: 16 });
    const large = parseScenario(readFileSync('examples/scenarios/large-10k.json', 'utf8'), 'large-10k.json');
    expect(large.users.length).toBe(10_000);
    expect(large.ghosts.length).toBeGreaterThanOrEqual(200);
  });
});
