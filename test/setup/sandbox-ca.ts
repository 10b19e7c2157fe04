import { mkdtempSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { defaultClient } from '../../src/sandbox/clients.js';
import { certificatesValid, ensureCertificates } from '../../src/sandbox/tls.js';

/**
 * Vitest global setup: trusts the sandbox CA through NODE_EXTRA_CA_CERTS. Node reads that variable
 * only at process start, so it must be set here, before the test workers fork.
 *
 * The CA lives in one directory per user, reused across runs (no RSA key generation per run) and
 * never deleted: a pooled fork that inherited NODE_EXTRA_CA_CERTS may still be starting after the
 * teardown, and a missing file makes Node warn "Ignoring extra certs from …, load failed".
 * Two runs may start at once (several checkouts, or watch mode next to a one-off run), so a missing
 * or expired CA directory is built aside and renamed into place: a run only ever sees a complete one.
 */
export default function setup(): void {
  const stateDir = path.join(tmpdir(), `unstick-test-sandbox-${process.getuid?.() ?? userInfo().username}`);
  const { caCertPath } = ensureStateDir(stateDir);
  process.env.NODE_EXTRA_CA_CERTS = caCertPath;
  process.env.UNSTICK_TEST_STATE_DIR = stateDir;
}

function ensureStateDir(stateDir: string): { caCertPath: string } {
  for (let attempt = 0; attempt < 5; attempt++) {
    if (usable(stateDir)) return ensureCertificates(stateDir); // valid: only reads
    const fresh = mkdtempSync(`${stateDir}.new-`);
    ensureCertificates(fresh);
    defaultClient(fresh);
    try {
      renameSync(fresh, stateDir);
    } catch (err) {
      rmSync(fresh, { recursive: true, force: true });
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
      // Another run got there first (then it is usable now), or the directory is stale: move it aside.
      if (!usable(stateDir)) retire(stateDir);
    }
  }
  throw new Error(`test setup: could not prepare the sandbox CA directory ${stateDir}`);
}

/** Ours, private, and holding certificates that are still valid (ensureCertificates would not rewrite them). */
function usable(stateDir: string): boolean {
  let stat;
  try {
    stat = statSync(stateDir);
  } catch {
    return false;
  }
  if (process.getuid && stat.uid !== process.getuid()) throw new Error(`test setup: ${stateDir} belongs to another user; remove it`);
  if ((stat.mode & 0o077) !== 0) throw new Error(`test setup: ${stateDir} is readable by other users; remove it`);
  return certificatesValid(stateDir);
}

function retire(stateDir: string): void {
  const aside = `${stateDir}.old-${process.pid}-${Date.now()}`;
  try {
    renameSync(stateDir, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    return;
  }
  rmSync(aside, { recursive: true, force: true });
}
