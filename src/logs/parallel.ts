import { Worker } from 'node:worker_threads';
import { InterruptedError } from '../errors.js';
import type { InputSummary } from './input-reader.js';
import { describeIoError, type Source } from './inputs.js';
import { JsonRecordReader } from './json-reader.js';
import { MALFORMED_SAMPLE_LIMIT } from './malformed.js';
import { Prescan, takeEarlyPrescan } from './prescan.js';
import { RangeScan } from './range-scan.js';
import { claimPiece, COUNTER_INTS, HANDED, mayClaim, pieceRange, type JobMessage, type ScanJob, type WorkerMessage } from './scan-protocol.js';
import { DEFAULT_MAX_RECORD_BYTES } from './scanner.js';
import { PIECE_BYTES, piecesOf, WORKER_PIECE_BYTES } from './split.js';
import { inputResult, type InputResult } from './stats.js';
import type { LogEvent, LogFormat, MalformedRecord, SourceRef } from './types.js';
import { utcFromMillis } from './values.js';
import { scanWorkerUrl, takeWarmWorker } from './warm-workers.js';

export { scanWorkerUrl };

/**
 * The parallel fast path: a large NDJSON file is cut at newlines into pieces (split.ts), which the
 * threads claim one at a time, so that a thread that started late, or a core that runs slower, simply
 * reads fewer of them. The threads are native prescan threads where the native kernel runs
 * (prescan.ts; the main thread reads the head piece and settles theirs), else worker threads that
 * share the pieces with the main thread. Events stream in as they are found (memory stays flat
 * whatever the input). A thread knows lines only relative to its piece, so events carry a source
 * whose `line` is resolved once the pieces before it have counted theirs: consumers read it at the
 * end (the diagnosis report), not while events stream in (see SourceRef).
 */
export interface ParallelPlan {
  workerUrl: URL;
  /** Threads reading at once: prescan threads, or worker threads and the main thread. */
  workers: number;
  minBytes: number;
  /** Bytes per piece (default PIECE_BYTES); a file has at least one piece per thread. */
  pieceBytes?: number;
  /** False: worker threads read, even where native prescan threads could (prescan.ts). */
  prescan?: boolean;
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
export function parallelPlan(policy: { workers: number; minBytes: number }): ParallelPlan | null {
  const workerUrl = scanWorkerUrl();
  return workerUrl ? { workerUrl, workers: policy.workers, minBytes: policy.minBytes } : null;
}

/**
 * What the pieces of one file have found so far, whoever read them: their summaries, and the line
 * each piece starts at, known once every piece before it has finished.
 */
class PieceBook {
  private readonly offsets: Array<number | null>;
  private readonly lines: Array<number | null>;
  readonly summaries: Array<InputSummary | null>;

  constructor(private readonly count: number) {
    this.offsets = Array.from({ length: count }, (_, k) => (k === 0 ? 0 : null));
    this.lines = Array.from({ length: count }, () => null);
    this.summaries = Array.from({ length: count }, () => null);
  }

  sourceIn(k: number, file: string, relative: number): SourceRef {
    if (k === 0) return { file, line: relative };
    const offsets = this.offsets;
    // Known once the pieces before k are finished: the usual case, as pieces are handed on in order.
    const known = offsets[k];
    if (known !== null && known !== undefined) return { file, line: relative + known };
    return {
      file,
      get line(): number {
        const base = offsets[k];
        if (base === null || base === undefined) throw new Error('internal: a line number was read before the parallel scan finished');
        return relative + base;
      },
    };
  }

  /** An event of piece k, with its line resolved once the pieces before k have counted theirs (the event is the reader's own: changed in place). */
  event(k: number, event: LogEvent): LogEvent {
    if (k !== 0) event.source = this.sourceIn(k, event.source.file, event.source.line);
    return event;
  }

  finished(k: number, summary: InputSummary): void {
    this.lines[k] = summary.line - 1;
    for (let j = 1; j < this.count; j++) {
      if (this.offsets[j] === null && this.offsets[j - 1] !== null && this.lines[j - 1] !== null) this.offsets[j] = this.offsets[j - 1]! + this.lines[j - 1]!;
    }
    const samples = summary.malformedSamples.map((m) => ({ reason: m.reason, source: this.sourceIn(k, m.source.file, m.source.line) }));
    this.summaries[k] = { ...summary, malformedSamples: samples };
  }
}

/**
 * Hands events on in the file's order, as a serial read does, whichever thread read their piece (a
 * report keeps the first evidence it sees of a user). A piece's events wait until the pieces before
 * it are finished; threads claim at most `job.ahead` pieces past the first unfinished one, so that
 * is all that waits. The first unfinished piece is published at HANDED for the worker threads.
 */
class InOrder {
  private next = 0;
  /** What waits, by piece: events of this thread's pieces, and worker batches as they came (made into events when they are handed on). */
  private readonly held = new Map<number, Array<() => void>>();
  private readonly done = new Set<number>();
  private wake: (() => void) | null = null;

