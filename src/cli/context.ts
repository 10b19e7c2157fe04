import type { Readable, Writable } from 'node:stream';
import type { ChalkInstance } from 'chalk';
import { InterruptedError } from '../errors.js';
import type { TenantApi } from '../tenant/types.js';
import type { Prompter, PromptStreams } from './prompt.js';

/**
 * Everything a command touches in the outside world. Commands are `(ctx, args) => Promise<number>`;
 * tests build a Context over in-memory streams (createContext takes an override for every field).
 */
export interface Context {
  stdin: Readable & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };
  stdout: Writable & { isTTY?: boolean };
  stderr: Writable & { isTTY?: boolean; columns?: number; rows?: number };
  env: NodeJS.ProcessEnv;
  /** Relative paths from the command line resolve against this, never against process.cwd() directly. */
  cwd: string;
  /** Colors for stdout / stderr, each off unless that stream is a terminal and NO_COLOR is unset. */
  color: { out: ChalkInstance; err: ChalkInstance };
  debug: boolean;
  now: () => Date;
  /** Waits `ms`, or rejects with InterruptedError as soon as `signal` aborts. Pacing and polling use it, so tests can fake time. */
  sleep: (ms: number) => Promise<void>;
  /** Aborted on Ctrl+C or SIGTERM: long work stops and the command ends with 130. */
  signal: AbortSignal;
  /**
   * A person can answer a question: stdin and stderr (where prompts are drawn) are both terminals.
   * When false, never prompt: fail with a usage error naming the flag instead (see requireConfirmation).
   */
  canPrompt: boolean;
  /** Questions, drawn on stderr and read from stdin, cancelled by `signal`. */
  prompt: Prompter;
  /**
   * The tenant, built on the first call from `env` and `cwd` (AUTH0_* variables, ./.env), one client
   * for the whole run. Tests pass their own factory pointed at the sandbox.
   */
  tenant: () => Promise<TenantApi>;
}

/** What createContext accepts: any field of Context, plus `noColor` (the --no-color flag). */
export type ContextOverrides = Partial<Context> & { noColor?: boolean };

export function colorEnabled(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv, flag: boolean | undefined): boolean {
  if (flag === false) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR === '0' || env.TERM === 'dumb') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '') return true;
  return stream.isTTY === true;
}

/** The real process by default; every field can be replaced (fields derived from others follow the replacements). */
export function createContext(overrides: ContextOverrides = {}): Context {
  const env = overrides.env ?? process.env;
  const stdin = overrides.stdin ?? process.stdin;
  const stdout = overrides.stdout ?? process.stdout;
  const stderr = overrides.stderr ?? process.stderr;
  const signal = overrides.signal ?? new AbortController().signal;
  const flag = overrides.noColor ? false : undefined;
  const cwd = overrides.cwd ?? process.cwd();
  const sleep = overrides.sleep ?? abortableSleep(signal);
  const color = overrides.color ?? lazyColors(colorEnabled(stdout, env, flag), colorEnabled(stderr, env, flag));
  return {
    stdin,
    stdout,
    stderr,
    env,
    cwd,
    color,
    debug: overrides.debug ?? false,
    now: overrides.now ?? (() => new Date()),
    sleep,
    signal,
    canPrompt: overrides.canPrompt ?? (stdin.isTTY === true && stderr.isTTY === true),
    prompt: overrides.prompt ?? lazyPrompter(() => ({ input: stdin, output: stderr, signal, color: color.err })),
    tenant: overrides.tenant ?? lazyTenant({ env, cwd, signal, sleep, stderr, debug: overrides.debug ?? false }),
  };
}

/*
 * Start-up time counts in every run: what most runs never use is loaded on first use. A --json
 * report or a pipe prints nothing in color, diagnose of files asks nothing and calls no tenant.
 */

/**
 * The two chalk instances, made on first use. chalk is an ES module without top-level await, so
 * require() loads it synchronously (Node 20.19+), when the first warning or note is styled.
 */
function lazyColors(out: boolean, err: boolean): Context['color'] {
  let made: Context['color'] | undefined;
  const make = (): Context['color'] => {
    const { Chalk } = process.getBuiltinModule('node:module').createRequire(import.meta.url)('chalk') as typeof import('chalk');
    return { out: new Chalk({ level: out ? 1 : 0 }), err: new Chalk({ level: err ? 1 : 0 }) };
  };
  return {
    get out() {
      return (made ??= make()).out;
    },
    get err() {
      return (made ??= make()).err;
    },
  };
}

/** The default prompter (./prompt.ts, inquirer), loaded and made on the first question. */
function lazyPrompter(streams: () => PromptStreams): Prompter {
  let prompter: Promise<Prompter> | undefined;
  const get = () => (prompter ??= import('./prompt.js').then(({ createPrompter }) => createPrompter(streams())));
  return {
    confirm: async (message, options) => (await get()).confirm(message, options),
    select: async (message, choices, options) => (await get()).select(message, choices, options),
    input: async (message, options) => (await get()).input(message, options),
  };
}

/** The default ctx.tenant() (./tenant.ts), loaded on the first call. */
function lazyTenant(inputs: Parameters<typeof import('./tenant.js')['tenantFactory']>[0]): () => Promise<TenantApi> {
  let factory: Promise<() => Promise<TenantApi>> | undefined;
  return async () => (await (factory ??= import('./tenant.js').then(({ tenantFactory }) => tenantFactory(inputs))))();
}

/** `sleep(ms)` that rejects with InterruptedError when `signal` aborts, at once if it already has. */
export function abortableSleep(signal: AbortSignal): (ms: number) => Promise<void> {
  return (ms) =>
    new Promise<void>((resolve, reject) => {
      if (signal.aborted) return reject(new InterruptedError());
      const onAbort = () => {
        clearTimeout(timer);
        reject(new InterruptedError());
      };
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal.addEventListener('abort', onAbort, { once: true });
    });
}
