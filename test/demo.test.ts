import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

describe('npm run demo (the README promise)', () => {
  it('runs the whole story on the built-in sandbox and ends with the repaired user', () => {
    const r = spawnSync(process.execPath, ['scripts/demo.js'], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 60_000 });
    expect(r.status).toBe(0);
    // Results on stdout: the diagnosis of the shipped logs, then of what the sandbox tenant logged.
    expect(r.stdout).toMatch(/6 stuck users; read \d+ records from 15 inputs/);
    expect(r.stdout).toMatch(/jane\.doe@acme\.com\s+DUPLICATED_USER, USER_ALREADY_EXISTS/);
    // The story on stderr: invisible, blocked, imported with DUPLICATED_USER, repaired with metadata.
    expect(r.stderr).toContain('users.listUsersByEmail  -> [] (no profile)');
    expect(r.stderr).toContain('she tries to sign up    -> The user already exists.');
    expect(r.stderr).toContain('DUPLICATED_USER "The user already exist and upsert parameter is false"');
    expect(r.stderr).toMatch(/she logs in with her legacy password -> migrated as auth0\|legacy-1001/);
    expect(r.stderr).toMatch(/users\.listUsersByEmail  -> auth0\|legacy-1001, user_metadata \{"language":"en"/);
  });
});
