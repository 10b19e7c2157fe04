import { ApiError, json, type Route, type SandboxRequest, type SandboxResponse } from '../contract.js';
import type { LogInput } from '../log-book.js';
import { passwordMatches, type Connection, type LegacyUser, type Profile, type SandboxTenant } from '../state.js';
import { objectBody, route } from './common.js';

/**
 * Simulated end-user actions (not Management API; no token): what Universal Login and the custom
 * database scripts would do, including the failures that leave and reveal ghosts. Each writes the
 * tenant log records Auth0 would write.
 */
const LOGIN_CLIENT = { client_id: 'SandboxLoginClient00000000000000', client_name: 'Sandbox Login' };
/** Where simulated end users come from (a documentation address, RFC 5737). */
const END_USER_IP = '203.0.113.10';
const WRONG_CREDENTIALS = 'Wrong email or password.';
const USER_EXISTS = 'The user already exists.';
const WEBTASK_TIMEOUT = 'Request to Webtask exceeded allowed execution time';

type Outcome = 'logged_in' | 'migrated' | 'signed_up' | 'interrupted' | 'password_changed' | 'failed';

export function endUserRoutes(tenant: SandboxTenant): Route[] {
  return [
    route(tenant, 'POST', '/__sandbox/login', [], (req) => login(tenant, req)),
    route(tenant, 'POST', '/__sandbox/signup', [], (req) => signup(tenant, req)),
    route(tenant, 'POST', '/__sandbox/interrupt', [], (req) => interrupt(tenant, req)),
    route(tenant, 'POST', '/__sandbox/change-password', [], (req) => changePassword(tenant, req)),
    route(tenant, 'GET', '/__sandbox/reset-password', [], (req) => {
      const ticket = req.query.get('ticket') ?? '';
      const target = tenant.redeemTicket(ticket, false);
      if (!target) throw new ApiError(404, 'The ticket is unknown, used or expired.');
      return json(200, {
        email: target.email,
        connection: target.connection.name,
        next: `POST ${tenant.baseUrl}/__sandbox/change-password {"ticket":"${ticket}","password":"<new password>"}`,
      });
    }),
  ];
}

interface Attempt {
  connection: Connection;
  email: string;
  password: string;
}

function attempt(tenant: SandboxTenant, req: SandboxRequest, { needsPassword = true, acceptsTicket = false } = {}): Attempt {
  const body = objectBody(req);
  let email = body.email;
  let connectionName = body.connection;
  if (acceptsTicket && typeof body.ticket === 'string') {
    const target = tenant.redeemTicket(body.ticket);
    if (!target) throw new ApiError(400, 'The ticket is unknown, used or expired.');
    email = target.email;
    connectionName = target.connection.name;
  }
  if (typeof email !== 'string' || email === '') throw new ApiError(400, 'email is required');
  if (needsPassword && (typeof body.password !== 'string' || body.password === '')) throw new ApiError(400, 'password is required');
  const connection = connectionName === undefined ? tenant.defaultDatabaseConnection() : tenant.connectionNamed(String(connectionName));
  if (!connection) throw new ApiError(400, connectionName === undefined ? 'The tenant has no database connection' : `Unknown connection "${String(connectionName)}"`);
  if (connection.strategy !== 'auth0') throw new ApiError(400, `"${connection.name}" is not a database connection`);
  return { connection, email: email.trim().toLowerCase(), password: typeof body.password === 'string' ? body.password : '' };
}

function log(tenant: SandboxTenant, a: Attempt, entry: LogInput): void {
  tenant.addLog({
    connection: a.connection.name,
    connection_id: a.connection.id,
    ...LOGIN_CLIENT,
    ip: END_USER_IP,
    user_agent: 'unstick-sandbox',
    strategy: 'auth0',
    strategy_type: 'database',
    user_id: '',
    user_name: a.email,
    ...entry,
  });
}

function outcome(status: number, result: Outcome, extra: Record<string, unknown> = {}): SandboxResponse {
  return json(status, { outcome: result, ...extra });
}

function failed(status: number, reason: string, message: string, userId?: string): SandboxResponse {
  return outcome(status, 'failed', { reason, message, ...(userId ? { user_id: userId } : {}) });
}

