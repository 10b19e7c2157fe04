import type { Readable } from 'node:stream';
import { InterruptedError } from '../errors.js';
import type { InputReader } from './input-reader.js';
import { describeIoError, openSource, type OpenedSource, type Source } from './inputs.js';
import { JsonRecordReader } from './json-reader.js';
import { MALFORMED_SAMPLE_LIMIT } from './malformed.js';
import { readParallel, type ParallelPlan } from './parallel.js';
import { stopEarlyPrescan } from './prescan.js';
import { DEFAULT_MAX_RECORD_BYTES } from './scanner.js';
import { sniffKind } from './sniff.js';
import { inputResult, rejectedInput, type InputIo, type InputResult, type ReadStats } from './stats.js';
import { TextLineReader } from './text-reader.js';
import type { LogEvent, LogFormat } from './types.js';

export type { InputStats, ReadStats } from './stats.js';

export interface ReadOptions {
  /** Force one format instead of detecting it per input. */
  format?: LogFormat | undefined;
  maxRecordBytes?: number;
  /** Parallel scan of large line-delimited files (see parallelPlan in parallel.ts); null or absent reads serially. */
  parallel?: ParallelPlan | null;
  /** Called as bytes are consumed; `total` is the sum of on-disk sizes when known. */
  onProgress?: (done: number, total: number | null) => void;
  stdin?: Readable;
  /** Aborting stops the read: the open input is closed and readLogs rejects with InterruptedError. */
  signal?: AbortSignal;
}

/** A reader is chosen from this many first bytes (or all of a shorter input). */
const SNIFF_BYTES = 64 * 1024;

/** Reads every source in order and hands each normalized event to `onEvent`. */
export async function readLogs(
  sources: readonly Source[],
  options: ReadOptions,
  onEvent: (event: LogEvent) => void,
): Promise<ReadStats> {
  const total = sources.every((s) => s.size !== null) ? sources.reduce((n, s) => n + (s.size ?? 0), 0) : null;
  let done = 0;
  const progress = (bytes: number) => {
    done += bytes;
    options.onProgress?.(done, total);
  };
  const stats: ReadStats = { inputs: [], records: 0, malformed: 0, events: 0, bytes: 0, malformedSamples: [] };
  try {
    for (const source of sources) {
      if (options.signal?.aborted) throw new InterruptedError();
      const { input, samples } = await readOne(source, options, onEvent, progress);
      if (options.signal?.aborted) throw new InterruptedError();
      stats.inputs.push(input);
      stats.records += input.records;
      stats.malformed += input.malformed;
      stats.events += input.events;
      stats.bytes += input.bytes;
      for (const sample of samples) {
        if (stats.malformedSamples.length < MALFORMED_SAMPLE_LIMIT) stats.malformedSamples.push(sample);
      }
    }
  } finally {
    // A prescan started for a file before the CLI loaded (src/cli/early.ts) that no read took.
    stopEarlyPrescan();
  }
  return stats;
}

async function readOne(
  source: Source,
  options: ReadOptions,
  onEvent: (event: LogEvent) => void,
  progress: (bytes: number) => void,
): Promise<InputResult> {
  const plan = options.parallel;
  if (plan && plan.workers > 1 && source.path && source.size !== null && source.size >= plan.minBytes && options.format !== 'text') {
    const result = await readParallel({ ...source, path: source.path, size: source.size }, options, plan, onEvent, progress);
    if (result) return result;
  }
  let opened: OpenedSource;
  try {
    opened = await openSource(source, options.stdin);
  } catch (err) {
    return rejectedInput(source, { gzip: false, bytes: 0 }, `cannot read: ${describeIoError(err)}`, true);
  }
  const io: InputIo = { gzip: opened.gzip, bytes: 0 };
  const stop = () => opened.close();
  options.signal?.addEventListener('abort', stop, { once: true });
  const count = (chunk: Buffer) => {
    // Progress counts on-disk bytes, so for gzip it is approximate; it only drives the bar.
    progress(opened.gzip ? Math.round(chunk.length / 4) : chunk.length);
    io.bytes += chunk.length;
  };
  let pumped: Pumped;
  try {
    pumped = await pump(opened.stream, count, (sample) => chooseReader(sample, source.name, options, onEvent));
  } finally {
    options.signal?.removeEventListener('abort', stop);
    opened.close();
  }
  if (options.signal?.aborted) return inputResult(source, io);
  const { failure } = pumped;
  let { reader, chosen } = pumped;
  // A short input (or one that failed early) never filled the sniff buffer: read what there is.
  if (!chosen && pumped.sniff.length > 0) {
    chosen = true;
    reader = chooseReader(pumped.sniff, source.name, options, onEvent);
    reader?.push(pumped.sniff);
  }
  if (!reader) {
    if (failure) return rejectedInput(source, io, `cannot read: ${failure}`, !opened.gzip);
    if (chosen) return rejectedInput(source, io, 'binary data, not a log', false);
    return inputResult(source, io); // an empty input
  }
  // What was read before a failure (a truncated .gz, say) still counts; the failure is one malformed record.
  reader.end(failure ?? undefined);
  return inputResult(source, io, reader.summary());
}

/** The reader an input's first bytes call for; null for binary data. */
function chooseReader(sample: Buffer, name: string, options: ReadOptions, onEvent: (event: LogEvent) => void): InputReader | null {
  const maxRecordBytes = options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
  const kind = sniffKind(sample, maxRecordBytes);
  if (kind === 'binary') return null;
  if (options.format === 'text' || (!options.format && kind === 'text')) {
    // --format text: every line as plain text, without looking for records in it.
    return new TextLineReader(name, onEvent, maxRecordBytes, options.format !== 'text');
  }
  return new JsonRecordReader(name, onEvent, { forced: options.format, maxRecordBytes });
}

interface Pumped {
  /** Whether a reader was chosen (null: the first bytes were binary data). */
  chosen: boolean;
  reader: InputReader | null;
  /** The input's bytes when it ended before a reader was chosen. */
  sniff: Buffer;
  /** Why reading stopped early, if it did. */
  failure: string | null;
}

/**
 * Feeds a stream to the reader its first SNIFF_BYTES call for, and stops early when the reader
 * finds the input is not a log (or the bytes are binary).
 */
async function pump(stream: Readable, count: (chunk: Buffer) => void, choose: (sample: Buffer) => InputReader | null): Promise<Pumped> {
  let reader: InputReader | null = null;
  let chosen = false;
  let sniff = Buffer.alloc(0);
  let failure: string | null = null;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      count(chunk);
      if (!chosen) {
        sniff = Buffer.concat([sniff, chunk]);
        if (sniff.length < SNIFF_BYTES) continue;
        chosen = true;
        reader = choose(sniff);
        if (!reader) break;
        reader.push(sniff);
        continue;
      }
      reader!.push(chunk);
      if (reader!.notALog) break;
    }
  } catch (err) {
    failure = describeIoError(err);
  }
  return { chosen, reader, sniff, failure };
}
