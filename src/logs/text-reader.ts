import { continuesYamlBlock, YAML_RECORD_START, yamlIndent, yamlLogRecord } from './cli-yaml.js';
import type { InputReader, InputSummary } from './input-reader.js';
import { MalformedLog } from './malformed.js';
import { MARKER_PREFILTER } from './markers.js';
import { recordToEvents } from './records.js';
import type { LogFormat } from './types.js';
import { JsonScanner } from './scanner.js';
import { parseTextLine } from './text.js';
import type { LogEvent } from './types.js';

/** At most this many `{` on one line start a JSON scan: a line of prose with braces stays cheap. */
const MAX_STARTS_PER_LINE = 8;

/** An import job status carries no marker word, yet a pasted one is worth parsing. */
const IMPORT_JOB = Buffer.from('"users_import"');

interface HeldLine {
  text: string;
  line: number;
}

/** A line as read: its text and its bytes (valid only while the line is handled). */
interface Line extends HeldLine {
  bytes: Buffer;
}

/** A JSON object being scanned across lines, from the `{` it starts at. */
interface OpenJson {
  lines: HeldLine[];
  /** Bytes pushed to the scanner so far. */
  bytes: number;
  inArray: boolean;
}

/** What the scanner said about the object it was given. */
interface ScanOutcome {
  record: Buffer | null;
  candidate: boolean;
  failed: boolean;
}

const NEWLINE = Buffer.from('\n');
const [OPEN_BRACE, OPEN_BRACKET, COMMA] = [0x7b, 0x5b, 0x2c];

/** An auth0-cli YAML record block being collected. */
interface OpenYaml {
  lines: HeldLine[];
  indent: number;
}

/**
 * Reads free text line by line; only lines that may hold a marker go to the text parser. Text often
 * wraps structured records, and those are read as records, with their own format:
 * - a JSON object starting at a `{` (at the start of a line or after prose), found by the JSON
 *   scanner with its structural checks and spanning any number of lines: a pretty-printed record
 *   pasted into a ticket, a Lambda's `console.log` line. It is parsed only when it may carry a
 *   marker (or is an import job status); one that is no Auth0 record is read as the text lines it is on;
 * - an auth0-cli YAML record block (`auth0 logs tail --debug`); the table row above it, which has
 *   no email, then yields nothing.
 * `records` counts the non-empty lines read as text plus each record found (once per line).
 * With `structured: false` (`--format text`) every line is plain text.
 */
export class TextLineReader implements InputReader {
  /** Any text may hold a pasted marker: a text input is never rejected as "not a log". */
  readonly notALog = false;
  /** Formats of the records found inside the text (a pasted ticket's log record). */
  private readonly otherFormats = new Set<LogFormat>();
  private records = 0;
  private events = 0;
  private readonly malformed: MalformedLog;
  private carry: Buffer[] = [];
  private carryBytes = 0;
  private overlong = false;
  private line = 1;
  private json: OpenJson | null = null;
  private yaml: OpenYaml | null = null;
  /** A plain line's event, held until the next line shows it is not a table row described by YAML. */
  private held: LogEvent | null = null;
  /** The last line counted, and the last whose records were read (its text is not read again). */
  private countedLine = 0;
  private recordLine = 0;
  /** `[` after a line opening an array, else the last character after a record (`,` in `},`), as a byte. */
  private lastChar = 0;
  /** One scanner for every object tried (reset each time), and what it said about the current one. */
  private scanner: JsonScanner | null = null;
  private outcome: ScanOutcome = { record: null, candidate: false, failed: false };

