import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it, onTestFinished } from 'vitest';

/**
 * Start-up time counts in every run, so `unstick diagnose FILE` loads only what it uses: the spec
 * of each command, the diagnose command and the log readers. These run the built CLI with a module
 * hook that lists every module loaded, and check that the rest stays unloaded until it is needed.
 */
function loadedModules(args: string[], env: NodeJS.ProcessEnv = {}): { code: number | null; stdout: string; stderr: string; modules: string[]; files: string[] } {
  const dir = mkdtempSync(path.join(tmpdir(), 'unstick-startup-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  const list = path.join(dir, 'loaded.txt');
  const hooks = path.join(dir, 'hooks.mjs');
  writeFileSync(
    hooks,
    `import { appendFileSync } from 'node:fs';\nexport async function load(url, context, next) {\n  appendFileSync(${JSON.stringify(list)}, url + '\\n');\n  return next(url, context);\n}\n`,
  );
  const register = path.join(dir, 'register.mjs');
  writeFileSync(register, `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`);
  writeFileSync(list, '');
  const result = spawnSync(process.execPath, ['--import', pathToFileURL(register).href, path.resolve('bin/unstick.js'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '', FORCE_COLOR: '', ...env },
  });
  const root = pathToFileURL(path.resolve('.')).href + '/';
  const files = readFileSync(list, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((url) => url.replace(root, '').replace(/^.*\/node_modules\//, 'node_modules/'));
  // What runs is the bundle: each chunk loaded stands for the modules built into it.
  const chunks = JSON.parse(readFileSync('dist/bundle/meta.json', 'utf8')) as Record<string, string[]>;
  const modules = files.flatMap((file) => (file.startsWith('dist/bundle/') ? (chunks[file.slice('dist/bundle/'.length)] ?? [file]) : [file]));
  return { code: result.status, stdout: result.stdout, stderr: result.stderr, modules, files };
}

const packageOf = (m: string) => /^node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(m)?.[1];

describe('start-up: what `unstick diagnose FILE` loads', () => {
  it('--json on a log file: no commander, chalk, prompts, SDK, tenant, repair or sandbox code', () => {
    const run = loadedModules(['diagnose', '--json', 'examples/logs/stream.jsonl']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).findings.length).toBeGreaterThan(0);
    const packages = new Set(run.modules.map(packageOf).filter(Boolean));
    for (const unused of ['commander', 'chalk', 'inquirer', '@inquirer/prompts', '@inquirer/core', 'auth0', 'node-forge', 'csv-parse', 'cli-progress']) {
      expect(packages.has(unused), unused).toBe(false);
    }
    // Bundled (scripts/build-bundle.js): a few chunks, not a file per module.
    const files = run.files.filter((m) => m.startsWith('dist/'));
    expect(files.every((m) => m.startsWith('dist/bundle/')), files.join(' ')).toBe(true);
    expect(files.length).toBeLessThan(20);
    expect(run.modules.filter((m) => m.startsWith('dist/')).length).toBeGreaterThan(40);
    const ours = run.modules.filter((m) => m.startsWith('dist/'));
    expect(ours).toContain('dist/cli/commands/diagnose.js');
    expect(ours.filter((m) => /^dist\/(repair|tenant|sandbox)\//.test(m))).toEqual([]);
    expect(ours.filter((m) => /^dist\/cli\/(prompt|tenant|boundary|evidence|confirm)\.js$/.test(m))).toEqual([]);
    // Other commands' code: only their specs (for --help and parsing).
    expect(ours.filter((m) => /^dist\/cli\/commands\/(?!diagnose\.js$)[^/]+(?<!\.spec)\.js$/.test(m))).toEqual([]);
  });

  it('what a run needs is still loaded when it needs it: colors for a warning, commander for help and usage errors', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'unstick-startup-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const notALog = path.join(dir, 'not-a-log.json');
    writeFileSync(notALog, '{"a":1}\n');
    const warned = loadedModules(['diagnose', notALog, 'examples/logs/stream.jsonl'], { FORCE_COLOR: '1' });
    expect(warned.code).toBe(0);
    expect(warned.stderr).toBe(`\u001b[33mwarning:\u001b[39m ${notALog}: JSON, but not Auth0 log records; skipped\n`);
    // (chalk is required synchronously, a load the hook does not see: the colors show it is there.)

    const help = loadedModules(['diagnose', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: unstick diagnose \[options\] \[inputs\.\.\.\]/);
    expect(help.modules.some((m) => packageOf(m) === 'commander')).toBe(true);

    const usage = loadedModules(['diagnose', '--jsn', 'x']);
    expect(usage).toMatchObject({ code: 64, stdout: '', stderr: `error: unknown option '--jsn' (Did you mean --json?)\nhint: run "unstick diagnose --help" for usage\n` });
    expect(usage.modules).toContain('dist/cli/boundary.js');
  });
});
