/**
 * Worker thread for the parallel fast path: claims pieces of a large line-delimited file one at a
 * time (scan-protocol.ts) and posts back each piece's events (lines relative to the piece) as it
 * finds them, then the piece's summary. It claims no further ahead than the reader lets it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { RangeScan } from './range-scan.js';
import { claimPiece, HANDED, mayClaim, toWire, type JobMessage, type ScanJob, type WireEvent, type WorkerMessage } from './scan-protocol.js';

const BATCH = 500;

function run(job: ScanJob): void {
  const port = parentPort!;
  const counter = new Int32Array(job.counter);
  // Waits (blocking this thread only) while the reader still holds back the pieces it may claim ahead.
  const claim = () => {
    while (!mayClaim(job, counter)) Atomics.wait(counter, HANDED, Atomics.load(counter, HANDED), 100);
    return claimPiece(job, counter);
  };
  for (let range = claim(); range; range = claim()) {
    const piece = range.piece;
    let batch: WireEvent[] = [];
    const flush = () => {
      if (batch.length > 0) port.postMessage({ kind: 'events', piece, events: batch } satisfies WorkerMessage);
      batch = [];
    };
    let scan: RangeScan | null = null;
    try {
      scan = new RangeScan(range, (event) => {
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
    port.postMessage({ kind: 'piece', piece, summary } satisfies WorkerMessage);
  }
  port.postMessage({ kind: 'done' } satisfies WorkerMessage);
}

if (parentPort && workerData) run(workerData as ScanJob);
// Started warm (warm-workers.ts): the job comes as a message.
else if (parentPort) parentPort.once('message', (message: JobMessage) => run(message.job));
