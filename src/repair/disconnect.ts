import { isDeepStrictEqual } from 'node:util';
import { isNoopScript } from '../tenant/scripts.js';

export { isNoopScript };

/**
 * "Disconnect external user store" (the seed): the Login and Get User scripts become no-op functions
 * and Import Users to Auth0 stays on, so Auth0 answers from the users it imported and never calls
 * the legacy store again. Auth0 replaces `options` whole on PATCH, so the plan is always the whole
 * current options object with exactly those two scripts changed. Pure.
 */
export const NOOP_LOGIN = `function login(email, password, callback) {
  // Disconnected from the legacy user store (unstick disconnect): every user is in Auth0 now.
  return callback(null, null);
}`;

export const NOOP_GET_USER = `function getByEmail(email, callback) {
  // Disconnected from the legacy user store (unstick disconnect): every user is in Auth0 now.
  return callback(null, null);
}`;

const SCRIPTS = ['login', 'get_user'] as const;
export type ScriptName = (typeof SCRIPTS)[number];

export interface OptionsChange {
  key: string;
  before: unknown;
  after: unknown;
}

export interface DisconnectPlan {
  next: Record<string, unknown>;
  changes: OptionsChange[];
  /** Why it must not be done, if so. */
  refusal: string | null;
}

export function scriptsOf(options: Record<string, unknown>): Record<string, unknown> {
  const s = options.customScripts;
  return typeof s === 'object' && s !== null && !Array.isArray(s) ? (s as Record<string, unknown>) : {};
}

export function disconnectPlan(options: Record<string, unknown>): DisconnectPlan {
  const scripts = scriptsOf(options);
  let refusal: string | null = null;
  if (options.enabledDatabaseCustomization !== true) refusal = 'the connection is not a custom database ("Use my own database" is off): there is no legacy store to disconnect';
  else if (options.import_mode !== true) {
    refusal = 'Import Users to Auth0 is off: with no-op scripts Auth0 would authenticate nobody (it uses only the scripts then). Turn import mode on and let users migrate first';
  }
  const wanted: Record<ScriptName, string> = { login: NOOP_LOGIN, get_user: NOOP_GET_USER };
  const nextScripts = { ...scripts };
  const changes: OptionsChange[] = [];
  for (const name of SCRIPTS) {
    if (isNoopScript(scripts[name])) continue;
    changes.push({ key: `customScripts.${name}`, before: scripts[name] ?? null, after: wanted[name] });
    nextScripts[name] = wanted[name];
  }
  return { next: { ...structuredClone(options), customScripts: nextScripts }, changes, refusal };
}

/** Puts the scripts of a backup back into the current options; everything else stays as it is now. */
export function restorePlan(current: Record<string, unknown>, backup: Record<string, unknown>): { next: Record<string, unknown>; changes: OptionsChange[] } {
  const now = scriptsOf(current);
  const old = scriptsOf(backup);
  const nextScripts = { ...now };
  const changes: OptionsChange[] = [];
  for (const name of SCRIPTS) {
    if (isDeepStrictEqual(now[name], old[name])) continue;
    changes.push({ key: `customScripts.${name}`, before: now[name] ?? null, after: old[name] ?? null });
    if (old[name] === undefined) delete nextScripts[name];
    else nextScripts[name] = old[name];
  }
  return { next: { ...structuredClone(current), customScripts: nextScripts }, changes };
}

/** The keys (dotted, to one level inside customScripts) whose values differ. */
export function differences(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
    if (key === 'customScripts') {
      const sa = scriptsOf(a);
      const sb = scriptsOf(b);
      for (const s of new Set([...Object.keys(sa), ...Object.keys(sb)])) if (!isDeepStrictEqual(sa[s], sb[s])) out.push(`customScripts.${s}`);
    } else if (!isDeepStrictEqual(a[key], b[key])) out.push(key);
  }
  return out.sort();
}
