import { describe, expect, it } from 'vitest';
import { classify, classifyProfile } from '../../src/repair/classify.js';
import { describeStep, planRepair } from '../../src/repair/plan.js';
import { evidence, LEGACY, observed, PLAIN_DB, profile } from './fixtures.js';

const stuck = profile({ user_id: 'auth0|1001' });
const healthy = profile({ user_id: 'auth0|1002', logins_count: 7, last_login: '2026-11-20T09:00:00.000Z' });

describe('classification from live state', () => {
  it('no profile on the connection is a ghost suspect, with or without evidence', () => {
    expect(classify(observed([])).classification).toBe('ghost-suspect');
    expect(classify(observed([])).reason).toMatch(/cannot confirm/);
    const withLogs = classify(observed([], { evidence: evidence('2026-11-21T00:00:00.000Z') }));
    expect(withLogs.classification).toBe('ghost-suspect');
    expect(withLogs.reason).toMatch(/USER_ALREADY_EXISTS/);
  });

  it('a profile on another connection only does not count as on the target connection', () => {
    const elsewhere = profile({ user_id: 'auth0|9', identities: [{ connection: 'Username-Password-Authentication', provider: 'auth0', user_id: '9', isSocial: false }] });
    const c = classify(observed([elsewhere]));
    expect(c.classification).toBe('ghost-suspect');
    expect(c.onConnection).toEqual([]);
  });

  it('an imported profile that never logged in is a stuck profile', () => {
    const c = classify(observed([stuck], { evidence: evidence('2026-11-21T00:00:00.000Z', ['DUPLICATED_USER']) }));
    expect(c).toMatchObject({ classification: 'stuck-profile', target: stuck });
    expect(c.reason).toMatch(/never logged in/);
  });

  it('a profile that has logged in is healthy, even when the evidence is later (a duplicate signup or import)', () => {
    const later = classify(observed([healthy], { evidence: evidence('2026-11-21T00:00:00.000Z') }));
    expect(later.classification).toBe('healthy');
    expect(later.reason).toBe(
      'auth0|1002 logged in at 2026-11-20T09:00:00.000Z, before the latest evidence (2026-11-21T00:00:00.000Z), but a profile that has logged in has migrated: that evidence is a duplicate; a duplicate signup of an existing user: the user should log in (or reset the password)',
    );
    expect(classify(observed([{ ...healthy, last_login: null, logins_count: 2 }])).classification).toBe('healthy');
    const c = classify(observed([healthy], { evidence: evidence('2026-11-19T00:00:00.000Z') }));
    expect(c.classification).toBe('healthy');
    expect(c.reason).toMatch(/duplicate signup .* should log in/);
    expect(classify(observed([healthy], { evidence: evidence('2026-11-19T00:00:00.000Z', ['DUPLICATED_USER']) })).reason).toMatch(/upsert/);
  });

  it('a profile that logged in and no evidence time is healthy', () => {
    expect(classify(observed([healthy])).classification).toBe('healthy');
    expect(classify(observed([healthy], { evidence: evidence(null) })).classification).toBe('healthy');
  });

  it('a profile with identities on other connections is linked, even when it looks stuck', () => {
    const linked = profile({
      user_id: 'google-oauth2|555',
      identities: [
        { connection: 'google-oauth2', provider: 'google-oauth2', user_id: '555', isSocial: true },
        { connection: 'legacy-db', provider: 'auth0', user_id: '1003', isSocial: false },
      ],
    });
    const c = classify(observed([linked], { evidence: evidence('2026-11-21T00:00:00.000Z') }));
    expect(c.classification).toBe('linked');
    expect(c.reason).toMatch(/google-oauth2 \(social\)/);
  });

  it('more than one profile on the connection is "several"; a choice classifies the chosen one', () => {
    const other = profile({ user_id: 'auth0|2000' });
    const o = observed([stuck, other]);
    const c = classify(o);
    expect(c.classification).toBe('several');
    expect(c.reason).toContain('auth0|1001, auth0|2000');
    expect(classifyProfile(o, other, c.onConnection)).toMatchObject({ classification: 'stuck-profile', target: other });
  });

  it('after the legacy store is disconnected (no-op Login script) a stuck-looking profile has no migration source', () => {
    const c = classify(observed([stuck], { connection: { ...LEGACY, legacyConnected: false } }));
    expect(c.classification).toBe('no-migration-source');
    expect(c.reason).toMatch(/disconnected from its legacy store .* for good/);
  });

  it('a stuck-looking profile on a connection without import mode has no migration source', () => {
    const onPlain = profile({ user_id: 'auth0|7', identities: [{ connection: PLAIN_DB.name, provider: 'auth0', user_id: '7', isSocial: false }] });
    const c = classify(observed([onPlain], { connection: PLAIN_DB }));
    expect(c.classification).toBe('no-migration-source');
    expect(c.reason).toMatch(/for good/);
  });
});