/** The lazy migration a successful custom-DB login (or reset) performs: store entry and profile, legacy id and metadata. */
function migrate(tenant: SandboxTenant, a: Attempt, legacy: LegacyUser, password: string): Profile {
  return tenant.createDatabaseUser(a.connection, {
    email: legacy.email,
    user_id: `auth0|${legacy.user_id}`,
    password,
    ...(legacy.name === undefined ? {} : { name: legacy.name }),
    user_metadata: legacy.user_metadata,
    app_metadata: legacy.app_metadata,
  });
}

/** A successful login, as Auth0 records it on the profile (count, time, address) and in the log. */
function recordLogin(tenant: SandboxTenant, a: Attempt, profile: Profile): void {
  profile.logins_count += 1;
  profile.last_login = new Date(tenant.now()).toISOString();
  profile.last_ip = END_USER_IP;
  profile.updated_at = profile.last_login;
  log(tenant, a, { type: 's', description: 'Successful login', user_id: profile.user_id, details: { stats: { loginsCount: profile.logins_count } } });
}

/** How Auth0 fails a login or password change that meets a ghost (or a migration that finds one). */
function userExists(tenant: SandboxTenant, a: Attempt, type: 'f' | 'fcp'): SandboxResponse {
  log(tenant, a, { type, description: USER_EXISTS, details: { error: { message: USER_EXISTS } } });
  return failed(409, 'user_exists', USER_EXISTS);
}

/**
 * A login. Under import mode Auth0's store answers for the users it has; the others go to the Login
 * script (lazy migration), which finds nobody once it is a no-op (the store is disconnected). With
 * import mode off, a custom database uses only its scripts: see scriptsOnlyLogin.
 */
function login(tenant: SandboxTenant, req: SandboxRequest): SandboxResponse {
  const a = attempt(tenant, req);
  if (tenant.legacyReach(a.connection).mode === 'scripts') return scriptsOnlyLogin(tenant, a);
  const entry = tenant.storeEntry(a.connection, a.email);
  if (entry) {
    const profile = tenant.profileFor(a.connection, entry);
    if (!profile) {
      return userExists(tenant, a, 'f');
    }
    if (!passwordMatches(entry, a.password)) {
      log(tenant, a, { type: 'fp', description: WRONG_CREDENTIALS, user_id: profile.user_id, details: { error: { message: WRONG_CREDENTIALS } } });
      return failed(401, 'wrong_password', WRONG_CREDENTIALS, profile.user_id);
    }
    recordLogin(tenant, a, profile);
    return outcome(200, 'logged_in', { user_id: profile.user_id });
  }
  const legacy = tenant.legacyVia(a.connection, 'login', a.email);
  if (legacy) {
    if (legacy.password !== a.password) {
      // The login script's WrongUsernameOrPasswordError(email, ...) → fp with user_id "auth0|<email>".
      log(tenant, a, { type: 'fp', description: WRONG_CREDENTIALS, user_id: `auth0|${a.email}`, details: { error: { message: WRONG_CREDENTIALS } } });
      return failed(401, 'wrong_password', WRONG_CREDENTIALS);
    }
    // The legacy id is already a user somewhere in the tenant (user_ids are unique tenant-wide).
    if (tenant.userIdTaken(`auth0|${legacy.user_id}`)) {
      return userExists(tenant, a, 'f');
    }
    const profile = migrate(tenant, a, legacy, a.password);
    recordLogin(tenant, a, profile);
    return outcome(200, 'migrated', { user_id: profile.user_id });
  }
  // Nobody found: not in the store, and no Login script that finds them (none, or a no-op one).
  return unknownUser(tenant, a);
}

/** The Login script (or a no-op one) found nobody: `fu`, no user_id (WrongUsernameOrPasswordError with no user). */
function unknownUser(tenant: SandboxTenant, a: Attempt): SandboxResponse {
  log(tenant, a, { type: 'fu', description: WRONG_CREDENTIALS, details: { error: { message: WRONG_CREDENTIALS } } });
  return failed(401, 'unknown_user', WRONG_CREDENTIALS);
}

/**
 * Custom database, import mode off: "Auth0 will only use the scripts", so every login, a migrated
 * user's included, is checked by the Login script against the legacy store; Auth0's own store (and
 * the password a user may have changed there) is not consulted. A no-op script finds nobody. Modelled
 * minimally: a login that succeeds records itself on the profile with the legacy id when there is one,
 * and creates none otherwise (Auth0 would keep a profile for the user).
 */
