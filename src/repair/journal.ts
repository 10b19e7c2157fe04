import { closeSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { privateDir } from './files.js';

export interface JournalEntry {
  time: string;
  run: string;
  email: string;
  step: string;
  phase: 'before' | 'after' | 'failed';
  tenant: string;
  detail?: Record<string, unknown>;
  error?: string;
}

/**
 * The audit journal: one JSON line per event, appended and flushed to disk before and after every
 * mutating call, so a crash or Ctrl+C leaves it consistent (a 'before' without an 'after' names the
 * step in flight). It holds ids and outcomes only: no profile data, tokens or ticket links.
 */
export class Journal {
  private fd: number | null = null;

  constructor(
    readonly file: string,
    readonly run: string,
    private readonly tenant: string,
    private readonly now: () => Date,
  ) {}

  write(entry: Omit<JournalEntry, 'time' | 'run' | 'tenant'>): void {
    if (this.fd === null) {
      privateDir(path.dirname(this.file));
      this.fd = openSync(this.file, 'a', 0o600);
    }
    const line = JSON.stringify({ time: this.now().toISOString(), run: this.run, tenant: this.tenant, ...entry }) + '\n';
    writeSync(this.fd, line);
    fsyncSync(this.fd);
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  /** Every entry of earlier runs on this tenant for an email, oldest first (a damaged last line is skipped). */
  history(email: string): JournalEntry[] {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch {
      return [];
    }
    const out: JournalEntry[] = [];
    for (const line of text.split('\n')) {
      if (!line) continue;
      try {
        const entry = JSON.parse(line) as JournalEntry;
        if (entry.email === email && entry.tenant === this.tenant) out.push(entry);
      } catch {
        // a line cut by a crash
      }
    }
    return out;
  }
}

/**
 * Steps earlier runs left undone: those whose latest entry (across runs) is a 'before' (interrupted
 * in flight, effect unknown) or a 'failed'. A step a later run finished is not listed.
 */
export function unfinishedSteps(history: JournalEntry[]): JournalEntry[] {
  const latest = new Map<string, JournalEntry>();
  for (const e of history) latest.set(e.step, e);
  return [...latest.values()].filter((e) => e.phase !== 'after');
}
