import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { MARKER_PREFILTER } from '../../src/logs/markers.js';
import { recordToEvents } from '../../src/logs/records.js';
import { toUtc } from '../../src/logs/values.js';
import type { LogEvent } from '../../src/logs/types.js';

const src = { file: 'logs.json', line: 7 };
const top = { inArray: false };
const inArray = { inArray: true };

const fsRecord = {
  _id: '90020240502103107501000000000000000000000000000000000001',
  log_id: '90020240502103107501000000000000000000000000000000000001',
  date: '2024-05-02T10:31:07.501Z',
  type: 'fs',
  description: 'The user already exists.',
  connection: 'legacy-db',
  connection_id: 'con_Lg7cYq2RzX4mB9tK',
  details: { body: { email: 'jane.doe@acme.com', connection: 'legacy-db', password: '*****' } },
  user_id: '',
  user_name: ' Jane.Doe@Acme.com ',
  strategy: 'auth0',
  strategy_type: 'database',
};

function one(value: unknown, ctx: { inArray: boolean; forced?: LogEvent['format'] } = top): LogEvent {
  const r = recordToEvents(value, src, ctx);
  expect(r?.events).toHaveLength(1);
  return r!.events[0]!;
}

describe('flat records', () => {
  it('normalizes every field of a Failed Signup record', () => {
    const e = one(fsRecord, inArray);
    expect({ ...e, time: e.time?.toISO() }).toEqual({
      time: '2024-05-02T10:31:07.501Z',
      type: 'fs',
      description: 'The user already exists.',
      email: 'jane.doe@acme.com',
      subject: null,
      userId: null,
      connection: 'legacy-db',
      connectionId: 'con_Lg7cYq2RzX4mB9tK',
      codes: ['USER_EXISTS'],
      statusCode: null,
      logId: fsRecord.log_id,
      jobId: null,
      format: 'management-api',
      source: src,
    });
  });

  it('is management-api inside an array and cli-json on its own', () => {
    expect(recordToEvents(fsRecord, src, inArray)?.format).toBe('management-api');
    expect(recordToEvents(fsRecord, src, top)?.format).toBe('cli-json');
  });

  it('takes log_id or _id, and needs a date or an id next to the type', () => {
    expect(one({ type: 's', _id: 'abc' }).logId).toBe('abc');
    expect(one({ type: 's', date: '2024-05-02T10:00:00Z' }).logId).toBeNull();
    expect(recordToEvents({ type: 'fs', description: 'The user already exists.' }, src, top)).toBeNull();
  });

  it('falls back through the email sources', () => {
    expect(one({ ...fsRecord, user_name: 'jdoe' }).email).toBe('jane.doe@acme.com');
    const sapi = { type: 'sapi', log_id: '1', details: { request: { body: { email: 'New.User@Acme.com ' } } } };
    expect(one(sapi).email).toBe('new.user@acme.com');
    const fcp = { type: 'fcp', log_id: '2', details: { query: { email: 'RESET@acme.com', connection: 'legacy-db' } } };
    expect(one(fcp)).toMatchObject({ email: 'reset@acme.com', connection: 'legacy-db' });
    expect(one({ type: 's', log_id: '3', user_name: 'not an email' }).email).toBeNull();
  });

  it('collects structured codes and the response status, deduplicated', () => {
    const e = one({
      type: 'f',
      log_id: '4',
      description: 'The user already exists.',
      code: 'user_exists',
      details: {
        error: { message: 'DUPLICATED_USERS in legacy store', code: 'DUPLICATED_USER' },
        response: {
          statusCode: 409,
          body: { statusCode: 409, message: 'The user already exists.', errorCode: 'auth0_idp_error' },
        },
      },
    });
    expect(e.codes).toEqual(['USER_EXISTS', 'DUPLICATED_USER', 'auth0_idp_error']);
    expect(e.statusCode).toBe(409);
    expect(e.description).toBe('The user already exists.');
  });

  it('reads the email change conflict', () => {
    const e = one({ type: 'fce', log_id: '5', description: 'The specified new email already exists', user_name: 'tom@acme.com' });
    expect(e).toMatchObject({ type: 'fce', codes: ['EMAIL_EXISTS'], email: 'tom@acme.com' });
  });

  it('parses details given as a JSON string or plain text', () => {
    const json = one({ type: 'f', log_id: '6', details: '{"error":{"message":"The user already exists.","code":"user_exists"}}' });
    expect(json).toMatchObject({ description: 'The user already exists.', codes: ['USER_EXISTS'] });
    const text = one({ type: 'f', log_id: '7', description: 'boom', details: 'legacy said DUPLICATED_USER' });
    expect(text.codes).toEqual(['DUPLICATED_USER']);
    expect(one({ type: 'f', log_id: '8', details: '{not json' }).codes).toEqual([]);
  });

  it('reads a 409 pasted in consoleOut', () => {
    const e = one({
      type: 'fp',
      log_id: '9',
      description: 'Wrong email or password.',
      details: { consoleOut: 'create: {"statusCode":409,"error":"Conflict","message":"The user already exists."}' },
    });
    expect(e.codes).toEqual(['USER_EXISTS']);
    expect(e.statusCode).toBe(409);
  });
});

