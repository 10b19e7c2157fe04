import { readFileSync } from 'node:fs';
import { ManagementClient, ManagementError } from 'auth0';
import { afterAll, beforeAll, beforeEach, expect } from 'vitest';
import { parseScenario } from '../../src/sandbox/scenario.js';
import { startSandbox, type JournalEntry, type RunningSandbox, type SandboxOptions } from '../../src/sandbox/server.js';

export const ACME_SCENARIO = 'examples/scenarios/acme-mixed.json';
/** The id of acme-mixed.json's lazy-migration connection `legacy-db` (also the one in examples/logs). */
export const LEGACY_DB = 'con_Lg7cYq2RzX4mB9tK';

export interface TestSandbox {
  running: RunningSandbox;
  /** The official SDK, as the product uses it (retries off unless asked for). */
  mgmt: ManagementClient;
  client(options?: { clientId?: string; clientSecret?: string; maxRetries?: number }): ManagementClient;
  control: {
    state(): Promise<any>;
    journal(): Promise<JournalEntry[]>;
    clearJournal(): Promise<void>;
    reset(scenario?: object): Promise<void>;
    faults(specs: object[]): Promise<Response>;
    /** Simulated end-user actions under /__sandbox/ (login, signup, interrupt, change-password). */
    endUser(action: string, body: object): Promise<{ status: number; body: any }>;
  };
  /**
   * A complete environment for running the CLI against this sandbox, in-process (`runCli(argv, { env })`)
   * or spawned: this process's environment plus AUTH0_DOMAIN, AUTH0_CLIENT_ID, AUTH0_CLIENT_SECRET,
   * NODE_EXTRA_CA_CERTS (the sandbox CA, for a child process) and NO_COLOR=1. A fresh copy on every read,
   * so a test may delete or change a variable without affecting the next one.
   */
  readonly env: NodeJS.ProcessEnv;
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
    get env() {
      return {
        ...process.env,
        AUTH0_DOMAIN: running.domain,
        AUTH0_CLIENT_ID: running.clientId,
        AUTH0_CLIENT_SECRET: running.clientSecret,
        NODE_EXTRA_CA_CERTS: running.caCertPath,
        NO_COLOR: '1',
      };
    },
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

/**
 * One sandbox for the tests of the calling file (or `describe`): started before them, closed after
 * them, and reset to `scenario` (a scenario object or the path of a scenario file) before each test.
 * Returns a getter for the running sandbox, to be called inside tests and hooks:
 *
 *   const sb = useSandbox(ACME);
 *   it('...', async () => { await sb().mgmt.users.get('auth0|legacy-1007'); });
 */
export function useSandbox(scenario: object | string = ACME_SCENARIO): () => TestSandbox {
  const body: object = typeof scenario === 'string' ? (JSON.parse(readFileSync(scenario, 'utf8')) as object) : scenario;
  let sb: TestSandbox | undefined;
  beforeAll(async () => {
    sb = await startTestSandbox(body);
  });
  afterAll(async () => {
    await sb?.close();
    sb = undefined;
  });
  beforeEach(() => sb!.control.reset(body));
  return () => {
    if (!sb) throw new Error('useSandbox: the sandbox only runs during the tests (and hooks) of the file or describe that called useSandbox');
    return sb;
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
