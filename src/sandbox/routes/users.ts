import { ApiError, json, type Route, type SandboxRequest } from '../contract.js';
import { EMAIL_PATTERN, isPlainObject } from '../profile.js';
import { compileQuery } from '../query.js';
import { publicUser, type Profile, type SandboxTenant } from '../state.js';
import {
  boolParam, compareValues, fieldFilter, logApiOperation, objectBody, pageParams, payloadError, queryError, rejectUnknownKeys, route, sortParam,
} from './common.js';
import { connectionNotFound } from './connections.js';

const CREATE_KEYS = ['email', 'password', 'connection', 'user_id', 'email_verified', 'verify_email', 'user_metadata', 'app_metadata', 'name', 'nickname', 'given_name', 'family_name', 'picture', 'blocked', 'username', 'phone_number'];
const UPDATE_KEYS = [
  'blocked', 'email_verified', 'email', 'phone_number', 'phone_verified', 'user_metadata', 'app_metadata', 'given_name', 'family_name', 'name', 'nickname',
  'picture', 'verify_email', 'verify_phone_number', 'password', 'connection', 'client_id', 'username',
];
const OPTIONAL_STRINGS = ['given_name', 'family_name', 'picture'] as const;
/** What a token with `update:users_app_metadata` but not `update:users` may change. */
const APP_METADATA_ONLY_KEYS = ['app_metadata'];

export function userNotFound(): ApiError {
  return new ApiError(404, 'The user does not exist.', 'inexistent_user');
}

export function userRoutes(tenant: SandboxTenant): Route[] {
  return [
    route(tenant, 'GET', '/api/v2/users-by-email', ['read:users'], (req) => {
      const email = req.query.get('email');
      if (!email) throw queryError('Missing required property: email');
      // Exact and case-sensitive against the stored email, like Auth0 (database emails are stored lowercased).
      const pick = fieldFilter(req.query);
      return json(200, tenant.usersWithEmail(email).filter((p) => p.email === email).map((p) => pick(publicUser(p))));
    }),

    route(tenant, 'GET', '/api/v2/users', ['read:users'], (req) => {
      const q = req.query;
      const { page, perPage } = pageParams(q);
      const engine = q.get('search_engine');
      if (engine !== null && !['v1', 'v2', 'v3'].includes(engine)) throw queryError(`No enum match for: "${engine}"`, 'search_engine');
      const search = q.get('q');
      const query = search ? compileQuery(search, 'users') : undefined;
      const sort = sortParam(q);
      const includeTotals = boolParam(q, 'include_totals', false);
      const start = page * perPage;
      const end = start + perPage;
      // Candidates come from an index when the query pins an email or a connection, else from every profile.
      let candidates: Iterable<Profile>;
      let candidateCount: number | undefined;
      if (query?.exactEmail !== undefined) candidates = tenant.usersWithEmail(query.exactEmail);
      else if (query?.exactConnection !== undefined) {
        candidates = tenant.usersOnConnection(query.exactConnection);
        candidateCount = tenant.countOnConnection(query.exactConnection);
      } else {
        candidates = tenant.users();
        candidateCount = tenant.userCount;
      }
      const test = query && !query.indexOnly ? query.test : undefined;
      let window: Profile[];
      let total: number;
      if (sort) {
        // Sorting needs every match; sort only those (and not at all when there is nothing to order).
        const found: Profile[] = [];
        for (const p of candidates) if (!test || test(p as unknown as Record<string, unknown>)) found.push(p);
        const value = (p: Profile) => (p as unknown as Record<string, unknown>)[sort.field];
        if (found.length > 1) found.sort((a, b) => (sort.descending ? -1 : 1) * compareValues(value(a), value(b)));
        window = found.slice(start, end);
        total = found.length;
      } else {
        // Insertion order: walk only as far as the page, unless a total must be counted by testing.
        window = [];
        total = 0;
        const countKnown = !test && candidateCount !== undefined;
        for (const p of candidates) {
          if (test && !test(p as unknown as Record<string, unknown>)) continue;
          if (total >= start && total < end) window.push(p);
          total++;
          if (total >= end && (!includeTotals || countKnown)) break;
        }
        if (countKnown) total = candidateCount!;
      }
      const pick = fieldFilter(q);
      const users = window.map((p) => pick(publicUser(p)));
      if (!includeTotals) return json(200, users);
      return json(200, { start, limit: perPage, length: users.length, total, users });
    }),

    route(tenant, 'GET', '/api/v2/users/:id', ['read:users'], (req) => {
      const profile = tenant.user(req.params.id ?? '');
      if (!profile) throw userNotFound();
      return json(200, fieldFilter(req.query)(publicUser(profile)));
    }),

    route(tenant, 'PATCH', '/api/v2/users/:id', ['update:users', 'update:users_app_metadata'], (req) => {
      const profile = tenant.user(req.params.id ?? '');
      if (!profile) throw userNotFound();
      const body = objectBody(req);
      rejectUnknownKeys(body, UPDATE_KEYS);
      if (Object.keys(body).length === 0) throw payloadError('Too few properties defined (0), minimum 1');
      // `update:users_app_metadata` alone (Auth0's narrower scope) may only change app_metadata.
      if (!req.scopes.has('update:users')) {
        const beyond = Object.keys(body).filter((k) => !APP_METADATA_ONLY_KEYS.includes(k));
        if (beyond.length > 0) throw new ApiError(403, 'Insufficient scope, expected any of: update:users', 'insufficient_scope');
      }
      updateUser(tenant, profile, body);
      const response = json(200, publicUser(profile));
      logApiOperation(tenant, req, 'Update a User', response, body);
      return response;
    }),

    route(tenant, 'DELETE', '/api/v2/users/:id', ['delete:users'], (req) => {
      const userId = req.params.id ?? '';
      const profile = tenant.deleteUser(userId);
      const response = { status: 204 };
      logApiOperation(tenant, req, 'Delete a User', response);
      if (profile) logUserDeleted(tenant, profile);
      return response;
    }),

    route(tenant, 'POST', '/api/v2/users', ['create:users'], (req) => createUser(tenant, req)),

    // "Delete a Connection User": the documented fix for a ghost. Removes the internal-store entry and
    // the profile on that connection, if any. Emails are stored lowercased, so match ignoring case.
    route(tenant, 'DELETE', '/api/v2/connections/:id/users', ['delete:users'], (req) => {
      const connection = tenant.connection(req.params.id ?? '');
      // 404 as in Auth0's current spec (it listed 400 until mid-2026); the v7 SDK throws NotFoundError.
      if (!connection) throw connectionNotFound(404);
      const email = req.query.get('email');
      if (!email) throw queryError('Missing required property: email');
      if (connection.strategy !== 'auth0') throw new ApiError(400, 'Currently, only Database Connections are supported.', 'operation_not_supported');
      const entry = tenant.storeEntry(connection, email);
      const owner = entry && tenant.profileFor(connection, entry);
      const profiles = tenant.usersWithEmail(email).filter((p) => p.identities[0]?.connection === connection.name);
      if (owner && owner.identities[0]?.connection === connection.name && !profiles.includes(owner)) profiles.push(owner);
      if (entry) tenant.removeStoreEntry(connection, entry.email);
      for (const p of profiles) tenant.removeProfile(p.user_id);
      // A database identity linked under another primary is unlinked; that profile stays.
      if (owner && entry && !profiles.includes(owner)) tenant.unlinkIdentity(owner, connection.name, entry.user_id);
      const response = { status: 204 };
      logApiOperation(tenant, req, 'Delete a connection user', response);
      for (const p of profiles) logUserDeleted(tenant, p);
      return response;
    }),
  ];
}

