import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { DateTime } from 'luxon';
import { Diagnoser, type Diagnosis, type Evidence, type Finding } from '../../diagnose/findings.js';
import { ExitCode, InputDataError, InputMissingError, UsageError } from '../../errors.js';
import { expandInputs } from '../../logs/inputs.js';
import { readLogs, type ReadStats } from '../../logs/reader.js';
import type { LogFormat } from '../../logs/types.js';
import type { Context } from '../context.js';
import { csvRow, plural, renderTable } from '../output.js';
import { ByteProgress } from '../progress.js';
import { parseTimeOption, parseZoneOption } from '../time.js';

export interface DiagnoseArgs {
  inputs: string[];
  since?: string | undefined;
  until?: string | undefined;
  connection?: string | undefined;
  json?: boolean | undefined;
  csv?: boolean | undefined;
  tz?: string | undefined;
  format?: LogFormat | undefined;
}

/** Files at least this large are split across worker threads when they are line-delimited JSON. */
const PARALLEL_MIN_BYTES = 64 * 1024 * 1024;

export async function diagnose(ctx: Context, args: DiagnoseArgs): Promise<number> {
  const now = ctx.now();
  const since = args.since ? parseTimeOption('--since', args.since, now) : null;
  const until = args.until ? parseTimeOption('--until', args.until, now) : null;
  if (since && until && since > until) throw new UsageError('--since is after --until: the window is empty');
  const zone = args.tz ? parseZoneOption(args.tz) : 'UTC';
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
  if (args.json) ctx.stdout.write(JSON.stringify(toJson(diagnosis, stats), null, 2) + '\n');
  else if (args.csv) writeCsv(ctx, diagnosis.findings);
  else writeHuman(ctx, diagnosis, stats, zone);
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
  const warn = ctx.color.err.yellow('warning:');
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
    for (const input of rejected) ctx.stderr.write(`${warn} ${input.name}: ${input.rejected}\n`);
    if (rejected.some((i) => i.unreadable)) throw new InputMissingError(`all ${rejected.length} inputs`, 'none could be read as a log');
    throw new InputDataError(`none of the ${rejected.length} inputs is an Auth0 log`, undefined, { hint });
  }
  for (const input of rejected) ctx.stderr.write(`${warn} ${input.name}: ${input.rejected}; skipped\n`);
  const shown = stats.malformedSamples.slice(0, 5);
  for (const m of shown) ctx.stderr.write(`${warn} ${m.source.file}:${m.source.line}: malformed record (${m.reason}); skipped\n`);
  if (stats.malformed > shown.length) {
    ctx.stderr.write(`${warn} ${plural(stats.malformed - shown.length, 'more malformed record')} (see stats.malformedSamples in --json)\n`);
  }
}

/** Quotes for a POSIX shell unless plainly safe; log text is attacker-controlled (a signup body). */
function shellWord(value: string): string {
  const clean = value.replace(/[\u0000-\u001f\u007f]/g, '');
  return /^[A-Za-z0-9._%+@:=\/-]+$/.test(clean) ? clean : `'${clean.replace(/'/g, "'\\''")}'`;
}

/**
 * The command to run next. A value from the logs never becomes a flag: one starting with "-" is
 * written as `--connection=value`, and an email starting with "-" comes after `--`.
 */
export function nextCommand(finding: Finding): string {
  const email = shellWord(finding.email);
  const conn = finding.connections.length === 1 ? shellWord(finding.connections[0]!) : null;
  const connection = conn === null ? '' : conn.startsWith('-') ? ` --connection=${conn}` : ` --connection ${conn}`;
  return email.startsWith('-') ? `unstick repair${connection} -- ${email}` : `unstick repair ${email}${connection}`;
}

function iso(t: DateTime | null): string | null {
  return t ? t.toUTC().toISO() : null;
}

function evidenceJson(e: Evidence) {
  return { source: `${e.source.file}:${e.source.line}`, time: iso(e.time), type: e.type, description: e.description };
}

const RELATED_NOTE = 'an import or email-change conflict, not a stuck migration: check the legacy store for a stale or shared email';

