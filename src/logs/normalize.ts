/**
 * What every JSON record reader shares: the reader contract, and the normalization of an Auth0 log
 * record (a flat record, a console message) into a LogEvent.
 */
import { findEmail, normalizeEmail } from './email.js';
import { jsonObjectsIn } from './embedded.js';
import { newEvent } from './event.js';
import { findMarkers, normalizeCode } from './markers.js';
import type { LogEvent, LogFormat, SourceRef } from './types.js';
import { asObj, cap, status, str, toUtc, type Obj } from './values.js';

export interface RecordContext {
  inArray: boolean;
  forced?: LogFormat | undefined;
  /** How many envelopes deep the record is (an EventBridge event inside an SQS message...). */
  depth?: number;
}

export interface RecordResult {
  format: LogFormat;
  events: LogEvent[];
}

/** Reads a whole value again (used by envelopes to read what they carry). */
export type ReadValue = (value: unknown, source: SourceRef, ctx: RecordContext) => RecordResult | null;

/** One record shape: its events, or null when the object is not of that shape. */
export type Reader = (o: Obj, source: SourceRef, ctx: RecordContext, again: ReadValue) => RecordResult | null;

/** Envelopes inside envelopes are read this deep, no deeper. */
export const MAX_DEPTH = 4;

export function inner(ctx: RecordContext): RecordContext | null {
  const depth = (ctx.depth ?? 0) + 1;
  return depth > MAX_DEPTH ? null : { inArray: false, forced: ctx.forced, depth };
}

/** A flat Auth0 log record: an event code plus a date or a log id (only the code if `loose`). */
export function isFlat(o: Obj, loose = false): boolean {
  if (typeof o.type !== 'string' || o.type === '') return false;
  return loose || 'date' in o || typeof o.log_id === 'string' || typeof o._id === 'string';
}

const JOB_ID = /\bjob_[A-Za-z0-9]{8,}/g;

/** The last import job id in a file name (`job_Qm4TzR8wLp2VnX6c-errors.json`), or null. */
export function jobIdIn(name: string): string | null {
  return name.match(JOB_ID)?.at(-1) ?? null;
}

export function flatToEvent(rec: Obj, format: LogFormat, source: SourceRef, outerLogId: string | null = null): LogEvent {
  const details = parseDetails(rec.details);
  const d = details.obj;
  const body = asObj(d?.body);
  const request = asObj(d?.request);
  const requestBody = asObj(request?.body);
  const response = asObj(d?.response);
  const responseBody = asObj(response?.body);
  const error = asObj(d?.error);
  const query = asObj(d?.query);

  const description = str(rec.description) ?? str(error?.message) ?? '';
  const texts = [description, str(error?.message), str(responseBody?.message), str(d?.consoleOut), details.text];
  const codes: string[] = [];
  let textStatus: number | null = null;
  for (const t of texts) {
    if (!t) continue;
    const m = findMarkers(t);
    codes.push(...m.codes);
    textStatus ??= m.statusCode;
  }
  for (const c of [error?.code, responseBody?.errorCode, responseBody?.code, rec.code]) {
    const s = str(c);
    if (s) codes.push(normalizeCode(s));
  }

  return newEvent({
    time: toUtc(rec.date),
    type: str(rec.type) ?? '',
    description: cap(description),
    email:
      normalizeEmail(rec.user_name) ??
      normalizeEmail(body?.email) ??
      normalizeEmail(requestBody?.email) ??
      normalizeEmail(query?.email),
    subject: str(rec.user_name) ?? str(body?.username) ?? str(requestBody?.username),
    userId: str(rec.user_id),
    // A Management API call (sapi, fapi) names its connection in the request body.
    connection: str(rec.connection) ?? str(body?.connection) ?? str(requestBody?.connection) ?? str(query?.connection),
    connectionId: str(rec.connection_id) ?? str(requestBody?.connection_id),
    codes,
    statusCode: status(response?.statusCode) ?? status(responseBody?.statusCode) ?? textStatus,
    logId: outerLogId ?? str(rec.log_id) ?? str(rec._id),
    // The sapi log of "Create import users job" answers with the job.
    jobId: jobIdOf(responseBody?.id) ?? jobIdOf(request?.path),
    format,
    source,
  });
}

function jobIdOf(v: unknown): string | null {
  return typeof v === 'string' ? jobIdIn(v) : null;
}

export function consoleEvent(message: string, time: unknown, format: LogFormat, source: SourceRef): LogEvent {
  const m = findMarkers(message);
  return newEvent({
    time: toUtc(time),
    type: 'console',
    description: cap(message.trim()),
    email: findEmail(message),
    codes: m.codes,
    statusCode: m.statusCode,
    format,
    source,
  });
}

/**
 * A console message: the events of the Auth0 records printed in it (a Lambda that logged the
 * EventBridge event it received), else one console event for the message itself.
 */
export function messageEvents(message: string, time: unknown, format: LogFormat, source: SourceRef, ctx: RecordContext, again: ReadValue): LogEvent[] {
  const events = recordsIn(message, source, ctx, again);
  return events ?? [consoleEvent(message, time, format, source)];
}

/** Console formats: a message found inside a message is just text, not a record. */
const CONSOLE_FORMATS: ReadonlySet<LogFormat> = new Set(['bunyan', 'actions-json', 'text']);

/**
 * The events of the Auth0 records embedded in free text, or null when it holds none. A pasted
 * error body (`{"statusCode":409,...}`) is no record, so its text stays one console event.
 */
export function recordsIn(text: string, source: SourceRef, ctx: RecordContext, again: ReadValue): LogEvent[] | null {
  if (!text.includes('{')) return null;
  const innerCtx = inner(ctx);
  if (!innerCtx) return null;
  let events: LogEvent[] | null = null;
  for (const value of jsonObjectsIn(text)) {
    const r = again(value, source, innerCtx);
    if (r && !CONSOLE_FORMATS.has(r.format)) (events ??= []).push(...r.events);
  }
  return events;
}

/** `details` is usually an object, sometimes a JSON string, sometimes plain text. */
function parseDetails(v: unknown): { obj: Obj | null; text: string | null } {
  if (typeof v !== 'string') return { obj: asObj(v), text: null };
  const t = v.trim();
  if (t.startsWith('{')) {
    try {
      const parsed = asObj(JSON.parse(t));
      if (parsed) return { obj: parsed, text: null };
    } catch {
      // not JSON after all: treat as text
    }
  }
  return { obj: null, text: t || null };
}
