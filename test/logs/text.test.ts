import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { findEmail, normalizeEmail } from '../../src/logs/email.js';
import { findMarkers, hasMarker, MARKER_PREFILTER, normalizeCode } from '../../src/logs/markers.js';
import { looksBinary } from '../../src/logs/sniff.js';
import { parseTextLine } from '../../src/logs/text.js';

const src = { file: 'paste.txt', line: 3 };
const fixture = (name: string) => readFileSync(new URL(`../fixtures/logs/${name}`, import.meta.url));

describe('findMarkers', () => {
  it.each([
    ['import said DUPLICATED_USER for x', ['DUPLICATED_USER']],
    ['community calls it DUPLICATED_USERS', ['DUPLICATED_USER']],
    ['code CONFLICT_EMAIL', ['CONFLICT_EMAIL']],
    ['code CONFLICT_USERNAME', ['CONFLICT_USERNAME']],
    ['{"code":"CONFLICT","message":"x"}', ['CONFLICT']],
    ['{"code":"user_exists"}', ['USER_EXISTS']],
    ['The user already exists.', ['USER_EXISTS']],
    ['THE USER  ALREADY\tEXISTS', ['USER_EXISTS']],
    ['The user already exist and upsert parameter is false', ['USER_EXISTS']],
    ['The specified new email already exists', ['EMAIL_EXISTS']],
    ['errorCode auth0_idp_error', ['auth0_idp_error']],
    ['The user \\u0061lready\\u0020exists.', ['USER_EXISTS']],
  ])('%s', (text, codes) => {
    expect(findMarkers(text).codes).toEqual(codes);
  });

  it('reads a pasted 409 body: codes in vocabulary order, plus the status', () => {
    const m = findMarkers(
      'create failed: {"statusCode":409,"error":"Conflict","message":"The user already exists.","errorCode":"auth0_idp_error"}',
    );
    expect(m).toEqual({ codes: ['USER_EXISTS', 'auth0_idp_error'], statusCode: 409 });
  });

  it('finds the status in the other spellings', () => {
    expect(findMarkers('statusCode: 409, user already exists').statusCode).toBe(409);
    expect(findMarkers('HTTP 409 Conflict: user already exists').statusCode).toBe(409);
    expect(findMarkers('{"statusCode":400,"code":"user_exists"}')).toEqual({ codes: ['USER_EXISTS'], statusCode: 400 });
    expect(findMarkers('nothing here').statusCode).toBeNull();
  });

  it('does not take the reason phrase of 409 Conflict for the import code', () => {
    expect(findMarkers('409 Conflict').codes).toEqual([]);
    expect(findMarkers('409 CONFLICT').codes).toEqual([]);
    expect(findMarkers('a conflict happened').codes).toEqual([]);
  });

  it('does not fire on noise', () => {
    for (const t of ['Successful login', 'Wrong email or password.', 'Password is too weak', 'The user does not exist.']) {
      expect(hasMarker(t)).toBe(false);
    }
    expect(hasMarker('DUPLICATED_USER')).toBe(true);
    expect(findMarkers('')).toEqual({ codes: [], statusCode: null });
  });

  it('gives the same answer for a text it has seen, in codes of the caller\'s own (texts repeat, their answers are kept)', () => {
    const texts = Array.from({ length: 5000 }, (_, i) => (i % 2 ? `The user already exists. (${i})` : `DUPLICATED_USER ${i}, statusCode: 409`));
    const mine = findMarkers('The user already exists.');
    mine.codes.push('MUTATED');
    expect(findMarkers('The user already exists.').codes).toEqual(['USER_EXISTS']);
    // More texts than are kept: they are found again once the kept ones are let go.
    const expected = texts.map((_, i) => (i % 2 ? { codes: ['USER_EXISTS'], statusCode: null } : { codes: ['DUPLICATED_USER'], statusCode: 409 }));
    expect(texts.map((t) => findMarkers(t))).toEqual(expected);
    expect(texts.map((t) => findMarkers(t))).toEqual(expected);
    expect(findMarkers('x'.repeat(600) + ' user already exists').codes).toEqual(['USER_EXISTS']);
  });

  it('normalizes structured codes and keeps unknown ones', () => {
    expect(normalizeCode('DUPLICATED_USERS')).toBe('DUPLICATED_USER');
    expect(normalizeCode(' conflict_email ')).toBe('CONFLICT_EMAIL');
    expect(normalizeCode('user_exists')).toBe('USER_EXISTS');
    expect(normalizeCode('AUTH0_IDP_ERROR')).toBe('auth0_idp_error');
    expect(normalizeCode('PATTERN')).toBe('PATTERN');
  });
});