/** `sdu` (Success User Deletion) for a removed profile. */
export function logUserDeleted(tenant: SandboxTenant, profile: Profile): void {
  const connection = tenant.connectionNamed(profile.identities[0]?.connection ?? '');
  tenant.addLog({
    type: 'sdu',
    description: 'User deleted',
    ...(connection ? { connection: connection.name, connection_id: connection.id, strategy: connection.strategy, strategy_type: 'database' } : {}),
    user_id: profile.user_id,
    user_name: profile.email,
    details: { body: { connection: profile.identities[0]?.connection, tenant: tenant.name } },
  });
}

function createUser(tenant: SandboxTenant, req: SandboxRequest) {
  const body = objectBody(req);
  rejectUnknownKeys(body, CREATE_KEYS);
  if (typeof body.connection !== 'string' || body.connection === '') throw payloadError('Missing required property: connection');
  const connection = tenant.connectionNamed(body.connection);
  if (!connection) throw connectionNotFound(400);
  if (connection.strategy !== 'auth0') throw new ApiError(400, 'Connection must be a database or passwordless connection', 'invalid_body');
  if (body.email === undefined) throw payloadError('Missing required property: email');
  if (typeof body.email !== 'string' || !EMAIL_PATTERN.test(body.email)) throw payloadError(`Object didn't pass validation for format email: ${String(body.email)}`, 'email');
  if (typeof body.password !== 'string' || body.password === '') throw payloadError('Missing required property: password');
  for (const key of ['user_metadata', 'app_metadata'] as const) {
    if (body[key] !== undefined && !isPlainObject(body[key])) throw payloadError(`Expected type object but found type ${typeof body[key]}`, key);
  }
  if (body.user_id !== undefined && typeof body.user_id !== 'string') throw payloadError(`Expected type string but found type ${typeof body.user_id}`, 'user_id');

  const email = body.email.toLowerCase();
  const conflict = new ApiError(409, 'The user already exists.', 'auth0_idp_error');
  // The internal store decides, ghosts included; under import mode the Get User script is asked too.
  if (tenant.storeEntry(connection, email)) throw conflict;
  if (tenant.legacyVia(connection, 'get_user', email)) throw conflict; // the Get User script finds them
  // A user_id is unique across the tenant: any connection, ghosts and linked identities included.
  if (typeof body.user_id === 'string' && tenant.userIdTaken(`auth0|${body.user_id}`)) throw conflict;

  const profile = tenant.createDatabaseUser(connection, {
    email,
    password: body.password,
    ...(typeof body.user_id === 'string' ? { user_id: `auth0|${body.user_id}` } : {}),
    email_verified: body.email_verified === true,
    ...(isPlainObject(body.user_metadata) ? { user_metadata: body.user_metadata } : {}),
    ...(isPlainObject(body.app_metadata) ? { app_metadata: body.app_metadata } : {}),
    ...(typeof body.name === 'string' ? { name: body.name } : {}),
    ...(typeof body.nickname === 'string' ? { nickname: body.nickname } : {}),
    ...(typeof body.given_name === 'string' ? { given_name: body.given_name } : {}),
    ...(typeof body.family_name === 'string' ? { family_name: body.family_name } : {}),
  });
  const response = json(201, publicUser(profile));
  logApiOperation(tenant, req, 'Create a User', response, body);
  return response;
}

