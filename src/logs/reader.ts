import type { Readable } from 'node:stream';
import { InterruptedError } from '../errors.js';
import { describeIoError, openSource, type Source } from './inputs.js';
import { MALFORMED_SAMPLE_LIMIT, MalformedLog } from './malformed.js';
import { readParallel, splitLineDelimited, type ParallelPlan } from './parallel.js';
import { RecordHandler } from './record-handler.js';
import { DEFAULT_MAX_RECORD_BYTES, JsonScanner } from './scanner.js';
import { emptyStats, type InputResult, type InputStats } from './stats.js';
import { TextReader } from './text-reader.js';
import { looksBinary } from './text.js';
import type { LogEvent, LogFormat, MalformedRecord } from './types.js';

export type { InputStats } from './stats.js';

export interface ReadOptions {
  /** Force one format instead of detecting it per input. */
  format?: LogFormat | undefined;
  /** Parse every record, not only those that may carry a marker. */
  all?: boolean;
  maxRecordBytes?: number;
  /** Parallel scan of large line-delimited files; needs the compiled worker (dist/logs/scan-worker.js). */
  parallel?: ParallelPlan | null;
  /** Called as bytes are consumed; `total` is the sum of on-disk sizes when known. */
  onProgress?: (done: number, total: number | null) => void;
  stdin?: Readable;
  /** Aborting stops the read: the open input is closed and readLogs rejects with InterruptedError. */
  signal?: AbortSignal;
}

export interface ReadStats {
  inputs: InputStats[];
  records: number;
  malformed: number;
  events: number;
  bytes: number;
  /** Where the malformed records are (the first MALFORMED_SAMPLE_LIMIT of them). */
  malformedSamples: MalformedRecord[];
}

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
  return stats;
}

/** What reads one input's bytes once its kind is known: a JSON scanner or a text line reader. */
interface Consumer {
  push(chunk: Buffer): void;
  end(): void;
  readonly records: number;
  readonly events: number;
  readonly format: LogFormat | null;
  readonly malformed: MalformedLog;
  readonly notALog: boolean;
  readonly currentLine: number;
}

async function readOne(
  source: Source,
  options: ReadOptions,
  onEvent: (event: LogEvent) => void,
  progress: (bytes: number) => void,
): Promise<InputResult> {
  const plan = options.parallel;
  if (plan && plan.workers > 1 && source.path && (source.size ?? 0) >= plan.minBytes && options.format !== 'text') {
    const ranges = splitLineDelimited(source.path, source.size!, plan.workers);
    if (ranges) return readParallel(source, ranges, options, plan, onEvent, progress);
  }
  const input = emptyStats(source);
  let opened;
  try {
    opened = await openSource(source, options.stdin);
  } catch (err) {
    return { input: { ...input, rejected: `cannot read: ${describeIoError(err)}`, unreadable: true }, samples: [] };
  }
  input.gzip = opened.gzip;
  const stop = () => opened.close();
  options.signal?.addEventListener('abort', stop, { once: true });
  const maxRecordBytes = options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
  let consumer: Consumer | null = null;
  let sniff = Buffer.alloc(0);
  let failure: string | null = null;
  const begin = (sample: Buffer): Consumer | null => {
    if (looksBinary(sample)) {
      input.rejected = 'binary data, not a log';
      return null;
    }
    const text = options.format === 'text' || (!options.format && !looksLikeJson(sample, maxRecordBytes));
    return text ? new TextReader(source.name, onEvent, maxRecordBytes, options.format !== 'text') : jsonConsumer(source.name, onEvent, options, maxRecordBytes);
  };
  try {
    for await (const chunk of opened.stream as AsyncIterable<Buffer>) {
      // Progress counts on-disk bytes, so for gzip it is approximate; it only drives the bar.
      progress(opened.gzip ? Math.round(chunk.length / 4) : chunk.length);
      input.bytes += chunk.length;
      if (consumer === null) {
        sniff = Buffer.concat([sniff, chunk]);
        if (sniff.length < SNIFF_BYTES) continue;
        consumer = begin(sniff);
        if (consumer === null) break;
        consumer.push(sniff);
        continue;
      }
      consumer.push(chunk);
      if (consumer.notALog) break;
    }
  } catch (err) {
    failure = describeIoError(err);
  } finally {
    options.signal?.removeEventListener('abort', stop);
    opened.close();
  }
  if (options.signal?.aborted) return { input, samples: [] };
  // A short input (or one that failed early) never filled the sniff buffer: read what there is.
  if (consumer === null && input.rejected === null && sniff.length > 0) {
    consumer = begin(sniff);
    consumer?.push(sniff);
  }
  if (consumer === null) {
    if (failure) Object.assign(input, { rejected: `cannot read: ${failure}`, unreadable: !opened.gzip });
    return { input, samples: [] };
  }
  consumer.end();
  // What was read before a failure (a truncated .gz, say) still counts; the failure is one malformed record.
  if (failure) consumer.malformed.add(consumer.currentLine, `the input ends early: ${failure}`);
  Object.assign(input, {
    records: consumer.records,
    malformed: consumer.malformed.count,
    events: consumer.events,
    format: consumer.format,
  });
  if (consumer.notALog) input.rejected = 'JSON, but not Auth0 log records';
  return { input, samples: consumer.malformed.samples };
}

function jsonConsumer(file: string, onEvent: (event: LogEvent) => void, options: ReadOptions, maxRecordBytes: number): Consumer {
  const handler = new RecordHandler(file, onEvent, { forced: options.format, all: options.all });
  const scanner = new JsonScanner(handler, { maxRecordBytes });
  return {
    push: (chunk) => scanner.push(chunk),
    end: () => {
      scanner.end();
      handler.end();
    },
    get records() {
      return handler.records;
    },
    get events() {
      return handler.events;
    },
    get format() {
      return handler.format;
    },
    malformed: handler.malformedLog,
    get notALog() {
      return handler.notALog;
    },
    get currentLine() {
      return scanner.currentLine;
    },
  };
}

/**
 * JSON when it opens like JSON (`{`, or `[` followed by `{` or `]`: `[10:31:07Z] INFO` is text) and
 * most of its first lines scan as JSON: a paste that opens with one pasted 409 body is still text.
 */
function looksLikeJson(sample: Buffer, maxRecordBytes: number): boolean {
  let i = sample[0] === 0xef && sample[1] === 0xbb && sample[2] === 0xbf ? 3 : 0;
  i = skipSpace(sample, i);
  if (sample[i] === 0x5b) {
    const j = skipSpace(sample, i + 1);
    if (j < sample.length && sample[j] !== 0x7b && sample[j] !== 0x5d) return false;
  } else if (sample[i] !== 0x7b) {
    return false;
  }
  let records = 0;
  let notJson = 0;
  const probe = new JsonScanner(
    {
      record: () => records++,
      malformed: (_line, reason) => {
        if (reason === 'not JSON') notJson++;
      },
    },
    { maxRecordBytes },
  );
  probe.push(sample);
  return notJson <= records;
}

function skipSpace(sample: Buffer, i: number): number {
  while (i < sample.length && (sample[i] === 0x20 || sample[i] === 0x0a || sample[i] === 0x0d || sample[i] === 0x09)) i++;
  return i;
}
