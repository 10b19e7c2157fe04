import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

describe('npm run demo (the README promise)', () => {
  it('runs the whole story on the built-in sandbox and ends with the repaired users', () => {
    const r = spawnSync(process.execPath, ['scripts/demo.js'], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 60_000 });
    expect(r.status).toBe(0);
    // Results on stdout: the diagnosis of the shipped logs, then of what the sandbox tenant logged.
    expect(r.stdout).toMatch(/6 stuck users; read \d+ records from 15 inputs/);
    expect(r.stdout).toMatch(/jane\.doe@acme\.com\s+DUPLICATED_USER, USER_ALREADY_EXISTS/);
    // The story on stderr: invisible, blocked, imported with DUPLICATED_USER, repaired with metadata.
    expect(r.stderr).toContain('users.listUsersByEmail  -> [] (no profile)');
    expect(r.stderr).toContain('she tries to sign up    -> The user already exists.');
    expect(r.stderr).toContain('DUPLICATED_USER "The user already exist and upsert parameter is false"');
    // unstick repair, decided from live state: the ghost and the stuck profile repaired, the healthy user left alone.
    expect(r.stdout).toMatch(/REPAIRED  jane\.doe@acme\.com  \(ghost-suspect\)/);
    expect(r.stdout).toMatch(/REPAIRED  chloe\.martin@acme\.com  \(stuck-profile\)[\s\S]*backup: \S+chloe\.martin@acme\.com_auth0_legacy-1070\.json/);
    expect(r.stdout).toMatch(/NOTHING-TO-DO  alice\.ng@acme\.com  \(healthy\)/);
    expect(r.stderr).toMatch(/jane\.doe@acme\.com logs in with the legacy password -> migrated as auth0\|legacy-1001/);
    expect(r.stderr).toMatch(/users\.listUsersByEmail  -> auth0\|legacy-1001, user_metadata \{"language":"en"/);
    expect(r.stderr).toMatch(/chloe\.martin@acme\.com logs in with the legacy password -> migrated as auth0\|legacy-1070/);
    expect(r.stderr).toContain('alice.ng@acme.com was not touched -> auth0|legacy-1007, 3 logins');
  });
});
