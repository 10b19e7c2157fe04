import { isUncertain } from '../tenant/errors.js';
import type { ConnectionInfo, ImportJob, TenantApi } from '../tenant/types.js';
import { remainingOn } from './execute.js';
import { failureText, type Journal } from './journal.js';
import type { LegacyExport } from './legacy-export.js';

/** Auth0 takes import files up to 500 KB; stay clearly under it. */
export const IMPORT_FILE_LIMIT = 490_000;
/** Auth0 runs at most two import jobs per tenant at once. */
export const MAX_RUNNING_JOBS = 2;

export interface ImportOutcome {
  email: string;
  ok: boolean;
  jobId: string | null;
  detail: string;
}

/** Splits records into JSON array files under the size limit, in order. Pure. */
export function chunkRecords(records: Array<{ email: string; record: Record<string, unknown> }>, limit = IMPORT_FILE_LIMIT): Array<{ emails: string[]; users: Buffer }> {
  const chunks: Array<{ emails: string[]; users: Buffer }> = [];
  let emails: string[] = [];
  let parts: string[] = [];
  let size = 2;
  const flush = () => {
    if (parts.length > 0) chunks.push({ emails, users: Buffer.from(`[${parts.join(',')}]`) });
    emails = [];
    parts = [];
    size = 2;
  };
  for (const { email, record } of records) {
    const text = JSON.stringify(record);
    const bytes = Buffer.byteLength(text) + 1;
    if (size + bytes > limit) flush();
    emails.push(email);
    parts.push(text);
    size += bytes;
  }
  flush();
  return chunks;
}

export interface BulkImportDeps {
  tenant: TenantApi;
  journal: Journal;
  sleep: (ms: number) => Promise<void>;
  now: () => Date;
  jobTimeoutMs?: number;
  /** How long to look for users of a job whose creation failed for us (default 2 minutes). */
  uncertainWaitMs?: number;
}

/**
 * Re-runs the migration for repaired users from the legacy export: one job per file under 500 KB,
 * never more than two running, each polled to the end and its errors read. A job whose creation
 * failed for us may exist anyway: its users are looked up before it is created again, and a
 * DUPLICATED_USER for a user who now has a profile counts as done.
 */
export async function importUsers(emails: string[], legacy: LegacyExport, connection: ConnectionInfo, deps: BulkImportDeps, onOutcome: (o: ImportOutcome) => void): Promise<void> {
  const records: Array<{ email: string; record: Record<string, unknown> }> = [];
  for (const email of emails) {
    const record = legacy.record(email);
    if (record) records.push({ email, record });
    else onOutcome({ email, ok: false, jobId: null, detail: `no record for ${email} in ${legacy.file}` });
  }
  const queue = chunkRecords(records);
  const worker = async () => {
    for (let chunk = queue.shift(); chunk; chunk = queue.shift()) await runChunk(chunk, connection, deps, onOutcome);
  };
  await Promise.all(Array.from({ length: Math.min(MAX_RUNNING_JOBS, queue.length) }, worker));
}

async function runChunk(chunk: { emails: string[]; users: Buffer }, connection: ConnectionInfo, deps: BulkImportDeps, onOutcome: (o: ImportOutcome) => void): Promise<void> {
  const { tenant, journal } = deps;
  const arrived = async (email: string) => remainingOn(await tenant.usersByEmail(email), connection.name).length > 0;
  for (const email of chunk.emails) journal.write({ email, step: 'reattempt import', phase: 'before', detail: { users: chunk.emails.length } });
  let job: ImportJob;
  try {
    job = await tenant.createImportJob({ connectionId: connection.id, users: chunk.users });
  } catch (err) {
    if (!isUncertain(err)) {
      for (const email of chunk.emails) journal.write({ email, step: 'reattempt import', phase: 'failed', error: failureText(err) });
      throw err;
    }
    // The job may exist although creating it failed for us. Creating another would race it (and
    // report DUPLICATED_USER for users it just imported), so look, for as long as a job could run.
    for (const email of chunk.emails) journal.write({ email, step: 'reattempt import', phase: 'failed', error: `${(err as Error).message} (checking whether it took effect)` });
    const missing = new Set(chunk.emails);
    const deadline = deps.now().getTime() + (deps.uncertainWaitMs ?? 120_000);
    for (let delay = 500; missing.size > 0 && deps.now().getTime() < deadline; delay = Math.min(delay * 2, 10_000)) {
      await deps.sleep(delay);
      for (const email of [...missing]) {
        if (!(await arrived(email))) continue;
        missing.delete(email);
        journal.write({ email, step: 'reattempt import', phase: 'after', detail: { took_effect: true } });
        onOutcome({ email, ok: true, jobId: null, detail: 'the import took effect although creating the job failed for us' });
      }
    }
    for (const email of missing) {
      onOutcome({ email, ok: false, jobId: null, detail: `creating the import job failed (${(err as Error).message}) and the user has not arrived; no second job was created, so run the reattempt again later` });
    }
    return;
  }
  for (const email of chunk.emails) journal.write({ email, step: 'reattempt import', phase: 'after', detail: { job_id: job.id } });
  const finished = await poll(job, deps);
  if (finished.status !== 'completed' && finished.status !== 'failed') {
    for (const email of chunk.emails) onOutcome({ email, ok: false, jobId: finished.id, detail: `job ${finished.id} is still ${finished.status}; check it later with GET /api/v2/jobs/${finished.id}` });
    return;
  }
  const errors = new Map<string, string>();
  if ((finished.summary?.failed ?? 0) > 0 || finished.status === 'failed') {
    for (const e of await tenant.jobErrors(finished.id)) if (e.email) errors.set(e.email, e.errors.map((x) => `${x.code}: ${x.message}`).join('; '));
  }
  for (const email of chunk.emails) {
    const error = errors.get(email);
    if (!error && finished.status === 'completed') onOutcome({ email, ok: true, jobId: finished.id, detail: `job ${finished.id} completed` });
    // A duplicate for a user who now has a profile: an import (ours, behind a failure) already took effect.
    else if (await arrived(email)) onOutcome({ email, ok: true, jobId: finished.id, detail: `job ${finished.id}: the user has a profile again${error ? ` (${error})` : ''}` });
    else onOutcome({ email, ok: false, jobId: finished.id, detail: `job ${finished.id} ${finished.status}: ${error ?? finished.statusDetails ?? 'no profile was created'}` });
  }
}

async function poll(job: ImportJob, deps: BulkImportDeps): Promise<ImportJob> {
  const deadline = deps.now().getTime() + (deps.jobTimeoutMs ?? 300_000);
  let current = job;
  let delay = 250;
  while (current.status === 'pending' || current.status === 'processing') {
    if (deps.now().getTime() >= deadline) return current;
    await deps.sleep(delay);
    delay = Math.min(delay * 2, 5000);
    current = await deps.tenant.getJob(job.id);
  }
  return current;
}
