import { UsageError } from '../errors.js';

/**
 * The post-login Action behind `unstick metadata action`: Auth0's mitigation for "Missing metadata"
 * (an interrupted lazy migration can leave a user without `user_metadata` / `app_metadata`). The
 * Action notices the missing metadata at login, fetches it from the legacy store's API and saves the
 * first-level keys the profile lacks. It runs inside Auth0, not in unstick, so this module only
 * writes its source (pure: no I/O). docs/actions.md describes the Action and how it is deployed.
 */

/** The Action's default name (Actions > Library, and the binding's display name). */
export const ACTION_NAME = 'unstick-restore-legacy-metadata';
export const DEFAULT_URL_SECRET = 'LEGACY_API_URL';
export const DEFAULT_TOKEN_SECRET = 'LEGACY_API_TOKEN';
export const DEFAULT_TIMEOUT_MS = 5000;
/** Actions end a whole flow that runs past 20 s in an error; the lookup must give up well before. */
export const MAX_TIMEOUT_MS = 15_000;
export const MIN_TIMEOUT_MS = 100;
/** What `POST /api/v2/actions/actions` takes as `supported_triggers`: the current post-login trigger. */
export const ACTION_TRIGGER = { id: 'post-login', version: 'v3' } as const;
/** The runtime the Management API defaults to (v7 SDK: "defaults to `node22`"); `fetch` is global there. */
export const ACTION_RUNTIME = 'node22';

export interface ActionCodeOptions {
  /**
   * A dotted path on the user that is missing exactly when the metadata is missing, under
   * `user_metadata.` or `app_metadata.`: `app_metadata.legacy_id`.
   */
  marker: string;
  /** Only users logging in through this connection (`event.connection.name`); all users when absent. */
  connection?: string;
  /** The secret holding the legacy store's lookup URL (default LEGACY_API_URL). */
  urlSecret?: string;
  /** The secret holding the bearer token for that API (default LEGACY_API_TOKEN). */
  tokenSecret?: string;
  /** How long the lookup may take before the login goes on without it (default 5000, 100-15000). */
  timeoutMs?: number;
}

export interface ActionSecret {
  name: string;
  description: string;
}

/** What `actionCode` and `actionSecrets` work from, validated and with defaults applied. */
export interface ResolvedActionOptions {
  marker: string[];
  connection: string | null;
  urlSecret: string;
  tokenSecret: string;
  timeoutMs: number;
}

const METADATA_ROOTS = ['user_metadata', 'app_metadata'];
/** Marker segments and connection names end up in the Action's source: keep them plain. */
const PLAIN_NAME = /^[A-Za-z0-9_-]+$/;
/** Secret names: identifier-like, at most 128 characters (the Actions limit on a secret's key). */
const SECRET_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

/** Validates the options (a UsageError names the bad one) and applies the defaults. */
export function resolveActionOptions(options: ActionCodeOptions): ResolvedActionOptions {
  const marker = typeof options.marker === 'string' ? options.marker.split('.') : [];
  if (marker.length < 2 || !METADATA_ROOTS.includes(marker[0]!) || !marker.every((s) => PLAIN_NAME.test(s))) {
    throw new UsageError(`marker ${JSON.stringify(options.marker)}: must be a dotted path under user_metadata or app_metadata, such as app_metadata.legacy_id`, {
      hint: 'name a key that every migrated user has and a user without metadata lacks (letters, digits, _ and - in each segment)',
    });
  }
  const connection = options.connection ?? null;
  if (connection !== null && (typeof connection !== 'string' || connection.length > 128 || !PLAIN_NAME.test(connection))) {
    throw new UsageError(`connection ${JSON.stringify(connection)}: must be a connection name (letters, digits, _ and -, at most 128)`);
  }
  const urlSecret = options.urlSecret ?? DEFAULT_URL_SECRET;
  const tokenSecret = options.tokenSecret ?? DEFAULT_TOKEN_SECRET;
  for (const [label, name] of [['url secret', urlSecret], ['token secret', tokenSecret]] as const) {
    if (typeof name !== 'string' || !SECRET_NAME.test(name)) {
      throw new UsageError(`${label} ${JSON.stringify(name)}: must be a secret name (a letter or _, then letters, digits and _, at most 128)`);
    }
  }
  if (urlSecret === tokenSecret) throw new UsageError(`the url secret and the token secret must differ (both are ${urlSecret})`);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isInteger(timeoutMs) || timeoutMs < MIN_TIMEOUT_MS || timeoutMs > MAX_TIMEOUT_MS) {
    throw new UsageError(`timeout ${String(timeoutMs)}: must be a whole number of milliseconds from ${MIN_TIMEOUT_MS} to ${MAX_TIMEOUT_MS}`, {
      hint: 'Auth0 ends a login flow that runs past 20 seconds in an error',
    });
  }
  return { marker, connection, urlSecret, tokenSecret, timeoutMs };
}

