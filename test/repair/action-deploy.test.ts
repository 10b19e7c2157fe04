import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { useSandbox } from '../helpers/sandbox.js';

const sb = useSandbox();
const workdir = () => mkdtempSync(path.join(tmpdir(), 'unstick-action-'));
const SECRETS = { LEGACY_API_URL: 'https://legacy.example.test/users', LEGACY_API_TOKEN: 'legacy-token-value-123' };

describe('unstick metadata action', () => {
  it('prints the Action, secrets by name only', async () => {
    const r = await runCli(['metadata', 'action', '--marker', 'app_metadata.legacy_customer_id'], { env: sb().env, cwd: workdir() });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('exports.onExecutePostLogin');
    expect(r.stdout).toContain('legacy_customer_id');
    expect(r.stderr).toMatch(/LEGACY_API_URL .*LEGACY_API_TOKEN/);
  });

  it('--deploy creates, deploys and binds it after the Actions already bound; the secret values never show', async () => {
    // Another post-login Action the tenant already runs: it must stay bound.
    const other = await sb().mgmt.actions.create({ name: 'existing-action', supported_triggers: [{ id: 'post-login', version: 'v3' }], code: 'exports.onExecutePostLogin = async () => {};' } as never);
    for (let i = 0; i < 50 && (await sb().mgmt.actions.get(other.id!)).status !== 'built'; i++) await new Promise((r) => setTimeout(r, 50));
    await sb().mgmt.actions.deploy(other.id!);
    await sb().mgmt.actions.triggers.bindings.updateMany('post-login' as never, { bindings: [{ ref: { type: 'action_id', value: other.id! }, display_name: 'existing-action' }] } as never);

    const missing = await runCli(['metadata', 'action', '--deploy', '--yes'], { env: sb().env, cwd: workdir() });
    expect(missing.code).toBe(64);
    expect(missing.stderr).toContain('set LEGACY_API_URL and LEGACY_API_TOKEN in the environment');

    const r = await runCli(['metadata', 'action', '--deploy', '--yes', '--json'], { env: { ...sb().env, ...SECRETS }, cwd: workdir() });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.bindings).toEqual(['existing-action', 'unstick-restore-legacy-metadata']);
    for (const text of [r.stdout, r.stderr]) expect(text).not.toContain(SECRETS.LEGACY_API_TOKEN);
    const again = await runCli(['metadata', 'action', '--deploy', '--yes', '--json'], { env: { ...sb().env, ...SECRETS }, cwd: workdir() });
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout).bindings).toEqual(['existing-action', 'unstick-restore-legacy-metadata']);
  });
});