describe('the plan', () => {
  it('a ghost suspect: Delete a Connection User, then check; ghost ids nobody holds are deleted first', () => {
    const o = observed([], { freeGhostIds: ['auth0|legacy-1001'] });
    const plan = planRepair(o, classify(o), { force: false });
    expect(plan.action).toBe('repair');
    expect(plan.steps.map((s) => s.kind)).toEqual(['delete-user', 'delete-connection-user']);
    expect(plan.steps[0]).toEqual({ kind: 'delete-user', userId: 'auth0|legacy-1001', ghost: true });
    expect(describeStep(plan.steps[0]!)).toMatch(/no profile holds it/);
  });

  it('a stuck profile: back up, Delete a User, Delete a Connection User, check (the documented order)', () => {
    const o = observed([stuck]);
    const plan = planRepair(o, classify(o), { force: false });
    expect(plan.steps).toEqual([
      { kind: 'backup', userId: 'auth0|1001' },
      { kind: 'delete-user', userId: 'auth0|1001', ghost: false },
      { kind: 'delete-connection-user', connectionId: 'con_Lg7cYq2RzX4mB9tK', connectionName: 'legacy-db', email: 'jane@acme.com' },
      { kind: 'verify', email: 'jane@acme.com', connectionName: 'legacy-db', keep: [] },
    ]);
    expect(plan.warnings).toEqual([]);
  });

  it('healthy: nothing to do; linked and no migration source: skipped; --force turns each into a forced repair', () => {
    for (const [p, o, action] of [
      [healthy, observed([healthy]), 'nothing'],
      [stuck, observed([{ ...stuck, identities: [...stuck.identities, { connection: 'github', provider: 'github', user_id: '1', isSocial: true }] }]), 'skip'],
      [stuck, observed([{ ...stuck, identities: [{ ...stuck.identities[0]!, connection: PLAIN_DB.name }] }], { connection: PLAIN_DB }), 'skip'],
    ] as const) {
      const c = classify(o);
      expect(planRepair(o, c, { force: false })).toMatchObject({ action, steps: [], forced: false });
      const forced = planRepair(o, c, { force: true });
      expect(forced).toMatchObject({ action: 'repair', forced: true });
      expect(forced.steps.map((s) => s.kind)).toEqual(['backup', 'delete-user', 'delete-connection-user', 'verify']);
      expect((forced.steps[0] as { userId: string }).userId).toBe(p.user_id);
    }
  });

  it('several without a choice is skipped; with one, the others are kept and the store entry is not cleared', () => {
    const other = profile({ user_id: 'auth0|2000' });
    const o = observed([stuck, other]);
    const c = classify(o);
    expect(planRepair(o, c, { force: false })).toMatchObject({ action: 'skip', steps: [] });
    const chosen = planRepair(o, classifyProfile(o, stuck, c.onConnection), { force: false });
    expect(chosen.steps.map((s) => s.kind)).toEqual(['backup', 'delete-user', 'verify']);
    expect(chosen.steps.at(-1)).toMatchObject({ keep: ['auth0|2000'] });
  });

  it('a connection without a migration source warns that the user cannot migrate again', () => {
    const o = observed([], { connection: PLAIN_DB });
    const plan = planRepair(o, classify(o), { force: false });
    expect(plan.action).toBe('repair');
    expect(plan.warnings[0]).toMatch(/cannot migrate again/);
  });

  it('a custom database with import mode off gets the seed\'s warning: leave Import Users to Auth0 on', () => {
    const o = observed([], { connection: { ...PLAIN_DB, customDatabase: true, importMode: false } });
    expect(planRepair(o, classify(o), { force: false }).warnings).toEqual([expect.stringMatching(/Import Users to Auth0 off: Auth0 uses only the scripts .* says to leave it on/)]);
  });
});
