import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportConnection, readExport } from '../../src/repair/verify.js';
import { openTenant } from '../../src/tenant/client.js';
import { runCli } from '../helpers/cli.js';
import { ACME_SCENARIO, LEGACY_DB, startTestSandbox, useSandbox, type TestSandbox } from '../helpers/sandbox.js';

const workdir = () => mkdtempSync(path.join(tmpdir(), 'unstick-finish-'));
const MIGRATED = ['alice.ng@acme.com', 'dave.kim@acme.com', 'frank.li@acme.com', 'tom.berg@acme.com', 'ken.ito@acme.com', 'maria.garcia@acme.com'];
const csv = (dir: string, emails: string[]) => {
  const file = path.join(dir, 'expected.csv');
  writeFileSync(file, ['email', ...emails].join('\n') + '\n');
  return file;
};

describe('unstick verify, doctor, disconnect', () => {
  const sb = useSandbox();
  const mutations = async () => (await sb().control.journal()).filter((e) => e.method !== 'GET' && e.path !== '/oauth/token' && !e.path.startsWith('/__sandbox/'));

  it('verify (small path): migrated, not migrated, stuck with evidence, and totals; exit 1 below 100 %', async () => {
    const cwd = workdir();
    const logs = path.join(cwd, 'logs.json');
    writeFileSync(logs, JSON.stringify([{ date: '2024-05-02T10:00:00.000Z', type: 'fs', description: 'The user already exists.', connection: 'legacy-db', user_name: 'jane.doe@acme.com', strategy: 'auth0', strategy_type: 'database' }]));
    const r = await runCli(['verify', csv(cwd, [...MIGRATED, 'jane.doe@acme.com', 'bob.smith@acme.com']), '--logs', logs, '--json'], { env: sb().env, cwd });
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(doc.method).toBe('lookup');
    expect(doc.totals).toEqual({ expected: 8, migrated: 6, notMigrated: 1, stuck: 1, duplicated: 0, percent: 75, invalid: 0 });
    expect(doc.users.find((u: { email: string }) => u.email === 'jane.doe@acme.com').status).toBe('stuck');
    expect(doc.users.find((u: { email: string }) => u.email === 'bob.smith@acme.com').status).toBe('not-migrated');
    expect(await mutations()).toEqual([]);
  });

  it('verify through one users export, in CSV as Auth0 writes it', async () => {
    const cwd = workdir();
    await sb().control.clearJournal();
    const r = await runCli(['verify', csv(cwd, MIGRATED), '--method', 'export', '--export-format', 'csv'], { env: sb().env, cwd });
    expect(r.stdout).toContain('100 % migrated: 6 of 6 expected users on legacy-db (one users export)');
    expect(r.code).toBe(0);
    const calls = (await sb().control.journal()).filter((e) => e.path.startsWith('/api/v2/'));
    expect(calls.filter((e) => e.method === 'POST').map((e) => e.path)).toEqual(['/api/v2/jobs/users-exports']);
  });

  it('doctor: every check passes on a connected lazy-migration connection; import mode off fails, with the fix', async () => {
    const ok = await runCli(['doctor', '--json'], { env: sb().env, cwd: workdir() });
    expect(ok.code).toBe(0);
    const doc = JSON.parse(ok.stdout);
    expect(doc.checks.map((c: { status: string }) => c.status).every((s: string) => s === 'pass')).toBe(true);
    expect(doc.checks.map((c: { name: string }) => c.name)).toEqual(expect.arrayContaining(['credentials', 'scopes for repair, batch', 'legacy-db: import mode', 'legacy-db: legacy store']));

    const scenario = JSON.parse(readFileSync(ACME_SCENARIO, 'utf8'));
    scenario.connections[0].options.import_mode = false;
    await sb().control.reset(scenario);
    const off = await runCli(['doctor', '--connection', 'legacy-db'], { env: sb().env, cwd: workdir() });
    expect(off.code).toBe(1);
    expect(off.stdout).toMatch(/fail {2}legacy-db: import mode: Import Users to Auth0 is off/);
    expect(off.stdout).toMatch(/fix: turn Import Users to Auth0 on/);
  });

  it('doctor: a token missing scopes fails for repair and warns for the rest, naming them', async () => {
    const scenario = JSON.parse(readFileSync(ACME_SCENARIO, 'utf8'));
    scenario.clients = [{ client_id: 'reader', client_secret: 'reader-secret', scopes: ['read:users', 'read:connections'] }];
    await sb().control.reset(scenario);
    const r = await runCli(['doctor'], { env: { ...sb().env, AUTH0_CLIENT_ID: 'reader', AUTH0_CLIENT_SECRET: 'reader-secret' }, cwd: workdir() });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('pass  scopes for inspect: read:users, read:connections');
    expect(r.stdout).toContain('fail  scopes for repair, batch: missing delete:users');
    expect(r.stdout).toContain('warn  scopes for disconnect: missing update:connections');
    expect(r.stdout).toMatch(/fix: Dashboard: Applications > APIs > Auth0 Management API .* delete:users/);
  });

  it('a verify that checked nobody (only invalid rows) is not 100 %: disconnect stays refused', async () => {
    const cwd = workdir();
    const file = path.join(cwd, 'bad.csv');
    writeFileSync(file, 'email\nnot-an-email\nalso bad\n');
    expect((await runCli(['verify', file], { env: sb().env, cwd })).code).toBe(1);
    const r = await runCli(['disconnect', '--apply', '--yes'], { env: sb().env, cwd });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/refusing to disconnect legacy-db: unstick verify .* checked no user at all/);
  });

  it('a restore goes only to the connection its backup came from', async () => {
    const cwd = workdir();
    writeFileSync(path.join(cwd, 'b.json'), JSON.stringify({ format: 'unstick-connection-options/1', taken_at: 'x', tenant: sb().running.domain, connection: { id: LEGACY_DB, name: 'legacy-db' }, options: {} }));
    const r = await runCli(['disconnect', '--restore', 'b.json', '--connection', 'Username-Password-Authentication', '--apply', '--yes'], { env: sb().env, cwd });
    expect(r.code).toBe(64);
    expect(r.stderr).toMatch(/is a backup of legacy-db .* not of Username-Password-Authentication/);
    writeFileSync(path.join(cwd, 'broken.json'), JSON.stringify({ format: 'unstick-connection-options/1', options: null }));
    expect((await runCli(['disconnect', '--restore', 'broken.json'], { env: sb().env, cwd })).code).toBe(65);
  });

  it('disconnect: refused before verify; dry run changes nothing; apply changes exactly the two scripts; a legacy-only user can no longer log in; restore', async () => {
    const cwd = workdir();
    const before = await sb().mgmt.connections.get(LEGACY_DB);
    const refused = await runCli(['disconnect', '--apply', '--yes'], { env: sb().env, cwd });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/unstick verify has not been run for this connection/);

    expect((await runCli(['verify', csv(cwd, MIGRATED)], { env: sb().env, cwd })).code).toBe(0);
    await sb().control.clearJournal();
    const dry = await runCli(['disconnect'], { env: sb().env, cwd });
    expect(dry.code).toBe(0);
    expect(dry.stderr).toMatch(/customScripts\.login: .* -> function login/);
    expect(dry.stderr).toContain('dry run: nothing changed');
    expect(await mutations()).toEqual([]);

    const applied = await runCli(['disconnect', '--apply', '--yes', '--json'], { env: sb().env, cwd });
    expect(applied.code).toBe(0);
    const out = JSON.parse(applied.stdout);
    expect(out).toMatchObject({ applied: true, changes: ['customScripts.login', 'customScripts.get_user'] });
    expect((await mutations()).map((e) => `${e.method} ${e.path}`)).toEqual([`PATCH /api/v2/connections/${LEGACY_DB}`]);
    const after = await sb().mgmt.connections.get(LEGACY_DB);
    const { customScripts: scriptsBefore, ...restBefore } = before.options as Record<string, unknown>;
    const { customScripts: scriptsAfter, ...restAfter } = after.options as Record<string, unknown>;
    expect(restAfter).toEqual(restBefore);
    expect(Object.keys(scriptsAfter as object).sort()).toEqual(Object.keys(scriptsBefore as object).sort());
    expect((scriptsAfter as Record<string, string>).login).toContain('return callback(null, null);');
    const backup = JSON.parse(readFileSync(out.backup, 'utf8'));
    expect(backup.options).toEqual(JSON.parse(JSON.stringify(before.options)));

    // Not migrated: fails now. Migrated: still fine.
    expect((await sb().control.endUser('login', { email: 'bob.smith@acme.com', password: 'Bob-Legacy-2024!', connection: 'legacy-db' })).status).not.toBe(200);
    // With no legacy store to migrate from, a profile that never logged in is not deleted by repair.
    await sb().control.clearJournal();
    const repair = await runCli(['repair', 'chloe.martin@acme.com', '--yes', '--json'], { env: sb().env, cwd });
    expect(JSON.parse(repair.stdout).results[0]).toMatchObject({ outcome: 'skipped', classification: 'no-migration-source' });
    expect(await mutations()).toEqual([]);
    const doctor = await runCli(['doctor'], { env: sb().env, cwd });
    expect(doctor.stdout).toContain('pass  legacy-db: legacy store: disconnected: the Login and Get User scripts are no-ops');

    const restored = await runCli(['disconnect', '--restore', out.backup, '--apply', '--yes'], { env: sb().env, cwd });
    expect(restored.code).toBe(0);
    expect((await sb().mgmt.connections.get(LEGACY_DB)).options).toEqual(before.options);
  });
});

