import { InterruptedError } from '../errors.js';

/**
 * What unstick knows of the tenant's rate-limit buckets, learned from each response's
 * `x-ratelimit-limit/remaining/reset` headers. Auth0 evaluates a global limit and then per-endpoint
 * groups (user reads, user writes, user deletes, logs, connections, "all other endpoints"), and its
 * headers describe the bucket a request drew from that is closer to empty. So requests are keyed by
 * endpoint group, each group paced on its own answers, until a 429 says the *global* limit was
 * reached: from then on the whole tenant is paced as one bucket.
 *
 * Each bucket is modelled as a token bucket: the last answer's `remaining` at its time, the requests
 * sent since, and a refill rate learned from how `remaining` rises between answers (the reset header
 * only has a one-second resolution, so waiting for it would cap a 100/s bucket at about its burst
 * per second). A bucket it knows nothing about gets one request first. A 429 means the model was
 * wrong: the rate is lowered, and after repeated 429s that bucket never sends before its reset
 * header again (a fixed-window limit behaves that way).
 */
interface Bucket {
  /** null: nothing known yet; Infinity: the endpoint sends no limits. */
  remaining: number | null;
  /** When the answer that said `remaining` came (ms epoch), and which request it answered. */
  observedAt: number;
  observedSeq: number;
  /** ms epoch of the header's reset (the next refill, to the second). */
  resetAt: number;
  limit: number | null;
  /** Learned refill, tokens per ms; null until measured. */
  rate: number | null;
  /** After a 429: never send before the reset header says. */
  trustReset: boolean;
  /** A probe is out since this time (ms epoch); null when none is. */
  probeSince: number | null;
  sample: { at: number; seq: number; remaining: number } | null;
  waiters: Set<() => void>;
  taken: number;
  limited: number;
  /** 429s since the last answer that was not one. */
  streak: number;
  sent: number;
}

export interface BucketView {
  remaining: number | null;
  resetAt: number;
  limit: number | null;
  /** Learned refill rate, requests per second. */
  perSecond: number | null;
  taken: number;
  limited: number;
}

