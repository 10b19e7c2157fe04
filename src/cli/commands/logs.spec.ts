import { UsageError } from '../../errors.js';
import { argument, defineCommand, flag, option } from '../spec.js';

/** `unstick logs pull`, as the command receives it. */
export interface LogsArgs {
  since: string;
  types: string[] | null;
  out: string | undefined;
  follow: boolean;
  checkpoint: string | undefined;
  everySeconds: number;
}

const action = argument('<action>', 'pull: read GET /api/v2/logs into NDJSON that diagnose reads');
const since = option('--since <time>', 'where to start when there is no checkpoint: ISO 8601 or a duration back from now (36h, 7d)', { default: '2d' });
const type = option('--type <codes>', 'keep only these event codes, comma-separated (fs,f,sapi,fapi,...)');
const out = option('--out <file>', 'append the records to this NDJSON file (default: stdout)');
const follow = flag('--follow', 'keep polling; print new stuck candidates as they happen (Ctrl+C stops)');
const checkpoint = option('--checkpoint <file>', 'where the last log_id read is kept (default: <out>.checkpoint.json, or unstick-state/logs.checkpoint.json)');
const every = option('--every <seconds>', 'with --follow: seconds between polls', { default: '10' });

export const logsSpec = defineCommand<LogsArgs>({
  name: 'logs',
  description: "read the tenant's logs (checkpoint paging, resumable) into NDJSON for diagnose; --follow watches for new stuck users",
  arguments: [action],
  options: [since, type, out, follow, checkpoint, every],
  help: `Reads with checkpoint paging (from/take, ordered by log_id), paced like every call, and saves
the last log_id after each page: running it again continues where it stopped.

Examples:
  $ unstick logs pull --since 7d --out tenant-logs.ndjson && unstick diagnose tenant-logs.ndjson
  $ unstick logs pull --type fs,f --follow`,
  parse: (input) => {
    const a = input.get(action);
    if (a !== 'pull') throw new UsageError(`unknown logs action "${a}": the action is pull`);
    const seconds = Number(input.get(every));
    if (!Number.isFinite(seconds) || seconds < 1 || seconds > 3600) throw new UsageError(`--every: expected 1-3600 seconds, got "${input.get(every)}"`);
    const codes = input.get(type);
    return {
      since: input.get(since),
      types: codes ? codes.split(',').map((c) => c.trim()).filter(Boolean) : null,
      out: input.get(out),
      follow: input.get(follow),
      checkpoint: input.get(checkpoint),
      everySeconds: seconds,
    };
  },
  load: async () => (await import('./logs.js')).logs,
});
