import { Option } from 'commander';
import { describe, expect, it } from 'vitest';
import { COMMANDS, quickParse } from '../../src/cli/main.js';
import { argument, attributeName, choice, defineCommand, flag, option, type ArgumentSpec, type CommandEntry, type OptionSpec, type Parsed } from '../../src/cli/spec.js';
import { runCli } from '../helpers/cli.js';

/**
 * main.ts reads a plain command line without commander (quickParse) and hands everything else to
 * commander. These tests run both on the same command lines and require the same result: a `--`
 * at the end of a command line changes nothing for commander, and always sends it there.
 */

/** Each command, its action replaced by a record of what it was given (every option and argument, read back; its typed args). */
function recording(commands: readonly CommandEntry[]) {
  let seen: unknown = null;
  const wrapped = commands.map((entry) => ({
    ...entry,
    invoke: async (_ctx: unknown, input: Parsed) => {
      const read = (spec: Parameters<Parsed['get']>[0]) => {
        try {
          return input.get(spec);
        } catch (err) {
          return `throws: ${(err as Error).message}`;
        }
      };
      const typed = (() => {
        const parse = (entry as { parse?: (input: Parsed) => unknown }).parse;
        try {
          return parse ? parse(input) : null;
        } catch (err) {
          return `throws: ${(err as Error).message}`;
        }
      })();
      seen = {
        command: entry.name,
        options: entry.options.map((o) => [o.flags, read(o)]),
        arguments: (entry.arguments ?? []).map((a) => [a.name, read(a)]),
        typed,
      };
      return 0;
    },
  }));
  return {
    commands: wrapped,
    async run(argv: string[]) {
      seen = null;
      const result = await runCli(argv, { env: {}, signal: new AbortController().signal, commands: wrapped });
      return { ...result, seen };
    },
  };
}

/** Command lines for `entry`: plain ones (quickParse reads them) and every kind it leaves to commander. */
function commandLines(entry: CommandEntry): string[][] {
  const name = entry.name;
  const valueOf = (o: OptionSpec) => (o.choices ? o.choices[o.choices.length - 1]! : 'v1');
  const words = (o: OptionSpec) => (o.kind === 'flag' ? [o.flags] : [o.flags.split(' ')[0]!, valueOf(o)]);
  const long = (o: OptionSpec) => o.flags.split(' ')[0]!;
  const lines: string[][] = [[name], [name, 'a'], [name, 'a', 'b'], [name, 'a', 'b', 'c'], [name, '-'], [name, ''], [name, 'a', '-', 'b']];
  for (const o of entry.options) {
    lines.push([name, ...words(o)], [name, 'a', ...words(o)], [name, ...words(o), 'a', 'b'], [name, ...words(o), ...words(o)]);
    if (o.kind === 'value') {
      lines.push([name, long(o)], [name, 'a', long(o)], [name, long(o), '-x'], [name, long(o), '-'], [name, long(o), '--json'], [name, `${long(o)}=v2`], [name, long(o), 'help']);
      if (o.choices) lines.push([name, long(o), 'not-a-choice', 'a']);
    } else {
      lines.push([name, `${o.flags}=1`]);
    }
  }
  for (const [i, a] of entry.options.entries()) for (const b of entry.options.slice(i + 1)) lines.push([name, 'a', ...words(a), ...words(b)]);
  lines.push([name, ...entry.options.flatMap(words), 'a']);
  for (const odd of ['--help', '-h', '-V', '--version', '--debug', '--no-color', '--', '--nope', '-x', '-1', '--json=1']) {
    lines.push([name, odd], [name, 'a', odd], [odd, name, 'a']);
  }
  lines.push(['help', name], [name.toUpperCase(), 'a'], [`${name}x`, 'a']);
  return lines;
}

