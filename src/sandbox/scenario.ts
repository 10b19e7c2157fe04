import { createHash } from 'node:crypto';
import { FaultSpecError, parseFaults, type FaultSpec } from './faults.js';
import { jsonErrorOffset, lineAt, valueOffset } from './json-position.js';
import { EMAIL_PATTERN, isPlainObject, withProvider, type ProfileFields } from './profile.js';
import { RateLimitSpecError, parseRateLimit, type RateLimitSpec } from './rate-limit.js';

/**
 * A sandbox scenario: the tenant a rehearsal, demo or test starts from. Validated strictly (unknown
 * keys are errors) so a typo never silently yields a healthier tenant than the one intended.
 */
export interface Scenario {
  tenant: string;
  connections: ScenarioConnection[];
  users: ScenarioUser[];
  ghosts: ScenarioGhost[];
  legacy: ScenarioLegacyUser[];
  logs: Record<string, unknown>[];
  clients: ScenarioClient[];
  rateLimit?: RateLimitSpec;
  faults: FaultSpec[];
  jobs: JobTiming;
}

export interface ScenarioConnection {
  name: string;
  id?: string;
  strategy: string;
  display_name?: string;
  options: Record<string, unknown>;
  enabled_clients: string[];
}

export interface ScenarioIdentity {
  connection: string;
  provider: string;
  user_id: string;
  isSocial: boolean;
}

export interface ScenarioUser extends ProfileFields {
  connection: string;
  /** With a `provider|` prefix it is used as is; otherwise the connection's provider prefix is added. */
  user_id?: string;
  identities?: ScenarioIdentity[];
  /** ISO 8601, normalized to `toISOString()`; default: when the scenario is loaded. */
  created_at?: string;
  /** Default 0: a profile that never logged in (what an import or `POST /users` makes). */
  logins_count?: number;
  /** ISO 8601, normalized; given exactly when `logins_count` is at least 1, and with `created_at`, not before it. */
  last_login?: string;
}

export interface ScenarioGhost {
  email: string;
  connection: string;
  user_id?: string;
}

export interface ScenarioLegacyUser {
  email: string;
  password: string;
  user_id?: string;
  name?: string;
  user_metadata?: Record<string, unknown>;
  app_metadata?: Record<string, unknown>;
}

export interface ScenarioClient {
  client_id: string;
  client_secret: string;
  scopes?: string[];
}

export interface JobTiming {
  pendingMs: number;
  processingMs: number;
}

export const DEFAULT_JOB_TIMING: JobTiming = { pendingMs: 100, processingMs: 200 };

/** Social connections a user may name without declaring them (like Auth0's built-in social connections). */
export const SOCIAL_CONNECTIONS = ['google-oauth2', 'github', 'facebook', 'apple', 'windowslive', 'linkedin', 'twitter'];

export const CONNECTION_ID_PATTERN = /^con_[A-Za-z0-9]{16}$/;
const CONNECTION_NAME_PATTERN = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,126}[A-Za-z0-9])?$/;
const LOG_ID_PATTERN = /^\d{56}$/;

export class ScenarioError extends Error {
  constructor(
    message: string,
    readonly file: string,
    readonly line?: number,
  ) {
    super(message);
    this.name = 'ScenarioError';
  }

  /** `file:line` (or just the file) for messages. */
  get location(): string {
    return this.line === undefined ? this.file : `${this.file}:${this.line}`;
  }
}

export function emptyScenario(): Scenario {
  return { tenant: 'sandbox', connections: [], users: [], ghosts: [], legacy: [], logs: [], clients: [], faults: [], jobs: { ...DEFAULT_JOB_TIMING } };
}

// ---------------------------------------------------------------------------------------------- ids

export const HEX = '0123456789abcdef';

/** Deterministic ids for scenario entities, so a scenario always yields the same ids. */
export function stableId(seed: string, length: number, alphabet: string): string {
  const digest = createHash('sha256').update(seed).digest();
  let id = '';
  for (let i = 0; i < length; i++) id += alphabet[digest[i % digest.length]! % alphabet.length];
  return id;
}

/** Custom database with "Import Users to Auth0" on: logins and Get User fall through to the legacy store. */
export function importsFromLegacy(options: Record<string, unknown>): boolean {
  return options.enabledDatabaseCustomization === true && options.import_mode === true;
}

/** The ids a scenario's entities get, index for index: `legacy[i]`, `users[i]` and `ghosts[i]` (all with their provider prefix but the legacy ones). */
export interface ScenarioIds {
  legacy: string[];
  users: string[];
  ghosts: string[];
}

