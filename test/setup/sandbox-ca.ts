import { mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ensureCertificates } from '../../src/sandbox/tls.js';

/**
 * Vitest global setup: creates the sandbox CA once and trusts it through NODE_EXTRA_CA_CERTS. Node
 * reads that variable only at process start, so it must be set here, before the test workers fork.
 */
export default function setup(): () => void {
  const stateDir = path.join(tmpdir(), `unstick-test-sandbox-${process.pid}`);
  mkdirSync(stateDir, { recursive: true });
  const { caCertPath } = ensureCertificates(stateDir);
  process.env.NODE_EXTRA_CA_CERTS = caCertPath;
  process.env.UNSTICK_TEST_STATE_DIR = stateDir;
  return () => rmSync(stateDir, { recursive: true, force: true });
}
