/**
 * The custom database scripts of a connection, as far as the sandbox models them: it never runs a
 * script, it only tells a real one (which reaches the legacy store) from a no-op (which does not).
 *
 * A **no-op** is what Auth0's "Disconnect external user store" step installs: a plain function whose
 * body does nothing but call its callback (its last parameter) with no user:
 *
 *   function login(email, password, callback) { return callback(null, null); }
 *   function getByEmail(email, callback) { callback(null); }
 *
 * Comments, whitespace, an optional `return` and `;`, and `callback()`, `callback(null)`,
 * `callback(null, null)` (`undefined` for either `null`) are all accepted; `async function` too.
 * Anything else is a real script: an empty body (it never calls back), a callback with an error or a
 * profile, a second statement, an arrow function, a callback that is not the last parameter.
 * A script the connection does not have at all (no `customScripts.login`) is taken as a real one:
 * a scenario may leave the scripts out and still mean "connected to the legacy store".
 */
export type ScriptState = 'absent' | 'noop' | 'real';

const IDENT = '[A-Za-z_$][\\w$]*';
const FUNCTION = new RegExp(`^(?:async\\s+)?function(?:\\s+${IDENT}|\\s*)\\s*\\(([^)]*)\\)\\s*\\{([\\s\\S]*)\\}\\s*;?$`);
const NO_USER = '(?:null|undefined)';

export function isNoopScript(source: unknown): boolean {
  if (typeof source !== 'string') return false;
  const code = source
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/\/\/[^\n\r]*/g, ' ')
    .trim();
  const fn = FUNCTION.exec(code);
  if (!fn) return false;
  const params = fn[1]!.split(',').map((p) => p.trim());
  const callback = params.at(-1)!;
  if (!new RegExp(`^${IDENT}$`).test(callback) || !params.every((p) => new RegExp(`^${IDENT}$`).test(p))) return false;
  const name = callback.replace(/\$/g, '\\$');
  const call = new RegExp(`^(?:return\\s+)?${name}\\s*\\(\\s*(?:${NO_USER}\\s*(?:,\\s*${NO_USER}\\s*)?)?\\)\\s*;?$`);
  return call.test(fn[2]!.trim());
}

export function scriptState(options: Record<string, unknown>, key: 'login' | 'get_user'): ScriptState {
  const scripts = options.customScripts;
  const source = typeof scripts === 'object' && scripts !== null ? (scripts as Record<string, unknown>)[key] : undefined;
  if (typeof source !== 'string') return 'absent';
  return isNoopScript(source) ? 'noop' : 'real';
}

/**
 * How a database connection reaches the legacy store:
 * - `none`: not a custom database (`enabledDatabaseCustomization` off): Auth0's own store only;
 * - `migrate`: custom database with import mode on (lazy migration): the Login script runs for users
 *   not yet in Auth0's store, Get User for signups, password resets, POST /users;
 * - `scripts`: custom database with import mode off: "Auth0 will only use the scripts", so every login
 *   goes to the Login script, migrated users included.
 * `login` / `getUser`: whether that script reaches the legacy store (false once it is a no-op).
 */
export interface LegacyReach {
  mode: 'none' | 'migrate' | 'scripts';
  login: boolean;
  getUser: boolean;
}

export function legacyReach(options: Record<string, unknown>): LegacyReach {
  if (options.enabledDatabaseCustomization !== true) return { mode: 'none', login: false, getUser: false };
  return {
    mode: options.import_mode === true ? 'migrate' : 'scripts',
    login: scriptState(options, 'login') !== 'noop',
    getUser: scriptState(options, 'get_user') !== 'noop',
  };
}