function toJson(d: Diagnosis, stats: ReadStats) {
  const formats: Record<string, number> = {};
  for (const input of stats.inputs) if (input.format) formats[input.format] = (formats[input.format] ?? 0) + input.records;
  return {
    findings: d.findings.map((f) => ({
      email: f.email,
      kinds: f.kinds,
      occurrences: f.occurrences,
      firstSeen: iso(f.firstSeen),
      lastSeen: iso(f.lastSeen),
      connections: f.connections,
      evidence: f.evidence.map(evidenceJson),
      next: nextCommand(f),
    })),
    related: d.related.map((f) => ({
      email: f.email,
      kinds: f.kinds,
      occurrences: f.occurrences,
      lastSeen: iso(f.lastSeen),
      connections: f.connections,
      note: RELATED_NOTE,
      evidence: f.evidence.map(evidenceJson),
    })),
    jobFailures: d.jobFailures.map(evidenceJson),
    inFileDuplicates: d.inFileDuplicates.map((x) => ({
      email: x.email,
      occurrences: x.occurrences,
      note: 'appears more than once in one import file: not a stuck user; de-duplicate the file and import again',
      evidence: x.evidence.map(evidenceJson),
    })),
    stats: {
      records: stats.records,
      malformed: stats.malformed,
      events: stats.events,
      bytes: stats.bytes,
      users: d.findings.length,
      unattributed: d.unattributed,
      excluded: d.excluded,
      formats,
      inputs: stats.inputs,
      malformedSamples: stats.malformedSamples.map((m) => ({ source: `${m.source.file}:${m.source.line}`, reason: m.reason })),
    },
  };
}

const EMAIL_COLUMN = new Set([0]);

/** Stuck users only: this file is the batch-repair input, so the email column is written verbatim. */
function writeCsv(ctx: Context, findings: Finding[]): void {
  ctx.stdout.write(csvRow(['email', 'kinds', 'occurrences', 'first_seen', 'last_seen', 'connections', 'next_command']));
  for (const f of findings) {
    ctx.stdout.write(
      csvRow([
        f.email,
        f.kinds.join(';'),
        String(f.occurrences),
        iso(f.firstSeen) ?? '',
        iso(f.lastSeen) ?? '',
        f.connections.join(';'),
        nextCommand(f),
      ], EMAIL_COLUMN),
    );
  }
}

function writeHuman(ctx: Context, d: Diagnosis, stats: ReadStats, zone: string): void {
  const c = ctx.color.out;
  const when = (t: DateTime | null) => {
    if (!t) return 'unknown';
    const z = t.setZone(zone === 'local' ? 'system' : zone);
    return z.offset === 0 ? `${z.toFormat('yyyy-LL-dd HH:mm:ss')} UTC` : z.toFormat('yyyy-LL-dd HH:mm:ss ZZ');
  };
  if (d.findings.length > 0) {
    const rows = d.findings.map((f) => [c.bold(f.email), f.kinds.join(', '), String(f.occurrences), when(f.lastSeen), c.cyan(nextCommand(f))]);
    ctx.stdout.write(renderTable(['EMAIL', 'KINDS', 'SEEN', 'LAST SEEN', 'NEXT'], rows, (h) => c.dim(h)));
    ctx.stdout.write('\n');
  }
  for (const x of d.inFileDuplicates) {
    const where = x.evidence[0] ? ` (${x.evidence[0].source.file}:${x.evidence[0].source.line})` : '';
    ctx.stdout.write(`${c.yellow('note:')} ${x.email} appears more than once in one import file${where}: not a stuck user; de-duplicate the file and import again\n`);
  }
  const at = (e: Evidence | undefined) => (e ? ` (${e.source.file}:${e.source.line})` : '');
  for (const f of d.related) {
    ctx.stdout.write(`${c.yellow('note:')} ${f.email}: ${f.kinds.join(', ')}${at(f.evidence[0])}: ${RELATED_NOTE}\n`);
  }
  for (const e of d.jobFailures) ctx.stdout.write(`${c.yellow('note:')} an import job failed as a whole${at(e)}: ${e.description}\n`);
  if (d.unattributed > 0) {
    ctx.stdout.write(`${c.yellow('note:')} ${plural(d.unattributed, 'marker')} without an email to attribute them to${at(d.unattributedEvidence[0])}\n`);
  }
  if (d.excluded.undated > 0) {
    ctx.stdout.write(`${c.yellow('note:')} ${plural(d.excluded.undated, 'undated marker event')} left out by --since/--until (pasted console lines, import errors)\n`);
  }
  if (d.excluded.noConnection > 0) {
    ctx.stdout.write(`${c.yellow('note:')} ${plural(d.excluded.noConnection, 'marker event')} naming no connection left out by --connection\n`);
  }
  const byFormat = new Map<string, { records: number; malformed: number }>();
  for (const input of stats.inputs) {
    if (!input.format) continue;
    const f = byFormat.get(input.format) ?? { records: 0, malformed: 0 };
    f.records += input.records;
    f.malformed += input.malformed;
    byFormat.set(input.format, f);
  }
  const formats =
    [...byFormat]
      .map(([name, f]) => `${name} ${f.records.toLocaleString('en-US')}${f.malformed ? ` + ${f.malformed.toLocaleString('en-US')} malformed` : ''}`)
      .join(', ') || 'none';
  const users = d.findings.length === 0 ? c.green('no stuck users found') : c.bold(`${plural(d.findings.length, 'stuck user')}`);
  ctx.stdout.write(
    `${users}; read ${plural(stats.records, 'record')} from ${plural(stats.inputs.length, 'input')} (${formats}), ${plural(stats.malformed, 'malformed record')}\n`,
  );
}