function scriptsOnlyLogin(tenant: SandboxTenant, a: Attempt): SandboxResponse {
  const legacy = tenant.legacyReach(a.connection).login ? tenant.legacyUser(a.email) : undefined;
  if (!legacy) return unknownUser(tenant, a);
  if (legacy.password !== a.password) {
    log(tenant, a, { type: 'fp', description: WRONG_CREDENTIALS, user_id: `auth0|${a.email}`, details: { error: { message: WRONG_CREDENTIALS } } });
    return failed(401, 'wrong_password', WRONG_CREDENTIALS);
  }
  const userId = `auth0|${legacy.user_id}`;
  const profile = tenant.user(userId);
  if (profile) recordLogin(tenant, a, profile);
  else log(tenant, a, { type: 's', description: 'Successful login', user_id: userId });
  return outcome(200, 'logged_in', { user_id: userId, via: 'login_script' });
}

function signup(tenant: SandboxTenant, req: SandboxRequest): SandboxResponse {
  const a = attempt(tenant, req);
  const body = { email: a.email, password: '*****', connection: a.connection.name, client_id: LOGIN_CLIENT.client_id, tenant: tenant.name };
  // The store (ghosts included) or, under import mode, the Get User script finding the email means "exists".
  // A no-op Get User finds nobody: the email of a user never migrated signs up as a new user.
  const exists = tenant.storeEntry(a.connection, a.email) ?? tenant.legacyVia(a.connection, 'get_user', a.email);
  if (exists) {
    log(tenant, a, { type: 'fs', description: USER_EXISTS, details: { body } });
    return json(400, { name: 'BadRequestError', code: 'user_exists', description: USER_EXISTS, statusCode: 400 });
  }
  const profile = tenant.createDatabaseUser(a.connection, { email: a.email, password: a.password });
  log(tenant, a, { type: 'ss', description: 'Successful signup', user_id: profile.user_id, details: { body } });
  return outcome(200, 'signed_up', { user_id: profile.user_id, email: profile.email });
}

/** A lazy migration cut short: the store entry is written, the profile (and its metadata) never is. */
function interrupt(tenant: SandboxTenant, req: SandboxRequest): SandboxResponse {
  const a = attempt(tenant, req, { needsPassword: false });
  const legacy = tenant.legacyUser(a.email);
  if (!legacy) throw new ApiError(404, `${a.email} is not in the legacy store: nothing to migrate`);
  if (tenant.storeEntry(a.connection, a.email)) throw new ApiError(409, `${a.email} is already in the internal user store of ${a.connection.name}`);
  const userId = `auth0|${legacy.user_id}`;
  if (tenant.userIdTaken(userId)) throw new ApiError(409, `${userId} (the legacy id of ${a.email}) is already a user of the tenant`);
  tenant.putStoreEntry(a.connection, { email: a.email, user_id: userId, password: legacy.password });
  log(tenant, a, { type: 'f', description: WEBTASK_TIMEOUT, details: { error: { message: WEBTASK_TIMEOUT } } });
  return outcome(200, 'interrupted', { user_id: userId });
}

function changePassword(tenant: SandboxTenant, req: SandboxRequest): SandboxResponse {
  const a = attempt(tenant, req, { acceptsTicket: true });
  const entry = tenant.storeEntry(a.connection, a.email);
  if (entry) {
    const profile = tenant.profileFor(a.connection, entry);
    if (!profile) {
      return userExists(tenant, a, 'fcp');
    }
    const { hash: _hash, ...rest } = entry;
    tenant.putStoreEntry(a.connection, { ...rest, password: a.password });
    profile.last_password_reset = new Date(tenant.now()).toISOString();
    profile.updated_at = profile.last_password_reset;
    log(tenant, a, { type: 'scp', description: 'Password changed', user_id: profile.user_id });
    return outcome(200, 'password_changed', { user_id: profile.user_id });
  }
  const legacy = tenant.legacyVia(a.connection, 'get_user', a.email);
  if (legacy && !tenant.userIdTaken(`auth0|${legacy.user_id}`)) {
    legacy.password = a.password; // the Change Password script updates the legacy store
    const profile = migrate(tenant, a, legacy, a.password);
    profile.last_password_reset = new Date(tenant.now()).toISOString();
    log(tenant, a, { type: 'scp', description: 'Password changed', user_id: profile.user_id });
    return outcome(200, 'migrated', { user_id: profile.user_id });
  }
  log(tenant, a, { type: 'fcp', description: 'User not found', details: { error: { message: 'User not found' } } });
  return failed(404, 'unknown_user', 'User not found');
}
