import { closeSync, fstatSync, fsyncSync, openSync, readdirSync, readFileSync, readSync, writeSync } from 'node:fs';
import path from 'node:path';
import { InterruptedError } from '../errors.js';
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
  private othersByEmail: Map<string, JournalEntry[]> | null = null;

  /**
   * `others`: the other journals of the same state folder (read only). An email's history spans them
   * all, so what one command did (a re-import, a finished repair) protects the user in every other.
   */
  constructor(
    readonly file: string,
    readonly run: string,
    private readonly tenant: string,
    private readonly now: () => Date,
    private readonly others: readonly string[] = [],
  ) {}

  write(entry: Omit<JournalEntry, 'time' | 'run' | 'tenant'>): void {
    if (this.fd === null) {
      privateDir(path.dirname(this.file));
      this.fd = openSync(this.file, 'a', 0o600);
      // A crash can leave a last line cut short: end it, so the next entry is a line of its own.
      const size = fstatSync(this.fd).size;
      if (size > 0) {
        const last = Buffer.alloc(1);
        const rfd = openSync(this.file, 'r');
        try {
          readSync(rfd, last, 0, 1, size - 1);
        } finally {
          closeSync(rfd);
        }
        if (last[0] !== 0x0a) writeSync(this.fd, '\n');
      }
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

  /** Every entry on this tenant for an email, in this journal and the others, oldest first. */
  history(email: string): JournalEntry[] {
    this.othersByEmail ??= this.load(this.others);
    const own = this.entries().get(email) ?? [];
    const other = this.othersByEmail.get(email) ?? [];
    return other.length === 0 ? own : [...other, ...own].sort((a, b) => a.time.localeCompare(b.time));
  }

  /** This journal's entries on this tenant, by email (what a resumed run continues from). */
  entries(): Map<string, JournalEntry[]> {
    this.byEmail ??= this.load([this.file]);
    return this.byEmail;
  }

  private load(files: readonly string[]): Map<string, JournalEntry[]> {
    const map = new Map<string, JournalEntry[]>();
    for (const file of files) {
      let text = '';
      try {
        text = readFileSync(file, 'utf8');
      } catch {
        continue; // no journal yet
      }
      for (const line of text.split('\n')) {
        if (!line) continue;
        try {
          const entry = JSON.parse(line) as JournalEntry;
          if (entry.tenant === this.tenant) push(map, entry);
        } catch {
          // a line cut by a crash
        }
      }
    }
    return map;
  }
}

/** What a failed call's journal entry says; an interrupted one may or may not have taken effect. */
export function failureText(err: unknown): string {
  if (err instanceof InterruptedError) return 'interrupted; the request may or may not have taken effect';
  return err instanceof Error ? err.message : String(err);
}

/**
 * Runs one mutating call between its journal entries: 'before', then 'after' (with what `after`
 * adds from the result) or 'failed', each flushed to disk before the next thing happens.
 */
export async function journaled<T>(
  journal: Journal,
  email: string,
  step: string,
  detail: Record<string, unknown>,
  call: () => Promise<T> | T,
  after: (result: T) => Record<string, unknown> = () => ({}),
): Promise<T> {
  journal.write({ email, step, phase: 'before', detail });
  let result: T;
  try {
    result = await call();
  } catch (err) {
    journal.write({ email, step, phase: 'failed', error: failureText(err) });
    throw err;
  }
  journal.write({ email, step, phase: 'after', detail: { ...detail, ...after(result) } });
  return result;
}

/** The journals of a state folder: repair's journal.ndjson and every batch's journal. */
export function stateJournals(stateDir: string): string[] {
  let names: string[] = [];
  try {
    names = readdirSync(stateDir);
  } catch {
    return [];
  }
  return names.filter((n) => n === 'journal.ndjson' || /^batch-.*\.journal\.ndjson$/.test(n)).map((n) => path.join(stateDir, n));
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
