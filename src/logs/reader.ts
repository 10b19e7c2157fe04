import { closeSync, openSync, readSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import { DateTime } from 'luxon';
import { openSource, type Source } from './inputs.js';
import { MARKER_PREFILTER } from './markers.js';
import { MALFORMED_SAMPLE_LIMIT, RecordHandler, type RecordCounts } from './record-handler.js';
import type { RangeJob, WireEvent, WorkerMessage } from './scan-worker.js';
import { DEFAULT_MAX_RECORD_BYTES, JsonScanner } from './scanner.js';
import { looksBinary, parseTextLine } from './text.js';
import type { LogEvent, LogFormat, MalformedRecord } from './types.js';

export interface ReadOptions {
  /** Force one format instead of detecting it per input. */
  format?: LogFormat | undefined;
  /** Parse every record, not only those that may carry a marker. */
  all?: boolean;
  maxRecordBytes?: number;
  /** Parallel scan of large line-delimited files; needs the compiled worker (dist/logs/scan-worker.js). */
  parallel?: { workerUrl: URL; workers: number; minBytes: number } | null;
  /** Called as bytes are consumed; `total` is the sum of on-disk sizes when known. */
  onProgress?: (done: number, total: number | null) => void;
  stdin?: Readable;
}

export interface InputStats {
  name: string;
  format: LogFormat | null;
  gzip: boolean;
  bytes: number;
  records: number;
  malformed: number;
  events: number;
  /** Why the whole input was set aside (binary data, JSON that is not an Auth0 log), else null. */
  rejected: string | null;
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
    const input = await readOne(source, options, onEvent, progress);
    stats.inputs.push(input.stats);
    stats.records += input.stats.records;
    stats.malformed += input.stats.malformed;
    stats.events += input.stats.events;
    stats.bytes += input.stats.bytes;
    for (const sample of input.samples) {
      if (stats.malformedSamples.length < MALFORMED_SAMPLE_LIMIT) stats.malformedSamples.push(sample);
    }
  }
  return stats;
}

interface InputResult {
  stats: InputStats;
  samples: MalformedRecord[];
}

async function readOne(
  source: Source,
  options: ReadOptions,
  onEvent: (event: LogEvent) => void,
  progress: (bytes: number) => void,
): Promise<InputResult> {
  const parallel = options.parallel;
  if (parallel && parallel.workers > 1 && source.path && (source.size ?? 0) >= parallel.minBytes) {
    const ranges = lineDelimitedRanges(source.path, source.size!, parallel.workers, options.format);
    if (ranges) return readParallel(source, ranges, options, parallel.workerUrl, onEvent, progress);
  }
  const { stream, gzip } = await openSource(source, options.stdin);
  const stats: InputStats = {
    name: source.name,
    format: null,
    gzip,
    bytes: 0,
    records: 0,
    malformed: 0,
    events: 0,
    rejected: null,
  };
  let mode: 'json' | 'text' | null = null;
  // Assigned inside closures, so TypeScript must not narrow them to null.
  let handler = null as RecordHandler | null;
  let scanner = null as JsonScanner | null;
  let text = null as TextReader | null;
  const maxRecordBytes = options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
  let sniff = Buffer.alloc(0);
  const start = (sample: Buffer) => {
    if (looksBinary(sample)) {
      stats.rejected = 'binary data, not a log';
      return;
    }
    mode = options.format === 'text' || (!options.format && !startsLikeJson(sample)) ? 'text' : 'json';
    if (mode === 'json') {
      handler = new RecordHandler(source.name, onEvent, { forced: options.format, all: options.all });
      scanner = new JsonScanner(handler, { maxRecordBytes });
    } else {
      text = new TextReader(source.name, onEvent, maxRecordBytes);
    }
  };
  const feed = (chunk: Buffer) => {
    if (scanner) scanner.push(chunk);
    else if (text) text.push(chunk);
  };
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      // Progress counts on-disk bytes, so for gzip it is approximate; it only drives the bar.
      progress(gzip ? Math.round(chunk.length / 4) : chunk.length);
      stats.bytes += chunk.length;
      if (mode === null && !stats.rejected) {
        sniff = Buffer.concat([sniff, chunk]);
        if (sniff.length < SNIFF_BYTES) continue;
        start(sniff);
        if (!stats.rejected) feed(sniff);
        continue;
      }
      if (stats.rejected) break;
      feed(chunk);
      if (handler?.notALog) break;
    }
    if (mode === null && !stats.rejected && sniff.length > 0) {
      start(sniff);
      if (!stats.rejected) feed(sniff);
    }
  } finally {
    stream.destroy();
  }
  scanner?.end();
  let counts: RecordCounts | null = null;
  if (handler) {
    handler.end();
    counts = handler.counts;
    if (handler.notALog) stats.rejected = 'JSON, but not Auth0 log records';
  } else if (text) {
    text.end();
    counts = text.counts;
  }
  if (counts) {
    stats.records = counts.records;
    stats.malformed = counts.malformed;
    stats.events = counts.events;
    stats.format = mode === 'text' ? 'text' : counts.format;
  }
  return { stats, samples: counts?.malformedSamples ?? [] };
}