describe('envelopes', () => {
  it('reads the include_totals container', () => {
    const r = recordToEvents(
      { start: 0, limit: 50, length: 3, total: 3, logs: [fsRecord, { type: 's', log_id: 'x' }, 'junk'] },
      src,
      top,
    );
    expect(r?.format).toBe('management-api');
    expect(r?.events.map((e) => e.type)).toEqual(['fs', 's']);
    expect(recordToEvents({ start: 0, limit: 50, length: 0, total: 0, logs: [] }, src, top)).toEqual({
      format: 'management-api',
      events: [],
    });
  });

  it('reads a log stream wrapper and prefers the outer log_id', () => {
    const e = one({ log_id: 'outer', data: { ...fsRecord, log_id: 'inner' } });
    expect(e).toMatchObject({ format: 'log-stream', logId: 'outer', email: 'jane.doe@acme.com' });
    // a wrapper record needs no date
    expect(one({ log_id: 'w', data: { type: 'fs', description: 'The user already exists.' } }).format).toBe('log-stream');
  });

  it('reads both EventBridge shapes', () => {
    const envelope = {
      version: '0',
      'detail-type': 'Auth0 log',
      source: 'aws.partner/auth0.com/acme-1234/auth0.logs',
      detail: { log_id: 'eb-outer', data: { ...fsRecord, log_id: '123412431234' } },
    };
    expect(one(envelope)).toMatchObject({ format: 'eventbridge', logId: 'eb-outer', codes: ['USER_EXISTS'] });
    const flatDetail = { ...envelope, detail: { ...fsRecord, log_id: 'flat' } };
    expect(one(flatDetail)).toMatchObject({ format: 'eventbridge', logId: 'flat', email: 'jane.doe@acme.com' });
    const noDetailType = { source: 'aws.partner/auth0.com/x/auth0.logs', detail: { log_id: 'a', data: fsRecord } };
    expect(one(noDetailType).format).toBe('eventbridge');
    expect(recordToEvents({ 'detail-type': 'EC2 Instance State-change', detail: { state: 'running' } }, src, top)).toBeNull();
  });

  it('reads a batch array found on one line', () => {
    const r = recordToEvents([{ log_id: 'a', data: fsRecord }, 42, { log_id: 'b', data: { type: 's' } }], src, top);
    expect(r?.format).toBe('log-stream');
    expect(r?.events.map((e) => e.logId)).toEqual(['a', 'b']);
    expect(recordToEvents([1, 2], src, top)).toBeNull();
  });
});

