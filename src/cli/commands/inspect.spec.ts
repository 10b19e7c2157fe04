import { connectionOption, jsonOption, stateDirOption } from '../options.js';
import { defineCommand } from '../spec.js';
import { emails, logs, tenantLogs } from './repair.spec.js';

/** `unstick inspect`, as the command receives it. */
export interface InspectArgs {
  emails: string[];
  connection: string | undefined;
  json: boolean;
  logs: string | undefined;
  tenantLogs: boolean;
  stateDir: string;
}

const stateDir = { ...stateDirOption, description: "read (never written): earlier runs' journals and backups" };

export const inspectSpec = defineCommand<InspectArgs>({
  name: 'inspect',
  description: 'show what the tenant holds for users (profiles, identities, logins, metadata), the evidence, the classification and the repair plan; changes nothing',
  arguments: [emails],
  options: [connectionOption, jsonOption, logs, tenantLogs, stateDir],
  help: `Read-only: users-by-email, the connection's settings and (with --tenant-logs) one log search per user.

Examples:
  $ unstick inspect jane.doe@acme.com
  $ unstick inspect jane.doe@acme.com --logs exported-logs/ --json`,
  parse: (input) => ({
    emails: input.get(emails),
    connection: input.get(connectionOption),
    json: input.get(jsonOption),
    logs: input.get(logs),
    tenantLogs: input.get(tenantLogs),
    stateDir: input.get(stateDir),
  }),
  load: async () => (await import('./inspect.js')).inspect,
});
