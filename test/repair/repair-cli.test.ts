import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { KEY, runCli, startCli } from '../helpers/cli.js';
import { LEGACY_DB, useSandbox, type TestSandbox } from '../helpers/sandbox.js';

/**
 * `unstick repair` end to end: the real CLI in-process, the real SDK over HTTPS, real inquirer
 * prompts answered by keystrokes, and the sandbox's request journal as the oracle of what changed.
 */
const sb = useSandbox();
const CHLOE = 'chloe.martin@acme.com'; // imported into legacy-db, never logged in: a stuck profile
const JANE = 'jane.doe@acme.com'; // a ghost: in legacy-db's internal store, no profile

const workdir = () => mkdtempSync(path.join(tmpdir(), 'unstick-repair-'));

/** What the CLI changed: every request but reads and the token. */
async function mutations(s: TestSandbox) {
  return (await s.control.journal()).filter((e) => e.method !== 'GET' && e.path !== '/oauth/token' && !e.path.startsWith('/__sandbox/')).map((e) => `${e.method} ${decodeURIComponent(e.path)}${e.query.email ? `?email=${String(e.query.email)}` : ''}`);
}

function repairJson(stdout: string): { results: Array<Record<string, any>> } {
  return JSON.parse(stdout) as { results: Array<Record<string, any>> };
}

async function login(s: TestSandbox, email: string, password: string) {
  return s.control.endUser('login', { email, password });
}

describe('unstick repair: a ghost', () => {
  it('clears the internal store with Delete a Connection User; the user can then sign up / log in and migrates', async () => {
    const cwd = workdir();
    expect((await login(sb(), JANE, 'Jane-Legacy-2024!')).status).not.toBe(200);
    await sb().control.clearJournal();
    const r = await runCli(['repair', JANE, '--yes', '--reattempt', 'none', '--json'], { env: sb().env, cwd });
    expect(r.code).toBe(0);
    const [result] = repairJson(r.stdout).results;
    expect(result).toMatchObject({ email: JANE, outcome: 'repaired', classification: 'ghost-suspect', backup: null, error: null });
    expect(result!.steps.map((s: { step: string; status: string }) => `${s.step}:${s.status}`)).toEqual(['delete-connection-user:done', 'reattempt none:done']);
    expect(await mutations(sb())).toEqual([`DELETE /api/v2/connections/${LEGACY_DB}/users?email=${JANE}`]);
    const after = await login(sb(), JANE, 'Jane-Legacy-2024!');
    expect(after.status).toBe(200);
    expect((await sb().mgmt.users.listUsersByEmail({ email: JANE }))[0]).toMatchObject({ app_metadata: { plan: 'gold', legacy_customer_id: 'C-1001' } });
    // Plans and progress went to stderr; stdout is one JSON document.
    expect(r.stderr).toContain('verdict:    ghost-suspect');
  });

  it('deletes the ghost id the evidence names first, when no profile holds it (Delete a User, as Auth0 documents)', async () => {
    const cwd = workdir();
    const logs = path.join(cwd, 'errors.json');
    writeFileSync(logs, JSON.stringify([{ user: { email: JANE, user_id: 'legacy-1001' }, errors: [{ code: 'DUPLICATED_USER', message: 'The user already exist and upsert parameter is false' }] }]));
    await sb().control.clearJournal();
    const r = await runCli(['repair', JANE, '--yes', '--reattempt', 'none', '--logs', logs, '--json'], { env: sb().env, cwd });
    expect(r.code).toBe(0);
    expect(await mutations(sb())).toEqual(['DELETE /api/v2/users/auth0|legacy-1001', `DELETE /api/v2/connections/${LEGACY_DB}/users?email=${JANE}`]);
  });
});

