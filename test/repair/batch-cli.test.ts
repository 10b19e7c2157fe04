import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { KEY, runCli, startCli } from '../helpers/cli.js';
import { LEGACY_DB, useSandbox, type TestSandbox } from '../helpers/sandbox.js';

const sb = useSandbox();
const workdir = () => mkdtempSync(path.join(tmpdir(), 'unstick-batch-'));
const GHOSTS = ['jane.doe@acme.com', 'raj.patel@acme.com', 'marco.rossi@acme.com', 'olga.ivanova@acme.com', 'sam.okafor@acme.com', 'li.wei@acme.com'];
const STUCK = ['chloe.martin@acme.com', 'omar.haddad@acme.com'];
const HEALTHY = ['alice.ng@acme.com', 'dave.kim@acme.com'];

function csv(dir: string, lines: string[], name = 'affected.csv'): string {
  const file = path.join(dir, name);
  writeFileSync(file, lines.join('\r\n') + '\r\n');
  return file;
}

async function mutations(s: TestSandbox) {
  return (await s.control.journal()).filter((e) => e.method !== 'GET' && e.path !== '/oauth/token' && !e.path.startsWith('/__sandbox/'));
}

describe('unstick batch', () => {
  it('without --apply: a dry run with read-only lookups, a plan summary by classification and a plan file', async () => {
    const dir = workdir();
    const file = csv(dir, ['Email,Name', ...GHOSTS.map((e) => `${e},x`), ...STUCK.map((e) => ` ${e.toUpperCase()} ,y`), 'alice.ng@acme.com,z', 'not-an-email,q', '', 'priya.shah@acme.com,w', 'JANE.DOE@acme.com,dup']);
    await sb().control.clearJournal();
    const r = await runCli(['batch', file, '--json'], { env: sb().env, cwd: dir });
    const out = JSON.parse(r.stdout);
    expect(out.dryRun).toBe(true);
    expect(out.totals.classifications).toEqual({ 'ghost-suspect': { planned: 6 }, 'stuck-profile': { planned: 2 }, healthy: { 'nothing-to-do': 1 }, linked: { skipped: 1 } });
    expect(out.input).toMatchObject({ rows: 12, unique: 10, duplicates: 1, invalid: 1, blank: 1, column: 'Email' });
    expect(r.stderr).toContain('affected.csv:11: no @ ("not-an-email"), skipped');
    expect(r.code).toBe(1); // a skipped user and an invalid row
    expect(await mutations(sb())).toEqual([]);
    const plan = readFileSync(out.files.plan, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(plan).toHaveLength(10);
    expect(plan.find((p) => p.email === 'chloe.martin@acme.com')).toMatchObject({ outcome: 'planned', classification: 'stuck-profile', line: 8 });
  });

  it('--apply without a terminal and without --yes: exit 64 before any request', async () => {
    const dir = workdir();
    await sb().control.clearJournal();
    const r = await runCli(['batch', csv(dir, ['email', ...GHOSTS]), '--apply'], { env: sb().env, cwd: dir });
    expect(r.code).toBe(64);
    expect(r.stderr).toMatch(/pass --yes when stdin is not a terminal/);
    expect((await sb().control.journal()).filter((e) => !e.path.startsWith('/__sandbox/'))).toEqual([]);
  });

  it('--apply asks with the counts and the tenant; declining changes nothing', async () => {
    const dir = workdir();
    await sb().control.clearJournal();
    const cli = startCli(['batch', csv(dir, ['email', ...GHOSTS, ...STUCK]), '--apply'], { env: sb().env, cwd: dir, tty: true });
    await cli.stderr.waitFor(/Each profile is backed\s+up before it is deleted/);
    expect(cli.stderr.text().replace(/\s+/g, ' ')).toContain(`Repair up to 8 users from affected.csv on ${sb().running.domain} (connection legacy-db)?`);
    cli.stdin.write('n' + KEY.enter);
    expect((await cli.done).code).toBe(1);
    expect(await mutations(sb())).toEqual([]);
  });

  it('--apply --yes repairs ghosts and stuck profiles, leaves the healthy alone, writes the report and the tickets', async () => {
    const dir = workdir();
    const report = path.join(dir, 'result.csv');
    const r = await runCli(['batch', csv(dir, ['email', ...GHOSTS, ...STUCK, ...HEALTHY]), '--apply', '--yes', '--reattempt', 'ticket', '--report', report, '--json'], { env: sb().env, cwd: dir });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.totals.outcomes).toEqual({ repaired: 8, 'nothing-to-do': 2 });
    const rows = readFileSync(report, 'utf8').trim().split('\n');
    expect(rows[0]).toBe('email,outcome,classification,steps,error,backup,ticket');
    expect(rows).toHaveLength(11);
    const tickets = readFileSync(out.files.tickets, 'utf8').trim().split('\n');
    expect(tickets).toHaveLength(9);
    expect(statSync(out.files.tickets).mode & 0o777).toBe(0o600);
    const deletes = (await mutations(sb())).filter((e) => e.method === 'DELETE').map((e) => decodeURIComponent(e.path));
    expect(deletes.filter((p) => p.startsWith('/api/v2/users/')).sort()).toEqual(['/api/v2/users/auth0|legacy-1070', '/api/v2/users/auth0|legacy-1071']);
    expect(deletes.filter((p) => p === `/api/v2/connections/${LEGACY_DB}/users`)).toHaveLength(8);
    for (const e of HEALTHY) expect(await sb().mgmt.users.listUsersByEmail({ email: e })).toHaveLength(1);
    expect(readdirSync(path.join(dir, 'unstick-state', 'backups'))).toHaveLength(2);
  });

  it('survives injected faults: 5xx, 429 bursts, dropped connections, and a fault after the effect', async () => {
    const dir = workdir();
    await sb().control.faults([
      { route: 'GET /api/v2/users-by-email', probability: 0.3, status: 503 },
      { route: 'DELETE /api/v2/connections/*/users', sequence: [429, 429, 'drop', 'ok', 503], after: false },
      { route: 'DELETE /api/v2/users/*', sequence: [503], after: true },
    ]);
    const r = await runCli(['batch', csv(dir, ['email', ...GHOSTS, ...STUCK, ...HEALTHY]), '--apply', '--yes', '--json'], { env: sb().env, cwd: dir });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).totals.outcomes).toEqual({ repaired: 8, 'nothing-to-do': 2 });
    await sb().control.faults([]);
    for (const e of [...GHOSTS, ...STUCK]) expect(await sb().mgmt.users.listUsersByEmail({ email: e })).toEqual([]);
    expect((await sb().control.state()).ghosts).toEqual([]);
  });

  it('import reattempt: the repaired users go back in one job from the legacy export', async () => {
    const dir = workdir();
    const exportFile = path.join(dir, 'legacy.json');
    writeFileSync(exportFile, JSON.stringify([...GHOSTS, ...STUCK].map((email, i) => ({ email, email_verified: true, user_id: `re-${i}`, app_metadata: { n: i } }))));
    const r = await runCli(['batch', csv(dir, ['email', ...GHOSTS, ...STUCK]), '--apply', '--yes', '--reattempt', `import:${exportFile}`, '--json'], { env: sb().env, cwd: dir });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).totals.outcomes).toEqual({ repaired: 8 });
    expect((await sb().control.state()).jobs).toHaveLength(1);
    for (const e of [...GHOSTS, ...STUCK]) expect(await sb().mgmt.users.listUsersByEmail({ email: e })).toHaveLength(1);
  });

  it('a second run on a journal in use is refused; --resume takes its settings from the journal', async () => {
    const dir = workdir();
    const r = await runCli(['batch', csv(dir, ['email', ...GHOSTS.slice(0, 2)]), '--apply', '--yes'], { env: sb().env, cwd: dir });
    expect(r.code).toBe(0);
    const journal = readdirSync(path.join(dir, 'unstick-state')).find((f) => f.endsWith('.journal.ndjson'))!;
    const journalPath = path.join(dir, 'unstick-state', journal);
    expect(r.stderr).toContain(`resume with: unstick batch --resume unstick-state/${journal} --yes`);
    writeFileSync(`${journalPath}.lock`, JSON.stringify({ pid: process.pid, since: 'now' }));
    const busy = await runCli(['batch', '--resume', journalPath, '--yes'], { env: sb().env, cwd: dir });
    expect(busy.code).toBe(75);
    expect(busy.stderr).toMatch(/is in use by process \d+/);
    writeFileSync(`${journalPath}.lock`, JSON.stringify({ pid: 999_999_999, since: 'long ago' })); // a dead run's lock
    await sb().control.clearJournal();
    const again = await runCli(['batch', '--resume', journalPath, '--yes'], { env: sb().env, cwd: dir });
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('resuming: 2 users finished earlier');
    expect(await mutations(sb())).toEqual([]);
    expect(existsSync(`${journalPath}.lock`)).toBe(false);
  });
});