  constructor(
    private readonly file: string,
    private readonly emit: (event: LogEvent) => void,
    private readonly maxLineBytes: number,
    private readonly structured = true,
  ) {
    this.malformed = new MalformedLog(file);
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

  end(failure?: string): void {
    if (this.carryBytes > 0 || this.overlong) this.finishLine(Buffer.alloc(0));
    if (this.json) this.abandonJson(null);
    if (this.yaml) this.finishYaml();
    this.release();
    if (failure) this.malformed.add(this.line, `the input ends early: ${failure}`);
  }

  summary(): InputSummary {
    return {
      format: 'text',
      records: this.records,
      events: this.events,
      malformed: this.malformed.count,
      malformedSamples: this.malformed.samples,
      notALog: false,
      line: this.line,
      otherFormats: [...this.otherFormats],
    };
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
      if (this.json) this.abandonJson(null);
      this.malformed.add(lineNo, `line longer than ${Math.round(this.maxLineBytes / 1024)} KiB`);
      return;
    }
    const bytes = this.carry.length ? Buffer.concat([...this.carry, tail]) : tail;
    this.reset();
    let text = bytes.toString('utf8');
    if (lineNo === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    if (text.endsWith('\r')) text = text.slice(0, -1);
    this.onLine({ text, bytes, line: lineNo });
  }

  private onLine(l: Line): void {
    if (this.json) {
      this.continueJson(l);
      return;
    }
    if (this.yaml) {
      if (continuesYamlBlock(l.text, this.yaml.indent)) {
        this.yaml.lines.push({ text: l.text, line: l.line });
        return;
      }
      this.finishYaml();
    }
    this.startLine(l);
  }

  /** A line outside any record: it may open one. */
  private startLine(l: Line): void {
    const { text, line } = l;
    if (text.trim() === '') return;
    if (this.structured && !text.includes('\u0000')) {
      if (mayStartYaml(text) && YAML_RECORD_START.test(text)) {
        this.yaml = { lines: [{ text, line }], indent: yamlIndent(text) };
        return;
      }
      if (text.includes('{') && this.scanLine(l, 0)) return;
    }
    this.plainLine(text, line);
  }

  /**
   * Looks for JSON objects on the line from byte `from` on. True when the line was consumed: records
   * were read from it, or an object is still open at its end.
   */
  private scanLine(l: Line, from: number): boolean {
    const { text, bytes, line } = l;
    let at = bytes.indexOf(OPEN_BRACE, from);
    for (let tries = 0; at !== -1 && tries < MAX_STARTS_PER_LINE; tries++) {
      const open = this.openJson(bytes.subarray(at), { text, line }, this.opensElement(bytes, from, at));
      const { record, failed } = this.outcome;
      if (record) {
        this.json = null;
        if (this.readRecord(open, line)) {
          const end = at + record.length;
          if (bytes.indexOf(OPEN_BRACE, end) !== -1) this.scanLine(l, end);
          this.lastChar = lastNonBlank(bytes) || this.lastChar;
          return true;
        }
        // No Auth0 record (or not worth parsing): the line is text, but still JSON for what follows.
        this.plainLine(text, line);
        this.lastChar = lastNonBlank(bytes);
        return true;
      }
      if (!failed) {
        this.json = open; // continues on the next lines
        return true;
      }
      at = bytes.indexOf(OPEN_BRACE, at + 1);
    }
    return this.recordLine === line;
  }

  /** Whether the `{` at `at` is an array's element: `[` or `,` before it (on this line, or ending the last). */
  private opensElement(bytes: Buffer, from: number, at: number): boolean {
    let j = at - 1;
    while (j >= from && (bytes[j] === 0x20 || bytes[j] === 0x09 || bytes[j] === 0x0d)) j--;
    const previous = j >= from ? bytes[j] : from === 0 ? this.lastChar : 0x7d;
    return previous === OPEN_BRACKET || previous === COMMA;
  }

  private openJson(first: Buffer, held: HeldLine, inArray: boolean): OpenJson {
    this.outcome = { record: null, candidate: false, failed: false };
    this.scanner ??= new JsonScanner(
      {
        // The record's bytes are the line's own (or a copy the scanner made): read before the next line.
        record: (bytes, _line, _inArray, candidate) => {
          if (this.outcome.record || this.outcome.failed) return;
          this.outcome.record = bytes;
          this.outcome.candidate = candidate;
        },
        malformed: () => {
          if (!this.outcome.record) this.outcome.failed = true;
        },
      },
      { maxRecordBytes: this.maxLineBytes },
    );
    this.scanner.reset();
    this.scanner.push(first);
    return { lines: [held], bytes: first.length, inArray };
  }

  private continueJson(l: Line): void {
    const open = this.json!;
    // The newline goes with the next line, so the scanner sees where that line starts.
    const chunk = Buffer.concat([NEWLINE, l.bytes]);
    const before = open.bytes;
    open.lines.push({ text: l.text, line: l.line });
    open.bytes += chunk.length;
    if (open.bytes > this.maxLineBytes) {
      this.abandonJson(null);
      return;
    }
    this.scanner!.push(chunk);
    const { record, failed } = this.outcome;
    if (record) {
      this.json = null;
      if (this.readRecord(open, open.lines[0]!.line)) {
        // More records may start after this one ends on its last line (`}, {`).
        const end = Math.max(0, record.length - before - 1);
        if (l.bytes.indexOf(OPEN_BRACE, end) !== -1) this.scanLine(l, end);
        this.lastChar = lastNonBlank(l.bytes) || this.lastChar;
      } else {
        for (const held of open.lines) this.plainLine(held.text, held.line);
        this.lastChar = lastNonBlank(l.bytes);
      }
      return;
    }
    if (failed) this.abandonJson(l);
  }

  /** The open object is broken: its lines are text, and the line that broke it is read afresh. */
  private abandonJson(current: Line | null): void {
    const open = this.json!;
    this.json = null;
    const lines = current ? open.lines.slice(0, -1) : open.lines;
    for (const held of lines) this.plainLine(held.text, held.line);
    if (current) this.startLine(current);
  }

  /** Reads a scanned object; false when it is no Auth0 record (or could not carry a marker). */
  private readRecord(open: OpenJson, line: number): boolean {
    const { record, candidate } = this.outcome;
    if (!record || (!candidate && !record.includes(IMPORT_JOB))) return false;
    let value: unknown;
    try {
      value = JSON.parse(record.toString('utf8'));
    } catch {
      return false; // token order the scanner does not check: text after all
    }
    const result = recordToEvents(value, { file: this.file, line }, { inArray: open.inArray });
    if (!result) return false;
    this.otherFormats.add(result.format);
    this.release();
    this.countLine(line);
    this.recordLine = line;
    this.emitAll(result.events);
    return true;
  }

  private finishYaml(): void {
    const block = this.yaml!;
    this.yaml = null;
    const text = block.lines.map((l) => l.text).join('\n');
    const rec = MARKER_PREFILTER.test(text) ? yamlLogRecord(block.lines.map((l) => l.text)) : null;
    const result = rec ? recordToEvents(rec, { file: this.file, line: block.lines[0]!.line }, { inArray: false }) : null;
    if (result) this.otherFormats.add(result.format);
    if (!result) {
      for (const l of block.lines) this.plainLine(l.text, l.line);
      return;
    }
    // The table row printed above the block says the same without an email: the block replaces it.
    if (this.held && !this.held.email) this.held = null;
    this.release();
    this.countLine(block.lines[0]!.line);
    this.emitAll(result.events);
  }

  private plainLine(text: string, lineNo: number): void {
    if (text.trim() === '' || lineNo === this.recordLine) return;
    this.release();
    // Prose may end with a comma; only a line that opens an array says the next object is an element.
    this.lastChar = text.trimEnd().endsWith('[') ? OPEN_BRACKET : 0;
    // Only NUL means binary: a stray Latin-1 byte (decoded as U+FFFD) must not hide a marker.
    if (text.includes('\u0000')) {
      this.malformed.add(lineNo, 'binary data');
      return;
    }
    this.countLine(lineNo);
    if (!MARKER_PREFILTER.test(text)) return;
    const event = parseTextLine(text, { file: this.file, line: lineNo });
    if (event) this.held = event;
  }

  private countLine(line: number): void {
    if (line === this.countedLine) return;
    this.countedLine = line;
    this.records++;
  }

  private emitAll(events: LogEvent[]): void {
    for (const event of events) {
      this.events++;
      this.emit(event);
    }
  }

  /** Emits the held line event: what follows it is not the YAML record of a table row. */
  private release(): void {
    if (!this.held) return;
    const event = this.held;
    this.held = null;
    this.emitAll([event]);
  }

  private reset(): void {
    this.carry = [];
    this.carryBytes = 0;
    this.overlong = false;
  }
}

/** A cheap look before the regex: the first non-blank character of a YAML record block's first line. */
function mayStartYaml(text: string): boolean {
  let i = 0;
  while (text.charCodeAt(i) === 0x20 || text.charCodeAt(i) === 0x09) i++;
  const c = text.charCodeAt(i);
  return c === 0x69 || c === 0x6c || c === 0x5f || c === 0x64 || c === 0x74 || c === 0x1b; // i l _ d t ESC
}

/** The last byte of a line that is not a space (0 for a blank line). */
function lastNonBlank(bytes: Buffer): number {
  let j = bytes.length - 1;
  while (j >= 0 && (bytes[j] === 0x20 || bytes[j] === 0x09 || bytes[j] === 0x0d)) j--;
  return j >= 0 ? bytes[j]! : 0;
}
