import { findEmail, normalizeEmail } from './email.js';
import { findMarkers, normalizeCode } from './markers.js';
import type { LogEvent, LogFormat, SourceRef } from './types.js';
import { asObj, cap, status, str, toUtc, type Obj } from './values.js';

export interface RecordContext {
  inArray: boolean;
  forced?: LogFormat;
}
export interface RecordResult {
  format: LogFormat;
  events: LogEvent[];
}

type Reader = (o: Obj, source: SourceRef, ctx: RecordContext) => RecordResult | null;

/**
 * Turns one parsed JSON record into normalized events, or null when it is no known Auth0 log shape.
 * Never throws: every field is read defensively.
 */
export function recordToEvents(value: unknown, source: SourceRef, ctx: RecordContext): RecordResult | null {
  // A whole batch on one line (e.g. a JSONARRAY stream payload saved per line).
  if (Array.isArray(value)) return arrayToEvents(value, source, ctx);
  const o = asObj(value);
  if (!o) return null;
  const readers = ctx.forced ? FORCED[ctx.forced] : AUTO;
  for (const read of readers) {
    const r = read(o, source, ctx);
    if (r) return r;
  }
  return null;
}

function arrayToEvents(values: unknown[], source: SourceRef, ctx: RecordContext): RecordResult | null {
  let format: LogFormat | null = null;
  const events: LogEvent[] = [];
  for (const v of values) {
    const r = Array.isArray(v) ? null : recordToEvents(v, source, { ...ctx, inArray: true });
    if (!r) continue;
    format ??= r.format;
    events.push(...r.events);
  }
  return format ? { format, events } : null;
}

// ---- readers -------------------------------------------------------------------------------

const eventBridge: Reader = (o, source) => {
  const detail = asObj(o.detail);
  const fromPartner = typeof o.source === 'string' && o.source.startsWith('aws.partner/auth0.com');
  if (!detail || (!fromPartner && typeof o['detail-type'] !== 'string')) return null;
  const data = asObj(detail.data);
  const rec = data && isFlat(data, true) ? data : isFlat(detail, true) ? detail : null;
  if (!rec) return null;
  return { format: 'eventbridge', events: [flatToEvent(rec, 'eventbridge', source, str(detail.log_id))] };
};

const container: Reader = (o, source, ctx) => {
  if (!Array.isArray(o.logs)) return null;
  const hasTotals = ['start', 'limit', 'length', 'total'].some((k) => typeof o[k] === 'number');
  const flats = o.logs.map(asObj).filter((e): e is Obj => !!e && isFlat(e));
  if (!hasTotals && flats.length === 0) return null;
  const format: LogFormat = ctx.forced === 'cli-json' ? 'cli-json' : 'management-api';
  return { format, events: flats.map((e) => flatToEvent(e, format, source)) };
};

const streamWrapper: Reader = (o, source) => {
  const data = asObj(o.data);
  if (!data || !isFlat(data, true) || typeof o.type === 'string') return null;
  return { format: 'log-stream', events: [flatToEvent(data, 'log-stream', source, str(o.log_id))] };
};

const flat: Reader = (o, source, ctx) => {
  if (!isFlat(o)) return null;
  const format: LogFormat = ctx.forced ?? (ctx.inArray ? 'management-api' : 'cli-json');
  return { format, events: [flatToEvent(o, format, source)] };
};

const importUserErrors: Reader = (o, source) => {
  const user = asObj(o.user);
  if (!user || !Array.isArray(o.errors)) return null;
  const email = normalizeEmail(user.email);
  const userId = str(user.user_id);
  const events = o.errors.map(asObj).flatMap((err): LogEvent[] => {
    if (!err) return [];
    const code = str(err.code);
    return [
      event({
        type: 'import_error',
        description: cap(str(err.message) ?? code ?? ''),
        email,
        userId,
        codes: code ? [normalizeCode(code)] : [],
        format: 'import-errors',
        source,
      }),
    ];
  });
  return { format: 'import-errors', events };
};

const importJob: Reader = (o, source) => {
  if (o.type !== 'users_import' || typeof o.status !== 'string') return null;
  const status = o.status;
  // Only a failed (or timed-out) job is an event; pending/processing/completed are recognized, not reported.
  if (status !== 'failed' && status !== 'expired') return { format: 'import-errors', events: [] };
  const jobId = str(o.id);
  const details = str(o.status_details);
  const description = details ?? jobSummary(jobId, status, asObj(o.summary));
  const m = findMarkers(description);
  return {
    format: 'import-errors',
    events: [
      event({
        time: toUtc(o.created_at),
        type: 'import_job_failed',
        description: cap(description),
        connectionId: str(o.connection_id),
        codes: m.codes,
        statusCode: m.statusCode,
        logId: jobId,
        format: 'import-errors',
        source,
      }),
    ],
  };
};