describe('unstick batch: what a review found', () => {
  it('users a batch imported again are healthy to the next batch, even with another journal', async () => {
    const dir = workdir();
    const exportFile = path.join(dir, 'legacy.json');
    writeFileSync(exportFile, JSON.stringify(STUCK.map((email, i) => ({ email, email_verified: true, user_id: `re-${i}` }))));
    const file = csv(dir, ['email', ...STUCK]);
    expect((await runCli(['batch', file, '--apply', '--yes', '--reattempt', `import:${exportFile}`], { env: sb().env, cwd: dir })).code).toBe(0);
    await sb().control.clearJournal();
    const next = await runCli(['batch', file, '--apply', '--yes', '--json'], { env: sb().env, cwd: dir });
    expect(JSON.parse(next.stdout).totals.classifications).toEqual({ healthy: { 'nothing-to-do': 2 } });
    expect(await mutations(sb())).toEqual([]);
  });

  it('refuses a --report that is the input', async () => {
    const dir = workdir();
    const file = csv(dir, ['email', ...GHOSTS]);
    const r = await runCli(['batch', file, '--report', file], { env: sb().env, cwd: dir });
    expect(r.code).toBe(64);
    expect(r.stderr).toMatch(/--report .* is the input/);
    expect(readFileSync(file, 'utf8')).toContain(GHOSTS[0]);
  });
});

