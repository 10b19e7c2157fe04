import { UsageError } from '../errors.js';
import type { ConnectionInfo, TenantApi } from '../tenant/types.js';

/**
 * The target connection: `--connection NAME|ID`; without it, the single custom database with import
 * mode on; when there are several (or none), the front end may ask, else the run fails listing them.
 */
export async function resolveConnection(
  tenant: TenantApi,
  flag: string | undefined,
  ask: ((candidates: ConnectionInfo[]) => Promise<ConnectionInfo>) | null,
): Promise<ConnectionInfo> {
  if (flag) {
    const found = await tenant.findConnection(flag);
    if (!found) {
      const names = (await tenant.databaseConnections()).map((c) => c.name);
      throw new UsageError(`no connection ${JSON.stringify(flag)} on ${tenant.domain}`, { hint: names.length ? `database connections: ${names.join(', ')}` : 'the tenant has no database connection' });
    }
    if (found.strategy !== 'auth0') throw new UsageError(`${found.name} is a ${found.strategy} connection: stuck migrations happen on database connections`);
    return found;
  }
  const databases = await tenant.databaseConnections();
  const migrating = databases.filter((c) => c.customDatabase && c.importMode);
  if (migrating.length === 1) return migrating[0]!;
  const candidates = migrating.length > 1 ? migrating : databases;
  if (candidates.length === 0) throw new UsageError(`${tenant.domain} has no database connection`);
  if (ask) return ask(candidates);
  const why = migrating.length > 1 ? 'several custom database connections import users' : 'no custom database connection has import mode on';
  throw new UsageError(`${why}: name one with --connection`, { hint: `candidates: ${candidates.map((c) => `${c.name} (${c.id})`).join(', ')}` });
}
