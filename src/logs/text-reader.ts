import { continuesYamlBlock, YAML_RECORD_START, yamlIndent, yamlLogRecord } from './cli-yaml.js';
import type { InputReader, InputSummary } from './input-reader.js';
import { MalformedLog } from './malformed.js';
import { MARKER_PREFILTER } from './markers.js';
import { recordToEvents } from './records.js';
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

/** A JSON object being scanned across lines, from the `{` it starts at. */
interface OpenJson {
  scanner: JsonScanner;
  outcome: ScanOutcome;
  lines: HeldLine[];
  /** Bytes pushed to the scanner so far. */
  bytes: number;
  inArray: boolean;
}

interface ScanOutcome {
  record: Buffer | null;
  candidate: boolean;
  failed: boolean;
}

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
  /** `[` after a line opening an array, else the last character after a record (`,` in `},`). */
  private lastChar = '';

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
    this.onLine(text, lineNo);
  }

  private onLine(text: string, line: number): void {
    if (this.json) {
      this.continueJson(text, line);
      return;
    }
    if (this.yaml) {
      if (continuesYamlBlock(text, this.yaml.indent)) {
        this.yaml.lines.push({ text, line });
        return;
      }
      this.finishYaml();
    }
    this.startLine(text, line);
  }

  /** A line outside any record: it may open one. */
  private startLine(text: string, line: number): void {
    if (text.trim() === '') return;
    if (this.structured && !text.includes('\u0000')) {
      if (YAML_RECORD_START.test(text)) {
        this.yaml = { lines: [{ text, line }], indent: yamlIndent(text) };
        return;
      }
      if (text.includes('{') && this.scanLine(text, line, 0)) return;
    }
    this.plainLine(text, line);
  }

  /**
   * Looks for JSON objects on `text` from byte `from` on. True when the line was consumed: records
   * were read from it, or an object is still open at its end.
   */
  private scanLine(text: string, line: number, from: number): boolean {
    const bytes = Buffer.from(text);
    let at = bytes.indexOf(0x7b, from);
    for (let tries = 0; at !== -1 && tries < MAX_STARTS_PER_LINE; tries++) {
      const prefix = bytes.subarray(from, at).toString();
      const previous = lastNonBlank(prefix) || (from === 0 ? this.lastChar : '}');
      const inArray = previous === '[' || previous === ',';
      const open = this.openJson(bytes.subarray(at), { text, line }, inArray);
      if (open.outcome.record) {
        this.json = null;
        if (this.readRecord(open, line)) {
          const end = at + open.outcome.record.length;
          if (bytes.indexOf(0x7b, end) !== -1) this.scanLine(text, line, end);
          this.lastChar = lastNonBlank(text) || this.lastChar;
          return true;
        }
        // No Auth0 record (or not worth parsing): the line is text, but still JSON for what follows.
        this.plainLine(text, line);
        this.lastChar = lastNonBlank(text);
        return true;
      }
      if (!open.outcome.failed) {
        this.json = open; // continues on the next lines
        return true;
      }
      at = bytes.indexOf(0x7b, at + 1);
    }
    return this.recordLine === line;
  }

  private openJson(first: Buffer, held: HeldLine, inArray: boolean): OpenJson {
    const outcome: ScanOutcome = { record: null, candidate: false, failed: false };
    const scanner = new JsonScanner(
      {
        record: (bytes, _line, _inArray, candidate) => {
          if (outcome.record || outcome.failed) return;
          outcome.record = Buffer.from(bytes);
          outcome.candidate = candidate;
        },
        malformed: () => {
          if (!outcome.record) outcome.failed = true;
        },
      },
      { maxRecordBytes: this.maxLineBytes },
    );
    scanner.push(first);
    return { scanner, outcome, lines: [held], bytes: first.length, inArray };
  }

  private continueJson(text: string, line: number): void {
    const open = this.json!;
    // The newline goes with the next line, so the scanner sees where that line starts.
    const chunk = Buffer.from(`\n${text}`);
    const before = open.bytes;
    open.lines.push({ text, line });
    open.bytes += chunk.length;
    if (open.bytes > this.maxLineBytes) {
      this.abandonJson(null);
      return;
    }
    open.scanner.push(chunk);
    if (open.outcome.record) {
      this.json = null;
      const startLine = open.lines[0]!.line;
      if (this.readRecord(open, startLine)) {
        // More records may start after this one ends on its last line (`}, {`).
        const end = Math.max(0, open.outcome.record.length - before - 1);
        if (Buffer.from(text).indexOf(0x7b, end) !== -1) this.scanLine(text, line, end);
        this.lastChar = lastNonBlank(text) || this.lastChar;
      } else {
        for (const l of open.lines) this.plainLine(l.text, l.line);
        this.lastChar = lastNonBlank(text);
      }
      return;
    }
    if (open.outcome.failed) this.abandonJson({ text, line });
  }

  /** The open object is broken: its lines are text, and the line that broke it is read afresh. */
  private abandonJson(current: HeldLine | null): void {
    const open = this.json!;
    this.json = null;
    const lines = current ? open.lines.slice(0, -1) : open.lines;
    for (const l of lines) this.plainLine(l.text, l.line);
    if (current) this.startLine(current.text, current.line);
  }

  /** Reads a scanned object; false when it is no Auth0 record (or could not carry a marker). */
  private readRecord(open: OpenJson, line: number): boolean {
    const { record, candidate } = open.outcome;
    if (!record || (!candidate && !record.includes(IMPORT_JOB))) return false;
    let value: unknown;
    try {
      value = JSON.parse(record.toString('utf8'));
    } catch {
      return false; // token order the scanner does not check: text after all
    }
    const result = recordToEvents(value, { file: this.file, line }, { inArray: open.inArray });
    if (!result) return false;
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
    this.lastChar = lastNonBlank(text) === '[' ? '[' : '';
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

function lastNonBlank(text: string): string {
  return text.trimEnd().at(-1) ?? '';
}
