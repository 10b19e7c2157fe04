import { gunzipSync } from 'node:zlib';
import { parse } from 'csv-parse/sync';
import { ExitCode, InputDataError, UnstickError } from '../errors.js';
import type { ConnectionInfo, TenantApi } from '../tenant/types.js';
import { remainingOn } from './execute.js';

export type VerifyStatus = 'migrated' | 'not-migrated' | 'stuck' | 'duplicated';

/** Profiles on the connection per email, from a users export as Auth0 writes it. */
export type ExportCounts = Map<string, number>;

/**
 * Reads an export file: gzip; JSON exports are NDJSON (one user per line); CSV exports quote every
 * string and prefix it with `'` (Auth0's guard against spreadsheet formulas), which is taken off.
 */
export function readExport(file: Buffer, format: 'json' | 'csv'): ExportCounts {
  const text = (file[0] === 0x1f && file[1] === 0x8b ? gunzipSync(file) : file).toString('utf8');
  const counts: ExportCounts = new Map();
  const add = (email: unknown) => {
    if (typeof email !== 'string' || !email) return;
    const e = email.replace(/^'/, '').trim().toLowerCase();
    counts.set(e, (counts.get(e) ?? 0) + 1);
  };
  if (format === 'json') {
    text.split('\n').forEach((line, i) => {
      if (!line.trim()) return;
      let user: { email?: unknown };
      try {
        user = JSON.parse(line) as { email?: unknown };
      } catch {
        throw new InputDataError('a line of the users export is not JSON', `users export:${i + 1}`);
      }
      add(user.email);
    });
  } else {
    const rows = parse(text, { columns: true, bom: true, skip_empty_lines: true, relax_column_count: true }) as Array<Record<string, string>>;
    for (const row of rows) {
      const key = Object.keys(row).find((k) => k.replace(/^'/, '').toLowerCase() === 'email');
      if (key) add(row[key]);
    }
  }
  return counts;
}

export function statusOf(profiles: number, hasEvidence: boolean): VerifyStatus {
  if (profiles > 1) return 'duplicated';
  if (profiles === 1) return 'migrated';
  return hasEvidence ? 'stuck' : 'not-migrated';
}

export interface ExportDeps {
  tenant: TenantApi;
  sleep: (ms: number) => Promise<void>;
  now: () => Date;
  onWait?: (what: string) => void;
  timeoutMs?: number;
}

/**
 * One users export of the connection: create the job, poll it, download the file at once (the
 * link is signed and lasts 60 seconds), and when the link has expired ask for the job again, which
 * gives a fresh one. 100,000 users cost a handful of calls.
 */
export async function exportConnection(connection: ConnectionInfo, format: 'json' | 'csv', deps: ExportDeps): Promise<ExportCounts> {
  const { tenant } = deps;
  let job = await tenant.createExportJob({ connectionId: connection.id, format, fields: [{ name: 'email' }, { name: 'user_id' }] });
  const deadline = deps.now().getTime() + (deps.timeoutMs ?? 600_000);
  let delay = 500;
  for (let expired = 0; ; ) {
    while (job.status !== 'completed') {
      if (job.status === 'failed' || job.status === 'expired') throw new UnstickError(`the users export ${job.id} ${job.status}${job.statusDetails ? `: ${job.statusDetails}` : ''}`, ExitCode.tempFail, { hint: 'run verify again' });
      if (deps.now().getTime() > deadline) throw new UnstickError(`the users export ${job.id} is still ${job.status}; try again later`, ExitCode.tempFail);
      deps.onWait?.(`export ${job.id} ${job.status}`);
      await deps.sleep(delay);
      delay = Math.min(delay * 2, 5000);
      job = await tenant.getJob(job.id);
    }
    if (!job.location) throw new UnstickError(`the users export ${job.id} completed without a download link`, ExitCode.tempFail);
    const file = await tenant.downloadExport(job.location);
    if (file !== 'expired') return readExport(file, format);
    if (++expired >= 3) throw new UnstickError(`the download link of export ${job.id} expired ${expired} times in a row`, ExitCode.tempFail, { hint: 'the link lasts 60 seconds: check the clock and the network, then run verify again' });
    job = await tenant.getJob(job.id); // a fresh link
  }
}

/** The small path: users-by-email per user (immediately consistent), `concurrency` at a time. */
export async function lookupEach(emails: readonly string[], connection: ConnectionInfo, tenant: TenantApi, concurrency: number): Promise<ExportCounts> {
  const counts: ExportCounts = new Map();
  let next = 0;
  const worker = async () => {
    while (next < emails.length) {
      const email = emails[next++]!;
      counts.set(email, remainingOn(await tenant.usersByEmail(email), connection.name).length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, emails.length) }, worker));
  return counts;
}