/**
 * The one derivation of scenario ids, used both by validation (user_ids are unique across the
 * tenant) and by `SandboxTenant.fromScenario`:
 * - legacy users: the given `user_id`, else `legacy-<hash of the email>`;
 * - users: the given `user_id` (the provider prefix added unless it has one), else the legacy id
 *   when the connection imports from a legacy store that has the email, else a stable hash;
 * - ghosts: `auth0|<given user_id>`, else `auth0|<legacy id>` when the legacy store has the email, else a stable hash.
 */
export function scenarioIds(scenario: Scenario): ScenarioIds {
  const legacyIds = new Map<string, string>();
  const legacy = scenario.legacy.map((l) => {
    const email = l.email.toLowerCase();
    const id = l.user_id ?? `legacy-${stableId(email, 10, HEX)}`;
    legacyIds.set(email, id);
    return id;
  });
  const connections = new Map(scenario.connections.map((c) => [c.name, c]));
  const users = scenario.users.map((u) => {
    const declared = connections.get(u.connection);
    const provider = declared?.strategy ?? u.connection;
    const email = provider === 'auth0' ? u.email.toLowerCase() : u.email;
    const fromLegacy = declared && importsFromLegacy(declared.options) ? legacyIds.get(email.toLowerCase()) : undefined;
    const fallback = provider === 'auth0' ? stableId(`${u.connection}/${email}`, 24, HEX) : stableId(`${u.connection}/${email}`, 21, '0123456789');
    return withProvider(u.user_id ?? fromLegacy ?? fallback, provider);
  });
  const ghosts = scenario.ghosts.map((g) => {
    const email = g.email.toLowerCase();
    if (g.user_id) return withProvider(g.user_id, 'auth0');
    return `auth0|${legacyIds.get(email) ?? stableId(`${g.connection}/${email}`, 24, HEX)}`;
  });
  return { legacy, users, ghosts };
}

/** A linked identity's id with its provider prefix (`auth0|legacy-9`), whether or not the scenario wrote the prefix. */
export function linkedIdentityId(identity: ScenarioIdentity): string {
  const bare = identity.user_id.startsWith(`${identity.provider}|`) ? identity.user_id.slice(identity.provider.length + 1) : identity.user_id;
  return `${identity.provider}|${bare}`;
}

/** JSON.parse, with a syntax error as a ScenarioError naming its line. */
function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const message = (err as Error).message;
    throw new ScenarioError(`invalid JSON: ${message}`, file, lineAt(text, jsonErrorOffset(text, message)));
  }
}

export function parseScenario(text: string, file: string): Scenario {
  return new Validator(text, file).scenario(parseJson(text, file));
}

/**
 * A rate limit on its own, as `POST /__sandbox/rate-limit` takes it: the scenario's `rateLimit`
 * syntax, or `null` (no rate limit). Errors name the path (`rateLimit.groups[0].burst`) and the line.
 */
export function parseRateLimitOverride(text: string, file: string): RateLimitSpec | null {
  if (text.trim() === '') throw new ScenarioError('the body must be a rate limit ({"burst", "perSecond" or "perMinute", "groups"?}), or null for none', file);
  const value = parseJson(text, file);
  if (value === null) return null;
  // Seen from a scenario whose rateLimit is the body: the paths and lines stay the body's (no newline is added).
  return new Validator(`{"rateLimit":${text}}`, file).rateLimit(value);
}

// ---------------------------------------------------------------------------------------------- validation

type Path = Array<string | number>;
type Obj = Record<string, unknown>;

const TOP_KEYS = ['tenant', 'connections', 'users', 'ghosts', 'legacy', 'logs', 'clients', 'rateLimit', 'faults', 'jobs'];
const CONNECTION_KEYS = ['name', 'id', 'strategy', 'display_name', 'options', 'enabled_clients'];
const USER_KEYS = [
  'email', 'connection', 'user_id', 'password', 'email_verified', 'name', 'nickname', 'given_name', 'family_name', 'user_metadata', 'app_metadata', 'identities',
  'created_at', 'logins_count', 'last_login',
];
/** A date-time with a time zone, as Auth0 writes them (`2024-05-02T10:40:12.031Z`); an offset is accepted too. */
const ISO_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/;
const IDENTITY_KEYS = ['connection', 'provider', 'user_id', 'isSocial'];
const GHOST_KEYS = ['email', 'connection', 'user_id'];
const LEGACY_KEYS = ['email', 'password', 'user_id', 'name', 'user_metadata', 'app_metadata'];
const CLIENT_KEYS = ['client_id', 'client_secret', 'scopes'];
const JOBS_KEYS = ['pendingMs', 'processingMs'];

