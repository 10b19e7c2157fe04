import type { LogEvent } from '../logs/types.js';

/** Finding kinds, exactly these names in JSON output. */
export const FINDING_KINDS = ['DUPLICATED_USER', 'USER_ALREADY_EXISTS', 'IMPORT_CONFLICT', 'EMAIL_CHANGE_CONFLICT'] as const;
export type FindingKind = (typeof FINDING_KINDS)[number];

/** Kinds that make a stuck user on their own; the others only support a diagnosis. */
export const PRIMARY_KINDS: ReadonlySet<FindingKind> = new Set(['DUPLICATED_USER', 'USER_ALREADY_EXISTS']);

export type Verdict =
  | { kind: FindingKind }
  /** DUPLICATED_USER because the same user appeared twice in one import file: not a stuck user. */
  | { inFileDuplicate: true }
  /** An import job that failed as a whole: no user to blame, but worth telling. */
  | { jobFailed: true };

/** Auth0's message when a user appears twice in the same import payload. */
const IN_FILE_DUPLICATE = /was already provided/i;
const USER_EXISTS_PHRASE = /user\s+already\s+exists/i;

/**
 * Decides what one event says about its user, or null for noise. Pure: the whole vocabulary of
 * markers is recognised by src/logs/markers.ts, which fills `codes`. Every verdict on a log record
 * needs a word the reader's fast path looks for (exist, duplicat, conflict), so skipping unflagged
 * records loses nothing; import job reports, where a whole-job failure has no such word, are parsed whole.
 */
export function classify(event: LogEvent): Verdict | null {
  // Success events (s, ss, sapi, sdu, scp, ...) never describe a stuck user.
  if (event.type.startsWith('s')) return null;
  if (event.type === 'import_job_failed') return { jobFailed: true };
  const codes = new Set(event.codes);
  if (codes.has('DUPLICATED_USER')) {
    return IN_FILE_DUPLICATE.test(event.description) ? { inFileDuplicate: true } : { kind: 'DUPLICATED_USER' };
  }
  if (codes.has('EMAIL_EXISTS')) return { kind: 'EMAIL_CHANGE_CONFLICT' };
  if (codes.has('CONFLICT_EMAIL') || codes.has('CONFLICT_USERNAME') || codes.has('CONFLICT')) {
    return { kind: 'IMPORT_CONFLICT' };
  }
  // Covers fs "The user already exists.", 409 auth0_idp_error bodies and Authentication API user_exists.
  if (codes.has('USER_EXISTS') || USER_EXISTS_PHRASE.test(event.description)) return { kind: 'USER_ALREADY_EXISTS' };
  return null;
}
