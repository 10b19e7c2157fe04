import type { DateTime } from 'luxon';
import type { LogEvent, SourceRef } from '../logs/types.js';
import { classify, FINDING_KINDS, PRIMARY_KINDS, type FindingKind } from './rules.js';

export interface Evidence {
  source: SourceRef;
  time: DateTime | null;
  type: string;
  description: string;
}

/** One user: a stuck user when `kinds` has a primary kind, else a related conflict worth a look. */
export interface Finding {
  email: string;
  kinds: FindingKind[];
  occurrences: number;
  firstSeen: DateTime | null;
  lastSeen: DateTime | null;
  connections: string[];
  evidence: Evidence[];
  /** Database user_ids the events name (an import error's user): candidates for a ghost's id. */
  userIds: string[];
}

/** An email whose only DUPLICATED_USER errors came from appearing twice in one import file. */
export interface InFileDuplicate {
  email: string;
  occurrences: number;
  evidence: Evidence[];
}

export interface Diagnosis {
  /** Stuck users: at least one DUPLICATED_USER or USER_ALREADY_EXISTS. */
  findings: Finding[];
  /** Users with only supporting kinds (an import or email-change conflict): not a stuck migration. */
  related: Finding[];
  inFileDuplicates: InFileDuplicate[];
  /** Import jobs that failed as a whole. */
  jobFailures: Evidence[];
  /** Users the records name without an email (an import error's username or user_id), by that name. */
  named: Array<{ subject: string; kinds: FindingKind[]; occurrences: number; evidence: Evidence[] }>;
  /** Import jobs whose status says users failed, with no error report among the inputs: read it with --job. */
  jobsWithFailures: Array<{ jobId: string; connection: string | null; evidence: Evidence }>;
  /** Events that carried a marker but no email to attribute it to. */
  unattributed: number;
  unattributedEvidence: Evidence[];
  /** Marker events a filter could not place: no time under --since/--until, no connection under --connection. */
  excluded: { undated: number; noConnection: number };
}

export interface EventFilter {
  since?: DateTime | null;
  until?: DateTime | null;
  /** Connection name or id. */
  connection?: string | null;
}

const EVIDENCE_PER_USER = 5;

interface Acc {
  kinds: Set<FindingKind>;
  occurrences: number;
  first: DateTime | null;
  last: DateTime | null;
  /** Their epoch milliseconds, compared once per event. */
  firstMs: number;
  lastMs: number;
  connections: Set<string>;
  evidence: Evidence[];
  userIds: Set<string>;
  inFile: number;
  inFileEvidence: Evidence[];
}

/** Collects events into one finding per user. Feed it with `add`, read it with `result`. */
export class Diagnoser {
  private readonly users = new Map<string, Acc>();
  private readonly named = new Map<string, { kinds: Set<FindingKind>; occurrences: number; evidence: Evidence[] }>();
  /** What each import job's records say of its connection (a status object, the sapi log that created it). */
  private readonly jobConnections = new Map<string, { connection: string | null; connectionId: string | null }>();
  /** When each import job was created (its status object's time): the time of its errors, which have none. */
  private readonly jobTimes = new Map<string, DateTime>();
  private readonly jobFailureStatus = new Map<string, { connection: string | null; evidence: Evidence }>();
  /** Jobs whose per-user errors were among the inputs. */
  private readonly jobsWithErrors = new Set<string>();
  /** Events waiting for their job's connection (under --connection), or for attaching it. */
  private readonly deferred: LogEvent[] = [];
  private unattributed = 0;
  private readonly unattributedEvidence: Evidence[] = [];
  private readonly jobFailures: Evidence[] = [];
  private readonly excluded = { undated: 0, noConnection: 0 };
  private readonly filterConnection: string | null;

  constructor(private readonly filter: EventFilter = {}) {
    this.filterConnection = filter.connection?.toLowerCase() ?? null;
  }

  add(event: LogEvent): void {
    if (event.jobId) {
      const connection = event.connection ?? event.connectionId;
      if (connection && !this.jobConnections.has(event.jobId)) this.jobConnections.set(event.jobId, { connection: event.connection, connectionId: event.connectionId });
      if (event.time && event.type.startsWith('import_job') && !this.jobTimes.has(event.jobId)) this.jobTimes.set(event.jobId, event.time);
      if (event.type === 'import_job_failures') this.jobFailureStatus.set(event.jobId, { connection: connection ?? null, evidence: toEvidence(event) });
      if (event.type === 'import_error') this.jobsWithErrors.add(event.jobId);
      // An error report names no connection; its job does. Joined once every input is read.
      if (((!event.connection && !event.connectionId) || !event.time) && event.type === 'import_error' && classify(event)) {
        this.deferred.push(event);
        return;
      }
    }
    this.addJoined(event);
  }