describe('unstick repair: a stuck profile, interactively', () => {
  it('shows the plan, asks, backs up the whole profile (0600), deletes in the documented order; the user then migrates again', async () => {
    const cwd = workdir();
    const before = await sb().mgmt.users.get('auth0|legacy-1070');
    await sb().control.clearJournal();
    const cli = startCli(['repair', CHLOE], { env: sb().env, cwd, tty: true });
    await cli.stderr.waitFor('Run these 4 steps for chloe.martin@acme.com');
    const shown = cli.stderr.text();
    expect(shown).toContain('verdict:    stuck-profile: auth0|legacy-1070 has never logged in');
    expect(shown).toMatch(/1\. Back up the profile auth0\|legacy-1070[\s\S]*2\. Delete a User auth0\|legacy-1070[\s\S]*3\. Delete a Connection User chloe\.martin@acme\.com on legacy-db[\s\S]*4\. Check with users-by-email/);
    expect(await mutations(sb())).toEqual([]); // nothing before the answer
    cli.stdin.write('y' + KEY.enter);
    await cli.stderr.waitFor('How should the migration run again?');
    cli.stdin.write(KEY.enter); // the first choice: print a message
    const r = await cli.done;
    expect(r.code).toBe(0);
    expect(await mutations(sb())).toEqual(['DELETE /api/v2/users/auth0|legacy-1070', `DELETE /api/v2/connections/${LEGACY_DB}/users?email=${CHLOE}`]);
    expect(r.stdout).toContain('REPAIRED  chloe.martin@acme.com  (stuck-profile)');
    expect(r.stdout).toContain('Please sign in again with your usual email address and password');
    expect(r.stdout).not.toContain('How should'); // prompts only on stderr

    const backups = path.join(cwd, 'unstick-state', 'backups');
    const [file] = readdirSync(backups);
    expect(statSync(backups).mode & 0o777).toBe(0o700);
    expect(statSync(path.join(backups, file!)).mode & 0o777).toBe(0o600);
    const backup = JSON.parse(readFileSync(path.join(backups, file!), 'utf8'));
    expect(backup).toMatchObject({ format: 'unstick-backup/1', email: CHLOE, connection: { id: LEGACY_DB, name: 'legacy-db' } });
    expect(backup.profile).toEqual(JSON.parse(JSON.stringify(before)));
    expect(r.stdout).toContain(`backup: ${path.join(backups, file!)}`);

    // The journal holds a before and an after for each mutating call, and no personal data.
    const journal = readFileSync(path.join(cwd, 'unstick-state', 'journal.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(journal.map((e) => `${e.step} ${e.phase}`)).toEqual([
      'backup auth0|legacy-1070 before',
      'backup auth0|legacy-1070 after',
      'delete-user auth0|legacy-1070 before',
      'delete-user auth0|legacy-1070 after',
      'delete-connection-user before',
      'delete-connection-user after',
      'repair-done after',
    ]);
    expect(JSON.stringify(journal)).not.toContain('silver');

    const migrated = await login(sb(), CHLOE, 'Chloe-Legacy-2024!');
    expect(migrated.status).toBe(200);
    const [again] = await sb().mgmt.users.listUsersByEmail({ email: CHLOE });
    expect(again).toMatchObject({ user_metadata: { language: 'fr' }, app_metadata: { plan: 'silver' }, logins_count: 1 });
  });

  it('declining at the prompt changes nothing', async () => {
    await sb().control.clearJournal();
    const cli = startCli(['repair', CHLOE], { env: sb().env, cwd: workdir(), tty: true });
    await cli.stderr.waitFor('Run these 4 steps');
    cli.stdin.write('n' + KEY.enter);
    const r = await cli.done;
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('SKIPPED  chloe.martin@acme.com');
    expect(r.stdout).toContain('declined');
    expect(await mutations(sb())).toEqual([]);
  });

  it('--dry-run shows the plan and makes zero mutating requests, with or without a terminal', async () => {
    await sb().control.clearJournal();
    const r = await runCli(['repair', CHLOE, JANE, '--dry-run', '--json'], { env: sb().env, cwd: workdir() });
    expect(r.code).toBe(0);
    expect(repairJson(r.stdout).results.map((x) => [x.email, x.outcome, x.classification])).toEqual([
      [CHLOE, 'planned', 'stuck-profile'],
      [JANE, 'planned', 'ghost-suspect'],
    ]);
    expect(repairJson(r.stdout).results[0]!.steps.map((s: { status: string }) => s.status)).toEqual(['planned', 'planned', 'planned', 'planned']);
    expect(await mutations(sb())).toEqual([]);
  });

  it('without a terminal and without --yes it fails fast naming --yes, before any request', async () => {
    await sb().control.clearJournal();
    const r = await runCli(['repair', CHLOE], { env: sb().env, cwd: workdir() });
    expect(r.code).toBe(64);
    expect(r.stderr).toMatch(/^error: repair changes the tenant and needs confirmation: pass --yes when stdin is not a terminal/);
    // Not even a token request or a lookup reached the tenant.
    expect((await sb().control.journal()).filter((e) => !e.path.startsWith('/__sandbox/'))).toEqual([]);
  });
});