describe('import job reports', () => {
  it('makes one event per error', () => {
    const r = recordToEvents(
      {
        user: { email: ' Jane.Doe@Acme.com', user_id: 'legacy-1001' },
        errors: [
          { code: 'DUPLICATED_USERS', message: 'The user already exist and upsert parameter is false' },
          { code: 'PATTERN', message: 'String does not match pattern', path: 'user_id' },
        ],
      },
      src,
      inArray,
    );
    expect(r?.format).toBe('import-errors');
    expect(r?.events.map((e) => [e.type, e.codes, e.description, e.email, e.userId])).toEqual([
      ['import_error', ['DUPLICATED_USER'], 'The user already exist and upsert parameter is false', 'jane.doe@acme.com', 'legacy-1001'],
      ['import_error', ['PATTERN'], 'String does not match pattern', 'jane.doe@acme.com', 'legacy-1001'],
    ]);
    expect(r?.events[0]?.time).toBeNull();
  });

  it('reports a failed job with its status_details, or a summary', () => {
    const job = {
      status: 'failed',
      type: 'users_import',
      created_at: '2024-05-03T09:12:44.101Z',
      id: 'job_Qm4TzR8wLp2VnX6c',
      connection_id: 'con_Lg7cYq2RzX4mB9tK',
      status_details: 'Failed to parse users file JSON when importing users.',
    };
    const e = one(job);
    expect(e).toMatchObject({
      type: 'import_job_failed',
      format: 'import-errors',
      description: 'Failed to parse users file JSON when importing users.',
      connectionId: 'con_Lg7cYq2RzX4mB9tK',
      logId: 'job_Qm4TzR8wLp2VnX6c',
    });
    expect(e.time?.toISO()).toBe('2024-05-03T09:12:44.101Z');
    const { status_details: _, ...bare } = job;
    expect(one({ ...bare, summary: { failed: 1, updated: 0, inserted: 0, total: 1 } }).description).toBe(
      'Import job job_Qm4TzR8wLp2VnX6c failed: 0 inserted, 0 updated, 1 failed of 1',
    );
  });

  it('recognizes other job states without reporting them', () => {
    const r = recordToEvents({ status: 'completed', type: 'users_import', id: 'job_x', summary: { failed: 0 } }, src, top);
    expect(r).toEqual({ format: 'import-errors', events: [] });
    expect(recordToEvents({ status: 'completed', type: 'verification_email', id: 'job_y' }, src, top)).toBeNull();
  });
});

describe('console records', () => {
  it('reads a bunyan record', () => {
    const e = one({ name: 'wt', hostname: 'h', pid: 1, level: 50, msg: ' DUPLICATED_USER Jane.Doe@acme.com ', time: '2024-05-02T11:07:15.502Z', v: 0 });
    expect({ ...e, time: e.time?.toISO() }).toMatchObject({
      format: 'bunyan',
      type: 'console',
      description: 'DUPLICATED_USER Jane.Doe@acme.com',
      email: 'jane.doe@acme.com',
      codes: ['DUPLICATED_USER'],
      time: '2024-05-02T11:07:15.502Z',
    });
    expect(one({ level: 30, msg: 'webtask container assigned', time: 't', v: 0 })).toMatchObject({ codes: [], time: null });
  });

  it('reads Actions log entries, alone and in a {logs} envelope', () => {
    const entry = one({ timestamp: 1714651223770, level: 'error', message: 'signup blocked for Olga@acme.com: The user already exists.' });
    expect(entry).toMatchObject({ format: 'actions-json', type: 'console', email: 'olga@acme.com', codes: ['USER_EXISTS'] });
    expect(entry.time?.toISO()).toBe('2024-05-02T12:00:23.770Z');
    const r = recordToEvents({ logs: [{ ts: '2024-05-02T12:20:22Z', log: 'a' }, { time: 1, text: 'b' }, null] }, src, top);
    expect(r?.format).toBe('actions-json');
    expect(r?.events.map((e) => e.description)).toEqual(['a', 'b']);
    expect(one({ date: '2024-05-02', data: 'DUPLICATED_USER x@acme.com' }).format).toBe('actions-json');
  });

  it('does not take an Auth0 record or a bare message for an Actions entry', () => {
    expect(recordToEvents({ type: 'fs', description: 'x', message: 'y', timestamp: 1 }, src, top)).toBeNull();
    expect(recordToEvents({ message: 'no time here' }, src, top)).toBeNull();
  });
});

