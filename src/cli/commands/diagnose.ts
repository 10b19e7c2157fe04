import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Diagnoser } from '../../diagnose/findings.js';
import { csvTable, humanReport, toJson } from '../../diagnose/report.js';
import { ExitCode, InputDataError, InputMissingError, UsageError } from '../../errors.js';
import { expandInputs } from '../../logs/inputs.js';
import { readLogs, type ReadStats } from '../../logs/reader.js';
import type { LogFormat } from '../../logs/types.js';
import type { Context } from '../context.js';
import { csvRow, note, plural, renderTable, warn } from '../output.js';
import { ByteProgress } from '../progress.js';
import { parseTimeOption, parseZoneOption } from '../time.js';
import type { DiagnoseArgs } from './diagnose.spec.js';

/** Files at least this large are split across worker threads when they are line-delimited JSON. */
const PARALLEL_MIN_BYTES = 64 * 1024 * 1024;

/** Read the inputs → diagnose → render (src/diagnose/report.ts) in the chosen output. */
export async function diagnose(ctx: Context, args: DiagnoseArgs): Promise<number> {
  const now = ctx.now();
  const since = args.since ? parseTimeOption('--since', args.since, now) : null;
  const until = args.until ? parseTimeOption('--until', args.until, now) : null;
  if (since && until && since > until) throw new UsageError('--since is after --until: the window is empty');
  const zone = parseZoneOption(args.tz);
  if (args.inputs.filter((i) => i === '-').length > 1) throw new UsageError('"-" (stdin) can be given only once');
  const sources = await expandInputs(args.inputs);
  if (sources.some((s) => s.path === null) && ctx.stdin.isTTY) ctx.stderr.write('reading log lines from stdin (Ctrl+D to end)\n');

  const diagnoser = new Diagnoser({ since, until, connection: args.connection ?? null });
  const progress = new ByteProgress(ctx, 'Scanning');
  const stats = await readLogs(
    sources,
    { format: args.format, parallel: parallelPlan(), onProgress: (d, t) => progress.update(d, t), stdin: ctx.stdin, signal: ctx.signal },
    (event) => diagnoser.add(event),
  ).finally(() => progress.done());

  reportInputProblems(ctx, stats, args.format);
  const diagnosis = diagnoser.result();
  switch (args.output) {
    case 'json':
      ctx.stdout.write(JSON.stringify(toJson(diagnosis, stats), null, 2) + '\n');
      break;
    case 'csv': {
      const csv = csvTable(diagnosis.findings);
      ctx.stdout.write(csvRow(csv.header));
      for (const row of csv.rows) ctx.stdout.write(csvRow(row, csv.verbatim));
      break;
    }
    case 'human': {
      const c = ctx.color.out;
      const report = humanReport(diagnosis, stats, { zone, style: c });
      if (report.table) ctx.stdout.write(renderTable(report.table.headers, report.table.rows, (h) => c.dim(h)) + '\n');
      for (const line of report.notes) note(ctx, line, 'stdout');
      ctx.stdout.write(`${report.summary}\n`);
      break;
    }
  }
  return ExitCode.ok;
}

function parallelPlan() {
  // Workers need the compiled worker file: present when running from dist/ (the CLI), absent under vitest's TS sources.
  const workerUrl = new URL('../../logs/scan-worker.js', import.meta.url);
  if (!existsSync(fileURLToPath(workerUrl))) return null;
  return { workerUrl, workers: Math.min(2, availableParallelism()), minBytes: PARALLEL_MIN_BYTES };
}

/**
 * Rejected inputs and malformed records go to stderr. When no input was usable the run fails:
 * 66 if one could not be read at all, else 65, with one error line instead of the warnings.
 */
function reportInputProblems(ctx: Context, stats: ReadStats, format: LogFormat | undefined): void {
  const rejected = stats.inputs.filter((i) => i.rejected);
  if (rejected.length > 0 && rejected.length === stats.inputs.length) {
    const hint = format
      ? `the input does not read as --format ${format}; drop --format to let unstick detect the format`
      : 'see docs/log-formats.md for the formats unstick reads, or force one with --format';
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
