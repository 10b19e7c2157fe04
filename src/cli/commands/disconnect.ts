import { readFileSync } from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { ExitCode, InputDataError, InputMissingError, UnstickError, UsageError } from '../../errors.js';
import { resolveConnection } from '../../repair/connection.js';
import { differences, disconnectPlan, restorePlan, type OptionsChange } from '../../repair/disconnect.js';
import { privateDir, writeNewPrivateFile } from '../../repair/files.js';
import { readVerifyResult } from '../../repair/verify-state.js';
import type { Context } from '../context.js';
import { shortPath } from '../output.js';
import type { DisconnectArgs } from './disconnect.spec.js';

interface OptionsBackup {
  format: 'unstick-connection-options/1';
  taken_at: string;
  tenant: string;
  connection: { id: string; name: string };
  options: Record<string, unknown>;
}

export async function disconnect(ctx: Context, args: DisconnectArgs): Promise<number> {
  if (args.apply && !args.yes && !ctx.canPrompt) throw new UsageError('disconnect --apply changes the connection and needs confirmation: pass --yes when stdin is not a terminal');
  const stateDir = path.resolve(ctx.cwd, args.stateDir);
  const backup = args.restore ? readBackup(path.resolve(ctx.cwd, args.restore)) : null;
  const tenant = await ctx.tenant();
  if (backup && backup.tenant !== tenant.domain) throw new UsageError(`${args.restore} is a backup of ${backup.tenant}, not ${tenant.domain}`);
  const connection = await resolveConnection(tenant, args.connection ?? backup?.connection.id, null);
  if (backup && connection.id !== backup.connection.id) {
    throw new UsageError(`${args.restore} is a backup of ${backup.connection.name} (${backup.connection.id}), not of ${connection.name} (${connection.id})`);
  }
  const current = await tenant.connectionOptions(connection.id);
  if (!current) throw new UsageError(`the connection ${connection.name} (${connection.id}) does not exist`);

  let next: Record<string, unknown>;
  let changes: OptionsChange[];
  if (backup) ({ next, changes } = restorePlan(current, backup.options));
  else {
    const plan = disconnectPlan(current);
    if (plan.refusal) throw new UnstickError(`refusing to disconnect ${connection.name}: ${plan.refusal}`, ExitCode.someFailed);
    ({ next, changes } = plan);
    const verified = readVerifyResult(stateDir, tenant.domain, connection.id);
    const unmigrated = verified ? verified.totals.expected - verified.totals.migrated : null;
    const invalid = verified?.totals.invalid ?? 0;
    if (!args.force && changes.length > 0 && (verified === null || unmigrated !== 0 || verified.totals.expected === 0 || invalid > 0)) {
      const why =
        verified === null
          ? 'unstick verify has not been run for this connection'
          : verified.totals.expected === 0
            ? `unstick verify (${verified.at}) checked no user at all`
            : invalid > 0
              ? `unstick verify (${verified.at}) skipped ${invalid} invalid row(s) of its input`
              : `unstick verify (${verified.at}) reported ${unmigrated} of ${verified.totals.expected} users not migrated`;
      throw new UnstickError(`refusing to disconnect ${connection.name}: ${why}; users not migrated cannot log in once the store is disconnected`, ExitCode.someFailed, {
        hint: 'run unstick verify <expected.csv> until it reports 100 % migrated (or pass --force)',
      });
    }
  }

  const out = { tenant: tenant.domain, connection: { id: connection.id, name: connection.name }, action: backup ? 'restore' : 'disconnect', changes: changes.map((c) => c.key), applied: false, backup: null as string | null };
  const describe = () => {
    ctx.stderr.write(`${connection.name} (${connection.id}) on ${tenant.domain}:\n`);
    if (changes.length === 0) ctx.stderr.write(`  nothing to change: the scripts are already ${backup ? 'as in the backup' : 'no-ops'}\n`);
    for (const c of changes) ctx.stderr.write(`  ${c.key}: ${summary(c.before)} -> ${summary(c.after)}\n`);
    if (changes.length > 0) ctx.stderr.write(`  unchanged: every other option (import mode stays ${current.import_mode === true ? 'on' : 'off'})\n`);
  };
  describe();
  if (changes.length === 0 || !args.apply) {
    if (changes.length > 0) ctx.stderr.write('dry run: nothing changed (add --apply)\n');
    return finish(ctx, args.json, out);
  }
  if (!args.yes && !(await ctx.prompt.confirm(`${backup ? 'Restore' : 'Disconnect'} the legacy store of ${connection.name} on ${tenant.domain}?`, { default: false }))) {
    ctx.stderr.write('nothing changed\n');
    return ExitCode.someFailed;
  }
  out.backup = saveBackup(stateDir, { format: 'unstick-connection-options/1', taken_at: ctx.now().toISOString(), tenant: tenant.domain, connection: { id: connection.id, name: connection.name }, options: current });
  ctx.stderr.write(`backup of the current options: ${out.backup}\n`);
  await tenant.replaceConnectionOptions(connection.id, next);
  const after = (await tenant.connectionOptions(connection.id)) ?? {};
  if (!isDeepStrictEqual(after, next)) {
    throw new UnstickError(`${connection.name} does not read back as sent: ${differences(after, next).join(', ')} differ`, ExitCode.someFailed, { hint: `the options before the change are in ${out.backup}` });
  }
  out.applied = true;
  ctx.stderr.write(`done: read back, only ${changes.map((c) => c.key).join(' and ')} changed${backup ? '' : `; undo with: unstick disconnect --restore ${shortPath(ctx.cwd, out.backup)} --apply`}\n`);
  return finish(ctx, args.json, out);
}

function finish(ctx: Context, json: boolean, out: object): number {
  if (json) ctx.stdout.write(JSON.stringify(out, null, 2) + '\n');
  return ExitCode.ok;
}

function summary(v: unknown): string {
  if (v === null || v === undefined) return '(none)';
  const text = String(v).replace(/\s+/g, ' ').trim();
  return text.length > 70 ? `${text.slice(0, 67)}...` : text;
}

function saveBackup(stateDir: string, backup: OptionsBackup): string {
  const dir = path.join(stateDir, 'connections');
  privateDir(dir);
  const stem = `${backup.taken_at.replace(/[:.]/g, '-')}_${backup.connection.name.replace(/[^\w.-]/g, '_')}`;
  for (let n = 0; ; n++) {
    const file = path.join(dir, `${stem}${n ? `.${n}` : ''}.json`);
    if (writeNewPrivateFile(file, JSON.stringify(backup, null, 2) + '\n')) return file;
  }
}

function readBackup(file: string): OptionsBackup {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new InputMissingError(file);
  }
  try {
    const b = JSON.parse(text) as OptionsBackup;
    const ok = b?.format === 'unstick-connection-options/1' && typeof b.options === 'object' && b.options !== null && !Array.isArray(b.options) && typeof b.connection?.id === 'string' && typeof b.tenant === 'string';
    if (!ok) throw new Error();
    return b;
  } catch {
    throw new InputDataError('not a connection backup written by unstick disconnect', file);
  }
}
