/**
 * What the parallel reader (parallel.ts) and its worker threads (scan-worker.ts) say to each other.
 * Both import it; neither imports the other.
 */
import type { InputSummary } from './input-reader.js';
import type { LogEvent, LogFormat } from './types.js';

/** One newline-aligned byte range (a piece) of a large line-delimited file, as one thread reads it. */
export interface RangeJob {
  path: string;
  name: string;
  start: number;
  end: number;
  forced?: LogFormat;
  /** Only the range at the head of the file decides its format and whether it is a log at all. */
  probe: boolean;
  maxRecordBytes: number;
  /** Its index among the file's pieces. */
  piece: number;
}

/**
 * A worker's job: the pieces of one file, which every thread (the main one too) claims one at a time
 * from a shared counter, so that a thread that started late or runs slower simply reads fewer.
 */
export interface ScanJob {
  path: string;
  name: string;
  pieces: ReadonlyArray<readonly [number, number]>;
  /** An Int32Array's memory: the index of the next piece to claim. */
  counter: SharedArrayBuffer;
  forced?: LogFormat;
  maxRecordBytes: number;
}

/** To a warm worker (started without workerData, see warm-workers.ts): its job. */
export interface JobMessage {
  kind: 'job';
  job: ScanJob;
}

/** The next piece for this thread, or null when every piece is taken. */
export function claimPiece(job: ScanJob, counter: Int32Array): RangeJob | null {
  const k = Atomics.add(counter, 0, 1);
  return k < job.pieces.length ? pieceRange(job, k) : null;
}

/** Piece k of a job, as one thread reads it. */
export function pieceRange(job: ScanJob, k: number): RangeJob {
  const [start, end] = job.pieces[k]!;
  const range: RangeJob = { path: job.path, name: job.name, start, end, probe: k === 0, maxRecordBytes: job.maxRecordBytes, piece: k };
  if (job.forced) range.forced = job.forced;
  return range;
}

/** A LogEvent made structured-clone safe (luxon DateTime -> epoch ms). */
export type WireEvent = Omit<LogEvent, 'time'> & { time: number | null };

export type WorkerMessage =
  | { kind: 'events'; piece: number; events: WireEvent[] }
  | { kind: 'progress'; bytes: number }
  | { kind: 'failed'; message: string; code: string | undefined }
  /** A piece is read. Its lines are relative to the piece: `summary.line - 1` newlines shift the next one. */
  | { kind: 'piece'; piece: number; summary: InputSummary }
  /** No piece is left to claim. */
  | { kind: 'done' };

export function toWire(event: LogEvent): WireEvent {
  return { ...event, time: event.time ? event.time.toMillis() : null };
}
