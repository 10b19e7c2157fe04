/**
 * The JSON scanner with a WebAssembly fast path for line-delimited input. The JavaScript scanner
 * (scanner.ts) owns every rule; this hands it all bytes until it knows each record is one line and
 * the reader no longer wants every record (the format probe is over). From the next line start, the
 * kernel (line-kernel.ts) classifies whole lines at memory speed: plain records are only counted,
 * records with a marker word go to the reader with their bytes, and any other line (damage, escapes,
 * arrays) goes back to the JavaScript scanner, which reads it exactly as it would have. When that
 * scanner does not come back to a line start (a top-level array opened), it keeps the input until it
 * does. So the output is the JavaScript scanner's, record for record and malformed line for line; the
 * differential tests hold it to that.
 */
import { openLineKernel, releaseLineKernel, type KernelKind, type LineKernel } from './line-kernel.js';
import { ENTRY_FIELDS, type PrescannedPiece } from './prescan.js';
import { JsonScanner, type ScanOptions, type ScanSink } from './scanner.js';

export interface LineSink extends ScanSink {
  /** Records counted without their bytes: lines with one well-formed object and no marker word. */
  plainRecords(count: number): void;
  /** True while every record must come with its bytes (the format probe, an import report parsed whole). */
  wantsEveryRecord(): boolean;
}

/** What a reader needs of a scanner, with or without the fast path (only the fast path reads in place). */
export interface RecordScanner {
  push(chunk: Buffer): void;
  end(): void;
  readonly currentLine: number;
  writable?(): Buffer | null;
  pushWritten?(n: number): void;
  replay?(piece: PrescannedPiece, length: number): number | null;
}

export const REGION_BYTES = 4 * 1024 * 1024;
const SLOW_PIECE = 64 * 1024;

export class LineScanner implements RecordScanner {
  private readonly slow: JsonScanner;
  private kernel: LineKernel | null = null;
  private fast = false;
  /** Fast mode: bytes of an unfinished line at the region's start, the input offset and line number of region[0]. */
  private held = 0;
  private offset = 0;
  private line = 1;
  /** The last bytes before region[0], so the JavaScript scanner sees a marker's start across the move. */
  private before: Buffer = Buffer.alloc(0);

  constructor(
    private readonly sink: LineSink,
    private readonly options: ScanOptions,
    private readonly regionBytes = REGION_BYTES,
    /** Which kernel (tests run each); the fastest available by default. */
    private readonly kind?: KernelKind,
  ) {
    this.slow = new JsonScanner(sink, options);
  }

  get currentLine(): number {
    return this.fast ? this.line : this.slow.currentLine;
  }

