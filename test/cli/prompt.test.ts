import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { requireConfirmation } from '../../src/cli/confirm.js';
import { createContext } from '../../src/cli/context.js';
import { COMMANDS } from '../../src/cli/main.js';
import { jsonOption, yesOption } from '../../src/cli/options.js';
import type { Prompter } from '../../src/cli/prompt.js';
import { argument, defineCommand } from '../../src/cli/spec.js';
import { InterruptedError, UsageError } from '../../src/errors.js';
import { KEY, startCli } from '../helpers/cli.js';

/**
 * A command that only asks, defined the way real commands are (a spec with shared options), so
 * these tests drive real inquirer prompts through run(), the boundary and the in-process TTY.
 */
const question = argument('<question>', 'confirm, select, input or gate');
const probe = defineCommand<{ question: string; yes: boolean; json: boolean }>({
  name: 'probe',
  description: 'asks one question (tests only)',
  arguments: [question],
  options: [yesOption, jsonOption],
  parse: (input) => ({ question: input.get(question), yes: input.get(yesOption), json: input.get(jsonOption) }),
  load: async () => async (ctx, args) => {
    const answer = async (): Promise<unknown> => {
      switch (args.question) {
        case 'confirm':
          return ctx.prompt.confirm('Delete the connection user?');
        case 'select':
          return ctx.prompt.select('Reattempt how?', [
            { value: 'login', name: 'at next login', description: 'the user logs in and migrates again' },
            { value: 'import', name: 'by import job' },
            { value: 'none', name: 'not at all' },
          ]);
        case 'input':
          return ctx.prompt.input('Backup directory', { validate: (v) => v.startsWith('/') || 'an absolute path, please' });
        case 'gate':
          // Nothing may change before the gate: "changed" is written only after it says yes.
          if (!(await requireConfirmation(ctx, args.yes, 'the probe change'))) return 'declined';
          return 'changed';
        default:
          throw new Error(args.question);
      }
    };
    ctx.stdout.write(`${JSON.stringify(await answer())}\n`);
    return 0;
  },
});
const commands = [...COMMANDS, probe];
const tty = { tty: true, commands };

