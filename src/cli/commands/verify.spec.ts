import { connectionOption, jsonOption, stateDirOption } from '../options.js';
import { argument, choice, defineCommand, flag, option } from '../spec.js';

export interface VerifyArgs {
  file: string;
  connection: string | undefined;
  column: string | undefined;
  output: 'human' | 'json' | 'csv';
  logs: string | undefined;
  tenantLogs: boolean;
  method: 'auto' | 'lookup' | 'export';
  exportFormat: 'json' | 'csv';
  stateDir: string;
}

const file = argument('<file>', 'CSV of the users expected in Auth0 (the legacy store\'s export), or - for stdin');
const column = option('--column <name>', 'the email column (default: found by header, as for batch)');
const csv = flag('--csv', 'one row per user: email,status', { conflicts: ['json'] });
const json = { ...jsonOption, conflicts: ['csv'] };
const logs = option('--logs <path>', 'log evidence: users not migrated with evidence are reported as stuck');
const tenantLogs = flag('--tenant-logs', "evidence from the tenant's logs (one search per user not migrated)");
const method = choice('--method <how>', 'lookup (users-by-email per user), export (one users export job), or auto: lookups up to 1,000 users', ['auto', 'lookup', 'export'], { default: 'auto' });
const exportFormat = choice('--export-format <format>', 'the users export format to request', ['json', 'csv'], { default: 'json' });
const stateDir = { ...stateDirOption, description: 'where the result is kept (disconnect reads it)' };

export const verifySpec = defineCommand<VerifyArgs>({
  name: 'verify',
  description: 'check that every expected user arrived on the connection: migrated, not migrated, stuck, duplicated, with totals',
  arguments: [file],
  options: [connectionOption, column, json, csv, logs, tenantLogs, method, exportFormat, stateDir],
  help: `Up to 1,000 users: users-by-email per user (paced). More: one users export job of the connection
(POST /jobs/users-exports, poll, download the signed link at once, compare offline), so 100,000 users
cost a handful of calls. The result is kept for \`unstick disconnect\`, which waits for 100 %.

Examples:
  $ unstick verify legacy-export.csv
  $ unstick verify legacy-export.csv --logs tenant-logs.ndjson --json`,
  parse: (input) => ({
    file: input.get(file),
    connection: input.get(connectionOption),
    column: input.get(column),
    output: input.get(json) ? 'json' : input.get(csv) ? 'csv' : 'human',
    logs: input.get(logs),
    tenantLogs: input.get(tenantLogs),
    method: input.get(method),
    exportFormat: input.get(exportFormat),
    stateDir: input.get(stateDir),
  }),
  load: async () => (await import('./verify.js')).verify,
});