const PROBE_TIMEOUT_MS = 2000;
const MAX_WAIT_MS = 60_000;
/** Send against 95 % of the learned rate: a little slack for clock and rounding error. */
const RATE_MARGIN = 0.95;
/** Shortest span between two answers that a rate is measured over. */
const SAMPLE_MIN_MS = 250;

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

  /**
   * Waits until the group's bucket may take one more request; returns how long it waited, the
   * request's number and the bucket it drew from (the group's, or 'global' once that binds, even
   * for a request that started waiting before the switch).
   */
  async take(group: string, signal?: AbortSignal): Promise<{ waited: number; seq: number; key: string }> {
    const started = this.now();
    for (;;) {
      if (signal?.aborted) throw new InterruptedError();
      const key = this.key(group);
      const b = this.bucket(key);
      const now = this.now();
      const probeFree = b.probeSince === null || now - b.probeSince > PROBE_TIMEOUT_MS;
      let wait: number;
      if (b.remaining === null) {
        // Nothing known: one request finds out.
        if (probeFree) return this.send(b, key, started, true);
        wait = PROBE_TIMEOUT_MS;
      } else {
        const available = this.estimate(b, now);
        if (available >= 1) return this.send(b, key, started, false);
        const untilReset = b.resetAt - now;
        if (b.trustReset || b.rate === null) {
          // Empty, refill unknown (or untrusted): wait for the reset header, then one probe.
          if (untilReset <= 0 && probeFree) return this.send(b, key, started, true);
          wait = untilReset > 0 ? untilReset : PROBE_TIMEOUT_MS;
        } else wait = (1 - available) / (b.rate * RATE_MARGIN);
      }
      // A reset far ahead (a skewed clock) must not stall the run: look again within a minute.
      await this.sleepOrWake(b, Math.min(MAX_WAIT_MS, Math.max(1, Math.ceil(wait))) + Math.round(this.random() * 5), signal);
    }
  }

  /**
   * Learns from the answer to request `seq`; `globalLimited` when a 429 said the tenant-wide limit
   * was reached. Answers arrive out of order: one older than the latest applied is ignored.
   */
  observe(key: string, headers: Headers, status: number, globalLimited = false, seq = Number.MAX_SAFE_INTEGER): void {
    // The first global 429 comes from pacing groups that share one bucket: not a wrong model.
    const switching = status === 429 && globalLimited && !this.globalBinding;
    if (switching) {
      this.globalBinding = true;
      key = 'global';
      seq = Number.MAX_SAFE_INTEGER;
      // Requests waiting in group buckets move to the global one.
      for (const other of this.buckets.values()) this.wake(other);
    }
    const b = this.bucket(key);
    const now = this.now();
    b.probeSince = null;
    const fresh = seq === Number.MAX_SAFE_INTEGER ? b.sent : seq;
    if (status === 429) {
      b.limited++;
      if (b.rate !== null) b.rate *= 0.8;
      // 429s in a row mean the refill model does not fit (a fixed window): trust only the reset header.
      if (!switching && ++b.streak >= 3) b.trustReset = true;
    } else b.streak = 0;
    const remaining = Number(headers.get('x-ratelimit-remaining'));
    const reset = Number(headers.get('x-ratelimit-reset'));
    const limit = Number(headers.get('x-ratelimit-limit'));
    if (headers.has('x-ratelimit-remaining') && Number.isFinite(remaining)) {
      if (fresh < b.observedSeq) return this.wake(b);
      if (Number.isFinite(limit) && limit > 0) b.limit = limit;
      const left = status === 429 ? 0 : remaining;
      if (status !== 429) this.learnRate(b, now, fresh, left);
      b.remaining = left;
      b.observedAt = now;
      b.observedSeq = fresh;
      b.resetAt = Number.isFinite(reset) && reset > 0 ? reset * 1000 : now + 1000;
    } else if (status === 429) {
      b.remaining = 0;
      b.observedAt = now;
      b.observedSeq = fresh;
      b.resetAt = now + 1000;
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

  /** Each bucket as unstick sees it now (`remaining`: the estimate, after the requests sent since the last answer). */
  view(): Record<string, BucketView> {
    const now = this.now();
    const left = (b: Bucket) => (b.remaining === null || b.remaining === Infinity ? b.remaining : Math.max(0, Math.floor(this.estimate(b, now))));
    return Object.fromEntries(
      [...this.buckets].map(([k, b]) => [k, { remaining: left(b), resetAt: b.resetAt, limit: b.limit, perSecond: b.rate === null ? null : Math.round(b.rate * 10_000) / 10, taken: b.taken, limited: b.limited }]),
    );
  }

  get global(): boolean {
    return this.globalBinding;
  }

  /** Tokens the bucket should hold now: the last answer's, plus the refill since, less what was sent after it. */
  private estimate(b: Bucket, now: number): number {
    const base = b.remaining ?? 0;
    if (base === Infinity) return Infinity;
    const refill = b.rate !== null && !b.trustReset ? b.rate * RATE_MARGIN * (now - b.observedAt) : 0;
    const full = b.limit ?? Infinity;
    return Math.min(full, base + refill) - (b.sent - b.observedSeq);
  }

  /**
   * Refill measured between two answers: what `remaining` rose by, plus the requests sent in between.
   * When the later answer shows the bucket full, the refill was capped: the result is only a lower bound.
   */
  private learnRate(b: Bucket, now: number, seq: number, remaining: number): void {
    const s = b.sample;
    if (!s || now - s.at < SAMPLE_MIN_MS) {
      if (!s) b.sample = { at: now, seq, remaining };
      return;
    }
    const refilled = remaining - s.remaining + (seq - s.seq);
    const rate = refilled / (now - s.at);
    const capped = b.limit !== null && remaining >= b.limit - 1;
    if (rate > 0) {
      if (capped) b.rate = Math.max(b.rate ?? 0, rate);
      else b.rate = b.rate === null ? rate : 0.6 * b.rate + 0.4 * rate;
    }
    b.sample = { at: now, seq, remaining };
  }

  private send(b: Bucket, key: string, started: number, probe: boolean): { waited: number; seq: number; key: string } {
    if (probe) b.probeSince = this.now();
    b.taken++;
    return { waited: this.now() - started, seq: ++b.sent, key };
  }

  private bucket(key: string): Bucket {
    let b = this.buckets.get(key);
    if (!b) {
      b = {
        remaining: null,
        observedAt: 0,
        observedSeq: 0,
        resetAt: 0,
        limit: null,
        rate: null,
        trustReset: false,
        probeSince: null,
        sample: null,
        waiters: new Set(),
        taken: 0,
        limited: 0,
        streak: 0,
        sent: 0,
      };
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

/**
 * Auth0's Management API endpoint groups (docs-v2 rate-limit configurations), by method and path.
 * "Write Users DELETE" links to Delete a User only; Delete a Connection User is among "all other
 * endpoints" (the sandbox's self-service preset reads the page the same way).
 */
export function auth0Group(method: string, url: URL): string {
  const p = url.pathname;
  if (p === '/oauth/token') return 'token';
  if (p === '/api/v2/users-by-email' || p.startsWith('/api/v2/users')) {
    if (method === 'GET') return 'read-users';
    if (method === 'DELETE') return 'delete-users';
    return 'write-users';
  }
  if (p.startsWith('/api/v2/logs')) return 'read-logs';
  if (p.startsWith('/api/v2/connections') && method === 'GET') return 'read-connections';
  return 'other';
}
