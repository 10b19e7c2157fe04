import type { Readable, Writable } from 'node:stream';
import { Chalk, type ChalkInstance } from 'chalk';

/**
 * Everything a command touches in the outside world. Commands are `(ctx, args) => Promise<number>`;
 * tests build a Context over in-memory streams.
 */
export interface Context {
  stdin: Readable & { isTTY?: boolean };
  stdout: Writable & { isTTY?: boolean };
  stderr: Writable & { isTTY?: boolean; columns?: number };
  env: NodeJS.ProcessEnv;
  /** Colors for stdout / stderr, each off unless that stream is a terminal and NO_COLOR is unset. */
  color: { out: ChalkInstance; err: ChalkInstance };
  debug: boolean;
  now: () => Date;
  /** Aborted on Ctrl+C: long work stops and the command ends with 130. */
  signal: AbortSignal;
}

export function colorEnabled(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv, flag: boolean | undefined): boolean {
  if (flag === false) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR === '0' || env.TERM === 'dumb') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '') return true;
  return stream.isTTY === true;
}

export function createContext(overrides: Partial<Omit<Context, 'color'>> & { noColor?: boolean } = {}): Context {
  const env = overrides.env ?? process.env;
  const stdout = overrides.stdout ?? process.stdout;
  const stderr = overrides.stderr ?? process.stderr;
  const flag = overrides.noColor ? false : undefined;
  return {
    stdin: overrides.stdin ?? process.stdin,
    stdout,
    stderr,
    env,
    color: {
      out: new Chalk({ level: colorEnabled(stdout, env, flag) ? 1 : 0 }),
      err: new Chalk({ level: colorEnabled(stderr, env, flag) ? 1 : 0 }),
    },
    debug: overrides.debug ?? false,
    now: overrides.now ?? (() => new Date()),
    signal: overrides.signal ?? new AbortController().signal,
  };
}