/**
 * PATCH semantics (Auth0 "Update a user"): root attributes are replaced (`null` unsets the optional
 * ones); `user_metadata` / `app_metadata` merge at the first level, a `null` value deletes that key,
 * and `{}` (or `null`) clears the metadata entirely. Everything is checked before anything changes,
 * so a refused PATCH leaves the user as it was.
 */
function updateUser(tenant: SandboxTenant, profile: Profile, body: Record<string, unknown>): void {
  // 1. Check.
  for (const key of ['user_metadata', 'app_metadata'] as const) {
    const patch = body[key];
    if (patch !== undefined && patch !== null && !isPlainObject(patch)) throw payloadError(`Expected type object but found type ${Array.isArray(patch) ? 'array' : typeof patch}`, key);
  }
  for (const key of ['email_verified', 'blocked'] as const) {
    if (body[key] !== undefined && typeof body[key] !== 'boolean') throw payloadError(`Expected type boolean but found type ${typeof body[key]}`, key);
  }
  for (const key of ['name', 'nickname', ...OPTIONAL_STRINGS] as const) {
    if (body[key] !== undefined && body[key] !== null && typeof body[key] !== 'string') throw payloadError(`Expected type string but found type ${typeof body[key]}`, key);
  }
  // Email and password belong to the primary identity; on a database connection they live in its store entry.
  const primary = profile.identities[0];
  const connection = primary?.provider === 'auth0' ? tenant.connectionNamed(primary.connection) : undefined;
  const primaryId = primary ? `${primary.provider}|${primary.user_id}` : profile.user_id;
  let email: string | undefined;
  if (body.email !== undefined) {
    if (typeof body.email !== 'string' || !EMAIL_PATTERN.test(body.email)) throw payloadError(`Object didn't pass validation for format email: ${String(body.email)}`, 'email');
    email = connection ? body.email.toLowerCase() : body.email;
    // The new email must be free in the connection's store: a ghost holds it too. Auth0 answers 400 here (409 is POST /users).
    const holder = connection && tenant.storeEntry(connection, email);
    if (holder && holder.user_id !== primaryId) throw new ApiError(400, 'The specified new email already exists', 'auth0_idp_error');
  }
  let password: string | undefined;
  if (body.password !== undefined) {
    if (typeof body.password !== 'string' || body.password === '') throw payloadError('Expected type string but found type ' + typeof body.password, 'password');
    if (!connection || !tenant.storeEntryByUserId(connection, primaryId)) throw new ApiError(400, 'Cannot update password for non-database connections', 'operation_not_supported');
    password = body.password;
  }

  // 2. Apply.
  for (const key of ['user_metadata', 'app_metadata'] as const) {
    const patch = body[key];
    if (patch !== undefined) profile[key] = mergeMetadata(profile[key], patch as Record<string, unknown> | null);
  }
  for (const key of ['email_verified', 'blocked'] as const) if (body[key] !== undefined) profile[key] = body[key] as boolean;
  if (email !== undefined) tenant.changeEmail(profile, email);
  for (const key of ['name', 'nickname'] as const) {
    if (body[key] === undefined) continue;
    profile[key] = (body[key] as string | null) ?? (key === 'name' ? profile.email : (profile.email.split('@')[0] ?? profile.email));
  }
  for (const key of OPTIONAL_STRINGS) {
    if (body[key] === null) delete profile[key];
    else if (typeof body[key] === 'string') profile[key] = body[key];
  }
  if (password !== undefined) {
    const entry = tenant.storeEntryByUserId(connection!, primaryId)!;
    const { hash: _hash, ...rest } = entry;
    tenant.putStoreEntry(connection!, { ...rest, password });
    profile.last_password_reset = new Date(tenant.now()).toISOString();
  }
  profile.updated_at = new Date(tenant.now()).toISOString();
}

export function mergeMetadata(current: Record<string, unknown>, patch: Record<string, unknown> | null): Record<string, unknown> {
  if (patch === null || Object.keys(patch).length === 0) return {};
  const merged = { ...current };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete merged[key];
    else merged[key] = structuredClone(value);
  }
  return merged;
}
