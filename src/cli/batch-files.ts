import { closeSync, fchmodSync, fstatSync, fsyncSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { BatchRow } from '../repair/batch.js';
import { csvRow } from './output.js';

/**
 * The files a batch writes: appended as users finish and flushed, 0600 (they hold emails, and the
 * tickets file holds password-reset links).
 */
export class RowFile {
  private fd: number;
  private readonly csv: boolean;

  constructor(
    readonly file: string,
    private readonly columns: string[] | null,
    mode: 'new' | 'append' = 'new',
  ) {
    this.csv = columns !== null;
    this.fd = openSync(file, mode === 'new' ? 'w' : 'a', 0o600);
    fchmodSync(this.fd, 0o600);
    if (this.columns && (mode === 'new' || fstatSync(this.fd).size === 0)) this.write(csvRow(this.columns));
  }

  row(values: Record<string, unknown>): void {
    if (this.csv) this.write(csvRow(this.columns!.map((c) => text(values[c])), new Set([0])));
    else this.write(JSON.stringify(values) + '\n');
  }

  close(): void {
    fsyncSync(this.fd);
    closeSync(this.fd);
  }

  private write(s: string): void {
    writeSync(this.fd, s);
  }
}

export const REPORT_COLUMNS = ['email', 'outcome', 'classification', 'steps', 'error', 'backup', 'ticket'];

/** A report is CSV or NDJSON by its extension. */
export function reportFile(file: string): RowFile {
  return new RowFile(file, /\.(nd)?jsonl?$/i.test(path.extname(file)) || /\.ndjson$/i.test(file) ? null : REPORT_COLUMNS);
}

export function reportValues(row: BatchRow): Record<string, unknown> {
  return {
    email: row.email,
    outcome: row.outcome,
    classification: row.classification ?? '',
    steps: row.steps.map((s) => `${s.step}:${s.status}`).join('; '),
    error: row.error ?? '',
    backup: row.backup ?? '',
    ticket: row.ticket ?? '',
  };
}

function text(v: unknown): string {
  return v === null || v === undefined ? '' : String(v);
}
