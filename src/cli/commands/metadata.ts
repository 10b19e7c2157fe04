import path from 'node:path';
import { ExitCode, UsageError } from '../../errors.js';
import { resolveConnection } from '../../repair/connection.js';
import { remainingOn } from '../../repair/execute.js';
import { Journal, journaled } from '../../repair/journal.js';
import { missingKeys, patchKeys, readBackups, readLegacyMetadata, type MetadataSource } from '../../repair/metadata.js';
import { TenantApiError } from '../../tenant/errors.js';
import type { Context } from '../context.js';
import { plural, renderTable } from '../output.js';
import type { MetadataArgs } from './metadata.spec.js';

interface Row {
  email: string;
  outcome: 'patched' | 'planned' | 'nothing-to-do' | 'skipped' | 'failed';
  user_id: string | null;
  keys: { user_metadata: string[]; app_metadata: string[] };
  detail: string;
}

export async function metadata(ctx: Context, args: MetadataArgs): Promise<number> {
  if (args.action === 'action') return (await import('./metadata-action.js')).metadataAction(ctx, args);
  if (args.apply && !args.yes && !ctx.canPrompt) throw new UsageError(`metadata ${args.action} --apply changes profiles and needs confirmation: pass --yes when stdin is not a terminal`);
  const stateDir = path.resolve(ctx.cwd, args.stateDir);
  const sources: MetadataSource[] = args.action === 'restore' ? readBackups(args.from ? path.resolve(ctx.cwd, args.from) : path.join(stateDir, 'backups')) : readLegacyMetadata(path.resolve(ctx.cwd, args.from!));
  const tenant = await ctx.tenant();
  const connection = await resolveConnection(tenant, args.connection, null);
  if (args.apply && !args.yes) {
    const ok = await ctx.prompt.confirm(`Set missing metadata for up to ${plural(sources.length, 'user')} on ${tenant.domain} (connection ${connection.name})? Existing keys are never changed`, { default: false });
    if (!ok) {
      ctx.stderr.write('nothing changed\n');
      return ExitCode.someFailed;
    }
  }
  const journal = new Journal(path.join(stateDir, 'journal.ndjson'), `${ctx.now().toISOString()}-metadata`, tenant.domain, ctx.now);
  const rows: Row[] = [];
  try {
    for (const source of sources) rows.push(await one(source));
  } finally {
    journal.close();
  }

  async function one(source: MetadataSource): Promise<Row> {
    const none = { user_metadata: [], app_metadata: [] };
    if (source.tenant !== undefined && (source.tenant !== tenant.domain || (source.connectionId !== undefined && source.connectionId !== connection.id))) {
      return { email: source.email, outcome: 'skipped', user_id: null, keys: none, detail: `the backup (${source.from}) was taken on ${source.tenant}, connection ${source.connectionId ?? '?'}: not restored here` };
    }
    const profiles = remainingOn(await tenant.usersByEmail(source.email), connection.name);
    if (profiles.length === 0) return { email: source.email, outcome: 'skipped', user_id: null, keys: none, detail: `no profile on ${connection.name} yet: run again once the user has migrated` };
    if (profiles.length > 1) return { email: source.email, outcome: 'skipped', user_id: null, keys: none, detail: `${profiles.length} profiles on ${connection.name}: fix the duplicate first` };
    const profile = profiles[0]!;
    const patch = missingKeys(profile, source);
    const keys = patchKeys(patch);
    if (keys.user_metadata.length + keys.app_metadata.length === 0) {
      const empty = Object.keys(source.user_metadata).length + Object.keys(source.app_metadata).length === 0;
      return { email: source.email, outcome: 'nothing-to-do', user_id: profile.user_id, keys, detail: empty ? `${args.action === 'restore' ? 'the backup' : 'the export'} holds no metadata for this user` : 'every key is already there' };
    }
    if (!args.apply) return { email: source.email, outcome: 'planned', user_id: profile.user_id, keys, detail: `would set ${describe(keys)}` };
    // The journal holds which keys, never their values: metadata is personal data.
    try {
      await journaled(journal, source.email, `metadata ${args.action}`, { user_id: profile.user_id, ...keys }, () => tenant.updateMetadata(profile.user_id, patch));
    } catch (err) {
      if (!(err instanceof TenantApiError)) throw err;
      return { email: source.email, outcome: 'failed', user_id: profile.user_id, keys, detail: err.message };
    }
    return { email: source.email, outcome: 'patched', user_id: profile.user_id, keys, detail: `set ${describe(keys)}` };
  }

  if (args.json) ctx.stdout.write(JSON.stringify({ tenant: tenant.domain, connection: { id: connection.id, name: connection.name }, dryRun: !args.apply, users: rows }, null, 2) + '\n');
  else {
    ctx.stdout.write(renderTable(['EMAIL', 'OUTCOME', 'WHAT'], rows.map((r) => [r.email, r.outcome, r.detail])));
    if (!args.apply && rows.some((r) => r.outcome === 'planned')) ctx.stdout.write('dry run: nothing changed (add --apply)\n');
  }
  return rows.every((r) => r.outcome !== 'failed' && r.outcome !== 'skipped') ? ExitCode.ok : ExitCode.someFailed;
}

function describe(keys: { user_metadata: string[]; app_metadata: string[] }): string {
  const parts = [];
  if (keys.user_metadata.length) parts.push(`user_metadata ${keys.user_metadata.join(', ')}`);
  if (keys.app_metadata.length) parts.push(`app_metadata ${keys.app_metadata.join(', ')}`);
  return parts.join('; ');
}
