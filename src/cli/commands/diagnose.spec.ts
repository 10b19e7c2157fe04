import { LOG_FORMATS, type LogFormat } from '../../logs/types.js';
import { connectionOption, jsonOption } from '../options.js';
import { argument, choice, defineCommand, flag, option } from '../spec.js';

/** `unstick diagnose`, as the command receives it. Times and the zone are still text: they are parsed against ctx.now in the command. */
export interface DiagnoseArgs {
  inputs: string[];
  since: string | undefined;
  until: string | undefined;
  connection: string | undefined;
  output: 'human' | 'json' | 'csv';
  tz: string;
  format: LogFormat | undefined;
}

const inputs = argument('<inputs...>', 'log files, directories (read recursively) or - for stdin; .gz is read transparently');
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
  options: [since, until, connection, json, csv, tz, format],
  help: `Examples:
  $ unstick diagnose examples/logs
  $ unstick diagnose stream-*.jsonl.gz --since 7d --connection legacy-db --csv > stuck.csv
  $ pbpaste | unstick diagnose - --json`,
  parse: (input) => ({
    inputs: input.get(inputs),
    since: input.get(since),
    until: input.get(until),
    connection: input.get(connection),
    output: input.get(json) ? 'json' : input.get(csv) ? 'csv' : 'human',
    tz: input.get(tz),
    format: input.get(format),
  }),
  load: async () => (await import('./diagnose.js')).diagnose,
});
