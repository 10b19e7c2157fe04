/**
 * Streaming splitter for JSON inputs: NDJSON, concatenated (pretty) objects, and top-level arrays,
 * whose elements are yielded one by one so a gigabyte array never sits in memory.
 *
 * This is the fast path. One pass over the bytes, table-driven, does three jobs at once:
 * - checks structure: brackets balanced and of the right kind, strings terminated, no raw control
 *   bytes in strings, only JSON bytes outside strings. (Token order, such as a missing comma, is only
 *   checked for records that are parsed.) Malformed records are counted even when nobody parses them;
 * - finds record boundaries and their 1-based start lines;
 * - flags records that may carry a stuck-user marker: a MARKER_WORDS word in any casing, or a
 *   `\u` / `\\` escape that could hide one. Only flagged records are JSON.parse'd by the reader; tests
 *   prove the flag has no false negatives. Each word is caught by its rarest letter (x, p, f) and the
 *   letter after it, so the byte loop rarely stops (measured: stopping at every p and f cost a third).
 *
 * Recovery from damage: in NDJSON a newline ends any record. In pretty-printed input, a line whose
 * first byte is `{` at or left of the open record's column starts a new record (the open one was
 * truncated), and after an error the scan resumes at the next line that starts a record at the failed
 * record's column.
 */
import { MARKER_WORDS } from './markers.js';

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

/** Each marker word with its trigger: the rarest of its letters, and the letter after it. */
const MARKERS = MARKER_WORDS.map((word) => {
  const at = [...'xqzjkvwypf'].map((ch) => word.indexOf(ch)).find((i) => i >= 0)!;
  return { word: new TextEncoder().encode(word), at, trigger: word.charCodeAt(at), next: word.charCodeAt(at + 1) };
});

// Byte classes inside strings: 0 plain, then the bytes that need a look.
const S_QUOTE = 1;
const S_BACKSLASH = 2;
const S_CONTROL = 3;
const S_TRIGGER = 4;
const INSIDE = new Uint8Array(256);
for (let c = 0; c < 0x20; c++) INSIDE[c] = S_CONTROL;
INSIDE[0x22] = S_QUOTE;
INSIDE[0x5c] = S_BACKSLASH;
/**
 * PAIR[u16] is 0 when the string loop may skip both bytes of a 16-bit word, so it steps two bytes at
 * a time (measured: about a fifth faster): neither byte is a quote, backslash or control byte, and no
 * trigger in it can start a marker. A trigger in the word's first byte needs a look only when the
 * second byte is the letter that must follow it; one in the second byte always does (its next letter
 * is in the next word). The first byte in memory is the low byte on a little-endian machine.
 */
const PAIR = new Uint8Array(65536);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
function fillPairs(): void {
  // a: the first byte in memory, b: the second. Built a row per second byte (256 bytes contiguous on a
  // little-endian machine) with native fill/set: pair by pair, this cost 4 ms of every start-up.
  const stops = new Uint8Array(256);
  for (let c = 0; c < 256; c++) stops[c] = INSIDE[c] !== 0 && INSIDE[c] !== S_TRIGGER ? 1 : 0;
  const triggers = [...Array(256).keys()].filter((c) => INSIDE[c] === S_TRIGGER);
  const look = (a: number, b: number) => stops[a] === 1 || stops[b] === 1 || INSIDE[b] === S_TRIGGER || (INSIDE[a] === S_TRIGGER && (b | 0x20) === AFTER_TRIGGER[a]);
  for (let b = 0; b < 256; b++) {
    if (!LITTLE_ENDIAN) {
      for (let a = 0; a < 256; a++) PAIR[(a << 8) | b] = look(a, b) ? 1 : 0;
      continue;
    }
    const row = PAIR.subarray(b << 8, (b + 1) << 8);
    if (stops[b] === 1 || INSIDE[b] === S_TRIGGER) {
      row.fill(1);
      continue;
    }
    row.set(stops);
    for (const a of triggers) if ((b | 0x20) === AFTER_TRIGGER[a]) row[a] = 1;
  }
}

