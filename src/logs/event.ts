import type { LogEvent } from './types.js';

export type EventInit = Partial<LogEvent> & Pick<LogEvent, 'type' | 'description' | 'format' | 'source'>;

/** A LogEvent with every field the record did not give set to null (codes deduplicated). */
export function newEvent(e: EventInit): LogEvent {
  return {
    time: e.time ?? null,
    type: e.type,
    description: e.description,
    email: e.email ?? null,
    subject: e.email ? null : (e.subject ?? null),
    userId: e.userId ?? null,
    connection: e.connection ?? null,
    connectionId: e.connectionId ?? null,
    codes: [...new Set(e.codes ?? [])],
    statusCode: e.statusCode ?? null,
    logId: e.logId ?? null,
    jobId: e.jobId ?? null,
    format: e.format,
    source: e.source,
  };
}