const bunyan: Reader = (o, source) => {
  if (typeof o.msg !== 'string' || typeof o.level !== 'number' || typeof o.v !== 'number' || !('time' in o)) {
    return null;
  }
  return { format: 'bunyan', events: [consoleEvent(o.msg, o.time, 'bunyan', source)] };
};

const MESSAGE_KEYS = ['message', 'msg', 'text', 'log', 'data'] as const;
const TIME_KEYS = ['timestamp', 'time', 'date', 'ts'] as const;

const actionsEntry: Reader = (o, source) => {
  // A record with an event code and a description is Auth0's, not a console line.
  if (typeof o.type === 'string' && typeof o.description === 'string') return null;
  const msgKey = MESSAGE_KEYS.find((k) => typeof o[k] === 'string');
  const timeKey = TIME_KEYS.find((k) => typeof o[k] === 'string' || typeof o[k] === 'number');
  if (!msgKey || !timeKey) return null;
  return { format: 'actions-json', events: [consoleEvent(o[msgKey] as string, o[timeKey], 'actions-json', source)] };
};

const actionsEnvelope: Reader = (o, source, ctx) => {
  if (!Array.isArray(o.logs)) return null;
  const events: LogEvent[] = [];
  for (const e of o.logs) {
    const entry = asObj(e);
    const r = entry ? actionsEntry(entry, source, ctx) : null;
    if (r) events.push(...r.events);
  }
  if (events.length === 0 && o.logs.length > 0) return null;
  return { format: 'actions-json', events };
};

const AUTO: Reader[] = [
  eventBridge,
  importJob,
  importUserErrors,
  container,
  streamWrapper,
  flat,
  bunyan,
  actionsEnvelope,
  actionsEntry,
];

const FORCED: Record<LogFormat, Reader[]> = {
  'management-api': [container, flat],
  'cli-json': [container, flat],
  'log-stream': [streamWrapper],
  eventbridge: [eventBridge],
  'import-errors': [importJob, importUserErrors],
  bunyan: [bunyan],
  'actions-json': [actionsEnvelope, actionsEntry],
  text: [],
};

// ---- normalization -------------------------------------------------------------------------

/** A flat Auth0 log record: an event code plus a date or a log id (only the code if `loose`). */
function isFlat(o: Obj, loose = false): boolean {
  if (typeof o.type !== 'string' || o.type === '') return false;
  return loose || 'date' in o || typeof o.log_id === 'string' || typeof o._id === 'string';
}

function flatToEvent(rec: Obj, format: LogFormat, source: SourceRef, outerLogId: string | null = null): LogEvent {
  const details = parseDetails(rec.details);
  const d = details.obj;
  const body = asObj(d?.body);
  const request = asObj(d?.request);
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

  return event({
    time: toUtc(rec.date),
    type: str(rec.type) ?? '',
    description: cap(description),
    email:
      normalizeEmail(rec.user_name) ??
      normalizeEmail(body?.email) ??
      normalizeEmail(asObj(request?.body)?.email) ??
      normalizeEmail(query?.email),
    userId: str(rec.user_id),
    connection: str(rec.connection) ?? str(body?.connection) ?? str(query?.connection),
    connectionId: str(rec.connection_id) ?? str(asObj(request?.body)?.connection_id),
    codes,
    statusCode: status(response?.statusCode) ?? status(responseBody?.statusCode) ?? textStatus,
    logId: outerLogId ?? str(rec.log_id) ?? str(rec._id),
    format,
    source,
  });
}

function consoleEvent(message: string, time: unknown, format: LogFormat, source: SourceRef): LogEvent {
  const m = findMarkers(message);
  return event({
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

type EventInit = Partial<LogEvent> & Pick<LogEvent, 'type' | 'description' | 'format' | 'source'>;

function event(e: EventInit): LogEvent {
  return {
    time: e.time ?? null,
    type: e.type,
    description: e.description,
    email: e.email ?? null,
    userId: e.userId ?? null,
    connection: e.connection ?? null,
    connectionId: e.connectionId ?? null,
    codes: [...new Set(e.codes ?? [])],
    statusCode: e.statusCode ?? null,
    logId: e.logId ?? null,
    format: e.format,
    source: e.source,
  };
}

function jobSummary(jobId: string | null, status: string, summary: Obj | null): string {
  let s = `Import job ${jobId ?? '(no id)'} ${status}`;
  if (summary) {
    const n = (k: string) => (typeof summary[k] === 'number' ? summary[k] : '?');
    s += `: ${n('inserted')} inserted, ${n('updated')} updated, ${n('failed')} failed of ${n('total')}`;
  }
  return s;
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
