import { chmodSync, closeSync, fsyncSync, mkdirSync, openSync, writeSync } from 'node:fs';

/** A folder for personal data: created 0700, and tightened to 0700 if it already existed. */
export function privateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
}

/** Writes a new 0600 file and flushes it to disk; never replaces an existing one (returns false). */
export function writeNewPrivateFile(file: string, text: string): boolean {
  let fd: number;
  try {
    fd = openSync(file, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return true;
}
