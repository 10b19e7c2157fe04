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
  /**
   * An Int32Array's memory (COUNTER_INTS of them): at CLAIMED the index of the next piece to claim, at
   * HANDED the first piece whose events the reader has not yet all handed on (it hands them on in the
   * file's order, see parallel.ts).
   */
  counter: SharedArrayBuffer;
  /** How many pieces past HANDED a thread may claim: the reader holds back the events of at most this many. */
  ahead: number;
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
  const k = Atomics.add(counter, CLAIMED, 1);
  return k < job.pieces.length ? pieceRange(job, k) : null;
}

export const CLAIMED = 0;
export const HANDED = 1;
export const COUNTER_INTS = 2;

/**
 * Whether a thread may claim now: every piece is taken (the claim says so), or the next one is
 * within `job.ahead` of the first piece not yet handed on. Threads that check at once may each claim
 * one more: the bound holds to within the number of threads.
 */
export function mayClaim(job: ScanJob, counter: Int32Array): boolean {
  const next = Atomics.load(counter, CLAIMED);
  return next >= job.pieces.length || next < Atomics.load(counter, HANDED) + job.ahead;
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
