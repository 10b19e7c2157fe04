import { readFileSync } from 'node:fs';
import type { Command, Option } from 'commander';
import { ExitCode, UsageError } from '../errors.js';
import { packageFile } from '../package-file.js';
import { batchSpec } from './commands/batch.spec.js';
import { diagnoseSpec } from './commands/diagnose.spec.js';
import { disconnectSpec } from './commands/disconnect.spec.js';
import { doctorSpec } from './commands/doctor.spec.js';
import { inspectSpec } from './commands/inspect.spec.js';
import { logsSpec } from './commands/logs.spec.js';
import { metadataSpec } from './commands/metadata.spec.js';
import { repairSpec } from './commands/repair.spec.js';
import { sandboxSpec } from './commands/sandbox.spec.js';
import { verifySpec } from './commands/verify.spec.js';
import { createContext, type Context, type ContextOverrides } from './context.js';
import { attributeName, LONG_OPTION, parsedFor, type CommandEntry, type OptionSpec } from './spec.js';

/** Every command, in --help order. A new command is its spec file (commands/<name>.spec.ts) plus one entry here. */
export const COMMANDS: readonly CommandEntry[] = [diagnoseSpec, logsSpec, inspectSpec, repairSpec, batchSpec, verifySpec, metadataSpec, doctorSpec, disconnectSpec, sandboxSpec];

/**
 * Runs the CLI and returns the exit code; never throws and never calls process.exit. `commands`
 * is for tests that need a command of their own (a prompt probe); the CLI has COMMANDS.
 */
