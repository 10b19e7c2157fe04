/**
 * Streaming splitter for JSON inputs: NDJSON, concatenated (pretty) objects, and top-level arrays,
 * whose elements are yielded one by one so a gigabyte array never sits in memory.
 *
 * This is the fast path. One pass over the bytes, table-driven, does three jobs at once:
 * - validates structure (balanced brackets of the right kind, terminated strings, no raw control
 *   bytes in strings, only JSON bytes outside strings), so a malformed record is counted even when
 *   nobody will parse it;
 * - finds record boundaries and their 1-based start lines;
 * - flags records that may carry a stuck-user marker (case-insensitive "exist", "duplicat",
 *   "conflict", or any backslash escape that could hide one). Only those are JSON.parse'd by the
 *   reader; the rest are counted. Tests prove the flag has no false negatives.
 */

export interface ScanSink {
  /** A structurally valid record. `bytes` is only valid during the call. */
  record(bytes: Buffer, line: number, inArray: boolean, candidate: boolean): void;
  malformed(line: number, reason: string): void;
}

export interface ScanOptions {
  /** Records larger than this are reported malformed without being buffered. */
  maxRecordBytes: number;
  /** Known in advance that every record is one line (a worker's slice of an NDJSON file). */
  lineDelimited?: boolean;
}

export const DEFAULT_MAX_RECORD_BYTES = 4 * 1024 * 1024;

// Byte classes outside strings.
const O_PLAIN = 0; // digits, true/false/null letters, - + . : , and spaces
const O_QUOTE = 1;
const O_OPEN = 2;
const O_CLOSE = 3;
const O_NEWLINE = 4;
const O_INVALID = 5;
const OUTSIDE = new Uint8Array(256).fill(O_INVALID);
for (const ch of '0123456789-+.eE:, \t\rtruefalsn') OUTSIDE[ch.charCodeAt(0)] = O_PLAIN;
OUTSIDE[0x22] = O_QUOTE;
OUTSIDE[0x7b] = O_OPEN;
OUTSIDE[0x5b] = O_OPEN;
OUTSIDE[0x7d] = O_CLOSE;
OUTSIDE[0x5d] = O_CLOSE;
OUTSIDE[0x0a] = O_NEWLINE;

// Byte classes inside strings: 0 plain, then the bytes that need a look.
const S_QUOTE = 1;
const S_BACKSLASH = 2;
const S_CONTROL = 3;
const S_TRIGGER = 4; // x, p, f in either case: the rare letter of each marker word
const INSIDE = new Uint8Array(256);
for (let c = 0; c < 0x20; c++) INSIDE[c] = S_CONTROL;
INSIDE[0x22] = S_QUOTE;
INSIDE[0x5c] = S_BACKSLASH;
for (const ch of 'xXpPfF') INSIDE[ch.charCodeAt(0)] = S_TRIGGER;

/** Marker words with the offset of their trigger letter; compared case-insensitively. */
const MARKERS: ReadonlyArray<{ word: Uint8Array; at: number; trigger: number }> = [
  { word: 'exist', at: 1 },
  { word: 'duplicat', at: 2 },
  { word: 'conflict', at: 3 },
].map(({ word, at }) => ({
  word: new TextEncoder().encode(word),
  at,
  trigger: word.charCodeAt(at),
}));

const enum Top {
  /** Between records: whitespace, or the start of a record / top-level array. */
  Between,
  /** Skipping the rest of a line after garbage or a resync. */
  SkipLine,
}

export class JsonScanner {
  private depth = 0;
  /** Bracket kinds of the open containers, indexed by depth (1 = '{', 2 = '['). */
  private stack = new Uint8Array(256);
  private inString = false;
  private escaped = false;
  private recordDepth = 0; // 1 while inside a top-level array
  private top: Top = Top.Between;
  private line = 1;
  private recordLine = 0;
  private recordStart = -1; // offset in the current chunk, or -1 when the record began earlier
  private inRecord = false;
  private candidate = false;
  private carry: Buffer[] = [];
  private carryBytes = 0;
  private oversize = false;
  /** Set once the first record started and ended on one line: then a newline ends any record. */
  private lineDelimited: boolean | null = null;
  /** Tail bytes of the previous chunk, so a marker split across chunks is still seen. */
  private tail: Buffer = Buffer.alloc(0);

