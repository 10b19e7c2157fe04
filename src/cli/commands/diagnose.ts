import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Diagnoser, type Finding } from '../../diagnose/findings.js';
import { csvTable, filterNotes, humanReport, toJson, type Confirmations } from '../../diagnose/report.js';
import { ExitCode, InputDataError, InputMissingError, UsageError } from '../../errors.js';
import { expandInputs, type Source } from '../../logs/inputs.js';
import { parallelPlan } from '../../logs/parallel.js';
import { readLogs, type ReadStats } from '../../logs/reader.js';
import { LOG_FORMATS, type LogFormat } from '../../logs/types.js';
import type { Context } from '../context.js';
import { csvRow, note, plural, renderTable, warn } from '../output.js';
import { ByteProgress } from '../progress.js';
import { parseTimeOption, parseZoneOption } from '../time.js';
import { DIAGNOSE_PARALLEL, type DiagnoseArgs } from './diagnose.spec.js';


/** Read the inputs → diagnose → render (src/diagnose/report.ts) in the chosen output. */
export async function diagnose(ctx: Context, args: DiagnoseArgs): Promise<number> {
  const now = ctx.now();
  const since = args.since ? parseTimeOption('--since', args.since, now) : null;
  const until = args.until ? parseTimeOption('--until', args.until, now) : null;
  if (since && until && since > until) throw new UsageError('--since is after --until: the window is empty');
  const zone = parseZoneOption(args.tz);
  if (args.inputs.filter((i) => i === '-').length > 1) throw new UsageError('"-" (stdin) can be given only once');
  const sources = await expandInputs(args.inputs);
  // The tenant's own logs and import jobs are fetched into private temporary files and read by the
  // same readers as any input (the Diagnoser joins a job's errors with its status).
  const fetched = args.tenant || args.jobs.length > 0 ? await fetchFromTenant(ctx, args, since?.toJSDate() ?? new Date(now.getTime() - 2 * 86_400_000)) : null;
  if (fetched) sources.push(...fetched.sources);
  if (sources.some((s) => s.path === null) && ctx.stdin.isTTY) ctx.stderr.write('reading log lines from stdin (Ctrl+D to end)\n');

  const diagnoser = new Diagnoser({ since, until, connection: args.connection ?? null });
  const progress = new ByteProgress(ctx, 'Scanning');
  const stats = await readLogs(
    sources,
    { format: args.format, parallel: parallelPlan({ workers: DIAGNOSE_PARALLEL.threads, minBytes: DIAGNOSE_PARALLEL.minBytes }), onProgress: (d, t) => progress.update(d, t), stdin: ctx.stdin, signal: ctx.signal },
    (event) => diagnoser.add(event),
  ).finally(() => {
    progress.done();
    fetched?.cleanup();
  });

  reportInputProblems(ctx, stats, args.format);
  const diagnosis = diagnoser.result();
  const confirmations = args.confirm ? await confirmFindings(ctx, diagnosis.findings, args.connection) : null;
  switch (args.output) {
    case 'json':
      ctx.stdout.write(JSON.stringify(toJson(diagnosis, stats, confirmations), null, 2) + '\n');
      break;
    case 'csv': {
      const csv = csvTable(diagnosis.findings, confirmations);
      ctx.stdout.write(csvRow(csv.header));
      for (const row of csv.rows) ctx.stdout.write(csvRow(row, csv.verbatim));
      // stdout is the batch input: what it leaves out is said on stderr.
      for (const line of filterNotes(diagnosis)) warn(ctx, line);
      const healthy = [...(confirmations ?? [])].filter(([, c]) => c.classification === 'healthy').map(([email]) => email);
      if (healthy.length > 0) note(ctx, `left out as healthy (the tenant says they have logged in): ${healthy.slice(0, 10).join(', ')}${healthy.length > 10 ? `, and ${healthy.length - 10} more` : ''} (--json has the reasons)`);
      break;
    }
    case 'human': {
      const c = ctx.color.out;
      const report = humanReport(diagnosis, stats, { zone, style: c, confirmations });
      if (report.table) ctx.stdout.write(renderTable(report.table.headers, report.table.rows, (h) => c.dim(h)) + '\n');
      for (const line of report.notes) note(ctx, line, 'stdout');
      ctx.stdout.write(`${report.summary}\n`);
      break;
    }
  }
  return ExitCode.ok;
}

interface Fetched {
  sources: Source[];
  cleanup(): void;
}