/** `{`, or `[` opening an array of objects (or an empty one): `[10:31:07Z] INFO` is text. */
function startsLikeJson(sample: Buffer): boolean {
  const i = skipSpace(sample, sample[0] === 0xef && sample[1] === 0xbb && sample[2] === 0xbf ? 3 : 0);
  if (sample[i] === 0x7b) return true;
  if (sample[i] !== 0x5b) return false;
  const j = skipSpace(sample, i + 1);
  return j >= sample.length || sample[j] === 0x7b || sample[j] === 0x5d;
}

function skipSpace(sample: Buffer, i: number): number {
  while (i < sample.length && (sample[i] === 0x20 || sample[i] === 0x0a || sample[i] === 0x0d || sample[i] === 0x09)) i++;
  return i;
}

/** Splits free text into lines; only lines that may hold a marker go to the text parser. */
class TextReader {
  readonly counts: RecordCounts = { records: 0, malformed: 0, events: 0, unknown: 0, format: 'text', malformedSamples: [] };
  private carry: Buffer[] = [];
  private carryBytes = 0;
  private overlong = false;
  private line = 1;

  constructor(
    private readonly file: string,
    private readonly emit: (event: LogEvent) => void,
    private readonly maxLineBytes: number,
  ) {}

  push(chunk: Buffer): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      if (nl === -1) break;
      this.finishLine(chunk.subarray(start, nl));
      start = nl + 1;
    }
    if (start < chunk.length) this.hold(chunk.subarray(start));
  }

  end(): void {
    if (this.carryBytes > 0 || this.overlong) this.finishLine(Buffer.alloc(0));
  }

  private hold(part: Buffer): void {
    if (this.overlong) return;
    this.carryBytes += part.length;
    if (this.carryBytes > this.maxLineBytes) {
      this.overlong = true;
      this.carry = [];
    } else {
      this.carry.push(Buffer.from(part));
    }
  }

  private finishLine(tail: Buffer): void {
    const lineNo = this.line++;
    if (this.overlong || this.carryBytes + tail.length > this.maxLineBytes) {
      this.reset();
      this.malformed(lineNo, `line longer than ${Math.round(this.maxLineBytes / 1024)} KiB`);
      return;
    }
    const bytes = this.carry.length ? Buffer.concat([...this.carry, tail]) : tail;
    this.reset();
    let text = bytes.toString('utf8');
    if (lineNo === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    if (text.endsWith('\r')) text = text.slice(0, -1);
    if (text.trim() === '') return;
    if (text.includes('\u0000') || text.includes('\ufffd')) {
      this.malformed(lineNo, 'binary data');
      return;
    }
    this.counts.records++;
    if (!MARKER_PREFILTER.test(text)) return;
    const event = parseTextLine(text, { file: this.file, line: lineNo });
    if (event) {
      this.counts.events++;
      this.emit(event);
    }
  }

  private reset(): void {
    this.carry = [];
    this.carryBytes = 0;
    this.overlong = false;
  }

  private malformed(line: number, reason: string): void {
    this.counts.malformed++;
    if (this.counts.malformedSamples.length < MALFORMED_SAMPLE_LIMIT) {
      this.counts.malformedSamples.push({ source: { file: this.file, line }, reason });
    }
  }
}

