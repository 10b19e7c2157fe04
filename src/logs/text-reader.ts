import { MalformedLog } from './malformed.js';
import { MARKER_PREFILTER } from './markers.js';
import { parseTextLine } from './text.js';
import type { LogEvent } from './types.js';


/** Splits free text into lines; only lines that may hold a marker go to the text parser. */
export class TextReader {
  readonly format = 'text' as const;
  /** Any text may hold a pasted marker: a text input is never rejected as "not a log". */
  readonly notALog = false;
  records = 0;
  events = 0;
  readonly malformed: MalformedLog;
  private carry: Buffer[] = [];
  private carryBytes = 0;
  private overlong = false;
  private line = 1;

  constructor(
    private readonly file: string,
    private readonly emit: (event: LogEvent) => void,
    private readonly maxLineBytes: number,
  ) {
    this.malformed = new MalformedLog(file);
  }

  get currentLine(): number {
    return this.line;
  }

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
      this.malformed.add(lineNo, `line longer than ${Math.round(this.maxLineBytes / 1024)} KiB`);
      return;
    }
    const bytes = this.carry.length ? Buffer.concat([...this.carry, tail]) : tail;
    this.reset();
    let text = bytes.toString('utf8');
    if (lineNo === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    if (text.endsWith('\r')) text = text.slice(0, -1);
    if (text.trim() === '') return;
    // Only NUL means binary: a stray Latin-1 byte (decoded as U+FFFD) must not hide a marker.
    if (text.includes('\u0000')) {
      this.malformed.add(lineNo, 'binary data');
      return;
    }
    this.records++;
    if (!MARKER_PREFILTER.test(text)) return;
    const event = parseTextLine(text, { file: this.file, line: lineNo });
    if (event) {
      this.events++;
      this.emit(event);
    }
  }

  private reset(): void {
    this.carry = [];
    this.carryBytes = 0;
    this.overlong = false;
  }
}
