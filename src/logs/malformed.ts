import type { MalformedRecord } from './types.js';

/** Malformed records kept with their location (all are counted). */
export const MALFORMED_SAMPLE_LIMIT = 200;

/** Counts malformed records of one input and keeps the first ones with their location. */
export class MalformedLog {
  count = 0;
  readonly samples: MalformedRecord[] = [];

  constructor(private readonly file: string) {}

  add(line: number, reason: string): void {
    this.count++;
    if (this.samples.length < MALFORMED_SAMPLE_LIMIT) this.samples.push({ source: { file: this.file, line }, reason });
  }
}
