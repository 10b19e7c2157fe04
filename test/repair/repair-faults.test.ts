import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, startCli } from '../helpers/cli.js';
import { LEGACY_DB, useSandbox, type TestSandbox } from '../helpers/sandbox.js';

/** Repair against a tenant that is not a clean loopback: rate limits, 5xx, effects behind failures, Ctrl+C. */
const sb = useSandbox();
const CHLOE = 'chloe.martin@acme.com';
const JANE = 'jane.doe@acme.com';
const workdir = () => mkdtempSync(path.join(tmpdir(), 'unstick-repair-'));

async function calls(s: TestSandbox, method: string, pathPrefix: string) {
  return (await s.control.journal()).filter((e) => e.method === method && decodeURIComponent(e.path).startsWith(pathPrefix)).map((e) => e.status);
}

function json(stdout: string) {
  return (JSON.parse(stdout) as { results: Array<Record<string, any>> }).results;
}

/** A legacy export in Auth0's import schema, with the password as a sha256 hash (as a legacy store keeps it). */
function legacyExport(dir: string): string {
  const file = path.join(dir, 'legacy-export.json');
  const sha = (s: string) => createHash('sha256').update(s).digest('hex');
  writeFileSync(
    file,
    JSON.stringify([
      { email: JANE, email_verified: true, user_id: 'legacy-1001', name: 'Jane Doe', user_metadata: { language: 'en' }, app_metadata: { plan: 'gold' }, custom_password_hash: { algorithm: 'sha256', hash: { value: sha('Jane-Legacy-2024!'), encoding: 'hex' } } },
      { email: CHLOE, email_verified: true, user_id: 'legacy-1070', name: 'Chloe Martin', user_metadata: { language: 'fr' }, app_metadata: { plan: 'silver' }, custom_password_hash: { algorithm: 'sha256', hash: { value: sha('Chloe-Legacy-2024!'), encoding: 'hex' } } },
    ]),
  );
  return file;
}

describe('repair through rate limits and server errors', () => {
  it('a 429 and a 5xx in the middle: the pacer waits and retries, the repair finishes', async () => {
    await sb().control.faults([
      { route: 'DELETE /api/v2/users/*', sequence: [429] },
      { route: 'DELETE /api/v2/connections/*/users', sequence: [503, 502] },
    ]);
    const r = await runCli(['repair', CHLOE, '--yes', '--reattempt', 'none', '--json'], { env: sb().env, cwd: workdir() });
    expect(r.code).toBe(0);
    expect(json(r.stdout)[0]).toMatchObject({ outcome: 'repaired' });
    expect(await calls(sb(), 'DELETE', '/api/v2/users/')).toEqual([429, 204]);
    expect(await calls(sb(), 'DELETE', `/api/v2/connections/${LEGACY_DB}/users`)).toEqual([503, 502, 204]);
  });

  it('5xx that outlast the retries end the run with exit 75; running it again finishes without repeating the delete', async () => {
    const cwd = workdir();
    await sb().control.faults([{ route: 'DELETE /api/v2/connections/*/users', sequence: [503, 503, 503, 503, 503] }]);
    const first = await runCli(['repair', CHLOE, '--yes', '--reattempt', 'none'], { env: sb().env, cwd });
    expect(first.code).toBe(75);
    expect(first.stderr).toMatch(/error: Delete a Connection User chloe\.martin@acme\.com: Auth0 answered 503/);
    expect(first.stderr).toContain('run the same command again later');
    await sb().control.faults([]);
    await sb().control.clearJournal();
    const again = await runCli(['repair', CHLOE, '--yes', '--reattempt', 'none', '--json'], { env: sb().env, cwd });
    expect(again.code).toBe(0);
    const [result] = json(again.stdout);
    // The profile is gone, so the rerun sees a ghost suspect and only clears the store; the first run's backup is reported.
    expect(result).toMatchObject({ outcome: 'repaired', classification: 'ghost-suspect' });
    expect(result!.backup).toMatch(/chloe\.martin@acme\.com_auth0_legacy-1070\.json$/);
    expect(again.stderr).toMatch(/earlier: {4}run .* started "delete-connection-user" at .* and failed: Delete a Connection User chloe\.martin@acme\.com: Auth0 answered 503/);
    expect(await calls(sb(), 'DELETE', '/api/v2/users/')).toEqual([]);
    expect(readdirSync(path.join(cwd, 'unstick-state', 'backups'))).toHaveLength(1);
  });
});

