import type { TenantApi, TenantLogRecord } from './types.js';

export interface PullOptions {
  /** Resume after this log_id (a checkpoint); otherwise start at `since`. */
  from: string | null;
  since: Date;
  /** Records per request (Auth0 allows up to 100). */
  take?: number;
  /** Keep polling for new records, waiting this long between empty pages. */
  followEveryMs?: number | null;
  sleep: (ms: number) => Promise<void>;
}

/**
 * The tenant's logs as pages, oldest first, through checkpoint paging (`from`/`take`, ordered by
 * log_id), which is how Auth0 documents reading logs completely. Checkpoint paging ignores every
 * other parameter, so the first log_id at or after `since` is found with one search first.
 * Each page is yielded once its records are known; the caller saves the checkpoint after writing it.
 */
export async function* pullLogs(tenant: TenantApi, options: PullOptions): AsyncGenerator<TenantLogRecord[]> {
  const take = options.take ?? 100;
  let from = options.from;
  while (from === null) {
    const [first] = await tenant.searchLogs(`date:[${options.since.toISOString()} TO *]`, { perPage: 1, sort: 'date:1' });
    const id = typeof first?.log_id === 'string' ? first.log_id : null;
    if (first && id) {
      yield [first];
      from = id;
    } else if (options.followEveryMs) await options.sleep(options.followEveryMs);
    else return;
  }
  for (;;) {
    const page = await tenant.logsAfter(from, take);
    const last = page.at(-1)?.log_id;
    if (page.length > 0 && typeof last === 'string') {
      yield page;
      from = last;
    }
    if (page.length < take) {
      if (!options.followEveryMs) return;
      await options.sleep(options.followEveryMs);
    }
  }
}