describe('captures and envelopes of other systems', () => {
  const ebEvent = (email: string) => ({
    version: '0',
    'detail-type': 'Auth0 log',
    source: 'aws.partner/auth0.com/acme-1234/auth0.logs',
    detail: { log_id: `eb-${email}`, data: { ...fsRecord, user_name: email, log_id: 'inner' } },
  });

  it('reads SQS bodies, SNS notifications in them, and a body that is a console line', () => {
    const r = recordToEvents(
      {
        Messages: [
          { MessageId: '1', Body: JSON.stringify(ebEvent('a@acme.com')) },
          { MessageId: '2', Body: JSON.stringify({ Type: 'Notification', Message: JSON.stringify(ebEvent('b@acme.com')) }) },
          { MessageId: '3', Body: 'forwarder: DUPLICATED_USER c@acme.com', Attributes: { SentTimestamp: '1714645867501' } },
          { MessageId: '4', Body: 'heartbeat' },
        ],
      },
      src,
      top,
    );
    expect(r?.format).toBe('eventbridge');
    expect(r?.events.map((e) => [e.email, e.format, e.logId, e.time?.toISO()])).toEqual([
      ['a@acme.com', 'eventbridge', 'eb-a@acme.com', '2024-05-02T10:31:07.501Z'],
      ['b@acme.com', 'eventbridge', 'eb-b@acme.com', '2024-05-02T10:31:07.501Z'],
      ['c@acme.com', 'text', null, '2024-05-02T10:31:07.501Z'], // the message has no time: the envelope's
    ]);
    expect(recordToEvents({ Messages: [] }, src, top)).toEqual({ format: 'eventbridge', events: [] });
  });

  it('reads CloudWatch events and subscription logEvents, a Lambda JSON log line and a Logs Insights row', () => {
    const lambdaLine = `2024-05-02T12:33:10.204Z\t3f5c8e2a-7b1d-4e9f-a6c3-1d2e3f4a5b6c\tINFO\t${JSON.stringify(ebEvent('d@acme.com'))}\n`;
    const cw = recordToEvents({ events: [{ timestamp: 1, message: lambdaLine, ingestionTime: 2 }] }, src, top);
    expect(cw?.events.map((e) => [e.email, e.format])).toEqual([['d@acme.com', 'eventbridge']]);
    const sub = recordToEvents({ messageType: 'DATA_MESSAGE', logEvents: [{ id: '1', timestamp: 1, message: JSON.stringify(ebEvent('e@acme.com')) }] }, src, top);
    expect(sub?.events.map((e) => e.email)).toEqual(['e@acme.com']);
    const json = one({ timestamp: '2024-05-02T12:33:10.204Z', level: 'INFO', requestId: 'r', message: JSON.stringify(ebEvent('f@acme.com')) });
    expect([json.email, json.format, json.connection]).toEqual(['f@acme.com', 'eventbridge', 'legacy-db']);
    const insights = one({ '@timestamp': '2024-05-02 12:33:10.204', '@message': lambdaLine });
    expect([insights.email, insights.format]).toEqual(['d@acme.com', 'eventbridge']);
    // Foreign {events: [...]} without CloudWatch's fields is no capture.
    expect(recordToEvents({ events: [{ name: 'deploy' }] }, src, top)).toBeNull();
  });

  it('keeps a console message with a pasted error body one console event', () => {
    const body = '{"statusCode":409,"error":"Conflict","message":"The user already exists.","errorCode":"auth0_idp_error"}';
    const e = one({ name: 'wt', level: 50, msg: `create g@acme.com failed: ${body}`, time: '2024-05-02T11:00:00Z', v: 0 });
    expect([e.format, e.type, e.email, e.codes, e.statusCode]).toEqual(['bunyan', 'console', 'g@acme.com', ['USER_EXISTS', 'auth0_idp_error'], 409]);
  });

  it('reads Elastic documents, hits and _search responses', () => {
    const doc = {
      '@timestamp': '2024-05-02T15:20:11.402Z',
      auth0: { logs: { data: { date: '2024-05-02T15:20:11.402Z', type: 'User signup failed', description: 'The user already exists.', connection: 'legacy-db' } } },
      event: { action: 'user-signup-failed', id: '9001' },
      user: { name: 'H@acme.com' },
    };
    expect(one(doc)).toMatchObject({ format: 'elastic', type: 'fs', email: 'h@acme.com', logId: '9001', connection: 'legacy-db' });
    expect(one({ _index: 'logs-auth0.logs-default', _id: 'x', _source: doc }).email).toBe('h@acme.com');
    const unknownCode = { ...doc, auth0: { logs: { data: { ...doc.auth0.logs.data, type: 'xyz' } } }, event: { action: 'unknown-xyz' } };
    expect(one(unknownCode).type).toBe('xyz');
    expect(recordToEvents({ hits: { total: { value: 0 }, hits: [] } }, src, top)).toEqual({ format: 'elastic', events: [] });
    expect(recordToEvents({ hits: { hits: [{ _source: { message: 'nginx' } }] } }, src, top)).toBeNull();
  });
});

