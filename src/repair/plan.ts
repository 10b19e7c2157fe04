import type { Classified, ObservedUser, RepairPlan, Step } from './types.js';

export interface PlanPolicy {
  /** Include healthy, linked and no-migration-source profiles (the front end confirms a second time). */
  force: boolean;
}

/**
 * The steps Auth0 documents, for this user, in order. Pure. A ghost suspect only needs Delete a
 * Connection User (idempotent: 204 whether or not an entry existed), preceded by Delete a User for a
 * ghost id the evidence names that no profile holds. A stuck profile is backed up, then Delete a User,
 * then Delete a Connection User, then a check with users-by-email that nothing is left on the connection.
 */
export function planRepair(observed: ObservedUser, classified: Classified, policy: PlanPolicy): RepairPlan {
  const { email, connection } = observed;
  const base = { email, classification: classified.classification, reason: classified.reason, forced: false, warnings: [] as string[] };
  const clearStore: Step = { kind: 'delete-connection-user', connectionId: connection.id, connectionName: connection.name, email };
  if (connection.customDatabase && !connection.importMode) {
    base.warnings.push(
      `${connection.name} has Import Users to Auth0 off: Auth0 uses only the scripts and keeps no imported users, so a user removed here cannot migrate again (the seed's "Disconnect external user store" says to leave it on)`,
    );
  } else if (connection.customDatabase && !connection.legacyConnected) {
    base.warnings.push(`${connection.name} is disconnected from its legacy store (no-op Login script): a user removed here cannot migrate again (unstick disconnect --restore reconnects it)`);
  } else if (!connection.customDatabase) {
    base.warnings.push(`${connection.name} has no migration source (custom database with Import Users to Auth0): a user removed here cannot migrate again`);
  }

  switch (classified.classification) {
    case 'ghost-suspect': {
      // No check afterwards: the store is invisible to the API, and users-by-email already said no profile.
      const steps: Step[] = observed.freeGhostIds.map((userId) => ({ kind: 'delete-user', userId, ghost: true }));
      steps.push(clearStore);
      return { ...base, action: 'repair', steps };
    }
    case 'several':
      return { ...base, action: 'skip', steps: [] };
    case 'healthy':
    case 'linked':
    case 'no-migration-source':
      if (!policy.force || !classified.target) return { ...base, action: classified.classification === 'healthy' ? 'nothing' : 'skip', steps: [] };
      return { ...base, action: 'repair', forced: true, steps: profileSteps(observed, classified) };
    case 'stuck-profile':
      return { ...base, action: 'repair', steps: profileSteps(observed, classified) };
  }
}

function profileSteps(observed: ObservedUser, classified: Classified): Step[] {
  const target = classified.target!;
  const { email, connection } = observed;
  const others = classified.onConnection.filter((p) => p.user_id !== target.user_id).map((p) => p.user_id);
  const steps: Step[] = [
    { kind: 'backup', userId: target.user_id },
    { kind: 'delete-user', userId: target.user_id, ghost: false },
  ];
  // Delete a Connection User removes every profile with this email on the connection: only when the
  // target was the only one (a choice among several keeps the others, and their store entries).
  if (others.length === 0) steps.push({ kind: 'delete-connection-user', connectionId: connection.id, connectionName: connection.name, email });
  steps.push({ kind: 'verify', email, connectionName: connection.name, keep: others });
  return steps;
}

/** One line per step, as the plan is shown before anything changes. */
export function describeStep(step: Step): string {
  switch (step.kind) {
    case 'backup':
      return `Back up the profile ${step.userId} (metadata, identities, timestamps) to a new file`;
    case 'delete-user':
      return step.ghost ? `Delete a User ${step.userId} (the id the evidence names; no profile holds it)` : `Delete a User ${step.userId}`;
    case 'delete-connection-user':
      return `Delete a Connection User ${step.email} on ${step.connectionName} (clears the internal user store)`;
    case 'verify':
      return step.keep.length > 0
        ? `Check with users-by-email that only ${step.keep.join(', ')} remain on ${step.connectionName}`
        : `Check with users-by-email that nothing is left on ${step.connectionName}`;
  }
}

export function stepName(step: Step): string {
  return step.kind === 'delete-user' || step.kind === 'backup' ? `${step.kind} ${step.userId}` : step.kind;
}
