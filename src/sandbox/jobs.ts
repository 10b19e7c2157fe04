import { gzipSync } from 'node:zlib';
import { CSV_WHOLE_OBJECT_FIELDS, signedExportLocation, toCsv, toNdjson } from './exports.js';
import { EMAIL_PATTERN, isPlainObject, publicUser, type ImportedHash, type Profile } from './profile.js';
import type { Connection, SandboxTenant } from './state.js';

/**
 * Import and export jobs. Status is computed from the clock: `pending` for `pendingMs`, `processing`
 * for `processingMs`, then `completed` (or `failed`). The job's effect (inserting users, writing the
 * export file) is applied once, at the first request after the completion time, dated at that time.
 * Like Auth0, which deletes job data after 24 hours, a job is forgotten `JOB_RETENTION_MS` after it
 * finished: `GET /jobs/{id}` then answers 404, and an export's file is gone.
 */
export type JobStatus = 'pending' | 'processing' | 'completed' | 'failed';

interface JobBase {
  id: string;
  createdAt: number;
  dueAt: number;
  /** Set once the job's effect has been applied. */
  outcome?: 'completed' | 'failed';
}

export interface ImportError {
  user: unknown;
  errors: Array<{ code: string; message: string; path?: string }>;
}

export interface ImportJob extends JobBase {
  type: 'users_import';
  connectionId: string;
  upsert: boolean;
  externalId?: string;
  sendCompletionEmail: boolean;
  usersText: string;
  summary?: { failed: number; updated: number; inserted: number; total: number };
  errors: ImportError[];
  statusDetails?: string;
}

export interface ExportField {
  name: string;
  export_as?: string;
}

export interface ExportJob extends JobBase {
  type: 'users_export';
  connectionId?: string;
  /** The connection's name when the job was created (shown as `connection` should it be gone since). */
  connectionName?: string;
  format: 'json' | 'csv';
  fields: ExportField[];
  limit?: number;
  file?: Buffer;
}

export type Job = ImportJob | ExportJob;

export const JOB_RETENTION_MS = 24 * 60 * 60 * 1000;

export const DUPLICATED_USER_UPSERT_FALSE = 'The user already exist and upsert parameter is false';
export const DUPLICATED_USER_IN_FILE = 'A user with this email was already provided.';
/** With upsert on, a ghost still fails: there is no profile to update. */
export const DUPLICATED_USER_GHOST = 'The user already exists.';

const DEFAULT_EXPORT_FIELDS: ExportField[] = [
  'user_id', 'email', 'email_verified', 'name', 'nickname', 'created_at', 'updated_at', 'last_login', 'logins_count', 'user_metadata', 'app_metadata',
].map((name) => ({ name }));

const IMPORT_USER_KEYS = new Set([
  'email', 'email_verified', 'user_id', 'username', 'given_name', 'family_name', 'name', 'nickname', 'picture', 'blocked',
  'password_hash', 'custom_password_hash', 'app_metadata', 'user_metadata', 'mfa_factors',
]);
const UPSERTABLE = ['email_verified', 'given_name', 'family_name', 'name', 'nickname', 'picture'] as const;
const HEX_HASHES = ['md5', 'sha1', 'sha256', 'sha512'];

export class JobBoard {
  /** Every job still kept, in creation order (which, the timing being fixed per tenant, is also due order). */
  private readonly jobs = new Map<string, Job>();
  /** Jobs not yet applied: what each request looks at, instead of every job. */
  private readonly unsettled = new Set<Job>();

  constructor(private readonly tenant: SandboxTenant) {}

  createImport(input: Pick<ImportJob, 'connectionId' | 'upsert' | 'sendCompletionEmail' | 'usersText'> & { externalId?: string }): ImportJob {
    return this.register({ ...this.base(), type: 'users_import', errors: [], ...input });
  }

  createExport(input: Pick<ExportJob, 'format' | 'fields'> & { connectionId?: string; connectionName?: string; limit?: number }): ExportJob {
    return this.register({ ...this.base(), type: 'users_export', ...input });
  }

  get(id: string): Job | undefined {
    return this.jobs.get(id);
  }

  /** The jobs still kept, oldest first (for /__sandbox/state). */
  list(): IterableIterator<Job> {
    return this.jobs.values();
  }

  /** Import jobs still pending or processing (Auth0 allows two per tenant). */
  activeImports(): number {
    let n = 0;
    for (const job of this.unsettled) if (job.type === 'users_import') n++;
    return n;
  }

  status(job: Job): JobStatus {
    if (job.outcome) return job.outcome;
    return this.tenant.now() < job.createdAt + this.tenant.jobTiming.pendingMs ? 'pending' : 'processing';
  }