  constructor(
    private readonly onEvent: (event: LogEvent) => void,
    private readonly counter: Int32Array,
  ) {}

  event(k: number, event: LogEvent): void {
    if (k === this.next) this.onEvent(event);
    else this.hold(k, () => this.onEvent(event));
  }

  /** A worker's batch of piece k: `handOn` makes its events and hands them on, now or when k is next. */
  batch(k: number, handOn: (onEvent: (event: LogEvent) => void) => void): void {
    if (k === this.next) handOn(this.onEvent);
    else this.hold(k, () => handOn(this.onEvent));
  }

  private hold(k: number, later: () => void): void {
    let list = this.held.get(k);
    if (!list) this.held.set(k, (list = []));
    list.push(later);
  }

  finished(k: number): void {
    this.done.add(k);
    while (this.done.delete(this.next)) {
      this.next++;
      const list = this.held.get(this.next);
      this.held.delete(this.next);
      for (const later of list ?? []) later();
    }
    Atomics.store(this.counter, HANDED, this.next);
    Atomics.notify(this.counter, HANDED);
    this.wake?.();
  }

  /** Resolves when a piece is next handed on, or after `ms` (to look at a stop signal again). */
  advanced(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = null;
        resolve();
      };
    });
  }
}

/** What either way of reading a file's pieces works with. */
interface PieceRead {
  job: ScanJob;
  book: PieceBook;
  read: ParallelRead;
  onEvent: (event: LogEvent) => void;
  progress: (bytes: number) => void;
}

/**
 * Reads a file of `source.size` bytes at `source.path` in pieces, or gives null when it cannot be cut
 * (it is not line-delimited JSON: the serial reader reads it). A prescan started before the CLI loaded
 * for this very read (src/cli/early.ts) brings the pieces it cut.
 */
export async function readParallel(
  source: Source & { path: string; size: number },
  read: ParallelRead,
  plan: ParallelPlan,
  onEvent: (event: LogEvent) => void,
  progress: (bytes: number) => void,
): Promise<InputResult | null> {
  const maxRecordBytes = read.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
  let early = takeEarlyPrescan({ path: source.path, size: source.size, threads: plan.workers, pieceBytes: plan.pieceBytes, maxRecordBytes });
  if (early && plan.prescan === false) {
    early.stop();
    early = null;
  }
  // Prescan threads read every piece but the first; worker threads share the pieces with this one.
  const prescanning = plan.prescan !== false && (early !== null || Prescan.available());
  // Worker threads' events wait for the pieces before theirs (InOrder): smaller pieces keep that short.
  const pieceBytes = plan.pieceBytes ?? (prescanning ? PIECE_BYTES : WORKER_PIECE_BYTES);
  const pieces = early?.pieces ?? piecesOf(source.path, source.size, plan.workers, pieceBytes);
  if (!pieces) return null;
  const book = new PieceBook(pieces.length);
  const io = { gzip: false, bytes: source.size };
  const job: ScanJob = { path: source.path, name: source.name, pieces, counter: new SharedArrayBuffer(COUNTER_INTS * 4), ahead: plan.workers + 1, maxRecordBytes };
  if (read.format) job.forced = read.format;
  const prescan = prescanning ? (early ?? Prescan.start(job.path, pieces, maxRecordBytes, plan.workers)) : null;
  try {
    const reading: PieceRead = { job, book, read, onEvent, progress };
    await (prescan ? readWithPrescan(reading, prescan) : readWithWorkers(reading, Math.min(plan.workers, pieces.length) - 1, plan.workerUrl));
  } catch (err) {
    if (err instanceof InterruptedError) throw err;
    // A read failure (the file vanished, permissions changed) rejects this input; anything else is a bug.
    if (!(err as NodeJS.ErrnoException).code) throw err;
    // What the finished ranges saw stays (their malformed records, the format); no record or event counts.
    const { input } = inputResult(source, io, joinRanges(book.summaries));
    return { input: { ...input, records: 0, events: 0, rejected: `cannot read: ${describeIoError(err)}`, unreadable: true }, samples: [] };
  } finally {
    prescan?.stop();
  }
  const result = inputResult(source, io, joinRanges(book.summaries));
  return { input: result.input, samples: result.samples.slice(0, MALFORMED_SAMPLE_LIMIT) };
}

/**
 * Native prescan threads (prescan.ts) read pieces 1.. from the moment they start, faster than this
 * thread could (no V8 between the kernel and the file). This thread reads piece 0 (the format probe,
 * a short one) and settles theirs as they finish; events of their pieces are found here, then.
 */
