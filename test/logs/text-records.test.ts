/**
 * Records inside text: JSON objects found by the scanner in a text input, auth0-cli YAML blocks,
 * and JSON embedded in strings. The forms themselves are in forms.test.ts; these are the edges.
 */
import { describe, expect, it } from 'vitest';
import { continuesYamlBlock, yamlLogRecord } from '../../src/logs/cli-yaml.js';
import { jsonObjectsIn } from '../../src/logs/embedded.js';
import { TextLineReader } from '../../src/logs/text-reader.js';
import type { LogEvent } from '../../src/logs/types.js';

function readText(text: string, options: { structured?: boolean; chunk?: number; max?: number } = {}) {
  const events: LogEvent[] = [];
  const reader = new TextLineReader('paste.txt', (e) => events.push(e), options.max ?? 4 * 1024 * 1024, options.structured ?? true);
  const buf = Buffer.from(text);
  const size = options.chunk ?? buf.length;
  for (let at = 0; at < buf.length; at += size) reader.push(buf.subarray(at, at + size));
  reader.end();
  const { records, malformed } = reader.summary();
  return { events, records, malformed };
}

const rec = (email: string, extra: Record<string, unknown> = {}) => ({
  date: '2024-05-02T10:00:00.000Z',
  type: 'fs',
  description: 'The user already exists.',
  connection: 'legacy-db',
  user_name: email,
  log_id: `900${email.length}`,
  ...extra,
});
const pretty = (v: unknown, indent = 2) => JSON.stringify(v, null, indent);
const brief = (events: LogEvent[]) => events.map((e) => [e.source.line, e.email, e.format]);

describe('JSON records in text', () => {
  it('reads a record after prose on the same line, and one starting a line', () => {
    const text = [`Customer pasted this: ${JSON.stringify(rec('a@acme.com'))}`, 'then this one:', pretty(rec('b@acme.com'))].join('\n');
    const { events, records } = readText(text);
    expect(brief(events)).toEqual([
      [1, 'a@acme.com', 'cli-json'],
      [3, 'b@acme.com', 'cli-json'],
    ]);
    expect(records).toBe(3);
  });

  it('gives the same events however the text is chunked, CRLF included', () => {
    const text = ['Hi,', pretty(rec('a@acme.com')), 'and', pretty([rec('b@acme.com'), rec('c@acme.com')]), 'thanks'].join('\r\n');
    const whole = readText(text);
    expect(brief(whole.events)).toEqual([
      [2, 'a@acme.com', 'cli-json'],
      [12, 'b@acme.com', 'management-api'],
      [20, 'c@acme.com', 'management-api'],
    ]);
    for (const chunk of [1, 7, 64]) expect(brief(readText(text, { chunk }).events)).toEqual(brief(whole.events));
  });

  it('reads every record of a one-line array, and records that start where another ends', () => {
    const oneLine = `results: ${JSON.stringify([rec('a@acme.com'), rec('b@acme.com')])}`;
    expect(brief(readText(oneLine).events)).toEqual([
      [1, 'a@acme.com', 'management-api'],
      [1, 'b@acme.com', 'management-api'],
    ]);
    const joined = `${pretty(rec('a@acme.com'))}, ${pretty(rec('b@acme.com'))}`;
    expect(brief(readText(joined).events)).toEqual([
      [1, 'a@acme.com', 'cli-json'],
      [8, 'b@acme.com', 'management-api'], // after "}," it is an array element
    ]);
  });

  it('a brace in prose, code or an unclosed object leaves the lines as text', () => {
    const text = [
      'if (user) { return callback(new ValidationError("user_exists", "The user already exists.")); }',
      'error {code} for x@acme.com: DUPLICATED_USER',
      'function getByEmail(email, callback) {',
      '  // DUPLICATED_USER y@acme.com',
      '}',
    ].join('\n');
    const { events, records } = readText(text);
    expect(events.map((e) => [e.source.line, e.email, e.format, e.codes])).toEqual([
      [1, null, 'text', ['USER_EXISTS']],
      [2, 'x@acme.com', 'text', ['DUPLICATED_USER']],
      [4, 'y@acme.com', 'text', ['DUPLICATED_USER']],
    ]);
    expect(records).toBe(5);
  });

  it('a truncated record is text, and the record that follows it is still read', () => {
    const cut = pretty(rec('cut@acme.com')).split('\n').slice(0, 4).join('\n');
    const text = [cut, pretty(rec('next@acme.com'))].join('\n');
    expect(brief(readText(text).events)).toEqual([
      [4, null, 'text'], // the "description" line of the cut record
      [5, 'next@acme.com', 'cli-json'],
    ]);
  });

  it('JSON that is no Auth0 record is read as the text lines it is on', () => {
    const body = { statusCode: 409, error: 'Conflict', message: 'The user already exists.', email: 'z@acme.com' };
    const text = [`create failed: ${JSON.stringify(body)}`, pretty(body)].join('\n');
    const { events } = readText(text);
    expect(events.map((e) => [e.source.line, e.email, e.format])).toEqual([
      [1, 'z@acme.com', 'text'],
      [5, null, 'text'], // the pretty body's "message" line
    ]);
  });

  it('parses only records that may carry a marker (a pasted success yields nothing), and import job statuses', () => {
    const ok = { date: '2024-05-02T10:00:00Z', type: 's', description: 'Successful login', user_name: 'ok@acme.com', log_id: '1' };
    const job = { status: 'failed', type: 'users_import', id: 'job_Qm4TzR8wLp2VnX6c', status_details: 'Failed to parse users file JSON' };
    const { events } = readText(['Login:', pretty(ok), 'Job:', pretty(job)].join('\n'));
    expect(events.map((e) => [e.source.line, e.type, e.jobId])).toEqual([[10, 'import_job_failed', 'job_Qm4TzR8wLp2VnX6c']]);
  });

  it('a record larger than the limit is text, line by line', () => {
    const big = pretty(rec('big@acme.com', { pad: 'x'.repeat(3000) }));
    const { events } = readText(big, { max: 1024 });
    expect(events.map((e) => [e.source.line, e.email, e.format])).toEqual([[4, null, 'text']]);
  });

  it('structured: false (--format text) reads every line as text', () => {
    const { events } = readText(`seen: ${JSON.stringify(rec('a@acme.com'))}`, { structured: false });
    expect(events.map((e) => [e.email, e.format])).toEqual([['a@acme.com', 'text']]);
  });
});

