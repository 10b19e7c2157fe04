import { closeSync, openSync, readSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { DateTime } from 'luxon';
import { InterruptedError } from '../errors.js';
import type { InputSummary } from './input-reader.js';
import { describeIoError, type Source } from './inputs.js';
import { MALFORMED_SAMPLE_LIMIT } from './malformed.js';
import { RangeScan } from './range-scan.js';
import type { JobMessage, RangeJob, WorkerMessage } from './scan-protocol.js';
import { DEFAULT_MAX_RECORD_BYTES } from './scanner.js';
import { bomLength, isGzip, looksBinary } from './sniff.js';
import { inputResult, type InputResult } from './stats.js';
import { scanWorkerUrl, takeWarmWorker } from './warm-workers.js';

export { scanWorkerUrl };
import type { LogEvent, LogFormat, MalformedRecord, SourceRef } from './types.js';

/**
 * The parallel fast path: a large NDJSON file is cut at newlines into one range per thread. The
 * main thread reads the first range itself (it has everything loaded already), worker threads the
 * others. Events stream back as they are found (memory stays flat whatever the input). A worker knows
 * lines only relative to its range, so events carry a source whose `line` is resolved once the ranges
 * before it have counted theirs: consumers read it at the end (the diagnosis report), not while
 * events stream in (see SourceRef).
 */
export interface ParallelPlan {
  workerUrl: URL;
  /** Threads, the main thread included. */
  workers: number;
  minBytes: number;
  /** Extra bytes for the main thread's range: what it reads while a worker thread starts. */
  headStart?: number;
}

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
export function parallelPlan(policy: { workers: number; minBytes: number; headStart?: number }): ParallelPlan | null {
  const workerUrl = scanWorkerUrl();
  if (!workerUrl) return null;
  const plan: ParallelPlan = { workerUrl, workers: policy.workers, minBytes: policy.minBytes };
  if (policy.headStart) plan.headStart = policy.headStart;
  return plan;
}

const HEAD_BYTES = 64 * 1024;

/** Newline-aligned byte ranges, or null when the file is not line-delimited JSON (or is gzip, or binary). */
export function splitLineDelimited(path: string, size: number, workers: number, headStart = 0): Array<[number, number]> | null {
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
    // Equal shares of what is left once the first range has its head start.
    const first = Math.min(size, headStart);
    for (let k = 1; k < workers; k++) {
      let at = Math.max(first + Math.floor(((size - first) * k) / workers), cuts[cuts.length - 1]!);
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
  ranges: Array<[number, number]>,
  read: ParallelRead,
  plan: ParallelPlan,
  onEvent: (event: LogEvent) => void,
  progress: (bytes: number) => void,
): Promise<InputResult> {
  // offsets[k]: lines before range k, known once ranges 0..k-1 have finished.
  const offsets: Array<number | null> = ranges.map((_, k) => (k === 0 ? 0 : null));
  const lines: Array<number | null> = ranges.map(() => null);
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
  const summaries: Array<InputSummary | null> = ranges.map(() => null);
  const cleanups: Array<() => void> = [];
  const io = { gzip: false, bytes: source.size! };
  try {
    const jobs = ranges.map(([start, end], k) => {
      const job: RangeJob = { path: source.path!, name: source.name, start, end, probe: k === 0, maxRecordBytes: read.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES };
      if (read.format) job.forced = read.format;
      return job;
    });
    const finished = (k: number, summary: InputSummary) => {
      lines[k] = summary.line - 1;
      for (let j = 1; j < ranges.length; j++) {
        if (offsets[j] === null && offsets[j - 1] !== null && lines[j - 1] !== null) offsets[j] = offsets[j - 1]! + lines[j - 1]!;
      }
      const samples = summary.malformedSamples.map((m) => ({ reason: m.reason, source: sourceIn(k, m.source.file, m.source.line) }));
      summaries[k] = { ...summary, malformedSamples: samples };
    };
    let halted = false;
    // Workers first, so they start while the main thread reads the first range.
    const remote = jobs.slice(1).map((job, j) => {
      const k = j + 1;
      return new Promise<void>((resolve, reject) => {
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
              onEvent({ ...wire, time: wire.time === null ? null : DateTime.fromMillis(wire.time, { zone: 'utc' }), source: sourceIn(k, wire.source.file, wire.source.line) });
            }
          } else if (message.kind === 'progress') {
            progress(message.bytes);
          } else if (message.kind === 'failed') {
            reject(Object.assign(new Error(message.message), { code: message.code }));
          } else {
            finished(k, message.summary);
            resolve();
          }
        });
        worker.once('error', reject);
        worker.once('exit', (code) => {
          if (code !== 0) reject(new Error(`log scan worker exited with code ${code}`));
        });
      }).catch((err: unknown) => {
        halted = true; // the main thread's range stops too
        throw err;
      });
    });
    const local = scanHere(jobs[0]!, onEvent, progress, () => halted || read.signal?.aborted === true).then((summary) => {
      if (summary) finished(0, summary);
      else if (read.signal?.aborted) throw new InterruptedError();
    });
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