/** For a trigger byte, the (lowercase) letter that must follow it. */
const AFTER_TRIGGER = new Uint8Array(256);
for (const m of MARKERS) {
  INSIDE[m.trigger] = S_TRIGGER;
  INSIDE[m.trigger & ~0x20] = S_TRIGGER;
  AFTER_TRIGGER[m.trigger] = m.next;
  AFTER_TRIGGER[m.trigger & ~0x20] = m.next;
}
fillPairs();

const enum Mode {
  /** Between records: whitespace, or the start of a record / top-level array. */
  Between,
  Record,
  /** After an error: skipping to where the next record starts. */
  Resync,
}

const isSpace = (c: number | undefined) => c === 0x20 || c === 0x09 || c === 0x0d;
const EMPTY = Buffer.alloc(0);
const NO_WORDS = new Uint16Array(0);

export class JsonScanner {
  private mode = Mode.Between;
  private depth = 0;
  /** Bracket kinds of the open containers, indexed by depth (1 = '{', 2 = '['). */
  private readonly stack = new Uint8Array(256);
  private inString = false;
  /** A backslash ended the previous chunk: its escaped byte starts this one. */
  private escaped = false;
  private recordDepth = 0; // 1 while inside a top-level array
  private line = 1;
  /** Absolute offsets: of the current chunk's first byte, and of the current line's first byte. */
  private consumed = 0;
  private lineStart = 0;
  private recordLine = 0;
  private recordColumn = 0;
  private recordStart = -1; // offset in the current chunk, or -1 when the record began earlier
  private candidate = false;
  private carry: Buffer[] = [];
  private carryBytes = 0;
  private oversize = false;
  /** Learned from the first top-level record (one line or not), unless the caller knows. */
  private lineDelimited: boolean | null = null;
  /** In Resync: the column a record must start at; -1 while still skipping the current line. */
  private resyncColumn = 0;
  private resyncAtLineStart = false;
  /** A newline inside a record ended the last chunk's bytes: spaces seen since on its line, else -1. */
  private pendingColumn = -1;
  /** Last bytes of the previous chunk (a copy), so a marker split across chunks is still seen. */
  private tail: Buffer = Buffer.alloc(0);
  /** Views of the current chunk for the hot loop: bytes, and 16-bit words of its whole ArrayBuffer. */
  private bytes: Uint8Array<ArrayBufferLike> = new Uint8Array(0);
  private words: Uint16Array<ArrayBufferLike> = new Uint16Array(0);
  private byteOffset = 0;

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

  /** Bytes scanned so far. */
  get offset(): number {
    return this.consumed;
  }

  /** Between records at the start of a line, outside any top-level array: where a line-based scan may take over. */
  get atLineStart(): boolean {
    return this.mode === Mode.Between && this.recordDepth === 0 && this.lineStart === this.consumed;
  }

  /** Whether every record is one line: given, or learned from the first record (null until then). */
  get lineBased(): boolean | null {
    return this.lineDelimited;
  }

  /**
   * Goes on at the start of a later line, as if the bytes in between were scanned and held no
   * record: a line-based scan (line-scanner.ts) read them. Only valid where atLineStart holds.
   * `before` ends with the bytes just before `offset` (a marker split across chunks is looked for there).
   */
  resumeAt(line: number, offset: number, before: Buffer): void {
    this.line = line;
    this.consumed = offset;
    this.lineStart = offset;
    this.tail = Buffer.from(before.subarray(Math.max(0, before.length - 8)));
  }