describe('Management API records and import jobs', () => {
  it('takes the connection and the email of a failed API call from its request body', () => {
    const e = one({
      type: 'fapi',
      log_id: 'f1',
      description: 'Create a User',
      details: {
        request: { method: 'post', path: '/api/v2/users', body: { email: 'I@acme.com', connection: 'legacy-db' } },
        response: { statusCode: 409, body: { message: 'The user already exists.', errorCode: 'auth0_idp_error' } },
      },
    });
    expect([e.email, e.connection, e.statusCode, e.codes]).toEqual(['i@acme.com', 'legacy-db', 409, ['USER_EXISTS', 'auth0_idp_error']]);
  });

  it('names the job of the sapi log that created it, and a non-email user_name as the subject', () => {
    const sapi = one({
      type: 'sapi',
      log_id: 's1',
      description: 'Create import users job',
      details: { request: { path: '/api/v2/jobs/users-imports' }, response: { statusCode: 201, body: { id: 'job_Qm4TzR8wLp2VnX6c', type: 'users_import' } } },
    });
    expect(sapi.jobId).toBe('job_Qm4TzR8wLp2VnX6c');
    expect(one({ ...fsRecord, user_name: ' jdoe ', details: {} })).toMatchObject({ email: null, subject: 'jdoe' });
    expect(one(fsRecord).subject).toBeNull();
  });

  it('reports a completed job with failed users, with its job and connection', () => {
    const e = one({
      status: 'completed',
      type: 'users_import',
      created_at: '2024-05-03T07:45:12.330Z',
      id: 'job_Hx7Kp2Lm9Qr4Tv6W',
      connection_id: 'con_Lg7cYq2RzX4mB9tK',
      connection: 'legacy-db',
      summary: { failed: 3, updated: 0, inserted: 47, total: 50 },
    });
    expect(e).toMatchObject({
      type: 'import_job_failures',
      jobId: 'job_Hx7Kp2Lm9Qr4Tv6W',
      logId: 'job_Hx7Kp2Lm9Qr4Tv6W',
      connection: 'legacy-db',
      connectionId: 'con_Lg7cYq2RzX4mB9tK',
      description: 'Import job job_Hx7Kp2Lm9Qr4Tv6W completed: 47 inserted, 0 updated, 3 failed of 50',
    });
    expect(one({ status: 'failed', type: 'users_import', id: 'job_Qm4TzR8wLp2VnX6c' }).jobId).toBe('job_Qm4TzR8wLp2VnX6c');
  });

  it('names import errors by username or user_id when there is no email, and takes the job from the file name', () => {
    const report = [
      { user: { username: 'jdoe', user_id: 'legacy-1' }, errors: [{ code: 'DUPLICATED_USER', message: 'The user already exist and upsert parameter is false' }] },
      { user: { user_id: 'legacy-2' }, errors: [{ code: 'CONFLICT_USERNAME', message: 'conflict' }] },
      { user: { email: 'K@acme.com', username: 'kay' }, errors: [{ code: 'DUPLICATED_USER', message: 'x' }] },
    ];
    const r = recordToEvents(report, { file: 'exports/job_Hx7Kp2Lm9Qr4Tv6W.errors.json', line: 1 }, top);
    expect(r?.events.map((e) => [e.email, e.subject, e.userId, e.jobId])).toEqual([
      [null, 'jdoe', 'legacy-1', 'job_Hx7Kp2Lm9Qr4Tv6W'],
      [null, 'legacy-2', 'legacy-2', 'job_Hx7Kp2Lm9Qr4Tv6W'],
      ['k@acme.com', null, null, 'job_Hx7Kp2Lm9Qr4Tv6W'],
    ]);
    expect(recordToEvents(report, src, top)?.events.map((e) => e.jobId)).toEqual([null, null, null]);
  });

  it('reads a report saved with its job: a job_id field, or the job status itself', () => {
    const errors = [{ user: { email: 'l@acme.com' }, errors: [{ code: 'DUPLICATED_USER', message: 'The user already exist and upsert parameter is false' }] }];
    expect(recordToEvents({ job_id: 'job_Zc3Vn8Bq1Ws5Ye7R', errors }, src, top)?.events.map((e) => [e.email, e.jobId])).toEqual([['l@acme.com', 'job_Zc3Vn8Bq1Ws5Ye7R']]);
    const job = { status: 'completed', type: 'users_import', id: 'job_Zc3Vn8Bq1Ws5Ye7R', summary: { failed: 1, inserted: 0, updated: 0, total: 1 } };
    expect(recordToEvents({ job, errors }, src, top)?.events.map((e) => [e.type, e.jobId])).toEqual([
      ['import_job_failures', 'job_Zc3Vn8Bq1Ws5Ye7R'],
      ['import_error', 'job_Zc3Vn8Bq1Ws5Ye7R'],
    ]);
    expect(recordToEvents({ errors }, src, top)).toBeNull();
  });
});

