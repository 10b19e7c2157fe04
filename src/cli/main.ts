import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { ExitCode, UsageError } from '../errors.js';
import { LOG_FORMATS } from '../logs/types.js';
import { reportError } from './boundary.js';
import { createContext, type Context } from './context.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

/** Runs the CLI and returns the exit code; never throws and never calls process.exit. */
export async function run(argv: string[], overrides: Partial<Omit<Context, 'color'>> = {}): Promise<number> {
  // Ctrl+C aborts the context's signal; commands stop their work and the boundary answers 130.
  const interrupt = new AbortController();
  const onSigint = () => interrupt.abort();
  if (!overrides.signal) process.once('SIGINT', onSigint);
  try {
    return await runWith(argv, { signal: interrupt.signal, ...overrides });
  } finally {
    process.off('SIGINT', onSigint);
  }
}

async function runWith(argv: string[], overrides: Partial<Omit<Context, 'color'>>): Promise<number> {
  // --debug and --no-color shape the context, and the boundary needs it even when parsing fails.
  const ctx = createContext({ ...overrides, debug: argv.includes('--debug'), noColor: argv.includes('--no-color') });
  let code: number = ExitCode.ok;
  const program = buildProgram(ctx, (c) => {
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

function buildProgram(ctx: Context, setCode: (code: number) => void): Command {
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

  program
    .command('diagnose')
    .description('read Auth0 logs (tenant logs, log streams, import job errors, webtask output) and list stuck users')
    .argument('<inputs...>', 'log files, directories (read recursively) or - for stdin; .gz is read transparently')
    .option('--since <time>', 'only events at or after this time: ISO 8601 or a duration back from now (36h, 7d)')
    .option('--until <time>', 'only events at or before this time: ISO 8601 or a duration back from now')
    .option('--connection <name>', 'only events on this connection (name or con_ id); events naming no connection are kept')
    .addOption(new Option('--json', 'one JSON document on stdout').conflicts('csv'))
    .addOption(new Option('--csv', 'one CSV row per user, email first (the batch-repair input)').conflicts('json'))
    .option('--tz <zone>', 'time zone for human output (IANA name, UTC or local)', 'UTC')
    .addOption(new Option('--format <format>', 'read every input as this format instead of detecting it').choices(LOG_FORMATS))
    .addHelpText(
      'after',
      `
Examples:
  $ unstick diagnose examples/logs
  $ unstick diagnose stream-*.jsonl.gz --since 7d --connection legacy-db --csv > stuck.csv
  $ pbpaste | unstick diagnose - --json`,
    )
    .action(async (inputs: string[], opts: Record<string, unknown>) => {
      // Commands load lazily: start-up time counts in every run (and in the log benchmark).
      const { diagnose } = await import('./commands/diagnose.js');
      setCode(await diagnose(ctx, { inputs, ...opts }));
    });

  program
    .command('sandbox')
    .description('run a local Auth0 stand-in (Management API over HTTPS) that reproduces stuck migrations, for rehearsal')
    .option('--scenario <file>', 'tenant to load (JSON, see docs/sandbox.md); default: examples/scenarios/acme-mixed.json')
    .option('--port <n>', 'port to listen on (default: a free one)')
    .option('--state-dir <dir>', 'where the CA certificate and client credentials are kept (default: ~/.unstick/sandbox)')
    .addHelpText(
      'after',
      `
Prints one JSON line when ready: {"domain","clientId","clientSecret","caCert"}.
Trust the CA with NODE_EXTRA_CA_CERTS=<caCert> and any Auth0 SDK reaches it like a tenant.

Examples:
  $ unstick sandbox
  $ unstick sandbox --scenario examples/scenarios/large-10k.json --port 8443`,
    )
    .action(async (opts: Record<string, string | undefined>) => {
      const { sandbox } = await import('./commands/sandbox.js');
      setCode(await sandbox(ctx, opts));
    });

  return program;
}
