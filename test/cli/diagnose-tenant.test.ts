import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, startCli } from '../helpers/cli.js';
import { LEGACY_DB, useSandbox } from '../helpers/sandbox.js';

const sb = useSandbox();
const workdir = () => mkdtempSync(path.join(tmpdir(), 'unstick-diagnose-tenant-'));

describe('diagnose --tenant and --confirm', () => {
  it('reads the tenant logs and confirms each candidate live: a healthy duplicate signup is healthy, a ghost a ghost suspect', async () => {
    expect((await sb().control.endUser('signup', { email: 'alice.ng@acme.com', password: 'Again-1!', connection: 'legacy-db' })).body.description).toBe('The user already exists.');
    const r = await runCli(['diagnose', '--tenant', '--since', '1000d', '--confirm', '--json'], { env: sb().env, cwd: workdir() });
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.confirmed).toBe(true);
    const live = Object.fromEntries(doc.findings.map((f: { email: string; classification: string }) => [f.email, f.classification]));
    expect(live).toMatchObject({ 'alice.ng@acme.com': 'healthy', 'jane.doe@acme.com': 'ghost-suspect', 'chloe.martin@acme.com': 'stuck-profile' });
    expect(doc.stats.inputs.map((i: { name: string }) => i.name)).toEqual(['tenant logs']);
    expect(doc.findings.find((f: { email: string }) => f.email === 'jane.doe@acme.com').evidence[0].source).toMatch(/^tenant logs:\d+$/);
  });

  it('--csv --confirm is a clean batch input: healthy users left out, said on stderr', async () => {
    await sb().control.endUser('signup', { email: 'alice.ng@acme.com', password: 'Again-1!', connection: 'legacy-db' });
    const r = await runCli(['diagnose', '--tenant', '--since', '1000d', '--confirm', '--csv'], { env: sb().env, cwd: workdir() });
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe('email,kinds,occurrences,first_seen,last_seen,connections,next_command,classification');
    expect(lines.some((l) => l.startsWith('alice.ng@acme.com'))).toBe(false);
    expect(lines.find((l) => l.startsWith('jane.doe@acme.com'))).toMatch(/,ghost-suspect$/);
    expect(r.stderr).toMatch(/note: left out as healthy \(the tenant says they have logged in\): .*alice\.ng@acme\.com.* \(--json has the reasons\)/);
  });

  it('human output without --confirm says the findings are candidates', async () => {
    const r = await runCli(['diagnose', '--tenant', '--since', '1000d'], { env: sb().env, cwd: workdir() });
    expect(r.stdout).toContain('these are candidates from the logs alone');
  });

  it('--job reads the job status and error report; the errors carry the job\'s connection', async () => {
    const job = await sb().mgmt.jobs.usersImports.create({ users: Buffer.from(JSON.stringify([{ email: 'jane.doe@acme.com', email_verified: true }])), connection_id: LEGACY_DB, upsert: false });
    for (let i = 0; i < 100 && !['completed', 'failed'].includes(String((await sb().mgmt.jobs.get(job.id!)).status)); i++) await new Promise((r) => setTimeout(r, 20));
    const r = await runCli(['diagnose', '--job', job.id!, '--connection', LEGACY_DB, '--json'], { env: sb().env, cwd: workdir() });
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.findings.map((f: { email: string; kinds: string[]; connections: string[] }) => [f.email, f.kinds, f.connections])).toEqual([['jane.doe@acme.com', ['DUPLICATED_USER'], ['legacy-db']]]);
    expect(doc.notes).toEqual([]);
  });

  it('needs inputs, --tenant or --job; a malformed job id is a usage error', async () => {
    expect((await runCli(['diagnose'], { env: sb().env })).code).toBe(64);
    const bad = await runCli(['diagnose', '--job', 'nope'], { env: sb().env });
    expect(bad.code).toBe(64);
    expect(bad.stderr).toContain('not an Auth0 job id');
  });
});

describe('unstick logs pull', () => {
  it('writes NDJSON diagnose reads, saves a checkpoint, and resumes without writing a record twice (even when the checkpoint was lost)', async () => {
    const cwd = workdir();
    const out = path.join(cwd, 'tenant.ndjson');
    const first = await runCli(['logs', 'pull', '--since', '1000d', '--out', out], { env: sb().env, cwd });
    expect(first.code).toBe(0);
    const lines = () => readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { log_id: string; type: string });
    const before = lines();
    expect(before.length).toBeGreaterThan(5);
    const checkpoint = JSON.parse(readFileSync(`${out}.checkpoint.json`, 'utf8'));
    expect(checkpoint).toMatchObject({ format: 'unstick-logs-checkpoint/1', log_id: before.at(-1)!.log_id });

    await sb().control.endUser('signup', { email: 'alice.ng@acme.com', password: 'Again-1!', connection: 'legacy-db' });
    rmSync(`${out}.checkpoint.json`); // as if the run died after writing its page
    const second = await runCli(['logs', 'pull', '--since', '1000d', '--out', out], { env: sb().env, cwd });
    expect(second.code).toBe(0);
    const after = lines();
    expect(after.slice(0, before.length)).toEqual(before);
    expect(new Set(after.map((l) => l.log_id)).size).toBe(after.length);
    expect(after.length).toBeGreaterThan(before.length);

    const diag = await runCli(['diagnose', out, '--json'], { env: sb().env, cwd });
    expect(JSON.parse(diag.stdout).findings.map((f: { email: string }) => f.email)).toContain('alice.ng@acme.com');
  });

  it('--type keeps only those codes', async () => {
    const cwd = workdir();
    const r = await runCli(['logs', 'pull', '--since', '1000d', '--type', 'fs'], { env: sb().env, cwd });
    const types = new Set(r.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { type: string }).type));
    expect([...types]).toEqual(['fs']);
  });

  it('--follow sees a new failed signup and prints it as a candidate; Ctrl+C ends it with the checkpoint saved', async () => {
    const cwd = workdir();
    const out = path.join(cwd, 'live.ndjson');
    const cli = startCli(['logs', 'pull', '--since', '1000d', '--out', out, '--follow', '--every', '1'], { env: sb().env, cwd });
    // The first pages are in once the checkpoint exists; then a new failed signup happens.
    for (let i = 0; i < 100 && !existsSync(`${out}.checkpoint.json`); i++) await new Promise((r) => setTimeout(r, 50));
    await sb().control.endUser('signup', { email: 'dave.kim@acme.com', password: 'Again-1!', connection: 'legacy-db' });
    await cli.stdout.waitFor(/candidate .* dave\.kim@acme\.com {2}USER_ALREADY_EXISTS {2}legacy-db {2}-> unstick repair dave\.kim@acme\.com --connection legacy-db/, 8000);
    cli.interrupt();
    const r = await cli.done;
    expect(r.code).toBe(0);
    const saved = JSON.parse(readFileSync(`${out}.checkpoint.json`, 'utf8'));
    const last = readFileSync(out, 'utf8').trim().split('\n').at(-1)!;
    expect(saved.log_id).toBe((JSON.parse(last) as { log_id: string }).log_id);
  });
});