describe('forced formats', () => {
  it('interprets the value as the forced format only', () => {
    expect(recordToEvents(fsRecord, src, { inArray: false, forced: 'management-api' })?.format).toBe('management-api');
    expect(recordToEvents(fsRecord, src, { inArray: true, forced: 'cli-json' })?.format).toBe('cli-json');
    expect(recordToEvents(fsRecord, src, { inArray: false, forced: 'log-stream' })).toBeNull();
    expect(recordToEvents(fsRecord, src, { inArray: false, forced: 'bunyan' })).toBeNull();
    expect(recordToEvents(fsRecord, src, { inArray: false, forced: 'text' })).toBeNull();
    expect(recordToEvents({ log_id: 'a', data: fsRecord }, src, { inArray: false, forced: 'import-errors' })).toBeNull();
    expect(recordToEvents({ log_id: 'a', data: fsRecord }, src, { inArray: false, forced: 'log-stream' })?.format).toBe('log-stream');
    const bunyanRec = { level: 30, msg: 'DUPLICATED_USER', time: 'x', v: 0 };
    expect(recordToEvents(bunyanRec, src, { inArray: false, forced: 'actions-json' })?.format).toBe('actions-json');
    expect(recordToEvents(bunyanRec, src, { inArray: false, forced: 'eventbridge' })).toBeNull();
    const sqs = { Messages: [{ Body: JSON.stringify({ 'detail-type': 'Auth0 log', detail: fsRecord }) }] };
    expect(recordToEvents(sqs, src, { inArray: false, forced: 'eventbridge' })?.events.map((e) => e.email)).toEqual(['jane.doe@acme.com']);
    expect(recordToEvents(sqs, src, { inArray: false, forced: 'elastic' })).toBeNull();
    expect(recordToEvents({ auth0: { logs: { data: fsRecord } } }, src, { inArray: false, forced: 'elastic' })?.format).toBe('elastic');
    expect(recordToEvents({ auth0: { logs: { data: fsRecord } } }, src, { inArray: false, forced: 'management-api' })).toBeNull();
  });
});

