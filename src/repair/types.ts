import type { ConnectionInfo, UserProfile } from '../tenant/types.js';

/** What the logs say about one user, in neutral terms (built by the front end from diagnose findings). */
export interface UserEvidence {
  /** The latest time an event showed the user stuck (ISO 8601), if any event was dated. */
  latest: string | null;
  kinds: string[];
  occurrences: number;
  items: Array<{ where: string; time: string | null; type: string; description: string }>;
  /** user_ids the evidence names (an import error's user, a log's user_id): candidates for the ghost's id. */
  userIds: string[];
}

/** Live state of one email on one connection, read-only. */
export interface ObservedUser {
  /** As Auth0 stores database emails: trimmed and lowercased. */
  email: string;
  connection: ConnectionInfo;
  /** Every profile users-by-email returned (any connection). */
  profiles: UserProfile[];
  evidence: UserEvidence | null;
  /** Candidate ghost user_ids that no profile holds (checked with get-by-id). */
  freeGhostIds: string[];
  /** When an earlier unstick run imported this user again (from the journal), if it did. */
  reimportedAt?: string | null;
}

export const CLASSIFICATIONS = ['ghost-suspect', 'stuck-profile', 'healthy', 'linked', 'several', 'no-migration-source'] as const;
export type Classification = (typeof CLASSIFICATIONS)[number];

export interface Classified {
  classification: Classification;
  /** One sentence that says why, from the state and the evidence; never more than they show. */
  reason: string;
  /** Profiles with an identity on the target connection. */
  onConnection: UserProfile[];
  /** The profile a repair would delete (stuck, or healthy/linked/no-source under --force). */
  target: UserProfile | null;
}

export const REATTEMPT_MODES = ['ticket', 'import', 'message', 'none'] as const;
export type ReattemptMode = (typeof REATTEMPT_MODES)[number];
export type Reattempt = { mode: 'ticket' } | { mode: 'import'; file: string } | { mode: 'message' } | { mode: 'none' };

export type Step =
  | { kind: 'backup'; userId: string }
  | { kind: 'delete-user'; userId: string; ghost: boolean }
  | { kind: 'delete-connection-user'; connectionId: string; connectionName: string; email: string }
  | { kind: 'verify'; email: string; connectionName: string; keep: string[] };

export interface RepairPlan {
  email: string;
  classification: Classification;
  reason: string;
  /** 'repair': steps to run; 'nothing': healthy, leave alone; 'skip': refused (linked, no source, several without a choice). */
  action: 'repair' | 'nothing' | 'skip';
  /** Overriding a refusal (--force) asks a second time. */
  forced: boolean;
  steps: Step[];
  warnings: string[];
}

export type Outcome = 'repaired' | 'nothing-to-do' | 'skipped' | 'failed' | 'planned';

export interface StepResult {
  step: string;
  status: 'done' | 'already-done' | 'failed' | 'planned';
  detail?: string;
}

export interface RepairResult {
  email: string;
  outcome: Outcome;
  classification: Classification | null;
  reason: string;
  steps: StepResult[];
  backup: string | null;
  ticket: string | null;
  job: { id: string; status: string } | null;
  message: string | null;
  error: string | null;
}
