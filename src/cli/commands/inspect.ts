import path from 'node:path';
import { ExitCode } from '../../errors.js';
import { classify } from '../../repair/classify.js';
import { resolveConnection } from '../../repair/connection.js';
import { observe } from '../../repair/observe.js';
import { planRepair } from '../../repair/plan.js';
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
  const views = [];
  for (const email of emails) {
    const observed = await observe(tenant, email, connection, evidence.get(email) ?? null);
    const plan = planRepair(observed, classify(observed), { force: false });
    views.push({ observed, plan, earlier: { backups: [], unfinished: [] } });
  }
  if (args.json) ctx.stdout.write(JSON.stringify(inspectJson(tenant.domain, views), null, 2) + '\n');
  else for (const view of views) ctx.stdout.write(`${renderPlan(view, ctx.color.out)}\n`);
  return ExitCode.ok;
}