  /**
   * The job as GET /api/v2/jobs/:id shows it. A completed export's `location` is signed anew on each
   * call, valid 60 s from now (see exports.ts).
   */
  view(job: Job): Record<string, unknown> {
    const status = this.status(job);
    let out: Record<string, unknown>;
    if (job.type === 'users_import') {
      out = { type: job.type, status, created_at: new Date(job.createdAt).toISOString(), id: job.id, connection_id: job.connectionId, upsert: job.upsert };
      if (job.externalId !== undefined) out.external_id = job.externalId;
      out.send_completion_email = job.sendCompletionEmail;
    } else {
      // The order of auth0/docs' samples: type, status, connection_id, format, limit, fields, location, connection, created_at, id.
      out = { type: job.type, status };
      const connection = job.connectionId === undefined ? undefined : this.tenant.connection(job.connectionId);
      if (job.connectionId !== undefined) out.connection_id = job.connectionId;
      out.format = job.format;
      if (job.limit !== undefined) out.limit = job.limit;
      out.fields = job.fields.map((f) => ({ ...f }));
      if (status === 'completed') out.location = signedExportLocation(this.tenant, job);
      if (job.connectionId !== undefined) out.connection = connection?.name ?? job.connectionName;
      out.created_at = new Date(job.createdAt).toISOString();
      out.id = job.id;
    }
    if (status === 'processing') {
      const { pendingMs, processingMs } = this.tenant.jobTiming;
      const elapsed = this.tenant.now() - job.createdAt - pendingMs;
      out.percentage_done = processingMs === 0 ? 99 : Math.min(99, Math.floor((elapsed / processingMs) * 100));
      out.time_left_seconds = Math.max(0, Math.ceil((job.dueAt - this.tenant.now()) / 1000));
    }
    if (job.type === 'users_import' && job.summary) out.summary = { ...job.summary };
    if (job.type === 'users_import' && job.statusDetails) out.status_details = job.statusDetails;
    return out;
  }

  /** Applies the jobs whose completion time has passed (in due order), then forgets those finished over 24 h ago. */
  settleDue(): void {
    const now = this.tenant.now();
    let due: Job[] | undefined;
    for (const job of this.unsettled) if (job.dueAt <= now) (due ??= []).push(job);
    if (due) {
      if (due.length > 1) due.sort((a, b) => a.dueAt - b.dueAt);
      for (const job of due) {
        this.unsettled.delete(job);
        if (job.type === 'users_import') this.applyImport(job);
        else this.writeExport(job);
      }
    }
    // Oldest first: stop at the first job that is still running or finished less than 24 h ago.
    for (const job of this.jobs.values()) {
      if (job.outcome === undefined || job.dueAt + JOB_RETENTION_MS > now) break;
      this.jobs.delete(job.id);
    }
  }

  /** An export job still kept (its file once completed), for the exports host. */
  exportJob(id: string): ExportJob | undefined {
    const job = this.jobs.get(id);
    return job?.type === 'users_export' ? job : undefined;
  }

  private register<T extends Job>(job: T): T {
    this.jobs.set(job.id, job);
    this.unsettled.add(job);
    return job;
  }

  private base(): Pick<Job, 'id' | 'createdAt' | 'dueAt'> {
    const createdAt = this.tenant.now();
    const { pendingMs, processingMs } = this.tenant.jobTiming;
    return { id: `job_${this.tenant.randomId(16)}`, createdAt, dueAt: createdAt + pendingMs + processingMs };
  }

  // -------------------------------------------------------------------------------------------- import

  private applyImport(job: ImportJob): void {
    const connection = this.tenant.connection(job.connectionId);
    let users: unknown;
    try {
      users = JSON.parse(job.usersText);
    } catch (err) {
      return this.failImport(job, connection, `Failed to parse users file JSON when importing users: ${(err as Error).message}`);
    }
    if (!Array.isArray(users)) return this.failImport(job, connection, 'Users file must be an array');
    if (!connection) return this.failImport(job, connection, `The connection ${job.connectionId} no longer exists`);

    const summary = { failed: 0, updated: 0, inserted: 0, total: users.length };
    const seen = new Set<string>();
    for (const user of users) {
      const result = this.importOne(job, connection, user, seen);
      if (result === 'inserted') summary.inserted++;
      else if (result === 'updated') summary.updated++;
      else {
        summary.failed++;
        job.errors.push({ user, errors: result });
      }
    }
    job.summary = summary;
    job.outcome = 'completed';
    this.tenant.addLog({
      type: summary.failed === 0 ? 'sui' : 'fui',
      date: new Date(job.dueAt).toISOString(),
      description: `Users import job ${job.id}: ${summary.inserted} inserted, ${summary.updated} updated, ${summary.failed} failed`,
      connection: connection.name,
      connection_id: connection.id,
      strategy: 'auth0',
      strategy_type: 'database',
      details: { connection: connection.name, tenant: this.tenant.name, job_id: job.id, summary },
    });
  }

