import { describe, expect, it } from 'vitest';
import { Diagnoser } from '../../src/diagnose/findings.js';
import { humanReport, toJson } from '../../src/diagnose/report.js';
import type { ReadStats } from '../../src/logs/reader.js';
import { event } from '../helpers/events.js';

const stats: ReadStats = { inputs: [], records: 0, malformed: 0, events: 0, bytes: 0, malformedSamples: [] };
const plain = { bold: (s: string) => s, dim: (s: string) => s, cyan: (s: string) => s, green: (s: string) => s };
const importError = (over: Parameters<typeof event>[0] = {}) =>
  event({ type: 'import_error', codes: ['DUPLICATED_USER'], description: 'The user already exist and upsert parameter is false', connection: null, connectionId: null, time: null, jobId: 'job_AAA', source: { file: 'job_AAA-errors.json', line: 3 }, ...over });
const jobStatus = (over: Parameters<typeof event>[0] = {}) =>
  event({ type: 'import_job_failures', codes: [], description: 'Import job job_AAA completed: 1 inserted, 0 updated, 1 failed of 2', email: null, connection: 'legacy-db', connectionId: 'con_Lg7cYq2RzX4mB9tK', jobId: 'job_AAA', source: { file: 'job.json', line: 1 }, ...over });

describe('import errors joined with their job', () => {
  it('an error report takes its job\'s connection, in either order, and passes --connection', () => {
    for (const order of [[importError(), jobStatus()], [jobStatus(), importError()]]) {
      const d = new Diagnoser({ connection: 'legacy-db' });
      for (const e of order) d.add(e);
      const result = d.result();
      expect(result.findings.map((f) => [f.email, f.connections])).toEqual([['jane@acme.com', ['legacy-db']]]);
      // The errors carry no time; the job's creation time dates them.
      expect(result.findings[0]!.lastSeen?.toISO()).toBe('2024-05-02T10:00:00.000Z');
      expect(result.excluded.noConnection).toBe(0);
      expect(result.jobsWithFailures).toEqual([]); // its errors were read
    }
  });

  it('without its job the error names no connection: left out by --connection, and the note says how to join it', () => {
    const d = new Diagnoser({ connection: 'legacy-db' });
    d.add(importError());
    const result = d.result();
    expect(result.findings).toEqual([]);
    expect(result.excluded.noConnection).toBe(1);
    expect(humanReport(result, stats, { zone: 'UTC', style: plain }).notes[0]).toMatch(/pass the job with --job/);
  });

  it('a job status with failed users and no error report among the inputs: a note with the command that reads them', () => {
    const d = new Diagnoser();
    d.add(jobStatus());
    const json = toJson(d.result(), stats);
    expect(json.jobsWithFailures).toEqual([{ jobId: 'job_AAA', connection: 'legacy-db', next: 'unstick diagnose --job job_AAA', evidence: expect.objectContaining({ source: 'job.json:1' }) }]);
    expect(humanReport(d.result(), stats, { zone: 'UTC', style: plain }).notes).toContain('import job job_AAA (job.json:1) had failed users and its errors are not among the inputs: read them with `unstick diagnose --job job_AAA`');
  });
});

describe('users named without an email', () => {
  it('are reported by that name, not as anonymous markers', () => {
    const d = new Diagnoser();
    d.add(importError({ email: null, subject: 'jdoe' }));
    const result = d.result();
    expect(result.unattributed).toBe(0);
    expect(result.named).toEqual([{ subject: 'jdoe', kinds: ['DUPLICATED_USER'], occurrences: 1, evidence: [expect.objectContaining({ type: 'import_error' })] }]);
    expect(toJson(result, stats).named[0]!.subject).toBe('jdoe');
    expect(humanReport(result, stats, { zone: 'UTC', style: plain }).notes[0]).toMatch(/^jdoe: DUPLICATED_USER \(job_AAA-errors\.json:3\): the record names this user without an email/);
  });
});
