import { TenantApiError } from '../tenant/errors.js';
import type { ConnectionInfo } from '../tenant/types.js';
import { importUsers } from './bulk-import.js';
import { repairOne, type RepairHooks } from './engine.js';
import type { RepairDeps } from './execute.js';
import type { JournalEntry } from './journal.js';
import type { LegacyExport } from './legacy-export.js';
import type { TargetRow } from './targets.js';
import type { Reattempt, RepairResult, UserEvidence } from './types.js';

/**
 * Batch repair: the same engine as `repair` (observe → classify → plan → execute → reattempt) for
 * every row of a CSV, by a pool of workers sharing one paced tenant. Nothing is asked: `apply` is the
 * confirmation; without it every user is only planned (read-only lookups). Users a journal already
 * finished are skipped, so a resumed run repeats only idempotent steps.
 */
export interface BatchRequest {
  targets: AsyncIterable<TargetRow>;
  /** The input's name, for the evidence a last_seen column gives. */
  source: string;
  connection: ConnectionInfo;
  apply: boolean;
  reattempt: Reattempt;
  legacy: LegacyExport | null;
  concurrency: number;
  /** What earlier runs of this batch finished, from its journal. */
  resume: ResumeState;
  /** Repeat repairs an earlier run finished. */
  again: boolean;
}

export interface BatchRow extends RepairResult {
  line: number | null;
}

export interface ResumeState {
  /** Finished users and their journaled outcome. */
  done: Map<string, BatchRow>;
  /** Repaired users whose import had not finished. */
  awaitingImport: Map<string, BatchRow>;
}

export interface BatchEvents {
  /** A user's final outcome (emitted once per user of this run; resumed ones are in `resume`). */
  onRow(row: BatchRow): void;
  /** Rows taken from the input, counting those the journal had finished. */
  onRead?(count: number): void;
}

export async function runBatch(request: BatchRequest, deps: RepairDeps, events: BatchEvents): Promise<void> {
  const { resume, apply } = request;
  const perUser: Reattempt = request.reattempt.mode === 'import' ? { mode: 'none' } : request.reattempt;
  const importQueue = new Map<string, BatchRow>();
  const hooks: RepairHooks = {
    show: () => {},
    choose: async () => null,
    decide: async () => true,
    reattempt: async () => perUser,
  };
  const finish = (row: BatchRow) => {
    if (apply) deps.journal.write({ email: row.email, step: 'user-done', phase: 'after', detail: rowDetail(row) });
    events.onRow(row);
  };

  const iterator = request.targets[Symbol.asyncIterator]();
  let read = 0;
  let failure: unknown = null;
  const worker = async () => {
    while (failure === null) {
      const next = await iterator.next();
      if (next.done) return;
      events.onRead?.(++read);
      const target = next.value;
      if (resume.done.has(target.email)) continue;
      const waiting = resume.awaitingImport.get(target.email);
      if (waiting) {
        importQueue.set(target.email, waiting);
        continue;
      }
      let row: BatchRow;
      try {
        const result = await repairOne(
          { email: target.email, connection: request.connection, evidence: csvEvidence(target, request.source), force: false, dryRun: !apply, legacy: request.legacy, again: request.again },
          deps,
          hooks,
        );
        row = { ...result, line: target.line };
      } catch (err) {
        // An answer about this user fails this user; anything that would fail every user ends the run.
        if (!(err instanceof TenantApiError)) {
          failure ??= err;
          return;
        }
        row = { ...failedRow(target.email, err.message), line: target.line };
      }
      if (apply && request.reattempt.mode === 'import' && row.outcome === 'repaired') {
        deps.journal.write({ email: row.email, step: 'import-pending', phase: 'after', detail: rowDetail(row) });
        importQueue.set(row.email, row);
      } else finish(row);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, request.concurrency) }, worker));
  if (failure !== null) throw failure;

  if (importQueue.size > 0 && request.legacy) {
    await importUsers([...importQueue.keys()], request.legacy, request.connection, deps, (o) => {
      const row = importQueue.get(o.email)!;
      row.steps = [...row.steps, { step: 'reattempt import', status: o.ok ? 'done' : 'failed', detail: o.detail }];
      if (o.jobId) row.job = { id: o.jobId, status: o.ok ? 'completed' : 'failed' };
      if (!o.ok) {
        row.outcome = 'failed';
        row.error = `repaired, but the reattempt failed: ${o.detail}`;
      }
      finish(row);
    });
  }
}

/** A last_seen column dates the evidence, as `diagnose --csv` writes it. */
function csvEvidence(target: TargetRow, source: string): UserEvidence | null {
  if (!target.lastSeen) return null;
  return {
    latest: target.lastSeen,
    kinds: ['last_seen in the input'],
    occurrences: 1,
    items: [{ where: `${source}:${target.line}`, time: target.lastSeen, type: 'csv', description: 'last_seen' }],
    userIds: [],
  };
}

function failedRow(email: string, error: string): RepairResult {
  return { email, outcome: 'failed', classification: null, reason: error, steps: [], backup: null, ticket: null, job: null, message: null, error };
}

function rowDetail(row: BatchRow): Record<string, unknown> {
  return { outcome: row.outcome, classification: row.classification, reason: row.reason, steps: row.steps.map((s) => `${s.step}:${s.status}`), backup: row.backup, error: row.error, line: row.line };
}

/** What a batch journal says was finished (for --resume). */
export function resumeState(entries: Map<string, JournalEntry[]>): ResumeState {
  const done = new Map<string, BatchRow>();
  const awaitingImport = new Map<string, BatchRow>();
  for (const [email, list] of entries) {
    const last = (step: string) => list.filter((e) => e.step === step && e.phase === 'after').at(-1);
    const finished = last('user-done');
    const pending = last('import-pending');
    if (finished) done.set(email, fromDetail(email, finished));
    else if (pending) awaitingImport.set(email, fromDetail(email, pending));
  }
  return { done, awaitingImport };
}

function fromDetail(email: string, entry: JournalEntry): BatchRow {
  const d = (entry.detail ?? {}) as Record<string, unknown>;
  const steps = Array.isArray(d.steps) ? (d.steps as string[]) : [];
  return {
    email,
    line: typeof d.line === 'number' ? d.line : null,
    outcome: (d.outcome as RepairResult['outcome']) ?? 'failed',
    classification: (d.classification as RepairResult['classification']) ?? null,
    reason: String(d.reason ?? ''),
    steps: steps.map((s) => {
      const i = s.lastIndexOf(':');
      return { step: s.slice(0, i), status: s.slice(i + 1) as 'done' };
    }),
    backup: typeof d.backup === 'string' ? d.backup : null,
    ticket: null,
    job: null,
    message: null,
    error: typeof d.error === 'string' ? d.error : null,
  };
}