  constructor(
    private readonly sink: ScanSink,
    private readonly options: ScanOptions = { maxRecordBytes: DEFAULT_MAX_RECORD_BYTES },
  ) {
    if (options.lineDelimited) this.lineDelimited = true;
  }

  /** Lines seen so far (the current 1-based line number). */
  get currentLine(): number {
    return this.line;
  }

  push(chunk: Buffer): void {
    const n = chunk.length;
    let i = 0;
    if (this.inRecord) this.recordStart = -1;
    while (i < n) {
      if (this.top === Top.SkipLine) {
        const nl = chunk.indexOf(0x0a, i);
        if (nl === -1) break;
        this.line++;
        i = nl + 1;
        this.top = Top.Between;
        continue;
      }
      if (!this.inRecord) {
        i = this.between(chunk, i, n);
        continue;
      }
      i = this.inside(chunk, i, n);
    }
    if (this.inRecord) this.keep(chunk, this.recordStart === -1 ? 0 : this.recordStart, n);
    this.tail = n >= 8 ? chunk.subarray(n - 8) : Buffer.concat([this.tail, chunk]).subarray(-8);
  }

  /** Call at end of input: an unfinished record is a truncated one. */
  end(): void {
    if (this.inRecord) this.fail(this.recordLine, 'truncated: the input ends inside it', false);
    if (this.recordDepth > 0) this.sink.malformed(this.line, 'unterminated top-level array');
    this.recordDepth = 0;
  }

  /** Between records: skip whitespace, enter/leave a top-level array, start a record. */
  private between(chunk: Buffer, i: number, n: number): number {
    while (i < n) {
      const c = chunk[i]!;
      if (c === 0x0a) {
        this.line++;
      } else if (c === 0x20 || c === 0x09 || c === 0x0d || c === 0x2c) {
        // whitespace, or the comma between array elements
      } else if (c === 0x7b || (c === 0x5b && this.recordDepth === 1)) {
        this.startRecord(chunk, i, c);
        return i + 1;
      } else if (c === 0x5b && this.recordDepth === 0) {
        this.recordDepth = 1;
        this.depth = 1;
        this.stack[1] = 2;
      } else if (c === 0x5d && this.recordDepth === 1) {
        this.recordDepth = 0;
        this.depth = 0;
      } else if (c === 0xef && chunk[i + 1] === 0xbb && chunk[i + 2] === 0xbf && this.line === 1) {
        i += 2; // UTF-8 byte order mark
      } else {
        this.sink.malformed(this.line, 'not JSON');
        this.top = Top.SkipLine;
        return i;
      }
      i++;
    }
    return i;
  }

  private startRecord(chunk: Buffer, i: number, c: number): void {
    this.inRecord = true;
    this.recordStart = i;
    this.recordLine = this.line;
    this.candidate = false;
    this.carry = [];
    this.carryBytes = 0;
    this.oversize = false;
    this.depth++;
    this.stack[this.depth] = c === 0x7b ? 1 : 2;
  }

