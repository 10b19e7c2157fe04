import type { ChalkInstance } from 'chalk';
import type { PlanView } from './engine.js';
import { describeStep } from './plan.js';
import type { RepairResult } from './types.js';

/**
 * Presentation of repair, pure (strings in, strings out): the plan shown before anything changes,
 * and the results. The CLI decides where they go (the plan to stderr, results to stdout).
 */
export function renderPlan(view: PlanView, c: ChalkInstance, searched: string | null = null): string {
  const { observed, plan, earlier } = view;
  const lines: string[] = [];
  lines.push(c.bold(`${observed.email} on ${observed.connection.name} (${observed.connection.id})`));
  const conn = observed.connection;
  lines.push(`  connection: ${conn.strategy === 'auth0' ? 'database' : conn.strategy}, custom database ${onOff(conn.customDatabase)}, import mode ${onOff(conn.importMode)}${conn.customDatabase ? `, legacy store ${conn.legacyConnected ? 'connected' : 'disconnected'}` : ''}`);
  if (observed.profiles.length === 0) lines.push('  profiles:   none with this email (users-by-email)');
  for (const p of observed.profiles) {
    const ids = p.identities.map((i) => `${i.connection}${i.isSocial ? ' (social)' : ''}`).join(' + ');
    const logins = p.last_login ? `${p.logins_count ?? '?'} logins, last ${p.last_login}` : `${p.logins_count ?? 0} logins, never logged in`;
    const meta = `user_metadata ${keys(p.user_metadata)}, app_metadata ${keys(p.app_metadata)}`;
    lines.push(`  profile:    ${p.user_id} [${ids}] created ${p.created_at ?? '?'}; ${logins}; ${meta}`);
  }
  const ev = observed.evidence;
  if (!ev) lines.push(searched ? `  evidence:   none found in ${searched}` : '  evidence:   none given (--logs FILE or --tenant-logs add it)');
  else {
    lines.push(`  evidence:   ${ev.kinds.join(', ')} x${ev.occurrences}, latest ${ev.latest ?? 'undated'}`);
    for (const item of ev.items.slice(0, 3)) lines.push(c.dim(`              ${item.where}  ${item.time ?? ''}  ${item.type}  ${item.description}`));
  }
  for (const file of earlier.backups) lines.push(`  earlier:    backup ${file}`);
  for (const e of earlier.unfinished) {
    const what = e.phase === 'failed' ? `failed: ${e.error ?? 'unknown error'}` : 'did not finish (its effect is unknown)';
    lines.push(c.yellow(`  earlier:    run ${e.run} started "${e.step}" at ${e.time} and ${what}`));
  }
  lines.push(`  verdict:    ${c.bold(plan.classification)}: ${plan.reason}`);
  for (const w of plan.warnings) lines.push(c.yellow(`  warning:    ${w}`));
  if (plan.steps.length === 0) lines.push(`  plan:       ${plan.action === 'nothing' ? 'nothing to do' : 'skipped, nothing will change'}`);
  else {
    lines.push(`  plan${plan.forced ? ' (forced)' : ''}:`);
    plan.steps.forEach((s, i) => lines.push(`    ${i + 1}. ${describeStep(s)}`));
  }
  return lines.join('\n') + '\n';
}

const OUTCOME_COLOR: Record<RepairResult['outcome'], keyof ChalkInstance & ('green' | 'yellow' | 'red' | 'dim' | 'cyan')> = {
  repaired: 'green',
  'nothing-to-do': 'dim',
  skipped: 'yellow',
  failed: 'red',
  planned: 'cyan',
};

/** The human summary: one block per email. */
export function renderResults(results: RepairResult[], c: ChalkInstance): string {
  const out: string[] = [];
  for (const r of results) {
    const color = c[OUTCOME_COLOR[r.outcome]] as ChalkInstance;
    out.push(`${color(r.outcome.toUpperCase())}  ${r.email}  (${r.classification ?? 'unclassified'})`);
    out.push(`  ${r.error ?? r.reason}`);
    for (const s of r.steps) out.push(`  ${s.status === 'failed' ? c.red('x') : s.status === 'planned' ? '-' : c.green('✓')} ${s.step}${s.detail ? c.dim(`  ${s.detail}`) : ''}`);
    if (r.backup) out.push(`  backup: ${r.backup}`);
    if (r.job) out.push(`  import job: ${r.job.id} (${r.job.status})`);
    if (r.ticket) out.push(`  password-change ticket (send it to the user; it resets their password): ${r.ticket}`);
    if (r.message) out.push('  message to send:', ...r.message.split('\n').map((l) => `    ${l}`));
    if (r.backup && r.outcome === 'repaired') out.push(c.dim(restoreHint(r.backup)));
  }
  return out.join('\n') + '\n';
}

/** How to give back what only lived in the deleted profile, once the user has migrated again. */
export function restoreHint(backup: string): string {
  return `  metadata: once the user has logged in again, \`unstick metadata restore --from ${backup} --apply\` sets the keys the new profile lacks`;
}

export function resultsJson(results: RepairResult[]): object {
  return {
    results: results.map((r) => ({
      email: r.email,
      outcome: r.outcome,
      classification: r.classification,
      reason: r.reason,
      steps: r.steps,
      backup: r.backup,
      ticket: r.ticket,
      job: r.job,
      message: r.message,
      error: r.error,
      restore: r.backup && r.outcome === 'repaired' ? `after the user has logged in again: unstick metadata restore --from ${r.backup} --apply` : null,
    })),
  };
}

/** `inspect --json`: the state as read, and the plan repair would run. */
export function inspectJson(tenant: string, views: PlanView[]): object {
  return {
    tenant,
    users: views.map(({ observed, plan }) => ({
      email: observed.email,
      connection: observed.connection,
      classification: plan.classification,
      reason: plan.reason,
      profiles: observed.profiles.map((p) => ({
        user_id: p.user_id,
        email: p.email,
        identities: p.identities,
        logins_count: p.logins_count,
        last_login: p.last_login,
        created_at: p.created_at,
        user_metadata_keys: Object.keys(p.user_metadata),
        app_metadata_keys: Object.keys(p.app_metadata),
      })),
      evidence: observed.evidence,
      plan: { action: plan.action, steps: plan.steps.map((s) => ({ ...s, description: describeStep(s) })) },
      warnings: plan.warnings,
    })),
  };
}

function onOff(v: boolean): string {
  return v ? 'on' : 'off';
}

function keys(o: Record<string, unknown>): string {
  const n = Object.keys(o).length;
  return n === 0 ? 'empty' : `${n} key${n === 1 ? '' : 's'}`;
}
