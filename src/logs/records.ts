import { normalizeEmail } from './email.js';
import { cloudWatchEvents, elasticDocument, elasticHit, elasticSearch, insightsRow, sqsMessages } from './envelopes.js';
import { newEvent } from './event.js';
import { findMarkers, normalizeCode } from './markers.js';
import {
  flatToEvent,
  inner,
  isFlat,
  jobIdIn,
  messageEvents,
  type Reader,
  type RecordContext,
  type RecordResult,
} from './normalize.js';
import type { LogEvent, LogFormat, SourceRef } from './types.js';
import { asObj, cap, str, toUtc, type Obj } from './values.js';

export type { RecordContext, RecordResult } from './normalize.js';

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
    const r = read(o, source, ctx, recordToEvents);
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

/**
 * One user's report in `GET /jobs/{id}/errors`: `{user, errors: [{code, message, path}]}`. A user
 * named without an email (only `user_id` or `username`) is reported by that name (`subject`). The
 * job comes from a `job_id` field, else the envelope's job, else the file's name.
 */
function userErrors(o: Obj, source: SourceRef, jobId: string | null): LogEvent[] | null {
  const user = asObj(o.user);
  if (!user || !Array.isArray(o.errors)) return null;
  const email = normalizeEmail(user.email);
  const userId = str(user.user_id);
  const subject = str(user.username) ?? userId ?? str(user.email);
  const job = str(o.job_id) ?? str(o.jobId) ?? jobId ?? jobIdIn(source.file);
  return o.errors.map(asObj).flatMap((err): LogEvent[] => {
    if (!err) return [];
    const code = str(err.code);
    return [
      newEvent({
        type: 'import_error',
        description: cap(str(err.message) ?? code ?? ''),
        email,
        subject,
        userId,
        codes: code ? [normalizeCode(code)] : [],
        jobId: job,
        format: 'import-errors',
        source,
      }),
    ];
  });
}

const importUserErrors: Reader = (o, source) => {
  const events = userErrors(o, source, null);
  return events ? { format: 'import-errors', events } : null;
};

/**
 * An error report saved together with its job: `{job_id | id: "job_...", errors: [reports]}`, or
 * `{job: {status object}, errors: [reports]}` (whose job status is read too).
 */
const importErrorsWithJob: Reader = (o, source, ctx, again) => {
  if (!Array.isArray(o.errors) || 'user' in o) return null;
  const job = asObj(o.job);
  const jobId = str(o.job_id) ?? str(o.jobId) ?? str(job?.id) ?? (typeof o.id === 'string' && o.id.startsWith('job_') ? o.id : null);
  if (!jobId) return null;
  const reports = o.errors.map(asObj).filter((r): r is Obj => !!r);
  const events = reports.flatMap((r) => userErrors(r, source, jobId) ?? []);
  if (events.length === 0 && reports.length > 0) return null;
  const jobCtx = job ? inner(ctx) : null;
  const status = job && jobCtx ? importJob(job, source, jobCtx, again) : null;
  return { format: 'import-errors', events: [...(status?.events ?? []), ...events] };
};

/**
 * A users import job's status (`GET /jobs/{id}`, or the errors endpoint for a job that failed as a
 * whole). A job that failed or expired is `import_job_failed`; one that completed with failed users
 * is `import_job_failures` (its errors are read from `GET /jobs/{id}/errors`); pending, processing
 * and clean jobs are recognized but not reported.
 */
const importJob: Reader = (o, source) => {
  if (o.type !== 'users_import' || typeof o.status !== 'string') return null;
  const status = o.status;
  const summary = asObj(o.summary);
  const failedUsers = typeof summary?.failed === 'number' && summary.failed > 0;
  const failedJob = status === 'failed' || status === 'expired';
  if (!failedJob && !(status === 'completed' && failedUsers)) return { format: 'import-errors', events: [] };
  const jobId = str(o.id);
  const description = (failedJob ? str(o.status_details) : null) ?? jobSummary(jobId, status, summary);
  const m = findMarkers(description);
  return {
    format: 'import-errors',
    events: [
      newEvent({
        time: toUtc(o.created_at),
        type: failedJob ? 'import_job_failed' : 'import_job_failures',
        description: cap(description),
        connection: str(o.connection),
        connectionId: str(o.connection_id),
        codes: m.codes,
        statusCode: m.statusCode,
        logId: jobId,
        jobId,
        format: 'import-errors',
        source,
      }),
    ],
  };
};

const bunyan: Reader = (o, source, ctx, again) => {
  if (typeof o.msg !== 'string' || typeof o.level !== 'number' || typeof o.v !== 'number' || !('time' in o)) {
    return null;
  }
  return { format: 'bunyan', events: messageEvents(o.msg, o.time, 'bunyan', source, ctx, again) };
};

const MESSAGE_KEYS = ['message', 'msg', 'text', 'log', 'data'] as const;
const TIME_KEYS = ['timestamp', 'time', 'date', 'ts'] as const;

/**
 * A console entry: an Actions Real-time Logs download entry, or any `{message, timestamp}` line
 * (a Lambda in JSON log format). A message that prints an Auth0 record yields that record's events.
 */
const actionsEntry: Reader = (o, source, ctx, again) => {
  // A record with an event code and a description is Auth0's, not a console line.
  if (typeof o.type === 'string' && typeof o.description === 'string') return null;
  const msgKey = MESSAGE_KEYS.find((k) => typeof o[k] === 'string');
  const timeKey = TIME_KEYS.find((k) => typeof o[k] === 'string' || typeof o[k] === 'number');
  if (!msgKey || !timeKey) return null;
  return { format: 'actions-json', events: messageEvents(o[msgKey] as string, o[timeKey], 'actions-json', source, ctx, again) };
};

const actionsEnvelope: Reader = (o, source, ctx, again) => {
  if (!Array.isArray(o.logs)) return null;
  const events: LogEvent[] = [];
  for (const e of o.logs) {
    const entry = asObj(e);
    const r = entry ? actionsEntry(entry, source, ctx, again) : null;
    if (r) events.push(...r.events);
  }
  if (events.length === 0 && o.logs.length > 0) return null;
  return { format: 'actions-json', events };
};

const AUTO: Reader[] = [
  eventBridge,
  importJob,
  importUserErrors,
  importErrorsWithJob,
  container,
  streamWrapper,
  flat,
  sqsMessages,
  cloudWatchEvents,
  insightsRow,
  elasticSearch,
  elasticHit,
  elasticDocument,
  bunyan,
  actionsEnvelope,
  actionsEntry,
];

const FORCED: Record<LogFormat, Reader[]> = {
  'management-api': [container, flat],
  'cli-json': [container, flat],
  'log-stream': [streamWrapper],
  eventbridge: [eventBridge, sqsMessages, cloudWatchEvents, insightsRow],
  elastic: [elasticSearch, elasticHit, elasticDocument],
  'import-errors': [importJob, importUserErrors, importErrorsWithJob],
  bunyan: [bunyan],
  'actions-json': [actionsEnvelope, actionsEntry],
  text: [],
};

function jobSummary(jobId: string | null, status: string, summary: Obj | null): string {
  let s = `Import job ${jobId ?? '(no id)'} ${status}`;
  if (summary) {
    const n = (k: string) => (typeof summary[k] === 'number' ? summary[k] : '?');
    s += `: ${n('inserted')} inserted, ${n('updated')} updated, ${n('failed')} failed of ${n('total')}`;
  }
  return s;
}
