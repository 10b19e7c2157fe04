import { isUncertain } from '../tenant/errors.js';
import type { ConnectionInfo, ImportJob, TenantApi } from '../tenant/types.js';
import { remainingOn } from './execute.js';
import type { Journal } from './journal.js';
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
  let job: ImportJob | null = null;
  for (let attempt = 1; attempt <= 2 && !job; attempt++) {
    for (const email of chunk.emails) journal.write({ email, step: 'reattempt import', phase: 'before', detail: { attempt, users: chunk.emails.length } });
    try {
      job = await tenant.createImportJob({ connectionId: connection.id, users: chunk.users });
      for (const email of chunk.emails) journal.write({ email, step: 'reattempt import', phase: 'after', detail: { job_id: job.id, attempt } });
    } catch (err) {
      if (!isUncertain(err)) throw err;
      for (const email of chunk.emails) journal.write({ email, step: 'reattempt import', phase: 'failed', error: `${(err as Error).message} (checking whether it took effect)` });
      await deps.sleep(2000);
      // Whoever arrived was imported by the job we could not see; only the others go again.
      const missing: string[] = [];
      for (const email of chunk.emails) {
        if (await arrived(email)) {
          journal.write({ email, step: 'reattempt import', phase: 'after', detail: { attempt, took_effect: true } });
          onOutcome({ email, ok: true, jobId: null, detail: 'the import took effect although creating the job failed for us' });
        } else missing.push(email);
      }
      if (missing.length === 0) return;
      if (attempt === 2) throw err;
      const keep = new Set(missing);
      const parsed = (JSON.parse(chunk.users.toString('utf8')) as Array<{ email: string }>).filter((u) => keep.has(u.email.trim().toLowerCase()));
      chunk = { emails: missing, users: Buffer.from(JSON.stringify(parsed)) };
    }
  }
  const finished = await poll(job!, deps);
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
