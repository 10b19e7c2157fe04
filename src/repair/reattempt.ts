import { isUncertain } from '../tenant/errors.js';
import type { ConnectionInfo, ImportJob, TenantApi } from '../tenant/types.js';
import { remainingOn } from './execute.js';
import type { Journal } from './journal.js';
import type { LegacyExport } from './legacy-export.js';
import type { Reattempt, StepResult } from './types.js';

export interface ReattemptDeps {
  tenant: TenantApi;
  journal: Journal;
  sleep: (ms: number) => Promise<void>;
  now: () => Date;
  legacy: LegacyExport | null;
  /** How long to wait for an import job before reporting it as still running. */
  jobTimeoutMs?: number;
}

export interface ReattemptOutcome {
  step: StepResult;
  ticket: string | null;
  job: { id: string; status: string } | null;
  message: string | null;
}

const IMPORT_LIMIT_BYTES = 500_000;

/** Makes the migration run again for a repaired user: a ticket, a one-user import job, a message, or nothing. */
export async function reattempt(how: Reattempt, email: string, connection: ConnectionInfo, deps: ReattemptDeps): Promise<ReattemptOutcome> {
  const none = { ticket: null, job: null, message: null };
  switch (how.mode) {
    case 'none':
      return { ...none, step: { step: 'reattempt none', status: 'done', detail: 'nothing sent: the user migrates at the next login' } };
    case 'message':
      return { ...none, message: loginMessage(email, deps.tenant.domain), step: { step: 'reattempt message', status: 'done', detail: 'message printed, to send to the user' } };
    case 'ticket': {
      deps.journal.write({ email, step: 'reattempt ticket', phase: 'before', detail: { connection_id: connection.id } });
      const ticket = await deps.tenant.passwordChangeTicket({ connectionId: connection.id, email });
      // The link resets a password: it goes to the output for the engineer, never into the journal.
      deps.journal.write({ email, step: 'reattempt ticket', phase: 'after', detail: { connection_id: connection.id, created: true } });
      return { ...none, ticket, step: { step: 'reattempt ticket', status: 'done', detail: 'password-change ticket created' } };
    }
    case 'import':
      return importUser(email, connection, deps);
  }
}

export function loginMessage(email: string, tenant: string): string {
  return [
    'Hello,',
    '',
    `We fixed a problem with your account (${email}) that stopped you from signing in.`,
    'Please sign in again with your usual email address and password. If you do not remember the',
    'password, choose "Forgot password?" on the sign-in page to set a new one.',
    '',
    `(${tenant})`,
  ].join('\n');
}

async function importUser(email: string, connection: ConnectionInfo, deps: ReattemptDeps): Promise<ReattemptOutcome> {
  const name = 'reattempt import';
  const fail = (detail: string, job: ImportJob | null = null): ReattemptOutcome => ({ ticket: null, message: null, job: job && { id: job.id, status: job.status }, step: { step: name, status: 'failed', detail } });
  const record = deps.legacy?.record(email);
  if (!deps.legacy || !record) return fail(`no record for ${email} in ${deps.legacy?.file ?? 'the legacy export'}`);
  const users = Buffer.from(JSON.stringify([record]));
  if (users.length >= IMPORT_LIMIT_BYTES) return fail(`the user's record is ${users.length} bytes; Auth0 takes import files under 500 KB`);
  const arrived = async () => remainingOn(await deps.tenant.usersByEmail(email), connection.name).length > 0;

  let job: ImportJob | null = null;
  for (let attempt = 1; attempt <= 2 && !job; attempt++) {
    deps.journal.write({ email, step: name, phase: 'before', detail: { connection_id: connection.id, attempt, bytes: users.length } });
    try {
      job = await deps.tenant.createImportJob({ connectionId: connection.id, users, externalId: `unstick-${email}` });
      deps.journal.write({ email, step: name, phase: 'after', detail: { job_id: job.id, attempt } });
    } catch (err) {
      if (!isUncertain(err)) throw err;
      // The job may exist although creating it failed for us: look before creating another.
      deps.journal.write({ email, step: name, phase: 'failed', error: `${(err as Error).message} (checking whether it took effect)` });
      for (let check = 0; check < 5; check++) {
        if (await arrived()) {
          deps.journal.write({ email, step: name, phase: 'after', detail: { attempt, took_effect: true } });
          return { ticket: null, message: null, job: null, step: { step: name, status: 'done', detail: 'the import took effect although creating the job failed for us' } };
        }
        await deps.sleep(1000 * (check + 1));
      }
      if (attempt === 2) throw err;
    }
  }
  const finished = await waitForJob(job!, deps);
  const summary = { id: finished.id, status: finished.status };
  if (finished.status !== 'completed' && finished.status !== 'failed') {
    return { ticket: null, message: null, job: summary, step: { step: name, status: 'failed', detail: `job ${finished.id} is still ${finished.status}; check it later with GET /api/v2/jobs/${finished.id}` } };
  }
  if (await arrived()) return { ticket: null, message: null, job: summary, step: { step: name, status: 'done', detail: `job ${finished.id} ${finished.status}: the user has a profile again` } };
  const errors = (await deps.tenant.jobErrors(finished.id)).filter((e) => e.email === email).flatMap((e) => e.errors);
  const why = errors.length > 0 ? errors.map((e) => `${e.code}: ${e.message}`).join('; ') : (finished.statusDetails ?? 'no profile was created');
  return fail(`job ${finished.id} ${finished.status}: ${why}`, finished);
}

async function waitForJob(job: ImportJob, deps: ReattemptDeps): Promise<ImportJob> {
  const deadline = deps.now().getTime() + (deps.jobTimeoutMs ?? 120_000);
  let current = job;
  let delay = 500;
  while (current.status === 'pending' || current.status === 'processing') {
    if (deps.now().getTime() >= deadline) return current;
    await deps.sleep(delay);
    delay = Math.min(delay * 2, 5000);
    current = await deps.tenant.getJob(job.id);
  }
  return current;
}
