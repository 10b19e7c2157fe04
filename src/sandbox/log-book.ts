import { compareDigits } from './query.js';

export type LogRecord = Record<string, unknown> & { log_id: string; date: string; type: string };

/** What callers give `addLog`: at least a type; everything else is optional. */
export type LogInput = Record<string, unknown> & { type: string; description?: string };

/** Auth0 log ids are 56-digit numeric strings; equal length keeps string order = numeric order. */
const LOG_ID_LENGTH = 56;
const FIRST_LOG_ID = `900${'0'.repeat(LOG_ID_LENGTH - 3)}`;

const FIELD_ORDER = [
  'date', 'type', 'description', 'connection', 'connection_id', 'client_id', 'client_name', 'ip', 'user_agent', 'hostname',
  'user_id', 'user_name', 'strategy', 'strategy_type', 'details',
];

/**
 * The tenant log: records kept in log_id order (for `from` checkpoints) and in date order (for
 * `sort=date`). Appends are O(1) when dates only move forward, which is the normal case.
 */
export class LogBook {
  private readonly byId: LogRecord[] = [];
  private readonly byDate: Array<{ at: number; record: LogRecord }> = [];
  private lastId = BigInt(FIRST_LOG_ID);

  constructor(
    private readonly now: () => number,
    private readonly defaults: Record<string, unknown>,
  ) {}

  /** Preloads scenario records: given log_ids are kept; the others get ids after the largest given one. */
  preload(records: Record<string, unknown>[]): void {
    const withIds = records.filter((r) => typeof r.log_id === 'string').sort((a, b) => compareDigits(a.log_id as string, b.log_id as string));
    for (const r of withIds) {
      const id = BigInt(r.log_id as string);
      if (id > this.lastId) this.lastId = id;
    }
    for (const r of withIds) this.insert(this.complete(r as LogInput, r.log_id as string));
    for (const r of records) if (typeof r.log_id !== 'string') this.add(r as LogInput);
  }

  add(input: LogInput): LogRecord {
    this.lastId += 1n;
    const record = this.complete(input, this.lastId.toString().padStart(LOG_ID_LENGTH, '0'));
    this.insert(record);
    return record;
  }

  get size(): number {
    return this.byId.length;
  }

  /** All records, oldest log_id first. */
  all(): readonly LogRecord[] {
    return this.byId;
  }

  /** Records in date order (ties by log_id). */
  sortedByDate(descending: boolean): LogRecord[] {
    const records = this.byDate.map((e) => e.record);
    return descending ? records.reverse() : records;
  }

  /** Checkpoint read: up to `take` records with a log_id greater than `from`, oldest first. */
  after(from: string, take: number): LogRecord[] {
    let lo = 0;
    let hi = this.byId.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compareDigits(this.byId[mid]!.log_id, from) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return this.byId.slice(lo, lo + take);
  }

  private complete(input: LogInput, logId: string): LogRecord {
    const merged: Record<string, unknown> = { ...this.defaults, ...input };
    if (typeof merged.date !== 'string') merged.date = new Date(this.now()).toISOString();
    const record: Record<string, unknown> = {};
    for (const key of FIELD_ORDER) if (merged[key] !== undefined) record[key] = merged[key];
    for (const [key, value] of Object.entries(merged)) if (!(key in record) && value !== undefined) record[key] = value;
    record.log_id = logId;
    record._id = logId;
    return record as LogRecord;
  }

  private insert(record: LogRecord): void {
    this.byId.push(record);
    const at = Date.parse(record.date);
    const last = this.byDate[this.byDate.length - 1];
    if (!last || last.at <= at) {
      this.byDate.push({ at, record });
      return;
    }
    let lo = 0;
    let hi = this.byDate.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.byDate[mid]!.at <= at) lo = mid + 1;
      else hi = mid;
    }
    this.byDate.splice(lo, 0, { at, record });
  }
}