async function readWithPrescan(pieces: PieceRead, prescan: Prescan): Promise<void> {
  const { job, book, read, onEvent, progress } = pieces;
  const stop = () => read.signal?.aborted === true;
  const waiting = new Set(job.pieces.keys());
  waiting.delete(0);
  // One piece at a time (in order: the next ones finish later still), so that Ctrl+C and the
  // progress bar get their turn in between, however far ahead the threads are.
  const settleNext = async (waitMs: number): Promise<void> => {
    const k = waiting.values().next().value;
    if (k === undefined) return;
    const piece = prescan.take(k, waitMs);
    if (!piece) return;
    waiting.delete(k);
    const range = pieceRange(job, k);
    const events = (event: LogEvent) => onEvent(book.event(k, event));
    if (piece.error) {
      // What a thread could not read (no memory, no file descriptor left, a read error), this thread
      // reads itself: a read that fails here too is reported as any failed read is.
      const summary = await scanHere(new RangeScan(range, events), progress, stop);
      if (summary) book.finished(k, summary);
      return;
    }
    const reader = new JsonRecordReader(range.name, events, { forced: range.forced, probe: false, maxRecordBytes: range.maxRecordBytes, lineDelimited: true });
    const length = range.end - range.start;
    const from = reader.replay(piece, length);
    progress(from ?? length);
    if (from === null) {
      reader.end();
      book.finished(k, reader.summary());
      return;
    }
    // The JavaScript scanner reads the rest of the piece here, as it reads piece 0.
    const summary = await scanHere(new RangeScan(range, reader, from), progress, stop);
    if (summary) book.finished(k, summary);
  };
  const head = await scanHere(new RangeScan(pieceRange(job, 0), onEvent), progress, stop, () => settleNext(0));
  if (head) book.finished(0, head);
  // Not a log: the other pieces would count for nothing (joinRanges), so they are not settled.
  if (head?.notALog) return;
  // Waits a little at a time for the next piece.
  while (waiting.size > 0 && !stop()) {
    await settleNext(20);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  if (read.signal?.aborted) throw new InterruptedError();
}

/** Worker threads (scan-worker.ts) claim pieces with the main thread; used where the native kernel does not run. */
async function readWithWorkers(pieces: PieceRead, count: number, workerUrl: URL): Promise<void> {
  const { job, book, read, progress } = pieces;
  const counter = new Int32Array(job.counter);
  const order = new InOrder(pieces.onEvent, counter);
  const workers: Worker[] = [];
  const cleanups: Array<() => void> = [];
  try {
    let halted = false;
    // Workers first, so they start while the main thread reads its first piece.
    const remote = Array.from({ length: count }, () =>
      new Promise<void>((resolve, reject) => {
        const warm = takeWarmWorker();
        const worker = warm ?? new Worker(workerUrl, { workerData: job });
        if (warm) warm.postMessage({ kind: 'job', job } satisfies JobMessage);
        workers.push(worker);
        // Ctrl+C: reject now rather than wait for the exit event (a worker still starting may never send one).
        const onAbort = () => reject(new InterruptedError());
        read.signal?.addEventListener('abort', onAbort, { once: true });
        cleanups.push(() => read.signal?.removeEventListener('abort', onAbort));
        worker.on('message', (message: WorkerMessage) => {
          if (message.kind === 'events') {
            const { piece, events } = message;
            order.batch(piece, (onEvent) => {
              for (const wire of events) onEvent({ ...wire, time: wire.time === null ? null : utcFromMillis(wire.time), source: book.sourceIn(piece, wire.source.file, wire.source.line) });
            });
          } else if (message.kind === 'progress') {
            progress(message.bytes);
          } else if (message.kind === 'failed') {
            reject(Object.assign(new Error(message.message), { code: message.code }));
          } else if (message.kind === 'piece') {
            book.finished(message.piece, message.summary);
            order.finished(message.piece);
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
      const stop = () => halted || read.signal?.aborted === true;
      while (!stop()) {
        if (!mayClaim(job, counter)) {
          await order.advanced(50);
          continue;
        }
        const range = claimPiece(job, counter);
        if (!range) break;
        const k = range.piece;
        const summary = await scanHere(new RangeScan(range, (event) => order.event(k, book.event(k, event))), progress, stop);
        if (!summary) break;
        book.finished(k, summary);
        order.finished(k);
      }
      if (read.signal?.aborted) throw new InterruptedError();
    })();
    await Promise.all([local, ...remote]);
  } finally {
    for (const cleanup of cleanups) cleanup();
    for (const worker of workers) void worker.terminate();
  }
}

/**
 * The main thread's range: read a chunk at a time, letting worker messages, the progress bar and
 * Ctrl+C in between chunks (and `between`). Null when stopped (interrupted, or a worker failed).
 */
async function scanHere(scan: RangeScan, progress: (bytes: number) => void, stop: () => boolean, between?: () => Promise<void>): Promise<InputSummary | null> {
  try {
    for (;;) {
      if (stop()) return null;
      const n = scan.step();
      if (n === 0) return scan.finish();
      progress(n);
      await between?.();
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  } finally {
    scan.close();
  }
}

/** The whole file's summary from its ranges' (those that finished): the head range decides the format. */
function joinRanges(parts: ReadonlyArray<InputSummary | null>): InputSummary {
  // Not a log: a serial read stops once the head says so, so nothing the other pieces counted counts.
  if (parts[0]?.notALog) return parts[0];
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
