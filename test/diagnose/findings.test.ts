import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { Diagnoser } from '../../src/diagnose/findings.js';
import { event } from '../helpers/events.js';

const utc = (iso: string) => DateTime.fromISO(iso, { zone: 'utc' });

describe('Diagnoser', () => {
  it('makes one finding per user with kinds, occurrences, first/last seen, connections and evidence', () => {
    const d = new Diagnoser();
    d.add(event({ at: '2024-05-02T10:00:00Z', source: { file: 'a.jsonl', line: 3 } }));
    d.add(event({ at: '2024-05-01T09:00:00Z', type: 'import_error', codes: ['DUPLICATED_USER'], description: 'The user already exist and upsert parameter is false', connection: null, connectionId: null, source: { file: 'errors.json', line: 7 } }));
    d.add(event({ at: '2024-05-03T08:00:00Z', email: 'bob@acme.com' }));
    d.add(event({ type: 'fp', codes: [], description: 'Wrong email or password.', email: 'noise@acme.com' }));
    const { findings } = d.result();
    expect(findings.map((f) => f.email)).toEqual(['bob@acme.com', 'jane@acme.com']);
    const jane = findings[1]!;
    expect(jane.kinds).toEqual(['DUPLICATED_USER', 'USER_ALREADY_EXISTS']);
    expect(jane.occurrences).toBe(2);
    expect(jane.firstSeen!.toISO()).toBe('2024-05-01T09:00:00.000Z');
    expect(jane.lastSeen!.toISO()).toBe('2024-05-02T10:00:00.000Z');
    expect(jane.connections).toEqual(['legacy-db']);
    expect(jane.evidence.map((e) => `${e.source.file}:${e.source.line}`)).toEqual(['a.jsonl:3', 'errors.json:7']);
  });

  it('keeps at most five evidence lines but counts every occurrence', () => {
    const d = new Diagnoser();
    for (let i = 1; i <= 9; i++) d.add(event({ source: { file: 'a', line: i } }));
    const [f] = d.result().findings;
    expect(f!.occurrences).toBe(9);
    expect(f!.evidence).toHaveLength(5);
  });

  it('reports in-file duplicates apart, and not as stuck users', () => {
    const d = new Diagnoser();
    d.add(event({ email: 'nina@acme.com', type: 'import_error', codes: ['DUPLICATED_USER'], description: 'A user with this email was already provided.' }));
    const result = d.result();
    expect(result.findings).toEqual([]);
    expect(result.inFileDuplicates.map((x) => [x.email, x.occurrences])).toEqual([['nina@acme.com', 1]]);
  });

  it('counts markers without an email as unattributed', () => {
    const d = new Diagnoser();
    d.add(event({ email: null, type: 'console', codes: ['DUPLICATED_USER'], description: 'DUPLICATED_USER' }));
    expect(d.result()).toMatchObject({ findings: [], unattributed: 1 });
  });

  it('filters by time and by connection name or id; events a filter cannot place are left out and counted', () => {
    const d = new Diagnoser({ since: utc('2024-05-02T00:00:00Z'), until: utc('2024-05-03T00:00:00Z'), connection: 'LEGACY-DB' });
    d.add(event({ email: 'old@acme.com', at: '2024-05-01T00:00:00Z' }));
    d.add(event({ email: 'late@acme.com', at: '2024-05-04T00:00:00Z' }));
    d.add(event({ email: 'in@acme.com', at: '2024-05-02T12:00:00Z' }));
    d.add(event({ email: 'undated@acme.com', time: null }));
    d.add(event({ email: 'other@acme.com', connection: 'Username-Password-Authentication', connectionId: 'con_0000000000000000' }));
    d.add(event({ email: 'unnamed@acme.com', connection: null, connectionId: null }));
    d.add(event({ email: 'noise@acme.com', time: null, type: 's', codes: [], description: 'Successful login' }));
    const result = d.result();
    expect(result.findings.map((f) => f.email)).toEqual(['in@acme.com']);
    // Noise is not counted as excluded: only marker events a filter could not place.
    expect(result.excluded).toEqual({ undated: 1, noConnection: 1 });
    const byId = new Diagnoser({ connection: 'con_AbCdEfGh12345678' });
    byId.add(event({ email: 'byid@acme.com', connection: null }));
    byId.add(event({ email: 'byname@acme.com', connectionId: null }));
    expect(byId.result().findings.map((f) => f.email)).toEqual(['byid@acme.com']);
  });

  it('separates users with only supporting kinds, and failed import jobs', () => {
    const d = new Diagnoser();
    d.add(event({ email: 'tom@acme.com', type: 'fce', codes: ['EMAIL_EXISTS'], description: 'The specified new email already exists' }));
    d.add(event({ email: 'li@acme.com', type: 'import_error', codes: ['CONFLICT_EMAIL'], description: 'x' }));
    d.add(event({ email: 'li@acme.com' }));
    d.add(event({ email: null, type: 'import_job_failed', codes: [], description: 'Job failed: invalid file' }));
    const result = d.result();
    expect(result.findings.map((f) => [f.email, f.kinds])).toEqual([['li@acme.com', ['USER_ALREADY_EXISTS', 'IMPORT_CONFLICT']]]);
    expect(result.related.map((f) => [f.email, f.kinds])).toEqual([['tom@acme.com', ['EMAIL_CHANGE_CONFLICT']]]);
    expect(result.jobFailures.map((e) => e.description)).toEqual(['Job failed: invalid file']);
    expect(result.unattributed).toBe(0);
  });
});