  /**
   * Back to the state of a new scanner (same sink and options), so a caller that scans many small
   * pieces (objects in text lines) does not allocate a scanner for each. Every field set above is set here.
   */
  reset(): void {
    this.mode = Mode.Between;
    this.depth = 0;
    this.inString = false;
    this.escaped = false;
    this.recordDepth = 0;
    this.line = 1;
    this.consumed = 0;
    this.lineStart = 0;
    this.recordLine = 0;
    this.recordColumn = 0;
    this.recordStart = -1;
    this.candidate = false;
    this.carry = [];
    this.carryBytes = 0;
    this.oversize = false;
    this.lineDelimited = this.options.lineDelimited ? true : null;
    this.resyncColumn = 0;
    this.resyncAtLineStart = false;
    this.pendingColumn = -1;
    this.tail = EMPTY;
    this.bytes = EMPTY;
    this.words = NO_WORDS;
    this.byteOffset = 0;
  }

  push(chunk: Buffer): void {
    const n = chunk.length;
    let i = 0;
    if (this.mode === Mode.Record) this.recordStart = -1;
    // A plain Uint8Array view indexes faster than the Buffer subclass in V8's hot loop.
    this.bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, n);
    this.words = new Uint16Array(chunk.buffer, 0, chunk.buffer.byteLength >> 1);
    this.byteOffset = chunk.byteOffset;
    if (this.pendingColumn >= 0 && this.mode === Mode.Record) i = this.settlePending(this.bytes, n);
    while (i < n) {
      if (this.mode === Mode.Record) i = this.inside(chunk, i, n);
      else if (this.mode === Mode.Between) i = this.between(chunk, i, n);
      else i = this.resync(chunk, i, n);
    }
    if (this.mode === Mode.Record) this.keep(chunk, this.recordStart === -1 ? 0 : this.recordStart, n);
    this.tail = Buffer.from(n >= 8 ? chunk.subarray(n - 8) : Buffer.concat([this.tail, chunk]).subarray(-8));
    this.consumed += n;
  }

  /** Call at end of input: an unfinished record is a truncated one. */
  end(): void {
    if (this.mode === Mode.Record) this.fail(this.recordLine, 'truncated: the input ends inside it', 'here');
    if (this.recordDepth > 0) this.sink.malformed(this.line, 'unterminated top-level array');
    this.recordDepth = 0;
    this.mode = Mode.Between;
  }

  private newline(at: number): void {
    this.line++;
    this.lineStart = this.consumed + at + 1;
  }

  /** Between records: skip whitespace, enter/leave a top-level array, start a record. */
  private between(chunk: Buffer, i: number, n: number): number {
    for (; i < n; i++) {
      const c = chunk[i]!;
      if (c === 0x0a) this.newline(i);
      else if (isSpace(c) || c === 0x2c) {
        // whitespace, or the comma between array elements
      } else if (c === 0x7b || (c === 0x5b && this.recordDepth === 1)) {
        this.startRecord(i, c);
        return i + 1;
      } else if (c === 0x5b && this.recordDepth === 0) {
        this.recordDepth = 1;
        this.depth = 1;
        this.stack[1] = 2;
      } else if (c === 0x5d && this.recordDepth === 1) {
        this.recordDepth = 0;
        this.depth = 0;
      } else if (c === 0xef && chunk[i + 1] === 0xbb && chunk[i + 2] === 0xbf && this.consumed + i === 0) {
        i += 2; // UTF-8 byte order mark
      } else {
        this.sink.malformed(this.line, 'not JSON');
        this.startResync(-1, false);
        return i;
      }
    }
    return i;
  }

  private startRecord(i: number, c: number): void {
    this.mode = Mode.Record;
    this.recordStart = i;
    this.recordLine = this.line;
    this.recordColumn = this.consumed + i - this.lineStart;
    this.candidate = false;
    this.carry = [];
    this.carryBytes = 0;
    this.oversize = false;
    this.depth++;
    this.stack[this.depth] = c === 0x7b ? 1 : 2;
  }

  /** Inside a record: the hot loop. Returns where scanning should continue. */
  private inside(buffer: Buffer, i: number, n: number): number {
    const chunk = this.bytes;
    const words = this.words;
    const offset = this.byteOffset;
    const lastWord = (offset + n) >> 1; // words wholly inside the chunk end before this
    let depth = this.depth;
    let inString = this.inString;
    let candidate = this.candidate;
    const stack = this.stack;
    const base = this.recordDepth;
    if (this.escaped && i < n) {
      this.escaped = false;
      const e = chunk[i]!;
      if (e === 0x75 || e === 0x5c) candidate = true;
      if (e >= 0x20) i++;
    }
    for (; i < n; i++) {
      if (inString) {
        // Most bytes of a log are plain string bytes: skip them two at a time, then byte by byte.
        if (((offset + i) & 1) === 1 && i < n && INSIDE[chunk[i]!] === 0) i++;
        if (((offset + i) & 1) === 0) {
          let w = (offset + i) >> 1;
          while (w < lastWord && PAIR[words[w]!] === 0) w++;
          i = (w << 1) - offset;
        }
        while (i < n && INSIDE[chunk[i]!] === 0) i++;
        if (i === n) break;
        const c = chunk[i]!;
        const k = INSIDE[c]!;
        if (k === S_QUOTE) {
          // The common `":"` and `","` between a key and its value or two members: straight into the
          // next string, without a trip through the outside loop (measured: 9% fewer instructions).
          if (i + 2 < n && chunk[i + 2] === 0x22) {
            const a = chunk[i + 1];
            if (a === 0x3a || a === 0x2c) {
              i += 2;
              continue;
            }
          }
          inString = false;
        } else if (k === S_BACKSLASH) {
          if (i + 1 === n) {
            this.escaped = true; // the escaped byte is in the next chunk
            continue;
          }
          const e = chunk[++i]!;
          // \uXXXX may spell a marker; an escaped backslash may start a `\u` that a parser decodes later.
          if (e === 0x75 || e === 0x5c) candidate = true;
          else if (e < 0x20) break;
        } else if (k === S_TRIGGER) {
          // Cheap look at the next letter first: most p and f stop here.
          const after = i + 1 < n ? chunk[i + 1]! | 0x20 : -1;
          if (!candidate && (after === -1 || after === AFTER_TRIGGER[c]) && this.markerAt(buffer, i, c)) candidate = true;
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
        this.newline(i);
        // In NDJSON a newline ends any top-level record; inside a top-level array it is only spacing.
        if (this.lineDelimited === true && base === 0) break;
        const starts = this.startsNewRecord(chunk, i + 1, n, 0);
        if (starts === true) {
          this.fail(this.recordLine, 'truncated: the next record starts before it ends', 'here');
          return i + 1;
        }
        if (starts === null) this.pendingColumn = n - i - 1; // the line goes on in the next chunk: decide there

      } else {
        break; // a byte that cannot appear outside a JSON string
      }
    }
    this.depth = depth;
    this.inString = inString;
    this.candidate = candidate;
    if (i < n) {
      if (chunk[i] === 0x0a) {
        if (inString) this.newline(i); // a newline outside strings was already counted
        // NDJSON: the next line is the next record. Pretty input: find the next record's start.
        this.fail(this.recordLine, 'truncated: the line ends inside it', this.lineDelimited === true ? 'here' : 'column');
        return i + 1;
      }
      this.fail(this.recordLine, inString ? 'control byte inside a string' : 'invalid JSON', this.lineDelimited === true ? 'nextLine' : 'lineThenColumn');
      return i;
    }
    return i;
  }

  /**
   * After a newline inside a record: does the new line open a record at or left of this one's column?
   * Null when the chunk ends first (only spaces after `column` of them seen): the next chunk decides,
   * so the answer never depends on where chunks end.
   */
  private startsNewRecord(chunk: Uint8Array, i: number, n: number, column: number): boolean | null {
    let j = i;
    while (j < n && isSpace(chunk[j])) j++;
    if (j === n) return null;
    return chunk[j] === 0x7b && column + j - i <= this.recordColumn;
  }

  /** A chunk that starts after a newline inside a record: settles the look at the new line. Returns where to go on. */
  private settlePending(chunk: Uint8Array, n: number): number {
    const starts = this.startsNewRecord(chunk, 0, n, this.pendingColumn);
    if (starts === null) {
      this.pendingColumn += n;
      return n; // only spaces, which the record may hold
    }
    this.pendingColumn = -1;
    if (starts) {
      this.fail(this.recordLine, 'truncated: the next record starts before it ends', 'here');
      let j = 0;
      while (isSpace(chunk[j])) j++;
      return j;
    }
    return 0;
  }

  private markerAt(chunk: Buffer, i: number, c: number): boolean {
    const lower = c | 0x20;
    for (const m of MARKERS) {
      if (m.trigger !== lower) continue;
      const start = i - m.at;
      let ok = true;
      for (let j = 0; j < m.word.length; j++) {
        const p = start + j;
        // A marker never spans a newline (it is inside a string): before this line's start there is no
        // match, whatever bytes before it this scanner was given (none at the start of the input, or
        // where a line-based scan hands it a line).
        if (this.consumed + p < this.lineStart) {
          ok = false;
          break;
        }
        const b = p < 0 ? this.tail[this.tail.length + p] : p < chunk.length ? chunk[p] : undefined;
        if (b === undefined) return true; // split across chunks: stay safe, parse it
        if ((b | 0x20) !== m.word[j]) {
          ok = false;
          break;
        }
      }
      if (ok) return true;
    }
    return false;
  }

  private finishRecord(chunk: Buffer, end: number): void {
    this.mode = Mode.Between;
    if (this.lineDelimited === null && this.recordDepth === 0) this.lineDelimited = this.recordLine === this.line;
    const start = this.recordStart === -1 ? 0 : this.recordStart;
    if (this.oversize || this.carryBytes + end - start > this.options.maxRecordBytes) {
      this.sink.malformed(this.recordLine, `record larger than ${formatBytes(this.options.maxRecordBytes)}`);
      this.carry = [];
      return;
    }
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

  /**
   * Reports the open record as malformed and says where scanning resumes: `here` (the next record is
   * already found), `nextLine`, `column` (from this line start, at the next line opening a record in the
   * failed record's column), or `lineThenColumn` (the same, after the rest of this line).
   */
  private fail(line: number, reason: string, resume: 'here' | 'nextLine' | 'column' | 'lineThenColumn'): void {
    this.sink.malformed(line, reason);
    this.pendingColumn = -1;
    this.inString = false;
    this.escaped = false;
    this.carry = [];
    this.carryBytes = 0;
    this.depth = this.recordDepth;
    this.mode = Mode.Between;
    if (resume === 'nextLine') this.startResync(-1, false);
    else if (resume === 'column') this.startResync(this.recordColumn, true);
    else if (resume === 'lineThenColumn') this.startResync(this.recordColumn, false);
  }

  /** column -1: skip to the end of this line only (NDJSON, or garbage between records). */
  private startResync(column: number, atLineStart: boolean): void {
    this.mode = Mode.Resync;
    this.resyncColumn = column;
    this.resyncAtLineStart = atLineStart;
  }

  private resync(chunk: Buffer, i: number, n: number): number {
    for (; i < n; i++) {
      const c = chunk[i]!;
      if (c === 0x0a) {
        this.newline(i);
        if (this.resyncColumn === -1) {
          this.mode = Mode.Between;
          return i + 1;
        }
        this.resyncAtLineStart = true;
        continue;
      }
      if (!this.resyncAtLineStart || isSpace(c)) continue;
      // The first byte of a line: resume at a record start in the failed record's column, or at a
      // closing bracket left of it (the end of the enclosing array).
      const column = this.consumed + i - this.lineStart;
      this.resyncAtLineStart = false;
      if ((c === 0x7b && column === this.resyncColumn) || ((c === 0x5d || c === 0x7d) && column < this.resyncColumn)) {
        this.mode = Mode.Between;
        return i;
      }
    }
    return i;
  }
}

function formatBytes(n: number): string {
  return n >= 1024 * 1024 ? `${n / (1024 * 1024)} MiB` : `${n} bytes`;
}
