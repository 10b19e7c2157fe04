/**
 * The forms engineers really have (issue 8), read from fixtures in test/fixtures/logs/forms built
 * from each format's public documentation. Each stuck user must come out as an event with its
 * email, time, connection (where the record has one) and marker codes, and the diagnose rules must
 * call it stuck. The sources of each fixture are cited above its tests (and in forms/SOURCES.md).
 */
import { describe, expect, it } from 'vitest';
import { classify } from '../../src/diagnose/rules.js';
import { expandInputs } from '../../src/logs/inputs.js';
import { readLogs, type ReadOptions } from '../../src/logs/reader.js';
import type { LogEvent } from '../../src/logs/types.js';

const FORMS = 'test/fixtures/logs/forms';

async function read(name: string, options: ReadOptions = {}) {
  const events: LogEvent[] = [];
  const stats = await readLogs(await expandInputs([`${FORMS}/${name}`]), options, (e) => events.push(e));
  expect(stats.malformed, `${name}: ${JSON.stringify(stats.malformedSamples)}`).toBe(0);
  expect(stats.inputs[0]!.rejected).toBeNull();
  return { events, input: stats.inputs[0]! };
}

/** The fields a finding is built from, plus what the rules make of the event. */
const view = (e: LogEvent) => ({
  line: e.source.line,
  type: e.type,
  email: e.email,
  time: e.time?.toISO() ?? null,
  connection: e.connection,
  connectionId: e.connectionId,
  codes: e.codes,
  format: e.format,
  verdict: classify(e),
});

const stuckIn = (events: LogEvent[]) =>
  events.filter((e) => {
    const v = classify(e);
    return v !== null && 'kind' in v && (v.kind === 'USER_ALREADY_EXISTS' || v.kind === 'DUPLICATED_USER');
  });

const LEGACY = { connection: 'legacy-db', connectionId: 'con_Lg7cYq2RzX4mB9tK' };
const EXISTS = { codes: ['USER_EXISTS'], verdict: { kind: 'USER_ALREADY_EXISTS' } };

// A pasted ticket. The record is the flat log object of GET /api/v2/logs, which the Dashboard's log
// view shows as raw JSON (Auth0 docs: "View Log Events", "Log Event Type Codes"; field list from the
// SDK's Management.Log type and auth0-log-schemas fs.schema.json, see shared/reference/auth0-facts.md §1.1).
describe('a pasted ticket: prose, then records copied from the Dashboard', () => {
  it('finds the pretty-printed record after two lines of prose', async () => {
    const { events, input } = await read('ticket-dashboard.txt');
    expect(events.map(view)).toEqual([
      { line: 4, type: 'fs', email: 'ana.silva@acme.com', time: '2024-05-02T14:05:33.118Z', ...LEGACY, ...EXISTS, format: 'cli-json' },
    ]);
    // The input is text: two prose lines, the record, the signature.
    expect(input).toMatchObject({ format: 'text', records: 4, events: 1 });
  });

  it('finds several records, an array of them, and still reads the text lines around them', async () => {
    const { events } = await read('ticket-several.txt');
    expect(events.map((e) => [e.source.line, e.type, e.email, e.format, e.connection])).toEqual([
      [2, 'console', null, 'text', null], // prose quoting the error: a marker with no email
      [3, 'fs', 'ben.okoro@acme.com', 'cli-json', 'legacy-db'], // an indented record
      [26, 'fs', 'chen.yu@acme.com', 'management-api', 'legacy-db'], // the array's second element
      [38, 'console', 'chen.yu@acme.com', 'text', null], // a Real-time Webtask Logs line
      [44, 'console', 'dara.quinn@acme.com', 'text', null], // a 409 body pasted in prose: text, as before
    ]);
    // The array's first element (scpr, no marker) is not parsed; the truncated record is text.
    expect(events.find((e) => e.type === 'scpr')).toBeUndefined();
    expect(stuckIn(events).map((e) => e.email)).toEqual([null, 'ben.okoro@acme.com', 'chen.yu@acme.com', 'chen.yu@acme.com', 'dara.quinn@acme.com']);
    expect(events[1]!.time?.toISO()).toBe('2024-05-03T08:12:09.554Z');
  });

  it('--format text reads the same ticket line by line, which loses the email', async () => {
    const { events } = await read('ticket-dashboard.txt', { format: 'text' });
    expect(events.map((e) => [e.source.line, e.email, e.format])).toEqual([[7, null, 'text']]);
  });
});

