import type { ConnectionInfo, UserProfile } from '../../src/tenant/types.js';
import type { ObservedUser, UserEvidence } from '../../src/repair/types.js';

export const LEGACY: ConnectionInfo = { id: 'con_Lg7cYq2RzX4mB9tK', name: 'legacy-db', strategy: 'auth0', customDatabase: true, importMode: true, legacyConnected: true };
export const PLAIN_DB: ConnectionInfo = { id: 'con_Up4aXk9Lm2Qw7Rt1', name: 'Username-Password-Authentication', strategy: 'auth0', customDatabase: false, importMode: false, legacyConnected: false };

export function profile(overrides: Partial<UserProfile> & { user_id: string }): UserProfile {
  const base: UserProfile = {
    user_id: overrides.user_id,
    email: 'jane@acme.com',
    identities: [{ connection: 'legacy-db', provider: 'auth0', user_id: overrides.user_id.replace(/^auth0\|/, ''), isSocial: false }],
    logins_count: 0,
    last_login: null,
    created_at: '2026-11-01T10:00:00.000Z',
    user_metadata: { plan: 'gold' },
    app_metadata: { legacy_id: 42 },
    raw: {},
  };
  const { raw: _raw, ...fields } = { ...base, ...overrides };
  return { ...fields, raw: { ...fields } };
}

export function evidence(latest: string | null, kinds = ['USER_ALREADY_EXISTS'], userIds: string[] = []): UserEvidence {
  return { latest, kinds, occurrences: 1, items: [], userIds };
}

export function observed(profiles: UserProfile[], options: { evidence?: UserEvidence | null; connection?: ConnectionInfo; freeGhostIds?: string[] } = {}): ObservedUser {
  return { email: 'jane@acme.com', connection: options.connection ?? LEGACY, profiles, evidence: options.evidence ?? null, freeGhostIds: options.freeGhostIds ?? [] };
}