describe('unstick repair: users it must leave alone', () => {
  it('a healthy user: nothing to do, and says why', async () => {
    await sb().control.clearJournal();
    const r = await runCli(['repair', 'alice.ng@acme.com', '--yes', '--json'], { env: sb().env, cwd: workdir() });
    expect(r.code).toBe(0);
    expect(repairJson(r.stdout).results[0]).toMatchObject({ outcome: 'nothing-to-do', classification: 'healthy', steps: [] });
    expect(await mutations(sb())).toEqual([]);
  });

  it('a healthy user who signed up again: logs show "already exists" before the last login, so nothing is deleted', async () => {
    const cwd = workdir();
    const logs = path.join(cwd, 'logs.json');
    writeFileSync(logs, JSON.stringify([{ date: '2024-05-01T00:00:00.000Z', type: 'fs', description: 'The user already exists.', connection: 'legacy-db', user_name: 'alice.ng@acme.com', strategy: 'auth0', strategy_type: 'database' }]));
    await sb().control.clearJournal();
    const r = await runCli(['repair', 'alice.ng@acme.com', '--yes', '--logs', logs], { env: sb().env, cwd });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/NOTHING-TO-DO  alice\.ng@acme\.com[\s\S]*a duplicate signup of an existing user: the user should log in/);
    expect(await mutations(sb())).toEqual([]);
  });

  it('a healthy user who signs up again today: the tenant logs a fresh "already exists", and still nothing is deleted', async () => {
    const signup = await sb().control.endUser('signup', { email: 'alice.ng@acme.com', password: 'Another-Try-1!', connection: 'legacy-db' });
    expect(signup.body.description).toBe('The user already exists.');
    await sb().control.clearJournal();
    const r = await runCli(['repair', 'alice.ng@acme.com', '--yes', '--tenant-logs', '--json'], { env: sb().env, cwd: workdir() });
    expect(r.code).toBe(0);
    const [result] = repairJson(r.stdout).results;
    expect(result).toMatchObject({ outcome: 'nothing-to-do', classification: 'healthy' });
    expect(result!.reason).toMatch(/before the latest evidence .* a profile that has logged in has migrated: that evidence is a duplicate/);
    expect(await mutations(sb())).toEqual([]);
  });

  it('a linked identity (social + database): refused, even with --yes', async () => {
    await sb().control.clearJournal();
    const r = await runCli(['repair', 'priya.shah@acme.com', '--yes', '--json'], { env: sb().env, cwd: workdir() });
    expect(r.code).toBe(1);
    expect(repairJson(r.stdout).results[0]).toMatchObject({ outcome: 'skipped', classification: 'linked' });
    expect(await mutations(sb())).toEqual([]);
  });

  it('--force on a linked user asks a second time; declining the second question changes nothing', async () => {
    await sb().control.clearJournal();
    const cli = startCli(['repair', 'priya.shah@acme.com', '--force'], { env: sb().env, cwd: workdir(), tty: true });
    await cli.stderr.waitFor('Run these 4 steps');
    cli.stdin.write('y' + KEY.enter);
    await cli.stderr.waitFor('is linked, not stuck. Delete the profile anyway');
    cli.stdin.write('n' + KEY.enter);
    expect((await cli.done).code).toBe(1);
    expect(await mutations(sb())).toEqual([]);
  });

  it('a connection without import mode: a never-logged-in profile there is refused (deleting it would lose the user)', async () => {
    await sb().mgmt.users.create({ connection: 'Username-Password-Authentication', email: 'new.hire@acme.com', password: 'Pw-12345678!' });
    await sb().control.clearJournal();
    const r = await runCli(['repair', 'new.hire@acme.com', '--connection', 'Username-Password-Authentication', '--yes', '--json'], { env: sb().env, cwd: workdir() });
    expect(r.code).toBe(1);
    expect(repairJson(r.stdout).results[0]).toMatchObject({ outcome: 'skipped', classification: 'no-migration-source' });
    expect(r.stderr).toContain('a user removed here cannot migrate again');
    expect(await mutations(sb())).toEqual([]);
  });
});