// EventBridge captures. The event is the Auth0 partner event (Auth0 docs "Amazon EventBridge";
// RAW Labs' captured event, auth0-facts.md §1.2 E). Envelopes: `aws sqs receive-message` output
// (AWS CLI reference sqs/receive-message; SQS API "Message": MessageId, ReceiptHandle, MD5OfBody,
// Body, Attributes.SentTimestamp), an SNS notification delivered to SQS (SNS docs "Amazon SNS
// message and JSON formats": Type "Notification", Message), `aws logs filter-log-events` output
// (CloudWatch Logs API FilterLogEvents / FilteredLogEvent: logStreamName, timestamp, message,
// ingestionTime, eventId; searchedLogStreams), and a Node.js Lambda's console output (Lambda docs
// "Log and monitor Node.js Lambda functions": `<ISO time>\t<request id>\tINFO\t<message>`, START,
// END and REPORT lines, `console.info("EVENT\n" + JSON.stringify(event, null, 2))`).
describe('EventBridge captures', () => {
  it('aws sqs receive-message: the event is a JSON string in Messages[].Body, also inside an SNS notification', async () => {
    const { events, input } = await read('sqs-receive-message.json');
    expect(input.format).toBe('eventbridge');
    expect(stuckIn(events).map(view)).toEqual([
      { line: 1, type: 'fs', email: 'eva.novak@acme.com', time: '2024-05-02T10:31:07.501Z', ...LEGACY, ...EXISTS, format: 'eventbridge' },
      { line: 1, type: 'fs', email: 'farid.haddad@acme.com', time: '2024-05-02T11:02:44.310Z', ...LEGACY, ...EXISTS, format: 'eventbridge' },
    ]);
    expect(events.map((e) => e.type)).toEqual(['fs', 's', 'fs']);
  });

  it('aws logs filter-log-events: the event in events[].message, or printed by a Lambda', async () => {
    const { events, input } = await read('cloudwatch-filter-log-events.json');
    expect(input.format).toBe('eventbridge');
    expect(events.map(view)).toEqual([
      { line: 1, type: 'fs', email: 'gia.romano@acme.com', time: '2024-05-02T12:20:23.765Z', ...LEGACY, ...EXISTS, format: 'eventbridge' },
      { line: 1, type: 'fs', email: 'hugo.lefevre@acme.com', time: '2024-05-02T12:33:10.118Z', ...LEGACY, ...EXISTS, format: 'eventbridge' },
      {
        line: 1,
        type: 'console',
        email: 'ivy.chen@acme.com',
        time: '2024-05-02T12:33:10.207Z',
        connection: null,
        connectionId: null,
        codes: ['DUPLICATED_USER'],
        format: 'text',
        verdict: { kind: 'DUPLICATED_USER' },
      },
    ]);
    // The Lambda line's time, request id and level are not part of the message.
    expect(events[2]!.description).toBe('forwarding failed for ivy.chen@acme.com: DUPLICATED_USER');
  });

  it('a Lambda console.log line, compact or pretty-printed after a word of prose', async () => {
    const { events, input } = await read('lambda-console.txt');
    expect(events.map(view)).toEqual([
      { line: 2, type: 'fs', email: 'jon.berg@acme.com', time: '2024-05-02T13:07:42.640Z', ...LEGACY, ...EXISTS, format: 'eventbridge' },
      { line: 4, type: 'fs', email: 'kim.park@acme.com', time: '2024-05-02T13:11:05.019Z', ...LEGACY, ...EXISTS, format: 'eventbridge' },
    ]);
    // START, the compact line, "INFO EVENT", the pretty event (one record), WARN, END, REPORT.
    expect(input).toMatchObject({ format: 'text', records: 7 });
  });
});