/** The secrets the Action reads, to create with it (values are the engineer's; never in the code). */
export function actionSecrets(options: ActionCodeOptions): ActionSecret[] {
  const o = resolveActionOptions(options);
  return [
    { name: o.urlSecret, description: "the legacy store's lookup URL (https); the Action adds ?email=<the user's email, URL-encoded>" },
    { name: o.tokenSecret, description: 'the token the Action sends to that URL as "Authorization: Bearer <token>"' },
  ];
}

/**
 * The trigger bindings to send to `PATCH /api/v2/actions/triggers/post-login/bindings` to add the
 * Action, or null when it is already bound (nothing to send). That PATCH **replaces the whole
 * list**: a binding left out is unbound. So every action bound now is sent back first, in its order
 * (by `action_id`, with its display name), then ours at the end. `current` is everything
 * `GET .../bindings` answered (every page).
 */
export function bindingsWithAction(
  current: ReadonlyArray<{ id?: string; display_name?: string; action?: { id?: string } }>,
  actionId: string,
  displayName: string = ACTION_NAME,
): Array<{ ref: { type: 'action_id'; value: string }; display_name?: string }> | null {
  if (current.some((b) => b.action?.id === actionId)) return null;
  const kept = current.map((b) => {
    const id = b.action?.id;
    if (!id) throw new Error('bindingsWithAction: a current binding has no action.id (pass the bindings GET .../bindings answered)');
    return { ref: { type: 'action_id' as const, value: id }, ...(b.display_name === undefined ? {} : { display_name: b.display_name }) };
  });
  return [...kept, { ref: { type: 'action_id', value: actionId }, display_name: displayName }];
}

/**
 * The JavaScript source of the post-login Action (`exports.onExecutePostLogin`). What it does, per
 * login:
 * - a user of another connection (when `connection` is given), or one who has the marker: nothing;
 * - otherwise it asks the legacy store (`GET <url secret>?email=<email>`, `Authorization: Bearer
 *   <token secret>`, no redirects followed, given up after `timeoutMs`) and, on a 200 JSON object
 *   `{user_metadata?, app_metadata?}`, sets each first-level key the profile does not have with
 *   `api.user.setUserMetadata` / `api.user.setAppMetadata` (nested objects whole; a key the user has
 *   is never overwritten; names with `.` or `$`, which Auth0 refuses, are skipped);
 * - anything going wrong (no secrets, store down, slow, non-200, not JSON, a bug) is one
 *   `console.log` line without secrets, and the login goes on: it never denies access or throws.
 */