describe('auth0-cli YAML blocks', () => {
  const block = [
    '\tid: "900123"',
    '\tlogid: "900123"',
    '\tdate: 2024-05-02T17:14:02.118Z',
    '\ttype: fs',
    '\tdescription: The user already exists.',
    '\tconnection: legacy-db',
    '\tconnectionid: con_Lg7cYq2RzX4mB9tK',
    '\torganizationid: null',
    '\tdetails:',
    '\t  body:',
    '\t    email: omar@acme.com',
    "\t    password: '*****'",
    '\t    note: "tab\\there \\x41"',
    '\t  prompts:',
    '\t  - connection: legacy-db',
    '\t    stats:',
    '\t      loginsCount: 4',
    '\t  - name: login',
    '\t  tags:',
    '\t  - a',
    '\t  - b',
    '\t  script: |-',
    '\t    line one',
    '\t      line two',
    '\tuserid: ""',
    "\tusername: ' Omar@acme.com'",
    '\tuseragent: Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML,',
    '\t  like Gecko) Chrome/124.0.0.0',
    '\tismobile: false',
    '\tlocationinfo: {}',
    '\x1b[0m    ',
  ];

  it('reads the yaml.v2 layout into a record with the API field names', () => {
    expect(yamlLogRecord(block)).toEqual({
      _id: '900123',
      log_id: '900123',
      date: '2024-05-02T17:14:02.118Z',
      type: 'fs',
      description: 'The user already exists.',
      connection: 'legacy-db',
      connection_id: 'con_Lg7cYq2RzX4mB9tK',
      organization_id: null,
      details: {
        body: { email: 'omar@acme.com', password: '*****', note: 'tab\there A' },
        prompts: [{ connection: 'legacy-db', stats: { loginsCount: 4 } }, { name: 'login' }],
        tags: ['a', 'b'],
        script: 'line one\n  line two',
      },
      user_id: '',
      user_name: ' Omar@acme.com',
      user_agent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0',
      isMobile: false,
      location_info: {},
    });
  });

  it('is null for what is not a log record or not this YAML', () => {
    expect(yamlLogRecord(['\tid: 1', '\tname: widget'])).toBeNull();
    expect(yamlLogRecord(['\ttype: fs', '\t  orphan: indented'])).toBeNull();
    expect(yamlLogRecord(['\ttype: "fs'])).toBeNull();
    expect(yamlLogRecord(['\ttype: fs', 'not yaml at all'])).toBeNull();
  });

  it('knows where a block ends', () => {
    expect(continuesYamlBlock('\t  body:', 1)).toBe(true);
    expect(continuesYamlBlock('\tuserid: ""', 1)).toBe(true);
    expect(continuesYamlBlock('\t- item', 1)).toBe(true);
    expect(continuesYamlBlock('    ', 1)).toBe(false);
    expect(continuesYamlBlock('Failed Signup    The user already exists.', 1)).toBe(false);
    expect(continuesYamlBlock('\tjust words here', 1)).toBe(false);
  });

  it('in text, a block that is no record (or has no marker) is read as text lines', () => {
    const text = ['type: note', '  DUPLICATED_USER for x@acme.com', 'date: tomorrow', ''].join('\n');
    expect(readText(text).events.map((e) => [e.source.line, e.email, e.format])).toEqual([[2, 'x@acme.com', 'text']]);
  });

  it('a row with an email is kept even when a YAML record follows it', () => {
    const text = ['2024-05-02T10:00:00Z DUPLICATED_USER a@acme.com', '', ...block].join('\n');
    expect(readText(text).events.map((e) => [e.source.line, e.email])).toEqual([
      [1, 'a@acme.com'],
      [3, 'omar@acme.com'],
    ]);
  });
});

describe('jsonObjectsIn', () => {
  it('finds the outermost objects that parse, skipping braces that do not', () => {
    expect(jsonObjectsIn('a {b} c {"x":{"y":"}"}} d {"z":[1,{"w":2}]} {broken')).toEqual([{ x: { y: '}' } }, { z: [1, { w: 2 }] }]);
    expect(jsonObjectsIn('no braces')).toEqual([]);
    expect(jsonObjectsIn('{"a": [1, 2}')).toEqual([]);
  });
});
