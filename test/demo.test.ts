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
    // The traffic that strands users, then the whole repair story decided from live state.
    expect(r.stderr).toMatch(/nina\.kowalski's lazy migration is interrupted -> interrupted/);
    expect(r.stderr).toMatch(/note: left out as healthy \(the tenant says they have logged in\): (dave\.kim@acme\.com, alice\.ng@acme\.com|alice\.ng@acme\.com, dave\.kim@acme\.com) /);
    expect(r.stdout).toMatch(/Result: 9 users[\s\S]*ghost-suspect +7[\s\S]*stuck-profile +2/);
    expect(r.stderr).toMatch(/jane\.doe@acme\.com opens her ticket and sets a password -> migrated/);
    expect(r.stderr).toMatch(/chloe\.martin@acme\.com logs in with the legacy password -> migrated as auth0\|legacy-1070/);
    expect(r.stdout).toContain('100 % migrated: 18 of 18 expected users on legacy-db');
    expect(r.stdout).toMatch(/ken\.ito@acme\.com +patched/);
    expect(r.stderr).toContain('done: read back, only customScripts.login and customScripts.get_user changed');
    // Before and after: the stuck users have profiles again with their metadata; the healthy ones were not deleted.
    expect(r.stderr).toMatch(/jane\.doe@acme\.com +no profile +auth0\|legacy-1001, 1 logins, metadata 4 keys/);
    expect(r.stderr).toMatch(/chloe\.martin@acme\.com +auth0\|legacy-1070, 0 logins, metadata 0 keys +auth0\|legacy-1070, 1 logins, metadata 4 keys/);
    expect(r.stderr).toMatch(/alice\.ng@acme\.com +auth0\|legacy-1007, 3 logins/);
    expect(r.stderr).toMatch(/ken\.ito@acme\.com +auth0\|legacy-1030, 4 logins, metadata 0 keys +auth0\|legacy-1030, 5 logins, metadata 5 keys/);
  });
});
