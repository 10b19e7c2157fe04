import { describe, expect, it } from 'vitest';
import { Diagnoser } from '../../src/diagnose/findings.js';
import { csvTable, formatTally, humanReport, nextCommand, toJson, type Styles } from '../../src/diagnose/report.js';
import type { ReadStats } from '../../src/logs/reader.js';
import type { InputStats } from '../../src/logs/stats.js';
import { event } from '../helpers/events.js';

const plain: Styles = { bold: (s) => s, dim: (s) => s, cyan: (s) => s, green: (s) => s };
const marked: Styles = { bold: (s) => `*${s}*`, dim: (s) => s, cyan: (s) => `_${s}_`, green: (s) => `+${s}+` };

function input(over: Partial<InputStats>): InputStats {
  return { name: 'a.jsonl', format: 'log-stream', gzip: false, bytes: 10, records: 1, malformed: 0, events: 1, rejected: null, unreadable: false, otherFormats: [], ...over };
}
function stats(inputs: InputStats[]): ReadStats {
  const sum = (k: 'records' | 'malformed' | 'events' | 'bytes') => inputs.reduce((n, i) => n + i[k], 0);
  return { inputs, records: sum('records'), malformed: sum('malformed'), events: sum('events'), bytes: sum('bytes'), malformedSamples: [] };
}

function diagnosis() {
  const d = new Diagnoser();
  d.add(event({ source: { file: 'stream.jsonl', line: 3 } }));
  d.add(event({ email: 'tom@acme.com', type: 'fu', codes: ['EMAIL_EXISTS'], description: 'The specified new email already exists', source: { file: 'api.json', line: 30 } }));
  return d.result();
}