// Elastic's Auth0 integration (elastic/integrations packages/auth0, data stream auth0.logs): its
// ingest pipeline (elasticsearch/ingest_pipeline/default.yml) copies the stream's `data` to
// auth0.logs.data, moves user_name to user.name, user_id to user.id and log_id to event.id, and
// replaces the type code with its description ("User signup failed"); test-signup-failure.json-expected.json
// and sample_event.json show the documents. The older layout (ECS 1.12) kept the code, the user
// name and auth0.logs.log_id. An NDJSON export and a `_search` response (Elasticsearch reference
// "Search API": hits.hits[]._source).
describe('Elastic documents', () => {
  it('an NDJSON export, in the current and the older document layout', async () => {
    const { events, input } = await read('elastic-export.ndjson');
    expect(input.format).toBe('elastic');
    expect(events.map(view)).toEqual([
      { line: 1, type: 'fs', email: 'lena.fischer@acme.com', time: '2024-05-02T15:20:11.402Z', ...LEGACY, ...EXISTS, format: 'elastic' },
      { line: 4, type: 'fs', email: 'max.weber@acme.com', time: '2024-05-02T15:30:55.031Z', ...LEGACY, ...EXISTS, format: 'elastic' },
    ]);
    expect(events.map((e) => e.logId)).toEqual([
      '90020240502152011402000000000000000000000000000000000051',
      '90020240502153055031000000000000000000000000000000000054',
    ]);
  });

  it('an Elasticsearch _search response', async () => {
    const { events, input } = await read('elastic-search.json');
    expect(input.format).toBe('elastic');
    expect(stuckIn(events).map(view)).toEqual([
      { line: 1, type: 'fs', email: 'nora.jensen@acme.com', time: '2024-05-02T16:02:19.650Z', ...LEGACY, ...EXISTS, format: 'elastic' },
    ]);
    // The other hit is a wrong password, its code read back from "Incorrect password".
    expect(events.map((e) => [e.type, classify(e)])).toEqual([
      ['fs', { kind: 'USER_ALREADY_EXISTS' }],
      ['fp', null],
    ]);
  });
});

// auth0-cli today (auth0/auth0-cli v1.33: internal/cli/logs.go, internal/display/logs.go and
// display.go). `logs list --json` prints json.MarshalIndent(list, "", "    ") of go-auth0
// management.Log (every field, nil as null), `--json-compact` json.Marshal(list); `logs tail` has
// no --json since 2023 (#595) and prints a table (TYPE, DESCRIPTION, DATE, CONNECTION, CLIENT: no
// email); with --debug each failure's row is followed by yaml.v2's marshaling of the record,
// indented by a tab (LogView.Extras), keys being Go field names lowercased.
describe('auth0-cli', () => {
  it('logs list --json and --json-compact print arrays of records', async () => {
    const indented = await read('auth0-logs-list.json');
    expect(stuckIn(indented.events).map(view)).toEqual([
      { line: 2, type: 'fs', email: 'quentin.roy@acme.com', time: '2024-05-02T18:04:11.250Z', ...LEGACY, ...EXISTS, format: 'management-api' },
    ]);
    const compact = await read('auth0-logs-list-compact.json');
    expect(stuckIn(compact.events).map(view)).toEqual([
      { line: 1, type: 'fs', email: 'rita.sousa@acme.com', time: '2024-05-02T18:15:30.412Z', ...LEGACY, ...EXISTS, format: 'management-api' },
    ]);
  });

  it('logs tail --debug: the YAML record under a row gives the user; the row itself yields nothing', async () => {
    const { events, input } = await read('auth0-logs-tail-debug.txt');
    expect(input.format).toBe('text');
    expect(events.map(view)).toEqual([
      { line: 8, type: 'fs', email: 'omar.farouk@acme.com', time: '2024-05-02T17:14:02.118Z', ...LEGACY, ...EXISTS, format: 'cli-json' },
      { line: 83, type: 'fs', email: 'paula.mendes@acme.com', time: '2024-05-02T17:18:10.502Z', ...LEGACY, ...EXISTS, format: 'cli-json' },
    ]);
    expect(events.map((e) => [e.logId, e.userId])).toEqual([
      ['90020240502171402118000000000000000000000000000000000061', null],
      ['90020240502171810502000000000000000000000000000000000063', null],
    ]);
  });

  it('logs tail without --debug: the rows carry the marker but no email', async () => {
    const { events } = await read('auth0-logs-tail.txt');
    expect(events.map((e) => [e.source.line, e.email, e.codes])).toEqual([
      [3, null, ['USER_EXISTS']],
      [5, null, ['USER_EXISTS']],
    ]);
  });
});