describe('unstick repair: what a review found', () => {
  it('--force with --yes and no terminal never deletes: the second question needs a person', async () => {
    await sb().control.clearJournal();
    const r = await runCli(['repair', 'alice.ng@acme.com', 'priya.shah@acme.com', '--force', '--yes', '--json'], { env: sb().env, cwd: workdir() });
    expect(r.code).toBe(1);
    expect(repairJson(r.stdout).results.map((x) => x.outcome)).toEqual(['skipped', 'skipped']);
    expect(r.stderr).toContain('needs a terminal to confirm the second question');
    expect(await mutations(sb())).toEqual([]);
  });

  it('a finished repair is not repeated (no second delete, no second ticket) unless --again', async () => {
    const cwd = workdir();
    expect((await runCli(['repair', JANE, '--yes', '--reattempt', 'ticket'], { env: sb().env, cwd })).code).toBe(0);
    await sb().control.clearJournal();
    const again = await runCli(['repair', JANE, '--yes', '--reattempt', 'ticket', '--json'], { env: sb().env, cwd });
    expect(repairJson(again.stdout).results[0]).toMatchObject({ outcome: 'nothing-to-do', reason: expect.stringMatching(/repaired by unstick at .*--again repeats the repair/) });
    expect(await mutations(sb())).toEqual([]);
    const forced = await runCli(['repair', JANE, '--yes', '--reattempt', 'none', '--again'], { env: sb().env, cwd });
    expect(forced.code).toBe(0);
    expect(await mutations(sb())).toEqual([`DELETE /api/v2/connections/${LEGACY_DB}/users?email=${JANE}`]);
  });

  it('a reattempt that fails fails that user only: the others are repaired, the journal says what failed', async () => {
    const cwd = workdir();
    await sb().control.faults([{ route: 'POST /api/v2/tickets/password-change', sequence: [400] }]);
    const r = await runCli(['repair', JANE, 'raj.patel@acme.com', '--yes', '--reattempt', 'ticket', '--json'], { env: sb().env, cwd });
    expect(r.code).toBe(1);
    const [jane, raj] = repairJson(r.stdout).results;
    expect(jane).toMatchObject({ outcome: 'failed', error: expect.stringMatching(/^repaired, but the reattempt failed/) });
    expect(jane!.steps.map((s: { step: string; status: string }) => `${s.step}:${s.status}`)).toEqual(['delete-connection-user:done', 'reattempt ticket:failed']);
    expect(raj).toMatchObject({ outcome: 'repaired', ticket: expect.stringContaining('reset-password') });
    const journal = readFileSync(path.join(cwd, 'unstick-state', 'journal.ndjson'), 'utf8');
    expect(journal).toMatch(/"step":"reattempt ticket","phase":"failed"/);
  });
});
