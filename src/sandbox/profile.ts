import { createHash } from 'node:crypto';

// Profiles and internal-store entries: their shapes, and how the Management API shows a profile.

/** What the sandbox accepts as an email, everywhere (scenarios, POST/PATCH /users, import files). */
export const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** A JSON object: not null, not an array. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export interface Identity {
  connection: string;
  provider: string;
  /** The id without the provider prefix, as Auth0 shows it in `identities[]`. */
  user_id: string;
  isSocial: boolean;
}

export interface Profile {
  user_id: string;
  email: string;
  email_verified: boolean;
  name: string;
  nickname: string;
  given_name?: string;
  family_name?: string;
  picture: string;
  identities: Identity[];
  user_metadata: Record<string, unknown>;
  app_metadata: Record<string, unknown>;
  created_at: string;
  updated_at: string;
  last_login?: string;
  /** The address of the last login (set with last_login by a simulated login). */
  last_ip?: string;
  last_password_reset?: string;
  logins_count: number;
  blocked?: boolean;
}

/** A password hash from an import file (`custom_password_hash`), checked with node:crypto where possible. */
export interface ImportedHash {
  algorithm: string;
  value: string;
  encoding: BufferEncoding;
  salt?: { value: string; position: 'prefix' | 'suffix' };
}

export interface StoreEntry {
  email: string;
  user_id: string;
  password?: string;
  hash?: ImportedHash;
}

/** The profile attributes a scenario, a signup or an import can set on a new user. */
export interface ProfileFields {
  email: string;
  user_id?: string;
  password?: string;
  email_verified?: boolean;
  name?: string;
  nickname?: string;
  given_name?: string;
  family_name?: string;
  user_metadata?: Record<string, unknown>;
  app_metadata?: Record<string, unknown>;
}

export interface NewDatabaseUser extends ProfileFields {
  hash?: ImportedHash;
  /** Creation time (ms); defaults to now. Import jobs pass their completion time. */
  at?: number;
}

/** The Management API representation of a profile (empty metadata is left out, like Auth0). */
export function publicUser(p: Profile): Record<string, unknown> {
  const out: Record<string, unknown> = {
    created_at: p.created_at,
    email: p.email,
    email_verified: p.email_verified,
    ...(p.family_name === undefined ? {} : { family_name: p.family_name }),
    ...(p.given_name === undefined ? {} : { given_name: p.given_name }),
    identities: p.identities.map((i) => ({ ...i })),
    name: p.name,
    nickname: p.nickname,
    picture: p.picture,
    updated_at: p.updated_at,
    user_id: p.user_id,
  };
  if (Object.keys(p.user_metadata).length > 0) out.user_metadata = structuredClone(p.user_metadata);
  if (Object.keys(p.app_metadata).length > 0) out.app_metadata = structuredClone(p.app_metadata);
  if (p.blocked !== undefined) out.blocked = p.blocked;
  if (p.last_ip !== undefined) out.last_ip = p.last_ip;
  if (p.last_login !== undefined) out.last_login = p.last_login;
  if (p.last_password_reset !== undefined) out.last_password_reset = p.last_password_reset;
  out.logins_count = p.logins_count;
  return out;
}

/** Checks a password against a store entry: plain (sandbox-created) or an imported hash node:crypto can compute. */
export function passwordMatches(entry: StoreEntry, password: string): boolean {
  if (entry.password !== undefined) return entry.password === password;
  const hash = entry.hash;
  if (!hash || !['md5', 'sha1', 'sha256', 'sha512'].includes(hash.algorithm)) return false;
  const salted = !hash.salt ? password : hash.salt.position === 'prefix' ? hash.salt.value + password : password + hash.salt.value;
  return createHash(hash.algorithm).update(salted, 'utf8').digest().equals(Buffer.from(hash.value, hash.encoding));
}

export function newProfile(input: Partial<Profile> & Pick<Profile, 'user_id' | 'email' | 'identities' | 'created_at'> & NewDatabaseUser): Profile {
  const local = input.email.split('@')[0] ?? input.email;
  const profile: Profile = {
    user_id: input.user_id,
    email: input.email,
    email_verified: input.email_verified ?? false,
    name: input.name ?? input.email,
    nickname: input.nickname ?? local,
    picture: `https://s.gravatar.com/avatar/${createHash('md5').update(input.email.toLowerCase()).digest('hex')}?s=480&r=pg&d=mp`,
    identities: input.identities,
    user_metadata: structuredClone(input.user_metadata ?? {}),
    app_metadata: structuredClone(input.app_metadata ?? {}),
    created_at: input.created_at,
    updated_at: input.last_login ?? input.created_at,
    logins_count: input.logins_count ?? 0,
  };
  if (input.given_name !== undefined) profile.given_name = input.given_name;
  if (input.family_name !== undefined) profile.family_name = input.family_name;
  if (input.last_login !== undefined) profile.last_login = input.last_login;
  return profile;
}

/** `abc` → `auth0|abc`; ids that already carry a `provider|` prefix are kept. */
export function withProvider(userId: string, provider: string): string {
  return userId.includes('|') ? userId : `${provider}|${userId}`;
}
