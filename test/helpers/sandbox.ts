import { readFileSync } from 'node:fs';
import { ManagementClient, ManagementError } from 'auth0';
import { expect } from 'vitest';
import { parseScenario } from '../../src/sandbox/scenario.js';
import { startSandbox, type RunningSandbox, type SandboxOptions } from '../../src/sandbox/server.js';

export const ACME_SCENARIO = 'examples/scenarios/acme-mixed.json';

export interface TestSandbox {
  running: RunningSandbox;
  /** The official SDK, as the product uses it (retries off unless asked for). */
  mgmt: ManagementClient;
  client(options?: { clientId?: string; clientSecret?: string; maxRetries?: number }): ManagementClient;
  control: {
    state(): Promise<any>;
    journal(): Promise<Array<{ method: string; path: string; query: Record<string, string | string[]>; status: number; time: string; ms: number }>>;
    clearJournal(): Promise<void>;
    reset(scenario?: object): Promise<void>;
    faults(specs: object[]): Promise<Response>;
    /** Simulated end-user actions under /__sandbox/ (login, signup, interrupt, change-password). */
    endUser(action: string, body: object): Promise<{ status: number; body: any }>;
  };
  close(): Promise<void>;
}

/**
 * Starts a sandbox in-process over HTTPS (the test CA is trusted through NODE_EXTRA_CA_CERTS, set by
 * test/setup/sandbox-ca.ts) and talks to it with the real auth0 SDK.
 */
export async function startTestSandbox(
  scenario: object | string = ACME_SCENARIO,
  options: Partial<Omit<SandboxOptions, 'scenario' | 'stateDir'>> = {},
): Promise<TestSandbox> {
  const text = typeof scenario === 'string' ? readFileSync(scenario, 'utf8') : JSON.stringify(scenario);
  const running = await startSandbox({ scenario: parseScenario(text, 'test scenario'), stateDir: process.env.UNSTICK_TEST_STATE_DIR!, ...options });
  const client = (o: { clientId?: string; clientSecret?: string; maxRetries?: number } = {}) =>
    new ManagementClient({
      domain: running.domain,
      clientId: o.clientId ?? running.clientId,
      clientSecret: o.clientSecret ?? running.clientSecret,
      maxRetries: o.maxRetries ?? 0,
    });
  const url = (p: string) => `${running.url}${p}`;
  const post = (p: string, body?: object) =>
    fetch(url(p), { method: 'POST', headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  return {
    running,
    mgmt: client(),
    client,
    control: {
      state: async () => (await fetch(url('/__sandbox/state'))).json(),
      journal: async () => (await fetch(url('/__sandbox/journal'))).json() as Promise<never>,
      clearJournal: async () => void (await fetch(url('/__sandbox/journal'), { method: 'DELETE' })),
      reset: async (next?: object) => {
        const res = await post('/__sandbox/reset', next);
        if (!res.ok) throw new Error(`reset failed: ${res.status} ${await res.text()}`);
      },
      faults: (specs: object[]) => post('/__sandbox/faults', specs),
      endUser: async (action: string, body: object) => {
        const res = await post(`/__sandbox/${action}`, body);
        const text = await res.text();
        return { status: res.status, body: text ? JSON.parse(text) : null };
      },
    },
    close: () => running.close(),
  };
}

/** The SDK error `promise` rejects with (the test fails if it resolves, or rejects with anything else). */
export async function rejection(promise: Promise<unknown>): Promise<ManagementError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(ManagementError);
    return err as ManagementError;
  }
  throw new Error('expected the call to be rejected, it resolved');
}