  private importOne(job: ImportJob, connection: Connection, user: unknown, seen: Set<string>): 'inserted' | 'updated' | ImportError['errors'] {
    const problems = validateImportUser(user);
    if (problems.length > 0) return problems;
    const u = user as Record<string, unknown>;
    const email = (u.email as string).toLowerCase();
    if (seen.has(email)) return [{ code: 'DUPLICATED_USER', message: DUPLICATED_USER_IN_FILE }];
    seen.add(email);

    const entry = this.tenant.storeEntry(connection, email);
    if (entry) {
      if (!job.upsert) return [{ code: 'DUPLICATED_USER', message: DUPLICATED_USER_UPSERT_FALSE }];
      const profile = this.tenant.profileFor(connection, entry);
      if (!profile) return [{ code: 'DUPLICATED_USER', message: DUPLICATED_USER_GHOST }];
      this.upsertProfile(profile, u, connection, entry.email);
      return 'updated';
    }
    // A user_id is unique across the tenant (every connection, ghosts and linked identities included).
    // Upsert matches on email only, so with upsert on an id held by another email is a CONFLICT.
    const userId = typeof u.user_id === 'string' ? `auth0|${u.user_id}` : undefined;
    if (userId && this.tenant.userIdTaken(userId)) {
      return job.upsert
        ? [{ code: 'CONFLICT', message: `A user with user_id ${u.user_id} already exists with another email`, path: 'user_id' }]
        : [{ code: 'DUPLICATED_USER', message: DUPLICATED_USER_UPSERT_FALSE }];
    }
    const hash = importedHash(u);
    this.tenant.createDatabaseUser(connection, {
      email,
      ...(userId ? { user_id: userId } : {}),
      ...(hash ? { hash } : {}),
      email_verified: u.email_verified === true,
      ...pickStrings(u, ['name', 'nickname', 'given_name', 'family_name']),
      ...(isPlainObject(u.user_metadata) ? { user_metadata: u.user_metadata } : {}),
      ...(isPlainObject(u.app_metadata) ? { app_metadata: u.app_metadata } : {}),
      at: job.dueAt,
    });
    return 'inserted';
  }

  /** Upsert replaces the upsertable attributes; metadata is overwritten, not merged (as Auth0 documents). */
  private upsertProfile(profile: Profile, u: Record<string, unknown>, connection: Connection, email: string): void {
    for (const key of UPSERTABLE) {
      if (u[key] !== undefined) (profile as unknown as Record<string, unknown>)[key] = u[key];
    }
    if (isPlainObject(u.user_metadata)) profile.user_metadata = structuredClone(u.user_metadata);
    if (isPlainObject(u.app_metadata)) profile.app_metadata = structuredClone(u.app_metadata);
    const hash = importedHash(u);
    const entry = this.tenant.storeEntry(connection, email);
    if (entry && hash && u.custom_password_hash !== undefined) {
      const { password: _old, ...rest } = entry;
      this.tenant.putStoreEntry(connection, { ...rest, hash });
    }
    profile.updated_at = new Date(this.tenant.now()).toISOString();
  }

  private failImport(job: ImportJob, connection: Connection | undefined, details: string): void {
    job.outcome = 'failed';
    job.statusDetails = details;
    this.tenant.addLog({
      type: 'fui',
      date: new Date(job.dueAt).toISOString(),
      description: details,
      ...(connection ? { connection: connection.name, connection_id: connection.id } : {}),
      details: { connection: connection?.name, tenant: this.tenant.name, job_id: job.id },
    });
  }

  // -------------------------------------------------------------------------------------------- export

  private writeExport(job: ExportJob): void {
    const connection = job.connectionId === undefined ? undefined : this.tenant.connection(job.connectionId);
    const rows: Record<string, unknown>[] = [];
    for (const profile of this.tenant.users()) {
      if (connection && profile.identities[0]?.connection !== connection.name) continue;
      if (job.limit !== undefined && rows.length >= job.limit) break;
      const user = publicUser(profile);
      const row: Record<string, unknown> = {};
      for (const field of job.fields) {
        const value = readField(user, field.name);
        if (value !== undefined) row[field.export_as ?? field.name] = value;
      }
      rows.push(row);
    }
    const text = job.format === 'json' ? toNdjson(rows) : toCsv(job.fields, rows);
    job.file = gzipSync(Buffer.from(text, 'utf8'));
    job.outcome = 'completed';
  }
}

