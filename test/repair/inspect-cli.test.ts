import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { KEY, runCli, startCli } from '../helpers/cli.js';
import { useSandbox } from '../helpers/sandbox.js';

const sb = useSandbox();
const workdir = () => mkdtempSync(path.join(tmpdir(), 'unstick-inspect-'));

describe('unstick inspect', () => {
  it('is read-only and shows profiles, identities, logins, metadata, the verdict and the plan', async () => {
    await sb().control.clearJournal();
    const r = await runCli(['inspect', 'chloe.martin@acme.com', 'priya.shah@acme.com', 'jane.doe@acme.com'], { env: sb().env, cwd: workdir() });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('connection: database, custom database on, import mode on');
    expect(r.stdout).toMatch(/profile: {4}auth0\|legacy-1070 \[legacy-db\] created 2024-04-15T22:03:11.000Z; 0 logins, never logged in; user_metadata empty, app_metadata empty/);
    expect(r.stdout).toContain('verdict:    linked');
    expect(r.stdout).toContain('verdict:    ghost-suspect');
    expect(r.stdout).toContain('a suspicion it cannot confirm');
    expect((await sb().control.journal()).filter((e) => e.method !== 'GET' && e.path !== '/oauth/token' && !e.path.startsWith('/__sandbox/'))).toEqual([]);
  });

  it('--json with --tenant-logs: one GET /logs search per user adds the evidence', async () => {
    const r = await runCli(['inspect', 'raj.patel@acme.com', '--tenant-logs', '--json'], { env: sb().env, cwd: workdir() });
    expect(r.code).toBe(0);
    const [user] = (JSON.parse(r.stdout) as { users: Array<Record<string, any>> }).users;
    expect(user).toMatchObject({ email: 'raj.patel@acme.com', classification: 'ghost-suspect', evidence: { kinds: ['USER_ALREADY_EXISTS'] } });
    expect(user!.plan.steps.map((s: { kind: string }) => s.kind)).toEqual(['delete-connection-user']);
    const searches = (await sb().control.journal()).filter((e) => e.path === '/api/v2/logs');
    expect(searches.map((e) => e.query.q)).toEqual(['user_name:"raj.patel@acme.com"']);
  });

  it('bad input: an invalid email is one line and exit 64; no tenant configured is exit 78 naming the variables', async () => {
    const bad = await runCli(['inspect', 'not-an-email'], { env: sb().env, cwd: workdir() });
    expect(bad).toMatchObject({ code: 64, stdout: '' });
    expect(bad.stderr).toBe('error: not an email address: "not-an-email"\n');
    const { AUTH0_DOMAIN: _d, AUTH0_CLIENT_ID: _i, AUTH0_CLIENT_SECRET: _s, ...env } = sb().env;
    const none = await runCli(['inspect', 'jane.doe@acme.com'], { env, cwd: workdir() });
    expect(none.code).toBe(78);
    expect(none.stderr).toMatch(/^error: no Auth0 tenant configured: AUTH0_DOMAIN, AUTH0_CLIENT_ID, AUTH0_CLIENT_SECRET are not set\n/);
  });

  it('reads the tenant from ./.env when the environment has none', async () => {
    const cwd = workdir();
    const { AUTH0_DOMAIN, AUTH0_CLIENT_ID, AUTH0_CLIENT_SECRET, ...env } = sb().env;
    writeFileSync(path.join(cwd, '.env'), `AUTH0_DOMAIN=${AUTH0_DOMAIN}\nAUTH0_CLIENT_ID=${AUTH0_CLIENT_ID}\nAUTH0_CLIENT_SECRET=${AUTH0_CLIENT_SECRET}\n`);
    const r = await runCli(['inspect', 'alice.ng@acme.com'], { env, cwd });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('verdict:    healthy');
  });
});

describe('the target connection', () => {
  const TWO = {
    tenant: 'two-migrations',
    connections: [
      { name: 'legacy-a', id: 'con_AaAaAaAaAaAaAaAa', options: { enabledDatabaseCustomization: true, import_mode: true } },
      { name: 'legacy-b', id: 'con_BbBbBbBbBbBbBbBb', options: { enabledDatabaseCustomization: true, import_mode: true } },
    ],
  };

  it('with several migrating connections: fails listing them without a terminal, asks with one', async () => {
    await sb().control.reset(TWO);
    const r = await runCli(['repair', 'x@acme.com', '--dry-run'], { env: sb().env, cwd: workdir() });
    expect(r.code).toBe(64);
    expect(r.stderr).toBe(
      'error: several custom database connections import users: name one with --connection\nhint: candidates: legacy-a (con_AaAaAaAaAaAaAaAa), legacy-b (con_BbBbBbBbBbBbBbBb)\n',
    );
    const cli = startCli(['repair', 'x@acme.com', '--dry-run'], { env: sb().env, cwd: workdir(), tty: true });
    await cli.stderr.waitFor('Which connection are the users migrating into?');
    cli.stdin.write(KEY.down + KEY.enter);
    const done = await cli.done;
    expect(done.code).toBe(0);
    expect(done.stderr).toContain('x@acme.com on legacy-b (con_BbBbBbBbBbBbBbBb)');
  });

  it('--connection by name or id; an unknown one is exit 64 listing the database connections', async () => {
    await sb().control.reset(TWO);
    for (const c of ['legacy-a', 'con_AaAaAaAaAaAaAaAa']) {
      const r = await runCli(['inspect', 'x@acme.com', '--connection', c], { env: sb().env, cwd: workdir() });
      expect(r.stdout).toContain('x@acme.com on legacy-a (con_AaAaAaAaAaAaAaAa)');
    }
    const r = await runCli(['inspect', 'x@acme.com', '--connection', 'legacy-c'], { env: sb().env, cwd: workdir() });
    expect(r.code).toBe(64);
    expect(r.stderr).toMatch(/error: no connection "legacy-c" on 127\.0\.0\.1:\d+\nhint: database connections: legacy-a, legacy-b\n/);
  });
});