describe('real prompts over the in-process terminal (startCli)', () => {
  it('confirm: "y" + Enter answers yes; the question is on stderr, stdout has only the result', async () => {
    const cli = startCli(['probe', 'confirm'], tty);
    expect(await cli.stderr.waitFor('Delete the connection user? (y/N)')).toMatch(/\? Delete the connection user\? \(y\/N\)$/);
    cli.stdin.write('y' + KEY.enter);
    const { code, stdout } = await cli.done;
    expect(code).toBe(0);
    expect(stdout).toBe('true\n');
    expect(cli.stderr.text()).toContain('✔ Delete the connection user? Yes');
    expect(stdout).not.toContain('Delete');
  });

  it('confirm: "n" + Enter answers no, and Enter alone is no too', async () => {
    const no = startCli(['probe', 'confirm'], tty);
    await no.stderr.waitFor('Delete the connection user?');
    no.stdin.write('n' + KEY.enter);
    expect(await no.done).toMatchObject({ code: 0, stdout: 'false\n' });
    expect(no.stderr.text()).toContain('✔ Delete the connection user? No');

    const enter = startCli(['probe', 'confirm'], tty);
    await enter.stderr.waitFor('Delete the connection user?');
    enter.stdin.write(KEY.enter);
    expect(await enter.done).toMatchObject({ code: 0, stdout: 'false\n' });
  });

  it('select: arrow down + Enter picks the second choice; choices and descriptions are drawn on stderr', async () => {
    const cli = startCli(['probe', 'select'], tty);
    const screen = await cli.stderr.waitFor('not at all');
    expect(screen).toContain('❯ at next login');
    expect(screen).toContain('by import job');
    cli.stdin.write(KEY.down);
    await cli.stderr.waitFor('❯ by import job');
    cli.stdin.write(KEY.enter);
    const { code, stdout } = await cli.done;
    expect(code).toBe(0);
    expect(stdout).toBe('"import"\n');
    expect(cli.stderr.text()).toContain('✔ Reattempt how? by import job');
  });

  it('input: validate shows its message and asks again', async () => {
    const cli = startCli(['probe', 'input'], tty);
    await cli.stderr.waitFor('Backup directory');
    cli.stdin.write('tmp' + KEY.enter);
    await cli.stderr.waitFor('> an absolute path, please');
    cli.stdin.write('\u007f'.repeat(3) + '/var/backups' + KEY.enter); // three backspaces, then a good answer
    expect(await cli.done).toMatchObject({ code: 0, stdout: '"/var/backups"\n' });
  });

  it('prompts use the context colors: styled on a terminal, plain under NO_COLOR', async () => {
    const colored = startCli(['probe', 'confirm'], tty);
    await colored.stderr.waitFor('Delete');
    colored.stdin.write(KEY.enter);
    await colored.done;
    expect(colored.stderr.raw()).toContain('\u001b[1mDelete the connection user?');

    const plain = startCli(['probe', 'confirm'], { ...tty, env: { ...process.env, NO_COLOR: '1' } });
    await plain.stderr.waitFor('Delete');
    plain.stdin.write(KEY.enter);
    await plain.done;
    expect(plain.stderr.raw()).toContain('? Delete the connection user? (y/N)');
    expect(plain.stderr.raw()).not.toMatch(/\u001b\[\d+m/); // cursor moves remain, colors do not
  });

  it('an interrupt (the signal Ctrl+C aborts) during a prompt ends with "interrupted" and 130', async () => {
    const cli = startCli(['probe', 'confirm'], tty);
    await cli.stderr.waitFor('Delete the connection user?');
    cli.interrupt();
    const { code, stdout, stderr } = await cli.done;
    expect(code).toBe(130);
    expect(stdout).toBe('');
    expect(stderr.endsWith('interrupted\n')).toBe(true);
  });

  it('Ctrl+C typed into a prompt (raw mode: a key, not a signal) also ends with 130', async () => {
    const cli = startCli(['probe', 'select'], tty);
    await cli.stderr.waitFor('Reattempt how?');
    cli.stdin.write(KEY.ctrlC);
    const { code, stdout, stderr } = await cli.done;
    expect(code).toBe(130);
    expect(stdout).toBe('');
    expect(stderr.endsWith('interrupted\n')).toBe(true);
  });
});

describe('requireConfirmation', () => {
  it('--yes goes ahead without asking, on a terminal or not', async () => {
    const onTty = startCli(['probe', 'gate', '--yes'], tty);
    expect(await onTty.done).toEqual({ code: 0, stdout: '"changed"\n', stderr: '' });
    const piped = startCli(['probe', 'gate', '--yes'], { commands });
    expect(await piped.done).toEqual({ code: 0, stdout: '"changed"\n', stderr: '' });
  });

  it('no terminal and no --yes: a usage error (64) naming --yes, before anything changes', async () => {
    const cli = startCli(['probe', 'gate'], { commands });
    expect(await cli.done).toEqual({
      code: 64,
      stdout: '',
      stderr: 'error: the probe change needs confirmation: pass --yes when stdin is not a terminal\n',
    });
  });

  it('on a terminal it asks (default No): yes goes ahead, no declines', async () => {
    const yes = startCli(['probe', 'gate'], tty);
    await yes.stderr.waitFor('Continue with the probe change? (y/N)');
    yes.stdin.write('y' + KEY.enter);
    expect(await yes.done).toMatchObject({ code: 0, stdout: '"changed"\n' });

    const no = startCli(['probe', 'gate'], tty);
    await no.stderr.waitFor('Continue with the probe change?');
    no.stdin.write(KEY.enter);
    expect(await no.done).toMatchObject({ code: 0, stdout: '"declined"\n' });
  });

  it('names stderr when stdin is a terminal but stderr is not (prompts are drawn on stderr)', async () => {
    const asked: string[] = [];
    const prompt: Prompter = {
      confirm: async (message) => (asked.push(message), true),
      select: async () => {
        throw new Error('not asked');
      },
      input: async () => {
        throw new Error('not asked');
      },
    };
    const stdin = Object.assign(new PassThrough(), { isTTY: true });
    const ctx = createContext({ stdin, stderr: new PassThrough(), stdout: new PassThrough(), env: {}, prompt });
    expect(ctx.canPrompt).toBe(false);
    await expect(requireConfirmation(ctx, undefined, 'the repair')).rejects.toThrow(
      new UsageError('the repair needs confirmation: pass --yes when stderr is not a terminal (prompts are drawn there)'),
    );
    expect(asked).toEqual([]);
    // A test prompter stands in for inquirer, the way gh's mock prompter does.
    const both = createContext({ stdin, stderr: Object.assign(new PassThrough(), { isTTY: true }), env: {}, prompt });
    expect(both.canPrompt).toBe(true);
    expect(await requireConfirmation(both, false, 'the repair', { message: 'Delete jane?' })).toBe(true);
    expect(asked).toEqual(['Delete jane?']);
  });
});

describe('Context seams', () => {
  it('canPrompt needs stdin and stderr to be terminals; every field can be overridden', () => {
    const tty = () => Object.assign(new PassThrough(), { isTTY: true });
    expect(createContext({ stdin: tty(), stderr: tty() }).canPrompt).toBe(true);
    expect(createContext({ stdin: new PassThrough(), stderr: tty() }).canPrompt).toBe(false);
    expect(createContext({ stdin: tty(), stderr: tty(), canPrompt: false }).canPrompt).toBe(false);
    expect(createContext({ cwd: '/srv/tickets' }).cwd).toBe('/srv/tickets');
    expect(createContext().cwd).toBe(process.cwd());
  });

  it('sleep waits, and rejects with InterruptedError as soon as the signal aborts', async () => {
    const interrupt = new AbortController();
    const ctx = createContext({ signal: interrupt.signal });
    const started = Date.now();
    await ctx.sleep(20);
    expect(Date.now() - started).toBeGreaterThanOrEqual(15);
    const long = ctx.sleep(60_000);
    interrupt.abort();
    await expect(long).rejects.toBeInstanceOf(InterruptedError);
    await expect(ctx.sleep(1)).rejects.toBeInstanceOf(InterruptedError); // already aborted
  });
});