describe('reattempt', () => {
  it('ticket: a password-change ticket for connection_id + email; completing it migrates the user', async () => {
    const r = await runCli(['repair', JANE, '--yes', '--reattempt', 'ticket', '--json'], { env: sb().env, cwd: workdir() });
    expect(r.code).toBe(0);
    const [result] = json(r.stdout);
    expect(result!.ticket).toMatch(/\/__sandbox\/reset-password\?ticket=/);
    const ticket = new URL(result!.ticket as string).searchParams.get('ticket');
    expect((await sb().control.endUser('change-password', { ticket, password: 'Brand-New-Pass-1!' })).status).toBe(200);
    expect((await sb().control.endUser('login', { email: JANE, password: 'Brand-New-Pass-1!' })).status).toBe(200);
    expect(await sb().mgmt.users.listUsersByEmail({ email: JANE })).toHaveLength(1);
  });

  it('import: a one-user job from the legacy export, polled to completion; the password still works', async () => {
    const cwd = workdir();
    const r = await runCli(['repair', CHLOE, '--yes', '--reattempt', `import:${legacyExport(cwd)}`, '--json'], { env: sb().env, cwd });
    expect(r.code).toBe(0);
    const [result] = json(r.stdout);
    expect(result).toMatchObject({ outcome: 'repaired', job: { status: 'completed' } });
    expect(result!.steps.at(-1)).toMatchObject({ step: 'reattempt import', status: 'done' });
    expect(await calls(sb(), 'POST', '/api/v2/jobs/users-imports')).toEqual([202]);
    // Run again before the user logged in: the re-imported profile has never logged in, yet it is not stuck.
    const again = await runCli(['repair', CHLOE, '--yes', '--json'], { env: sb().env, cwd });
    expect(json(again.stdout)[0]).toMatchObject({ outcome: 'nothing-to-do', classification: 'healthy', reason: expect.stringMatching(/imported again by unstick/) });
    expect(await calls(sb(), 'DELETE', '/api/v2/users/')).toHaveLength(1);
    expect((await sb().control.endUser('login', { email: CHLOE, password: 'Chloe-Legacy-2024!' })).status).toBe(200);
  });

  it('import whose creation fails after the job was made: looks first, never creates a second job', async () => {
    const cwd = workdir();
    await sb().control.faults([{ route: 'POST /api/v2/jobs/users-imports', sequence: [503], after: true }]);
    const r = await runCli(['repair', CHLOE, '--yes', '--reattempt', `import:${legacyExport(cwd)}`, '--json'], { env: sb().env, cwd });
    expect(r.code).toBe(0);
    expect(json(r.stdout)[0]!.steps.at(-1)).toMatchObject({ status: 'done', detail: 'the import took effect although creating the job failed for us' });
    expect(await calls(sb(), 'POST', '/api/v2/jobs/users-imports')).toEqual([503]);
    expect((await sb().control.state()).jobs).toHaveLength(1);
    expect(await sb().mgmt.users.listUsersByEmail({ email: CHLOE })).toHaveLength(1);
  });

  it('refuses a job error report as the legacy export: its hashes are redacted', async () => {
    const cwd = workdir();
    const report = path.join(cwd, 'errors.json');
    writeFileSync(report, JSON.stringify([{ email: CHLOE, custom_password_hash: { algorithm: 'sha256', hash: { value: '*****' } } }]));
    const r = await runCli(['repair', CHLOE, '--yes', '--reattempt', `import:${report}`], { env: sb().env, cwd });
    expect(r.code).toBe(65);
    expect(r.stderr).toMatch(/redacted password hash/);
    expect(await calls(sb(), 'DELETE', '/api/v2/')).toEqual([]);
  });
});

describe('interrupted and resumed', () => {
  it('Ctrl+C in the middle exits 130 with the journal consistent; the same command again finishes the job', async () => {
    const cwd = workdir();
    await sb().control.faults([{ route: 'DELETE /api/v2/connections/*/users', latencyMs: 800 }]);
    const cli = startCli(['repair', CHLOE, '--yes', '--reattempt', 'none'], { env: sb().env, cwd, tty: true });
    await cli.stderr.waitFor('✓ delete-user auth0|legacy-1070');
    cli.interrupt();
    const r = await cli.done;
    expect(r.code).toBe(130);
    expect(r.stderr).toContain('interrupted');
    const journal = readFileSync(path.join(cwd, 'unstick-state', 'journal.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { step: string; phase: string; error?: string });
    expect(journal.map((e) => `${e.step} ${e.phase}`).slice(-3)).toEqual(['delete-user auth0|legacy-1070 after', 'delete-connection-user before', 'delete-connection-user failed']);
    expect(journal.at(-1)!.error).toBe('interrupted; the request may or may not have taken effect');

    await sb().control.faults([]);
    const again = await runCli(['repair', CHLOE, '--yes', '--reattempt', 'none', '--json'], { env: sb().env, cwd });
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/started "delete-connection-user" at .* and failed: interrupted/);
    expect(json(again.stdout)[0]).toMatchObject({ outcome: 'repaired', classification: 'ghost-suspect', backup: expect.stringContaining('legacy-1070') });
    expect((await sb().control.endUser('login', { email: CHLOE, password: 'Chloe-Legacy-2024!' })).status).toBe(200);
  });
});

describe('secrets', () => {
  it('the client secret never appears in output, journal or backups', async () => {
    const cwd = workdir();
    const r = await runCli(['repair', CHLOE, JANE, '--yes', '--reattempt', 'ticket', '--json', '--debug'], { env: sb().env, cwd });
    expect(r.code).toBe(0);
    const secret = sb().running.clientSecret;
    const files = readdirSync(cwd, { recursive: true, withFileTypes: true }).filter((d) => d.isFile()).map((d) => path.join(d.parentPath, d.name));
    expect(files.length).toBeGreaterThanOrEqual(2);
    for (const text of [r.stdout, r.stderr, ...files.map((f) => readFileSync(f, 'utf8'))]) expect(text).not.toContain(secret);
    // The ticket is a password-reset link: it is printed for the engineer, never journaled.
    const journal = readFileSync(path.join(cwd, 'unstick-state', 'journal.ndjson'), 'utf8');
    expect(journal).not.toContain('reset-password');
  });
});
