/**
 * Worker thread for the parallel fast path: scans one newline-aligned byte range of a large
 * line-delimited file and posts back events (lines relative to the range) and counts.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { RecordHandler } from './record-handler.js';
import { JsonScanner } from './scanner.js';
import type { LogEvent, LogFormat } from './types.js';

export interface RangeJob {
  path: string;
  name: string;
  start: number;
  end: number;
  forced?: LogFormat;
  all?: boolean;
  maxRecordBytes: number;
}

/** A LogEvent made structured-clone safe (luxon DateTime -> epoch ms). */
export type WireEvent = Omit<LogEvent, 'time'> & { time: number | null };

export type WorkerMessage =
  | { kind: 'events'; events: WireEvent[] }
  | { kind: 'progress'; bytes: number }
  | { kind: 'done'; counts: RecordHandler['counts']; lines: number; notALog: boolean };

const BATCH = 500;

function run(job: RangeJob): void {
  const port = parentPort!;
  let batch: WireEvent[] = [];
  const handler = new RecordHandler(
    job.name,
    (event) => {
      batch.push({ ...event, time: event.time ? event.time.toMillis() : null });
      if (batch.length >= BATCH) flush();
    },
    { forced: job.forced, all: job.all },
  );
  const flush = () => {
    if (batch.length > 0) port.postMessage({ kind: 'events', events: batch } satisfies WorkerMessage);
    batch = [];
  };
  const scanner = new JsonScanner(handler, { maxRecordBytes: job.maxRecordBytes, lineDelimited: true });
  const fd = openSync(job.path, 'r');
  const buffer = Buffer.allocUnsafe(4 * 1024 * 1024);
  try {
    let position = job.start;
    while (position < job.end) {
      const n = readSync(fd, buffer, 0, Math.min(buffer.length, job.end - position), position);
      if (n === 0) break;
      position += n;
      scanner.push(buffer.subarray(0, n));
      port.postMessage({ kind: 'progress', bytes: n } satisfies WorkerMessage);
    }
  } finally {
    closeSync(fd);
  }
  scanner.end();
  handler.end();
  flush();
  port.postMessage({
    kind: 'done',
    counts: handler.counts,
    lines: scanner.currentLine - 1,
    notALog: handler.notALog,
  } satisfies WorkerMessage);
}

if (parentPort && workerData) run(workerData as RangeJob);
