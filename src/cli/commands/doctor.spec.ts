import { connectionOption, jsonOption } from '../options.js';
import { defineCommand } from '../spec.js';

export interface DoctorArgs {
  connection: string | undefined;
  json: boolean;
}

export const doctorSpec = defineCommand<DoctorArgs>({
  name: 'doctor',
  description: "check the tenant setup: credentials, the token's scopes per command, the connection (custom database, import mode, legacy store), rate-limit headroom",
  options: [connectionOption, jsonOption],
  help: `Each check is one line, pass / warn / fail, with the fix. Exit 1 when a check fails.

Examples:
  $ unstick doctor
  $ unstick doctor --connection legacy-db --json`,
  parse: (input) => ({ connection: input.get(connectionOption), json: input.get(jsonOption) }),
  load: async () => (await import('./doctor.js')).doctor,
});
