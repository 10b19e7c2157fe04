import type { DateTime } from 'luxon';
import type { ReadStats } from '../logs/reader.js';
import type { Diagnosis, Evidence, Finding, InFileDuplicate } from './findings.js';

/**
 * What `diagnose` shows, as data and strings: the --json document, the --csv table, the human
 * report, and the repair command to run next. Pure: no I/O, no terminal; the CLI writes the result.
 */

// ---- the public --json document (README "Output"): every field is mapped here by name, so renaming
// an internal field cannot change the documented schema.

export interface EvidenceJson {
  source: string;
  time: string | null;
  type: string;
  description: string;
}

export interface InputJson {
  name: string;
  format: string | null;
  gzip: boolean;
  bytes: number;
  records: number;
  malformed: number;
  events: number;
  rejected: string | null;
  unreadable: boolean;
  /** Other formats among the input's records (a mixed stdin): they are counted under `format`. */
  otherFormats: string[];
}

/** What `--confirm` found in the live tenant for each candidate (the repair engine's classification). */
export type Confirmations = ReadonlyMap<string, { classification: string; reason: string }>;

export interface DiagnoseJson {
  /** Whether the findings were checked in the live tenant (`--confirm`); without it they are candidates. */
  confirmed: boolean;
  findings: Array<{
    email: string;
    kinds: string[];
    occurrences: number;
    firstSeen: string | null;
    lastSeen: string | null;
    connections: string[];
    evidence: EvidenceJson[];
    next: string;
    /** With --confirm: ghost-suspect, stuck-profile, healthy, linked, several, no-migration-source. */
    classification: string | null;
    reason: string | null;
  }>;
  related: Array<{
    email: string;
    kinds: string[];
    occurrences: number;
    lastSeen: string | null;
    connections: string[];
    note: string;
    evidence: EvidenceJson[];
  }>;
  jobFailures: EvidenceJson[];
  /** Users named without an email (an import error's username or user_id). */
  named: Array<{ subject: string; kinds: string[]; occurrences: number; evidence: EvidenceJson[] }>;
  /** Import jobs with failed users whose error report was not among the inputs, and how to read it. */
  jobsWithFailures: Array<{ jobId: string; connection: string | null; next: string; evidence: EvidenceJson }>;
  inFileDuplicates: Array<{ email: string; occurrences: number; note: string; evidence: EvidenceJson[] }>;
  /** What the output leaves out or cannot vouch for (filters, unattributed markers), one sentence each. */
  notes: string[];
  stats: {
    records: number;
    malformed: number;
    events: number;
    bytes: number;
    users: number;
    unattributed: number;
    excluded: { undated: number; noConnection: number };
    formats: Record<string, number>;
    inputs: InputJson[];
    malformedSamples: Array<{ source: string; reason: string }>;
  };
}

const RELATED_NOTE = 'an import or email-change conflict, not a stuck migration: check the legacy store for a stale or shared email';
/** The in-file-duplicate note, in two halves so the human line can put the location between them. */
const IN_FILE_DUPLICATE = { what: 'appears more than once in one import file', advice: 'not a stuck user; de-duplicate the file and import again' };

export function toJson(d: Diagnosis, stats: ReadStats, confirmations: Confirmations | null = null): DiagnoseJson {
  const formats: Record<string, number> = {};
  for (const [name, tally] of formatTally(stats)) formats[name] = tally.records;
  return {
    confirmed: confirmations !== null,
    findings: d.findings.map((f) => ({
      email: f.email,
      kinds: [...f.kinds],
      occurrences: f.occurrences,
      firstSeen: iso(f.firstSeen),
      lastSeen: iso(f.lastSeen),
      connections: [...f.connections],
      evidence: f.evidence.map(evidenceJson),
      next: nextCommand(f),
      classification: confirmations?.get(f.email)?.classification ?? null,
      reason: confirmations?.get(f.email)?.reason ?? null,
    })),
    related: d.related.map((f) => ({
      email: f.email,
      kinds: [...f.kinds],
      occurrences: f.occurrences,
      lastSeen: iso(f.lastSeen),
      connections: [...f.connections],
      note: RELATED_NOTE,
      evidence: f.evidence.map(evidenceJson),
    })),
    jobFailures: d.jobFailures.map(evidenceJson),
    named: d.named.map((n) => ({ subject: n.subject, kinds: [...n.kinds], occurrences: n.occurrences, evidence: n.evidence.map(evidenceJson) })),
    jobsWithFailures: d.jobsWithFailures.map((j) => ({ jobId: j.jobId, connection: j.connection, next: `unstick diagnose --job ${j.jobId}`, evidence: evidenceJson(j.evidence) })),
    inFileDuplicates: d.inFileDuplicates.map((x) => ({
      email: x.email,
      occurrences: x.occurrences,
      note: `${IN_FILE_DUPLICATE.what}: ${IN_FILE_DUPLICATE.advice}`,
      evidence: x.evidence.map(evidenceJson),
    })),
    notes: filterNotes(d),
    stats: {
      records: stats.records,
      malformed: stats.malformed,
      events: stats.events,
      bytes: stats.bytes,
      users: d.findings.length,
      unattributed: d.unattributed,
      excluded: { undated: d.excluded.undated, noConnection: d.excluded.noConnection },
      formats,
      inputs: stats.inputs.map((i) => ({
        name: i.name,
        format: i.format,
        gzip: i.gzip,
        bytes: i.bytes,
        records: i.records,
        malformed: i.malformed,
        events: i.events,
        rejected: i.rejected,
        unreadable: i.unreadable,
        otherFormats: [...i.otherFormats],
      })),
      malformedSamples: stats.malformedSamples.map((m) => ({ source: `${m.source.file}:${m.source.line}`, reason: m.reason })),
    },
  };
}

