import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { InputMissingError } from '../errors.js';

/** A CSV or log input named on the command line (or "-" for stdin), opened before anything else runs. */
export async function openInput(input: string, stdin: Readable): Promise<Readable> {
  if (input === '-') return stdin;
  const stream = createReadStream(input);
  await new Promise<void>((ok, fail) => {
    stream.once('open', () => ok());
    stream.once('error', (err: NodeJS.ErrnoException) => fail(new InputMissingError(input, err.code === 'ENOENT' ? 'no such file or directory' : err.message)));
  });
  return stream;
}