class Validator {
  private readonly connections = new Map<string, ScenarioConnection>();
  private readonly logIds = new Set<string>();

  constructor(
    private readonly text: string,
    private readonly file: string,
  ) {}

  scenario(value: unknown): Scenario {
    const v = this.object(value, [], TOP_KEYS);
    const scenario = emptyScenario();
    if (v.tenant !== undefined) scenario.tenant = this.string(v.tenant, ['tenant'], /^[a-z0-9][a-z0-9-]*$/, 'must be a tenant name (lowercase letters, digits, dashes)');
    scenario.connections = this.array(v.connections, ['connections']).map((c, i) => this.connection(c, ['connections', i]));
    scenario.legacy = this.unique(
      this.array(v.legacy, ['legacy']).map((u, i) => this.legacyUser(u, ['legacy', i])),
      (u) => u.email,
      'legacy',
      'email',
    );
    scenario.users = this.array(v.users, ['users']).map((u, i) => this.user(u, ['users', i]));
    scenario.ghosts = this.array(v.ghosts, ['ghosts']).map((g, i) => this.ghost(g, ['ghosts', i]));
    this.checkStoreCollisions(scenario);
    this.checkUserIds(scenario);
    scenario.logs = this.array(v.logs, ['logs']).map((l, i) => this.log(l, ['logs', i]));
    scenario.clients = this.unique(
      this.array(v.clients, ['clients']).map((c, i) => this.client(c, ['clients', i])),
      (c) => c.client_id,
      'clients',
      'client_id',
    );
    if (v.rateLimit !== undefined) scenario.rateLimit = this.rateLimit(v.rateLimit);
    if (v.faults !== undefined) scenario.faults = this.wrap(FaultSpecError, () => parseFaults(v.faults, 'faults'));
    if (v.jobs !== undefined) scenario.jobs = this.jobs(v.jobs, ['jobs']);
    return scenario;
  }

  /** `rateLimit`: the global bucket and the endpoint groups (src/sandbox/rate-limit.ts). */
  rateLimit(value: unknown): RateLimitSpec {
    return this.wrap(RateLimitSpecError, () => parseRateLimit(value, 'rateLimit'));
  }

  private connection(value: unknown, path: Path): ScenarioConnection {
    const v = this.object(value, path, CONNECTION_KEYS);
    const name = this.string(v.name, [...path, 'name'], CONNECTION_NAME_PATTERN, 'must be a connection name (letters, digits and dashes, at most 128)');
    if (this.connections.has(name)) this.fail([...path, 'name'], `duplicate connection name "${name}"`);
    const connection: ScenarioConnection = {
      name,
      strategy: v.strategy === undefined ? 'auth0' : this.string(v.strategy, [...path, 'strategy']),
      options: v.options === undefined ? {} : this.connectionOptions(v.options, [...path, 'options']),
      enabled_clients: v.enabled_clients === undefined ? [] : this.strings(v.enabled_clients, [...path, 'enabled_clients']),
    };
    if (v.id !== undefined) {
      connection.id = this.string(v.id, [...path, 'id'], CONNECTION_ID_PATTERN, 'must match ^con_[A-Za-z0-9]{16}$');
      for (const other of this.connections.values()) if (other.id === connection.id) this.fail([...path, 'id'], `duplicate connection id "${connection.id}"`);
    }
    if (v.display_name !== undefined) connection.display_name = this.string(v.display_name, [...path, 'display_name']);
    this.connections.set(name, connection);
    return connection;
  }

  private connectionOptions(value: unknown, path: Path): Obj {
    const v = this.object(value, path);
    for (const flag of ['enabledDatabaseCustomization', 'import_mode', 'disable_signup']) {
      if (v[flag] !== undefined && typeof v[flag] !== 'boolean') this.fail([...path, flag], 'must be true or false');
    }
    if (v.customScripts !== undefined) {
      const scripts = this.object(v.customScripts, [...path, 'customScripts']);
      for (const [key, script] of Object.entries(scripts)) this.string(script, [...path, 'customScripts', key]);
    }
    return v;
  }