describe('quickParse: the common command line without commander', () => {
  it('names each option as commander does (the key of command.opts())', () => {
    const flags = [...COMMANDS.flatMap((c) => c.options.map((o) => o.flags)), '-y, --yes', '--no-color', '--ws, --workspace <name>', '-V', '--dry-run-now', '-n, --no-prompt'];
    for (const f of flags) expect(attributeName(f), f).toBe(new Option(f).attributeName());
  });

  it('reads the usual diagnose command lines itself', () => {
    for (const argv of [
      ['diagnose', '--json', '/tmp/tiny.jsonl'],
      ['diagnose', 'examples/logs', '--since', '7d', '--connection', 'legacy-db', '--csv'],
      ['diagnose', '-', '--json'],
      ['diagnose', '--tenant', '--since', '2d', '--confirm'],
      ['diagnose', '--job', 'job_abc123', '--csv', '--confirm'],
      ['repair', 'jane.doe@acme.com', '--dry-run'],
      ['batch', 'stuck.csv', '--apply', '--yes', '--reattempt', 'ticket'],
    ]) {
      expect(quickParse(argv, COMMANDS), argv.join(' ')).not.toBeNull();
    }
    const parsed = quickParse(['diagnose', 'a', '--format', 'text', 'b', '--json'], COMMANDS)!;
    expect(parsed.command.name).toBe('diagnose');
    expect(parsed.positionals).toEqual([['a', 'b']]);
    expect(parsed.values).toEqual({ tz: 'UTC', format: 'text', json: true });
  });

  it('leaves help, version, program flags, `--`, `=`, short, unknown, repeated and conflicting options to commander', () => {
    for (const argv of [
      [],
      ['help', 'diagnose'],
      ['diagnose', '--help'],
      ['diagnose', 'x', '-h'],
      ['-V'],
      ['diagnose', '-V'],
      ['diagnose', 'x', '--debug'],
      ['--no-color', 'diagnose', 'x'],
      ['diagnose', '--', 'x'],
      ['diagnose', '--tz=UTC', 'x'],
      ['diagnose', '--jsn', 'x'],
      ['diagnose', '--json', '--json', 'x'],
      ['diagnose', '--json', '--csv', 'x'],
      ['diagnose', '--since', '-3', 'x'],
      ['diagnose', '--format', 'nope', 'x'],
      ['diagnose', 'x', '--since'],
      ['inspect'],
      ['doctor', 'extra'],
      ['diagnos', 'x'],
    ]) {
      expect(quickParse(argv, COMMANDS), argv.join(' ')).toBeNull();
    }
  });

  it('gives every command exactly what commander gives it, on every command line it reads', async () => {
    // A `--` at the end changes nothing for commander after a complete command line (the last word
    // an operand, a switch or an option's value), and sends it through commander.
    const cli = recording(COMMANDS);
    let quick = 0;
    let total = 0;
    for (const entry of COMMANDS) {
      for (const argv of commandLines(entry)) {
        total++;
        if (!quickParse(argv, cli.commands)) continue;
        quick++;
        const viaCommander = await cli.run([...argv, '--']);
        expect(viaCommander.code, argv.join(' ')).toBe(0);
        expect(await cli.run(argv), argv.join(' ')).toEqual(viaCommander);
      }
    }
    // Both kinds were met, many times each (the others go through commander as they always did).
    expect(quick).toBeGreaterThan(300);
    expect(total - quick).toBeGreaterThan(300);
  });

  it('commands shaped otherwise (short or negated flags, optional values, a program flag) always go through commander', async () => {
    const probe = (options: OptionSpec[], args: ArgumentSpec[] = [argument('[x]', 'x')]) =>
      defineCommand({ name: 'probe', description: 'p', arguments: args, options, parse: () => ({}), load: async () => async () => 0 });
    const odd: OptionSpec[] = [flag('-y, --yes', 'y'), flag('--no-prompt', 'n'), option('--pick [value]', 'p'), flag('--debug', 'd'), option('--many <v...>', 'm'), { flags: '--bad', description: 'b', kind: 'value' }];
    for (const o of odd) {
      const cmd = probe([o, choice('--mode <m>', 'm', ['a', 'b'])]);
      const words = o.flags.split(/[ ,]+/).filter((w) => w.startsWith('-'));
      for (const argv of [['probe'], ['probe', 'x'], ['probe', '--mode', 'a'], ...words.flatMap((w) => [['probe', 'x', w], ['probe', w, 'v', 'x']])]) {
        expect(quickParse(argv, [cmd]), `${o.flags}: ${argv.join(' ')}`).toBeNull();
      }
    }
    // A required argument after an optional one, a variadic one before the last: commander's rules, not ours.
    for (const args of [[argument('[a]', 'a'), argument('<b>', 'b')], [argument('<a...>', 'a'), argument('[b]', 'b')]]) {
      expect(quickParse(['probe', 'x', 'y'], [probe([], args)])).toBeNull();
    }
    // The simple shape itself is read without commander, arguments of every kind included.
    const plain = probe([flag('--yes', 'y'), option('--out <file>', 'o', { default: 'o.txt' })], [argument('<a>', 'a'), argument('[b]', 'b'), argument('[rest...]', 'r')]);
    expect(quickParse(['probe', 'x', '--yes'], [plain])).toMatchObject({ positionals: ['x', undefined, []], values: { out: 'o.txt', yes: true } });
    expect(quickParse(['probe', 'x', 'y', 'z', 'w'], [plain])).toMatchObject({ positionals: ['x', 'y', ['z', 'w']], values: { out: 'o.txt' } });
    expect(quickParse(['probe'], [plain])).toBeNull();
    const cli = recording([plain]);
    for (const argv of [['probe', 'x'], ['probe', 'x', 'y', '--out', 'f', 'z'], ['probe', '--yes', 'x', 'y', 'z', 'w'], ['probe']]) {
      expect(await cli.run(argv), argv.join(' ')).toEqual(await cli.run([...argv, '--']));
    }
  });
});
