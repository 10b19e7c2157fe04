import { mkdirSync, readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { ExitCode, InputDataError, InputMissingError, UsageError } from '../../errors.js';
import { BackupStore } from '../../repair/backup.js';
import { resumeState, runBatch, type BatchRow, type ResumeState } from '../../repair/batch.js';
import { resolveConnection } from '../../repair/connection.js';
import { Journal, stateJournals } from '../../repair/journal.js';
import { LegacyExport } from '../../repair/legacy-export.js';
import { lockJournal } from '../../repair/lock.js';
import { emptyTargetSummary, readTargets, type TargetSummary } from '../../repair/targets.js';
import type { Outcome, Reattempt } from '../../repair/types.js';
import type { Context } from '../context.js';
import { plural, renderTable, shortPath, warn } from '../output.js';
import { CountProgress } from '../progress-bar.js';
import { reportFile, reportValues, RowFile } from '../batch-files.js';
import { openInput } from '../input-file.js';
import type { BatchArgs } from './batch.spec.js';
import { askConnection, noteNewStateDir } from './repair.js';

/** The settings a batch journal starts with, so that --resume needs nothing else. */
interface BatchHeader {
  input: string;
  connection: string;
  column: string | null;
  reattempt: Reattempt;
  concurrency: number;
  backupDir: string;
  report: string | null;
  tickets: string | null;
}

export async function batch(ctx: Context, args: BatchArgs): Promise<number> {
  const resolve = (p: string) => path.resolve(ctx.cwd, p);
  const resumed = args.resume ? readHeader(resolve(args.resume)) : null;
  const apply = resumed ? true : args.apply;
  // Fail fast, before any request: applying without a terminal needs --yes.
  if (apply && !args.yes && !ctx.canPrompt) throw new UsageError('batch --apply changes the tenant and needs confirmation: pass --yes when stdin is not a terminal');
  const stamp = ctx.now().toISOString().replace(/[:.]/g, '-');
  const stateDir = resolve(args.stateDir);
  if (!resumed) noteNewStateDir(ctx, stateDir);
  const settings: BatchHeader = resumed?.header ?? {
    input: args.file === '-' ? '-' : resolve(args.file!),
    connection: args.connection ?? '',
    column: args.column ?? null,
    reattempt: args.reattempt.mode === 'import' ? { mode: 'import', file: resolve(args.reattempt.file) } : args.reattempt,
    concurrency: args.concurrency,
    backupDir: args.backupDir ? resolve(args.backupDir) : path.join(stateDir, 'backups'),
    report: args.report ? resolve(args.report) : null,
    tickets: args.reattempt.mode === 'ticket' ? (args.tickets ? resolve(args.tickets) : path.join(stateDir, `batch-${stamp}.tickets.csv`)) : null,
  };
  for (const [flag, file] of [['--report', settings.report], ['--plan', args.plan ? resolve(args.plan) : null], ['--tickets', settings.tickets]] as const) {
    if (file && settings.input !== '-' && sameFile(file, settings.input)) throw new UsageError(`${flag} ${file} is the input: it would be overwritten before it is read; write it elsewhere`);
  }
  if (resumed && settings.input === '-') throw new UsageError('this batch read stdin: it cannot be resumed from its journal; run it again from the same CSV (finished users are safe to repeat)');
  const legacy = settings.reattempt.mode === 'import' ? LegacyExport.read(settings.reattempt.file) : null;

  const tenant = await ctx.tenant();
  const interactive = ctx.canPrompt && !args.yes;
  const connection = await resolveConnection(tenant, settings.connection || undefined, interactive ? (c) => askConnection(ctx, c) : null);
  settings.connection = connection.id;

  // A quick local pass: the count for the question and the progress bar's total.
  const total = settings.input === '-' ? null : await countRows(settings.input, settings.column, ctx.signal);
  if (apply && !args.yes && !resumed) {
    const ok = await ctx.prompt.confirm(
      `Repair ${total === null ? 'the users' : `up to ${plural(total, 'user')}`} from ${path.basename(settings.input)} on ${tenant.domain} (connection ${connection.name})? Each profile is backed up before it is deleted`,
      { default: false },
    );
    if (!ok) {
      ctx.stderr.write('nothing changed\n');
      return ExitCode.someFailed;
    }
  }

  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const journalPath = resumed?.file ?? path.join(stateDir, `batch-${stamp}.journal.ndjson`);
  const runId = `${ctx.now().toISOString()}-${process.pid}`;
  const journal = new Journal(journalPath, runId, tenant.domain, ctx.now, stateJournals(stateDir).filter((f) => f !== journalPath));
  const unlock = apply ? lockJournal(journalPath, ctx.now) : () => {};
  const resumeHint = `resume with: unstick batch --resume ${shortPath(ctx.cwd, journalPath)}${args.yes ? ' --yes' : ''}`;
  let resume: ResumeState = { done: new Map(), awaitingImport: new Map() };
  if (apply) {
    resume = resumeState(journal.entries());
    if (!resumed) journal.write({ email: '', step: 'batch-start', phase: 'after', detail: settings as unknown as Record<string, unknown> });
    ctx.stderr.write(`journal: ${journalPath}\n${resumeHint}\n`);
    if (resumed) ctx.stderr.write(`resuming: ${plural(resume.done.size, 'user')} finished earlier, ${resume.awaitingImport.size} awaiting their import\n`);
  } else ctx.stderr.write(ctx.color.err.cyan('dry run: read-only lookups, nothing will change (add --apply to repair)\n'));

  const planPath = apply ? null : args.plan ? resolve(args.plan) : path.join(stateDir, `batch-${stamp}.plan.ndjson`);
  const planFile = planPath ? new RowFile(planPath, null) : null;
  const report = settings.report ? reportFile(settings.report) : null;
  const ticketFile = settings.tickets && apply ? new RowFile(settings.tickets, ['email', 'ticket'], 'append') : null;
  const tally = new Tally();
  const summary = emptyTargetSummary();
  const started = ctx.now().getTime();
  const progress = new CountProgress(ctx, 'users', total);
  let read = 0;
  let thisRun = 0;
  const onRow = (row: BatchRow) => {
    tally.add(row);
    thisRun++;
    report?.row(reportValues(row));
    if (row.ticket) ticketFile?.row({ email: row.email, ticket: row.ticket });
    if (planFile) planFile.row({ email: row.email, line: row.line, outcome: row.outcome, classification: row.classification, reason: row.reason, steps: row.steps.map((s) => s.detail ?? s.step) });
    const seconds = Math.max(0.001, (ctx.now().getTime() - started) / 1000);
    progress.update(read, `${tally.count('repaired')} repaired, ${tally.count('failed')} failed`, thisRun / seconds);
  };
  for (const row of [...resume.done.values()]) {
    tally.add(row);
    report?.row(reportValues(row));
  }

  const backups = new BackupStore(settings.backupDir);
  try {
    await runBatch(
      {
        targets: readTargets(await openInput(settings.input, ctx.stdin), { name: settings.input === '-' ? '-' : path.relative(ctx.cwd, settings.input) || settings.input, ...(settings.column ? { column: settings.column } : {}), signal: ctx.signal }, summary),
        source: settings.input,
        connection,
        apply,
        reattempt: settings.reattempt,
        legacy,
        concurrency: settings.concurrency,
        resume,
        again: args.again,
      },
      { tenant, journal, backups, now: ctx.now, sleep: ctx.sleep },
      { onRow, onRead: (n) => (read = n) },
    );
    for (const problem of summary.invalid) {
      report?.row({ email: problem.value, outcome: 'skipped', classification: '', steps: '', error: `line ${problem.line}: ${problem.reason}`, backup: '', ticket: '' });
    }
  } catch (err) {
    progress.stop();
    if (apply) ctx.stderr.write(`${resumeHint}\n`);
    throw err;
  } finally {
    progress.stop();
    journal.close();
    planFile?.close();
    report?.close();
    ticketFile?.close();
    unlock();
  }
  const seconds = (ctx.now().getTime() - started) / 1000;
  const files = { journal: apply ? journalPath : null, plan: planPath, report: settings.report, tickets: ticketFile ? settings.tickets : null };
  if (args.json) {
    ctx.stdout.write(
      JSON.stringify({ tenant: tenant.domain, connection: { id: connection.id, name: connection.name }, dryRun: !apply, input: inputJson(summary), totals: tally.json(), seconds, files, requests: tenant.pacing() }, null, 2) + '\n',
    );
  } else {
    ctx.stdout.write(renderSummary(tally, summary, !apply));
    for (const [what, file] of Object.entries(files)) if (file) ctx.stdout.write(`${what}: ${file}\n`);
  }
  for (const p of summary.invalid.slice(0, 5)) warn(ctx, `${settings.input === '-' ? '-' : path.basename(settings.input)}:${p.line}: ${p.reason} (${JSON.stringify(p.value)}), skipped`);
  if (summary.invalidCount > 5) warn(ctx, `${summary.invalidCount - 5} more invalid rows skipped${report ? ' (all in the report)' : ''}`);
  const ok = tally.allOk() && summary.invalidCount === 0;
  return ok ? ExitCode.ok : ExitCode.someFailed;
}

class Tally {
  private readonly outcomes = new Map<Outcome, number>();
  private readonly classes = new Map<string, Map<Outcome, number>>();
  total = 0;

  add(row: BatchRow): void {
    this.total++;
    this.outcomes.set(row.outcome, (this.outcomes.get(row.outcome) ?? 0) + 1);
    const c = row.classification ?? 'unclassified';
    const m = this.classes.get(c) ?? new Map<Outcome, number>();
    m.set(row.outcome, (m.get(row.outcome) ?? 0) + 1);
    this.classes.set(c, m);
  }

  count(o: Outcome): number {
    return this.outcomes.get(o) ?? 0;
  }

  allOk(): boolean {
    return [...this.outcomes.keys()].every((o) => o === 'repaired' || o === 'nothing-to-do' || o === 'planned');
  }

  rows(): Array<[string, Map<Outcome, number>]> {
    return [...this.classes].sort((a, b) => a[0].localeCompare(b[0]));
  }

  json(): object {
    return {
      users: this.total,
      outcomes: Object.fromEntries(this.outcomes),
      classifications: Object.fromEntries([...this.classes].map(([c, m]) => [c, Object.fromEntries(m)])),
    };
  }
}

const OUTCOMES: Outcome[] = ['planned', 'repaired', 'nothing-to-do', 'skipped', 'failed'];

function renderSummary(tally: Tally, input: TargetSummary, dryRun: boolean): string {
  const used = OUTCOMES.filter((o) => tally.count(o) > 0);
  const rows = tally.rows().map(([c, m]) => [c, ...used.map((o) => String(m.get(o) ?? 0))]);
  rows.push(['total', ...used.map((o) => String(tally.count(o)))]);
  const head = dryRun ? 'Plan (dry run: nothing changed)' : 'Result';
  const lines = [`${head}: ${plural(tally.total, 'user')}`, '', renderTable(['classification', ...used], rows)];
  lines.push(
    `input: ${plural(input.rows, 'row')}, ${input.unique} unique, ${input.duplicates} duplicate, ${input.invalidCount} invalid, ${input.blank} blank (email column: ${input.column || '?'})`,
  );
  return lines.join('\n') + '\n';
}

function sameFile(a: string, b: string): boolean {
  const real = (p: string) => {
    try {
      return realpathSync(p);
    } catch {
      return path.resolve(p);
    }
  };
  return real(a) === real(b);
}

function inputJson(s: TargetSummary): object {
  return { rows: s.rows, unique: s.unique, duplicates: s.duplicates, invalid: s.invalidCount, blank: s.blank, column: s.column, invalidSamples: s.invalid.slice(0, 20) };
}

/** Unique valid rows, for the confirmation and the progress bar's total (a quick local pass). */
async function countRows(input: string, column: string | null, signal: AbortSignal): Promise<number> {
  const summary = emptyTargetSummary();
  for await (const _ of readTargets(await openInput(input, process.stdin), { name: input, ...(column ? { column } : {}), signal }, summary)) {
    // counting
  }
  return summary.unique;
}

function readHeader(file: string): { file: string; header: BatchHeader } {
  let first: string;
  try {
    first = readFileSync(file, 'utf8').split('\n', 1)[0] ?? '';
  } catch {
    throw new InputMissingError(file, 'no such journal');
  }
  try {
    const entry = JSON.parse(first) as { step?: string; detail?: BatchHeader };
    if (entry.step !== 'batch-start' || !entry.detail) throw new Error('not a batch journal');
    return { file, header: entry.detail };
  } catch {
    throw new InputDataError('not a batch journal (its first line is the batch-start entry)', `${file}:1`);
  }
}
