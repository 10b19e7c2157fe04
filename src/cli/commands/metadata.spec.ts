import { UsageError } from '../../errors.js';
import { connectionOption, jsonOption, stateDirOption, yesOption } from '../options.js';
import { argument, defineCommand, flag, option } from '../spec.js';

export interface MetadataArgs {
  action: 'restore' | 'backfill' | 'action';
  from: string | undefined;
  connection: string | undefined;
  apply: boolean;
  yes: boolean;
  json: boolean;
  stateDir: string;
  marker: string;
  out: string | undefined;
  deploy: boolean;
}

const action = argument('<action>', 'restore (from repair backups), backfill (from a legacy export), or action (the post-login Action)');
const from = option('--from <path>', 'restore: a backup file or folder (default: <state-dir>/backups); backfill: the legacy export (JSON array or CSV)');
const apply = flag('--apply', 'write the metadata (without it: a dry run that shows what would be set)');
const stateDir = { ...stateDirOption, description: 'where the journal (and by default the backups) are' };
const marker = option('--marker <path>', 'action: the key that is missing when the metadata is missing', { default: 'app_metadata.legacy_id' });
const out = option('--out <file>', 'action: write the Action\'s code to this file');
const deploy = flag('--deploy', 'action: create it in the tenant, deploy it and bind it to the post-login trigger (asks first)');

export const metadataSpec = defineCommand<MetadataArgs>({
  name: 'metadata',
  description: 'give back missing user_metadata/app_metadata: restore from repair backups, backfill from the legacy export, or the post-login Action that fetches it',
  arguments: [action],
  options: [from, connectionOption, apply, yesOption, jsonOption, stateDir, marker, out, deploy],
  help: `restore and backfill set only the first-level keys a profile lacks: never a key it has, never {}
(which clears metadata in Auth0); nested objects are sent whole. Dry run until --apply.

Examples:
  $ unstick metadata restore                       # from unstick-state/backups
  $ unstick metadata backfill --from legacy-export.json --apply --yes
  $ unstick metadata action --marker app_metadata.legacy_id --out restore-metadata.js`,
  parse: (input) => {
    const a = input.get(action);
    if (a !== 'restore' && a !== 'backfill' && a !== 'action') throw new UsageError(`unknown metadata action "${a}": restore, backfill or action`);
    if (a === 'backfill' && !input.get(from)) throw new UsageError('metadata backfill needs --from LEGACY_EXPORT');
    return {
      action: a,
      from: input.get(from),
      connection: input.get(connectionOption),
      apply: input.get(apply),
      yes: input.get(yesOption),
      json: input.get(jsonOption),
      stateDir: input.get(stateDir),
      marker: input.get(marker),
      out: input.get(out),
      deploy: input.get(deploy),
    };
  },
  load: async () => (await import('./metadata.js')).metadata,
});
