import { PassThrough, Readable } from 'node:stream';
import { run } from '../../src/cli/main.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in-process over in-memory streams (not terminals), as a pipe or CI would. */
export async function runCli(
  argv: string[],
  options: { stdin?: string | Buffer | Readable; env?: NodeJS.ProcessEnv; tty?: boolean; signal?: AbortSignal } = {},
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
  });
  return { code, stdout: out, stderr: err };
}