describe('odd input', () => {
  const odd: unknown[] = [
    null,
    undefined,
    42,
    'The user already exists.',
    true,
    [],
    [[fsRecord]],
    {},
    { type: 5, date: 'x' },
    { type: 'fs', date: {}, description: null, details: 7, user_name: 42, user_id: 123, connection: [] },
    { type: 'fs', log_id: 9, details: [1, 2], user_name: null, date: { $date: { weird: true } } },
    { type: 'fs', log_id: 'x', details: { body: 'str', request: [], response: { statusCode: 'abc', body: 5 }, error: null } },
    { log_id: 1, data: null },
    { log_id: 1, data: [] },
    { 'detail-type': 'Auth0 log', detail: 'x' },
    { 'detail-type': 'Auth0 log', detail: { data: 5 } },
    { user: {}, errors: [null, 5, { code: 7 }, { message: ['x'] }] },
    { user: null, errors: 'x' },
    { status: 'failed', type: 'users_import', summary: 'x', id: 5 },
    { msg: 5, level: 'x', time: null, v: 0 },
    { logs: [null, 1, 'x'] },
    { logs: 'nope' },
    { start: 'a', logs: {} },
    Object.create(null),
    { Messages: 'x' },
    { Messages: [null, { Body: 5 }, { Body: '{not json' }, { Body: '{"Type":"Notification","Message":7}' }] },
    { events: [{ message: null, timestamp: 'x' }, 3] },
    { logEvents: [{ message: '{"detail-type":"Auth0 log","detail":7}', timestamp: 1 }] },
    { '@message': 5, '@timestamp': null },
    { auth0: { logs: { data: 'x' } } },
    { auth0: { logs: { data: { type: 7 } } }, user: 'x', event: [] },
    { hits: { hits: [null, { _source: 5 }, { _source: { auth0: null } }] } },
    { _index: 5, _source: {} },
    { job_id: 'job_12345678', errors: [null, { user: 5, errors: 'x' }] },
    { job: 'x', id: 'job_12345678', errors: [] },
    { type: 'users_import', status: 'completed', summary: { failed: 'many' } },
    { timestamp: 1, message: '{"a": {"b": {"c": {"d": {"e": {}}}}}}' },
  ];

  it.each(odd.map((v, i) => [i, v]))('case %i never throws', (_i, v) => {
    expect(() => recordToEvents(v, src, top)).not.toThrow();
    expect(() => recordToEvents(v, src, inArray)).not.toThrow();
  });

  it('gives sensible values for odd fields', () => {
    const e = one({ type: 'fs', date: {}, description: null, details: 7, user_name: 42, user_id: 123, connection: [] });
    expect(e).toMatchObject({ time: null, description: '', email: null, userId: '123', connection: null, codes: [] });
    const f = one({ type: 'fs', log_id: 'x', details: { response: { statusCode: 'abc', body: 5 } } });
    expect(f.statusCode).toBeNull();
    expect(recordToEvents({ user: {}, errors: [null, 5, { code: 7 }] }, src, top)?.events.map((x) => x.codes)).toEqual([
      ['7'],
    ]);
    expect(recordToEvents('The user already exists.', src, top)).toBeNull();
    expect(recordToEvents({ logs: [null, 1, 'x'] }, src, top)).toBeNull();
  });
});

describe('toUtc', () => {
  it.each([
    ['2024-05-02T10:31:07.501Z', '2024-05-02T10:31:07.501Z'],
    ['2024-05-02T12:31:07.501+02:00', '2024-05-02T10:31:07.501Z'],
    ['2024-05-02T10:31:07', '2024-05-02T10:31:07.000Z'],
    ['2024-05-02 10:31:07', '2024-05-02T10:31:07.000Z'],
    ['Thu, 02 May 2024 10:31:07 GMT', '2024-05-02T10:31:07.000Z'],
    [1714645867501, '2024-05-02T10:31:07.501Z'],
    [1714645867, '2024-05-02T10:31:07.000Z'],
    ['1714645867501', '2024-05-02T10:31:07.501Z'],
    [{ $date: '2024-05-02T10:31:07.501Z' }, '2024-05-02T10:31:07.501Z'],
    [{ $date: { $numberLong: '1714645867501' } }, '2024-05-02T10:31:07.501Z'],
  ])('%j', (input, iso) => {
    const t = toUtc(input);
    expect(t?.toISO()).toBe(iso);
    expect(t?.zoneName).toBe('UTC');
  });

  it.each([null, undefined, '', 'yesterday', NaN, Infinity, 1e20, {}, [], true])('%j is null', (input) => {
    expect(toUtc(input)).toBeNull();
  });
});

// ---- the example inputs: every file yields the documented stuck users ------------------------

function examples(name: string): string {
  const buf = readFileSync(new URL(`../../examples/logs/${name}`, import.meta.url));
  return (name.endsWith('.gz') ? gunzipSync(buf) : buf).toString('utf8').replace(/^\uFEFF/, '');
}

