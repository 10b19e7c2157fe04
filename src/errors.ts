/**
 * Typed errors carry their exit code; the one boundary in src/cli/boundary.ts turns them into a
 * single stderr line and that code. Anything else reaching the boundary is a bug (exit 70).
 * See docs/exit-codes.md.
 */
export const ExitCode = {
  ok: 0,
  someFailed: 1,
  usage: 64,
  dataErr: 65,
  noInput: 66,
  internal: 70,
  unavailable: 69,
  tempFail: 75,
  noPerm: 77,
  config: 78,
  interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export class UnstickError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    options?: { cause?: unknown; hint?: string },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.hint = options?.hint;
  }
  readonly hint: string | undefined;
}

/** Bad flags or arguments. */
export class UsageError extends UnstickError {
  constructor(message: string, options?: { hint?: string }) {
    super(message, ExitCode.usage, options);
  }
}

/** Input that exists but cannot be used; `where` is "file" or "file:line". */
export class InputDataError extends UnstickError {
  constructor(
    message: string,
    readonly where?: string,
    options?: { cause?: unknown; hint?: string },
  ) {
    super(where ? `${where}: ${message}` : message, ExitCode.dataErr, options);
  }
}

/** A named input cannot be opened: missing, unreadable, or a directory with nothing in it. */
export class InputMissingError extends UnstickError {
  constructor(
    readonly path: string,
    reason = 'no such file or directory',
  ) {
    super(`${path}: ${reason}`, ExitCode.noInput);
  }
}

export class ConfigError extends UnstickError {
  constructor(message: string, options?: { hint?: string }) {
    super(message, ExitCode.config, options);
  }
}

export class InterruptedError extends UnstickError {
  constructor(message = 'interrupted') {
    super(message, ExitCode.interrupted);
  }
}

/** The tenant cannot be reached: DNS, TLS, refused or reset connections. Names the host. */
export class TenantUnreachableError extends UnstickError {
  constructor(message: string, options?: { cause?: unknown; hint?: string }) {
    super(message, ExitCode.unavailable, options);
  }
}

/** Rate limits or server errors that outlasted the retries: running again later should work. */
export class TemporaryFailureError extends UnstickError {
  constructor(message: string, options?: { cause?: unknown; hint?: string }) {
    super(message, ExitCode.tempFail, options);
  }
}

/** The credentials were refused, or the token lacks a scope (named in the message when Auth0 names it). */
export class NotAuthorizedError extends UnstickError {
  constructor(message: string, options?: { cause?: unknown; hint?: string }) {
    super(message, ExitCode.noPerm, options);
  }
}