export async function run(argv: string[], overrides: ContextOverrides = {}, commands: readonly CommandEntry[] = COMMANDS): Promise<number> {
  // Ctrl+C and SIGTERM abort the context's signal: commands stop their work and the boundary
  // answers 130 (the sandbox, whose normal end this is, answers 0). Each listener is `once`: a
  // second Ctrl+C during the wind-down ends the process the hard way.
  const interrupt = new AbortController();
  const onSignal = () => interrupt.abort();
  if (!overrides.signal) {
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  }
  try {
    return await runWith(argv, { signal: interrupt.signal, ...overrides }, commands);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** The error boundary (./boundary.ts), loaded when there is an error to report. */
async function reportError(ctx: Context, err: unknown): Promise<number> {
  return (await import('./boundary.js')).reportError(ctx, err);
}

async function runWith(argv: string[], overrides: ContextOverrides, commands: readonly CommandEntry[]): Promise<number> {
  // --debug and --no-color shape the context, and the boundary needs it even when parsing fails.
  const ctx = createContext({ ...overrides, debug: argv.includes('--debug'), noColor: argv.includes('--no-color') });
  // A plain command line is read without loading commander (a good part of start-up time); the
  // command gets exactly what commander would give it. Anything else goes through commander.
  const quick = quickParse(argv, commands);
  if (quick) {
    try {
      return await quick.command.invoke(ctx, parsedFor(quick.command, quick.positionals, quick.values));
    } catch (err) {
      return reportError(ctx, err);
    }
  }
  const { CommanderError } = await import('commander');
  let code: number = ExitCode.ok;
  const program = await buildProgram(ctx, commands, (c) => {
    code = c;
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return ExitCode.ok;
      // Help shown because no command was given (or `help <unknown>`): usage was wrong.
      if (err.code === 'commander.help') return err.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
      const message = err.message.replace(/^error: /, '').replace(/\s*\n\s*/g, ' ');
      const command = err.code === 'commander.unknownCommand' ? null : program.args[0];
      return reportError(ctx, new UsageError(message, { hint: `run "unstick ${command ? `${command} ` : ''}--help" for usage` }));
    }
    return reportError(ctx, err);
  }
}

async function buildProgram(ctx: Context, commands: readonly CommandEntry[], setCode: (code: number) => void): Promise<Command> {
  const { Command } = await import('commander');
  const pkg = JSON.parse(readFileSync(packageFile('package.json'), 'utf8')) as { version: string };
  const program = new Command('unstick')
    .description('Find and repair Auth0 users whose migration got stuck ("The user already exists.", DUPLICATED_USER).')
    .version(pkg.version, '-V, --version')
    .option('--debug', 'print stack traces for errors')
    .option('--no-color', 'disable colors (NO_COLOR is honoured too)')
    .showSuggestionAfterError()
    .configureOutput({
      writeOut: (s) => ctx.stdout.write(s),
      writeErr: (s) => ctx.stderr.write(s),
      outputError: () => {}, // the boundary prints errors
    })
    .exitOverride();
  program.addHelpText('after', '\nExit codes: see docs/exit-codes.md. Docs: README.md.');

  for (const spec of commands) addCommand(program, ctx, spec, setCode);
  return program;
}

/** Declares `spec` on the program. Its action reads the typed args, then loads and runs the command. */
function addCommand(program: Command, ctx: Context, spec: CommandEntry, setCode: (code: number) => void): void {
  const command = program.command(spec.name).description(spec.description);
  for (const a of spec.arguments ?? []) command.argument(a.name, a.description);
  for (const o of spec.options) command.addOption(commanderOption(command, o));
  if (spec.help) command.addHelpText('after', `\n${spec.help}`);
  // Commands load lazily (in invoke): start-up time counts in every run (and in the log benchmark).
  command.action(async () => setCode(await spec.invoke(ctx, parsedFor(spec, command.processedArgs, command.opts()))));
}

/** The commander Option for a spec. */
function commanderOption(command: Command, spec: OptionSpec): Option {
  const o = command.createOption(spec.flags, spec.description);
  if (spec.choices) o.choices(spec.choices);
  if (spec.default !== undefined) o.default(spec.default);
  if (spec.conflicts) o.conflicts([...spec.conflicts]);
  return o;
}

/** The program's own flags and help: a command line with any of them goes through commander. */
const PROGRAM_FLAGS: ReadonlySet<string> = new Set(['-V', '--version', '--debug', '--no-color', '-h', '--help']);

/** A command line read without commander: what commander would pass the command's action. */
export interface QuickParse {
  command: CommandEntry;
  /** As `command.processedArgs`: one entry per declared argument (a variadic one an array). */
  positionals: unknown[];
  /** As `command.opts()`: defaults, then the options given. */
  values: Record<string, unknown>;
}

/**
 * Reads the common command line the way commander reads it, or returns null. It reads `argv` only
 * when the first word names one command and every other word is either one of that command's long
 * options, given once (a switch, or an option and then its value, which does not start with "-"
 * and is one of the choices if it has them), or an operand that does not start with "-" ("-" alone
 * is stdin), with as many operands as the arguments take and no two conflicting options. Anything
 * else is null and goes through commander, which answers it (help, -V, --debug, --no-color,
 * `--opt=value`, `--`, short, unknown or repeated options, a missing or extra operand, a wrong
 * choice, conflicts) as before. test/cli/quick-parse.test.ts runs both on the same command lines.
 */
export function quickParse(argv: readonly string[], commands: readonly CommandEntry[]): QuickParse | null {
  const [name, ...words] = argv;
  const named = commands.filter((c) => c.name === name);
  if (named.length !== 1) return null;
  const command = named[0]!;
  const shape = simpleShape(command);
  if (!shape) return null;
  const given = new Map<SimpleOption, string | true>();
  const operands: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (!word.startsWith('-') || word === '-') {
      operands.push(word);
      continue;
    }
    const option = shape.options.get(word);
    if (!option || given.has(option)) return null;
    if (option.spec.kind === 'flag') {
      given.set(option, true);
      continue;
    }
    const value = words[++i];
    if (value === undefined || value.startsWith('-') || (option.spec.choices && !option.spec.choices.includes(value))) return null;
    given.set(option, value);
  }
  if (operands.length < shape.required || (!shape.variadic && operands.length > shape.arguments.length)) return null;
  const keys = new Set([...given.keys()].map((o) => o.key));
  for (const option of given.keys()) if (option.spec.conflicts?.some((other) => keys.has(other))) return null;
  const values: Record<string, unknown> = {};
  for (const o of shape.options.values()) if (o.spec.default !== undefined) values[o.key] = o.spec.default;
  for (const [o, value] of given) values[o.key] = value;
  const positionals = shape.arguments.map((a, i) => (a.variadic ? operands.slice(i) : operands[i]));
  return { command, positionals, values };
}

interface SimpleOption {
  spec: OptionSpec;
  /** Its key in command.opts(). */
  key: string;
}

interface SimpleShape {
  /** By long flag, in the spec's order. */
  options: Map<string, SimpleOption>;
  arguments: { variadic: boolean }[];
  required: number;
  variadic: boolean;
}

/**
 * The command's options and arguments when quickParse can read them as commander does: options
 * `--name` (a switch) or `--name <value>` (spec.LONG_OPTION), none negated (`--no-x`), variadic or
 * a program flag; arguments `<x>`, `[x]`, `<x...>` or `[x...]`, required ones first, only the last
 * variadic. Null for any other command: it always goes through commander.
 */
function simpleShape(command: CommandEntry): SimpleShape | null {
  // commander takes a command's name up to the first space, and a first word with "-" for an option.
  if (command.name === '' || command.name.includes(' ') || command.name.startsWith('-')) return null;
  const options = new Map<string, SimpleOption>();
  const keys = new Set<string>();
  for (const spec of command.options) {
    const [, name, value] = LONG_OPTION.exec(spec.flags) ?? [];
    if (name === undefined || name.startsWith('no-') || PROGRAM_FLAGS.has(`--${name}`)) return null;
    if (spec.kind === 'flag' ? value !== undefined : value === undefined || value.endsWith('...>')) return null;
    const key = attributeName(spec.flags);
    if (options.has(`--${name}`) || keys.has(key)) return null;
    options.set(`--${name}`, { spec, key });
    keys.add(key);
  }
  const args = (command.arguments ?? []).map((a) => /^(?:<([^<>]+)>|\[([^[\]]+)\])$/.exec(a.name));
  if (args.some((m) => m === null)) return null;
  const shaped = args.map((m) => ({ required: m![1] !== undefined, variadic: (m![1] ?? m![2])!.endsWith('...') }));
  const required = shaped.filter((a) => a.required).length;
  if (shaped.some((a, i) => (a.required && i >= required) || (a.variadic && i !== shaped.length - 1))) return null;
  return { options, arguments: shaped, required, variadic: shaped.at(-1)?.variadic ?? false };
}
