import { ActionBoard } from './actions.js';
import { ExportSigner } from './exports.js';
import { JobBoard, type ExportJob } from './jobs.js';
import { LogBook, type LogInput, type LogRecord } from './log-book.js';
import { newProfile, publicUser, withProvider, type Identity, type NewDatabaseUser, type Profile, type StoreEntry } from './profile.js';
import type { JobTiming, Scenario, ScenarioUser } from './scenario.js';
import { DEFAULT_JOB_TIMING, HEX, importsFromLegacy, linkedIdentityId, scenarioIds, stableId } from './scenario.js';
import { legacyReach, type LegacyReach } from './scripts.js';

export type { Identity, ImportedHash, NewDatabaseUser, Profile, StoreEntry } from './profile.js';
export { passwordMatches, publicUser, withProvider } from './profile.js';

/**
 * The sandbox tenant. Three stores, kept apart on purpose because the bug lives between them:
 * - profiles: the users the Management API shows (`/users`, `/users-by-email`);
 * - each database connection's internal user store (email → user_id, password), which decides
 *   "The user already exists." / DUPLICATED_USER;
 * - the legacy store behind the custom database scripts (lazy migration source).
 * A ghost is an internal-store entry without a profile: exactly the stuck state.
 */
export interface Connection {
  id: string;
  name: string;
  strategy: string;
  display_name?: string;
  options: Record<string, unknown>;
  enabled_clients: string[];
  realms: string[];
  is_domain_connection: boolean;
}

export interface LegacyUser {
  email: string;
  password: string;
  user_id: string;
  name?: string;
  user_metadata: Record<string, unknown>;
  app_metadata: Record<string, unknown>;
}

