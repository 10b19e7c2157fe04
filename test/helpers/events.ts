import { DateTime } from 'luxon';
import type { LogEvent } from '../../src/logs/types.js';

/** A normalized event with sensible defaults, for rule and aggregation tests. */
export function event(overrides: Partial<LogEvent> & { at?: string } = {}): LogEvent {
  const { at, ...rest } = overrides;
  return {
    time: at ? DateTime.fromISO(at, { zone: 'utc' }) : DateTime.fromISO('2024-05-02T10:00:00Z', { zone: 'utc' }),
    type: 'fs',
    description: 'The user already exists.',
    email: 'jane@acme.com',
    subject: null,
    userId: null,
    connection: 'legacy-db',
    connectionId: 'con_AbCdEfGh12345678',
    codes: ['USER_EXISTS'],
    statusCode: null,
    logId: null,
    jobId: null,
    format: 'log-stream',
    source: { file: 'stream.jsonl', line: 1 },
    ...rest,
  };
}