describe('verify at 10,000 users', () => {
  let sb: TestSandbox;
  let offset = 0;
  beforeAll(async () => {
    sb = await startTestSandbox('examples/scenarios/large-10k.json', { now: () => Date.now() + offset });
  });
  afterAll(() => sb.close());

  it('takes the export path by itself: a handful of calls for 10,000 users', async () => {
    const scenario = JSON.parse(readFileSync('examples/scenarios/large-10k.json', 'utf8')) as { users: Array<{ email: string; connection: string }> };
    const expected = scenario.users.filter((u) => u.connection === 'legacy-db').map((u) => u.email);
    expect(expected.length).toBeGreaterThan(5000);
    const cwd = workdir();
    await sb.control.clearJournal();
    const r = await runCli(['verify', csv(cwd, expected), '--json'], { env: sb.env, cwd });
    const doc = JSON.parse(r.stdout);
    expect(doc.method).toBe('export');
    expect(doc.totals).toMatchObject({ expected: expected.length, migrated: expected.length, percent: 100 });
    expect(r.code).toBe(0);
    expect((await sb.control.journal()).filter((e) => e.path.startsWith('/api/v2/')).length).toBeLessThan(30);
  });

  it('an expired download link: the job is read again for a fresh one', async () => {
    let downloads = 0;
    const tenant = openTenant(
      { domain: sb.running.domain, auth: { kind: 'client-credentials', clientId: sb.running.clientId, clientSecret: sb.running.clientSecret } },
      {
        // The real request goes out; the first time, the sandbox's clock is moved past the link's 60 seconds.
        fetch: async (input, init) => {
          const url = new URL(input instanceof Request ? input.url : String(input));
          if (url.host !== sb.running.domain && downloads++ === 0) offset += 61_000;
          return fetch(input, init);
        },
      },
    );
    const counts = await exportConnection({ id: 'con_Lg7cYq2RzX4mB9tK', name: 'legacy-db', strategy: 'auth0', customDatabase: true, importMode: true, legacyConnected: true }, 'json', { tenant, sleep: (ms) => new Promise((r) => setTimeout(r, ms)), now: () => new Date() });
    expect(downloads).toBe(2);
    expect(counts.size).toBeGreaterThan(5000);
  });
});

describe('reading an export file', () => {
  it('CSV as Auth0 writes it: quoted, every string prefixed with an apostrophe', () => {
    const text = `email,user_id\n"'Jane.Doe@acme.com","'auth0|1"\n"'bob@acme.com","'auth0|2"\n"'bob@acme.com","'auth0|3"\n`;
    expect([...readExport(gzipSync(text), 'csv')]).toEqual([['jane.doe@acme.com', 1], ['bob@acme.com', 2]]);
    expect([...readExport(gzipSync('{"email":"a@x.com"}\n{"email":"A@x.com"}\n'), 'json')]).toEqual([['a@x.com', 2]]);
  });
});
