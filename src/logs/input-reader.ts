import type { LogFormat, MalformedRecord } from './types.js';

/** What a reader knows about its input once the input has ended. */
export interface InputSummary {
  format: LogFormat | null;
  records: number;
  events: number;
  malformed: number;
  /** The first malformed records, with their location (MALFORMED_SAMPLE_LIMIT of them). */
  malformedSamples: MalformedRecord[];
  /** JSON, but not Auth0 log records: the input is set aside. */
  notALog: boolean;
  /** The 1-based line the reader stopped on. */
  line: number;
  /** Other formats among the records read (a stdin or file that mixes them), in the order first seen. */
  otherFormats: LogFormat[];
}

/**
 * Reads one input's bytes into events, once its kind is known: JSON records (JsonRecordReader) or
 * text lines (TextLineReader). The serial reader and the parallel workers both drive one.
 */
export interface InputReader {
  push(chunk: Buffer): void;
  /**
   * The input ended. `failure` says why it ended early (a truncated .gz, a read error): what was read
   * still counts, and the failure is one malformed record at the line reached.
   */
  end(failure?: string): void;
  /** True once the input is known not to be an Auth0 log: reading it further is pointless. */
  readonly notALog: boolean;
  summary(): InputSummary;
}