// A failed Management API operation (fapi, "Failed API Operation" in go-auth0's logTypeName; Elastic's
// pipeline: "Failed Management API operation"): the request and the 409 answer of POST /api/v2/users
// in details, as the sapi schema lays them out (auth0-log-schemas sapi.schema.json: details.request
// {method, path, query, body, channel, ip, auth}, details.response {statusCode, body}).
describe('Management API failures', () => {
  it('fapi: the email and the connection come from details.request.body', async () => {
    const { events } = await read('management-api-fapi.json');
    expect(stuckIn(events).map(view)).toEqual([
      {
        line: 2,
        type: 'fapi',
        email: 'sara.lind@acme.com',
        time: '2024-05-02T19:22:48.117Z',
        connection: 'legacy-db',
        connectionId: null,
        codes: ['USER_EXISTS', 'auth0_idp_error'],
        format: 'management-api',
        verdict: { kind: 'USER_ALREADY_EXISTS' },
      },
    ]);
    expect(events[0]!.statusCode).toBe(409);
  });
});

// Import jobs (Auth0 docs "Bulk User Imports": GET /api/v2/jobs/{id} answers
// {status, type: "users_import", created_at, id, connection_id, external_id, summary: {failed,
// updated, inserted, total}}; "invalid user information ... will not make the entire job fail";
// GET /api/v2/jobs/{id}/errors answers [{user, errors: [{code, message, path}]}], DUPLICATED_USER
// "The user already exist and upsert parameter is false"). The user object is the imported user
// (docs "Bulk Import Database Schema and Examples": email, user_id, username, ...).
describe('import jobs', () => {
  it('a completed job with failed users is an import_job_failures event with its job and connection', async () => {
    const { events } = await read('import-job-status.json');
    expect(events.map((e) => ({ ...view(e), jobId: e.jobId, logId: e.logId, description: e.description }))).toEqual([
      {
        line: 1,
        type: 'import_job_failures',
        email: null,
        time: '2024-05-03T07:45:12.330Z',
        ...LEGACY,
        codes: [],
        format: 'import-errors',
        verdict: null, // src/diagnose does not know this type yet
        jobId: 'job_Hx7Kp2Lm9Qr4Tv6W',
        logId: 'job_Hx7Kp2Lm9Qr4Tv6W',
        description: 'Import job job_Hx7Kp2Lm9Qr4Tv6W completed: 47 inserted, 0 updated, 3 failed of 50',
      },
    ]);
  });

  it('errors of users named only by username or user_id carry that name, and the job named by the file', async () => {
    const { events } = await read('job_Hx7Kp2Lm9Qr4Tv6W-errors.json');
    expect(events.map((e) => [e.source.line, e.email, e.subject, e.userId, e.jobId, e.codes])).toEqual([
      [2, null, 'tcarter', 'legacy-2041', 'job_Hx7Kp2Lm9Qr4Tv6W', ['DUPLICATED_USER']],
      [15, null, 'legacy-2042', 'legacy-2042', 'job_Hx7Kp2Lm9Qr4Tv6W', ['DUPLICATED_USER']],
      [26, 'uma.patel@acme.com', null, 'legacy-2043', 'job_Hx7Kp2Lm9Qr4Tv6W', ['DUPLICATED_USER']],
    ]);
    expect(events.map((e) => classify(e))).toEqual(events.map(() => ({ kind: 'DUPLICATED_USER' })));
  });

  it('an error report saved with its job id field', async () => {
    const { events } = await read('import-errors-saved-with-job.json');
    expect(events.map((e) => [e.email, e.subject, e.jobId, e.codes])).toEqual([[null, 'wnakamura', 'job_Zc3Vn8Bq1Ws5Ye7R', ['DUPLICATED_USER']]]);
  });
});
