import type { PacerStats } from './pacer.js';

/**
 * What unstick knows of a tenant, in its own words: no SDK type leaks out of src/tenant, so the repair
 * engine and its fixtures stay independent of the SDK's generated shapes.
 */
export interface Identity {
  connection: string;
  provider: string;
  user_id: string;
  isSocial: boolean;
}

export interface UserProfile {
  user_id: string;
  email: string | null;
  identities: Identity[];
  logins_count: number | null;
  last_login: string | null;
  created_at: string | null;
  user_metadata: Record<string, unknown>;
  app_metadata: Record<string, unknown>;
  /** The profile exactly as the API returned it: what a backup keeps. */
  raw: Record<string, unknown>;
}

export interface ConnectionInfo {
  id: string;
  name: string;
  strategy: string;
  /** "Use my own database" (options.enabledDatabaseCustomization). */
  customDatabase: boolean;
  /** "Import Users to Auth0" (options.import_mode). */
  importMode: boolean;
  /** The Login script still reaches the legacy store (false once it is a no-op: disconnected). */
  legacyConnected: boolean;
}

export interface ImportJob {
  id: string;
  status: string;
  connectionId: string | null;
  /** A completed export's download link (a signed URL on another host, valid for a short while). */
  location: string | null;
  summary: { inserted: number; updated: number; failed: number; total: number } | null;
  statusDetails: string | null;
}

export interface ImportJobError {
  email: string | null;
  errors: Array<{ code: string; message: string }>;
}

export interface TenantLogRecord {
  [key: string]: unknown;
}

/** The narrow door to Auth0 that repair, inspect and batch use. Every call is paced and retried per policy. */
export interface TenantApi {
  readonly domain: string;
  /** What the pacer did so far (requests, retries, 429 waits, buckets); null when not paced. */
  pacing(): PacerStats | null;
  usersByEmail(email: string): Promise<UserProfile[]>;
  /** null when no profile holds the id. */
  getUser(userId: string): Promise<UserProfile | null>;
  /** Delete a User: 204 whether or not the id exists (Auth0's documented behaviour). */
  deleteUser(userId: string): Promise<void>;
  /** Delete a Connection User (the internal store entry and any profile on that connection). */
  deleteConnectionUser(connectionId: string, email: string): Promise<void>;
  databaseConnections(): Promise<ConnectionInfo[]>;
  /** By id (con_...) or by name; null when there is none. */
  findConnection(idOrName: string): Promise<ConnectionInfo | null>;
  passwordChangeTicket(input: { connectionId: string; email: string }): Promise<string>;
  createImportJob(input: { connectionId: string; users: Buffer; externalId?: string }): Promise<ImportJob>;
  getJob(jobId: string): Promise<ImportJob>;
  jobErrors(jobId: string): Promise<ImportJobError[]>;
  /** One page of a `GET /logs` search (`q` in Auth0's log search syntax), newest first unless `sort` says otherwise. */
  searchLogs(q: string, options?: { perPage?: number; sort?: string }): Promise<TenantLogRecord[]>;
  /** Checkpoint paging: up to `take` (≤ 100) records with a log_id after `from`, oldest first. */
  logsAfter(from: string, take?: number): Promise<TenantLogRecord[]>;
  /** PATCH /users/{id} with first-level metadata keys (Auth0 merges them into what the user has). */
  updateMetadata(userId: string, patch: { user_metadata?: Record<string, unknown>; app_metadata?: Record<string, unknown> }): Promise<UserProfile>;
  /** Actions: by name, create, read, deploy; the post-login trigger's bindings (read all pages / replace whole). */
  actionByName(name: string): Promise<{ id: string; status: string } | null>;
  createAction(input: { name: string; code: string; runtime: string; trigger: { id: string; version: string }; secrets: Array<{ name: string; value: string }> }): Promise<{ id: string; status: string }>;
  actionStatus(id: string): Promise<string>;
  deployAction(id: string): Promise<void>;
  triggerBindings(trigger: string): Promise<Array<{ id?: string; display_name?: string; action?: { id?: string } }>>;
  replaceTriggerBindings(trigger: string, bindings: Array<{ ref: { type: 'action_id'; value: string }; display_name?: string }>): Promise<void>;
  /** The connection's whole `options` object as Auth0 returns it (null when there is no such connection). */
  connectionOptions(connectionId: string): Promise<Record<string, unknown> | null>;
  /** PATCH the connection with this **whole** options object (Auth0 replaces options entirely); returns what Auth0 answered. */
  replaceConnectionOptions(connectionId: string, options: Record<string, unknown>): Promise<Record<string, unknown>>;
  /** The scopes the Management API token carries, as the token endpoint (or the token itself) says; null when unknown. */
  grantedScopes(): Promise<string[] | null>;
  /** POST /jobs/users-exports for one connection. */
  createExportJob(input: { connectionId: string; format: 'json' | 'csv'; fields: Array<{ name: string; export_as?: string }> }): Promise<ImportJob>;
  /**
   * Downloads a signed export link: at once, without the Management token (a signed URL on another
   * host). 'expired' when the link no longer works (Auth0's last 60 seconds): ask for the job again.
   */
  downloadExport(location: string): Promise<Buffer | 'expired'>;
  /** An import job's status record as Auth0 returns it (for diagnose --job). */
  jobRecord(jobId: string): Promise<Record<string, unknown>>;
  /** An import job's error report as Auth0 returns it: an array, the job object, or [] for none. */
  jobErrorRecords(jobId: string): Promise<unknown>;
}