describe('MARKER_PREFILTER', () => {
  it.each([
    'The user already exists.',
    'The user already exist and upsert parameter is false',
    '"code":"user_exists"',
    'DUPLICATED_USER',
    'DUPLICATED_USERS',
    'duplicated_user',
    'CONFLICT',
    'CONFLICT_EMAIL',
    'CONFLICT_USERNAME',
    '409 Conflict',
    'The specified new email already exists',
    'THE USER ALREADY EXISTS.',
    'tHe UsEr AlReAdY eXiStS',
    // escapes hiding every letter group the other alternatives look for
    '"description":"The user already\\u0020e\\u0078ists."',
    '"code":"D\\u0055PLICATED_USER"',
  ])('matches %s', (raw) => {
    expect(MARKER_PREFILTER.test(raw)).toBe(true);
  });

  it('matches the escaped and odd-case fixture lines', () => {
    const lines = fixture('escaped.jsonl').toString('utf8').trim().split('\n');
    expect(lines.map((l) => MARKER_PREFILTER.test(l))).toEqual([true, true, false]);
  });

  it.each([
    {
      type: 's',
      date: '2024-05-02T10:40:12.031Z',
      description: 'Successful login',
      connection: 'legacy-db',
      user_name: 'alice.ng@acme.com',
      details: { stats: { loginsCount: 4 } },
    },
    {
      type: 'fp',
      date: '2024-05-02T10:33:40.552Z',
      description: 'Wrong email or password.',
      user_id: 'auth0|bob.smith@acme.com',
      details: { error: { message: 'Wrong email or password.' } },
    },
    {
      type: 'fs',
      date: '2024-05-02T10:31:55.877Z',
      description: 'Password is too weak',
      details: { description: { rules: [{ message: 'At least %d characters in length', format: [8], code: 'lengthAtLeast' }] } },
    },
  ])('does not match a $type noise record', (rec) => {
    expect(MARKER_PREFILTER.test(JSON.stringify({ log_id: '900', data: rec }))).toBe(false);
  });
});

describe('email helpers', () => {
  it('normalizes only email-looking values', () => {
    expect(normalizeEmail(' Jane.Doe@Acme.com ')).toBe('jane.doe@acme.com');
    expect(normalizeEmail('jdoe')).toBeNull();
    expect(normalizeEmail('jane@')).toBeNull();
    expect(normalizeEmail(42)).toBeNull();
  });

  it('finds the first address in text', () => {
    expect(findEmail('login for "Raj.Patel@ACME.com", then bob@acme.com.')).toBe('raj.patel@acme.com');
    expect(findEmail("user 'o.brien+test@mail.acme.co.uk' failed")).toBe('o.brien+test@mail.acme.co.uk');
    expect(findEmail('id auth0|jane@acme.com')).toBe('jane@acme.com');
    expect(findEmail('no address here @ all')).toBeNull();
  });
});

