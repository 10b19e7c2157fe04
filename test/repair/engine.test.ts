import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BackupStore } from '../../src/repair/backup.js';
import { repairOne, type RepairHooks } from '../../src/repair/engine.js';
import { Journal } from '../../src/repair/journal.js';
import type { TenantApi, UserProfile } from '../../src/tenant/types.js';
import { LEGACY, profile } from './fixtures.js';

/**
 * "Several profiles on one connection" cannot be built in the sandbox (its store, like Auth0's,
 * holds one entry per email), so this case runs the engine over an in-memory TenantApi.
 */
function memoryTenant(profiles: UserProfile[]) {
  const calls: string[] = [];
  const used: Partial<TenantApi> = {
    domain: 'memory.test',
    pacing: () => null,
    usersByEmail: async (email) => profiles.filter((p) => p.email === email),
    getUser: async (id) => profiles.find((p) => p.user_id === id) ?? null,
    deleteUser: async (id) => {
      calls.push(`DELETE user ${id}`);
      profiles = profiles.filter((p) => p.user_id !== id);
    },
    deleteConnectionUser: async (id, email) => void calls.push(`DELETE connection user ${id} ${email}`),
    databaseConnections: async () => [LEGACY],
    findConnection: async () => LEGACY,
  };
  // Any other call is a test bug: it fails loudly.
  const tenant = new Proxy(used, {
    get: (target, key) => (key in target ? target[key as keyof TenantApi] : () => Promise.reject(new Error(`memory tenant: ${String(key)} is not used here`))),
  }) as TenantApi;
  return { tenant, calls };
}

function deps(tenant: TenantApi) {
  const dir = mkdtempSync(path.join(tmpdir(), 'unstick-engine-'));
  const now = () => new Date('2026-12-01T10:00:00.000Z');
  return { tenant, journal: new Journal(path.join(dir, 'journal.ndjson'), 'run', tenant.domain, now), backups: new BackupStore(path.join(dir, 'backups')), now, sleep: async () => {} };
}

const hooks = (choice: string | null): RepairHooks => ({
  show: () => {},
  choose: async (_o, candidates) => candidates.find((p) => p.user_id === choice) ?? null,
  decide: async () => true,
  reattempt: async () => ({ mode: 'none' }),
});

const request = { email: 'jane@acme.com', connection: LEGACY, evidence: null, force: false, dryRun: false, legacy: null };

describe('several profiles on the target connection', () => {
  it('without a choice: skipped, nothing deleted', async () => {
    const { tenant, calls } = memoryTenant([profile({ user_id: 'auth0|a' }), profile({ user_id: 'auth0|b' })]);
    const result = await repairOne(request, deps(tenant), hooks(null));
    expect(result).toMatchObject({ outcome: 'skipped', classification: 'several' });
    expect(calls).toEqual([]);
  });

  it('the chosen one is backed up and deleted; the other is kept, so the store entry is not cleared', async () => {
    const { tenant, calls } = memoryTenant([profile({ user_id: 'auth0|a' }), profile({ user_id: 'auth0|b' })]);
    const result = await repairOne(request, deps(tenant), hooks('auth0|b'));
    expect(result).toMatchObject({ outcome: 'repaired', classification: 'stuck-profile', backup: expect.stringContaining('auth0_b') });
    expect(calls).toEqual(['DELETE user auth0|b']);
    expect(result.steps.map((s) => s.step)).toEqual(['backup auth0|b', 'delete-user auth0|b', 'verify', 'reattempt none']);
  });
});