  private user(value: unknown, path: Path): ScenarioUser {
    const v = this.object(value, path, USER_KEYS);
    const connectionName = this.userConnection(v.connection, [...path, 'connection']);
    const user: ScenarioUser = { email: this.email(v.email, [...path, 'email']), connection: connectionName };
    if (v.user_id !== undefined) user.user_id = this.string(v.user_id, [...path, 'user_id']);
    if (v.password !== undefined) user.password = this.string(v.password, [...path, 'password']);
    if (v.email_verified !== undefined) user.email_verified = this.boolean(v.email_verified, [...path, 'email_verified']);
    for (const key of ['name', 'nickname', 'given_name', 'family_name'] as const) {
      if (v[key] !== undefined) user[key] = this.string(v[key], [...path, key]);
    }
    if (v.user_metadata !== undefined) user.user_metadata = this.object(v.user_metadata, [...path, 'user_metadata']);
    if (v.app_metadata !== undefined) user.app_metadata = this.object(v.app_metadata, [...path, 'app_metadata']);
    if (v.identities !== undefined) {
      user.identities = this.array(v.identities, [...path, 'identities']).map((id, i) => this.identity(id, [...path, 'identities', i]));
    }
    this.loginHistory(v, path, user);
    return user;
  }

  /** `created_at`, `logins_count`, `last_login`: a profile that logged in has a last login, after it was created. */
  private loginHistory(v: Obj, path: Path, user: ScenarioUser): void {
    if (v.created_at !== undefined) user.created_at = this.dateTime(v.created_at, [...path, 'created_at']);
    if (v.logins_count !== undefined) {
      if (typeof v.logins_count !== 'number' || !Number.isInteger(v.logins_count) || v.logins_count < 0) this.fail([...path, 'logins_count'], 'must be a non-negative integer');
      user.logins_count = v.logins_count;
    }
    const logins = user.logins_count ?? 0;
    if (v.last_login === undefined) {
      if (logins > 0) this.fail([...path, 'logins_count'], `is ${logins}, so last_login is required (a user who logged in has a last login)`);
      return;
    }
    if (logins === 0) this.fail([...path, 'last_login'], 'needs logins_count of at least 1 (a user who never logged in has no last login)');
    user.last_login = this.dateTime(v.last_login, [...path, 'last_login']);
    if (user.created_at === undefined) this.fail([...path, 'last_login'], 'needs created_at too (the default created_at is the moment the scenario loads, which would come after this login)');
    if (user.last_login < user.created_at) this.fail([...path, 'last_login'], `is before created_at (${user.created_at})`);
  }

  private identity(value: unknown, path: Path): ScenarioIdentity {
    const v = this.object(value, path, IDENTITY_KEYS);
    const connection = this.string(v.connection, [...path, 'connection']);
    const declared = this.connections.get(connection);
    const provider = v.provider === undefined ? (declared?.strategy ?? connection) : this.string(v.provider, [...path, 'provider']);
    return {
      connection,
      provider,
      user_id: this.string(v.user_id, [...path, 'user_id']),
      isSocial: v.isSocial === undefined ? provider !== 'auth0' : this.boolean(v.isSocial, [...path, 'isSocial']),
    };
  }

  private ghost(value: unknown, path: Path): ScenarioGhost {
    const v = this.object(value, path, GHOST_KEYS);
    const ghost: ScenarioGhost = { email: this.email(v.email, [...path, 'email']), connection: this.databaseConnection(v.connection, [...path, 'connection']) };
    if (v.user_id !== undefined) ghost.user_id = this.string(v.user_id, [...path, 'user_id']);
    return ghost;
  }

  private legacyUser(value: unknown, path: Path): ScenarioLegacyUser {
    const v = this.object(value, path, LEGACY_KEYS);
    const user: ScenarioLegacyUser = { email: this.email(v.email, [...path, 'email']), password: this.string(v.password, [...path, 'password']) };
    if (v.user_id !== undefined) user.user_id = this.string(v.user_id, [...path, 'user_id']);
    if (v.name !== undefined) user.name = this.string(v.name, [...path, 'name']);
    if (v.user_metadata !== undefined) user.user_metadata = this.object(v.user_metadata, [...path, 'user_metadata']);
    if (v.app_metadata !== undefined) user.app_metadata = this.object(v.app_metadata, [...path, 'app_metadata']);
    return user;
  }

