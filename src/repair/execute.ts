import { TenantApiError } from '../tenant/errors.js';
import type { TenantApi, UserProfile } from '../tenant/types.js';
import type { BackupStore } from './backup.js';
import { failureText, journaled, type Journal } from './journal.js';
import { stepName } from './plan.js';
import type { ObservedUser, RepairPlan, Step, StepResult } from './types.js';

export interface RepairDeps {
  tenant: TenantApi;
  journal: Journal;
  backups: BackupStore;
  now: () => Date;
  sleep: (ms: number) => Promise<void>;
}

export interface Executed {
  steps: StepResult[];
  backup: string | null;
  error: string | null;
}

/**
 * Runs a plan's steps in order, each mutating call journaled before and after. The first failure
 * stops the plan (later steps depend on earlier ones). An answer about this user (a 4xx) fails this user;
 * failures that will hit every user (credentials, network, rate limits or 5xx that outlasted the
 * retries) are thrown to end the run.
 */
export async function executePlan(plan: RepairPlan, observed: ObservedUser, deps: RepairDeps, onStep?: (result: StepResult) => void): Promise<Executed> {
  const done: StepResult[] = [];
  let backup: string | null = null;
  for (const step of plan.steps) {
    const name = stepName(step);
    try {
      const result = await runStep(step, observed, deps, (file) => (backup = file));
      done.push(result);
      onStep?.(result);
      if (result.status === 'failed') return { steps: done, backup, error: `${name}: ${result.detail ?? 'failed'}` };
    } catch (err) {
      // The step's own journal entry already says it failed (see journaled).
      const message = failureText(err);
      const failed: StepResult = { step: name, status: 'failed', detail: message };
      done.push(failed);
      onStep?.(failed);
      if (!(err instanceof TenantApiError)) throw err;
      return { steps: done, backup, error: message };
    }
  }
  return { steps: done, backup, error: null };
}

async function runStep(step: Step, observed: ObservedUser, deps: RepairDeps, setBackup: (file: string) => void): Promise<StepResult> {
  const { tenant, journal } = deps;
  const email = observed.email;
  const name = stepName(step);
  switch (step.kind) {
    case 'backup': {
      const profile = observed.profiles.find((p) => p.user_id === step.userId);
      if (!profile) throw new Error(`internal: no observed profile ${step.userId} to back up`);
      const file = await journaled(
        journal,
        email,
        name,
        { user_id: step.userId },
        () => deps.backups.save({ tenant: tenant.domain, connection: { id: observed.connection.id, name: observed.connection.name }, email, profile, now: deps.now() }),
        (saved) => ({ file: saved }),
      );
      setBackup(file);
      return { step: name, status: 'done', detail: file };
    }
    case 'delete-user': {
      await journaled(journal, email, name, { user_id: step.userId }, () => tenant.deleteUser(step.userId), () => ({ status: 204 }));
      return { step: name, status: 'done' };
    }
    case 'delete-connection-user': {
      const clear = async () => {
        try {
          await tenant.deleteConnectionUser(step.connectionId, step.email);
        } catch (err) {
          // A 404 here means the connection is gone, never that the user is: not a success.
          if (err instanceof TenantApiError && err.status === 404) {
            throw new TenantApiError(`Delete a Connection User: the connection ${step.connectionName} (${step.connectionId}) does not exist (404)`, 404, err.errorCode, false, { cause: err });
          }
          throw err;
        }
      };
      await journaled(journal, email, name, { connection_id: step.connectionId }, clear, () => ({ status: 204 }));
      return { step: name, status: 'done' };
    }
    case 'verify': {
      const left = remainingOn(await tenant.usersByEmail(email), step.connectionName).filter((p) => !step.keep.includes(p.user_id));
      if (left.length > 0) return { step: name, status: 'failed', detail: `still on ${step.connectionName}: ${left.map((p) => p.user_id).join(', ')}` };
      return { step: name, status: 'done', detail: `nothing left on ${step.connectionName}` };
    }
  }
}

export function remainingOn(profiles: UserProfile[], connectionName: string): UserProfile[] {
  return profiles.filter((p) => p.identities.some((i) => i.connection === connectionName));
}
