import { routeMatcher } from './faults.js';

/**
 * Auth0's Management API rate limits: token buckets of `burst` tokens refilled at a sustained rate.
 * A tenant-wide (global) bucket is evaluated first, then the bucket of the request's endpoint group,
 * when the spec declares groups: a request needs a token from both. Requests matching no group draw
 * from the global bucket only.
 */
export interface RateSpec {
  burst: number;
  /** Exactly one of `perSecond` and `perMinute` is set. */
  perSecond?: number;
  perMinute?: number;
}

export interface RateLimitGroupSpec extends RateSpec {
  name: string;
  /** "METHOD /api/v2/path" patterns, as fault routes: `*` one segment, a trailing `**` the rest, METHOD may be `*`. */
  routes: string[];
}

export interface RateLimitSpec extends RateSpec {
  /** A request belongs to the first group one of whose routes matches it. */
  groups?: RateLimitGroupSpec[];
}

export class RateLimitSpecError extends Error {}

const TOP_KEYS = ['burst', 'perSecond', 'perMinute', 'groups'];
const GROUP_KEYS = ['name', 'routes', 'burst', 'perSecond', 'perMinute'];
const GROUP_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
/** The catch-all route of an "all other endpoints" group. */
export const CATCH_ALL_ROUTE = '* /api/v2/**';

/** Validates a rate limit from JSON; messages start with the offending path (`rateLimit.groups[1].burst`). */
export function parseRateLimit(value: unknown, path = 'rateLimit'): RateLimitSpec {
  const v = object(value, `${path} must be an object {"burst", "perSecond" or "perMinute", "groups"?}`);
  for (const key of Object.keys(v)) if (!TOP_KEYS.includes(key)) throw new RateLimitSpecError(`${path}.${key} is not a rate limit setting (${TOP_KEYS.join(', ')})`);
  const spec: RateLimitSpec = rate(v, path);
  if (v.groups !== undefined) spec.groups = groups(v.groups, `${path}.groups`);
  return spec;
}

function groups(value: unknown, path: string): RateLimitGroupSpec[] {
  if (!Array.isArray(value)) throw new RateLimitSpecError(`${path} must be an array`);
  const names = new Map<string, string>();
  const routes = new Map<string, string>();
  let catchAll: string | undefined;
  return value.map((item, i) => {
    const at = `${path}[${i}]`;
    if (catchAll !== undefined) {
      throw new RateLimitSpecError(`${at} can never be reached: ${catchAll} has the catch-all route "${CATCH_ALL_ROUTE}" (declare it last)`);
    }
    const v = object(item, `${at} must be an object {"name", "routes", "burst", "perSecond" or "perMinute"}`);
    for (const key of Object.keys(v)) if (!GROUP_KEYS.includes(key)) throw new RateLimitSpecError(`${at}.${key} is not a rate limit group setting (${GROUP_KEYS.join(', ')})`);
    if (typeof v.name !== 'string' || !GROUP_NAME.test(v.name)) throw new RateLimitSpecError(`${at}.name must be a group name (letters, digits, "-" and "_", at most 64)`);
    if (v.name === 'global') throw new RateLimitSpecError(`${at}.name "global" is the tenant-wide bucket's name; pick another`);
    const earlier = names.get(v.name);
    if (earlier !== undefined) throw new RateLimitSpecError(`${at}.name duplicates ${earlier}.name ("${v.name}")`);
    names.set(v.name, at);
    if (!Array.isArray(v.routes) || v.routes.length === 0) throw new RateLimitSpecError(`${at}.routes must be a non-empty array of routes like "GET /api/v2/users/*"`);
    const groupRoutes = v.routes.map((route, j) => {
      const routeAt = `${at}.routes[${j}]`;
      checkRoute(route, routeAt);
      const owner = routes.get(route);
      if (owner !== undefined) throw new RateLimitSpecError(`${routeAt} "${route}" is already listed at ${owner} (a request belongs to the first group that matches)`);
      routes.set(route, routeAt);
      if (route === CATCH_ALL_ROUTE) catchAll = at;
      return route;
    });
    return { name: v.name, routes: groupRoutes, ...rate(v, at) };
  });
}

