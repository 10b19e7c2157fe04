/**
 * The stuck-user detection vocabulary, in one place. Diagnose rules read LogEvent.codes and
 * LogEvent.statusCode; this module decides which codes a piece of text or a structured record carries.
 */

/**
 * A raw record must match this to possibly carry a marker; the reader skips JSON.parse otherwise.
 * "exist" covers "already exists", "already exist and upsert", user_exists; "duplicat" covers
 * DUPLICATED_USER(S); "conflict" covers CONFLICT*, "409 Conflict"; `\u` because a JSON escape
 * (`already\u0020exists`) can hide the letters of any other marker.
 */
export const MARKER_WORDS = ['exist', 'duplicat', 'conflict'] as const;
export const MARKER_PREFILTER: RegExp = new RegExp(`${MARKER_WORDS.join('|')}|\\\\u`, 'i');

export const MARKER_CODES = [
  'DUPLICATED_USER',
  'CONFLICT_EMAIL',
  'CONFLICT_USERNAME',
  'CONFLICT',
  'USER_EXISTS',
  'EMAIL_EXISTS',
  'auth0_idp_error',
] as const;
export type MarkerCode = (typeof MARKER_CODES)[number];

// Order matters only for the output order, which follows MARKER_CODES.
const TEXT_PATTERNS: ReadonlyArray<[MarkerCode, RegExp]> = [
  ['DUPLICATED_USER', /\bDUPLICATED_USERS?\b/i],
  ['CONFLICT_EMAIL', /\bCONFLICT_EMAIL\b/i],
  ['CONFLICT_USERNAME', /\bCONFLICT_USERNAME\b/i],
  // Bare import code: upper case only, and not the reason phrase of "409 CONFLICT".
  ['CONFLICT', /(?<!\b409\s{0,3})\bCONFLICT\b/],
  ['USER_EXISTS', /\buser_exists\b|\buser\s+already\s+exists?\b/i],
  ['EMAIL_EXISTS', /\bspecified\s+new\s+email\s+already\s+exists\b/i],
  ['auth0_idp_error', /\bauth0_idp_error\b/i],
];

const STATUS_PATTERNS: RegExp[] = [/"?\bstatusCode"?\s*[:=]\s*"?([1-5]\d\d)\b/i, /\b(409)\s+Conflict\b/i];

const JSON_ESCAPE = /\\u([0-9a-fA-F]{4})/g;

export interface Markers {
  codes: string[];
  statusCode: number | null;
}

/**
 * Texts repeat (every failed signup has the same description): the answers for up to MEMO_TEXTS
 * short texts are kept, and each caller gets its own copy of the codes.
 */
const memo = new Map<string, Markers>();
const MEMO_TEXTS = 4096;
const MEMO_TEXT_LENGTH = 512;

/** Finds marker codes and an HTTP status in free text (console lines, descriptions, pasted bodies). */
export function findMarkers(text: string): Markers {
  if (typeof text !== 'string' || text.length === 0) return { codes: [], statusCode: null };
  if (text.length > MEMO_TEXT_LENGTH) return scanMarkers(text);
  let found = memo.get(text);
  if (!found) {
    if (memo.size >= MEMO_TEXTS) memo.clear();
    found = scanMarkers(text);
    memo.set(text, found);
  }
  return { codes: found.codes.slice(), statusCode: found.statusCode };
}

function scanMarkers(text: string): Markers {
  // A pasted, still-escaped JSON body: decode \uXXXX so the letters are visible to the patterns.
  const t = text.includes('\\u')
    ? text.replace(JSON_ESCAPE, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)))
    : text;
  const codes: string[] = [];
  for (const [code, re] of TEXT_PATTERNS) if (re.test(t)) codes.push(code);
  let statusCode: number | null = null;
  for (const re of STATUS_PATTERNS) {
    const m = re.exec(t);
    if (m?.[1]) {
      statusCode = Number(m[1]);
      break;
    }
  }
  return { codes, statusCode };
}

export function hasMarker(text: string): boolean {
  return findMarkers(text).codes.length > 0;
}

/**
 * Normalizes a structured code (errors[].code, errorCode, code) to the marker constants when it is
 * one of them; any other code is kept as given (trimmed), e.g. "PATTERN" or "invalid_body".
 */
export function normalizeCode(code: string): string {
  const c = code.trim();
  const upper = c.toUpperCase();
  if (upper === 'DUPLICATED_USER' || upper === 'DUPLICATED_USERS') return 'DUPLICATED_USER';
  if (upper === 'CONFLICT' || upper === 'CONFLICT_EMAIL' || upper === 'CONFLICT_USERNAME') return upper;
  if (upper === 'USER_EXISTS') return 'USER_EXISTS';
  if (upper === 'AUTH0_IDP_ERROR') return 'auth0_idp_error';
  return c;
}
