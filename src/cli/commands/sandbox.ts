import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { ExitCode, InputDataError, InputMissingError, UsageError } from '../../errors.js';
import { packageFile } from '../../package-file.js';
import { parseScenario, ScenarioError, type Scenario } from '../../sandbox/scenario.js';
import { startSandbox } from '../../sandbox/server.js';
import type { Context } from '../context.js';
import { warn } from '../output.js';
import type { SandboxArgs } from './sandbox.spec.js';

/** The shipped mixed tenant: what `unstick sandbox` serves when no scenario is named. */
const DEFAULT_SCENARIO = packageFile('examples/scenarios/acme-mixed.json');

/** Serves until ctx.signal aborts (Ctrl+C, SIGTERM): stopping is the sandbox's normal end, so that is exit 0. */
export async function sandbox(ctx: Context, args: SandboxArgs): Promise<number> {
  const { port } = args;
  const scenarioPath = args.scenario ?? DEFAULT_SCENARIO;
  const scenarioFile = path.resolve(ctx.cwd, scenarioPath);
  const scenario = await loadScenario(scenarioPath, scenarioFile);
  const home = ctx.env.HOME || homedir();
  const stateDir = path.resolve(ctx.cwd, args.stateDir ?? path.join(home, '.unstick', 'sandbox'));
  const running = await startSandbox({ scenario, stateDir, port, warn: (message) => warn(ctx, message) }).catch((err: NodeJS.ErrnoException) => {
    const hint = 'choose another port, or omit --port to get a free one';
    if (err.code === 'EADDRINUSE') throw new UsageError(`--port ${port}: the port is in use`, { hint });
    if (err.code === 'EACCES' && err.syscall === 'listen') throw new UsageError(`--port ${port}: permission denied (ports below 1024 need privileges)`, { hint });
    if (err.code === 'EACCES' || err.code === 'EPERM' || err.code === 'EROFS' || err.code === 'ENOTDIR') {
      throw new UsageError(`--state-dir ${stateDir}: cannot write the certificates there (${err.code})`, { hint: 'point --state-dir at a directory you can write' });
    }
    throw err;
  });
  ctx.stderr.write(
    `sandbox tenant "${scenario.tenant}" (${path.relative(ctx.cwd, scenarioFile) || scenarioPath}) listening on https://${running.domain}\n` +
      `  export AUTH0_DOMAIN=${running.domain} AUTH0_CLIENT_ID=${running.clientId} AUTH0_CLIENT_SECRET=${running.clientSecret} NODE_EXTRA_CA_CERTS=${running.caCertPath}\n` +
      `  state: GET https://${running.domain}/__sandbox/state   journal: GET /__sandbox/journal   reset: POST /__sandbox/reset\n` +
      `Stop with Ctrl+C.\n`,
  );
  // The ready line comes last: whoever waits for it can rely on everything above being written.
  const ready = { domain: running.domain, clientId: running.clientId, clientSecret: running.clientSecret, caCert: running.caCertPath };
  ctx.stdout.write(`${JSON.stringify(ready)}\n`);
  await aborted(ctx.signal);
  await running.close();
  return ExitCode.ok;
}

/** `file` as given names it in messages; `resolved` (against ctx.cwd) is what is read. */
async function loadScenario(file: string, resolved: string): Promise<Scenario> {
  let text: string;
  try {
    text = await readFile(resolved, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new InputMissingError(file);
    throw new InputDataError(`cannot read the scenario: ${(err as Error).message}`, file);
  }
  try {
    return parseScenario(text, file);
  } catch (err) {
    if (err instanceof ScenarioError) throw new InputDataError(err.message, err.location, { hint: 'the scenario format is in docs/sandbox.md' });
    throw err;
  }
}

/** Resolves when `signal` aborts (at once if it has). */
function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    signal.addEventListener('abort', () => resolve(), { once: true });
  });
}