  push(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) at = this.fast ? this.pushFast(chunk, at) : this.pushSlow(chunk, at);
  }

  end(): void {
    if (this.fast) this.leaveFast(0);
    this.slow.end();
    // The next reader on this thread (the next piece of a file) takes the kernel and its region.
    if (this.kernel) releaseLineKernel(this.kernel, this.options.maxRecordBytes);
    this.kernel = null;
  }

  private canGoFast(): boolean {
    return this.slow.lineBased === true && this.slow.atLineStart && !this.sink.wantsEveryRecord();
  }

  /**
   * The JavaScript scanner reads. Input that is not line-based goes to it whole; otherwise at most
   * SLOW_PIECE bytes at a time, ending at a newline, so that the kernel takes over at the first line
   * start after the probe, and the scanner, whose code is not compiled yet this early, never reads
   * megabytes first (measured: 4 MB cost 70 ms of the main thread's range).
   */
  private pushSlow(chunk: Buffer, at: number): number {
    if (this.canGoFast() && this.enterFast()) return at;
    if (this.slow.lineBased === false) {
      this.slow.push(at === 0 ? chunk : chunk.subarray(at));
      return chunk.length;
    }
    const limit = Math.min(chunk.length, at + SLOW_PIECE);
    let end = limit === chunk.length ? chunk.length : chunk.lastIndexOf(0x0a, limit - 1) + 1;
    if (end <= at) {
      const nl = chunk.indexOf(0x0a, limit);
      end = nl === -1 ? chunk.length : nl + 1;
    }
    this.slow.push(chunk.subarray(at, end));
    return end;
  }

  private enterFast(): boolean {
    this.kernel ??= openLineKernel(this.regionBytes, this.options.maxRecordBytes, this.kind);
    if (!this.kernel) return false;
    this.fast = true;
    this.held = 0;
    this.offset = this.slow.offset;
    this.line = this.slow.currentLine;
    this.before = Buffer.alloc(0);
    return true;
  }

  private pushFast(chunk: Buffer, at: number): number {
    const kernel = this.kernel!;
    const n = Math.min(kernel.capacity - this.held, chunk.length - at);
    chunk.copy(kernel.region, this.held, at, at + n);
    this.filled(n);
    return at + n;
  }

  /**
   * Where the next bytes may be read to directly (no copy), or null: the free end of the kernel's
   * region while the kernel reads. Fill some of it, then call `pushWritten` with how many bytes.
   */
  writable(): Buffer | null {
    // At a line start where the kernel may read (a later piece of a file, from its first byte), it
    // takes over now, so that even the first chunk is read in place.
    if (!this.fast && !(this.canGoFast() && this.enterFast())) return null;
    const kernel = this.kernel!;
    return kernel.region.subarray(this.held);
  }

  pushWritten(n: number): void {
    if (n > 0) this.filled(n);
  }

  /** n more bytes are in the region after the held ones: classify the whole lines, keep the rest. */
  private filled(n: number): void {
    const region = this.kernel!.region;
    const filled = this.held + n;
    const last = region.lastIndexOf(0x0a, filled - 1);
    if (last === -1) {
      this.held = filled;
      // A line longer than the region: the JavaScript scanner reads it (and reports it if oversized).
      if (filled === this.kernel!.capacity) this.leaveFast(0);
      return;
    }
    const stopped = this.scanLines(last + 1);
    if (stopped !== null) {
      // The JavaScript scanner took over inside the region: it reads the rest (copied: the region is reused).
      const rest = Buffer.from(region.subarray(stopped, filled));
      this.fast = false;
      this.push(rest);
      return;
    }
    this.before = Buffer.from(region.subarray(Math.max(0, last + 1 - 8), last + 1));
    region.copyWithin(0, last + 1, filled);
    this.held = filled - last - 1;
    this.offset += last + 1;
  }

  /**
   * Classifies region[0, to) line by line. Returns null when every line was settled here (this.line
   * moves on), or the region offset where the JavaScript scanner, now in charge, must go on reading.
   */
  private scanLines(to: number): number | null {
    const kernel = this.kernel!;
    const region = kernel.region;
    let from = 0;
    while (from < to) {
      const pass = kernel.scan(from, to);
      for (const entry of pass.entries) {
        const line = this.line + entry.lineIndex;
        if (entry.other) {
          this.slow.resumeAt(line, this.offset + entry.start, this.bytesBefore(entry.start));
          this.slow.push(region.subarray(entry.start, entry.end));
          if (!this.canGoFast()) {
            this.sink.plainRecords(entry.plainBefore);
            return entry.end;
          }
        } else {
          this.sink.record(region.subarray(entry.start, entry.end), line, false, true);
          if (this.sink.wantsEveryRecord()) {
            this.sink.plainRecords(entry.plainBefore);
            const lineEnd = region.indexOf(0x0a, entry.end) + 1;
            this.slow.resumeAt(line + 1, this.offset + lineEnd, this.bytesBefore(lineEnd));
            return lineEnd;
          }
        }
      }
      this.sink.plainRecords(pass.plain);
      this.line += pass.lines;
      from = pass.reached;
    }
    return null;
  }

  private bytesBefore(at: number): Buffer {
    const region = this.kernel!.region;
    return at >= 8 ? region.subarray(at - 8, at) : Buffer.concat([this.before, region.subarray(0, at)]);
  }

  /**
   * Settles a piece of `length` bytes that a prescan thread classified (prescan.ts) as scanLines
   * would have from the piece's first byte, before any byte is pushed. Returns null when the piece is
   * settled, or the offset in it from which the caller pushes the bytes (the JavaScript scanner is
   * then in charge: a line took it out of the line-based scan, or the thread handed the piece over).
   */
  replay(piece: PrescannedPiece, length: number): number | null {
    if (this.fast || this.slow.offset !== 0 || !this.canGoFast()) return 0;
    const { entries, arena } = piece;
    const bytes = (at: number, n: number) => arena.subarray(at, at + n);
    let counted = 0;
    for (let j = 0; j < entries.length; j += ENTRY_FIELDS) {
      const line = 1 + entries[j + 6]!;
      const plain = Math.floor(entries[j + 7]! / 2);
      const before = bytes(entries[j]!, entries[j + 1]!);
      const lineEnd = entries[j + 5]!;
      this.sink.plainRecords(plain - counted);
      counted = plain;
      if (entries[j + 7]! % 2 === 1) {
        this.slow.resumeAt(line, entries[j + 4]!, before);
        this.slow.push(bytes(entries[j + 2]!, entries[j + 3]!));
        if (!this.canGoFast()) return lineEnd;
      } else {
        this.sink.record(bytes(entries[j + 2]!, entries[j + 3]!), line, false, true);
        if (this.sink.wantsEveryRecord()) {
          this.slow.resumeAt(line + 1, lineEnd, before);
          return lineEnd;
        }
      }
    }
    this.sink.plainRecords(piece.plain - counted);
    const stopped = piece.stopped >= 0 ? piece.stopped : null;
    this.slow.resumeAt(1 + piece.lines, stopped ?? length, bytes(piece.stopBeforeAt, piece.stopBeforeLength));
    return stopped;
  }

  /** Hands the held bytes from `from` (an unfinished line) to the JavaScript scanner, positioned at their start. */
  private leaveFast(from: number): void {
    const region = this.kernel!.region;
    this.fast = false;
    this.slow.resumeAt(this.line, this.offset + from, this.bytesBefore(from));
    const held = Buffer.from(region.subarray(from, this.held));
    this.held = 0;
    if (held.length > 0) this.slow.push(held);
  }
}
