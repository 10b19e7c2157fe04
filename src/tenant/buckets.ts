import { InterruptedError } from '../errors.js';

/**
 * What unstick knows of the tenant's rate-limit buckets, learned from each response's
 * `x-ratelimit-limit/remaining/reset` headers. Auth0 evaluates a global limit and then per-endpoint
 * groups (user reads, user writes, user deletes, logs, connections, "all other endpoints"), and its
 * headers describe the bucket a request drew from that is closer to empty. So requests are keyed
 * by endpoint group, each group paced on its own headers, until a 429 says the *global* limit was
 * reached: from then on the whole tenant is paced as one bucket.
 *
 * A bucket with tokens lets requests through (counting them down); an empty one holds them until its
 * reset, then lets one through as a probe whose answer says how many may follow.
 */
interface Bucket {
  /** null: not known yet (one request at a time finds out); Infinity: the endpoint sends no limits. */
  remaining: number | null;
  /** ms epoch when the bucket gets tokens again. */
  resetAt: number;
  limit: number | null;
  /** A probe is out since this time (ms epoch); null when none is. */
  probeSince: number | null;
  waiters: Set<() => void>;
  taken: number;
  limited: number;
  /** Requests sent from this bucket (a request's number is `sent` when it was let through). */
  sent: number;
  /** The number of the latest request whose answer was applied: older answers arrive late and say less. */
  applied: number;
}

export interface BucketView {
  remaining: number | null;
  resetAt: number;
  limit: number | null;
  taken: number;
  limited: number;
}

const PROBE_TIMEOUT_MS = 2000;

export class RateBuckets {
  private readonly buckets = new Map<string, Bucket>();
  private globalBinding = false;

  constructor(
    private readonly now: () => number = Date.now,
    private readonly random: () => number = Math.random,
  ) {}

  /** The key a request is paced under: its endpoint group, or 'global' once the global limit binds. */
  key(group: string): string {
    return this.globalBinding ? 'global' : group;
  }

  /** Waits until the bucket may take one more request; returns how long it waited and the request's number. */
  async take(key: string, signal?: AbortSignal): Promise<{ waited: number; seq: number }> {
    const b = this.bucket(key);
    const started = this.now();
    for (;;) {
      if (signal?.aborted) throw new InterruptedError();
      if (b.remaining !== null && b.remaining > 0) {
        b.remaining--;
        b.taken++;
        return { waited: this.now() - started, seq: ++b.sent };
      }
      const now = this.now();
      const probeStale = b.probeSince !== null && now - b.probeSince > PROBE_TIMEOUT_MS;
      // An unknown bucket sends one request first: its answer says how many may follow (a free
      // tenant's burst is 2, so a pool of workers must not open with a volley).
      if ((b.remaining === null || now >= b.resetAt) && (b.probeSince === null || probeStale)) {
        b.probeSince = now;
        b.taken++;
        return { waited: this.now() - started, seq: ++b.sent };
      }
      const until = b.probeSince === null && b.remaining !== null ? b.resetAt - now : PROBE_TIMEOUT_MS;
      await this.sleepOrWake(b, Math.max(1, until) + Math.round(this.random() * 20), signal);
    }
  }

  /**
   * Learns from the answer to request `seq`; `globalLimited` when a 429 said the tenant-wide limit
   * was reached. Answers arrive out of order: one older than the latest applied is ignored, and the
   * requests sent after `seq` are counted against what its headers say is left.
   */
  observe(key: string, headers: Headers, status: number, globalLimited = false, seq = Number.MAX_SAFE_INTEGER): void {
    if (status === 429 && globalLimited && !this.globalBinding) {
      this.globalBinding = true;
      key = 'global';
      seq = Number.MAX_SAFE_INTEGER;
    }
    const b = this.bucket(key);
    b.probeSince = null;
    if (status === 429) b.limited++;
    if (seq !== Number.MAX_SAFE_INTEGER && seq < b.applied) return this.wake(b);
    const after = seq === Number.MAX_SAFE_INTEGER ? 0 : Math.max(0, b.sent - seq);
    if (seq !== Number.MAX_SAFE_INTEGER) b.applied = seq;
    const remaining = Number(headers.get('x-ratelimit-remaining'));
    const reset = Number(headers.get('x-ratelimit-reset'));
    const limit = Number(headers.get('x-ratelimit-limit'));
    if (headers.has('x-ratelimit-remaining') && Number.isFinite(remaining)) {
      b.remaining = status === 429 ? 0 : Math.max(0, remaining - after);
      b.resetAt = Number.isFinite(reset) && reset > 0 ? reset * 1000 : this.now() + 1000;
      if (Number.isFinite(limit) && limit > 0) b.limit = limit;
    } else if (status === 429) {
      b.remaining = 0;
      b.resetAt = this.now() + 1000;
    } else if (b.remaining === null) {
      b.remaining = Infinity; // no rate-limit headers on this endpoint: nothing to pace
    }
    this.wake(b);
  }

  /** A request ended without an answer (network error): free the probe slot. */
  release(key: string): void {
    const b = this.bucket(key);
    b.probeSince = null;
    this.wake(b);
  }

  /** How long until the bucket refills, for a 429 wait (0 when unknown). */
  untilReset(key: string): number {
    return Math.max(0, this.bucket(key).resetAt - this.now());
  }

  view(): Record<string, BucketView> {
    return Object.fromEntries([...this.buckets].map(([k, b]) => [k, { remaining: b.remaining, resetAt: b.resetAt, limit: b.limit, taken: b.taken, limited: b.limited }]));
  }

  get global(): boolean {
    return this.globalBinding;
  }

  private bucket(key: string): Bucket {
    let b = this.buckets.get(key);
    if (!b) {
      b = { remaining: null, resetAt: 0, limit: null, probeSince: null, waiters: new Set(), taken: 0, limited: 0, sent: 0, applied: 0 };
      this.buckets.set(key, b);
    }
    return b;
  }

  private wake(b: Bucket): void {
    for (const w of [...b.waiters]) w();
  }

  private sleepOrWake(b: Bucket, ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        b.waiters.delete(done);
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = () => {
        done();
        reject(new InterruptedError());
      };
      const timer = setTimeout(done, ms);
      b.waiters.add(done);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

/** Auth0's Management API endpoint groups (docs-v2 rate-limit configurations), by method and path. */
export function auth0Group(method: string, url: URL): string {
  const p = url.pathname;
  if (p === '/oauth/token') return 'token';
  if (p === '/api/v2/users-by-email' || p.startsWith('/api/v2/users')) {
    if (method === 'GET') return 'read-users';
    if (method === 'DELETE') return 'delete-users';
    return 'write-users';
  }
  if (/^\/api\/v2\/connections\/[^/]+\/users$/.test(p) && method === 'DELETE') return 'delete-users';
  if (p.startsWith('/api/v2/logs')) return 'read-logs';
  if (p.startsWith('/api/v2/connections') && method === 'GET') return 'read-connections';
  return 'other';
}