/** A route as fault routes have them, restricted to what can match a Management API request. */
function checkRoute(route: unknown, path: string): asserts route is string {
  const problem = `${path} must look like "GET /api/v2/users/*" (a method or *, then a path under /api/v2/; * is one whole segment, ** the rest, last)`;
  if (typeof route !== 'string') throw new RateLimitSpecError(problem);
  const match = /^(\*|GET|POST|PATCH|PUT|DELETE) (\/api\/v2\/\S*)$/.exec(route);
  if (!match) throw new RateLimitSpecError(problem);
  const segments = match[2]!.split('/').slice(1);
  segments.forEach((segment, i) => {
    if (segment === '' || (segment.includes('*') && segment !== '*' && segment !== '**') || (segment === '**' && i !== segments.length - 1)) {
      throw new RateLimitSpecError(problem);
    }
  });
}

function object(value: unknown, message: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new RateLimitSpecError(message);
  return value as Record<string, unknown>;
}

function rate(v: Record<string, unknown>, path: string): RateSpec {
  if (typeof v.burst !== 'number' || !Number.isInteger(v.burst) || v.burst < 1) throw new RateLimitSpecError(`${path}.burst must be a positive integer`);
  if (v.perSecond !== undefined && v.perMinute !== undefined) throw new RateLimitSpecError(`${path} has both perSecond and perMinute (give one)`);
  if (v.perSecond === undefined && v.perMinute === undefined) throw new RateLimitSpecError(`${path} needs perSecond or perMinute (the sustained rate)`);
  if (v.perSecond !== undefined) {
    if (typeof v.perSecond !== 'number' || !(v.perSecond > 0) || !Number.isFinite(v.perSecond)) throw new RateLimitSpecError(`${path}.perSecond must be a positive number`);
    return { burst: v.burst, perSecond: v.perSecond };
  }
  if (typeof v.perMinute !== 'number' || !(v.perMinute > 0) || !Number.isFinite(v.perMinute)) throw new RateLimitSpecError(`${path}.perMinute must be a positive number`);
  return { burst: v.burst, perMinute: v.perMinute };
}

// ---------------------------------------------------------------------------------------------- buckets

export interface RateLimitVerdict {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Epoch seconds when the next token arrives (Auth0's x-ratelimit-reset). */
  reset: number;
}

/** One bucket: `burst` tokens, refilled continuously at the spec's rate (per minute: perMinute / 60 per second). */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;
  private readonly perSecond: number;

  constructor(
    private readonly spec: RateSpec,
    private readonly now: () => number = Date.now,
  ) {
    this.perSecond = spec.perSecond ?? spec.perMinute! / 60;
    this.tokens = spec.burst;
    this.updatedAt = now();
  }

  /** Takes a token if there is one. */
  take(): RateLimitVerdict {
    const now = this.now();
    const allowed = this.has(now);
    if (allowed) this.consume();
    return this.verdict(now, allowed);
  }

  /** Refills up to `now`, and tells whether a token is there. */
  has(now: number): boolean {
    this.tokens = Math.min(this.spec.burst, this.tokens + ((now - this.updatedAt) / 1000) * this.perSecond);
    this.updatedAt = now;
    return this.tokens >= 1;
  }

  /** Takes the token `has` found. */
  consume(): void {
    this.tokens -= 1;
  }

  /** The headers' view of the bucket as of the last refill. */
  verdict(now: number, allowed: boolean): RateLimitVerdict {
    const missing = Math.max(0, 1 - this.tokens);
    return {
      allowed,
      limit: this.spec.burst,
      remaining: Math.floor(this.tokens),
      reset: Math.ceil((now + (missing / this.perSecond) * 1000) / 1000),
    };
  }
}

/** Which limit refused a request: what the 429 body and the api_limit log say. */
export interface RateLimitRefusal {
  bucket: string;
  global: boolean;
  size: number;
  message: string;
}

export interface RateLimitDecision {
  allowed: boolean;
  /** What the x-ratelimit-* headers describe: the refusing bucket, else the one closer to empty (a tie: the group). */
  headers: RateLimitVerdict;
  refusal?: RateLimitRefusal;
}

export interface BucketStats extends RateSpec {
  name: string;
  global: boolean;
  routes?: string[];
  /** Whole tokens left now, and when the next one arrives (epoch seconds), as the headers would say. */
  remaining: number;
  reset: number;
  /** Requests that drew on this bucket (for a group: the requests it matched). */
  requests: number;
  /** Tokens taken: requests let through. */
  taken: number;
  /** 429s answered because this bucket was empty. */
  limited: number;
}

