import type { ConnectionInfo, UserProfile } from '../tenant/types.js';
import { classify, classifyProfile } from './classify.js';
import { TenantApiError } from '../tenant/errors.js';
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
  /** Repeat a repair an earlier run finished (the user has not logged in since). */
  again?: boolean;
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

/** What an earlier run finished for this email: a repair whose user has not come back yet. */
function finishedRepair(history: JournalEntry[]): JournalEntry | undefined {
  return history.filter((e) => e.step === 'repair-done' && e.phase === 'after' && (e.detail as { outcome?: unknown } | undefined)?.outcome === 'repaired').at(-1);
}

/**
 * Read-only: observe (with the journal's history) → classify → plan. The one way to know what a
 * repair would do, shared by repair, batch and inspect.
 */
export async function planFor(request: Omit<RepairRequest, 'dryRun'>, deps: Pick<RepairDeps, 'tenant' | 'journal' | 'backups'>, choose?: RepairHooks['choose']): Promise<PlanView> {
  const email = request.email.trim().toLowerCase();
  const extraId = request.legacy?.ghostId(email);
  const history = deps.journal.history(email);
  const observed = await observe(deps.tenant, email, request.connection, request.evidence, extraId ? [extraId] : []);
  observed.reimportedAt = history.filter((e) => e.step === 'reattempt import' && e.phase === 'after').at(-1)?.time ?? null;
  let classified = classify(observed);
  if (classified.classification === 'several' && choose) {
    const chosen = await choose(observed, classified.onConnection);
    if (chosen) classified = classifyProfile(observed, chosen, classified.onConnection);
  }
  let plan = planRepair(observed, classified, { force: request.force });
  // A repair that finished leaves a ghost suspect until the user logs in: doing it again would
  // repeat its steps (and a second ticket, or a second store delete after a password was set).
  const done = finishedRepair(history);
  if (done && !request.again && classified.classification === 'ghost-suspect') {
    plan = { ...plan, action: 'nothing', steps: [], reason: `repaired by unstick at ${done.time} (run ${done.run}): waiting for the user to log in; --again repeats the repair` };
  }
  const backups = deps.backups.find(observed.email).map((b) => b.file);
  return { observed, plan, earlier: { backups, unfinished: unfinishedSteps(history) } };
}

/** observe → classify → plan (pure) → confirm → execute (journal, backup) → reattempt, for one email. */
export async function repairOne(request: RepairRequest, deps: RepairDeps, hooks: RepairHooks): Promise<RepairResult> {
  const view = await planFor(request, deps, hooks.choose);
  const { observed, plan } = view;
  const backups = view.earlier.backups;
  hooks.show(view);

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

  const done = (r: RepairResult): RepairResult => {
    deps.journal.write({ email: r.email, step: 'repair-done', phase: 'after', detail: { outcome: r.outcome, classification: r.classification, backup: r.backup, error: r.error } });
    return r;
  };
  const executed = await executePlan(plan, observed, deps, hooks.onStep);
  result.steps = executed.steps;
  if (executed.backup) result.backup = executed.backup;
  if (executed.error) return done({ ...result, outcome: 'failed', error: executed.error });

  const how = await hooks.reattempt(plan);
  let again: Awaited<ReturnType<typeof reattempt>>;
  try {
    again = await reattempt(how, observed.email, request.connection, { ...deps, legacy: request.legacy });
  } catch (err) {
    // The reattempt's own journal entries say it failed. The repair itself is done and journaled:
    // an answer about this reattempt fails only this user.
    if (!(err instanceof TenantApiError)) {
      done({ ...result, outcome: 'repaired' });
      throw err;
    }
    again = { ticket: null, job: null, message: null, step: { step: `reattempt ${how.mode}`, status: 'failed', detail: err.message } };
  }
  hooks.onStep?.(again.step);
  result.steps.push(again.step);
  result.ticket = again.ticket;
  result.job = again.job;
  result.message = again.message;
  if (again.step.status === 'failed') return done({ ...result, outcome: 'failed', error: `repaired, but the reattempt failed: ${again.step.detail ?? ''}` });
  return done({ ...result, outcome: 'repaired' });
}
