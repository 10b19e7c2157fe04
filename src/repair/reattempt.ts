import type { ConnectionInfo, TenantApi } from '../tenant/types.js';
import { importUsers, type ImportOutcome } from './bulk-import.js';
import { journaled, type Journal } from './journal.js';
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

/** Makes the migration run again for a repaired user: a ticket, a one-user import job, a message, or nothing. */
export async function reattempt(how: Reattempt, email: string, connection: ConnectionInfo, deps: ReattemptDeps): Promise<ReattemptOutcome> {
  const none = { ticket: null, job: null, message: null };
  switch (how.mode) {
    case 'none':
      return { ...none, step: { step: 'reattempt none', status: 'done', detail: 'nothing sent: the user migrates at the next login' } };
    case 'message':
      return { ...none, message: loginMessage(email), step: { step: 'reattempt message', status: 'done', detail: 'message printed, to send to the user' } };
    case 'ticket': {
      // The link resets a password: it goes to the output for the engineer, never into the journal.
      const ticket = await journaled(deps.journal, email, 'reattempt ticket', { connection_id: connection.id }, () => deps.tenant.passwordChangeTicket({ connectionId: connection.id, email }), () => ({ created: true }));
      return { ...none, ticket, step: { step: 'reattempt ticket', status: 'done', detail: 'password-change ticket created' } };
    }
    case 'import':
      return importUser(email, connection, deps);
  }
}

export function loginMessage(email: string): string {
  return [
    'Hello,',
    '',
    `We fixed a problem with your account (${email}) that stopped you from signing in.`,
    'Please sign in again with your usual email address and password. If you do not remember the',
    'password, choose "Forgot password?" on the sign-in page to set a new one.',
  ].join('\n');
}

async function importUser(email: string, connection: ConnectionInfo, deps: ReattemptDeps): Promise<ReattemptOutcome> {
  const name = 'reattempt import';
  if (!deps.legacy) return { ticket: null, message: null, job: null, step: { step: name, status: 'failed', detail: `no legacy export given for ${email}` } };
  let outcome: ImportOutcome | undefined;
  await importUsers([email], deps.legacy, connection, deps, (o) => (outcome = o));
  const o = outcome!;
  return { ticket: null, message: null, job: o.jobId ? { id: o.jobId, status: o.ok ? 'completed' : 'failed' } : null, step: { step: name, status: o.ok ? 'done' : 'failed', detail: o.detail } };
}