async function fetchFromTenant(ctx: Context, args: DiagnoseArgs, since: Date): Promise<Fetched> {
  // Loaded here: reading log files, the common run, needs none of the tenant code.
  const { pullLogs } = await import('../../tenant/log-pull.js');
  const tenant = await ctx.tenant();
  const dir = mkdtempSync(path.join(tmpdir(), 'unstick-diagnose-'));
  const sources: Source[] = [];
  const write = (name: string, file: string, text: string) => {
    const full = path.join(dir, file);
    writeFileSync(full, text, { mode: 0o600 });
    sources.push({ name, path: full, size: Buffer.byteLength(text) });
  };
  if (args.tenant) {
    const records: unknown[] = [];
    for await (const page of pullLogs(tenant, { from: null, since, sleep: ctx.sleep })) records.push(...page);
    // A JSON array, as GET /api/v2/logs answers: the readers name its format management-api.
    write('tenant logs', 'tenant-logs.json', JSON.stringify(records, null, 1));
  }
  for (const id of args.jobs) {
    const job = await tenant.jobRecord(id);
    // The Diagnoser joins the errors with their job by job id; the job names its connection as the
    // logs do (Auth0's current spec has `connection` on jobs; older answers carry only the id).
    const connectionId = typeof job.connection_id === 'string' ? job.connection_id : null;
    if (typeof job.connection !== 'string' && connectionId) {
      const name = (await tenant.findConnection(connectionId))?.name;
      if (name) job.connection = name;
    }
    write(`job ${id}`, `${id}.json`, JSON.stringify(job, null, 2));
    write(`job ${id} errors`, `${id}.errors.json`, JSON.stringify(await tenant.jobErrorRecords(id), null, 2));
  }
  return { sources, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** --confirm: each candidate's live classification, from the same observe + classify as repair (one lookup per user). */
async function confirmFindings(ctx: Context, findings: readonly Finding[], connectionFlag: string | undefined): Promise<Confirmations> {
  const [{ classify }, { resolveConnection }, { observe }, { toEvidence }] = await Promise.all([
    import('../../repair/classify.js'),
    import('../../repair/connection.js'),
    import('../../repair/observe.js'),
    import('../evidence.js'),
  ]);
  const tenant = await ctx.tenant();
  const connection = await resolveConnection(tenant, connectionFlag, null);
  const out = new Map<string, { classification: string; reason: string }>();
  for (const f of findings) {
    const observed = await observe(tenant, f.email, connection, toEvidence(f));
    const c = classify(observed);
    out.set(f.email, { classification: c.classification, reason: c.reason });
  }
  return out;
}


/**
 * Rejected inputs and malformed records go to stderr. When no input was usable the run fails:
 * 66 if one could not be read at all, else 65, with one error line instead of the warnings.
 */
function reportInputProblems(ctx: Context, stats: ReadStats, format: LogFormat | undefined): void {
  const rejected = stats.inputs.filter((i) => i.rejected);
  if (rejected.length > 0 && rejected.length === stats.inputs.length) {
    const jsonFormats = LOG_FORMATS.filter((f) => f !== 'text').join(', ');
    const binary = rejected.every((i) => /binary/.test(i.rejected ?? ''));
    // Name the formats tried and the one that reads anything: never "force one" then "drop --format".
    const hint = format
      ? format === 'text'
        ? 'it is not text unstick can read (binary data?): see docs/log-formats.md'
        : `it does not read as --format ${format}; without --format every format is tried, and --format text reads any text line by line`
      : binary
        ? 'binary data is not a log (gzip is read as is): see docs/log-formats.md'
        : `every log format was tried (${jsonFormats}); --format text reads it line by line, finding markers in plain text`;
    if (rejected.length === 1) {
      const only = rejected[0]!;
      if (only.unreadable) throw new InputMissingError(only.name, only.rejected!);
      throw new InputDataError(only.rejected!, only.name, { hint });
    }
    for (const input of rejected) warn(ctx, `${input.name}: ${input.rejected}`);
    if (rejected.some((i) => i.unreadable)) throw new InputMissingError(`all ${rejected.length} inputs`, 'none could be read as a log');
    throw new InputDataError(`none of the ${rejected.length} inputs is an Auth0 log`, undefined, { hint });
  }
  for (const input of rejected) warn(ctx, `${input.name}: ${input.rejected}; skipped`);
  const shown = stats.malformedSamples.slice(0, 5);
  for (const m of shown) warn(ctx, `${m.source.file}:${m.source.line}: malformed record (${m.reason}); skipped`);
  if (stats.malformed > shown.length) {
    warn(ctx, `${plural(stats.malformed - shown.length, 'more malformed record')} (see stats.malformedSamples in --json)`);
  }
}
