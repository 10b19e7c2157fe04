#!/usr/bin/env node
// `npm run demo`: the main job end to end, on the built-in sandbox, with no credentials.
//  1. diagnose the shipped logs (every format);
//  2. start the sandbox tenant (ghosts and stuck profiles already in it) and simulate the traffic that
//     strands users: an interrupted lazy migration, a bulk import after lazy migration, a duplicate
//     signup of a healthy user;
//  3. pull the tenant's logs, diagnose them with the import job, and confirm each candidate live
//     (the healthy users are left out);
//  4. batch-repair the affected users (dry run, then --apply), reattempt (logins, and a ticket);
//  5. verify 100 % migrated, backfill missing metadata, doctor, disconnect the legacy store;
//  6. a before/after table.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
const tenantEnv = { ...process.env, AUTH0_DOMAIN: ready.domain, AUTH0_CLIENT_ID: ready.clientId, AUTH0_CLIENT_SECRET: ready.clientSecret };
const cliIn = (title, args) => unstick(title, args, tenantEnv);
const scenario = JSON.parse(readFileSync(path.join(root, 'examples/scenarios/acme-mixed.json'), 'utf8'));
const legacyPassword = (who) => scenario.legacy.find((u) => u.email === who).password;
const [connection] = (await mgmt.connections.list({ name: 'legacy-db' })).data;
const state = path.join(work, 'unstick-state');
const watched = ['jane.doe@acme.com', 'chloe.martin@acme.com', 'nina.kowalski@acme.com', 'alice.ng@acme.com', 'dave.kim@acme.com', 'ken.ito@acme.com'];
const snapshot = async () =>
  Object.fromEntries(
    await Promise.all(
      watched.map(async (who) => {
        const [p] = (await mgmt.users.listUsersByEmail({ email: who })).filter((u) => u.identities?.some((i) => i.connection === 'legacy-db'));
        return [who, p ? `${p.user_id}, ${p.logins_count ?? 0} logins, metadata ${Object.keys(p.user_metadata ?? {}).length + Object.keys(p.app_metadata ?? {}).length} keys` : 'no profile'];
      }),
    ),
  );

const email = 'jane.doe@acme.com';
say(`\n${bold(`The stuck user ${email}, seen through the official auth0 SDK`)}`);
say(`  users.listUsersByEmail  -> ${JSON.stringify(await mgmt.users.listUsersByEmail({ email }))} (no profile)`);
const signup = await endUser('signup', { email, password: 'N3w-passw0rd!', connection: 'legacy-db' });
say(`  she tries to sign up    -> ${signup.description ?? JSON.stringify(signup)}`);

say(`\n${bold('Traffic that strands users')}`);
const interrupted = await endUser('interrupt', { email: 'nina.kowalski@acme.com', connection: 'legacy-db' });
say(`  nina.kowalski's lazy migration is interrupted -> ${interrupted.outcome} (a ghost: ${interrupted.user_id})`);
const ninaSignup = await endUser('signup', { email: 'nina.kowalski@acme.com', password: 'Another-1!', connection: 'legacy-db' });
say(`  nina tries to sign up again -> ${ninaSignup.description ?? ninaSignup.outcome}`);
const dupe = await endUser('signup', { email: 'dave.kim@acme.com', password: 'Forgot-I-had-1!', connection: 'legacy-db' });
say(`  dave.kim (healthy) signs up again -> ${dupe.description ?? dupe.outcome}`);
const users = [email, 'alice.ng@acme.com', 'bob.smith@acme.com'].map((e) => ({ email: e, email_verified: true }));
const job = await mgmt.jobs.usersImports.create({ users: Buffer.from(JSON.stringify(users)), connection_id: connection.id, upsert: false });
let status = await mgmt.jobs.get(job.id);
while (status.status !== 'completed' && status.status !== 'failed') {
  await new Promise((r) => setTimeout(r, 50));
  status = await mgmt.jobs.get(job.id);
}
const errors = await mgmt.jobs.errors.get(job.id);
say(`  a bulk import after lazy migration -> job ${status.status}, ${status.summary?.failed} failed: ${errors?.[0]?.errors?.[0]?.code} "${errors?.[0]?.errors?.[0]?.message}"`);
const before = await snapshot();

