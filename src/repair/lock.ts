import { closeSync, linkSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { TemporaryFailureError } from '../errors.js';
import { processAlive } from './files.js';

/**
 * One run at a time per journal: `<journal>.lock` holds the owner's pid. A lock whose process is
 * gone (a crash, kill -9) is taken over; a live one refuses the second run.
 */
export function lockJournal(journal: string, now: () => Date): () => void {
  const file = `${journal}.lock`;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeSync(fd, JSON.stringify({ pid: process.pid, since: now().toISOString() }));
      closeSync(fd);
      return () => {
        try {
          unlinkSync(file);
        } catch {
          // already gone
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = readOwner(file);
      if (owner && processAlive(owner.pid)) {
        throw new TemporaryFailureError(`${journal} is in use by process ${owner.pid} (since ${owner.since}): one run at a time per journal`, {
          hint: 'wait for that run to finish (or stop it), then resume',
        });
      }
      // Left by a run that died. Take it over by renaming it aside (atomic: of two runs doing this at
      // once only one renames the dead run's lock); a renamed lock that turns out live goes back.
      const aside = `${file}.${process.pid}.stale`;
      try {
        renameSync(file, aside);
      } catch {
        continue; // another run took it over first: try again, and meet its live lock
      }
      const taken = readOwner(aside);
      if (taken && processAlive(taken.pid)) {
        try {
          linkSync(aside, file);
        } catch {
          // someone holds it now anyway
        }
        unlinkSync(aside);
        throw new TemporaryFailureError(`${journal} is in use by process ${taken.pid} (since ${taken.since}): one run at a time per journal`);
      }
      unlinkSync(aside);
    }
  }
  throw new TemporaryFailureError(`cannot lock ${journal}`);
}

function readOwner(file: string): { pid: number; since: string } | null {
  try {
    const v = JSON.parse(readFileSync(file, 'utf8')) as { pid?: unknown; since?: unknown };
    return typeof v.pid === 'number' ? { pid: v.pid, since: String(v.since ?? '?') } : null;
  } catch {
    return null;
  }
}
