import type { UserProfile } from '../tenant/types.js';
import type { Classified, ObservedUser } from './types.js';

/**
 * Decides from live state what an email is on the target connection. Pure: the same observation
 * always gives the same answer. Logs only add the time of the latest evidence; they never make a
 * user stuck on their own (Auth0 logs "The user already exists." for healthy users too).
 */
export function classify(observed: ObservedUser): Classified {
  const { connection, evidence } = observed;
  const onConnection = observed.profiles.filter((p) => p.identities.some((i) => i.connection === connection.name));
  if (onConnection.length === 0) {
    const why = evidence
      ? `no profile on ${connection.name}, and the logs show the user blocked (${evidence.kinds.join(', ')})`
      : `no profile on ${connection.name}; the API cannot see the internal user store, so a ghost entry is a suspicion it cannot confirm`;
    return { classification: 'ghost-suspect', reason: why, onConnection, target: null };
  }
  if (onConnection.length > 1) {
    return { classification: 'several', reason: `${onConnection.length} profiles on ${connection.name} have this email: ${onConnection.map((p) => p.user_id).join(', ')}`, onConnection, target: null };
  }
  return classifyProfile(observed, onConnection[0]!, onConnection);
}

/** The single profile on the connection (or the one chosen among several). */
export function classifyProfile(observed: ObservedUser, profile: UserProfile, onConnection: UserProfile[] = [profile]): Classified {
  const { connection, evidence } = observed;
  const others = profile.identities.filter((i) => i.connection !== connection.name);
  if (others.length > 0) {
    const names = others.map((i) => `${i.connection}${i.isSocial ? ' (social)' : ''}`).join(', ');
    return { classification: 'linked', reason: `${profile.user_id} also has identities on ${names}: deleting it would delete those logins`, onConnection, target: profile };
  }
  if (profile.last_login || (profile.logins_count ?? 0) > 0) {
    // A profile that has logged in completed its migration: Auth0 holds the password. Later "already
    // exists" or DUPLICATED_USER records are what Auth0 writes for a duplicate signup or import of
    // that user, so they never make it stuck (deleting it could also undo a password changed since).
    const at = profile.last_login ?? 'an unknown time';
    const later = evidence?.latest && profile.last_login && Date.parse(evidence.latest) > Date.parse(profile.last_login);
    const since = later
      ? `before the latest evidence (${evidence!.latest}), but a profile that has logged in has migrated: that evidence is a duplicate`
      : evidence?.latest
        ? `after the latest evidence (${evidence.latest})`
        : 'and no log evidence says otherwise';
    const advice = healthyAdvice(evidence?.kinds ?? []);
    return { classification: 'healthy', reason: `${profile.user_id} logged in at ${at}, ${since}${advice ? `; ${advice}` : ''}`, onConnection, target: profile };
  }
  // A profile unstick itself imported again is new, not stuck: the migration completes at the first login.
  const created = profile.created_at ? Date.parse(profile.created_at) : NaN;
  if (observed.reimportedAt && created >= Date.parse(observed.reimportedAt) - 60_000) {
    return { classification: 'healthy', reason: `${profile.user_id} was imported again by unstick at ${observed.reimportedAt} and has not logged in yet: that is expected until the user's first login`, onConnection, target: profile };
  }
  const login = 'has never logged in';
  if (!connection.customDatabase || !connection.importMode || !connection.legacyConnected) {
    const why = connection.customDatabase && connection.importMode ? 'is disconnected from its legacy store (no-op Login script)' : 'is not a custom database with Import Users to Auth0 on';
    return {
      classification: 'no-migration-source',
      reason: `${profile.user_id} ${login}, but ${connection.name} ${why}: deleting the profile would delete the user for good`,
      onConnection,
      target: profile,
    };
  }
  const evidenceNote = evidence ? ` (${evidence.kinds.join(', ')} in the logs)` : ' (no log evidence was given)';
  return { classification: 'stuck-profile', reason: `${profile.user_id} ${login}${evidenceNote}: the migration did not complete`, onConnection, target: profile };
}

function healthyAdvice(kinds: string[]): string {
  if (kinds.includes('USER_ALREADY_EXISTS')) return 'a duplicate signup of an existing user: the user should log in (or reset the password)';
  if (kinds.includes('DUPLICATED_USER')) return 'a duplicate import of an existing user: re-import with upsert to update the profile';
  return '';
}
