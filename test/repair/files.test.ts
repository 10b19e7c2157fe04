import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BackupStore } from '../../src/repair/backup.js';
import { Journal, unfinishedSteps } from '../../src/repair/journal.js';
import { profile } from './fixtures.js';

const now = () => new Date('2026-12-01T10:00:00.000Z');

describe('backups', () => {
  it('are new 0600 files in a 0700 folder, never overwritten, found again by email; the same profile is not backed up twice', () => {
    const dir = path.join(mkdtempSync(path.join(tmpdir(), 'unstick-backup-')), 'backups');
    const store = new BackupStore(dir);
    const p = profile({ user_id: 'auth0|1001' });
    const input = { tenant: 'acme.auth0.com', connection: { id: 'con_1', name: 'legacy-db' }, email: 'jane@acme.com', profile: p, now: now() };
    const first = store.save(input);
    expect(store.save(input)).toBe(first);
    expect(new BackupStore(dir).save(input)).toBe(first);
    const second = store.save({ ...input, profile: { ...p, raw: { ...p.raw, logins_count: 1 } } });
    expect(second).not.toBe(first);
    expect(readdirSync(dir).sort()).toEqual([path.basename(first), path.basename(second)].sort());
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(first).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(first, 'utf8'))).toMatchObject({ format: 'unstick-backup/1', email: 'jane@acme.com', profile: p.raw });
    expect(store.find('jane@acme.com').map((b) => b.file)).toEqual([first, second].sort());
    expect(store.find('john@acme.com')).toEqual([]);
  });
});

describe('the journal', () => {
  it('appends one line per event (0600) and tells which steps an earlier run left unfinished', () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'unstick-journal-')), 'state', 'journal.ndjson');
    const a = new Journal(file, 'run-a', 'acme.auth0.com', now);
    a.write({ email: 'jane@acme.com', step: 'delete-user auth0|1', phase: 'before' });
    a.write({ email: 'jane@acme.com', step: 'delete-user auth0|1', phase: 'after' });
    a.write({ email: 'jane@acme.com', step: 'delete-connection-user', phase: 'before' });
    a.close();
    writeFileSync(file, readFileSync(file, 'utf8') + '{"cut by a cra', { flag: 'w' });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const b = new Journal(file, 'run-b', 'acme.auth0.com', now);
    const history = b.history('jane@acme.com');
    expect(history).toHaveLength(3);
    expect(unfinishedSteps(history).map((e) => e.step)).toEqual(['delete-connection-user']);
    expect(new Journal(file, 'run-c', 'other.auth0.com', now).history('jane@acme.com')).toEqual([]);
  });
});
