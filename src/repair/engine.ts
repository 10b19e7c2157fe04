import type { ConnectionInfo, UserProfile } from '../tenant/types.js';
import { classify, classifyProfile } from './classify.js';
import { executePlan, type RepairDeps } from './execute.js';
import type { JournalEntry } from './journal.js';
import { unfinishedSteps } from './journal.js';
import type { LegacyExport } from './legacy-export.js';
import { observe } from './observe.js';
import { describeStep, planRepair, stepName } from './plan.js';
import { reattempt } from './reattempt.js';
import type { ObservedUser, Reattempt, RepairPlan, RepairResult, StepResult, UserEvidence } from './types.js';

export interface RepairRequest {
  email: string;
  connection: ConnectionInfo;
  evidence: UserEvidence | null;
  force: boolean;
  dryRun: boolean;
  legacy: LegacyExport | null;
}

/** Where interactive and batch front ends differ: who sees the plan and who decides. */
export interface RepairHooks {
  show(view: PlanView): void;
  /** Several profiles on the connection: the one to repair, or null to skip. */
  choose(observed: ObservedUser, candidates: UserProfile[]): Promise<UserProfile | null>;
  /** Whether to run the plan (a forced plan is the front end's to confirm twice). */
  decide(plan: RepairPlan): Promise<boolean>;
  reattempt(plan: RepairPlan): Promise<Reattempt>;
  onStep?(result: StepResult): void;
}

export interface PlanView {
  observed: ObservedUser;
  plan: RepairPlan;
  /** From the journal and backups of earlier runs. */
  earlier: { backups: string[]; unfinished: JournalEntry[] };
}

/** observe → classify → plan (pure) → confirm → execute (journal, backup) → reattempt, for one email. */
export async function repairOne(request: RepairRequest, deps: RepairDeps, hooks: RepairHooks): Promise<RepairResult> {
  const extraIds = request.legacy?.ghostId(request.email.trim().toLowerCase());
  const history = deps.journal.history(request.email.trim().toLowerCase());
  const observed = await observe(deps.tenant, request.email, request.connection, request.evidence, extraIds ? [extraIds] : []);
  observed.reimportedAt = history.filter((e) => e.step === 'reattempt import' && e.phase === 'after').at(-1)?.time ?? null;
  let classified = classify(observed);
  if (classified.classification === 'several') {
    const chosen = await hooks.choose(observed, classified.onConnection);
    if (chosen) classified = classifyProfile(observed, chosen, classified.onConnection);
  }
  const plan = planRepair(observed, classified, { force: request.force });
  const backups = deps.backups.find(observed.email).map((b) => b.file);
  const unfinished = unfinishedSteps(history);
  hooks.show({ observed, plan, earlier: { backups, unfinished } });

  const result: RepairResult = {
    email: observed.email,
    outcome: 'nothing-to-do',
    classification: plan.classification,
    reason: plan.reason,
    steps: [],
    // A rerun after an interrupted repair finds the profile gone: the earlier backup is the one that counts.
    backup: backups.at(-1) ?? null,
    ticket: null,
    job: null,
    message: null,
    error: null,
  };
  if (plan.action === 'nothing') return result;
  if (plan.action === 'skip') return { ...result, outcome: 'skipped' };
  if (request.dryRun) return { ...result, outcome: 'planned', steps: plan.steps.map((s) => ({ step: stepName(s), status: 'planned', detail: describeStep(s) })) };
  if (!(await hooks.decide(plan))) return { ...result, outcome: 'skipped', reason: `declined: ${plan.reason}` };

  const executed = await executePlan(plan, observed, deps, hooks.onStep);
  result.steps = executed.steps;
  if (executed.backup) result.backup = executed.backup;
  if (executed.error) return { ...result, outcome: 'failed', error: executed.error };

  const how = await hooks.reattempt(plan);
  const again = await reattempt(how, observed.email, request.connection, { ...deps, legacy: request.legacy });
  hooks.onStep?.(again.step);
  result.steps.push(again.step);
  result.ticket = again.ticket;
  result.job = again.job;
  result.message = again.message;
  if (again.step.status === 'failed') return { ...result, outcome: 'failed', error: `repaired, but the reattempt failed: ${again.step.detail ?? ''}` };
  return { ...result, outcome: 'repaired' };
}
