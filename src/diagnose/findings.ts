import type { DateTime } from 'luxon';
import type { LogEvent, SourceRef } from '../logs/types.js';
import { classify, FINDING_KINDS, type FindingKind } from './rules.js';

export interface Evidence {
  source: SourceRef;
  time: DateTime | null;
  type: string;
  description: string;
}

export interface Finding {
  email: string;
  kinds: FindingKind[];
  occurrences: number;
  firstSeen: DateTime | null;
  lastSeen: DateTime | null;
  connections: string[];
  evidence: Evidence[];
}

/** An email whose only DUPLICATED_USER errors came from appearing twice in one import file. */
export interface InFileDuplicate {
  email: string;
  occurrences: number;
  evidence: Evidence[];
}

export interface Diagnosis {
  findings: Finding[];
  inFileDuplicates: InFileDuplicate[];
  /** Events that carried a marker but no email to attribute it to. */
  unattributed: number;
  unattributedEvidence: Evidence[];
}

export interface EventFilter {
  since?: DateTime | null;
  until?: DateTime | null;
  /** Connection name or id; events that name no connection are kept. */
  connection?: string | null;
}

const EVIDENCE_PER_USER = 5;

interface Acc {
  kinds: Set<FindingKind>;
  occurrences: number;
  first: DateTime | null;
  last: DateTime | null;
  connections: Set<string>;
  evidence: Evidence[];
  inFile: number;
  inFileEvidence: Evidence[];
}

/** Collects events into one finding per user. Feed it with `add`, read it with `result`. */
export class Diagnoser {
  private readonly users = new Map<string, Acc>();
  private unattributed = 0;
  private readonly unattributedEvidence: Evidence[] = [];
  private readonly filterConnection: string | null;

  constructor(private readonly filter: EventFilter = {}) {
    this.filterConnection = filter.connection?.toLowerCase() ?? null;
  }

  add(event: LogEvent): void {
    if (!this.passes(event)) return;
    const verdict = classify(event);
    if (!verdict) return;
    const evidence = toEvidence(event);
    if (!event.email) {
      this.unattributed++;
      if (this.unattributedEvidence.length < EVIDENCE_PER_USER) this.unattributedEvidence.push(evidence);
      return;
    }
    const acc = this.accFor(event.email);
    if ('inFileDuplicate' in verdict) {
      acc.inFile++;
      if (acc.inFileEvidence.length < EVIDENCE_PER_USER) acc.inFileEvidence.push(evidence);
      return;
    }
    acc.kinds.add(verdict.kind);
    acc.occurrences++;
    if (event.time) {
      if (!acc.first || event.time < acc.first) acc.first = event.time;
      if (!acc.last || event.time > acc.last) acc.last = event.time;
    }
    const connection = event.connection ?? event.connectionId;
    if (connection) acc.connections.add(connection);
    if (acc.evidence.length < EVIDENCE_PER_USER) acc.evidence.push(evidence);
  }

  result(): Diagnosis {
    const findings: Finding[] = [];
    const inFileDuplicates: InFileDuplicate[] = [];
    for (const [email, acc] of this.users) {
      if (acc.occurrences > 0) {
        findings.push({
          email,
          kinds: FINDING_KINDS.filter((k) => acc.kinds.has(k)),
          occurrences: acc.occurrences,
          firstSeen: acc.first,
          lastSeen: acc.last,
          connections: [...acc.connections].sort(),
          evidence: acc.evidence,
        });
      }
      if (acc.inFile > 0) inFileDuplicates.push({ email, occurrences: acc.inFile, evidence: acc.inFileEvidence });
    }
    findings.sort(byRecency);
    inFileDuplicates.sort((a, b) => a.email.localeCompare(b.email));
    return { findings, inFileDuplicates, unattributed: this.unattributed, unattributedEvidence: this.unattributedEvidence };
  }

  private passes(event: LogEvent): boolean {
    const { since, until } = this.filter;
    // Undated events (a pasted console line with only a time of day) are kept: nothing says they are old.
    if (event.time && since && event.time < since) return false;
    if (event.time && until && event.time > until) return false;
    if (this.filterConnection && (event.connection || event.connectionId)) {
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
        connections: new Set(),
        evidence: [],
        inFile: 0,
        inFileEvidence: [],
      };
      this.users.set(email, acc);
    }
    return acc;
  }
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