  private log(value: unknown, path: Path): Obj {
    const v = this.object(value, path);
    this.string(v.type, [...path, 'type']);
    if (v.date !== undefined && (typeof v.date !== 'string' || Number.isNaN(Date.parse(v.date)))) this.fail([...path, 'date'], 'must be an ISO 8601 date');
    if (v.log_id !== undefined) {
      const id = this.string(v.log_id, [...path, 'log_id'], LOG_ID_PATTERN, 'must be a 56-digit numeric string like Auth0\'s (omit it to have one assigned)');
      if (this.logIds.has(id)) this.fail([...path, 'log_id'], `duplicate log_id "${id}"`);
      this.logIds.add(id);
    }
    return v;
  }

  private client(value: unknown, path: Path): ScenarioClient {
    const v = this.object(value, path, CLIENT_KEYS);
    const client: ScenarioClient = { client_id: this.string(v.client_id, [...path, 'client_id']), client_secret: this.string(v.client_secret, [...path, 'client_secret']) };
    if (v.scopes !== undefined) client.scopes = this.strings(v.scopes, [...path, 'scopes']);
    return client;
  }

  private jobs(value: unknown, path: Path): JobTiming {
    const v = this.object(value, path, JOBS_KEYS);
    const timing = { ...DEFAULT_JOB_TIMING };
    for (const key of JOBS_KEYS as Array<keyof JobTiming>) {
      const ms = v[key];
      if (ms === undefined) continue;
      if (typeof ms !== 'number' || !Number.isInteger(ms) || ms < 0 || ms > 600_000) this.fail([...path, key], 'must be an integer number of milliseconds, 0-600000');
      timing[key] = ms;
    }
    return timing;
  }

  /** A user may live on a declared connection or on a built-in social connection. */
  private userConnection(value: unknown, path: Path): string {
    const name = this.string(value, path);
    if (this.connections.has(name) || SOCIAL_CONNECTIONS.includes(name)) return name;
    this.fail(path, `"${name}" is not a declared connection (declared: ${this.declaredNames()}) nor a social connection (${SOCIAL_CONNECTIONS.join(', ')})`);
  }

  private databaseConnection(value: unknown, path: Path): string {
    const name = this.string(value, path);
    const connection = this.connections.get(name);
    if (!connection) this.fail(path, `"${name}" is not a declared connection (declared: ${this.declaredNames()})`);
    if (connection.strategy !== 'auth0') this.fail(path, `"${name}" is not a database connection (strategy "${connection.strategy}")`);
    return name;
  }

  private declaredNames(): string {
    return [...this.connections.keys()].join(', ') || 'none';
  }

  /**
   * One email may exist once per connection's internal store, whether as a user, a ghost, or a
   * database identity linked under another user (it has a store entry under that user's email).
   */
  private checkStoreCollisions(scenario: Scenario): void {
    const seen = new Map<string, Path>();
    /** `at` is where the error points; `owner` is how a later collision names this one. */
    const claim = (connection: string, email: string, at: Path, owner: Path, what: string) => {
      const key = `${connection}\u0000${email.toLowerCase()}`;
      const earlier = seen.get(key);
      if (earlier) this.fail(at, `${what} is already on connection "${connection}" (${formatPath(earlier)})`);
      seen.set(key, owner);
    };
    scenario.users.forEach((u, i) => {
      claim(u.connection, u.email, ['users', i, 'email'], ['users', i], u.email);
      u.identities?.forEach((identity, j) => {
        if (identity.provider !== 'auth0' || this.connections.get(identity.connection)?.strategy !== 'auth0') return;
        const path: Path = ['users', i, 'identities', j];
        claim(identity.connection, u.email, path, path, `the linked database identity's store entry ${u.email.toLowerCase()}`);
      });
    });
    scenario.ghosts.forEach((g, i) => claim(g.connection, g.email, ['ghosts', i, 'email'], ['ghosts', i], g.email));
  }

  /**
   * A user_id (with its provider prefix) names one user across the whole tenant: a profile, a ghost
   * or a linked identity. Auth0 requires custom database ids to be unique across connections too.
   */
  private checkUserIds(scenario: Scenario): void {
    const ids = scenarioIds(scenario);
    const seen = new Map<string, Path>();
    const claim = (id: string, owner: Path, given: boolean) => {
      const earlier = seen.get(id);
      if (earlier) {
        const at: Path = given ? [...owner, 'user_id'] : owner;
        const what = given ? `user_id "${id}"` : `its derived user_id "${id}"`;
        this.fail(at, `${what} is already used by ${formatPath(earlier)} (a user_id is unique across the tenant)`);
      }
      seen.set(id, owner);
    };
    scenario.users.forEach((u, i) => {
      claim(ids.users[i]!, ['users', i], u.user_id !== undefined);
      u.identities?.forEach((identity, j) => claim(linkedIdentityId(identity), ['users', i, 'identities', j], true));
    });
    scenario.ghosts.forEach((g, i) => claim(ids.ghosts[i]!, ['ghosts', i], g.user_id !== undefined));
  }