// ---- --csv

export interface CsvTable {
  header: string[];
  rows: string[][];
  /** Columns written verbatim, without the spreadsheet-formula guard: machine input that must round-trip. */
  verbatim: ReadonlySet<number>;
}

/**
 * Stuck users only: this is the batch-repair input, so the email column (first) is verbatim. With
 * confirmations a classification column is added and healthy users are left out (the caller notes them).
 */
export function csvTable(findings: readonly Finding[], confirmations: Confirmations | null = null): CsvTable {
  const kept = confirmations ? findings.filter((f) => confirmations.get(f.email)?.classification !== 'healthy') : findings;
  return {
    header: ['email', 'kinds', 'occurrences', 'first_seen', 'last_seen', 'connections', 'next_command', ...(confirmations ? ['classification'] : [])],
    rows: kept.map((f) => [
      f.email,
      f.kinds.join(';'),
      String(f.occurrences),
      iso(f.firstSeen) ?? '',
      iso(f.lastSeen) ?? '',
      f.connections.join(';'),
      nextCommand(f),
      ...(confirmations ? [confirmations.get(f.email)?.classification ?? 'unknown'] : []),
    ]),
    verbatim: new Set([0]),
  };
}

// ---- human output

/** The styles the human report uses. A chalk instance fits; identity functions give plain text. */
export interface Styles {
  bold(text: string): string;
  dim(text: string): string;
  cyan(text: string): string;
  green(text: string): string;
}

export interface HumanReport {
  /** The stuck users, or null when there are none; the header cells are not styled. */
  table: { headers: string[]; rows: string[][] } | null;
  /** Note bodies, each one line, without the "note:" prefix. */
  notes: string[];
  summary: string;
}

export function humanReport(d: Diagnosis, stats: ReadStats, options: { zone: string; style: Styles; confirmations?: Confirmations | null }): HumanReport {
  const { zone, style: c } = options;
  const confirmed = options.confirmations ?? null;
  const when = (t: DateTime | null) => {
    if (!t) return 'unknown';
    const z = t.setZone(zone === 'local' ? 'system' : zone);
    return z.offset === 0 ? `${z.toFormat('yyyy-LL-dd HH:mm:ss')} UTC` : z.toFormat('yyyy-LL-dd HH:mm:ss ZZ');
  };
  const table =
    d.findings.length === 0
      ? null
      : {
          headers: ['EMAIL', 'KINDS', ...(confirmed ? ['LIVE'] : []), 'SEEN', 'LAST SEEN', 'NEXT'],
          rows: d.findings.map((f) => {
            const live = confirmed?.get(f.email)?.classification ?? 'unknown';
            const next = confirmed && live === 'healthy' ? 'nothing: healthy' : nextCommand(f);
            return [c.bold(f.email), f.kinds.join(', '), ...(confirmed ? [live] : []), String(f.occurrences), when(f.lastSeen), c.cyan(next)];
          }),
        };

  const at = (e: Evidence | undefined) => (e ? ` (${e.source.file}:${e.source.line})` : '');
  const notes = [
    ...d.inFileDuplicates.map((x: InFileDuplicate) => `${x.email} ${IN_FILE_DUPLICATE.what}${at(x.evidence[0])}: ${IN_FILE_DUPLICATE.advice}`),
    ...d.related.map((f) => `${f.email}: ${f.kinds.join(', ')}${at(f.evidence[0])}: ${RELATED_NOTE}`),
    ...d.jobFailures.map((e) => `an import job failed as a whole${at(e)}: ${e.description}`),
    ...d.jobsWithFailures.map((j) => `import job ${j.jobId}${at(j.evidence)} had failed users and its errors are not among the inputs: read them with \`unstick diagnose --job ${j.jobId}\``),
    ...d.named.map((n) => `${n.subject}: ${n.kinds.join(', ')}${at(n.evidence[0])}: the record names this user without an email (a username or user_id): look them up by it`),
  ];
  for (const i of stats.inputs) {
    if (i.format && i.otherFormats.length > 0) notes.push(`${i.name} mixes formats: ${i.format}, then ${i.otherFormats.join(', ')}; its ${count(i.records, 'record')} are counted under ${i.format}`);
  }
  notes.push(...filterNotes(d));
  if (d.findings.length > 0 && !confirmed) {
    notes.push('these are candidates from the logs alone (Auth0 logs "already exists" for healthy users too): `unstick repair` checks the tenant before anything changes, and `diagnose --confirm` checks them all now');
  }
  if (confirmed) {
    for (const f of d.findings) {
      const c2 = confirmed.get(f.email);
      if (c2 && c2.classification !== 'ghost-suspect' && c2.classification !== 'stuck-profile') notes.push(`${f.email}: ${c2.classification}: ${c2.reason}`);
    }
  }

  const formats =
    [...formatTally(stats)]
      .map(([name, f]) => `${name} ${f.records.toLocaleString('en-US')}${f.malformed ? ` + ${f.malformed.toLocaleString('en-US')} malformed` : ''}`)
      .join(', ') || 'none';
  const stuck = confirmed ? d.findings.filter((f) => ['ghost-suspect', 'stuck-profile'].includes(confirmed.get(f.email)?.classification ?? '')).length : null;
  const users =
    d.findings.length === 0
      ? c.green('no stuck users found')
      : stuck === null
        ? c.bold(count(d.findings.length, 'stuck user'))
        : c.bold(`${count(d.findings.length, 'candidate')}, ${stuck} confirmed stuck`);
  const summary = `${users}; read ${count(stats.records, 'record')} from ${count(stats.inputs.length, 'input')} (${formats}), ${count(stats.malformed, 'malformed record')}`;
  return { table, notes, summary };
}

