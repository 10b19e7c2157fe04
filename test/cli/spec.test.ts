import { describe, expect, it } from 'vitest';
import { diagnoseSpec } from '../../src/cli/commands/diagnose.spec.js';
import { sandboxSpec } from '../../src/cli/commands/sandbox.spec.js';
import { COMMANDS } from '../../src/cli/main.js';
import { connectionOption, jsonOption, yesOption } from '../../src/cli/options.js';
import { argument, choice, defineCommand, flag, option, parsedFor } from '../../src/cli/spec.js';
import { UsageError } from '../../src/errors.js';
import { runCli, startCli } from '../helpers/cli.js';

const emails = argument('<emails...>', 'who');
const reattempt = choice('--reattempt <mode>', 'how', ['login', 'import', 'none'], { default: 'login' });
const backupDir = option('--backup-dir <dir>', 'where');
const dryRun = flag('--dry-run', 'show the plan only');

describe('command specs', () => {
  it('parse reads typed values back through the same option and argument values', () => {
    const spec = { name: 'repair', arguments: [emails], options: [connectionOption, yesOption, jsonOption, dryRun, reattempt, backupDir] };
    const input = parsedFor(spec, [['a@x.com', 'b@x.com']], { connection: 'legacy-db', yes: true, reattempt: 'import' });
    expect(input.get(emails)).toEqual(['a@x.com', 'b@x.com']);
    expect(input.get(connectionOption)).toBe('legacy-db');
    expect(input.get(yesOption)).toBe(true);
    expect(input.get(jsonOption)).toBe(false); // a switch not given is false, not undefined
    expect(input.get(dryRun)).toBe(false);
    expect(input.get(reattempt)).toBe('import');
    expect(input.get(backupDir)).toBeUndefined();
    // A shared option reworded by a command is still read back by the shared value.
    const reworded = { ...connectionOption, description: 'other words' };
    expect(parsedFor({ name: 'x', options: [reworded] }, [], { connection: 'db' }).get(connectionOption)).toBe('db');
  });

  it('reading an option or argument the spec does not declare is a bug, not a silent undefined', () => {
    const input = parsedFor({ name: 'repair', options: [yesOption] }, [], {});
    expect(() => input.get(dryRun)).toThrow('unstick bug: "repair" reads option --dry-run, which its spec does not declare');
    expect(() => input.get(emails)).toThrow('unstick bug: "repair" reads argument <emails...>, which its spec does not declare');
    expect(() => parsedFor({ name: 'x', options: [backupDir] }, [], { backupDir: true }).get(backupDir)).toThrow(/unstick bug/);
  });

  it('through the CLI: an undeclared read exits 70; a usage error from parse exits 64 without loading the command', async () => {
    let loaded = 0;
    const broken = defineCommand({
      name: 'broken',
      description: 'reads what it does not declare',
      options: [yesOption],
      parse: (input) => ({ dryRun: input.get(dryRun) }),
      load: async () => {
        loaded++;
        return async () => 0;
      },
    });
    const strict = defineCommand({
      name: 'strict',
      description: 'rejects its input',
      options: [backupDir],
      parse: (input) => {
        if (!input.get(backupDir)?.startsWith('/')) throw new UsageError('--backup-dir: expected an absolute path');
        return {};
      },
      load: async () => {
        loaded++;
        return async () => 0;
      },
    });
    const commands = [...COMMANDS, broken, strict];
    const bug = await startCli(['broken'], { commands }).done;
    expect(bug.code).toBe(70);
    expect(bug.stderr.split('\n')[0]).toBe('internal error: unstick bug: "broken" reads option --dry-run, which its spec does not declare');
    const usage = await startCli(['strict', '--backup-dir', 'rel'], { commands }).done;
    expect(usage).toEqual({ code: 64, stdout: '', stderr: 'error: --backup-dir: expected an absolute path\n' });
    expect(loaded).toBe(0);
    const unknown = await startCli(['strict', '--yes'], { commands }).done;
    expect(unknown).toEqual({ code: 64, stdout: '', stderr: `error: unknown option '--yes'\nhint: run "unstick strict --help" for usage\n` });
  });

  it('the existing commands: parse gives typed args (output mode, port number), help says what --connection does', async () => {
    const d = parsedFor(diagnoseSpec, [['examples/logs']], { csv: true, tz: 'UTC' });
    expect(diagnoseSpec.parse(d)).toEqual({
      inputs: ['examples/logs'],
      tenant: false,
      jobs: [],
      confirm: false,
      since: undefined,
      until: undefined,
      connection: undefined,
      output: 'csv',
      tz: 'UTC',
      format: undefined,
    });
    expect(diagnoseSpec.parse(parsedFor(diagnoseSpec, [[]], { tenant: true, job: 'job_A1,job_B2', confirm: true, tz: 'UTC' }))).toMatchObject({ inputs: [], tenant: true, jobs: ['job_A1', 'job_B2'], confirm: true });
    expect(sandboxSpec.parse(parsedFor(sandboxSpec, [], { port: '8443' }))).toEqual({ scenario: undefined, port: 8443, stateDir: undefined });
    expect(() => sandboxSpec.parse(parsedFor(sandboxSpec, [], { port: '80.5' }))).toThrow('--port: expected a port number 0-65535, got "80.5"');
    const help = await runCli(['diagnose', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout.replace(/\s+/g, ' ')).toContain(
      '--connection <name|id> only events on this connection (name or con_ id); events naming no connection are left out and counted in a note',
    );
  });
});