  private unique<T>(items: T[], key: (item: T) => string, list: string, field: string): T[] {
    const seen = new Map<string, number>();
    items.forEach((item, i) => {
      const k = key(item).toLowerCase();
      const earlier = seen.get(k);
      if (earlier !== undefined) this.fail([list, i, field], `duplicate ${field} "${key(item)}" (also ${list}[${earlier}])`);
      seen.set(k, i);
    });
    return items;
  }

  private wrap<T, E extends Error>(errorType: new (...args: never[]) => E, parse: () => T): T {
    try {
      return parse();
    } catch (err) {
      if (!(err instanceof errorType)) throw err;
      const path = /^([A-Za-z_]\w*(?:\[\d+\]|\.[A-Za-z_]\w*)*)/.exec(err.message)?.[1];
      throw new ScenarioError(err.message, this.file, path === undefined ? undefined : this.lineOf(parsePath(path)));
    }
  }

  // -------------------------------------------------------------------------------------------- primitives

  private object(value: unknown, path: Path, allowed?: string[]): Obj {
    if (!isPlainObject(value)) this.fail(path, 'must be an object');
    const v = value;
    if (allowed) {
      for (const key of Object.keys(v)) if (!allowed.includes(key)) this.fail([...path, key], `unknown key (allowed: ${allowed.join(', ')})`);
    }
    return v;
  }

  private array(value: unknown, path: Path): unknown[] {
    if (value === undefined) return [];
    if (!Array.isArray(value)) this.fail(path, 'must be an array');
    return value;
  }

  private string(value: unknown, path: Path, pattern?: RegExp, patternMessage?: string): string {
    if (typeof value !== 'string' || value === '') this.fail(path, value === undefined ? 'is required' : 'must be a non-empty string');
    if (pattern && !pattern.test(value)) this.fail(path, patternMessage ?? `must match ${pattern.source}`);
    return value;
  }

  private strings(value: unknown, path: Path): string[] {
    return this.array(value, path).map((s, i) => this.string(s, [...path, i]));
  }

  private email(value: unknown, path: Path): string {
    return this.string(value, path, EMAIL_PATTERN, 'must be an email');
  }

  /** An ISO 8601 date-time with a time zone, returned as `toISOString()`. */
  private dateTime(value: unknown, path: Path): string {
    const text = this.string(value, path, ISO_DATE_TIME, 'must be an ISO 8601 date-time with a time zone, like 2024-05-02T10:40:12.031Z');
    // Date.parse rolls 2024-02-30 over to March 1st: check the fields themselves.
    const [year, month, day, hour, minute, second] = ISO_DATE_TIME.exec(text)!.slice(1, 7).map((f) => Number(f ?? 0)) as [number, number, number, number, number, number];
    const date = new Date(Date.UTC(year, month - 1, day));
    const ms = Date.parse(text);
    if (Number.isNaN(ms) || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) {
      this.fail(path, 'must be a real date and time');
    }
    return new Date(ms).toISOString();
  }

  private boolean(value: unknown, path: Path): boolean {
    if (typeof value !== 'boolean') this.fail(path, 'must be true or false');
    return value;
  }

  private fail(path: Path, message: string): never {
    throw new ScenarioError(path.length ? `${formatPath(path)}: ${message}` : message, this.file, this.lineOf(path));
  }

  /** The line of the value at `path`, or of its nearest enclosing value that exists in the text. */
  private lineOf(path: Path): number | undefined {
    for (let n = path.length; n >= 0; n--) {
      const offset = valueOffset(this.text, path.slice(0, n));
      if (offset !== undefined) return lineAt(this.text, offset);
    }
    return undefined;
  }
}

export function formatPath(path: Path): string {
  return path.map((seg, i) => (typeof seg === 'number' ? `[${seg}]` : i === 0 ? seg : `.${seg}`)).join('');
}

function parsePath(text: string): Path {
  return [...text.matchAll(/([A-Za-z_]\w*)|\[(\d+)\]/g)].map((m) => (m[2] !== undefined ? Number(m[2]) : m[1]!));
}
