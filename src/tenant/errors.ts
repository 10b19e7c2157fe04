import { ManagementError, ManagementTimeoutError } from 'auth0';
import { ExitCode, NotAuthorizedError, TemporaryFailureError, TenantUnreachableError, UnstickError } from '../errors.js';
import { OutcomeUnknownError } from './pacer.js';

/**
 * An answer from Auth0 that the caller may handle (404, 400, 409...). Uncaught, it ends the run
 * with exit 1 and Auth0's own message. `uncertain` means the request may have taken effect anyway.
 */
export class TenantApiError extends UnstickError {
  constructor(
    message: string,
    readonly status: number | null,
    readonly errorCode: string | null,
    readonly uncertain: boolean,
    options?: { cause?: unknown; hint?: string },
  ) {
    super(message, ExitCode.someFailed, options);
  }
}

/** True when `err` says the request may have been carried out although it failed for the client. */
export function isUncertain(err: unknown): boolean {
  return err instanceof TenantApiError ? err.uncertain : err instanceof OutcomeUnknownError;
}

const SCOPE_HINT = 'grant it in the Dashboard: Applications > APIs > Auth0 Management API > Machine To Machine Applications';

/**
 * The one mapping from what the SDK throws to unstick's typed errors: 401/403 → 77 (naming the
 * scope), network and TLS → 69 (naming the host), rate limits and 5xx that outlasted the pacer → 75.
 * Nothing from the request (tokens, secrets) is copied into the message.
 */
export function fromManagementError(err: unknown, operation: string, host: string, creates = false): UnstickError {
  if (err instanceof UnstickError) return err;
  const cause = (err as { cause?: unknown })?.cause;
  if (cause instanceof TenantUnreachableError) return new TenantUnreachableError(`${operation}: ${cause.message}`, { cause, ...(cause.hint ? { hint: cause.hint } : {}) });
  if (cause instanceof UnstickError) return cause;
  if (cause instanceof OutcomeUnknownError || err instanceof OutcomeUnknownError) {
    const unknown = (cause ?? err) as OutcomeUnknownError;
    return new TenantApiError(`${operation}: ${unknown.detail}; it may or may not have taken effect`, null, null, true, { cause: err });
  }
  if (err instanceof ManagementTimeoutError) {
    return new TenantApiError(`${operation}: ${host} did not answer in time; it may or may not have taken effect`, null, null, true, { cause: err });
  }
  if (!(err instanceof ManagementError)) {
    return new TenantUnreachableError(`${operation}: ${err instanceof Error ? err.message : String(err)} (${host})`, { cause: err });
  }
  const status = err.statusCode ?? null;
  const body = (typeof err.body === 'object' && err.body !== null ? err.body : {}) as Record<string, unknown>;
  const auth0Message = String(body.message ?? body.error_description ?? body.error ?? (typeof err.body === 'string' ? err.body : '')).trim();
  const errorCode = typeof body.errorCode === 'string' ? body.errorCode : typeof body.error === 'string' ? body.error : null;
  if (status === null) return new TenantUnreachableError(`${operation}: cannot reach ${host}: ${err.message.split('\n')[0]}`, { cause: err });
  if (status === 401) {
    return new NotAuthorizedError(`${operation}: ${host} refused the credentials (401${auth0Message ? `: ${auth0Message}` : ''})`, {
      cause: err,
      hint: 'check AUTH0_CLIENT_ID/AUTH0_CLIENT_SECRET (or that AUTH0_TOKEN has not expired)',
    });
  }
  if (status === 403) {
    const scope = /expected (?:any of|all of)?:?\s*([\w:, ]+)/i.exec(auth0Message)?.[1]?.trim();
    const what = scope ? `the token lacks the scope ${scope}` : `access denied (403${auth0Message ? `: ${auth0Message}` : ''})`;
    return new NotAuthorizedError(`${operation}: ${what}`, { cause: err, hint: scope ? SCOPE_HINT : 'check that the application is authorized for the Management API' });
  }
  if (status === 429) {
    return new TemporaryFailureError(`${operation}: the tenant's rate limit was still exceeded after waiting (${auth0Message || 'Too Many Requests'})`, {
      cause: err,
      hint: 'run the same command again later: finished steps are not repeated',
    });
  }
  if (status >= 500 || status === 408) {
    const text = `${operation}: Auth0 answered ${status}${auth0Message ? ` (${auth0Message})` : ''}`;
    // A request that creates is returned at once by the pacer and may have taken effect: the caller looks.
    if (creates) return new TenantApiError(`${text}; it may or may not have taken effect`, status, errorCode, true, { cause: err });
    return new TemporaryFailureError(`${text}, still after retries`, { cause: err, hint: 'run the same command again later: finished steps are not repeated' });
  }
  return new TenantApiError(`${operation}: Auth0 answered ${status}${auth0Message ? `: ${auth0Message}` : ''}`, status, errorCode, false, { cause: err });
}