/**
 * Newline-aligned byte ranges for a parallel scan, or null when the file is not line-delimited JSON
 * (a pretty-printed or single-array file must be scanned in order) or is gzip.
 */
function lineDelimitedRanges(path: string, size: number, workers: number, forced: LogFormat | undefined): Array<[number, number]> | null {
  if (forced === 'text') return null;
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(Math.min(size, SNIFF_BYTES));
    readSync(fd, head, 0, head.length, 0);
    if (head[0] === 0x1f && head[1] === 0x8b) return null;
    if (looksBinary(head)) return null;
    const bom = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
    if (head[bom] !== 0x7b) return null;
    const nl = head.indexOf(0x0a);
    if (nl === -1) return null;
    try {
      JSON.parse(head.subarray(bom, nl).toString('utf8'));
    } catch {
      return null; // the first record spans lines: pretty-printed
    }
    const cuts = [0];
    const probe = Buffer.alloc(64 * 1024);
    for (let k = 1; k < workers; k++) {
      let at = Math.max(Math.floor((size * k) / workers), cuts[cuts.length - 1]!);
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

async function readParallel(
  source: Source,
  ranges: Array<[number, number]>,
  options: ReadOptions,
  workerUrl: URL,
  onEvent: (event: LogEvent) => void,
  progress: (bytes: number) => void,
): Promise<InputResult> {
  const maxRecordBytes = options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
  const results = await Promise.all(
    ranges.map(([start, end]) => {
      const job: RangeJob = { path: source.path!, name: source.name, start, end, maxRecordBytes };
      if (options.format) job.forced = options.format;
      if (options.all) job.all = true;
      return runWorker(workerUrl, job, progress);
    }),
  );
  // Lines in a range are relative to its start: shift them by the lines of the ranges before it.
  const stats: InputStats = {
    name: source.name,
    format: null,
    gzip: false,
    bytes: source.size!,
    records: 0,
    malformed: 0,
    events: 0,
    rejected: null,
  };
  const samples: MalformedRecord[] = [];
  let linesBefore = 0;
  for (const r of results) {
    for (const wire of r.events) {
      const time = wire.time === null ? null : DateTime.fromMillis(wire.time, { zone: 'utc' });
      onEvent({ ...wire, time, source: { file: wire.source.file, line: wire.source.line + linesBefore } });
    }
    for (const m of r.counts.malformedSamples) {
      if (samples.length < MALFORMED_SAMPLE_LIMIT) samples.push({ ...m, source: { ...m.source, line: m.source.line + linesBefore } });
    }
    stats.records += r.counts.records;
    stats.malformed += r.counts.malformed;
    stats.events += r.counts.events;
    stats.format ??= r.counts.format;
    linesBefore += r.lines;
  }
  if (results[0]?.notALog) stats.rejected = 'JSON, but not Auth0 log records';
  return { stats, samples };
}

interface WorkerResult {
  events: WireEvent[];
  counts: RecordCounts;
  lines: number;
  notALog: boolean;
}

function runWorker(url: URL, job: RangeJob, progress: (bytes: number) => void): Promise<WorkerResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(url, { workerData: job });
    const events: WireEvent[] = [];
    worker.on('message', (message: WorkerMessage) => {
      if (message.kind === 'events') for (const e of message.events) events.push(e);
      else if (message.kind === 'progress') progress(message.bytes);
      else resolve({ events, counts: message.counts, lines: message.lines, notALog: message.notALog });
    });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`log scan worker exited with code ${code}`));
    });
  });
}