/** Raw records: lines for JSON lines, elements for an array, else brace-delimited top-level values. */
function rawRecords(name: string): { raw: string; inArray: boolean }[] {
  const text = examples(name);
  if (/\.(jsonl|ndjson)(\.gz)?$/.test(name)) return text.split('\n').filter(Boolean).map((raw) => ({ raw, inArray: false }));
  if (text.trim() === '') return [];
  try {
    const v: unknown = JSON.parse(text);
    if (Array.isArray(v)) return v.map((x) => ({ raw: JSON.stringify(x), inArray: true }));
    return [{ raw: text, inArray: false }];
  } catch {
    return text
      .split(/\n(?=\{)/)
      .filter((s) => s.trim())
      .map((raw) => ({ raw, inArray: false }));
  }
}

function stuck(name: string) {
  const out: [string, string | null, string[]][] = [];
  const formats = new Set<string>();
  for (const { raw, inArray: arr } of rawRecords(name)) {
    const r = recordToEvents(JSON.parse(raw), { file: name, line: 1 }, { inArray: arr });
    expect(r, `${name}: ${raw.slice(0, 80)}`).not.toBeNull();
    formats.add(r!.format);
    for (const e of r!.events) {
      if (e.codes.length > 0) out.push([e.type, e.email, e.codes]);
      // The fast path must never skip a record that carries a marker.
      if (e.codes.length > 0) expect(MARKER_PREFILTER.test(raw)).toBe(true);
    }
  }
  return { formats: [...formats], stuck: out };
}

describe('examples/logs', () => {
  const exists = (email: string): [string, string, string[]] => ['fs', email, ['USER_EXISTS']];

  it.each([
    ['management-api.json', ['management-api'], [
      ['fce', 'tom.berg@acme.com', ['EMAIL_EXISTS']],
      exists('li.wei@acme.com'),
      exists('raj.patel@acme.com'),
      exists('jane.doe@acme.com'),
    ]],
    ['management-api-page.json', ['management-api'], [exists('marco.rossi@acme.com'), exists('jane.doe@acme.com')]],
    ['cli-tail.json', ['cli-json'], [exists('olga.ivanova@acme.com')]],
    ['cli-tail.ndjson', ['cli-json'], [exists('sam.okafor@acme.com'), exists('raj.patel@acme.com')]],
    ['stream.jsonl', ['log-stream'], [exists('jane.doe@acme.com'), exists('li.wei@acme.com')]],
    ['stream-2.jsonl.gz', ['log-stream'], [exists('olga.ivanova@acme.com')]],
    ['datadog.json', ['log-stream'], [exists('marco.rossi@acme.com')]],
    ['eventbridge.json', ['eventbridge'], [exists('olga.ivanova@acme.com'), exists('sam.okafor@acme.com')]],
    ['import-errors.json', ['import-errors'], [
      ['import_error', 'jane.doe@acme.com', ['DUPLICATED_USER']],
      ['import_error', 'raj.patel@acme.com', ['DUPLICATED_USER']],
      ['import_error', 'marco.rossi@acme.com', ['DUPLICATED_USER']],
      ['import_error', 'li.wei@acme.com', ['CONFLICT_EMAIL']],
      ['import_error', 'nina.kowalski@acme.com', ['DUPLICATED_USER']],
    ]],
    ['import-job-failed.json', ['import-errors'], []],
    ['import-errors-empty.json', [], []],
    ['webtask-bunyan.jsonl', ['bunyan'], [
      ['console', 'marco.rossi@acme.com', ['USER_EXISTS']],
      ['console', 'jane.doe@acme.com', ['DUPLICATED_USER']],
    ]],
    ['actions-logs.json', ['actions-json'], [['console', 'olga.ivanova@acme.com', ['USER_EXISTS']]]],
  ])('%s', (name, formats, expected) => {
    const r = stuck(name);
    expect(r.formats).toEqual(formats);
    expect(r.stuck).toEqual(expected);
  });

  it('keeps every noise record off the fast path', () => {
    for (const name of ['management-api.json', 'stream.jsonl', 'cli-tail.ndjson', 'datadog.json']) {
      for (const { raw } of rawRecords(name)) {
        const e = recordToEvents(JSON.parse(raw), src, top)!.events[0]!;
        expect(MARKER_PREFILTER.test(raw), `${name} ${e.type} ${e.description}`).toBe(e.codes.length > 0);
      }
    }
  });
});