describe('unstick batch paces itself per endpoint group', () => {
  it('keeps every bucket under its limit: no 429 from the tenant, every user repaired', async () => {
    const dir = workdir();
    const limits = {
      burst: 100,
      perSecond: 200,
      groups: [
        { name: 'read-users', routes: ['GET /api/v2/users-by-email', 'GET /api/v2/users/*'], burst: 4, perSecond: 40 },
        { name: 'delete-users', routes: ['DELETE /api/v2/users/*'], burst: 2, perSecond: 20 },
        { name: 'other', routes: ['* /api/v2/**'], burst: 2, perSecond: 30 },
      ],
    };
    const res = await fetch(`${sb().running.url}/__sandbox/rate-limit`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(limits) });
    expect(res.status).toBe(200);
    const r = await runCli(['batch', csv(dir, ['email', ...GHOSTS, ...STUCK, ...HEALTHY]), '--apply', '--yes', '--concurrency', '8', '--json'], { env: sb().env, cwd: dir });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).totals.outcomes).toEqual({ repaired: 8, 'nothing-to-do': 2 });
    const stats = (await (await fetch(`${sb().running.url}/__sandbox/rate-limit`)).json()) as { limited: number; buckets: Array<{ name: string; taken: number; limited: number }> };
    expect(stats.buckets.map((b) => [b.name, b.limited])).toEqual([
      ['global', 0],
      ['read-users', 0],
      ['delete-users', 0],
      ['other', 0],
    ]);
    expect(stats.buckets.find((b) => b.name === 'read-users')!.taken).toBeGreaterThan(10);
  });
});

describe('unstick batch survives kill -9', () => {
  it('killed at random points and resumed until done: every affected user repaired, healthy ones untouched, one backup per deleted profile', async () => {
    const dir = workdir();
    // A tenant with many stuck users so kills land mid-run; latency makes every call take a while.
    const users = Array.from({ length: 30 }, (_, i) => ({ email: `stuck${i}@acme.com`, connection: 'legacy-db', user_id: `s-${i}`, password: 'pw', created_at: '2024-01-01T00:00:00.000Z' }));
    const healthy = Array.from({ length: 5 }, (_, i) => ({ email: `fine${i}@acme.com`, connection: 'legacy-db', user_id: `f-${i}`, password: 'pw', created_at: '2024-01-01T00:00:00.000Z', logins_count: 3, last_login: '2024-02-01T00:00:00.000Z' }));
    const ghosts = Array.from({ length: 30 }, (_, i) => ({ email: `ghost${i}@acme.com`, connection: 'legacy-db' }));
    await sb().control.reset({
      tenant: 'crash',
      connections: [{ name: 'legacy-db', id: LEGACY_DB, options: { enabledDatabaseCustomization: true, import_mode: true } }],
      users: [...users, ...healthy],
      ghosts,
      faults: [{ route: '* /api/v2/**', latencyMs: 15 }],
    });
    const file = csv(dir, ['email', ...users.map((u) => u.email), ...healthy.map((u) => u.email), ...ghosts.map((g) => g.email)]);
    const cli = path.resolve('bin/unstick.js');
    let journal: string | null = null;
    let finished = false;
    let kills = 0;
    for (let run = 0; run < 12 && !finished; run++) {
      const args = journal ? ['batch', '--resume', journal, '--yes'] : ['batch', file, '--apply', '--yes', '--concurrency', '4'];
      const child = spawn(process.execPath, [cli, ...args], { cwd: dir, env: sb().env, stdio: ['ignore', 'pipe', 'pipe'] });
      let err = '';
      child.stderr.on('data', (d) => (err += d));
      const killAt = run < 4 ? 400 + Math.floor(Math.random() * 800) : null;
      const timer = killAt ? setTimeout(() => child.kill('SIGKILL'), killAt) : null;
      const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
      if (timer) clearTimeout(timer);
      journal ??= /resume with: unstick batch --resume (\S+)/.exec(err)?.[1] ?? null;
      if (code === 0) finished = true;
      else if (code === null) kills++;
      else throw new Error(`batch exited ${code}: ${err}`);
      // A kill before the journal existed leaves nothing to resume: the next run starts the batch afresh.
    }
    expect(finished).toBe(true);
    expect(kills).toBeGreaterThanOrEqual(2); // the run was really cut short, more than once
    for (const u of users) expect(await sb().mgmt.users.listUsersByEmail({ email: u.email })).toEqual([]);
    for (const u of healthy) expect(await sb().mgmt.users.listUsersByEmail({ email: u.email })).toHaveLength(1);
    expect((await sb().control.state()).ghosts).toEqual([]);
    const backups = readdirSync(path.join(dir, 'unstick-state', 'backups'));
    expect(backups.filter((f) => f.endsWith('.json'))).toHaveLength(users.length);
    expect(backups.filter((f) => f.includes('.partial'))).toEqual([]);
    expect(new Set(backups.map((f) => f.split('_')[1])).size).toBe(users.length);
  }, 120_000);
});
