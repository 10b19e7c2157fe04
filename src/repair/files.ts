import { chmodSync, closeSync, fsyncSync, linkSync, mkdirSync, openSync, unlinkSync, writeSync } from 'node:fs';

/** A folder for personal data: created 0700, and tightened to 0700 if it already existed. */
export function privateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
}

/**
 * Writes a new 0600 file, flushed to disk, that appears whole or not at all (written aside, then
 * hard-linked into place, so a crash never leaves half a backup under the real name). Never replaces
 * an existing file: returns false when `file` exists.
 */
export function writeNewPrivateFile(file: string, text: string): boolean {
  const aside = `${file}.${process.pid}.partial`;
  const fd = openSync(aside, 'w', 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(aside, file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    unlinkSync(aside);
  }
}

/** Whether a process with this pid exists (a lock or a half-written file from a dead run can go). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
