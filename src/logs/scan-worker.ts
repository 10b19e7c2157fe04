/**
 * Worker thread for the parallel fast path: scans one newline-aligned byte range of a large
 * line-delimited file and posts back events (lines relative to the range) as it finds them.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { RecordHandler } from './record-handler.js';
import { JsonScanner } from './scanner.js';
import type { LogEvent, LogFormat, MalformedRecord } from './types.js';

export interface RangeJob {
  path: string;
  name: string;
  start: number;
  end: number;
  forced?: LogFormat;
  all?: boolean;
  /** Only the range at the head of the file decides its format and whether it is a log at all. */
  probe: boolean;
  maxRecordBytes: number;
}

/** A LogEvent made structured-clone safe (luxon DateTime -> epoch ms). */
export type WireEvent = Omit<LogEvent, 'time'> & { time: number | null };

export type WorkerMessage =
  | { kind: 'events'; events: WireEvent[] }
  | { kind: 'progress'; bytes: number }
  | { kind: 'failed'; message: string; code: string | undefined }
  | {
      kind: 'done';
      records: number;
      events: number;
      format: LogFormat | null;
      notALog: boolean;
      malformedCount: number;
      malformedSamples: MalformedRecord[];
      /** Newlines in the range: how far the next range's line numbers are shifted. */
      lines: number;
    };

const BATCH = 500;

function run(job: RangeJob): void {
  const port = parentPort!;
  let batch: WireEvent[] = [];
  const flush = () => {
    if (batch.length > 0) port.postMessage({ kind: 'events', events: batch } satisfies WorkerMessage);
    batch = [];
  };
  const handler = new RecordHandler(
    job.name,
    (event) => {
      batch.push({ ...event, time: event.time ? event.time.toMillis() : null });
      if (batch.length >= BATCH) flush();
    },
    { forced: job.forced, all: job.all, probe: job.probe },
  );
  const scanner = new JsonScanner(handler, { maxRecordBytes: job.maxRecordBytes, lineDelimited: true });
  const buffer = Buffer.allocUnsafe(4 * 1024 * 1024);
  let fd: number | null = null;
  try {
    fd = openSync(job.path, 'r');
    let position = job.start;
    while (position < job.end) {
      const n = readSync(fd, buffer, 0, Math.min(buffer.length, job.end - position), position);
      if (n === 0) break;
      position += n;
      scanner.push(buffer.subarray(0, n));
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
  scanner.end();
  handler.end();
  flush();
  port.postMessage({
    kind: 'done',
    records: handler.records,
    events: handler.events,
    format: handler.format,
    notALog: handler.notALog,
    malformedCount: handler.malformedLog.count,
    malformedSamples: handler.malformedLog.samples,
    lines: scanner.currentLine - 1,
  } satisfies WorkerMessage);
}

if (parentPort && workerData) run(workerData as RangeJob);