export function actionCode(options: ActionCodeOptions): string {
  const o = resolveActionOptions(options);
  const config = `{\n${Object.entries(o).map(([key, value]) => `  ${key}: ${JSON.stringify(value)},`).join('\n')}\n}`;
  const who = o.connection === null ? 'users' : `users of the connection ${o.connection}`;
  return `/**
 * ${ACTION_NAME}: a post-login Action written by unstick (\`unstick metadata action\`).
 *
 * An interrupted migration into Auth0 can leave a user without user_metadata / app_metadata.
 * For ${who} who log in without ${o.marker.join('.')}, this Action asks the
 * legacy store's API for the user's metadata and saves the first-level keys the profile does not
 * have. It never overwrites a key and never blocks a login: when the legacy store is down, slow
 * (over ${o.timeoutMs} ms) or answers anything but 200 JSON, it logs one line and the login goes on.
 *
 * Secrets (set them on the Action; they are never in this code):
 *   ${o.urlSecret}  the lookup URL; the Action adds ?email=<the user's email, URL-encoded>
 *   ${o.tokenSecret}  sent as "Authorization: Bearer <token>"
 * The API answers 200 with {"user_metadata": {...}, "app_metadata": {...}} (either may be absent).
 */
const CONFIG = ${config};

const LOG_PREFIX = '${ACTION_NAME}: ';

/** One line, at most 256 characters (what Actions keep of a console.log), never a secret. */
function log(message) {
  console.log((LOG_PREFIX + message).replace(/[\\r\\n\\u2028\\u2029]+/g, ' ').slice(0, 256));
}

function isObject(value) {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function hasOwn(value, key) {
  return isObject(value) && Object.prototype.hasOwnProperty.call(value, key);
}

/** The marker is there when every segment is an own key and the value is neither null nor undefined. */
function markerPresent(user) {
  let value = user;
  for (const key of CONFIG.marker) {
    if (!hasOwn(value, key)) return false;
    value = value[key];
  }
  return value !== null && value !== undefined;
}

/** Auth0 refuses metadata field names containing "." or "$", at any depth. */
function acceptedName(key) {
  return key !== '__proto__' && !key.includes('.') && !key.includes('$');
}

function acceptedValue(value) {
  if (Array.isArray(value)) return value.every(acceptedValue);
  if (!isObject(value)) return true;
  return Object.keys(value).every((key) => acceptedName(key) && acceptedValue(value[key]));
}

/** Why a request failed, without its message (which can carry the URL). */
function reason(err) {
  const name = err && typeof err.name === 'string' ? err.name.slice(0, 40) : typeof err;
  const code = err && err.cause && typeof err.cause.code === 'string' && /^[A-Z0-9_]{1,40}$/.test(err.cause.code) ? ' ' + err.cause.code : '';
  return name + code;
}

/** The legacy store's answer as an object, or null (logged) when there is none to use. */
async function lookup(url, token) {
  const controller = new AbortController();
  let timer;
  // Settles when the time is up, even if the request ignores the abort signal.
  const timeUp = new Promise((resolve) => {
    timer = setTimeout(() => {
      controller.abort();
      resolve('timeout');
    }, CONFIG.timeoutMs);
  });
  const timedOut = () => log('the legacy store did not answer within ' + CONFIG.timeoutMs + ' ms; the login goes on without restoring metadata');
  try {
    let response;
    try {
      response = await Promise.race([
        fetch(url, { method: 'GET', headers: { Authorization: 'Bearer ' + token, Accept: 'application/json' }, redirect: 'manual', signal: controller.signal }),
        timeUp,
      ]);
    } catch (err) {
      if (controller.signal.aborted) timedOut();
      else log('the legacy store is unreachable (' + reason(err) + '); the login goes on without restoring metadata');
      return null;
    }
    if (response === 'timeout') {
      timedOut();
      return null;
    }
    if (response.status !== 200) {
      log('the legacy store answered ' + response.status + '; the login goes on without restoring metadata');
      return null;
    }
    let body;
    try {
      body = await Promise.race([response.json(), timeUp]);
    } catch (err) {
      if (controller.signal.aborted) timedOut();
      else log('the legacy store answered something that is not JSON; the login goes on without restoring metadata');
      return null;
    }
    if (body === 'timeout') {
      timedOut();
      return null;
    }
    if (!isObject(body)) {
      log('the legacy store answered JSON that is not an object; the login goes on without restoring metadata');
      return null;
    }
    return body;
  } finally {
    clearTimeout(timer);
  }
}

/** Sets each first-level key of \`fetched\` that \`current\` does not have; returns the keys set. */
function restore(kind, current, fetched, set) {
  if (fetched === undefined || fetched === null) return [];
  if (!isObject(fetched)) {
    log('the legacy store answered a ' + kind + ' that is not an object; it is left alone');
    return [];
  }
  const restored = [];
  for (const key of Object.keys(fetched)) {
    const value = fetched[key];
    if (hasOwn(current, key)) continue; // never overwrite a key the user has
    if (value === null || value === undefined) continue; // null would delete the key
    if (!acceptedName(key) || !acceptedValue(value)) {
      log('skipped ' + kind + ' key ' + JSON.stringify(key.slice(0, 40)) + ': Auth0 refuses field names with "." or "$"');
      continue;
    }
    set(key, value);
    restored.push(key);
  }
  return restored;
}

exports.onExecutePostLogin = async (event, api) => {
  try {
    if (CONFIG.connection !== null && !(event.connection && event.connection.name === CONFIG.connection)) return;
    const user = event.user || {};
    if (markerPresent(user)) return;
    const who = typeof user.user_id === 'string' ? user.user_id.slice(0, 80) : 'the user';

    const secrets = event.secrets || {};
    const base = secrets[CONFIG.urlSecret];
    const token = secrets[CONFIG.tokenSecret];
    if (typeof base !== 'string' || base === '' || typeof token !== 'string' || token === '') {
      log('the secret ' + CONFIG.urlSecret + ' or ' + CONFIG.tokenSecret + ' is not set; ' + who + ' keeps the metadata they have');
      return;
    }
    if (typeof user.email !== 'string' || user.email === '') {
      log(who + ' has no email to look up in the legacy store');
      return;
    }

    const url = base + (base.includes('?') ? '&' : '?') + 'email=' + encodeURIComponent(user.email);
    const found = await lookup(url, token);
    if (!found) return;

    const userKeys = restore('user_metadata', user.user_metadata, found.user_metadata, (key, value) => api.user.setUserMetadata(key, value));
    const appKeys = restore('app_metadata', user.app_metadata, found.app_metadata, (key, value) => api.user.setAppMetadata(key, value));
    if (userKeys.length === 0 && appKeys.length === 0) {
      log('the legacy store has nothing ' + who + ' lacks');
      return;
    }
    log('restored for ' + who + ': user_metadata [' + userKeys.join(', ') + '], app_metadata [' + appKeys.join(', ') + ']');
  } catch (err) {
    log('unexpected error (' + reason(err) + '); the login goes on without restoring metadata');
  }
};
`;
}
