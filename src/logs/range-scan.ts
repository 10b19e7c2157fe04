/**
 * One newline-aligned byte range of a large line-delimited file, read a chunk at a time: by a
 * worker thread (scan-worker.ts) or by the main thread itself (parallel.ts). Bytes are read straight
 * into the line kernel's memory when it is reading, so they are never copied.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import type { InputSummary } from './input-reader.js';
import { JsonRecordReader } from './json-reader.js';
import type { RangeJob } from './scan-protocol.js';
import type { LogEvent } from './types.js';

const CHUNK_BYTES = 4 * 1024 * 1024;

export class RangeScan {
  private readonly reader: JsonRecordReader;
  /** For the chunks read before the kernel reads (then bytes go straight to its memory): one per thread. */
  private static buffer: Buffer | null = null;
  private readonly buffer = (RangeScan.buffer ??= Buffer.allocUnsafe(CHUNK_BYTES));
  private fd: number | null;
  private position: number;

  /**
   * Opens the file: throws its read error (an ErrnoException), as `step` does. Given a reader, goes on
   * with it from `from` bytes into the range (the rest of a piece a prescan thread handed over).
   */
  constructor(
    private readonly job: RangeJob,
    events: ((event: LogEvent) => void) | JsonRecordReader,
    from = 0,
  ) {
    this.reader =
      events instanceof JsonRecordReader
        ? events
        : new JsonRecordReader(job.name, events, { forced: job.forced, probe: job.probe, maxRecordBytes: job.maxRecordBytes, lineDelimited: true });
    this.position = job.start + from;
    this.fd = openSync(job.path, 'r');
  }

  /** Reads and scans the next chunk; returns its size, 0 at the end of the range. */
  step(): number {
    if (this.fd === null || this.position >= this.job.end) return 0;
    const direct = this.reader.writable();
    const target = direct ?? this.buffer;
    const n = readSync(this.fd, target, 0, Math.min(target.length, CHUNK_BYTES, this.job.end - this.position), this.position);
    if (n === 0) {
      this.position = this.job.end;
      return 0;
    }
    this.position += n;
    if (direct) this.reader.pushWritten(n);
    else this.reader.push(this.buffer.subarray(0, n));
    return n;
  }

  /** The range is read: its summary (lines relative to the range). */
  finish(): InputSummary {
    this.close();
    this.reader.end();
    return this.reader.summary();
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}
