import { UsageError } from '../../errors.js';
import { defineCommand, option } from '../spec.js';

export interface SandboxArgs {
  /** Default: the shipped mixed tenant. */
  scenario: string | undefined;
  /** 0: a free port. */
  port: number;
  /** Default: ~/.unstick/sandbox. */
  stateDir: string | undefined;
}

const scenario = option('--scenario <file>', 'tenant to load (JSON, see docs/sandbox.md); default: examples/scenarios/acme-mixed.json');
const port = option('--port <n>', 'port to listen on (default: a free one)');
const stateDir = option('--state-dir <dir>', 'where the CA certificate and client credentials are kept (default: ~/.unstick/sandbox)');

export const sandboxSpec = defineCommand<SandboxArgs>({
  name: 'sandbox',
  description: 'run a local Auth0 stand-in (Management API over HTTPS) that reproduces stuck migrations, for rehearsal',
  options: [scenario, port, stateDir],
  help: `Prints one JSON line when ready: {"domain","clientId","clientSecret","caCert"}.
Trust the CA with NODE_EXTRA_CA_CERTS=<caCert> and any Auth0 SDK reaches it like a tenant.

Examples:
  $ unstick sandbox
  $ unstick sandbox --scenario examples/scenarios/large-10k.json --port 8443`,
  parse: (input) => ({ scenario: input.get(scenario), port: parsePort(input.get(port)), stateDir: input.get(stateDir) }),
  load: async () => (await import('./sandbox.js')).sandbox,
});

function parsePort(value: string | undefined): number {
  if (value === undefined) return 0;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`--port: expected a port number 0-65535, got "${value}"`);
  return n;
}