describe('diagnose report (pure presentation)', () => {
  it('--json maps each input field by name: the documented schema, in order, and nothing internal leaks', () => {
    const internal = { ...input({ name: 'b.json', format: 'management-api', records: 4 }), scratch: 'not public' } as InputStats;
    const doc = toJson(diagnosis(), stats([input({ records: 2 }), internal, input({ name: 'c.log', format: null, rejected: 'binary data, not a log' })]));
    expect(doc.stats.inputs.map((i) => Object.keys(i))).toEqual(
      Array(3).fill(['name', 'format', 'gzip', 'bytes', 'records', 'malformed', 'events', 'rejected', 'unreadable', 'otherFormats']),
    );
    expect(doc.stats.inputs[1]).not.toHaveProperty('scratch');
    expect(doc.stats.inputs[2]).toMatchObject({ name: 'c.log', format: null, rejected: 'binary data, not a log' });
    expect(doc.stats.formats).toEqual({ 'log-stream': 2, 'management-api': 4 });
    expect(doc.stats.excluded).toEqual({ undated: 0, noConnection: 0 });
    expect(doc.findings.map((f) => [f.email, f.next, f.evidence[0]?.source])).toEqual([
      ['jane@acme.com', 'unstick repair jane@acme.com --connection legacy-db', 'stream.jsonl:3'],
    ]);
    expect(doc.related.map((f) => [f.email, f.kinds])).toEqual([['tom@acme.com', ['EMAIL_CHANGE_CONFLICT']]]);
  });

  it('the per-format tally is one pass: records and malformed per format, in input order, unknown formats left out', () => {
    const tally = formatTally({ inputs: [input({ format: 'text', records: 3, malformed: 1 }), input({ records: 2 }), input({ format: 'text', records: 4 }), input({ format: null })] });
    expect([...tally]).toEqual([
      ['text', { records: 7, malformed: 1 }],
      ['log-stream', { records: 2, malformed: 0 }],
    ]);
  });

  it('CSV: the header, one row per stuck user, and only the email column verbatim', () => {
    const csv = csvTable(diagnosis().findings);
    expect(csv.header).toEqual(['email', 'kinds', 'occurrences', 'first_seen', 'last_seen', 'connections', 'next_command']);
    expect(csv.rows).toEqual([
      ['jane@acme.com', 'USER_ALREADY_EXISTS', '1', '2024-05-02T10:00:00.000Z', '2024-05-02T10:00:00.000Z', 'legacy-db', 'unstick repair jane@acme.com --connection legacy-db'],
    ]);
    expect([...csv.verbatim]).toEqual([0]);
  });

  it('human: a styled table, note bodies without their prefix, and the summary line', () => {
    const d = new Diagnoser({ connection: 'legacy-db' });
    d.add(event({ source: { file: 'stream.jsonl', line: 3 } }));
    d.add(event({ email: 'nina@acme.com', type: 'import_error', codes: ['DUPLICATED_USER'], description: 'A user with this email was already provided.', connection: null, connectionId: null }));
    const report = humanReport(d.result(), stats([input({ records: 5, malformed: 1 })]), { zone: 'Europe/Paris', style: marked });
    expect(report.table).toEqual({
      headers: ['EMAIL', 'KINDS', 'SEEN', 'LAST SEEN', 'NEXT'],
      rows: [['*jane@acme.com*', 'USER_ALREADY_EXISTS', '1', '2024-05-02 12:00:00 +02:00', '_unstick repair jane@acme.com --connection legacy-db_']],
    });
    expect(report.notes).toEqual([
      '1 marker event naming no connection left out by --connection (import errors name none: pass the job with --job so they carry its connection)',
      'these are candidates from the logs alone (Auth0 logs "already exists" for healthy users too): `unstick repair` checks the tenant before anything changes, and `diagnose --confirm` checks them all now',
    ]);
    expect(report.summary).toBe('*1 stuck user*; read 5 records from 1 input (log-stream 5 + 1 malformed), 1 malformed record');
    const none = humanReport(new Diagnoser().result(), stats([]), { zone: 'UTC', style: marked });
    expect(none.table).toBeNull();
    expect(none.summary).toBe('+no stuck users found+; read 0 records from 0 inputs (none), 0 malformed records');
  });

  it('the in-file duplicate note is one text in both outputs, the location between its halves in the human one', () => {
    const d = new Diagnoser();
    d.add(event({ email: 'nina@acme.com', type: 'import_error', codes: ['DUPLICATED_USER'], description: 'A user with this email was already provided.', source: { file: 'import-errors.json', line: 82 } }));
    const result = d.result();
    expect(result.inFileDuplicates).toHaveLength(1);
    expect(toJson(result, stats([])).inFileDuplicates[0]!.note).toBe('appears more than once in one import file: not a stuck user; de-duplicate the file and import again');
    expect(humanReport(result, stats([]), { zone: 'UTC', style: plain }).notes).toEqual([
      'nina@acme.com appears more than once in one import file (import-errors.json:82): not a stuck user; de-duplicate the file and import again',
    ]);
  });

  it('nextCommand leaves out a connection that is not unique, and keeps log text from becoming flags', () => {
    expect(nextCommand({ email: 'a@x.com', connections: ['db1', 'db2'] })).toBe('unstick repair a@x.com');
    expect(nextCommand({ email: '-a@x.com', connections: ['-db'] })).toBe('unstick repair --connection=-db -- -a@x.com');
    expect(nextCommand({ email: 'a b@x.com', connections: [] })).toBe(`unstick repair 'a b@x.com'`);
  });
});

describe('a mixed input', () => {
  it('says it is mixed: in a note, and in --json', () => {
    const mixed = input({ name: '-', records: 11, otherFormats: ['cli-json'] });
    const d = new Diagnoser().result();
    expect(humanReport(d, stats([mixed]), { zone: 'UTC', style: plain }).notes).toContain('- mixes formats: log-stream, then cli-json; its 11 records are counted under log-stream');
    expect(toJson(d, stats([mixed])).stats.inputs[0]!.otherFormats).toEqual(['cli-json']);
  });
});
