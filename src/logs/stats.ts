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
}

export interface InputResult {
  input: InputStats;
  samples: MalformedRecord[];
}

export function emptyStats(source: Source, gzip = false): InputStats {
  return { name: source.name, format: null, gzip, bytes: 0, records: 0, malformed: 0, events: 0, rejected: null, unreadable: false };
}
