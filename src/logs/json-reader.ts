import type { InputReader, InputSummary } from './input-reader.js';
import { MalformedLog } from './malformed.js';
import { PROBE_RECORDS } from './probe.js';
import { recordToEvents } from './records.js';
import { lineKernelAvailable } from './line-kernel.js';
import { LineScanner, type LineSink, type RecordScanner } from './line-scanner.js';
import { JsonScanner } from './scanner.js';
import type { PrescannedPiece } from './prescan.js';
import type { LogEvent, LogFormat } from './types.js';


export interface JsonReadOptions {
  /** Read every record as this format. */
  forced?: LogFormat | undefined;
  /** Learn the format and judge "not a log" from the first records (off for a worker's later range). */
  probe?: boolean | undefined;
  maxRecordBytes: number;
  /** Known in advance that every record is one line (a worker's range of an NDJSON file). */
  lineDelimited?: boolean | undefined;
}

/**
 * Reads JSON inputs: the scanner splits records and flags those that may carry a marker; this
 * counts everything, parses only what the fast path flags, and learns the input's format from the
 * first records.
 */
export class JsonRecordReader implements InputReader, LineSink {
  private records = 0;
  private events = 0;
  private format: LogFormat | null = null;
  private readonly otherFormats = new Set<LogFormat>();
  private readonly malformedLog: MalformedLog;
  private readonly scanner: RecordScanner;
  private probeParsed = 0;
  private probeKnown = 0;
  private ended = false;

  constructor(
    private readonly file: string,
    private readonly emit: (event: LogEvent) => void,
    private readonly options: JsonReadOptions,
  ) {
    this.malformedLog = new MalformedLog(file);
    const scan = { maxRecordBytes: options.maxRecordBytes, lineDelimited: options.lineDelimited };
    this.scanner = lineKernelAvailable() ? new LineScanner(this, scan) : new JsonScanner(this, scan);
  }

  /**
   * True when the first records parsed but none had a known Auth0 shape: the input is JSON, but not
   * an Auth0 log (a package.json, an export of something else). Decided after the probe; from then on
   * the input's records are ignored.
   */
  get notALog(): boolean {
    return this.probeParsed > 0 && this.probeKnown === 0 && (this.probeParsed >= PROBE_RECORDS || this.ended);
  }

  /** Still learning the format: the first PROBE_RECORDS records are parsed whatever they hold. */
  private get probing(): boolean {
    return this.options.probe !== false && this.probeParsed < PROBE_RECORDS;
  }

  /**
   * Import job reports are parsed whole: they are small documents (never split between workers) and
   * a job that failed as a whole carries no marker word. Everything else relies on the fast path.
   */
  private get parsesAll(): boolean {
    return this.format === 'import-errors';
  }

  push(chunk: Buffer): void {
    this.scanner.push(chunk);
  }

  /** Memory the next bytes may be read into directly (see LineScanner.writable), or null. */
  writable(): Buffer | null {
    return this.scanner.writable?.() ?? null;
  }

  /** n bytes were read into `writable()`. */
  pushWritten(n: number): void {
    this.scanner.pushWritten!(n);
  }

  /** Settles a prescanned piece (LineScanner.replay): null, or the offset from which to push its bytes. */
  replay(piece: PrescannedPiece, length: number): number | null {
    return this.scanner.replay ? this.scanner.replay(piece, length) : 0;
  }

  end(failure?: string): void {
    this.scanner.end();
    this.ended = true; // lets a short input finish its probe
    if (failure) this.malformedLog.add(this.scanner.currentLine, `the input ends early: ${failure}`);
  }

  summary(): InputSummary {
    return {
      format: this.format,
      records: this.records,
      events: this.events,
      malformed: this.malformedLog.count,
      malformedSamples: this.malformedLog.samples,
      notALog: this.notALog,
      line: this.scanner.currentLine,
      otherFormats: [...this.otherFormats],
    };
  }

  record(bytes: Buffer, line: number, inArray: boolean, candidate: boolean): void {
    if (this.notALog) return;
    this.records++;
    const probing = this.probing;
    const wanted = candidate || this.parsesAll;
    if (!wanted && !probing) return;
    let value: unknown;
    try {
      value = JSON.parse(bytes.toString('utf8'));
    } catch {
      this.records--;
      this.malformed(line, 'invalid JSON');
      return;
    }
    if (probing) this.probeParsed++;
    const result = recordToEvents(value, { file: this.file, line }, { inArray, forced: this.options.forced });
    if (!result) return;
    if (probing) this.probeKnown++;
    this.format ??= result.format;
    if (result.format !== this.format) this.otherFormats.add(result.format);
    // A record parsed only for the probe emits nothing, so the events never depend on how an input
    // was split between workers. (The format it just revealed may make this input parse whole.)
    if (!candidate && !this.parsesAll) return;
    for (const event of result.events) {
      this.events++;
      this.emit(event);
    }
  }

  plainRecords(count: number): void {
    if (!this.notALog) this.records += count;
  }

  wantsEveryRecord(): boolean {
    return this.parsesAll || this.probing;
  }

  malformed(line: number, reason: string): void {
    this.malformedLog.add(line, reason);
  }
}
