import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { diagnoseSpec } from '../../src/cli/commands/diagnose.spec.js';
import { useSandbox } from '../helpers/sandbox.js';

// bin/unstick.js run as installed: through its sh launcher, not `node bin/unstick.js`. (NODE_OPTIONS, which keeps the bundle, is cleared where not under test.)
const bin = path.resolve('bin/unstick.js');
const tmp = mkdtempSync(path.join(tmpdir(), 'unstick-launcher-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// A bundle that does not exist: Node warns about it on stderr exactly when it tries to read it.
const bundle = path.join(tmp, 'no-such-bundle.pem');
const readByNode = (stderr: string) => stderr.includes(`Ignoring extra certs from \`${bundle}\``);
const run = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  spawnSync(bin, args, { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', NODE_EXTRA_CA_CERTS: bundle, NODE_OPTIONS: undefined, ...env }, timeout: 60_000 });

const log = path.join(tmp, 'stream.jsonl');
writeFileSync(log, `${JSON.stringify({ log_id: '1', data: { date: '2024-05-02T10:00:00Z', type: 'fs', description: 'The user already exists.', user_name: 'jane.doe@acme.com', connection: 'legacy-db' } })}\n`);

// Where Node reads the bundle only when TLS first needs it, there is nothing to hold back.
const nodeReadsAtStart = readByNode(spawnSync(process.execPath, ['-e', '0'], { encoding: 'utf8', env: { ...process.env, NODE_EXTRA_CA_CERTS: bundle } }).stderr);

/** The diagnose options that open a connection to the tenant: the launcher must keep the bundle for them. */
const CONNECTING = ['--tenant', '--job', '--confirm'];
/** A value for each diagnose option that takes one. */
const SAMPLE: Record<string, string> = { '--since': '3000d', '--until': '2025-01-01T00:00:00Z', '--connection': 'legacy-db', '--tz': 'Europe/Paris', '--format': 'log-stream', '--job': 'job_abc123' };
const optionsOf = diagnoseSpec.options.map((o) => ({ long: o.flags.split(/[ ,]+/).find((w) => w.startsWith('--'))!, takesValue: o.kind === 'value' }));

describe('bin/unstick.js launcher: NODE_EXTRA_CA_CERTS for a diagnose that connects nowhere', () => {
  it('runs the CLI through sh as installed, with and without the variable', () => {
    expect(run(['--version'], { NODE_EXTRA_CA_CERTS: undefined }).stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const r = run(['diagnose', log, '--json']);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).findings.map((f: { email: string }) => f.email)).toEqual(['jane.doe@acme.com']);
  });

  it('the connecting options are diagnose options (a renamed one must be renamed here too)', () => {
    expect(optionsOf.map((o) => o.long)).toEqual(expect.arrayContaining(CONNECTING));
  });

  it.runIf(nodeReadsAtStart)('holds it back from Node for diagnose with every option that only reads files, in both spellings, and for stdin', () => {
    const offline = optionsOf.filter((o) => !CONNECTING.includes(o.long));
    expect(offline.length).toBeGreaterThan(5);
    for (const { long, takesValue } of offline) {
      if (takesValue && !(long in SAMPLE)) throw new Error(`no sample value for ${long}: add one to SAMPLE (or to CONNECTING if it connects)`);
      const spellings = takesValue ? [[long, SAMPLE[long]!], [`${long}=${SAMPLE[long]}`]] : [[long]];
      for (const words of spellings) {
        const r = run(['diagnose', log, ...words]);
        expect(r.status, `${words.join(' ')}: ${r.stderr}`).toBe(0);
        expect(readByNode(r.stderr), words.join(' ')).toBe(false);
      }
    }
    const stdin = spawnSync(bin, ['diagnose', '-', '--json'], { encoding: 'utf8', input: '', env: { ...process.env, NODE_EXTRA_CA_CERTS: bundle, NODE_OPTIONS: undefined } });
    expect(stdin.status).toBe(0);
    expect(readByNode(stdin.stderr)).toBe(false);
  });

  it.runIf(nodeReadsAtStart)('keeps it for what connects or what it does not know: --tenant, --job, --confirm, any other dash word, any other command', () => {
    const kept = [
      ['diagnose', log, '--confirm'],
      ['diagnose', '--since', '2d', '--tenant'],
      ['diagnose', '--job', 'job_abc123'],
      ['diagnose', '--job=job_abc123'],
      ['diagnose', log, '--no-such-option'],
      ['diagnose', '--', log],
      ['diagnose', log, '-h'],
      ['--debug', 'diagnose', log],
      ['repair', '--help'],
      ['batch', '--help'],
      ['--version'],
    ];
    for (const args of kept) expect(readByNode(run(args).stderr), args.join(' ')).toBe(true);
  });

  it.runIf(nodeReadsAtStart)('keeps it where NODE_OPTIONS preloads code, which runs before the launcher\'s JavaScript and may connect', () => {
    expect(readByNode(run(['diagnose', log, '--json'], { NODE_OPTIONS: '--max-old-space-size=512' }).stderr)).toBe(true);
  });

  it('the JavaScript puts a held-back variable back, so what the process starts sees it as it was', () => {
    const probe = path.join(tmp, 'probe.mjs');
    writeFileSync(probe, "process.on('exit', () => process.stderr.write(`env=${JSON.stringify({ extra: process.env.NODE_EXTRA_CA_CERTS ?? null, deferred: process.env.UNSTICK_DEFERRED_CA_CERTS ?? null })}\\n`));\n");
    // As the launcher leaves it: the variable held back under the launcher's name.
    const env: NodeJS.ProcessEnv = { ...process.env, UNSTICK_DEFERRED_CA_CERTS: bundle };
    delete env.NODE_EXTRA_CA_CERTS;
    const r = spawnSync(process.execPath, ['--import', pathToFileURL(probe).href, bin, 'diagnose', log, '--json'], { encoding: 'utf8', env });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(/env=(.*)/.exec(r.stderr)![1]!)).toEqual({ extra: bundle, deferred: null });
  });

  describe('against the sandbox (its CA named by NODE_EXTRA_CA_CERTS)', () => {
    const sb = useSandbox();
    // Spawned without blocking: the sandbox answers from this process.
    it('a diagnose that connects trusts that CA through the launcher: --tenant --confirm reads and confirms over HTTPS', async () => {
      const { stdout } = await promisify(execFile)(bin, ['diagnose', '--tenant', '--since', '1000d', '--confirm', '--json'], { encoding: 'utf8', cwd: tmp, env: sb().env, timeout: 60_000 });
      const doc = JSON.parse(stdout);
      expect(doc.confirmed).toBe(true);
      expect(doc.findings.find((f: { email: string }) => f.email === 'jane.doe@acme.com').classification).toBe('ghost-suspect');
    });
  });
});
