import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ExitCode, InterruptedError, UsageError } from '../../errors.js';
import { BackupStore } from '../../repair/backup.js';
import { resolveConnection } from '../../repair/connection.js';
import { repairOne, type RepairHooks } from '../../repair/engine.js';
import { Journal, stateJournals } from '../../repair/journal.js';
import { LegacyExport } from '../../repair/legacy-export.js';
import { normalizeEmail } from '../../repair/observe.js';
import { emailProblem } from '../../repair/targets.js';
import { renderPlan, renderResults, resultsJson } from '../../repair/report.js';
import type { Reattempt, RepairResult } from '../../repair/types.js';
import type { ConnectionInfo } from '../../tenant/types.js';
import type { Context } from '../context.js';
import { gatherEvidence } from '../evidence.js';
import { note, shortPath, warn } from '../output.js';
import type { RepairArgs } from './repair.spec.js';

export async function repair(ctx: Context, args: RepairArgs): Promise<number> {
  const emails = checkEmails(args.emails);
  const interactive = ctx.canPrompt && !args.yes;
  // Fail fast, before any request: without a terminal only --yes (or --dry-run) may go ahead.
  if (!args.dryRun && !args.yes && !ctx.canPrompt) {
    throw new UsageError('repair changes the tenant and needs confirmation: pass --yes when stdin is not a terminal (or --dry-run to see the plan)');
  }
  const resolve = (p: string) => path.resolve(ctx.cwd, p);
  const legacy = args.reattempt?.mode === 'import' ? LegacyExport.read(resolve(args.reattempt.file)) : null;
  const tenant = await ctx.tenant();
  const connection = await resolveConnection(tenant, args.connection, interactive ? (c) => askConnection(ctx, c) : null);
  const evidence = await gatherEvidence(ctx, emails, { logs: args.logs && resolve(args.logs), tenantLogs: args.tenantLogs, tenant: ctx.tenant });

  const searched = [args.logs, args.tenantLogs ? 'the tenant logs' : null].filter(Boolean).join(' and ') || null;
  const stateDir = resolve(args.stateDir);
  noteNewStateDir(ctx, stateDir);
  const journalFile = path.join(stateDir, 'journal.ndjson');
  const journal = new Journal(journalFile, runId(ctx.now()), tenant.domain, ctx.now, stateJournals(stateDir).filter((f) => f !== journalFile));
  const backups = new BackupStore(args.backupDir ? resolve(args.backupDir) : path.join(stateDir, 'backups'));
  const deps = { tenant, journal, backups, now: ctx.now, sleep: ctx.sleep };
  const err = ctx.color.err;
  if (args.dryRun) ctx.stderr.write(err.cyan('dry run: nothing will change\n'));

  const hooks: RepairHooks = {
    show: (view) => ctx.stderr.write(`\n${renderPlan(view, err, searched)}`),
    choose: async (_observed, candidates) => {
      if (!interactive) return null;
      const picked = await ctx.prompt.select('Several profiles hold this email. Which one is stuck?', [
        ...candidates.map((p) => ({ value: p.user_id, name: `${p.user_id} (created ${p.created_at ?? '?'}, ${p.last_login ? `last login ${p.last_login}` : 'never logged in'})` })),
        { value: '', name: 'none: skip this user' },
      ]);
      return candidates.find((p) => p.user_id === picked) ?? null;
    },
    decide: async (plan) => {
      // Overriding a refusal is asked a second time, by a person: --yes never answers it.
      if (plan.forced && !ctx.canPrompt) {
        warn(ctx, `${plan.email} skipped: --force on a ${plan.classification} user needs a terminal to confirm the second question`);
        return false;
      }
      if (args.yes && !plan.forced) return true;
      if (args.yes) return ctx.prompt.confirm(`${plan.email} is ${plan.classification}, not stuck. Delete the profile anyway (it is backed up first)?`, { default: false });
      const steps = plan.steps.length === 1 ? 'this step' : `these ${plan.steps.length} steps`;
      const ok = await ctx.prompt.confirm(`Run ${steps} for ${plan.email} on ${tenant.domain}?`, { default: false });
      if (!ok || !plan.forced) return ok;
      return ctx.prompt.confirm(`${plan.email} is ${plan.classification}, not stuck. Delete the profile anyway (it is backed up first)?`, { default: false });
    },
    reattempt: async () => args.reattempt ?? (interactive ? askReattempt(ctx) : { mode: 'message' }),
    onStep: (s) => ctx.stderr.write(`  ${s.status === 'failed' ? err.red('x') : err.green('✓')} ${s.step}${s.status === 'failed' && s.detail ? `: ${s.detail}` : ''}\n`),
  };

  const results: RepairResult[] = [];
  try {
    for (const email of emails) {
      if (ctx.signal.aborted) break;
      results.push(await repairOne({ email, connection, evidence: evidence.get(email) ?? null, force: args.force, dryRun: args.dryRun, legacy, again: args.again }, deps, hooks));
    }
  } catch (err) {
    if (err instanceof InterruptedError) ctx.stderr.write('stopped: the journal says where; run the same command again to finish (finished steps are not repeated)\n');
    throw err;
  } finally {
    journal.close();
  }
  ctx.stderr.write('\n');
  if (args.json) ctx.stdout.write(JSON.stringify(resultsJson(results), null, 2) + '\n');
  else ctx.stdout.write(renderResults(results, ctx.color.out));
  return results.every((r) => r.outcome === 'repaired' || r.outcome === 'nothing-to-do' || r.outcome === 'planned') ? ExitCode.ok : ExitCode.someFailed;
}

export async function askConnection(ctx: Context, candidates: ConnectionInfo[]): Promise<ConnectionInfo> {
  const id = await ctx.prompt.select(
    'Which connection are the users migrating into?',
    candidates.map((c) => ({ value: c.id, name: `${c.name} (${c.id})${c.customDatabase && c.importMode ? ', import mode on' : ''}` })),
  );
  return candidates.find((c) => c.id === id)!;
}

async function askReattempt(ctx: Context): Promise<Reattempt> {
  const mode = await ctx.prompt.select('How should the migration run again?', [
    { value: 'message', name: 'print a message asking the user to log in' },
    { value: 'ticket', name: 'create a password-change ticket (a link to send to the user)' },
    { value: 'none', name: 'nothing: the user migrates at the next login' },
  ] as const);
  return { mode };
}

/** Earlier runs protect users (re-imports, finished repairs) only when this run reads their journals. */
export function noteNewStateDir(ctx: Context, stateDir: string): void {
  if (!existsSync(stateDir)) note(ctx, `${shortPath(ctx.cwd, stateDir)} does not exist yet: this run knows of no earlier run (if unstick ran elsewhere for this tenant, pass that folder with --state-dir)`);
}

/** Emails as Auth0 stores them for database users; anything that is not an address is a usage error. */
export function checkEmails(values: readonly string[]): string[] {
  const out: string[] = [];
  for (const value of values) {
    const email = normalizeEmail(value);
    if (emailProblem(email)) throw new UsageError(`not an email address: ${JSON.stringify(value)}`);
    if (!out.includes(email)) out.push(email);
  }
  return out;
}

function runId(now: Date): string {
  return `${now.toISOString()}-${randomUUID().slice(0, 8)}`;
}
