import type { InputSummary } from './input-reader.js';
import type { Source } from './inputs.js';
import type { LogFormat, MalformedRecord } from './types.js';

export interface InputStats {
  name: string;
  format: LogFormat | null;
  gzip: boolean;
  bytes: number;
  records: number;
  malformed: number;
  events: number;
  /** Why the whole input was set aside (unreadable, binary data, JSON that is not an Auth0 log), else null. */
  rejected: string | null;
  /** The input could not be read at all (permission, vanished): exit 66 rather than 65 when nothing else was usable. */
  unreadable: boolean;
  /** Other formats among its records (a mixed stdin or file); its records are counted under `format`. */
  otherFormats: LogFormat[];
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

export interface InputResult {
  input: InputStats;
  samples: MalformedRecord[];
}

/** How the input was read: compressed or not, and how many (decompressed) bytes. */
export interface InputIo {
  gzip: boolean;
  bytes: number;
}

export const NOT_A_LOG = 'JSON, but not Auth0 log records';

/** An input's stats from what its reader saw (nothing, for an empty input): the one place they are assembled. */
export function inputResult(source: Source, io: InputIo, summary?: InputSummary): InputResult {
  return {
    input: {
      name: source.name,
      format: summary?.format ?? null,
      gzip: io.gzip,
      bytes: io.bytes,
      records: summary?.records ?? 0,
      malformed: summary?.malformed ?? 0,
      events: summary?.events ?? 0,
      rejected: summary?.notALog ? NOT_A_LOG : null,
      unreadable: false,
      otherFormats: summary?.otherFormats ?? [],
    },
    samples: summary?.malformedSamples ?? [],
  };
}

/** An input set aside as a whole; `unreadable` when it could not be read at all. */
export function rejectedInput(source: Source, io: InputIo, reason: string, unreadable: boolean): InputResult {
  const { input } = inputResult(source, io);
  return { input: { ...input, rejected: reason, unreadable }, samples: [] };
}
