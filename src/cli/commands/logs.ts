import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, readSync, renameSync, statSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { nextCommand } from '../../diagnose/report.js';
import { classify, PRIMARY_KINDS } from '../../diagnose/rules.js';
import { ExitCode, InterruptedError } from '../../errors.js';
import { recordToEvents } from '../../logs/records.js';
import { pullLogs } from '../../tenant/log-pull.js';
import type { TenantLogRecord } from '../../tenant/types.js';
import type { Context } from '../context.js';
import { plural } from '../output.js';
import { parseTimeOption } from '../time.js';
import type { LogsArgs } from './logs.spec.js';

interface Checkpoint {
  format: 'unstick-logs-checkpoint/1';
  tenant: string;
  log_id: string;
  date: string | null;
  updated_at: string;
}

/** `unstick logs pull`: the tenant's logs, page by page, with a checkpoint saved after each page is written. */
export async function logs(ctx: Context, args: LogsArgs): Promise<number> {
  const since = parseTimeOption('--since', args.since, ctx.now()).toJSDate();
  const out = args.out ? path.resolve(ctx.cwd, args.out) : null;
  const checkpointFile = args.checkpoint ? path.resolve(ctx.cwd, args.checkpoint) : out ? `${out}.checkpoint.json` : path.resolve(ctx.cwd, 'unstick-state', 'logs.checkpoint.json');
  const tenant = await ctx.tenant();
  const saved = readCheckpoint(checkpointFile, tenant.domain);
  // A crash between writing a page and saving the checkpoint must not write that page twice.
  const lastWritten = out ? lastLogId(out) : null;
  const from = maxLogId(saved?.log_id ?? null, lastWritten);
  if (from) ctx.stderr.write(`resuming after log_id ${from} (${checkpointFile})\n`);

  const keep = args.types ? new Set(args.types) : null;
  const fd = out ? openSync(out, 'a', 0o600) : null;
  const candidatesTo = out ? ctx.stdout : ctx.stderr;
  let pulled = 0;
  let kept = 0;
  let last: TenantLogRecord | null = null;
  try {
    const pages = pullLogs(tenant, { from, since, followEveryMs: args.follow ? args.everySeconds * 1000 : null, sleep: ctx.sleep });
    for await (const page of pages) {
      const lines = page.filter((r) => !keep || keep.has(String(r.type))).map((r) => JSON.stringify(r) + '\n');
      if (fd !== null) {
        writeSync(fd, lines.join(''));
        fsyncSync(fd);
      } else ctx.stdout.write(lines.join(''));
      pulled += page.length;
      kept += lines.length;
      last = page.at(-1)!;
      saveCheckpoint(checkpointFile, { format: 'unstick-logs-checkpoint/1', tenant: tenant.domain, log_id: String(last.log_id), date: typeof last.date === 'string' ? last.date : null, updated_at: ctx.now().toISOString() });
      if (args.follow) for (const record of page) announce(record, candidatesTo);
    }
  } catch (err) {
    // Ctrl+C is how --follow ends: the checkpoint is already saved.
    if (!(err instanceof InterruptedError && args.follow)) {
      if (err instanceof InterruptedError) ctx.stderr.write(`stopped; the checkpoint is saved: running the same command again continues (${checkpointFile})\n`);
      throw err;
    }
  } finally {
    if (fd !== null) closeSync(fd);
  }
  ctx.stderr.write(`${plural(pulled, 'record')} read, ${kept} kept${last ? `, up to log_id ${String(last.log_id)}` : ''}; checkpoint ${checkpointFile}\n`);
  return ExitCode.ok;
}

/** A new record that shows a stuck-user candidate, one line. */
function announce(record: TenantLogRecord, to: NodeJS.WritableStream): void {
  for (const event of recordToEvents(record, { file: 'tenant logs', line: 0 }, { inArray: true })?.events ?? []) {
    const verdict = classify(event);
    if (!verdict || !('kind' in verdict) || !PRIMARY_KINDS.has(verdict.kind) || !event.email) continue;
    const connection = event.connection ?? event.connectionId;
    to.write(`candidate  ${event.time?.toUTC().toISO() ?? '-'}  ${event.email}  ${verdict.kind}  ${connection ?? '-'}  -> ${nextCommand({ email: event.email, connections: connection ? [connection] : [] })}\n`);
  }
}

function readCheckpoint(file: string, tenant: string): Checkpoint | null {
  try {
    const c = JSON.parse(readFileSync(file, 'utf8')) as Checkpoint;
    return c.format === 'unstick-logs-checkpoint/1' && c.tenant === tenant && /^\d+$/.test(c.log_id) ? c : null;
  } catch {
    return null;
  }
}

function saveCheckpoint(file: string, c: Checkpoint): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const aside = `${file}.${process.pid}.tmp`;
  writeFileSync(aside, JSON.stringify(c, null, 2) + '\n', { mode: 0o600 });
  renameSync(aside, file);
}

/** The log_id of the last complete line of an NDJSON file, if any. */
function lastLogId(file: string): string | null {
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    return null;
  }
  const length = Math.min(size, 256 * 1024);
  const buf = Buffer.alloc(length);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, buf, 0, length, size - length);
  } finally {
    closeSync(fd);
  }
  const lines = buf.toString('utf8').split('\n').filter(Boolean);
  for (let i = lines.length - 1; i >= 0; i--) {
    try {
      const id = (JSON.parse(lines[i]!) as { log_id?: unknown }).log_id;
      if (typeof id === 'string' && /^\d+$/.test(id)) return id;
    } catch {
      // a line cut by a crash, or the start of a line cut by the window
    }
  }
  return null;
}

/** log_ids are long digit strings ordered numerically. */
function maxLogId(a: string | null, b: string | null): string | null {
  if (!a) return b;
  if (!b) return a;
  return a.length !== b.length ? (a.length > b.length ? a : b) : a > b ? a : b;
}