export interface SandboxTenantOptions {
  now?: () => number;
  random?: () => number;
  /** Origin of the sandbox, for ticket URLs. */
  baseUrl?: string;
  /**
   * Origin of the host serving export files (another host than `baseUrl`, as user-exports.auth0.com is
   * for a tenant). Default: `baseUrl` with `localhost` for its host name (`127.0.0.1` if it is localhost).
   */
  exportsUrl?: string;
  /** The key export links are signed with (default: random, made once per tenant). */
  exportKey?: Buffer;
}

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export class SandboxTenant {
  readonly now: () => number;
  readonly random: () => number;
  readonly baseUrl: string;
  readonly exportsUrl: string;
  readonly exportLinks: ExportSigner;
  readonly logs: LogBook;
  readonly jobs: JobBoard;
  /** Actions, their versions and trigger bindings (src/sandbox/actions.ts). */
  readonly actions: ActionBoard;

  private readonly connectionsById = new Map<string, Connection>();
  private readonly connectionsByName = new Map<string, Connection>();
  private readonly profiles = new Map<string, Profile>();
  /** Lowercased email → user_ids of the profiles with that email. */
  private readonly emailIndex = new Map<string, Set<string>>();
  /** `identityKey(connection, provider|id)` → user_id of the profile holding that identity (primary or linked). */
  private readonly identityOwners = new Map<string, string>();
  /** Connection name → user_ids of the profiles with an identity (primary or linked) on it, in insertion order. */
  private readonly connectionMembers = new Map<string, Set<string>>();
  /** Connection id → lowercased email → entry. */
  private readonly stores = new Map<string, Map<string, StoreEntry>>();
  /** `connectionId\0user_id` → lowercased email of the store entry. */
  private readonly storeUserIds = new Map<string, string>();
  private readonly legacy = new Map<string, LegacyUser>();
  private readonly tickets = new Map<string, { connectionId: string; email: string; expiresAt: number }>();

  constructor(
    readonly name: string,
    options: SandboxTenantOptions = {},
    readonly jobTiming: JobTiming = DEFAULT_JOB_TIMING,
  ) {
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    this.baseUrl = (options.baseUrl ?? 'https://localhost').replace(/\/$/, '');
    this.exportsUrl = (options.exportsUrl ?? defaultExportsUrl(this.baseUrl)).replace(/\/$/, '');
    this.exportLinks = new ExportSigner(options.exportKey);
    this.logs = new LogBook(this.now, { tenant_name: name, hostname: new URL(this.baseUrl).host });
    this.jobs = new JobBoard(this);
    this.actions = new ActionBoard(this);
  }

  static fromScenario(scenario: Scenario, options: SandboxTenantOptions = {}): SandboxTenant {
    const tenant = new SandboxTenant(scenario.tenant, options, scenario.jobs);
    const createdAt = new Date(tenant.now()).toISOString();
    const ids = scenarioIds(scenario);
    for (const c of scenario.connections) {
      const id = c.id ?? `con_${stableId(`${scenario.tenant}/${c.name}`, 16, ALPHANUMERIC)}`;
      tenant.addConnection({
        id,
        name: c.name,
        strategy: c.strategy,
        ...(c.display_name === undefined ? {} : { display_name: c.display_name }),
        options: structuredClone(c.options),
        enabled_clients: [...c.enabled_clients],
        realms: [c.name],
        is_domain_connection: false,
      });
    }
    scenario.legacy.forEach((l, i) => {
      tenant.legacy.set(l.email.toLowerCase(), {
        email: l.email.toLowerCase(),
        password: l.password,
        user_id: ids.legacy[i]!,
        ...(l.name === undefined ? {} : { name: l.name }),
        user_metadata: structuredClone(l.user_metadata ?? {}),
        app_metadata: structuredClone(l.app_metadata ?? {}),
      });
    });
    scenario.users.forEach((u, i) => tenant.addScenarioUser(u, ids.users[i]!, createdAt));
    scenario.ghosts.forEach((g, i) => {
      const connection = tenant.connectionNamed(g.connection)!;
      const email = g.email.toLowerCase();
      const legacy = tenant.legacy.get(email);
      // An interrupted lazy migration wrote the store entry with the legacy password.
      tenant.putStoreEntry(connection, { email, user_id: ids.ghosts[i]!, ...(legacy ? { password: legacy.password } : {}) });
    });
    tenant.logs.preload(scenario.logs.map((l) => structuredClone(l)));
    return tenant;
  }

  // -------------------------------------------------------------------------------------------- connections

  addConnection(connection: Connection): void {
    this.connectionsById.set(connection.id, connection);
    this.connectionsByName.set(connection.name, connection);
    if (connection.strategy === 'auth0') this.stores.set(connection.id, new Map());
  }

  connection(id: string): Connection | undefined {
    return this.connectionsById.get(id);
  }

  connectionNamed(name: string): Connection | undefined {
    return this.connectionsByName.get(name);
  }

  connections(): Connection[] {
    return [...this.connectionsById.values()];
  }

  /** Custom database with "Import Users to Auth0" on: logins and Get User fall through to the legacy store. */
  importsFromLegacy(connection: Connection): boolean {
    return importsFromLegacy(connection.options);
  }

  /** How the connection reaches the legacy store (custom database, import mode, no-op scripts): see scripts.ts. */
  legacyReach(connection: Connection): LegacyReach {
    return legacyReach(connection.options);
  }

  /**
   * The legacy user a lazy-migration script finds for `email`: only under import mode, and only while
   * that script is not a no-op (a disconnected store finds nobody).
   */
  legacyVia(connection: Connection, script: 'login' | 'get_user', email: string): LegacyUser | undefined {
    const reach = legacyReach(connection.options);
    if (reach.mode !== 'migrate' || !(script === 'login' ? reach.login : reach.getUser)) return undefined;
    return this.legacyUser(email);
  }

  /** Whether the connection has users: profiles on it or entries in its internal store (ghosts count). */
  hasUsers(connection: Connection): boolean {
    return this.countOnConnection(connection.name) > 0 || (this.stores.get(connection.id)?.size ?? 0) > 0;
  }

  /** The connection end-user actions use when none is named: the first lazy-migration connection, else the first database. */
  defaultDatabaseConnection(): Connection | undefined {
    const databases = this.connections().filter((c) => c.strategy === 'auth0');
    return databases.find((c) => this.importsFromLegacy(c)) ?? databases[0];
  }

  // -------------------------------------------------------------------------------------------- profiles

  user(userId: string): Profile | undefined {
    return this.profiles.get(userId);
  }

  /** Profiles whose email equals `email` ignoring case (callers apply Auth0's case rules). */
  usersWithEmail(email: string): Profile[] {
    const ids = this.emailIndex.get(email.toLowerCase());
    return ids ? [...ids].map((id) => this.profiles.get(id)!) : [];
  }

  users(): IterableIterator<Profile> {
    return this.profiles.values();
  }

  get userCount(): number {
    return this.profiles.size;
  }

  /** Profiles with an identity (primary or linked) on the connection: what `identities.connection:"name"` matches. */
  *usersOnConnection(connectionName: string): IterableIterator<Profile> {
    const ids = this.connectionMembers.get(connectionName);
    if (ids) for (const id of ids) yield this.profiles.get(id)!;
  }

  countOnConnection(connectionName: string): number {
    return this.connectionMembers.get(connectionName)?.size ?? 0;
  }

  /**
   * Whether a user_id is in use anywhere in the tenant: a profile, an identity linked under a
   * profile, or an internal-store entry (a ghost included). Auth0 user_ids are unique tenant-wide.
   */
  userIdTaken(userId: string): boolean {
    if (this.profiles.has(userId)) return true;
    for (const connection of this.connectionsById.values()) {
      if (this.identityOwners.has(identityKey(connection.name, userId))) return true;
      if (this.storeUserIds.has(storeKey(connection.id, userId))) return true;
    }
    return false;
  }

  /** Adds a profile. An existing user_id, or an identity another profile holds, is a bug in the caller: it throws. */
  addProfile(profile: Profile): void {
    if (this.profiles.has(profile.user_id)) throw new Error(`sandbox invariant: user_id ${profile.user_id} already exists in tenant ${this.name}`);
    for (const identity of profile.identities) {
      const owner = this.identityOwners.get(identityKeyOf(identity));
      if (owner !== undefined) throw new Error(`sandbox invariant: identity ${identity.provider}|${identity.user_id} on ${identity.connection} already belongs to ${owner}`);
    }
    this.profiles.set(profile.user_id, profile);
    this.indexEmail(profile);
    for (const identity of profile.identities) this.indexIdentity(profile, identity);
  }

  /** Removes the profile only; store entries are the caller's business. */
  removeProfile(userId: string): Profile | undefined {
    const profile = this.profiles.get(userId);
    if (!profile) return undefined;
    this.profiles.delete(userId);
    this.unindexEmail(profile);
    for (const identity of profile.identities) this.unindexIdentity(profile, identity);
    return profile;
  }

  /**
   * Unlinks a secondary identity (`provider|id` on `connectionName`) from its profile; the profile
   * stays. The primary identity cannot be unlinked. Store entries are the caller's business.
   */
  unlinkIdentity(profile: Profile, connectionName: string, identityUserId: string): boolean {
    const index = profile.identities.findIndex((i, n) => n > 0 && i.connection === connectionName && `${i.provider}|${i.user_id}` === identityUserId);
    if (index < 0) return false;
    const [identity] = profile.identities.splice(index, 1);
    this.unindexIdentity(profile, identity!);
    return true;
  }

  /**
   * Changes a profile's email. Only the primary identity's store entry moves (a linked identity keeps
   * its own entry, as Auth0 updates secondary identities only when asked by `connection`). The caller
   * checks that the new email is free on that connection; `putStoreEntry` throws if it is not.
   */
  changeEmail(profile: Profile, email: string): void {
    const primary = profile.identities[0];
    const connection = primary?.provider === 'auth0' ? this.connectionNamed(primary.connection) : undefined;
    const entry = connection && this.storeEntryByUserId(connection, `auth0|${primary!.user_id}`);
    if (connection && entry && entry.email !== email.toLowerCase()) {
      const holder = this.storeEntry(connection, email);
      if (holder) throw new Error(`sandbox invariant: ${email} is already in the store of ${connection.name} (${holder.user_id})`);
      this.removeStoreEntry(connection, entry.email);
      this.putStoreEntry(connection, { ...entry, email: email.toLowerCase() });
    }
    this.unindexEmail(profile);
    profile.email = email;
    this.indexEmail(profile);
  }

  /** The profile holding the identity behind a store entry, if any (none means the entry is a ghost). */
  profileFor(connection: Connection, entry: StoreEntry): Profile | undefined {
    const owner = this.identityOwners.get(identityKey(connection.name, entry.user_id));
    return owner === undefined ? undefined : this.profiles.get(owner);
  }

  /** Creates both halves of a healthy database user: the store entry and the profile. */
  createDatabaseUser(connection: Connection, input: NewDatabaseUser): Profile {
    const email = input.email.toLowerCase();
    const userId = input.user_id ? withProvider(input.user_id, 'auth0') : `auth0|${this.randomId(24, HEX)}`;
    // Checked before anything is written, so a refused user leaves no half (callers check first).
    if (this.userIdTaken(userId)) throw new Error(`sandbox invariant: user_id ${userId} already exists in tenant ${this.name}`);
    const entry: StoreEntry = { email, user_id: userId };
    if (input.password !== undefined) entry.password = input.password;
    if (input.hash) entry.hash = input.hash;
    this.putStoreEntry(connection, entry);
    const at = new Date(input.at ?? this.now()).toISOString();
    const profile = newProfile({
      ...input,
      user_id: userId,
      email,
      identities: [{ connection: connection.name, provider: 'auth0', user_id: userId.slice('auth0|'.length), isSocial: false }],
      created_at: at,
    });
    this.addProfile(profile);
    return profile;
  }

  /** DELETE /users/:id: the profile and the store entries of its database identities. */
  deleteUser(userId: string): Profile | undefined {
    const profile = this.removeProfile(userId);
    if (!profile) return undefined;
    for (const identity of profile.identities) {
      if (identity.provider !== 'auth0') continue;
      const connection = this.connectionNamed(identity.connection);
      const entry = connection && this.storeEntryByUserId(connection, `auth0|${identity.user_id}`);
      if (connection && entry) this.removeStoreEntry(connection, entry.email);
    }
    return profile;
  }

  // -------------------------------------------------------------------------------------------- internal user store

  storeEntry(connection: Connection, email: string): StoreEntry | undefined {
    return this.stores.get(connection.id)?.get(email.toLowerCase());
  }

  storeEntryByUserId(connection: Connection, userId: string): StoreEntry | undefined {
    const email = this.storeUserIds.get(storeKey(connection.id, userId));
    return email === undefined ? undefined : this.storeEntry(connection, email);
  }

  storeEntries(connection: Connection): StoreEntry[] {
    return [...(this.stores.get(connection.id)?.values() ?? [])];
  }

  /**
   * Writes (or rewrites) a store entry. It never replaces an entry that belongs to another user_id,
   * nor gives a user_id a second entry on the connection: either is a bug in the caller, and throws.
   */
  putStoreEntry(connection: Connection, entry: StoreEntry): void {
    const store = this.stores.get(connection.id);
    if (!store) throw new Error(`connection ${connection.name} has no user store (strategy ${connection.strategy})`);
    const email = entry.email.toLowerCase();
    const existing = store.get(email);
    if (existing && existing.user_id !== entry.user_id) {
      throw new Error(`sandbox invariant: the store of ${connection.name} already holds ${email} for ${existing.user_id}; refusing to overwrite it with ${entry.user_id}`);
    }
    const key = storeKey(connection.id, entry.user_id);
    const current = this.storeUserIds.get(key);
    if (current !== undefined && current !== email) {
      throw new Error(`sandbox invariant: ${entry.user_id} already has a store entry on ${connection.name} (${current})`);
    }
    store.set(email, { ...entry, email });
    this.storeUserIds.set(key, email);
  }

  removeStoreEntry(connection: Connection, email: string): StoreEntry | undefined {
    const store = this.stores.get(connection.id);
    const entry = store?.get(email.toLowerCase());
    if (!store || !entry) return undefined;
    store.delete(entry.email);
    this.storeUserIds.delete(storeKey(connection.id, entry.user_id));
    return entry;
  }

  isGhost(connection: Connection, email: string): boolean {
    const entry = this.storeEntry(connection, email);
    return entry !== undefined && this.profileFor(connection, entry) === undefined;
  }

  // -------------------------------------------------------------------------------------------- legacy store

  legacyUser(email: string): LegacyUser | undefined {
    return this.legacy.get(email.toLowerCase());
  }

  // -------------------------------------------------------------------------------------------- tickets, logs, ids

  issueTicket(connection: Connection, email: string, ttlSeconds: number): string {
    const ticket = this.randomId(32, ALPHANUMERIC);
    this.tickets.set(ticket, { connectionId: connection.id, email: email.toLowerCase(), expiresAt: this.now() + ttlSeconds * 1000 });
    return ticket;
  }

  /** The ticket's target, or undefined when unknown or expired; `consume` makes it single-use. */
  redeemTicket(ticket: string, consume = true): { connection: Connection; email: string } | undefined {
    const t = this.tickets.get(ticket);
    const connection = t && this.connection(t.connectionId);
    if (!t || !connection || t.expiresAt < this.now()) return undefined;
    if (consume) this.tickets.delete(ticket);
    return { connection, email: t.email };
  }

  addLog(partial: LogInput): LogRecord {
    return this.logs.add(partial);
  }

  randomId(length: number, alphabet = ALPHANUMERIC): string {
    let id = '';
    for (let i = 0; i < length; i++) id += alphabet[Math.floor(this.random() * alphabet.length)] ?? alphabet[0];
    return id;
  }

  /** An export job still kept, for the exports host. */
  exportJob(id: string): ExportJob | undefined {
    return this.jobs.exportJob(id);
  }

  /** Applies import/export jobs whose completion time has passed. Every handler calls this first. */
  settleDueJobs(): void {
    this.jobs.settleDue();
  }

  /** The whole state as plain JSON (passwords left out), for /__sandbox/state. */
  snapshot(): unknown {
    this.settleDueJobs();
    const stores: Record<string, unknown[]> = {};
    const ghosts: unknown[] = [];
    for (const connection of this.connectionsById.values()) {
      if (!this.stores.has(connection.id)) continue;
      stores[connection.name] = this.storeEntries(connection).map((e) => {
        const ghost = this.profileFor(connection, e) === undefined;
        if (ghost) ghosts.push({ connection: connection.name, email: e.email, user_id: e.user_id });
        return { email: e.email, user_id: e.user_id, has_password: e.password !== undefined || e.hash !== undefined, ghost };
      });
    }
    return {
      tenant: this.name,
      connections: this.connections().map((c) => structuredClone(c)),
      users: [...this.profiles.values()].map(publicUser),
      stores,
      ghosts,
      legacy: [...this.legacy.values()].map(({ password: _password, ...rest }) => structuredClone(rest)),
      logs: [...this.logs.all()],
      jobs: Array.from(this.jobs.list(), (job) => this.jobs.view(job)),
      ...this.actions.snapshot(),
    };
  }

  private addScenarioUser(u: ScenarioUser, userId: string, createdAt: string): void {
    const declared = this.connectionNamed(u.connection);
    const provider = declared?.strategy ?? u.connection;
    const email = provider === 'auth0' ? u.email.toLowerCase() : u.email;
    const identities: Identity[] = [
      { connection: u.connection, provider, user_id: userId.slice(provider.length + 1), isSocial: provider !== 'auth0' },
      ...(u.identities ?? []).map((i) => ({ ...i, user_id: linkedIdentityId(i).slice(i.provider.length + 1) })),
    ];
    const profile = newProfile({ ...u, user_id: userId, email, identities, created_at: u.created_at ?? createdAt, logins_count: u.logins_count ?? 0 });
    if (declared && declared.strategy === 'auth0') {
      this.putStoreEntry(declared, { email, user_id: userId, ...(u.password === undefined ? {} : { password: u.password }) });
    }
    // A linked database identity has its own store entry (under the profile's email) but no profile of its own.
    for (const linked of identities.slice(1)) {
      const connection = linked.provider === 'auth0' ? this.connectionNamed(linked.connection) : undefined;
      if (connection?.strategy === 'auth0') this.putStoreEntry(connection, { email: email.toLowerCase(), user_id: `auth0|${linked.user_id}` });
    }
    this.addProfile(profile);
  }

  private indexEmail(profile: Profile): void {
    const key = profile.email.toLowerCase();
    let ids = this.emailIndex.get(key);
    if (!ids) this.emailIndex.set(key, (ids = new Set()));
    ids.add(profile.user_id);
  }

  private unindexEmail(profile: Profile): void {
    const key = profile.email.toLowerCase();
    const ids = this.emailIndex.get(key);
    ids?.delete(profile.user_id);
    if (ids?.size === 0) this.emailIndex.delete(key);
  }

  private indexIdentity(profile: Profile, identity: Identity): void {
    this.identityOwners.set(identityKeyOf(identity), profile.user_id);
    let members = this.connectionMembers.get(identity.connection);
    if (!members) this.connectionMembers.set(identity.connection, (members = new Set()));
    members.add(profile.user_id);
  }

  private unindexIdentity(profile: Profile, identity: Identity): void {
    const key = identityKeyOf(identity);
    if (this.identityOwners.get(key) === profile.user_id) this.identityOwners.delete(key);
    // The profile stays a member while another of its identities is on the same connection.
    if (this.profiles.has(profile.user_id) && profile.identities.some((i) => i.connection === identity.connection)) return;
    const members = this.connectionMembers.get(identity.connection);
    members?.delete(profile.user_id);
    if (members?.size === 0) this.connectionMembers.delete(identity.connection);
  }
}

function defaultExportsUrl(baseUrl: string): string {
  const url = new URL(baseUrl);
  url.hostname = url.hostname === 'localhost' ? '127.0.0.1' : 'localhost';
  return url.origin;
}

/** The one key for "this identity on this connection": `connection name \0 provider|id` (a store entry's user_id has that form). */
function identityKey(connectionName: string, prefixedUserId: string): string {
  return `${connectionName}\u0000${prefixedUserId}`;
}

function identityKeyOf(identity: Identity): string {
  return identityKey(identity.connection, `${identity.provider}|${identity.user_id}`);
}

function storeKey(connectionId: string, userId: string): string {
  return `${connectionId}\u0000${userId}`;
}
