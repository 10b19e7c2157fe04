/**
 * Worker thread for the parallel fast path: scans one newline-aligned byte range of a large
 * line-delimited file and posts back events (lines relative to the range) as it finds them.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { JsonRecordReader } from './json-reader.js';
import { toWire, type RangeJob, type WireEvent, type WorkerMessage } from './scan-protocol.js';

const BATCH = 500;

function run(job: RangeJob): void {
  const port = parentPort!;
  let batch: WireEvent[] = [];
  const flush = () => {
    if (batch.length > 0) port.postMessage({ kind: 'events', events: batch } satisfies WorkerMessage);
    batch = [];
  };
  const reader = new JsonRecordReader(
    job.name,
    (event) => {
      batch.push(toWire(event));
      if (batch.length >= BATCH) flush();
    },
    { forced: job.forced, probe: job.probe, maxRecordBytes: job.maxRecordBytes, lineDelimited: true },
  );
  const buffer = Buffer.allocUnsafe(4 * 1024 * 1024);
  let fd: number | null = null;
  try {
    fd = openSync(job.path, 'r');
    let position = job.start;
    while (position < job.end) {
      const n = readSync(fd, buffer, 0, Math.min(buffer.length, job.end - position), position);
      if (n === 0) break;
      position += n;
      reader.push(buffer.subarray(0, n));
      flush();
      port.postMessage({ kind: 'progress', bytes: n } satisfies WorkerMessage);
    }
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    port.postMessage({ kind: 'failed', message: e.message, code: e.code } satisfies WorkerMessage);
    return;
  } finally {
    if (fd !== null) closeSync(fd);
  }
  reader.end();
  flush();
  port.postMessage({ kind: 'done', summary: reader.summary() } satisfies WorkerMessage);
}

if (parentPort && workerData) run(workerData as RangeJob);
