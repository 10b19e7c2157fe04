import path from 'node:path';
import { ExitCode } from '../../errors.js';
import { resolveConnection } from '../../repair/connection.js';
import { emptyTargetSummary, readTargets } from '../../repair/targets.js';
import { exportConnection, lookupEach, statusOf, type VerifyStatus } from '../../repair/verify.js';
import { saveVerifyResult } from '../../repair/verify-state.js';
import type { Context } from '../context.js';
import { gatherEvidence } from '../evidence.js';
import { openInput } from '../input-file.js';
import { csvRow, plural, renderTable, warn } from '../output.js';
import type { VerifyArgs } from './verify.spec.js';

/** Up to this many users, one lookup each beats an export job. */
const LOOKUP_LIMIT = 1000;

export async function verify(ctx: Context, args: VerifyArgs): Promise<number> {
  const input = await openInput(args.file === '-' ? '-' : path.resolve(ctx.cwd, args.file), ctx.stdin);
  const summary = emptyTargetSummary();
  const users: Array<{ email: string; line: number }> = [];
  for await (const row of readTargets(input, { name: args.file, ...(args.column ? { column: args.column } : {}), signal: ctx.signal }, summary)) users.push({ email: row.email, line: row.line });

  const tenant = await ctx.tenant();
  const connection = await resolveConnection(tenant, args.connection, null);
  const byExport = args.method === 'export' || (args.method === 'auto' && users.length > LOOKUP_LIMIT);
  const counts = byExport
    ? await exportConnection(connection, args.exportFormat, { tenant, sleep: ctx.sleep, now: ctx.now })
    : await lookupEach(users.map((u) => u.email), connection, tenant, 8);
  if (byExport) {
    // An export lists a connection's users by their primary identity: one linked under a social
    // profile is not in it. Those absent are looked up one by one, as the small path does.
    const absent = users.filter((u) => (counts.get(u.email) ?? 0) === 0).map((u) => u.email);
    for (const [email, n] of await lookupEach(absent, connection, tenant, 8)) counts.set(email, n);
  }
  const missing = users.filter((u) => (counts.get(u.email) ?? 0) === 0).map((u) => u.email);
  const evidence = args.logs || args.tenantLogs ? await gatherEvidence(ctx, missing, { logs: args.logs && path.resolve(ctx.cwd, args.logs), tenantLogs: args.tenantLogs, tenant: ctx.tenant }) : new Map();

  const results = users.map((u) => ({ email: u.email, line: u.line, status: statusOf(counts.get(u.email) ?? 0, evidence.has(u.email)), profiles: counts.get(u.email) ?? 0 }));
  const tally = (s: VerifyStatus) => results.filter((r) => r.status === s).length;
  const totals = {
    expected: results.length,
    migrated: tally('migrated'),
    notMigrated: tally('not-migrated'),
    stuck: tally('stuck'),
    duplicated: tally('duplicated'),
    percent: results.length === 0 ? 0 : Math.floor((tally('migrated') / results.length) * 1000) / 10,
    invalid: summary.invalidCount,
  };
  const saved = saveVerifyResult(path.resolve(ctx.cwd, args.stateDir), {
    format: 'unstick-verify/1',
    at: ctx.now().toISOString(),
    tenant: tenant.domain,
    connection: { id: connection.id, name: connection.name },
    input: args.file,
    totals,
  });

  if (args.output === 'json') {
    ctx.stdout.write(JSON.stringify({ tenant: tenant.domain, connection: { id: connection.id, name: connection.name }, method: byExport ? 'export' : 'lookup', users: results, totals }, null, 2) + '\n');
  } else if (args.output === 'csv') {
    ctx.stdout.write(csvRow(['email', 'status', 'profiles']));
    for (const r of results) ctx.stdout.write(csvRow([r.email, r.status, String(r.profiles)], new Set([0])));
  } else {
    const rows = (['migrated', 'not-migrated', 'stuck', 'duplicated'] as const).map((s) => [s, String(tally(s))]);
    ctx.stdout.write(renderTable(['status', 'users'], rows));
    const notDone = results.filter((r) => r.status !== 'migrated');
    for (const r of notDone.slice(0, 20)) ctx.stdout.write(`  ${r.status.padEnd(12)} ${r.email}${r.status === 'duplicated' ? ` (${r.profiles} profiles)` : ''}\n`);
    if (notDone.length > 20) ctx.stdout.write(`  ... and ${notDone.length - 20} more (--csv lists them all)\n`);
    ctx.stdout.write(`${totals.percent} % migrated: ${totals.migrated} of ${plural(totals.expected, 'expected user')} on ${connection.name} (${byExport ? 'one users export' : 'users-by-email per user'})\n`);
  }
  if (summary.invalidCount > 0) warn(ctx, `${plural(summary.invalidCount, 'invalid row')} skipped (first: line ${summary.invalid[0]!.line}, ${summary.invalid[0]!.reason})`);
  ctx.stderr.write(`result kept for unstick disconnect: ${saved}\n`);
  return totals.expected > 0 && totals.migrated === totals.expected && totals.invalid === 0 ? ExitCode.ok : ExitCode.someFailed;
}
