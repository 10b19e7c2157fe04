/** A token bucket per tenant, like Auth0's: `burst` tokens, refilled at `perSecond`. */
export interface RateLimitSpec {
  burst: number;
  perSecond: number;
}

export class RateLimitSpecError extends Error {}

export function parseRateLimit(value: unknown, path = 'rateLimit'): RateLimitSpec {
  const v = value as Record<string, unknown> | null;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new RateLimitSpecError(`${path} must be an object {"burst", "perSecond"}`);
  for (const key of Object.keys(v)) if (key !== 'burst' && key !== 'perSecond') throw new RateLimitSpecError(`${path}.${key} is not a rate limit setting (burst, perSecond)`);
  if (typeof v.burst !== 'number' || !Number.isInteger(v.burst) || v.burst < 1) throw new RateLimitSpecError(`${path}.burst must be a positive integer`);
  if (typeof v.perSecond !== 'number' || !(v.perSecond > 0)) throw new RateLimitSpecError(`${path}.perSecond must be a positive number`);
  return { burst: v.burst, perSecond: v.perSecond };
}

export interface RateLimitVerdict {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Epoch seconds when the next token arrives (Auth0's x-ratelimit-reset). */
  reset: number;
}

export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    private readonly spec: RateLimitSpec,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = spec.burst;
    this.updatedAt = now();
  }

  take(): RateLimitVerdict {
    const now = this.now();
    this.tokens = Math.min(this.spec.burst, this.tokens + ((now - this.updatedAt) / 1000) * this.spec.perSecond);
    this.updatedAt = now;
    const allowed = this.tokens >= 1;
    if (allowed) this.tokens -= 1;
    const missing = Math.max(0, 1 - this.tokens);
    return {
      allowed,
      limit: this.spec.burst,
      remaining: Math.floor(this.tokens),
      reset: Math.ceil((now + (missing / this.spec.perSecond) * 1000) / 1000),
    };
  }
}
