import { availableParallelism } from 'node:os';
import { LOG_FORMATS, type LogFormat } from '../../logs/types.js';
import { connectionOption, jsonOption } from '../options.js';
import { UsageError } from '../../errors.js';
import { argument, choice, defineCommand, flag, option } from '../spec.js';

/** Line-delimited files of at least `minBytes` are read by `threads` threads (the main one included). */
export const DIAGNOSE_PARALLEL = { threads: Math.min(2, availableParallelism()), minBytes: 64 * 1024 * 1024 };

/** `unstick diagnose`, as the command receives it. Times and the zone are still text: they are parsed against ctx.now in the command. */
export interface DiagnoseArgs {
  inputs: string[];
  /** Also read the tenant's own logs (GET /api/v2/logs, from --since or 2 days back). */
  tenant: boolean;
  /** Also read these import jobs' status and error report from the tenant. */
  jobs: string[];
  /** Look each candidate up in the live tenant and add its classification. */
  confirm: boolean;
  since: string | undefined;
  until: string | undefined;
  connection: string | undefined;
  output: 'human' | 'json' | 'csv';
  tz: string;
  format: LogFormat | undefined;
}

const inputs = argument('[inputs...]', 'log files, directories (read recursively) or - for stdin; .gz is read transparently');
const tenant = flag('--tenant', "read the tenant's own logs (GET /api/v2/logs, paced; from --since, default 2d)");
const job = option('--job <ids>', 'read import jobs from the tenant: status and error report, comma-separated ids (the errors carry the job\'s connection)');
const confirm = flag('--confirm', 'look each candidate up in the tenant (at most one users-by-email per user) and add its live classification; --csv --confirm leaves healthy users out');
const since = option('--since <time>', 'only events at or after this time: ISO 8601 or a duration back from now (36h, 7d)');
const until = option('--until <time>', 'only events at or before this time: ISO 8601 or a duration back from now');
const connection = {
  ...connectionOption,
  description: 'only events on this connection (name or con_ id); events naming no connection are left out and counted in a note',
};
const json = { ...jsonOption, conflicts: ['csv'] };
const csv = flag('--csv', 'one CSV row per user, email first (the batch-repair input)', { conflicts: ['json'] });
const tz = option('--tz <zone>', 'time zone for human output (IANA name, UTC or local)', { default: 'UTC' });
const format = choice('--format <format>', 'read every input as this format instead of detecting it', LOG_FORMATS);

export const diagnoseSpec = defineCommand<DiagnoseArgs>({
  name: 'diagnose',
  description: 'read Auth0 logs (tenant logs, log streams, import job errors, webtask output) and list stuck users',
  arguments: [inputs],
  options: [since, until, connection, json, csv, tz, format, tenant, job, confirm],
  help: `Examples:
  $ unstick diagnose examples/logs
  $ unstick diagnose stream-*.jsonl.gz --since 7d --connection legacy-db --csv > stuck.csv
  $ pbpaste | unstick diagnose - --json
  $ unstick diagnose --tenant --since 2d --confirm
  $ unstick diagnose --job job_abc123 --csv --confirm > affected.csv`,
  parse: (input) => {
    const given = input.get(inputs);
    const jobs = (input.get(job) ?? '').split(',').map((j) => j.trim()).filter(Boolean);
    if (given.length === 0 && !input.get(tenant) && jobs.length === 0) throw new UsageError('diagnose needs log inputs (files, directories or -), --tenant, or --job ID');
    for (const id of jobs) if (!/^job_[A-Za-z0-9]+$/.test(id)) throw new UsageError(`--job: not an Auth0 job id: "${id}" (they look like job_abc123)`);
    return {
    inputs: given,
    tenant: input.get(tenant),
    jobs,
    confirm: input.get(confirm),
    since: input.get(since),
    until: input.get(until),
    connection: input.get(connection),
    output: input.get(json) ? 'json' : input.get(csv) ? 'csv' : 'human',
    tz: input.get(tz),
    format: input.get(format),
    };
  },
  load: async () => (await import('./diagnose.js')).diagnose,
});
