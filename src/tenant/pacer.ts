import { InterruptedError, TenantUnreachableError } from '../errors.js';
import { auth0Group, RateBuckets, type BucketView } from './buckets.js';

/**
 * One pacer wraps the SDK's `fetch`: it sees every request (the token request included) and every
 * response's `x-ratelimit-*` headers, so unstick, not the SDK, owns waiting and retrying.
 * - Before sending, a request waits while its bucket is known to be empty (remaining 0, reset ahead).
 * - 429: wait for `x-ratelimit-reset` (epoch seconds), then try again; a 429 means "not processed".
 * - 5xx, 408, dropped or refused connections: retried with exponential backoff and full jitter, a
 *   bounded number of times, but only when repeating the request cannot repeat harm. A POST that
 *   creates something is never repeated blindly: its failure is returned (or thrown as
 *   OutcomeUnknownError) so the caller can look first whether it took effect.
 */
export interface PacerOptions {
  now?: () => number;
  /** Must reject with InterruptedError when `signal` aborts. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
  /** Retries after 5xx/408/network errors (429s have their own budget). */
  maxRetries?: number;
  /** Waits for a rate-limit reset before giving up. */
  maxRateLimitWaits?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Longest single wait for a rate-limit reset. */
  maxResetWaitMs?: number;
  /** Which rate-limit group a request draws from (default: Auth0's endpoint groups, see buckets.ts). */
  bucketOf?: (method: string, url: URL) => string;
  signal?: AbortSignal;
  /** Told about every wait, for progress output. */
  onWait?: (wait: PacerWait) => void;
}

export interface PacerWait {
  reason: 'rate-limit' | 'retry';
  ms: number;
  bucket: string;
  method: string;
  path: string;
  status: number | null;
}

/** A request whose effect is unknown: the connection dropped (or the server failed) after it was sent. */
export class OutcomeUnknownError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly detail: string,
  ) {
    super(`${method} ${path}: ${detail}; it may or may not have taken effect`);
    this.name = 'OutcomeUnknownError';
  }
}

export interface PacerStats {
  requests: number;
  retries: number;
  rateLimitWaits: number;
  /** 429s answered to unstick (each was waited out and retried). */
  limited: number;
  waitedMs: number;
  /** True once a 429 said the tenant-wide limit binds (then every request is paced as one bucket). */
  global: boolean;
  buckets: Record<string, BucketView>;
}

export class Pacer {
  private readonly now: () => number;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  private readonly random: () => number;
  private readonly rates: RateBuckets;
  private readonly counters = { requests: 0, retries: 0, rateLimitWaits: 0, limited: 0, waitedMs: 0 };

  constructor(private readonly options: PacerOptions = {}) {
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? abortableSleep;
    this.random = options.random ?? Math.random;
    this.rates = new RateBuckets(this.now, this.random);
  }

  stats(): PacerStats {
    return { ...this.counters, global: this.rates.global, buckets: this.rates.view() };
  }

  /** A `fetch` with pacing and the retry policy around `inner`. */
  wrap(inner: typeof fetch): typeof fetch {
    return (input, init) => this.send(inner, input, init);
  }