/** What filters left out and markers nobody can be blamed for: said in every output. */
export function filterNotes(d: Diagnosis): string[] {
  const notes: string[] = [];
  const where = d.unattributedEvidence.map((e) => `${e.source.file}:${e.source.line}`);
  if (d.unattributed > 0) notes.push(`${count(d.unattributed, 'marker')} without an email to attribute them to${where.length ? ` (${where.join(', ')}${d.unattributed > where.length ? ', ...' : ''})` : ''}`);
  if (d.excluded.undated > 0) notes.push(`${count(d.excluded.undated, 'undated marker event')} left out by --since/--until (pasted console lines, import errors)`);
  if (d.excluded.noConnection > 0) notes.push(`${count(d.excluded.noConnection, 'marker event')} naming no connection left out by --connection (import errors name none: pass the job with --job so they carry its connection)`);
  return notes;
}

// ---- the next command

/**
 * The command to run next for a stuck user. A value from the logs never becomes a flag: one
 * starting with "-" is written as `--connection=value`, and an email starting with "-" comes after `--`.
 */
export function nextCommand(finding: Pick<Finding, 'email' | 'connections'>): string {
  const email = shellWord(finding.email);
  const conn = finding.connections.length === 1 ? shellWord(finding.connections[0]!) : null;
  const connection = conn === null ? '' : conn.startsWith('-') ? ` --connection=${conn}` : ` --connection ${conn}`;
  return email.startsWith('-') ? `unstick repair${connection} -- ${email}` : `unstick repair ${email}${connection}`;
}

/** Quotes for a POSIX shell unless plainly safe; log text is attacker-controlled (a signup body). */
export function shellWord(value: string): string {
  const clean = value.replace(/[\u0000-\u001f\u007f]/g, '');
  return /^[A-Za-z0-9._%+@:=\/-]+$/.test(clean) ? clean : `'${clean.replace(/'/g, "'\\''")}'`;
}

// ---- shared pieces

/** Records and malformed records per detected format, in the order the inputs were read: computed once for both outputs. */
export function formatTally(stats: Pick<ReadStats, 'inputs'>): Map<string, { records: number; malformed: number }> {
  const byFormat = new Map<string, { records: number; malformed: number }>();
  for (const input of stats.inputs) {
    if (!input.format) continue;
    const f = byFormat.get(input.format) ?? { records: 0, malformed: 0 };
    f.records += input.records;
    f.malformed += input.malformed;
    byFormat.set(input.format, f);
  }
  return byFormat;
}

function iso(t: DateTime | null): string | null {
  return t ? t.toUTC().toISO() : null;
}

function evidenceJson(e: Evidence): EvidenceJson {
  return { source: `${e.source.file}:${e.source.line}`, time: iso(e.time), type: e.type, description: e.description };
}

/** "1 record", "1,234 records". (The CLI's `plural` says the same; this layer does not import the CLI.) */
function count(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}