  /** Inside a record: the hot loop. Returns where scanning should continue. */
  private inside(buffer: Buffer, i: number, n: number): number {
    // A plain Uint8Array view indexes faster than the Buffer subclass in V8's hot loop.
    const chunk = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.length);
    let depth = this.depth;
    let inString = this.inString;
    let candidate = this.candidate;
    const stack = this.stack;
    const base = this.recordDepth;
    if (this.escaped && i < n) {
      this.escaped = false;
      const e = chunk[i]!;
      if (e === 0x75) candidate = true;
      else if (e >= 0x20) i++;
    }
    for (; i < n; i++) {
      if (inString) {
        // Most bytes of a log are plain string bytes: skip them in the tightest loop possible.
        while (i < n && INSIDE[chunk[i]!] === 0) i++;
        if (i === n) break;
        const c = chunk[i]!;
        const k = INSIDE[c]!;
        if (k === S_QUOTE) inString = false;
        else if (k === S_BACKSLASH) {
          if (i + 1 === n) {
            this.escaped = true; // the escaped byte is in the next chunk
            continue;
          }
          const e = chunk[++i]!;
          if (e === 0x75) candidate = true; // \uXXXX may spell a marker
          else if (e < 0x20) break;
        } else if (k === S_TRIGGER) {
          // Cheap look at the neighbour first ("ex", "pl", "fl"); most p and f stop here.
          const near = (c | 0x20) === 0x78 ? chunk[i - 1] : chunk[i + 1];
          const want = (c | 0x20) === 0x78 ? 0x65 : 0x6c;
          if (!candidate && (near === undefined || (near | 0x20) === want) && this.markerAt(buffer, i, c)) candidate = true;
        } else break; // raw control byte inside a string
        continue;
      }
      while (i < n && OUTSIDE[chunk[i]!] === O_PLAIN) i++;
      if (i === n) break;
      const c = chunk[i]!;
      const k = OUTSIDE[c]!;
      if (k === O_QUOTE) {
        inString = true;
      } else if (k === O_OPEN) {
        if (depth >= 255) break;
        stack[++depth] = c === 0x7b ? 1 : 2;
      } else if (k === O_CLOSE) {
        if (stack[depth] !== (c === 0x7d ? 1 : 2)) break;
        depth--;
        if (depth === base) {
          this.depth = depth;
          this.inString = false;
          this.candidate = candidate;
          this.finishRecord(buffer, i + 1);
          return i + 1;
        }
      } else if (k === O_NEWLINE) {
        this.line++;
        // In NDJSON a newline ends any top-level record; inside a top-level array it is only spacing.
        if (this.lineDelimited === true && base === 0) break;
      } else {
        break; // a byte that cannot appear outside a JSON string
      }
    }
    this.depth = depth;
    this.inString = inString;
    this.candidate = candidate;
    if (i < n) {
      if (chunk[i] === 0x0a) {
        if (inString) this.line++; // a newline outside strings was already counted
        this.fail(this.recordLine, 'truncated: the line ends inside it', false);
        return i + 1;
      }
      this.fail(this.recordLine, inString ? 'control byte inside a string' : 'invalid JSON', true);
      return i;
    }
    return i;
  }

  private markerAt(chunk: Buffer, i: number, c: number): boolean {
    const lower = c | 0x20;
    for (const m of MARKERS) {
      if (m.trigger !== lower) continue;
      const start = i - m.at;
      const word = m.word;
      let ok = true;
      for (let j = 0; j < word.length; j++) {
        const p = start + j;
        const b = p < 0 ? this.tail[this.tail.length + p] : p < chunk.length ? chunk[p] : undefined;
        if (b === undefined) return true; // split across chunks: stay safe, parse it
        if ((b | 0x20) !== word[j]) {
          ok = false;
          break;
        }
      }
      if (ok) return true;
    }
    return false;
  }

  private finishRecord(chunk: Buffer, end: number): void {
    this.inRecord = false;
    if (this.lineDelimited === null && this.recordDepth === 0) this.lineDelimited = this.recordLine === this.line;
    if (this.oversize || this.carryBytes + end - Math.max(this.recordStart, 0) > this.options.maxRecordBytes) {
      this.sink.malformed(this.recordLine, `record larger than ${formatBytes(this.options.maxRecordBytes)}`);
      this.carry = [];
      return;
    }
    const start = this.recordStart === -1 ? 0 : this.recordStart;
    const bytes: Buffer =
      this.carry.length === 0 ? chunk.subarray(start, end) : Buffer.concat([...this.carry, chunk.subarray(start, end)]);
    this.carry = [];
    this.carryBytes = 0;
    this.sink.record(bytes, this.recordLine, this.recordDepth === 1, this.candidate);
  }

  private keep(chunk: Buffer, start: number, end: number): void {
    if (this.oversize) return;
    this.carryBytes += end - start;
    if (this.carryBytes > this.options.maxRecordBytes) {
      this.oversize = true;
      this.carry = [];
      return;
    }
    // Copy: the caller may reuse the chunk's memory.
    this.carry.push(Buffer.from(chunk.subarray(start, end)));
  }

  private fail(line: number, reason: string, skipLine: boolean): void {
    this.sink.malformed(line, reason);
    this.inRecord = false;
    this.inString = false;
    this.escaped = false;
    this.carry = [];
    this.carryBytes = 0;
    this.depth = this.recordDepth;
    if (skipLine) this.top = Top.SkipLine;
  }
}

function formatBytes(n: number): string {
  return n >= 1024 * 1024 ? `${n / (1024 * 1024)} MiB` : `${n} bytes`;
}
