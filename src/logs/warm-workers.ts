/**
 * Scan workers started before they are needed. A worker thread takes tens of milliseconds to start
 * (a new V8 isolate, then its modules); started before the CLI loads (src/cli/early.ts, from
 * bin/unstick.js), it is ready by the time `unstick diagnose BIGFILE` has cut the file into ranges.
 * One not taken costs only a thread that exits with the process: it is unref'd.
 * This module imports nothing of the product, so starting workers costs no module loading.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

const warm: Worker[] = [];

/** The compiled scan worker beside this module (none beside the TypeScript sources). */
export function scanWorkerUrl(): URL | null {
  const url = new URL('./scan-worker.js', import.meta.url);
  return existsSync(fileURLToPath(url)) ? url : null;
}

/** Starts `count` scan workers that wait for a job (see takeWarmWorker). */
export function warmScanWorkers(count: number, url: URL | null = scanWorkerUrl()): void {
  if (!url) return;
  for (let k = 0; k < count; k++) {
    const worker = new Worker(url);
    worker.unref();
    // A warm worker that fails to start is simply not used.
    worker.once('error', () => {
      const at = warm.indexOf(worker);
      if (at >= 0) warm.splice(at, 1);
    });
    warm.push(worker);
  }
}

/** A started worker waiting for its job (post it `{ kind: 'job', job }`), or null. */
export function takeWarmWorker(): Worker | null {
  const worker = warm.shift() ?? null;
  worker?.removeAllListeners('error');
  worker?.ref();
  return worker;
}
