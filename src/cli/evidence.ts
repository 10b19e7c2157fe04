import { Diagnoser, type Finding } from '../diagnose/findings.js';
import { expandInputs } from '../logs/inputs.js';
import { readLogs } from '../logs/reader.js';
import { recordToEvents } from '../logs/records.js';
import type { UserEvidence } from '../repair/types.js';
import type { TenantApi } from '../tenant/types.js';
import type { Context } from './context.js';
import { warn } from './output.js';

/**
 * Evidence for the users a repair or inspect names, through the diagnose readers: log inputs given
 * with --logs, and with --tenant-logs one `GET /logs` search per user. Logs only add evidence; the
 * live state decides.
 */
export async function gatherEvidence(
  ctx: Context,
  emails: readonly string[],
  options: { logs: string | undefined; tenantLogs: boolean; tenant: () => Promise<TenantApi> },
): Promise<Map<string, UserEvidence>> {
  const wanted = new Set(emails);
  const diagnoser = new Diagnoser();
  const add = (event: Parameters<Diagnoser['add']>[0]) => {
    if (event.email && wanted.has(event.email)) diagnoser.add(event);
  };
  if (options.logs) {
    const stats = await readLogs(await expandInputs([options.logs]), { stdin: ctx.stdin, signal: ctx.signal }, add);
    if (stats.malformed > 0) warn(ctx, `${options.logs}: ${stats.malformed} malformed record(s) skipped (run unstick diagnose for where)`);
  }
  if (options.tenantLogs) {
    const tenant = await options.tenant();
    for (const email of wanted) {
      const records = await tenant.searchLogs(`user_name:"${email}"`);
      records.forEach((record, i) => {
        for (const event of recordToEvents(record, { file: 'tenant logs', line: i + 1 }, { inArray: true })?.events ?? []) add(event);
      });
    }
  }
  const out = new Map<string, UserEvidence>();
  // Only stuck-user kinds date the evidence; a lone import or email-change conflict does not.
  for (const finding of diagnoser.result().findings) out.set(finding.email, toEvidence(finding));
  return out;
}

/** A diagnose finding as the repair engine's evidence. */
export function toEvidence(f: Finding): UserEvidence {
  return {
    latest: f.lastSeen?.toUTC().toISO() ?? null,
    kinds: [...f.kinds],
    occurrences: f.occurrences,
    items: f.evidence.map((e) => ({
      where: e.source.file === 'tenant logs' ? 'tenant logs' : `${e.source.file}:${e.source.line}`,
      time: e.time?.toUTC().toISO() ?? null,
      type: e.type,
      description: e.description,
    })),
    userIds: f.userIds,
  };
}
