import type { ConnectionInfo, TenantApi } from '../tenant/types.js';
import type { ObservedUser, UserEvidence } from './types.js';

/** Auth0 stores database emails trimmed and lowercased; users-by-email is case-sensitive. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/**
 * Read-only lookups for one email: users-by-email (immediately consistent, unlike GET /users search),
 * then get-by-id for each ghost id candidate, which counts only when no profile holds it.
 */
export async function observe(
  tenant: TenantApi,
  email: string,
  connection: ConnectionInfo,
  evidence: UserEvidence | null,
  extraGhostIds: readonly string[] = [],
): Promise<ObservedUser> {
  const normalized = normalizeEmail(email);
  const profiles = await tenant.usersByEmail(normalized);
  const held = new Set(profiles.flatMap((p) => [p.user_id, ...p.identities.map((i) => `${i.provider}|${i.user_id}`)]));
  const candidates = [...new Set([...(evidence?.userIds ?? []), ...extraGhostIds])].filter((id) => /^auth0\|\S+$/.test(id) && !held.has(id));
  const freeGhostIds: string[] = [];
  for (const id of candidates) {
    if ((await tenant.getUser(id)) === null) freeGhostIds.push(id);
  }
  return { email: normalized, connection, profiles, evidence, freeGhostIds };
}
