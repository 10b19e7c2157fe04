import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { startCli } from '../helpers/cli.js';

const bin = path.resolve('bin/unstick.js');
const tmp = mkdtempSync(path.join(tmpdir(), 'unstick-sandbox-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const run = (args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });

describe('unstick sandbox (the built CLI)', () => {
  it('prints one ready line, serves the official SDK over HTTPS, and exits 0 on SIGINT', async () => {
    const stateDir = path.join(tmp, 'state');
    const child = spawn(process.execPath, [bin, 'sandbox', '--state-dir', stateDir], { env: { ...process.env, NO_COLOR: '1' } });
    onTestFinished(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); // never leave a sandbox behind
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const lines = createInterface({ input: child.stdout });
    const first = await new Promise<string>((resolve, reject) => {
      lines.once('line', resolve);
      child.once('exit', (code) => reject(new Error(`sandbox exited ${code}: ${stderr}`)));
    });
    const ready = JSON.parse(first) as { domain: string; clientId: string; clientSecret: string; caCert: string };
    // stdout and stderr are separate pipes: give stderr's bytes a moment to arrive.
    for (let i = 0; i < 50 && !stderr.includes('Stop with Ctrl+C'); i++) await new Promise((r) => setTimeout(r, 20));
    expect(Object.keys(ready)).toEqual(['domain', 'clientId', 'clientSecret', 'caCert']);
    expect(ready.domain).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(ready.caCert).toBe(path.join(stateDir, 'ca.pem'));
    expect(stderr).toContain(`export AUTH0_DOMAIN=${ready.domain}`);
    expect(stderr).toContain(`NODE_EXTRA_CA_CERTS=${ready.caCert}`);

    // This process trusts the test CA, not this sandbox's: ask a child that trusts ready.caCert.
    const probe = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { ManagementClient } from 'auth0';
         const m = new ManagementClient({ domain: ${JSON.stringify(ready.domain)}, clientId: ${JSON.stringify(ready.clientId)}, clientSecret: ${JSON.stringify(ready.clientSecret)} });
         const page = await m.connections.list({ name: 'legacy-db' });
         console.log(JSON.stringify(page.data.map((c) => c.name)));`,
      ],
      { encoding: 'utf8', env: { ...process.env, NODE_EXTRA_CA_CERTS: ready.caCert } },
    );
    expect(probe.stderr).toBe('');
    expect(JSON.parse(probe.stdout)).toEqual(['legacy-db']);

    let extra = '';
    lines.on('line', (l) => (extra += l));
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(0);
    expect(extra).toBe(''); // exactly one line on stdout
  });

  it('exits 0 on SIGTERM too (run() aborts ctx.signal on SIGINT and SIGTERM)', async () => {
    const child = spawn(process.execPath, [bin, 'sandbox', '--state-dir', path.join(tmp, 'state-term')], { env: { ...process.env, NO_COLOR: '1' } });
    onTestFinished(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout }).once('line', resolve);
      child.once('exit', (code) => reject(new Error(`sandbox exited ${code}: ${stderr}`)));
    });
    child.kill('SIGTERM');
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.once('exit', (c, s) => resolve([c, s])));
    expect({ code, signal }).toEqual({ code: 0, signal: null });
  });

  it('a scenario that does not validate: 65 with file:line; missing: 66; bad port: 64', () => {
    const bad = path.join(tmp, 'bad.json');
    writeFileSync(bad, '{\n  "tenant": "t",\n  "connections": [ { "name": "db" } ],\n  "users": [ { "email": "x@y.z", "connection": "nope" } ]\n}\n');
    const r = run(['sandbox', '--scenario', bad]);
    expect(r.status).toBe(65);
    expect(r.stderr.split('\n')[0]).toMatch(new RegExp(`^error: ${bad.replace(/[.]/g, '\\.')}(:\\d+)?: users\\[0\\]\\.connection`));
    const broken = path.join(tmp, 'broken.json');
    writeFileSync(broken, '{\n  "tenant": "t",\n  "connections": [\n');
    const b = run(['sandbox', '--scenario', broken]);
    expect(b.status).toBe(65);
    expect(b.stderr).toMatch(new RegExp(`^error: ${broken.replace(/[.]/g, '\\.')}:\\d+: `));
    expect(run(['sandbox', '--scenario', path.join(tmp, 'missing.json')]).status).toBe(66);
    const port = run(['sandbox', '--port', 'eighty']);
    expect(port.status).toBe(64);
    expect(port.stderr).toContain('--port: expected a port number');
  });
});

describe('unstick sandbox in-process (the context seams)', () => {
  const scenario = path.resolve('examples/scenarios/acme-mixed.json');

  it('serves until ctx.signal aborts, then exits 0; a relative --state-dir resolves against ctx.cwd', async () => {
    const cwd = mkdtempSync(path.join(tmp, 'cwd-'));
    const cli = startCli(['sandbox', '--scenario', scenario, '--state-dir', 'rel-state'], { cwd });
    onTestFinished(() => cli.interrupt()); // never leave a sandbox behind
    const ready = JSON.parse(await cli.stdout.waitFor(/\{.*\}\n/, 15_000)) as { caCert: string };
    expect(ready.caCert).toBe(path.join(cwd, 'rel-state', 'ca.pem'));
    expect(cli.stderr.text()).toContain('Stop with Ctrl+C.');
    cli.interrupt();
    const { code, stderr } = await cli.done;
    expect(code).toBe(0);
    expect(stderr).not.toContain('interrupted');
  });

  it('without --state-dir it keeps its state under HOME from ctx.env', async () => {
    const home = mkdtempSync(path.join(tmp, 'home-'));
    const cli = startCli(['sandbox', '--scenario', scenario], { env: { PATH: process.env.PATH, HOME: home, NO_COLOR: '1' } });
    onTestFinished(() => cli.interrupt());
    const ready = JSON.parse(await cli.stdout.waitFor(/\{.*\}\n/, 15_000)) as { caCert: string };
    expect(ready.caCert).toBe(path.join(home, '.unstick', 'sandbox', 'ca.pem'));
    cli.interrupt();
    expect((await cli.done).code).toBe(0);
  });
});
