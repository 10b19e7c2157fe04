import { describe, expect, it } from 'vitest';
import { isNoopScript, legacyReach, scriptState } from '../../src/sandbox/scripts.js';
import { LEGACY_DB } from '../helpers/sandbox.js';
import { BASE_SCENARIO, bodyOf, harness } from './handler-harness.js';

const NOOP_LOGIN = 'function login(email, password, callback) { return callback(null, null); }';
const NOOP_GET_USER = 'function getByEmail(email, callback) { return callback(null); }';

describe('isNoopScript: a function that only calls its callback with no user', () => {
  it.each([
    NOOP_LOGIN,
    NOOP_GET_USER,
    'function login(email, password, callback) {\n  callback(null, null);\n}',
    'function login(email, password, cb) { cb(); }',
    'function login(email,password,callback){return callback(null)}',
    'function getByEmail(email, callback) {\n  // disconnected from the legacy store on 2026-12-01\n  return callback(null, undefined);\n}',
    '/* disconnected */ function login(email, password, callback) { /* no user */ return callback( null , null ) ; }',
    '  function login(email, password, callback) { return callback(undefined); }\n',
    'async function login(email, password, callback) { return callback(null, null); }',
    'function (email, callback) { callback(null); }',
    'function login(email, password, $cb) { return $cb(null, null); };',
  ])('no-op: %s', (source) => {
    expect(isNoopScript(source)).toBe(true);
  });

  it.each([
    ['an empty body never calls back', 'function login(email, password, callback) {}'],
    ['a comment is not a call', 'function login(email, password, callback) { /* legacy API */ }'],
    ['no parameters', 'function login() { return callback(null, null); }'],
    ['the callback is not the last parameter', 'function login(callback, email, password) { return callback(null, null); }'],
    ['another function is called', 'function login(email, password, callback) { return done(null, null); }'],
    ['an error', 'function login(email, password, callback) { return callback(new WrongUsernameOrPasswordError(email)); }'],
    ['a profile', "function login(email, password, callback) { return callback(null, { user_id: 'x', email }); }"],
    ['false is not "no user"', 'function login(email, password, callback) { return callback(null, false); }'],
    ['a second statement', "function login(email, password, callback) { console.log('x'); return callback(null, null); }"],
    ['an arrow function', '(email, password, callback) => callback(null, null)'],
    ['two functions', 'function a(cb) { cb(); } function b(cb) { cb(); }'],
    ['the shipped acme script', "function login(email, password, callback) {\n  request.post({ url: configuration.LEGACY_URL + '/auth', json: { email, password } }, (err, res, body) => {\n    if (err) return callback(err);\n    callback(null, { user_id: body.id });\n  });\n}"],
  ])('real: %s', (_why, source) => {
    expect(isNoopScript(source)).toBe(false);
  });

  it('is false for anything but a string', () => {
    for (const v of [undefined, null, 42, {}, []]) expect(isNoopScript(v)).toBe(false);
  });

  it('scriptState and legacyReach: a missing script counts as a real one; customization off reaches nothing', () => {
    expect(scriptState({}, 'login')).toBe('absent');
    expect(scriptState({ customScripts: { login: NOOP_LOGIN } }, 'login')).toBe('noop');
    expect(scriptState({ customScripts: { login: NOOP_LOGIN } }, 'get_user')).toBe('absent');
    expect(scriptState({ customScripts: { get_user: 'function getByEmail(email, callback) { db.find(email, callback); }' } }, 'get_user')).toBe('real');
    expect(legacyReach({ enabledDatabaseCustomization: true, import_mode: true })).toEqual({ mode: 'migrate', login: true, getUser: true });
    expect(legacyReach({ enabledDatabaseCustomization: true, import_mode: true, customScripts: { login: NOOP_LOGIN, get_user: 'x' } })).toEqual({ mode: 'migrate', login: false, getUser: true });
    expect(legacyReach({ enabledDatabaseCustomization: true })).toEqual({ mode: 'scripts', login: true, getUser: true });
    expect(legacyReach({ import_mode: true, customScripts: { login: 'real' } })).toEqual({ mode: 'none', login: false, getUser: false });
  });
});

describe('end-user actions against a disconnected store (harness)', () => {
  const disconnected = (scripts: Record<string, string>) => ({
    ...BASE_SCENARIO,
    connections: [{ ...BASE_SCENARIO.connections[0]!, options: { enabledDatabaseCustomization: true, import_mode: true, customScripts: scripts } }, BASE_SCENARIO.connections[1]!],
  });
  const login = (h: ReturnType<typeof harness>, email: string, password: string) => h.call('POST', '/__sandbox/login', { json: { email, password, connection: 'legacy-db' } });

  it('both scripts no-ops: the legacy-only user fails fu, signs up new, is unknown to tickets and POST /users; alice (migrated) logs in', async () => {
    const h = harness(disconnected({ login: NOOP_LOGIN, get_user: NOOP_GET_USER }));
    expect(bodyOf(await login(h, 'raj.patel@acme.com', 'raj-pw'))).toEqual({ outcome: 'failed', reason: 'unknown_user', message: 'Wrong email or password.' });
    expect(h.tenant.logs.all().at(-1)).toMatchObject({ type: 'fu', user_id: '', user_name: 'raj.patel@acme.com' });
    expect((await h.call('POST', '/api/v2/tickets/password-change', { json: { connection_id: LEGACY_DB, email: 'raj.patel@acme.com' } })).status).toBe(404);
    expect((await h.call('POST', '/__sandbox/change-password', { json: { email: 'raj.patel@acme.com', password: 'x', connection: 'legacy-db' } })).status).toBe(404);
    const signup = await h.call('POST', '/__sandbox/signup', { json: { email: 'raj.patel@acme.com', password: 'raj-new', connection: 'legacy-db' } });
    expect(bodyOf(signup)).toMatchObject({ outcome: 'signed_up', email: 'raj.patel@acme.com' });
    expect(bodyOf(signup).user_id).not.toBe('auth0|legacy-1002');
    expect(bodyOf(await login(h, 'alice.ng@acme.com', 'alice-pw'))).toMatchObject({ outcome: 'logged_in' });
    // The ghost is Auth0's own state: still "The user already exists.".
    expect((await login(h, 'jane.doe@acme.com', 'jane-pw')).status).toBe(409);
  });

  it('only the Login script a no-op: no migration at login, but Get User still finds the legacy user (signup is "already exists")', async () => {
    const h = harness(disconnected({ login: NOOP_LOGIN, get_user: 'function getByEmail(email, callback) { legacy.find(email, callback); }' }));
    expect((await login(h, 'raj.patel@acme.com', 'raj-pw')).status).toBe(401);
    expect((await h.call('POST', '/__sandbox/signup', { json: { email: 'raj.patel@acme.com', password: 'x', connection: 'legacy-db' } })).status).toBe(400);
  });

  it('only Get User a no-op: the login still migrates', async () => {
    const h = harness(disconnected({ login: 'function login(e, p, cb) { legacy.check(e, p, cb); }', get_user: NOOP_GET_USER }));
    expect(bodyOf(await login(h, 'raj.patel@acme.com', 'raj-pw'))).toMatchObject({ outcome: 'migrated', user_id: 'auth0|legacy-1002' });
  });
});
