import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ExitCode, InputDataError, InputMissingError, UsageError } from '../../errors.js';
import { parseScenario, ScenarioError, type Scenario } from '../../sandbox/scenario.js';
import { startSandbox } from '../../sandbox/server.js';
import type { Context } from '../context.js';

export interface SandboxArgs {
  scenario?: string | undefined;
  port?: string | undefined;
  stateDir?: string | undefined;
}

/** The shipped mixed tenant: what `unstick sandbox` serves when no scenario is named. */
export const DEFAULT_SCENARIO = fileURLToPath(new URL('../../../examples/scenarios/acme-mixed.json', import.meta.url));

export async function sandbox(ctx: Context, args: SandboxArgs, until: Promise<unknown> = stopSignal()): Promise<number> {
  const port = parsePort(args.port);
  const scenarioPath = args.scenario ?? DEFAULT_SCENARIO;
  const scenario = await loadScenario(scenarioPath);
  const stateDir = path.resolve(args.stateDir ?? path.join(homedir(), '.unstick', 'sandbox'));
  const warn = (message: string) => ctx.stderr.write(`${ctx.color.err.yellow('warning:')} ${message}\n`);
  const running = await startSandbox({ scenario, stateDir, port, warn }).catch((err: NodeJS.ErrnoException) => {
    const hint = 'choose another port, or omit --port to get a free one';
    if (err.code === 'EADDRINUSE') throw new UsageError(`--port ${port}: the port is in use`, { hint });
    if (err.code === 'EACCES' && err.syscall === 'listen') throw new UsageError(`--port ${port}: permission denied (ports below 1024 need privileges)`, { hint });
    if (err.code === 'EACCES' || err.code === 'EPERM' || err.code === 'EROFS' || err.code === 'ENOTDIR') {
      throw new UsageError(`--state-dir ${stateDir}: cannot write the certificates there (${err.code})`, { hint: 'point --state-dir at a directory you can write' });
    }
    throw err;
  });
  ctx.stderr.write(
    `sandbox tenant "${scenario.tenant}" (${path.relative(process.cwd(), scenarioPath) || scenarioPath}) listening on https://${running.domain}\n` +
      `  export AUTH0_DOMAIN=${running.domain} AUTH0_CLIENT_ID=${running.clientId} AUTH0_CLIENT_SECRET=${running.clientSecret} NODE_EXTRA_CA_CERTS=${running.caCertPath}\n` +
      `  state: GET https://${running.domain}/__sandbox/state   journal: GET /__sandbox/journal   reset: POST /__sandbox/reset\n` +
      `Stop with Ctrl+C.\n`,
  );
  // The ready line comes last: whoever waits for it can rely on everything above being written.
  const ready = { domain: running.domain, clientId: running.clientId, clientSecret: running.clientSecret, caCert: running.caCertPath };
  ctx.stdout.write(`${JSON.stringify(ready)}\n`);
  await until;
  await running.close();
  return ExitCode.ok;
}

function parsePort(value: string | undefined): number {
  if (value === undefined) return 0;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`--port: expected a port number 0-65535, got "${value}"`);
  return n;
}

async function loadScenario(file: string): Promise<Scenario> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new InputMissingError(file);
    throw new InputDataError(`cannot read the scenario: ${(err as Error).message}`, file);
  }
  try {
    return parseScenario(text, file);
  } catch (err) {
    if (err instanceof ScenarioError) throw new InputDataError(err.message, err.line ? `${file}:${err.line}` : file, { hint: 'the scenario format is in docs/sandbox.md' });
    throw err;
  }
}

/** Resolves on SIGINT or SIGTERM: stopping the sandbox is its normal end, so it exits 0. */
function stopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
