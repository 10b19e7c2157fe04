import { connectionOption, jsonOption, stateDirOption, yesOption } from '../options.js';
import { defineCommand, flag, option } from '../spec.js';

export interface DisconnectArgs {
  connection: string | undefined;
  apply: boolean;
  yes: boolean;
  force: boolean;
  json: boolean;
  restore: string | undefined;
  stateDir: string;
}

const apply = flag('--apply', 'change the connection (without it: show what would change)');
const force = flag('--force', 'disconnect although verify has not reported every user migrated');
const restore = option('--restore <backup>', 'put back the Login and Get User scripts from a backup this command wrote');
const stateDir = { ...stateDirOption, description: 'where backups of the connection options and verify results are kept' };

export const disconnectSpec = defineCommand<DisconnectArgs>({
  name: 'disconnect',
  description: 'disconnect the legacy user store safely: the Login and Get User scripts become no-ops, import mode stays on, nothing else changes',
  options: [connectionOption, apply, yesOption, force, restore, stateDir, jsonOption],
  help: `Reads the connection, shows the change, backs the current options up (0600), and with --apply sends
the WHOLE options object (Auth0 replaces options on PATCH) with only the two scripts changed, then
reads it back and compares. Refused until \`unstick verify\` has reported every user migrated (--force).

Examples:
  $ unstick verify legacy-export.csv && unstick disconnect
  $ unstick disconnect --apply
  $ unstick disconnect --restore unstick-state/connections/<file>.json --apply`,
  parse: (input) => ({
    connection: input.get(connectionOption),
    apply: input.get(apply),
    yes: input.get(yesOption),
    force: input.get(force),
    json: input.get(jsonOption),
    restore: input.get(restore),
    stateDir: input.get(stateDir),
  }),
  load: async () => (await import('./disconnect.js')).disconnect,
});
