import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { ExitCode, UsageError } from '../errors.js';
import { reportError } from './boundary.js';
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
import { commanderOption, parsedFor, type CommandEntry } from './spec.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

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

async function runWith(argv: string[], overrides: ContextOverrides, commands: readonly CommandEntry[]): Promise<number> {
  // --debug and --no-color shape the context, and the boundary needs it even when parsing fails.
  const ctx = createContext({ ...overrides, debug: argv.includes('--debug'), noColor: argv.includes('--no-color') });
  let code: number = ExitCode.ok;
  const program = buildProgram(ctx, commands, (c) => {
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

function buildProgram(ctx: Context, commands: readonly CommandEntry[], setCode: (code: number) => void): Command {
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
  for (const o of spec.options) command.addOption(commanderOption(o));
  if (spec.help) command.addHelpText('after', `\n${spec.help}`);
  // Commands load lazily (in invoke): start-up time counts in every run (and in the log benchmark).
  command.action(async () => setCode(await spec.invoke(ctx, parsedFor(spec, command.processedArgs, command.opts()))));
}
