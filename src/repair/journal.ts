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
  /** Entries by email, read from the file once; a batch asks for thousands of histories. */
  private byEmail: Map<string, JournalEntry[]> | null = null;

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
    const full: JournalEntry = { time: this.now().toISOString(), run: this.run, tenant: this.tenant, ...entry };
    writeSync(this.fd, JSON.stringify(full) + '\n');
    fsyncSync(this.fd);
    if (this.byEmail) push(this.byEmail, full);
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  /** Every entry on this tenant for an email, oldest first (a damaged last line is skipped). */
  history(email: string): JournalEntry[] {
    return this.entries().get(email) ?? [];
  }

  /** All entries on this tenant, by email. */
  entries(): Map<string, JournalEntry[]> {
    if (!this.byEmail) {
      this.byEmail = new Map();
      let text = '';
      try {
        text = readFileSync(this.file, 'utf8');
      } catch {
        // no journal yet
      }
      for (const line of text.split('\n')) {
        if (!line) continue;
        try {
          const entry = JSON.parse(line) as JournalEntry;
          if (entry.tenant === this.tenant) push(this.byEmail, entry);
        } catch {
          // a line cut by a crash
        }
      }
    }
    return this.byEmail;
  }
}

function push(map: Map<string, JournalEntry[]>, entry: JournalEntry): void {
  const list = map.get(entry.email);
  if (list) list.push(entry);
  else map.set(entry.email, [entry]);
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