export interface RateLimitStats {
  rateLimit: RateLimitSpec;
  /** When these buckets were made (the scenario loaded, or the rate limit set): the counters start there. */
  since: string;
  requests: number;
  limited: number;
  /** Requests that matched no group (only the global bucket applied). */
  ungrouped: number;
  buckets: BucketStats[];
}

interface LiveBucket {
  name: string;
  global: boolean;
  spec: RateSpec;
  routes?: string[];
  matchers: RegExp[];
  bucket: TokenBucket;
  requests: number;
  taken: number;
  limited: number;
}

export const GLOBAL_LIMIT_MESSAGE = 'Global limit has been reached';

/** Auth0's 429 message for an endpoint group ("Global per second users_write group limit has been reached"). */
export function groupLimitMessage(group: RateLimitGroupSpec): string {
  return `Global per ${group.perSecond !== undefined ? 'second' : 'minute'} ${group.name} group limit has been reached`;
}

/** The tenant's rate limiter: the global bucket, then the request's group bucket; counters for benchmarks. */
export class RateLimiter {
  private readonly global: LiveBucket;
  private readonly groups: LiveBucket[];
  private readonly messages = new Map<string, string>();
  private readonly since: number;
  private ungrouped = 0;

  constructor(
    readonly spec: RateLimitSpec,
    private readonly now: () => number = Date.now,
  ) {
    const live = (name: string, global: boolean, s: RateSpec, routes?: string[]): LiveBucket => ({
      name,
      global,
      spec: s.perSecond !== undefined ? { burst: s.burst, perSecond: s.perSecond } : { burst: s.burst, perMinute: s.perMinute! },
      ...(routes ? { routes } : {}),
      matchers: (routes ?? []).map(routeMatcher),
      bucket: new TokenBucket(s, now),
      requests: 0,
      taken: 0,
      limited: 0,
    });
    this.global = live('global', true, spec);
    this.groups = (spec.groups ?? []).map((g) => {
      this.messages.set(g.name, groupLimitMessage(g));
      return live(g.name, false, g, g.routes);
    });
    this.since = now();
  }

  /** Takes a token from the global bucket and from the request's group bucket, or from neither. */
  take(method: string, path: string): RateLimitDecision {
    const now = this.now();
    const key = `${method} ${path}`;
    const group = this.groups.find((g) => g.matchers.some((m) => m.test(key)));
    const global = this.global;
    global.requests++;
    if (group) group.requests++;
    else this.ungrouped++;
    // Both buckets are refilled before either is judged; the global limit is evaluated first.
    const globalHas = global.bucket.has(now);
    const groupHas = group ? group.bucket.has(now) : true;
    if (!globalHas) return this.refuse(global, now);
    if (!groupHas) return this.refuse(group!, now);
    global.bucket.consume();
    global.taken++;
    const globalView = global.bucket.verdict(now, true);
    if (!group) return { allowed: true, headers: globalView };
    group.bucket.consume();
    group.taken++;
    const groupView = group.bucket.verdict(now, true);
    return { allowed: true, headers: groupView.remaining <= globalView.remaining ? groupView : globalView };
  }

  private refuse(live: LiveBucket, now: number): RateLimitDecision {
    live.limited++;
    return {
      allowed: false,
      headers: live.bucket.verdict(now, false),
      refusal: { bucket: live.name, global: live.global, size: live.spec.burst, message: live.global ? GLOBAL_LIMIT_MESSAGE : this.messages.get(live.name)! },
    };
  }

  stats(): RateLimitStats {
    const now = this.now();
    const all = [this.global, ...this.groups];
    return {
      rateLimit: this.spec,
      since: new Date(this.since).toISOString(),
      requests: this.global.requests,
      limited: all.reduce((n, b) => n + b.limited, 0),
      ungrouped: this.ungrouped,
      buckets: all.map((b) => {
        b.bucket.has(now);
        const view = b.bucket.verdict(now, true);
        return {
          name: b.name,
          global: b.global,
          ...b.spec,
          ...(b.routes ? { routes: b.routes } : {}),
          remaining: view.remaining,
          reset: view.reset,
          requests: b.requests,
          taken: b.taken,
          limited: b.limited,
        };
      }),
    };
  }
}
