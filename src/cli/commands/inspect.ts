import path from 'node:path';
import { ExitCode } from '../../errors.js';
import { BackupStore } from '../../repair/backup.js';
import { resolveConnection } from '../../repair/connection.js';
import { planFor } from '../../repair/engine.js';
import { Journal, stateJournals } from '../../repair/journal.js';
import { inspectJson, renderPlan } from '../../repair/report.js';
import type { Context } from '../context.js';
import { gatherEvidence } from '../evidence.js';
import { checkEmails } from './repair.js';
import type { InspectArgs } from './inspect.spec.js';

/** Read-only: the live state, the evidence, the classification and the plan repair would run. */
export async function inspect(ctx: Context, args: InspectArgs): Promise<number> {
  const emails = checkEmails(args.emails);
  const tenant = await ctx.tenant();
  const connection = await resolveConnection(tenant, args.connection, null);
  const evidence = await gatherEvidence(ctx, emails, { logs: args.logs && path.resolve(ctx.cwd, args.logs), tenantLogs: args.tenantLogs, tenant: ctx.tenant });
  // The state folder is only read: what earlier runs did (a re-import, a finished repair) counts here too.
  const stateDir = path.resolve(ctx.cwd, args.stateDir);
  const journalFile = path.join(stateDir, 'journal.ndjson');
  const journal = new Journal(journalFile, 'inspect', tenant.domain, ctx.now, stateJournals(stateDir).filter((f) => f !== journalFile));
  const backups = new BackupStore(path.join(stateDir, 'backups'));
  const views = [];
  for (const email of emails) views.push(await planFor({ email, connection, evidence: evidence.get(email) ?? null, force: false, legacy: null }, { tenant, journal, backups }));
  if (args.json) ctx.stdout.write(JSON.stringify(inspectJson(tenant.domain, views), null, 2) + '\n');
  else {
    const searched = [args.logs, args.tenantLogs ? 'the tenant logs' : null].filter(Boolean).join(' and ') || null;
    for (const view of views) ctx.stdout.write(`${renderPlan(view, ctx.color.out, searched)}\n`);
  }
  return ExitCode.ok;
}
