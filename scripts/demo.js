#!/usr/bin/env node
// `npm run demo`: the main job end to end, on the built-in sandbox, with no credentials.
//  1. diagnose the shipped logs (every format);
//  2. start the sandbox tenant and show a stuck user: invisible to search, yet signup and import fail;
//  3. pull the tenant logs and the import job's error report through the official SDK and diagnose them;
//  4. inspect the users the logs name: live state decides (a ghost, a stuck profile, a healthy user);
//  5. `unstick repair` them (back up, Delete a User, Delete a Connection User, check), leaving the
//     healthy user alone; then they log in and migrate again, metadata included.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runTrustingSandbox, startSandboxProcess } from './sandbox-process.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = path.join(root, 'bin/unstick.js');
const bold = (s) => (process.stderr.isTTY && !process.env.NO_COLOR ? `\u001b[1m${s}\u001b[0m` : s);
const say = (s) => process.stderr.write(`${s}\n`);

function unstick(title, args, env = process.env) {
  say(`\n${bold(`$ unstick ${args.join(' ')}`)}   # ${title}`);
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: root, stdio: 'inherit', env });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

if (!process.env.UNSTICK_SANDBOX) {
  unstick('every log format in examples/logs, one finding per stuck user', ['diagnose', 'examples/logs']);

  const work = mkdtempSync(path.join(tmpdir(), 'unstick-demo-'));
  say(`\n${bold('$ unstick sandbox')}   # a local Auth0 tenant (examples/scenarios/acme-mixed.json) over HTTPS`);
  const sandbox = await startSandboxProcess(['--state-dir', path.join(work, 'state')], { showLog: true });
  const code = await runTrustingSandbox(fileURLToPath(import.meta.url), sandbox.ready, [], { UNSTICK_DEMO_DIR: work });
  await sandbox.stop();
  rmSync(work, { recursive: true, force: true });
  process.exit(code);
}

const { ManagementClient } = await import('auth0');
const ready = JSON.parse(process.env.UNSTICK_SANDBOX);
const work = process.env.UNSTICK_DEMO_DIR;
const mgmt = new ManagementClient({ domain: ready.domain, clientId: ready.clientId, clientSecret: ready.clientSecret });
const endUser = async (action, body) => {
  const res = await fetch(`https://${ready.domain}/__sandbox/${action}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return res.json();
};
const email = 'jane.doe@acme.com';
const [connection] = (await mgmt.connections.list({ name: 'legacy-db' })).data;

say(`\n${bold(`The stuck user ${email}, seen through the official auth0 SDK`)}`);
say(`  users.listUsersByEmail  -> ${JSON.stringify(await mgmt.users.listUsersByEmail({ email }))} (no profile)`);
const signup = await endUser('signup', { email, password: 'N3w-passw0rd!', connection: 'legacy-db' });
say(`  she tries to sign up    -> ${signup.description ?? JSON.stringify(signup)}`);
const users = [{ email, email_verified: true, user_metadata: { source: 'bulk import' } }];
const job = await mgmt.jobs.usersImports.create({ users: Buffer.from(JSON.stringify(users)), connection_id: connection.id, upsert: false });
let status = await mgmt.jobs.get(job.id);
while (status.status !== 'completed' && status.status !== 'failed') {
  await new Promise((r) => setTimeout(r, 50));
  status = await mgmt.jobs.get(job.id);
}
const errors = await mgmt.jobs.errors.get(job.id);
say(`  a bulk import of her    -> job ${status.status}, ${status.summary?.failed} failed: ${errors?.[0]?.errors?.[0]?.code} "${errors?.[0]?.errors?.[0]?.message}"`);

// Auth0 reads the search as `q` (the v7 SDK's own `search` parameter is not what Auth0 documents).
const logs = await mgmt.logs.list({ per_page: 100 }, { queryParams: { q: 'type:fs OR type:f' } });
const logsFile = path.join(work, 'tenant-logs.json');
writeFileSync(logsFile, JSON.stringify(logs.data, null, 2));
writeFileSync(path.join(work, 'import-errors.json'), JSON.stringify(errors, null, 2));
unstick('what the tenant logs and the import error report say', ['diagnose', logsFile, path.join(work, 'import-errors.json')]);

// The CLI reaches the sandbox like any tenant: AUTH0_* in the environment (or ./.env).
const tenantEnv = { ...process.env, AUTH0_DOMAIN: ready.domain, AUTH0_CLIENT_ID: ready.clientId, AUTH0_CLIENT_SECRET: ready.clientSecret };
const stuck = ['jane.doe@acme.com', 'chloe.martin@acme.com'];
const healthy = 'alice.ng@acme.com';
await endUser('signup', { email: healthy, password: 'Another-Try-1!', connection: 'legacy-db' }); // a duplicate signup: logged, yet healthy
unstick('a log finding is a candidate: the live tenant decides', ['inspect', ...stuck, healthy, '--tenant-logs'], tenantEnv);
unstick(
  'the documented fix, journaled, with backups; the healthy user is left alone',
  ['repair', ...stuck, healthy, '--tenant-logs', '--yes', '--reattempt', 'none', '--state-dir', path.join(work, 'unstick-state')],
  tenantEnv,
);

say(`\n${bold('The users log in again and migrate')}`);
const scenario = JSON.parse(readFileSync(path.join(root, 'examples/scenarios/acme-mixed.json'), 'utf8'));
for (const who of stuck) {
  const { password } = scenario.legacy.find((u) => u.email === who);
  const login = await endUser('login', { email: who, password, connection: 'legacy-db' });
  say(`  ${who} logs in with the legacy password -> ${login.outcome}${login.user_id ? ` as ${login.user_id}` : ''}${login.reason ? ` (${login.reason})` : ''}`);
  const [profile] = await mgmt.users.listUsersByEmail({ email: who });
  say(`  users.listUsersByEmail  -> ${profile ? `${profile.user_id}, user_metadata ${JSON.stringify(profile.user_metadata)}` : 'still nothing'}`);
  if (!profile) process.exit(1);
}
const [alice] = await mgmt.users.listUsersByEmail({ email: healthy });
say(`  ${healthy} was not touched -> ${alice.user_id}, ${alice.logins_count} logins`);