  private async send(inner: typeof fetch, input: Parameters<typeof fetch>[0], init: RequestInit | undefined): Promise<Response> {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const method = (init?.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
    const group = (this.options.bucketOf ?? auth0Group)(method, url);
    const repeatable = isRepeatable(method, url);
    let retries = 0;
    let rateLimitWaits = 0;
    for (;;) {
      const { waited, seq, key: bucket } = await this.rates.take(group, this.options.signal);
      if (waited > 0) this.counters.waitedMs += waited;
      this.counters.requests++;
      let response: Response;
      try {
        response = await this.fetchAbortable(inner, input, init);
      } catch (err) {
        this.rates.release(bucket);
        if (this.options.signal?.aborted) throw err;
        // The SDK's own timeout aborted the request: it was sent, and may have been carried out.
        const failure = init?.signal?.aborted
          ? { message: `${url.host} did not answer in time`, notSent: false, fatal: false }
          : networkFailure(err, url);
        if (failure.fatal) throw new TenantUnreachableError(failure.message, { cause: err });
        if (!failure.notSent && !repeatable) throw new OutcomeUnknownError(method, url.pathname, failure.message);
        if (retries >= (this.options.maxRetries ?? 4)) {
          throw new TenantUnreachableError(`${failure.message} (after ${retries + 1} attempts)`, { cause: err, hint: `check the network and AUTH0_DOMAIN (${url.host})` });
        }
        await this.wait('retry', this.backoff(retries++), bucket, method, url, null);
        continue;
      }
      const decision = decideRetry(response.status, repeatable);
      if (decision === 'rate-limit') {
        this.counters.limited++;
        // Auth0's 429 says which limit was reached: the tenant-wide one, or an endpoint group's.
        const text = await response.clone().text().catch(() => '');
        this.rates.observe(bucket, response.headers, 429, /global limit has been reached/i.test(text) && !/group/i.test(text), seq);
        if (rateLimitWaits < (this.options.maxRateLimitWaits ?? 8)) {
          rateLimitWaits++;
          await discard(response);
          this.counters.rateLimitWaits++;
          // With rate-limit headers the bucket now knows its reset, and take() waits for it; without, back off.
          if (!response.headers.has('x-ratelimit-reset')) await this.wait('rate-limit', this.backoff(rateLimitWaits - 1), bucket, method, url, 429);
          else this.options.onWait?.({ reason: 'rate-limit', ms: this.rates.untilReset(bucket), bucket, method, path: url.pathname, status: 429 });
          continue;
        }
        return response;
      }
      this.rates.observe(bucket, response.headers, response.status, false, seq);
      if (decision === 'retry' && retries < (this.options.maxRetries ?? 4)) {
        await discard(response);
        await this.wait('retry', this.backoff(retries++), bucket, method, url, response.status);
        continue;
      }
      return response;
    }
  }

  /**
   * Ctrl+C aborts requests in flight. The run's signal is joined here, per request, with a listener
   * removed when the request ends: the SDK's own `abortSignal` option leaves one listener behind on
   * the signal per request, which a batch of thousands of requests would pile up.
   */
  private async fetchAbortable(inner: typeof fetch, input: Parameters<typeof fetch>[0], init: RequestInit | undefined): Promise<Response> {
    const run = this.options.signal;
    if (!run) return inner(input, init);
    if (run.aborted) throw new InterruptedError();
    const controller = new AbortController();
    const onAbort = () => controller.abort(run.reason);
    const own = init?.signal;
    const onOwn = () => controller.abort(own?.reason);
    run.addEventListener('abort', onAbort, { once: true });
    own?.addEventListener('abort', onOwn, { once: true });
    try {
      return await inner(input, { ...init, signal: controller.signal });
    } finally {
      run.removeEventListener('abort', onAbort);
      own?.removeEventListener('abort', onOwn);
    }
  }

  private backoff(retry: number): number {
    const base = this.options.baseDelayMs ?? 500;
    const cap = Math.min(this.options.maxDelayMs ?? 20_000, base * 2 ** retry);
    // "Full jitter" (half fixed, half random) keeps concurrent workers from retrying in lockstep.
    return Math.round(cap / 2 + this.random() * (cap / 2));
  }


  private async wait(reason: PacerWait['reason'], ms: number, bucket: string, method: string, url: URL, status: number | null): Promise<void> {
    if (reason === 'rate-limit') this.counters.rateLimitWaits++;
    else this.counters.retries++;
    this.counters.waitedMs += ms;
    this.options.onWait?.({ reason, ms, bucket, method, path: url.pathname, status });
    await this.sleep(ms, this.options.signal);
  }
}

/** The retry decision for a response, pure. */
export function decideRetry(status: number, repeatable: boolean): 'rate-limit' | 'retry' | 'done' {
  if (status === 429) return 'rate-limit';
  if ((status >= 500 || status === 408) && repeatable) return 'retry';
  return 'done';
}

/** GET, DELETE, PUT and PATCH (with the same body) can be repeated; so can the token request. POSTs that create cannot. */
export function isRepeatable(method: string, url: URL): boolean {
  if (method !== 'POST') return true;
  return url.pathname === '/oauth/token';
}

interface NetworkFailure {
  message: string;
  /** The request never left (refused, DNS): repeating it cannot repeat an effect. */
  notSent: boolean;
  /** No retry will help (TLS trust, unknown host). */
  fatal: boolean;
}

export function networkFailure(err: unknown, url: URL): NetworkFailure {
  const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
  const code = cause?.code ?? (err as { code?: string })?.code ?? '';
  const host = url.host;
  if (code === 'ENOTFOUND') return { message: `cannot resolve ${host} (DNS: ${code})`, notSent: true, fatal: true };
  if (code === 'EAI_AGAIN') return { message: `cannot resolve ${host} right now (DNS: ${code})`, notSent: true, fatal: false };
  if (code === 'ECONNREFUSED') return { message: `${host} refused the connection`, notSent: true, fatal: false };
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|ERR_SSL|HOSTNAME_MISMATCH/i.test(code)) {
    return { message: `TLS to ${host} failed (${code}): the certificate is not trusted`, notSent: true, fatal: true };
  }
  const detail = cause?.message ?? (err instanceof Error ? err.message : String(err));
  return { message: `the connection to ${host} failed (${code || detail})`, notSent: false, fatal: false };
}

async function discard(response: Response): Promise<void> {
  try {
    await response.body?.cancel();
  } catch {
    // nothing to free
  }
}

export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(new InterruptedError());
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new InterruptedError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
