import { PassThrough, Readable } from 'node:stream';
import { stripVTControlCharacters } from 'node:util';
import { run } from '../../src/cli/main.js';
import type { CommandEntry } from '../../src/cli/spec.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in-process over in-memory streams (not terminals), as a pipe or CI would. */
export async function runCli(
  argv: string[],
  options: { stdin?: string | Buffer | Readable; env?: NodeJS.ProcessEnv; tty?: boolean; signal?: AbortSignal; cwd?: string; commands?: readonly CommandEntry[] } = {},
): Promise<CliResult> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  if (options.tty) {
    Object.assign(stdout, { isTTY: true });
    Object.assign(stderr, { isTTY: true });
  }
  const stdin = options.stdin instanceof Readable ? options.stdin : Readable.from(options.stdin === undefined ? [] : [Buffer.from(options.stdin)]);
  const code = await run(argv, {
    stdout,
    stderr,
    stdin,
    env: options.env ?? { ...process.env, NO_COLOR: '' },
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.cwd ? { cwd: options.cwd } : {}),
  }, options.commands);
  return { code, stdout: out, stderr: err };
}

/** Keys for answering real prompts through `LiveCli.stdin.write`. */
export const KEY = {
  enter: '\r',
  down: '\u001b[B',
  up: '\u001b[A',
  ctrlC: '\u0003',
} as const;

export interface LiveOutput {
  /** Everything written so far, terminal escapes (colors, cursor moves) removed. */
  text(): string;
  /** Everything written so far, byte for byte. */
  raw(): string;
  /**
   * Resolves with the text from the previous match up to and including the first match of
   * `pattern` (escapes removed), and moves past it, so waiting for the same question twice waits for
   * the second one. Rejects after `timeoutMs`, or if the CLI ends first, showing what was written.
   */
  waitFor(pattern: string | RegExp, timeoutMs?: number): Promise<string>;
}

export interface LiveCli {
  /** The CLI's stdin: write keystrokes (`'y' + KEY.enter`, `KEY.down + KEY.enter`) or lines, end it for EOF. */
  stdin: { write(text: string): void; end(): void };
  stdout: LiveOutput;
  stderr: LiveOutput;
  /** The exit code and raw output once the CLI returns. */
  done: Promise<CliResult>;
  /** Aborts the context's signal, as Ctrl+C (SIGINT) does in the real process. */
  interrupt(): void;
}

/**
 * Starts the CLI in-process and keeps it talking: an interactive driver for prompts. With
 * `tty: true`, stdin is flagged as a terminal (with a no-op `setRawMode`, which inquirer calls) and
 * stdout/stderr as terminals 80 columns wide, so `ctx.canPrompt` is true and real inquirer prompts
 * are drawn on stderr and answered by writing keys to stdin. Without it, the CLI sees pipes.
 *
 * Write an answer after `waitFor` has seen its question: that is what a person does, and readline
 * only reads keys while a prompt is open.
 */
export function startCli(
  argv: string[],
  options: {
    env?: NodeJS.ProcessEnv;
    tty?: boolean;
    cwd?: string;
    now?: () => Date;
    /** Instead of the CLI's commands (main.ts COMMANDS), e.g. a probe command defined in the test. */
    commands?: readonly CommandEntry[];
  } = {},
): LiveCli {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  if (options.tty) {
    Object.assign(stdin, { isTTY: true, isRaw: false, setRawMode: (mode: boolean) => Object.assign(stdin, { isRaw: mode }) });
    for (const s of [stdout, stderr]) Object.assign(s, { isTTY: true, columns: 80, rows: 24 });
  }
  const interrupt = new AbortController();
  let finished = false;
  const out = live(stdout, () => finished);
  const err = live(stderr, () => finished);
  const done = run(argv, {
    stdin,
    stdout,
    stderr,
    env: options.env ?? { ...process.env, NO_COLOR: '' },
    signal: interrupt.signal,
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    ...(options.now === undefined ? {} : { now: options.now }),
  }, options.commands).then((code) => {
    finished = true;
    out.settle();
    err.settle();
    return { code, stdout: out.raw(), stderr: err.raw() };
  });
  return {
    stdin: { write: (text) => void stdin.write(text), end: () => void stdin.end() },
    stdout: out,
    stderr: err,
    done,
    interrupt: () => interrupt.abort(),
  };
}

function live(stream: PassThrough, finished: () => boolean): LiveOutput & { settle(): void } {
  let raw = '';
  let consumed = 0; // in the escape-free text
  const waiters = new Set<() => void>();
  const check = () => {
    for (const w of [...waiters]) w();
  };
  stream.on('data', (d: Buffer) => {
    raw += d.toString();
    check();
  });
  const text = () => stripVTControlCharacters(raw);
  return {
    text,
    raw: () => raw,
    settle: check,
    waitFor(pattern, timeoutMs = 5000) {
      return new Promise<string>((resolve, reject) => {
        const attempt = () => {
          const all = text();
          const rest = all.slice(consumed);
          const found = typeof pattern === 'string' ? indexOf(rest, pattern) : match(rest, pattern);
          if (found) {
            finish();
            const end = consumed + found.end;
            const seen = all.slice(consumed, end);
            consumed = end;
            resolve(seen);
          } else if (finished()) {
            finish();
            reject(new Error(`the CLI ended without writing ${String(pattern)}; after the last match it wrote:\n${rest}`));
          }
        };
        const timer = setTimeout(() => {
          finish();
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${String(pattern)}; after the last match it wrote:\n${text().slice(consumed)}`));
        }, timeoutMs);
        const finish = () => {
          clearTimeout(timer);
          waiters.delete(attempt);
        };
        waiters.add(attempt);
        attempt();
      });
    },
  };
}

function indexOf(text: string, s: string): { end: number } | null {
  const i = text.indexOf(s);
  return i === -1 ? null : { end: i + s.length };
}

function match(text: string, re: RegExp): { end: number } | null {
  const m = new RegExp(re.source, re.flags.replace('g', '')).exec(text);
  return m ? { end: m.index + m[0].length } : null;
}
