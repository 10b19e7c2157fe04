import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { LEGACY_DB, useSandbox, type TestSandbox } from '../helpers/sandbox.js';

const sb = useSandbox();
const workdir = () => mkdtempSync(path.join(tmpdir(), 'unstick-metadata-'));
const patches = async (s: TestSandbox) => (await s.control.journal()).filter((e) => e.method === 'PATCH').map((e) => decodeURIComponent(e.path));
const user = async (s: TestSandbox, email: string) => (await s.mgmt.users.listUsersByEmail({ email })).find((u) => u.identities?.[0]?.connection === 'legacy-db')!;

function backup(dir: string, email: string, meta: { user_metadata?: object; app_metadata?: object }, where: { tenant?: string; connection?: string } = {}): string {
  const folder = path.join(dir, 'unstick-state', 'backups');
  mkdirSync(folder, { recursive: true });
  const file = path.join(folder, `2026-12-01T00-00-00-000Z_${email}_auth0_x.json`);
  writeFileSync(file, JSON.stringify({ format: 'unstick-backup/1', taken_at: '2026-12-01T00:00:00.000Z', tenant: where.tenant ?? sb().running.domain, connection: { id: where.connection ?? LEGACY_DB, name: 'legacy-db' }, email, profile: { user_id: 'auth0|x', email, ...meta } }));
  return folder;
}

describe('unstick metadata restore', () => {
  it('sets only the keys the profile lacks; existing keys stay as they are; a dry run writes nothing', async () => {
    const cwd = workdir();
    const before = await user(sb(), 'alice.ng@acme.com');
    const [existing] = Object.keys(before.user_metadata ?? {});
    backup(cwd, 'alice.ng@acme.com', { user_metadata: { [existing!]: 'from the backup', restored: { nested: true } }, app_metadata: { extra: 1 } });
    await sb().control.clearJournal();
    const dry = await runCli(['metadata', 'restore', '--json'], { env: sb().env, cwd });
    expect(dry.code).toBe(0);
    expect(JSON.parse(dry.stdout).users[0]).toMatchObject({ outcome: 'planned', keys: { user_metadata: ['restored'], app_metadata: ['extra'] } });
    expect(await patches(sb())).toEqual([]);

    const r = await runCli(['metadata', 'restore', '--apply', '--yes', '--json'], { env: sb().env, cwd });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).users[0]).toMatchObject({ outcome: 'patched' });
    const after = await user(sb(), 'alice.ng@acme.com');
    expect(after.user_metadata).toEqual({ ...before.user_metadata, restored: { nested: true } });
    expect(after.app_metadata).toEqual({ ...before.app_metadata, extra: 1 });
    expect((after.user_metadata as Record<string, unknown>)[existing!]).toEqual((before.user_metadata as Record<string, unknown>)[existing!]);
  });

  it('a backup from another tenant or connection is not restored here', async () => {
    const cwd = workdir();
    backup(cwd, 'ken.ito@acme.com', { app_metadata: { roles: ['admin'] } }, { tenant: 'prod.eu.auth0.com' });
    const r = await runCli(['metadata', 'restore', '--apply', '--yes', '--json'], { env: sb().env, cwd });
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).users[0]).toMatchObject({ outcome: 'skipped', detail: expect.stringMatching(/taken on prod\.eu\.auth0\.com/) });
    expect(await patches(sb())).toEqual([]);
  });

  it('an interrupted restore, run again, finishes without patching anyone twice', async () => {
    const cwd = workdir();
    backup(cwd, 'ken.ito@acme.com', { user_metadata: { language: 'ja' } });
    backup(cwd, 'dave.kim@acme.com', { app_metadata: { restored_at: 'now' } });
    await sb().control.faults([{ route: 'PATCH /api/v2/users/*', sequence: ['ok', 503, 503, 503, 503, 503] }]);
    const first = await runCli(['metadata', 'restore', '--apply', '--yes'], { env: sb().env, cwd });
    expect(first.code).toBe(75);
    await sb().control.faults([]);
    await sb().control.clearJournal();
    const again = await runCli(['metadata', 'restore', '--apply', '--yes', '--json'], { env: sb().env, cwd });
    expect(again.code).toBe(0);
    const outcomes = Object.fromEntries(JSON.parse(again.stdout).users.map((u: { email: string; outcome: string }) => [u.email, u.outcome]));
    expect(Object.values(outcomes).sort()).toEqual(['nothing-to-do', 'patched']);
    expect(await patches(sb())).toHaveLength(1);
  });
});

describe('unstick metadata backfill', () => {
  it('from a JSON legacy export (Auth0 import schema)', async () => {
    const cwd = workdir();
    const file = path.join(cwd, 'legacy.json');
    writeFileSync(file, JSON.stringify([{ email: 'Ken.Ito@acme.com', user_metadata: { language: 'ja' }, app_metadata: { plan: 'gold', legacy_id: 'C-1030' } }]));
    const r = await runCli(['metadata', 'backfill', '--from', file, '--apply', '--yes'], { env: sb().env, cwd });
    expect(r.code).toBe(0);
    const ken = await user(sb(), 'ken.ito@acme.com');
    expect(ken.user_metadata).toEqual({ language: 'ja' });
    expect(ken.app_metadata).toEqual({ plan: 'gold', legacy_id: 'C-1030' });
  });

  it('from a CSV legacy export, with one column per key or a JSON column; users not migrated are skipped', async () => {
    const cwd = workdir();
    const file = path.join(cwd, 'legacy.csv');
    writeFileSync(file, 'email,user_metadata.language,app_metadata\r\nken.ito@acme.com,ja,"{""plan"":""gold""}"\r\nbob.smith@acme.com,en,{}\r\n');
    const r = await runCli(['metadata', 'backfill', '--from', file, '--apply', '--yes', '--json'], { env: sb().env, cwd });
    const users = JSON.parse(r.stdout).users;
    expect(users.map((u: { email: string; outcome: string }) => [u.email, u.outcome])).toEqual([
      ['ken.ito@acme.com', 'patched'],
      ['bob.smith@acme.com', 'skipped'],
    ]);
    expect(r.code).toBe(1);
    const ken = await user(sb(), 'ken.ito@acme.com');
    expect([ken.user_metadata, ken.app_metadata]).toEqual([{ language: 'ja' }, { plan: 'gold' }]);
  });
});
