/**
 * Fault injection, per route: a probability or an exact sequence of outcomes, added latency, and
 * dropped connections. Set in a scenario (`faults`) or at run time with POST /__sandbox/faults.
 */
export type FaultAction = 'ok' | 'drop' | number; // a number is an HTTP status (5xx, 429)

export interface FaultSpec {
  /** "METHOD /path/pattern"; `*` matches one path segment, a trailing `**` the rest; METHOD may be `*`. */
  route: string;
  /** Each matching request takes the next action; after the last one, requests pass ("ok"). */
  sequence?: FaultAction[];
  /** Otherwise: with this probability (0..1) answer `status` (default 503). */
  probability?: number;
  status?: number;
  /** Extra delay before answering (applies to every matching request). */
  latencyMs?: number;
  /** Stop after this many injected faults. */
  times?: number;
  /**
   * Strike after the request was handled: whatever it changes in the tenant is changed (and logged),
   * then the client gets the fault (a status, or "drop") instead of the answer. Default: before.
   */
  after?: boolean;
}

export class FaultSpecError extends Error {}

const FAULT_KEYS = ['route', 'sequence', 'probability', 'status', 'latencyMs', 'times', 'after'];

/** Validates faults from JSON; messages name the offending path (`faults[1].status`). */
export function parseFaults(value: unknown, path = 'faults'): FaultSpec[] {
  if (!Array.isArray(value)) throw new FaultSpecError(`${path} must be an array`);
  return value.map((item, i) => parseFault(item, `${path}[${i}]`));
}

function parseFault(value: unknown, path: string): FaultSpec {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new FaultSpecError(`${path} must be an object`);
  const v = value as Record<string, unknown>;
  for (const key of Object.keys(v)) {
    if (!FAULT_KEYS.includes(key)) {
      throw new FaultSpecError(`${path}.${key} is not a fault setting (${FAULT_KEYS.join(', ')})`);
    }
  }
  if (typeof v.route !== 'string' || !/^(\*|GET|POST|PATCH|PUT|DELETE) \/\S*$/.test(v.route)) {
    throw new FaultSpecError(`${path}.route must look like "DELETE /api/v2/users/*"`);
  }
  const spec: FaultSpec = { route: v.route };
  if (v.sequence !== undefined) {
    if (!Array.isArray(v.sequence) || v.sequence.length === 0) throw new FaultSpecError(`${path}.sequence must be a non-empty array`);
    spec.sequence = v.sequence.map((a, i) => {
      if (a === 'ok' || a === 'drop') return a;
      if (typeof a === 'number' && Number.isInteger(a) && a >= 400 && a <= 599) return a;
      throw new FaultSpecError(`${path}.sequence[${i}] must be "ok", "drop" or an HTTP status 400-599`);
    });
  }
  if (v.probability !== undefined) {
    if (typeof v.probability !== 'number' || v.probability < 0 || v.probability > 1) throw new FaultSpecError(`${path}.probability must be between 0 and 1`);
    spec.probability = v.probability;
  }
  if (v.status !== undefined) {
    if (typeof v.status !== 'number' || !Number.isInteger(v.status) || v.status < 400 || v.status > 599) throw new FaultSpecError(`${path}.status must be an HTTP status 400-599`);
    spec.status = v.status;
  }
  if (v.latencyMs !== undefined) {
    if (typeof v.latencyMs !== 'number' || v.latencyMs < 0 || v.latencyMs > 60_000) throw new FaultSpecError(`${path}.latencyMs must be 0-60000`);
    spec.latencyMs = v.latencyMs;
  }
  if (v.times !== undefined) {
    if (typeof v.times !== 'number' || !Number.isInteger(v.times) || v.times < 1) throw new FaultSpecError(`${path}.times must be a positive integer`);
    spec.times = v.times;
  }
  if (spec.sequence === undefined && spec.probability === undefined && spec.latencyMs === undefined) {
    throw new FaultSpecError(`${path} needs a sequence, a probability or a latencyMs`);
  }
  if (v.after !== undefined) {
    if (typeof v.after !== 'boolean') throw new FaultSpecError(`${path}.after must be true or false`);
    if (v.after && spec.sequence === undefined && spec.probability === undefined) {
      throw new FaultSpecError(`${path}.after needs a sequence or a probability to strike with (latencyMs is always added before the handler)`);
    }
    if (v.after) spec.after = true;
  }
  return spec;
}

export interface FaultDecision {
  latencyMs: number;
  action: FaultAction;
  /** The action strikes after the handler ran (the spec's `after`). */
  after: boolean;
}

/** Decides, per request, what the injected faults do. State (sequence positions, counts) lives here. */
export class FaultInjector {
  private readonly state: Array<{ spec: FaultSpec; matcher: RegExp; next: number; injected: number }>;

  constructor(
    specs: FaultSpec[],
    private readonly random: () => number = Math.random,
  ) {
    this.state = specs.map((spec) => ({ spec, matcher: routeMatcher(spec.route), next: 0, injected: 0 }));
  }

  decide(method: string, path: string): FaultDecision {
    let latencyMs = 0;
    let action: FaultAction = 'ok';
    let after = false;
    const key = `${method} ${path}`;
    for (const s of this.state) {
      if (!s.matcher.test(key)) continue;
      latencyMs += s.spec.latencyMs ?? 0;
      if (action !== 'ok' || (s.spec.times !== undefined && s.injected >= s.spec.times)) continue;
      let a: FaultAction = 'ok';
      if (s.spec.sequence) a = s.spec.sequence[s.next++] ?? 'ok';
      else if (s.spec.probability !== undefined && this.random() < s.spec.probability) a = s.spec.status ?? 503;
      if (a !== 'ok') {
        s.injected++;
        action = a;
        after = s.spec.after === true;
      }
    }
    return { latencyMs, action, after };
  }
}

/** A route pattern (`"METHOD /path"`) as a regular expression over `"METHOD /path"` keys. */
export function routeMatcher(route: string): RegExp {
  const [method, pattern] = route.split(' ') as [string, string];
  const escaped = pattern
    .split('/')
    .map((seg) => (seg === '**' ? '.*' : seg === '*' ? '[^/]+' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${method === '*' ? '[A-Z]+' : method} ${escaped}$`);
}
