import type { DateTime } from 'luxon';

/** Every input format unstick can read; `--format` takes these names. */
export const LOG_FORMATS = [
  'management-api', // GET /api/v2/logs: JSON array of flat records, or {start,limit,length,total,logs}
  'cli-json', // auth0 logs tail/list --json / --json-compact: pretty objects or NDJSON, flat records
  'log-stream', // {log_id,data} wrappers: JSON lines, array or single object (webhook, Datadog)
  'eventbridge', // {"detail-type":"Auth0 log", detail:{log_id,data}} or flat detail
  'import-errors', // GET /api/v2/jobs/{id}/errors: per-user array, job-level failure object, empty body
  'bunyan', // webtask log stream records (`wt logs --raw`): {msg,time,level,v}
  'actions-json', // Actions real-time logs "Download" JSON
  'text', // pasted Real-time Webtask Logs lines, `wt logs` output, any free text
] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export interface SourceRef {
  /** Path as given by the user (or "-" for stdin), plus the 1-based line the record starts on. */
  file: string;
  line: number;
}

/**
 * One normalized log event. Records of every format become this shape; diagnose rules only read it.
 * `type` is the Auth0 event code for tenant logs ("fs", "sapi", ...), "import_error" for one error of
 * an import job report, "import_job_failed" for a job-level failure, and "console" for free text.
 */
export interface LogEvent {
  time: DateTime | null; // UTC
  type: string;
  description: string;
  email: string | null; // lowercased and trimmed
  userId: string | null;
  connection: string | null;
  connectionId: string | null;
  /** Error codes carried by the record: import codes (DUPLICATED_USER...), errorCode, code (user_exists). */
  codes: string[];
  /** HTTP status found in the record (a 409 body pasted in a console line), if any. */
  statusCode: number | null;
  logId: string | null;
  format: LogFormat;
  source: SourceRef;
}

export interface MalformedRecord {
  source: SourceRef;
  reason: string;
}
