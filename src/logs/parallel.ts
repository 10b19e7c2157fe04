import { closeSync, openSync, readSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { InterruptedError } from '../errors.js';
import type { InputSummary } from './input-reader.js';
import { describeIoError, type Source } from './inputs.js';
import { MALFORMED_SAMPLE_LIMIT } from './malformed.js';
import { RangeScan } from './range-scan.js';
import { claimPiece, type JobMessage, type RangeJob, type ScanJob, type WorkerMessage } from './scan-protocol.js';
import { DEFAULT_MAX_RECORD_BYTES } from './scanner.js';
import { bomLength, isGzip, looksBinary } from './sniff.js';
import { inputResult, type InputResult } from './stats.js';
import { utcFromMillis } from './values.js';
import { scanWorkerUrl, takeWarmWorker } from './warm-workers.js';

export { scanWorkerUrl };
import type { LogEvent, LogFormat, MalformedRecord, SourceRef } from './types.js';

/**
 * The parallel fast path: a large NDJSON file is cut at newlines into pieces, which the threads
 * claim one at a time (the main thread too: it has everything loaded already), so that a worker that
 * started late, or a core that runs slower, simply reads fewer of them. Events stream back as they are found (memory stays flat whatever the input). A worker knows
 * lines only relative to its range, so events carry a source whose `line` is resolved once the ranges
 * before it have counted theirs: consumers read it at the end (the diagnosis report), not while
 * events stream in (see SourceRef).
 */
export interface ParallelPlan {
  workerUrl: URL;
  /** Threads, the main thread included. */
  workers: number;
  minBytes: number;
  /** Bytes per piece (default PIECE_BYTES); a file has at least one piece per thread. */
  pieceBytes?: number;
}

/** Small enough that the threads finish within a piece of each other, large enough to cost nothing. */
export const PIECE_BYTES = 64 * 1024 * 1024;

/** What a parallel read takes from the read's options. */
export interface ParallelRead {
  format?: LogFormat | undefined;
  maxRecordBytes?: number | undefined;
  signal?: AbortSignal | undefined;
}

/**
 * A plan that splits line-delimited files of at least `minBytes` across `workers` threads, or null
 * (read serially) when the compiled worker is not available. The caller chooses only the policy.
 */
export function parallelPlan(policy: { workers: number; minBytes: number }): ParallelPlan | null {
  const workerUrl = scanWorkerUrl();
  return workerUrl ? { workerUrl, workers: policy.workers, minBytes: policy.minBytes } : null;
}

const HEAD_BYTES = 64 * 1024;

/** Newline-aligned byte ranges, or null when the file is not line-delimited JSON (or is gzip, or binary). */
export function splitLineDelimited(path: string, size: number, parts: number): Array<[number, number]> | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return null; // the serial reader reports why
  }
  try {
    const head = Buffer.alloc(Math.min(size, HEAD_BYTES));
    readSync(fd, head, 0, head.length, 0);
    if (isGzip(head)) return null;
    if (looksBinary(head)) return null;
    const bom = bomLength(head);
    if (head[bom] !== 0x7b) return null;
    const nl = head.indexOf(0x0a);
    if (nl === -1) return null;
    try {
      JSON.parse(head.subarray(bom, nl).toString('utf8'));
    } catch {
      return null; // the first record spans lines: pretty-printed, so it must be scanned in order
    }
    const cuts = [0];
    const probe = Buffer.alloc(HEAD_BYTES);
    for (let k = 1; k < parts; k++) {
      let at = Math.max(Math.floor((size * k) / parts), cuts[cuts.length - 1]!);
      for (;;) {
        const n = readSync(fd, probe, 0, probe.length, at);
        if (n === 0) {
          at = size;
          break;
        }
        const p = probe.subarray(0, n).indexOf(0x0a);
        if (p !== -1) {
          at += p + 1;
          break;
        }
        at += n;
      }
      if (at >= size) break;
      cuts.push(at);
    }
    cuts.push(size);
    const ranges: Array<[number, number]> = [];
    for (let k = 0; k + 1 < cuts.length; k++) if (cuts[k]! < cuts[k + 1]!) ranges.push([cuts[k]!, cuts[k + 1]!]);
    return ranges.length > 1 ? ranges : null;
  } finally {
    closeSync(fd);
  }
}