const REDACTED = '*****';

/**
 * An import error's `user` as GET /jobs/{id}/errors shows it: Auth0 redacts sensitive fields
 * ("Sensitive fields such as hash.value will be redacted"), so every `custom_password_hash.hash.value`,
 * `password_hash` and `password` becomes "*****". A copy: the job keeps what was imported.
 */
export function redactedImportUser(user: unknown): unknown {
  if (Array.isArray(user)) return user.map(redactedImportUser);
  if (!isPlainObject(user)) return structuredClone(user);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(user)) {
    if (key === 'password' || key === 'password_hash') out[key] = REDACTED;
    else if (key === 'custom_password_hash' && isPlainObject(value) && isPlainObject(value.hash) && 'value' in value.hash) {
      const copy = redactedImportUser(value) as { hash: Record<string, unknown> };
      copy.hash.value = REDACTED;
      out[key] = copy;
    } else out[key] = redactedImportUser(value);
  }
  return out;
}

/** The fields of an export that names none; CSV leaves out the metadata objects it cannot carry. */
export function defaultExportFields(format: 'json' | 'csv' = 'json'): ExportField[] {
  return DEFAULT_EXPORT_FIELDS.filter((f) => format === 'json' || !CSV_WHOLE_OBJECT_FIELDS.includes(f.name)).map((f) => ({ ...f }));
}

/** The subset of Auth0's import schema checks (z-schema codes and messages) that tests rely on. */
function validateImportUser(user: unknown): ImportError['errors'] {
  if (!isPlainObject(user)) return [{ code: 'INVALID_TYPE', message: `Expected type object but found type ${Array.isArray(user) ? 'array' : user === null ? 'null' : typeof user}` }];
  const errors: ImportError['errors'] = [];
  if (user.email === undefined) errors.push({ code: 'OBJECT_REQUIRED', message: 'Missing required property: email', path: 'email' });
  else if (typeof user.email !== 'string') errors.push({ code: 'INVALID_TYPE', message: `Expected type string but found type ${typeof user.email}`, path: 'email' });
  else if (!EMAIL_PATTERN.test(user.email)) errors.push({ code: 'FORMAT', message: `Object didn't pass validation for format email: ${user.email}`, path: 'email' });
  for (const key of ['user_id', 'name', 'nickname', 'given_name', 'family_name', 'username', 'picture', 'password_hash'] as const) {
    if (user[key] !== undefined && typeof user[key] !== 'string') errors.push({ code: 'INVALID_TYPE', message: `Expected type string but found type ${typeof user[key]}`, path: key });
  }
  for (const key of ['user_metadata', 'app_metadata', 'custom_password_hash'] as const) {
    if (user[key] !== undefined && !isPlainObject(user[key])) errors.push({ code: 'INVALID_TYPE', message: `Expected type object but found type ${typeof user[key]}`, path: key });
  }
  const extra = Object.keys(user).filter((k) => !IMPORT_USER_KEYS.has(k));
  if (extra.length > 0) errors.push({ code: 'OBJECT_ADDITIONAL_PROPERTIES', message: `Additional properties not allowed: ${extra.join(',')}`, path: extra[0]! });
  return errors;
}

function importedHash(u: Record<string, unknown>): ImportedHash | undefined {
  const custom = u.custom_password_hash;
  if (isPlainObject(custom) && typeof custom.algorithm === 'string' && isPlainObject(custom.hash) && typeof custom.hash.value === 'string') {
    const encoding = (typeof custom.hash.encoding === 'string' ? custom.hash.encoding : HEX_HASHES.includes(custom.algorithm) ? 'hex' : 'utf8') as BufferEncoding;
    const hash: ImportedHash = { algorithm: custom.algorithm, value: custom.hash.value, encoding };
    if (isPlainObject(custom.salt) && typeof custom.salt.value === 'string') {
      hash.salt = { value: custom.salt.value, position: custom.salt.position === 'suffix' ? 'suffix' : 'prefix' };
    }
    return hash;
  }
  if (typeof u.password_hash === 'string') return { algorithm: 'bcrypt', value: u.password_hash, encoding: 'utf8' };
  return undefined;
}

/** Reads `a.b` and `identities[0].connection` style export field names. */
function readField(user: Record<string, unknown>, name: string): unknown {
  let value: unknown = user;
  for (const seg of name.split(/\.|\[(\d+)\]/).filter((s) => s !== undefined && s !== '')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[seg];
  }
  return value;
}

function pickStrings(u: Record<string, unknown>, keys: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of keys) if (typeof u[k] === 'string') out[k] = u[k] as string;
  return out;
}
