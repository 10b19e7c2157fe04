import type { TenantApi } from '../tenant/types.js';
import type { Writable } from 'node:stream';

interface TenantInputs {
  env: NodeJS.ProcessEnv;
  cwd: string;
  signal: AbortSignal;
  sleep: (ms: number) => Promise<void>;
  stderr: Writable;
  debug: boolean;
}

/**
 * The default `ctx.tenant()`: configuration from the environment and ./.env, read on the first call
 * (commands that never reach Auth0 never need credentials), then one client for the whole run.
 */
export function tenantFactory(inputs: TenantInputs): () => Promise<TenantApi> {
  let tenant: TenantApi | undefined;
  return async () => {
    if (tenant) return tenant;
    // Loaded here, not at start-up: the SDK is large and diagnose never needs it.
    const [{ openTenant }, { resolveTenantConfig }] = await Promise.all([import('../tenant/client.js'), import('../tenant/config.js')]);
    tenant = openTenant(resolveTenantConfig(inputs.env, inputs.cwd), {
      signal: inputs.signal,
      pacing: {
        signal: inputs.signal,
        sleep: (ms) => inputs.sleep(ms),
        // Long waits are worth a line: the engineer should know the tenant's rate limit, not a hang, is why.
        onWait: (w) => {
          if (w.ms >= 2000 || inputs.debug) {
            const why = w.reason === 'rate-limit' ? 'rate limit reached' : `Auth0 answered ${w.status ?? 'nothing'}`;
            inputs.stderr.write(`waiting ${(w.ms / 1000).toFixed(1)} s: ${why} (${w.method} ${w.path})\n`);
          }
        },
      },
    });
    return tenant;
  };
}
