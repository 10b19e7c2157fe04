/**
 * What the parallel reader (parallel.ts) and its worker threads (scan-worker.ts) say to each other.
 * Both import it; neither imports the other.
 */
import type { InputSummary } from './input-reader.js';
import type { LogEvent, LogFormat } from './types.js';

/** One worker's job: a newline-aligned byte range of a large line-delimited file. */
export interface RangeJob {
  path: string;
  name: string;
  start: number;
  end: number;
  forced?: LogFormat;
  /** Only the range at the head of the file decides its format and whether it is a log at all. */
  probe: boolean;
  maxRecordBytes: number;
}

/** To a warm worker (started without workerData, see warm-workers.ts): its job. */
export interface JobMessage {
  kind: 'job';
  job: RangeJob;
}

/** A LogEvent made structured-clone safe (luxon DateTime -> epoch ms). */
export type WireEvent = Omit<LogEvent, 'time'> & { time: number | null };

export type WorkerMessage =
  | { kind: 'events'; events: WireEvent[] }
  | { kind: 'progress'; bytes: number }
  | { kind: 'failed'; message: string; code: string | undefined }
  /** The range is read. Its lines are relative to the range: `summary.line - 1` newlines shift the next range. */
  | { kind: 'done'; summary: InputSummary };

export function toWire(event: LogEvent): WireEvent {
  return { ...event, time: event.time ? event.time.toMillis() : null };
}
