import { UsageError } from '../../errors.js';
import type { Reattempt } from '../../repair/types.js';
import { connectionOption, jsonOption, stateDirOption, yesOption } from '../options.js';
import { argument, defineCommand, flag, option } from '../spec.js';

/** `unstick repair`, as the command receives it. */
export interface RepairArgs {
  emails: string[];
  connection: string | undefined;
  yes: boolean;
  json: boolean;
  dryRun: boolean;
  force: boolean;
  /** undefined: ask (interactive) or print the message to send (with --yes). */
  reattempt: Reattempt | undefined;
  stateDir: string;
  backupDir: string | undefined;
  logs: string | undefined;
  tenantLogs: boolean;
  again: boolean;
}

export const emails = argument('<emails...>', 'the stuck users, by email');
export const logs = option('--logs <path>', 'log evidence: a file or directory in any format diagnose reads (the time of the latest evidence decides healthy or stuck)');
export const tenantLogs = flag('--tenant-logs', "evidence from the tenant's own logs: one GET /logs search per user (read:logs)");
const dryRun = flag('--dry-run', 'show the plan only: no change is made (zero mutating requests)');
const force = flag('--force', 'include healthy, linked and no-migration-source profiles (asks a second time: needs a terminal)');
const again = flag('--again', 'repeat a repair an earlier run finished (the user has not logged in since)');
const reattempt = option('--reattempt <how>', 'after the repair: ticket | import:FILE (a legacy export in Auth0 import schema) | message | none (default: ask, or message with --yes)');
const stateDir = { ...stateDirOption, description: 'where the audit journal (and by default the backups) are kept' };
const backupDir = option('--backup-dir <dir>', 'where profile backups are written (default: <state-dir>/backups)');
const yes = { ...yesOption, description: 'do not ask: apply the plan (required without a terminal); several profiles are skipped' };

export const repairSpec = defineCommand<RepairArgs>({
  name: 'repair',
  description: "repair stuck users with Auth0's documented fix (back up, Delete a User, Delete a Connection User, reattempt), decided from live tenant state",
  arguments: [emails],
  options: [connectionOption, yes, jsonOption, dryRun, force, again, reattempt, stateDir, backupDir, logs, tenantLogs],
  help: `The tenant comes from AUTH0_DOMAIN with AUTH0_CLIENT_ID/AUTH0_CLIENT_SECRET (or AUTH0_TOKEN), in the
environment or ./.env. Every change is journaled in <state-dir>/journal.ndjson; running the same
command again finishes an interrupted repair without repeating harm.

Examples:
  $ unstick repair jane.doe@acme.com
  $ unstick repair jane.doe@acme.com --logs tenant-logs.json --dry-run
  $ unstick repair jane.doe@acme.com raj.patel@acme.com --connection legacy-db --yes --reattempt ticket --json`,
  parse: (input) => ({
    emails: input.get(emails),
    connection: input.get(connectionOption),
    yes: input.get(yes),
    json: input.get(jsonOption),
    dryRun: input.get(dryRun),
    force: input.get(force),
    reattempt: input.get(reattempt) === undefined ? undefined : parseReattempt(input.get(reattempt)!),
    stateDir: input.get(stateDir),
    backupDir: input.get(backupDir),
    logs: input.get(logs),
    tenantLogs: input.get(tenantLogs),
    again: input.get(again),
  }),
  load: async () => (await import('./repair.js')).repair,
});

/** `--reattempt` for repair (every mode) and batch (no per-user message). */
export function parseReattempt(value: string, modes: ReadonlyArray<Reattempt['mode']> = ['ticket', 'import', 'message', 'none']): Reattempt {
  const file = /^import:(.+)$/.exec(value)?.[1];
  if (file && modes.includes('import')) return { mode: 'import', file };
  const mode = modes.find((m) => m !== 'import' && m === value);
  if (mode) return { mode } as Reattempt;
  const names = modes.map((m) => (m === 'import' ? 'import:FILE' : m));
  throw new UsageError(`--reattempt: expected ${names.slice(0, -1).join(', ')} or ${names.at(-1)}, got "${value}"`);
}
