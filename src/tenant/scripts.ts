/**
 * Custom database scripts as Auth0 runs them: "Disconnect external user store" (the seed) turns the
 * Login and Get User scripts into functions that call back without a user.
 */
/** A script whose body does nothing but call back without a user (comments, `return` and spacing aside). */
export function isNoopScript(source: unknown): boolean {
  if (typeof source !== 'string') return false;
  const body = /^\s*(?:async\s+)?function\s*[\w$]*\s*\(([^)]*)\)\s*\{([\s\S]*)\}\s*;?\s*$/.exec(source);
  if (!body) return false;
  const params = body[1]!.split(',').map((p) => p.trim()).filter(Boolean);
  const callback = params.at(-1);
  if (!callback) return false;
  const code = body[2]!.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/[^\n]*/g, '').replace(/\s+/g, '');
  const cb = callback.replace(/[$]/g, '\\$');
  return new RegExp(`^(return)?${cb}\\((null(,null)?|null,undefined|undefined)?\\);?$`).test(code);
}
