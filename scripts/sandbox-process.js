// Shared by the demo and the sandbox benchmark: run `unstick sandbox` as its own process, as a user
// does, and run SDK code against it from a process that trusts its CA.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../bin/unstick.js', import.meta.url));

/** Starts `unstick sandbox ARGS` and resolves once its one ready line is printed. */
export async function startSandboxProcess(args, { showLog = false } = {}) {
  const child = spawn(process.execPath, [cli, 'sandbox', ...args], { stdio: ['ignore', 'pipe', showLog ? 'inherit' : 'pipe'] });
  let log = '';
  child.stderr?.on('data', (d) => (log += d));
  const line = await new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`the sandbox exited with ${code}: ${log}`)));
  });
  return {
    ready: JSON.parse(line),
    stop: async () => {
      child.kill('SIGTERM');
      if (child.exitCode === null) await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

/**
 * Runs `script` in a child process that trusts the sandbox CA (Node reads NODE_EXTRA_CA_CERTS only
 * at start), with the ready line in UNSTICK_SANDBOX. Resolves with its exit code.
 */
export function runTrustingSandbox(script, ready, argv = [], env = {}) {
  const child = spawn(process.execPath, [path.resolve(script), ...argv], {
    stdio: 'inherit',
    env: { ...process.env, ...env, UNSTICK_SANDBOX: JSON.stringify(ready), NODE_EXTRA_CA_CERTS: ready.caCert },
  });
  return new Promise((resolve) => child.once('exit', (code) => resolve(code ?? 1)));
}
