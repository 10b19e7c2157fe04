import type { DateTime } from 'luxon';

/** Every input format unstick can read; `--format` takes these names. */
export const LOG_FORMATS = [
  'management-api', // GET /api/v2/logs: JSON array of flat records, or {start,limit,length,total,logs}
  'cli-json', // flat records on their own, not in an array: concatenated pretty objects or NDJSON
  'log-stream', // {log_id,data} wrappers: JSON lines, array or single object (webhook, Datadog)
  'eventbridge', // {"detail-type":"Auth0 log", detail:{log_id,data}} or flat detail; also SQS, CloudWatch and Lambda captures
  'elastic', // Elastic's Auth0 integration documents (ECS, auth0.logs.data): NDJSON exports, _search responses
  'import-errors', // GET /api/v2/jobs/{id}/errors: per-user array, job-level failure object, empty body
  'bunyan', // webtask log stream records (`wt logs --raw`): {msg,time,level,v}
  'actions-json', // Actions real-time logs "Download" JSON
  'text', // pasted Real-time Webtask Logs lines, `wt logs` output, any free text
] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export interface SourceRef {
  /**
   * Path as given by the user (or "-" for stdin), plus the 1-based line the record starts on.
   * On the parallel path `line` is resolved once the ranges before the record's have been counted:
   * read it after readLogs resolves (a report), not while events stream in (it throws before that).
   */
  file: string;
  line: number;
}

/**
 * One normalized log event. Records of every format become this shape; diagnose rules only read it.
 * `type` is the Auth0 event code for tenant logs ("fs", "sapi", ...), "import_error" for one error of
 * an import job report, "import_job_failed" for a job that failed as a whole, "import_job_failures"
 * for a job that completed with failed users (`summary.failed > 0`; its errors are in the job's
 * error report), and "console" for free text.
 */
export interface LogEvent {
  time: DateTime | null; // UTC
  type: string;
  description: string;
  email: string | null; // lowercased and trimmed
  /**
   * The user's name when the record names them without an email address, else null: an import
   * error's `user.username` (else `user.user_id`), or a tenant log's non-email `user_name`
   * (else `details.body.username`). As given, trimmed. Never set when `email` is.
   */
  subject: string | null;
  userId: string | null;
  connection: string | null;
  connectionId: string | null;
  /** Error codes carried by the record: import codes (DUPLICATED_USER...), errorCode, code (user_exists). */
  codes: string[];
  /** HTTP status found in the record (a 409 body pasted in a console line), if any. */
  statusCode: number | null;
  logId: string | null;
  /**
   * The import job the event belongs to (`job_...`), when the record says: a job status object's
   * `id`, an error report's `job_id` field or a file named after its job, the `sapi` log that
   * created the job. Lets an error report be joined with its job's status (and connection).
   */
  jobId: string | null;
  format: LogFormat;
  source: SourceRef;
}

export interface MalformedRecord {
  source: SourceRef;
  reason: string;
}