export async function readParallel(
  source: Source,
  pieces: Array<[number, number]>,
  read: ParallelRead,
  plan: ParallelPlan,
  onEvent: (event: LogEvent) => void,
  progress: (bytes: number) => void,
): Promise<InputResult> {
  // offsets[k]: lines before piece k, known once pieces 0..k-1 have finished.
  const offsets: Array<number | null> = pieces.map((_, k) => (k === 0 ? 0 : null));
  const lines: Array<number | null> = pieces.map(() => null);
  const sourceIn = (k: number, file: string, relative: number): SourceRef => {
    if (k === 0) return { file, line: relative };
    return {
      file,
      get line(): number {
        const base = offsets[k];
        if (base === null || base === undefined) throw new Error('internal: a line number was read before the parallel scan finished');
        return relative + base;
      },
    };
  };
  const workers: Worker[] = [];
  const summaries: Array<InputSummary | null> = pieces.map(() => null);
  const cleanups: Array<() => void> = [];
  const io = { gzip: false, bytes: source.size! };
  try {
    const job: ScanJob = { path: source.path!, name: source.name, pieces, counter: new SharedArrayBuffer(4), maxRecordBytes: read.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES };
    if (read.format) job.forced = read.format;
    const finished = (k: number, summary: InputSummary) => {
      lines[k] = summary.line - 1;
      for (let j = 1; j < pieces.length; j++) {
        if (offsets[j] === null && offsets[j - 1] !== null && lines[j - 1] !== null) offsets[j] = offsets[j - 1]! + lines[j - 1]!;
      }
      const samples = summary.malformedSamples.map((m) => ({ reason: m.reason, source: sourceIn(k, m.source.file, m.source.line) }));
      summaries[k] = { ...summary, malformedSamples: samples };
    };
    let halted = false;
    // Workers first, so they start while the main thread reads its first piece.
    const remote = Array.from({ length: Math.min(plan.workers, pieces.length) - 1 }, () =>
      new Promise<void>((resolve, reject) => {
        const warm = takeWarmWorker();
        const worker = warm ?? new Worker(plan.workerUrl, { workerData: job });
        if (warm) warm.postMessage({ kind: 'job', job } satisfies JobMessage);
        workers.push(worker);
        // Ctrl+C: reject now rather than wait for the exit event (a worker still starting may never send one).
        const onAbort = () => reject(new InterruptedError());
        read.signal?.addEventListener('abort', onAbort, { once: true });
        cleanups.push(() => read.signal?.removeEventListener('abort', onAbort));
        worker.on('message', (message: WorkerMessage) => {
          if (message.kind === 'events') {
            for (const wire of message.events) {
              onEvent({ ...wire, time: wire.time === null ? null : utcFromMillis(wire.time), source: sourceIn(message.piece, wire.source.file, wire.source.line) });
            }
          } else if (message.kind === 'progress') {
            progress(message.bytes);
          } else if (message.kind === 'failed') {
            reject(Object.assign(new Error(message.message), { code: message.code }));
          } else if (message.kind === 'piece') {
            finished(message.piece, message.summary);
          } else {
            resolve();
          }
        });
        worker.once('error', reject);
        worker.once('exit', (code) => {
          if (code !== 0) reject(new Error(`log scan worker exited with code ${code}`));
        });
      }).catch((err: unknown) => {
        halted = true; // the main thread stops too
        throw err;
      }),
    );
    const local = (async () => {
      const counter = new Int32Array(job.counter);
      const stop = () => halted || read.signal?.aborted === true;
      for (let range = claimPiece(job, counter); range && !stop(); range = claimPiece(job, counter)) {
        const k = range.piece;
        const summary = await scanHere(range, (event) => onEvent(k === 0 ? event : { ...event, source: sourceIn(k, event.source.file, event.source.line) }), progress, stop);
        if (summary) finished(k, summary);
      }
      if (read.signal?.aborted) throw new InterruptedError();
    })();
    await Promise.all([local, ...remote]);
  } catch (err) {
    if (err instanceof InterruptedError) throw err;
    // A read failure (the file vanished, permissions changed) rejects this input; anything else is a bug.
    if (!(err as NodeJS.ErrnoException).code) throw err;
    // What the finished ranges saw stays (their malformed records, the format); no record or event counts.
    const { input } = inputResult(source, io, joinRanges(summaries));
    return { input: { ...input, records: 0, events: 0, rejected: `cannot read: ${describeIoError(err)}`, unreadable: true }, samples: [] };
  } finally {
    for (const cleanup of cleanups) cleanup();
    for (const worker of workers) void worker.terminate();
  }
  const result = inputResult(source, io, joinRanges(summaries));
  return { input: result.input, samples: result.samples.slice(0, MALFORMED_SAMPLE_LIMIT) };
}

/**
 * The main thread's range: read a chunk at a time, letting worker messages, the progress bar and
 * Ctrl+C in between chunks. Null when stopped (interrupted, or a worker failed).
 */
async function scanHere(job: RangeJob, onEvent: (event: LogEvent) => void, progress: (bytes: number) => void, stop: () => boolean): Promise<InputSummary | null> {
  const scan = new RangeScan(job, onEvent);
  try {
    for (;;) {
      if (stop()) return null;
      const n = scan.step();
      if (n === 0) return scan.finish();
      progress(n);
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  } finally {
    scan.close();
  }
}

/** The whole file's summary from its ranges' (those that finished): the head range decides the format. */
function joinRanges(parts: ReadonlyArray<InputSummary | null>): InputSummary {
  const done = parts.filter((p): p is InputSummary => p !== null);
  const sum = (f: (p: InputSummary) => number) => done.reduce((n, p) => n + f(p), 0);
  const samples: MalformedRecord[] = done.flatMap((p) => p.malformedSamples);
  return {
    format: parts[0]?.format ?? null,
    records: sum((p) => p.records),
    events: sum((p) => p.events),
    malformed: sum((p) => p.malformed),
    malformedSamples: samples,
    notALog: parts[0]?.notALog ?? false,
    line: sum((p) => p.line - 1) + 1,
    otherFormats: [...new Set(done.flatMap((p) => [...(p.format && p.format !== parts[0]?.format ? [p.format] : []), ...p.otherFormats]))],
  };
}
