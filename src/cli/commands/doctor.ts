import { ExitCode, NotAuthorizedError, TenantUnreachableError, UnstickError } from '../../errors.js';
import { resolveConnection } from '../../repair/connection.js';
import { connectionChecks, rateChecks, scopeChecks, type Check } from '../../repair/doctor.js';
import type { Context } from '../context.js';
import type { DoctorArgs } from './doctor.spec.js';

/** Checks, one line each; a failure to reach or authenticate is a failed check, not a crash. */
export async function doctor(ctx: Context, args: DoctorArgs): Promise<number> {
  const tenant = await ctx.tenant();
  const checks: Check[] = [];
  try {
    const scopes = await tenant.grantedScopes();
    checks.push({ name: 'credentials', status: 'pass', detail: `${tenant.domain} issued a token`, fix: null });
    checks.push(...scopeChecks(scopes));
    try {
      const connection = await resolveConnection(tenant, args.connection, null);
      const options = (await tenant.connectionOptions(connection.id)) ?? {};
      checks.push(...connectionChecks({ name: connection.name, id: connection.id, strategy: connection.strategy, options }));
    } catch (err) {
      // A missing read:connections is already a failed scope check above; say it here too, and go on.
      if (!(err instanceof UnstickError) || err instanceof TenantUnreachableError) throw err;
      checks.push({ name: 'connection', status: 'fail', detail: err.message, fix: err.hint ?? null });
    }
    checks.push(...rateChecks(tenant.pacing()?.buckets ?? {}));
  } catch (err) {
    if (!(err instanceof NotAuthorizedError || err instanceof TenantUnreachableError)) throw err;
    checks.push({ name: 'credentials', status: 'fail', detail: err.message, fix: err.hint ?? null });
  }
  const ok = checks.every((c) => c.status !== 'fail');
  if (args.json) ctx.stdout.write(JSON.stringify({ tenant: tenant.domain, ok, checks }, null, 2) + '\n');
  else {
    const c = ctx.color.out;
    const mark = { pass: c.green('pass'), warn: c.yellow('warn'), fail: c.red('fail') };
    for (const check of checks) {
      ctx.stdout.write(`${mark[check.status]}  ${check.name}: ${check.detail}\n`);
      if (check.fix && check.status !== 'pass') ctx.stdout.write(`      fix: ${check.fix}\n`);
    }
  }
  return ok ? ExitCode.ok : ExitCode.someFailed;
}
