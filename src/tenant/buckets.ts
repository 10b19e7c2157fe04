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
  remaining: number | null;
  /** ms epoch when the bucket gets tokens again. */
  resetAt: number;
  limit: number | null;
  /** A probe is out since this time (ms epoch); null when none is. */
  probeSince: number | null;
  waiters: Set<() => void>;
  taken: number;
  limited: number;
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

  /** Waits until the bucket may take one more request. */
  async take(key: string, signal?: AbortSignal): Promise<number> {
    const b = this.bucket(key);
    const started = this.now();
    for (;;) {
      if (signal?.aborted) throw new InterruptedError();
      if (b.remaining === null || b.remaining > 0) {
        if (b.remaining !== null) b.remaining--;
        b.taken++;
        return this.now() - started;
      }
      const now = this.now();
      const probeStale = b.probeSince !== null && now - b.probeSince > PROBE_TIMEOUT_MS;
      if (now >= b.resetAt && (b.probeSince === null || probeStale)) {
        b.probeSince = now;
        b.taken++;
        return this.now() - started;
      }
      const until = b.probeSince === null ? b.resetAt - now : PROBE_TIMEOUT_MS;
      await this.sleepOrWake(b, Math.max(1, until) + Math.round(this.random() * 20), signal);
    }
  }

  /** Learns from a response; `globalLimited` when a 429 said the tenant-wide limit was reached. */
  observe(key: string, headers: Headers, status: number, globalLimited = false): void {
    if (status === 429 && globalLimited && !this.globalBinding) {
      this.globalBinding = true;
      key = 'global';
    }
    const b = this.bucket(key);
    b.probeSince = null;
    if (status === 429) b.limited++;
    const remaining = Number(headers.get('x-ratelimit-remaining'));
    const reset = Number(headers.get('x-ratelimit-reset'));
    const limit = Number(headers.get('x-ratelimit-limit'));
    if (headers.has('x-ratelimit-remaining') && Number.isFinite(remaining)) {
      b.remaining = status === 429 ? 0 : remaining;
      b.resetAt = Number.isFinite(reset) && reset > 0 ? reset * 1000 : this.now() + 1000;
      if (Number.isFinite(limit) && limit > 0) b.limit = limit;
    } else if (status === 429) {
      b.remaining = 0;
      b.resetAt = this.now() + 1000;
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
      b = { remaining: null, resetAt: 0, limit: null, probeSince: null, waiters: new Set(), taken: 0, limited: 0 };
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