  private addJoined(event: LogEvent): void {
    const verdict = classify(event);
    if (!verdict || !this.passes(event)) return;
    // Made only where it is kept (the first few of each user): most events of a busy user are only counted.
    const evidence = () => toEvidence(event);
    if ('jobFailed' in verdict) {
      if (this.jobFailures.length < EVIDENCE_PER_USER) this.jobFailures.push(evidence());
      return;
    }
    if (!event.email && event.subject && 'kind' in verdict) {
      const n = this.named.get(event.subject) ?? { kinds: new Set<FindingKind>(), occurrences: 0, evidence: [] };
      n.kinds.add(verdict.kind);
      n.occurrences++;
      if (n.evidence.length < EVIDENCE_PER_USER) n.evidence.push(evidence());
      this.named.set(event.subject, n);
      return;
    }
    if (!event.email) {
      this.unattributed++;
      if (this.unattributedEvidence.length < EVIDENCE_PER_USER) this.unattributedEvidence.push(evidence());
      return;
    }
    const acc = this.accFor(event.email);
    if ('inFileDuplicate' in verdict) {
      acc.inFile++;
      if (acc.inFileEvidence.length < EVIDENCE_PER_USER) acc.inFileEvidence.push(evidence());
      return;
    }
    acc.kinds.add(verdict.kind);
    acc.occurrences++;
    if (event.time) {
      const ms = event.time.toMillis();
      if (acc.first === null || ms < acc.firstMs) {
        acc.first = event.time;
        acc.firstMs = ms;
      }
      if (acc.last === null || ms > acc.lastMs) {
        acc.last = event.time;
        acc.lastMs = ms;
      }
    }
    const connection = event.connection ?? event.connectionId;
    if (connection) acc.connections.add(connection);
    const userId = databaseUserId(event);
    if (userId && acc.userIds.size < EVIDENCE_PER_USER) acc.userIds.add(userId);
    if (acc.evidence.length < EVIDENCE_PER_USER) acc.evidence.push(evidence());
  }

  result(): Diagnosis {
    for (const event of this.deferred.splice(0)) {
      const job = event.connection || event.connectionId ? null : this.jobConnections.get(event.jobId!);
      const time = event.time ?? this.jobTimes.get(event.jobId!) ?? null;
      this.addJoined({ ...event, time, ...(job ?? {}) });
    }
    const findings: Finding[] = [];
    const related: Finding[] = [];
    const inFileDuplicates: InFileDuplicate[] = [];
    for (const [email, acc] of this.users) {
      if (acc.occurrences > 0) {
        const finding: Finding = {
          email,
          kinds: FINDING_KINDS.filter((k) => acc.kinds.has(k)),
          occurrences: acc.occurrences,
          firstSeen: acc.first,
          lastSeen: acc.last,
          connections: [...acc.connections].sort(),
          evidence: acc.evidence,
          userIds: [...acc.userIds],
        };
        (finding.kinds.some((k) => PRIMARY_KINDS.has(k)) ? findings : related).push(finding);
      }
      if (acc.inFile > 0) inFileDuplicates.push({ email, occurrences: acc.inFile, evidence: acc.inFileEvidence });
    }
    findings.sort(byRecency);
    related.sort(byRecency);
    inFileDuplicates.sort((a, b) => a.email.localeCompare(b.email));
    return {
      findings,
      related,
      named: [...this.named].map(([subject, n]) => ({ subject, kinds: FINDING_KINDS.filter((k) => n.kinds.has(k)), occurrences: n.occurrences, evidence: n.evidence })),
      jobsWithFailures: [...this.jobFailureStatus].filter(([id]) => !this.jobsWithErrors.has(id)).map(([jobId, j]) => ({ jobId, connection: j.connection, evidence: j.evidence })),
      inFileDuplicates,
      jobFailures: this.jobFailures,
      unattributed: this.unattributed,
      unattributedEvidence: this.unattributedEvidence,
      excluded: { ...this.excluded },
    };
  }

  /**
   * A filter keeps only what it can vouch for: with --since/--until an undated event (a pasted
   * console line with only a time of day, an import error) is left out, and so is an event naming
   * no connection under --connection. Both are counted, so the report can say so.
   */
  private passes(event: LogEvent): boolean {
    const { since, until } = this.filter;
    if (since || until) {
      if (!event.time) {
        this.excluded.undated++;
        return false;
      }
      if ((since && event.time < since) || (until && event.time > until)) return false;
    }
    if (this.filterConnection) {
      if (!event.connection && !event.connectionId) {
        this.excluded.noConnection++;
        return false;
      }
      const names = [event.connection, event.connectionId].map((c) => c?.toLowerCase());
      if (!names.includes(this.filterConnection)) return false;
    }
    return true;
  }

  private accFor(email: string): Acc {
    let acc = this.users.get(email);
    if (!acc) {
      acc = {
        kinds: new Set(),
        occurrences: 0,
        first: null,
        last: null,
        firstMs: 0,
        lastMs: 0,
        connections: new Set(),
        evidence: [],
        userIds: new Set(),
        inFile: 0,
        inFileEvidence: [],
      };
      this.users.set(email, acc);
    }
    return acc;
  }
}

/** An import file names users without a provider; Auth0 gives imported database users `auth0|` + that id. */
function databaseUserId(event: LogEvent): string | null {
  const id = event.userId;
  if (!id) return null;
  if (id.includes('|')) return id.startsWith('auth0|') ? id : null;
  return event.type === 'import_error' ? `auth0|${id}` : null;
}

function toEvidence(event: LogEvent): Evidence {
  const description = event.description.length > 200 ? `${event.description.slice(0, 199)}…` : event.description;
  return { source: event.source, time: event.time, type: event.type, description };
}

/** Most recent first; undated findings last; ties by email so output is stable. */
function byRecency(a: Finding, b: Finding): number {
  const ta = a.lastSeen?.toMillis() ?? -Infinity;
  const tb = b.lastSeen?.toMillis() ?? -Infinity;
  if (ta !== tb) return tb - ta;
  return a.email.localeCompare(b.email);
}
