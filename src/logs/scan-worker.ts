/**
 * Worker thread for the parallel fast path: scans one newline-aligned byte range of a large
 * line-delimited file and posts back events (lines relative to the range) as it finds them.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Settings } from 'luxon';
import { RangeScan } from './range-scan.js';
import { toWire, type JobMessage, type RangeJob, type WireEvent, type WorkerMessage } from './scan-protocol.js';

const BATCH = 500;

// Times leave this thread as milliseconds, so no locale is ever used here: naming one spares the
// look-up of the system's (about 25 ms, on the way to the first event).
Settings.defaultLocale = 'en-US';

function run(job: RangeJob): void {
  const port = parentPort!;
  let batch: WireEvent[] = [];
  const flush = () => {
    if (batch.length > 0) port.postMessage({ kind: 'events', events: batch } satisfies WorkerMessage);
    batch = [];
  };
  let scan: RangeScan | null = null;
  try {
    scan = new RangeScan(job, (event) => {
      batch.push(toWire(event));
      if (batch.length >= BATCH) flush();
    });
    for (let n = scan.step(); n > 0; n = scan.step()) {
      flush();
      port.postMessage({ kind: 'progress', bytes: n } satisfies WorkerMessage);
    }
  } catch (err) {
    scan?.close();
    const e = err as NodeJS.ErrnoException;
    port.postMessage({ kind: 'failed', message: e.message, code: e.code } satisfies WorkerMessage);
    return;
  }
  const summary = scan.finish();
  flush();
  port.postMessage({ kind: 'done', summary } satisfies WorkerMessage);
}

if (parentPort && workerData) run(workerData as RangeJob);
// Started warm (warm-workers.ts): the job comes as a message.
else if (parentPort) parentPort.once('message', (message: JobMessage) => run(message.job));