const logsFile = path.join(work, 'tenant-logs.ndjson');
cliIn("the tenant's logs, with checkpoint paging (run again: it continues)", ['logs', 'pull', '--since', '1000d', '--out', logsFile]);
cliIn('the logs and the import job, each candidate confirmed in the tenant', ['diagnose', logsFile, '--job', job.id, '--confirm']);
const affected = path.join(work, 'affected.csv');
{
  const r = spawnSync(process.execPath, [cli, 'diagnose', logsFile, '--job', job.id, '--confirm', '--csv'], { cwd: root, env: tenantEnv, encoding: 'utf8' });
  if (r.status !== 0) process.exit(r.status ?? 1);
  writeFileSync(affected, r.stdout);
  say(`\n${bold(`$ unstick diagnose ${path.basename(logsFile)} --job ${job.id} --confirm --csv > affected.csv`)}   # the batch input: healthy users left out`);
  process.stderr.write(r.stderr);
  say(`  ${r.stdout.trim().split('\n').length - 1} affected users`);
}
cliIn('the plan: read-only lookups, nothing changes', ['batch', affected, '--state-dir', state]);
cliIn('repair them all, at the rate limits, with a ticket each', ['batch', affected, '--apply', '--yes', '--reattempt', 'ticket', '--state-dir', state, '--report', path.join(work, 'report.csv')]);

say(`\n${bold('Reattempt: the users log in again (one through her ticket) and migrate')}`);
const tickets = readFileSync(readdirSync(state).filter((f) => f.endsWith('.tickets.csv')).map((f) => path.join(state, f))[0], 'utf8').trim().split('\n').slice(1);
const janeTicket = new URL(tickets.find((l) => l.startsWith(`${email},`)).split(',')[1]).searchParams.get('ticket');
const changed = await endUser('change-password', { ticket: janeTicket, password: 'Brand-New-Pass-1!' });
say(`  ${email} opens her ticket and sets a password -> ${changed.outcome}`);
const janeLogin = await endUser('login', { email, password: 'Brand-New-Pass-1!', connection: 'legacy-db' });
say(`  ${email} logs in -> ${janeLogin.outcome}${janeLogin.user_id ? ` as ${janeLogin.user_id}` : ''}`);
for (const who of scenario.legacy.map((u) => u.email).filter((e) => e !== email)) {
  const r = await endUser('login', { email: who, password: legacyPassword(who), connection: 'legacy-db' });
  if (r.outcome === 'migrated') say(`  ${who} logs in with the legacy password -> migrated as ${r.user_id}`);
}

const expected = path.join(work, 'expected.csv');
writeFileSync(expected, ['email', ...scenario.legacy.map((u) => u.email)].join('\n') + '\n');
cliIn('every user of the legacy store is in Auth0 now', ['verify', expected, '--state-dir', state]);
const legacyExport = path.join(work, 'legacy-metadata.json');
writeFileSync(legacyExport, JSON.stringify(scenario.legacy.map((u) => ({ email: u.email, user_metadata: u.user_metadata ?? {}, app_metadata: u.app_metadata ?? {} }))));
cliIn("metadata kept in the repair backups, for the keys the new profiles lack", ['metadata', 'restore', '--apply', '--yes', '--state-dir', state]);
cliIn('metadata the migration did not bring (never overwriting a key)', ['metadata', 'backfill', '--from', legacyExport, '--apply', '--yes', '--state-dir', state]);
cliIn('the setup', ['doctor']);
cliIn('disconnect the legacy store: two scripts become no-ops, nothing else moves', ['disconnect', '--apply', '--yes', '--state-dir', state]);

const after = await snapshot();
say(`\n${bold('Before and after')}`);
const width = Math.max(...watched.map((w) => w.length));
const col = Math.max(...Object.values(before).map((v) => v.length), 'before'.length);
say(`  ${'user'.padEnd(width)}  ${'before'.padEnd(col)}  after`);
for (const who of watched) say(`  ${who.padEnd(width)}  ${before[who].padEnd(col)}  ${after[who]}`);
if (watched.some((who) => after[who] === 'no profile')) process.exit(1);
