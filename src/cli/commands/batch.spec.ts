import { UsageError } from '../../errors.js';
import type { Reattempt } from '../../repair/types.js';
import { connectionOption, jsonOption, stateDirOption, yesOption } from '../options.js';
import { argument, defineCommand, flag, option } from '../spec.js';
import { parseReattempt } from './repair.spec.js';

/** `unstick batch`, as the command receives it. */
export interface BatchArgs {
  file: string | undefined;
  connection: string | undefined;
  column: string | undefined;
  apply: boolean;
  yes: boolean;
  json: boolean;
  reattempt: Reattempt;
  concurrency: number;
  stateDir: string;
  backupDir: string | undefined;
  report: string | undefined;
  plan: string | undefined;
  tickets: string | undefined;
  resume: string | undefined;
  again: boolean;
}

const file = argument('[file]', 'CSV of affected users (a ticket export, `unstick diagnose --csv`), or - for stdin');
const column = option('--column <name>', 'the email column (default: found by header: email, user_email, mail, ...; or a single column)');
const apply = flag('--apply', 'repair for real (without it: a dry run, read-only lookups and a plan)');
const reattempt = option('--reattempt <how>', 'after each repair: ticket (a CSV of password-change links) | import:FILE (legacy export in Auth0 import schema) | none', { default: 'none' });
const concurrency = option('--concurrency <n>', 'users repaired at once (the pacer keeps them within the rate limits)', { default: '8' });
const stateDir = { ...stateDirOption, description: 'where the journal, plan, tickets and backups go' };
const backupDir = option('--backup-dir <dir>', 'where profile backups are written (default: <state-dir>/backups)');
const report = option('--report <file>', 'one row per email: .csv or .ndjson (email, outcome, classification, steps, error, backup, ticket)');
const plan = option('--plan <file>', 'dry run: where the plan goes (default: <state-dir>/batch-<time>.plan.ndjson)');
const tickets = option('--tickets <file>', 'with --reattempt ticket: the CSV of links to send (default: <state-dir>/batch-<time>.tickets.csv)');
const resume = option('--resume <journal>', 'continue an interrupted batch from its journal (printed when it started)');
const again = flag('--again', 'repeat repairs an earlier run finished (users who have not logged in since)');
const yes = { ...yesOption, description: 'do not ask before applying (required with --apply without a terminal)' };

export const batchSpec = defineCommand<BatchArgs>({
  name: 'batch',
  description: 'repair many stuck users from a CSV of emails: a dry-run plan first, then --apply at the tenant\'s rate limits, crash-safe and resumable',
  arguments: [file],
  options: [connectionOption, column, apply, yes, jsonOption, reattempt, concurrency, stateDir, backupDir, report, plan, tickets, resume, again],
  help: `Each user goes through the same engine as \`unstick repair\`: live state decides (ghost suspects and
stuck profiles are repaired; healthy, linked, several-profile and no-migration-source users are
skipped), every profile is backed up before a delete, every call is journaled.

Examples:
  $ unstick diagnose logs/ --csv > stuck.csv && unstick batch stuck.csv
  $ unstick batch stuck.csv --apply --yes --reattempt ticket --report result.csv
  $ unstick batch --resume unstick-state/batch-2026-12-01T09-00-00-000Z.journal.ndjson --yes`,
  parse: (input) => {
    const f = input.get(file);
    const r = input.get(resume);
    if (!f && !r) throw new UsageError('batch needs a CSV file (or - for stdin), or --resume JOURNAL');
    if (f && r) throw new UsageError('--resume takes the input and settings from the journal: give no file with it');
    const n = Number(input.get(concurrency));
    if (!Number.isInteger(n) || n < 1 || n > 64) throw new UsageError(`--concurrency: expected 1-64, got "${input.get(concurrency)}"`);
    return {
      file: f,
      connection: input.get(connectionOption),
      column: input.get(column),
      apply: input.get(apply),
      yes: input.get(yes),
      json: input.get(jsonOption),
      reattempt: parseReattempt(input.get(reattempt), ['ticket', 'import', 'none']),
      concurrency: n,
      stateDir: input.get(stateDir),
      backupDir: input.get(backupDir),
      report: input.get(report),
      plan: input.get(plan),
      tickets: input.get(tickets),
      resume: r,
      again: input.get(again),
    };
  },
  load: async () => (await import('./batch.js')).batch,
});
