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

/** The most records the tenant log keeps: past it, the oldest (by log_id) are dropped, one per new record. */
export const MAX_LOG_RECORDS = 50_000;
/** Dropped records are spliced out in batches of this size, so dropping costs O(1) per record amortized. */
const COMPACT_EVERY = 5_000;

/**
 * The tenant log: records kept in log_id order (for `from` checkpoints) and in date order (for
 * `sort=date`), capped at the newest `MAX_LOG_RECORDS` (real tenants also keep logs for a limited
 * time only). Appends are O(1) when dates only move forward, which is the normal case. Both lists
 * start at a head index; records before it are dropped and spliced away in batches.
 */
export class LogBook {
  private byId: LogRecord[] = [];
  private idHead = 0;
  private byDate: Array<{ at: number; record: LogRecord }> = [];
  private dateHead = 0;
  /** Dropped records still sitting after `dateHead` in `byDate` (only when dates arrived out of order). */
  private readonly dropped = new Set<LogRecord>();
  private lastId = BigInt(FIRST_LOG_ID);

  constructor(
    private readonly now: () => number,
    private readonly defaults: Record<string, unknown>,
    private readonly limit = MAX_LOG_RECORDS,
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

  /** How many records are kept. */
  get length(): number {
    return this.byId.length - this.idHead;
  }

  /** All records, oldest log_id first (a copy only once records have been dropped). */
  all(): readonly LogRecord[] {
    return this.idHead === 0 ? this.byId : this.byId.slice(this.idHead);
  }

  /** Records in date order (ties by log_id), without copying: stop iterating once you have enough. */
  *inDateOrder(descending: boolean): IterableIterator<LogRecord> {
    const list = this.byDate;
    const skip = this.dropped.size > 0 ? this.dropped : undefined;
    if (descending) {
      for (let i = list.length - 1; i >= this.dateHead; i--) if (!skip?.has(list[i]!.record)) yield list[i]!.record;
    } else {
      for (let i = this.dateHead; i < list.length; i++) if (!skip?.has(list[i]!.record)) yield list[i]!.record;
    }
  }

  /** Checkpoint read: up to `take` records with a log_id greater than `from`, oldest first. */
  after(from: string, take: number): LogRecord[] {
    let lo = this.idHead;
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
    if (!last || this.byDate.length === this.dateHead || last.at <= at) this.byDate.push({ at, record });
    else {
      let lo = this.dateHead;
      let hi = this.byDate.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (this.byDate[mid]!.at <= at) lo = mid + 1;
        else hi = mid;
      }
      this.byDate.splice(lo, 0, { at, record });
    }
    if (this.length > this.limit) this.dropOldest();
  }

  private dropOldest(): void {
    const oldest = this.byId[this.idHead++]!;
    if (this.byDate[this.dateHead]?.record === oldest) this.dateHead++;
    else this.dropped.add(oldest);
    // A dropped record may now sit at the date head: step over it.
    while (this.dropped.size > 0 && this.dateHead < this.byDate.length && this.dropped.delete(this.byDate[this.dateHead]!.record)) this.dateHead++;
    if (this.idHead >= COMPACT_EVERY) this.compact();
  }

  private compact(): void {
    this.byId = this.byId.slice(this.idHead);
    this.idHead = 0;
    const kept = this.byDate.slice(this.dateHead);
    this.byDate = this.dropped.size === 0 ? kept : kept.filter((e) => !this.dropped.has(e.record));
    this.dateHead = 0;
    this.dropped.clear();
  }
}