describe('parseTextLine', () => {
  it('parses a pasted webtask line with an ISO timestamp', () => {
    const e = parseTextLine('2024-05-02T10:31:07.412Z custom db login: DUPLICATED_USER Jane.Doe@Acme.com', src);
    expect(e).toMatchObject({
      type: 'console',
      format: 'text',
      description: 'custom db login: DUPLICATED_USER Jane.Doe@Acme.com',
      email: 'jane.doe@acme.com',
      codes: ['DUPLICATED_USER'],
      statusCode: null,
      userId: null,
      logId: null,
      source: src,
    });
    expect(e?.time?.toISO()).toBe('2024-05-02T10:31:07.412Z');
  });

  it('converts an offset timestamp to UTC and takes one without offset as UTC', () => {
    const a = parseTextLine('2024-05-02T12:31:07+02:00 The user already exists.', src);
    expect(a?.time?.toISO()).toBe('2024-05-02T10:31:07.000Z');
    expect(a?.time?.zoneName).toBe('UTC');
    const b = parseTextLine('[2024-05-02 10:31:07] user_exists for x@acme.com', src);
    expect(b?.time?.toISO()).toBe('2024-05-02T10:31:07.000Z');
    expect(b?.description).toBe('user_exists for x@acme.com');
  });

  it('strips a time-of-day prefix and leaves the time null', () => {
    const e = parseTextLine(
      '10:32:11 AM create user failed for raj.patel@acme.com: {"statusCode":409,"error":"Conflict","message":"The user already exists.","errorCode":"auth0_idp_error"}',
      src,
    );
    expect(e?.time).toBeNull();
    expect(e?.description.startsWith('create user failed for raj.patel@acme.com')).toBe(true);
    expect(e?.codes).toEqual(['USER_EXISTS', 'auth0_idp_error']);
    expect(e?.statusCode).toBe(409);
    expect(e?.email).toBe('raj.patel@acme.com');
  });

  it('reads `wt logs` short output with and without the colon after the level', () => {
    for (const line of [
      '[10:31:07.412Z]  INFO wt: signup sam@acme.com: {"name":"BadRequestError","code":"user_exists","description":"The user already exists.","statusCode":400}',
      '[10:31:07.412Z]  INFO: wt: signup sam@acme.com: {"name":"BadRequestError","code":"user_exists","description":"The user already exists.","statusCode":400}',
    ]) {
      const e = parseTextLine(line, src);
      expect(e?.description.startsWith('signup sam@acme.com:')).toBe(true);
      expect(e?.codes).toEqual(['USER_EXISTS']);
      expect(e?.statusCode).toBe(400);
      expect(e?.time).toBeNull();
    }
  });

  it('strips the request id and level of a Lambda console line after its time', () => {
    const e = parseTextLine('2024-05-02T12:33:10.207Z\t3f5c8e2a-7b1d-4e9f-a6c3-1d2e3f4a5b6c\tERROR\tforward failed for x@acme.com: DUPLICATED_USER', src);
    expect(e?.time?.toISO()).toBe('2024-05-02T12:33:10.207Z');
    expect(e?.description).toBe('forward failed for x@acme.com: DUPLICATED_USER');
  });

  it('returns null for lines without a marker', () => {
    expect(parseTextLine('[20:42:49.638Z]  INFO wt: connected to streaming logs (container=acme)', src)).toBeNull();
    expect(parseTextLine('connected to streaming logs', src)).toBeNull();
    expect(parseTextLine('2024-05-02T10:33:40.551Z [legacy-db] login bob@acme.com: wrong password', src)).toBeNull();
    expect(parseTextLine('   ', src)).toBeNull();
    expect(parseTextLine('', src)).toBeNull();
  });

  it('handles CR, BOM, a raw SSE data line and long lines', () => {
    expect(parseTextLine('\uFEFFuser already exists x@acme.com\r', src)?.description).toBe('user already exists x@acme.com');
    const sse = parseTextLine(
      'data: {"name":"wt","level":30,"msg":"DUPLICATED_USER li.wei@acme.com","time":"2024-05-02T10:00:00.000Z","v":0}',
      src,
    );
    expect(sse?.description).toBe('DUPLICATED_USER li.wei@acme.com');
    expect(sse?.time?.toISO()).toBe('2024-05-02T10:00:00.000Z');
    const long = parseTextLine(`DUPLICATED_USER ${'x'.repeat(5000)}`, src);
    expect(long?.description).toHaveLength(2000);
  });

  it('picks the stuck lines out of the example paste and wt output', () => {
    const read = (name: string) =>
      readFileSync(new URL(`../../examples/logs/${name}`, import.meta.url), 'utf8')
        .split('\n')
        .map((l, i) => parseTextLine(l, { file: name, line: i + 1 }))
        .filter((e) => e !== null);
    expect(read('webtask-paste.txt').map((e) => [e.email, e.codes])).toEqual([
      ['jane.doe@acme.com', ['DUPLICATED_USER']],
      ['raj.patel@acme.com', ['USER_EXISTS', 'auth0_idp_error']],
      ['li.wei@acme.com', ['USER_EXISTS']],
      ['tom.berg@acme.com', ['EMAIL_EXISTS']],
    ]);
    expect(read('wt-logs.txt').map((e) => [e.email, e.codes, e.source.line])).toEqual([
      ['sam.okafor@acme.com', ['USER_EXISTS'], 4],
      ['raj.patel@acme.com', ['USER_EXISTS'], 6],
    ]);
  });
});

describe('looksBinary', () => {
  it('rejects the binary fixture and accepts text fixtures', () => {
    expect(looksBinary(fixture('binary.bin'))).toBe(true);
    expect(looksBinary(fixture('crlf.jsonl'))).toBe(false);
    expect(looksBinary(fixture('bom.json'))).toBe(false);
    expect(looksBinary(Buffer.alloc(0))).toBe(false);
  });

  it('accepts UTF-8 text, even with a multi-byte character cut at the end', () => {
    const text = Buffer.from('cleveráguila ✓ 日本語 ', 'utf8');
    expect(looksBinary(text)).toBe(false);
    expect(looksBinary(text.subarray(0, text.length - 2))).toBe(false);
  });

  it('rejects NUL bytes and mostly-control or invalid bytes', () => {
    expect(looksBinary(Buffer.from('abc\u0000def'))).toBe(true);
    expect(looksBinary(Buffer.from('ab\u0001\u0002\u0003cdefgh'))).toBe(true);
    expect(looksBinary(Buffer.from([0x61, 0xff, 0xfe, 0x62, 0xc3, 0x28, 0x63, 0x64]))).toBe(true);
    expect(looksBinary(Buffer.from('tab\tseparated\r\nline\n'))).toBe(false);
  });
});
