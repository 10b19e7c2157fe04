import { describe, expect, it } from 'vitest';
import { ApiError } from '../../src/sandbox/http.js';
import { compileQuery, compareDigits } from '../../src/sandbox/query.js';

const jane = {
  user_id: 'auth0|legacy-1001',
  email: 'jane.doe@acme.com',
  name: 'Jane Doe',
  logins_count: 3,
  created_at: '2024-05-01T09:00:00.000Z',
  identities: [
    { connection: 'legacy-db', provider: 'auth0', user_id: 'legacy-1001', isSocial: false },
    { connection: 'google-oauth2', provider: 'google-oauth2', user_id: '1234', isSocial: true },
  ],
  app_metadata: { migrated: true, plan: 'gold' },
  user_metadata: { language: 'fr' },
};

const fsLog = {
  log_id: '90020240502103503118001023757000000000000000000000000000',
  date: '2024-05-02T10:35:03.118Z',
  type: 'fs',
  description: 'The user already exists.',
  connection: 'legacy-db',
  user_name: 'jane.doe@acme.com',
};

function users(q: string) {
  return compileQuery(q, 'users');
}

function logs(q: string) {
  return compileQuery(q, 'logs');
}

function rejection(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error('expected an ApiError');
}

describe('user search queries', () => {
  it('matches quoted and bare terms; normalized fields ignore case, metadata does not', () => {
    expect(users('email:"Jane.Doe@acme.com"').test(jane)).toBe(true);
    expect(users('email:"raj@acme.com"').test(jane)).toBe(false);
    expect(users('identities.connection:"google-oauth2"').test(jane)).toBe(true);
    expect(users('identities.connection:legacy').test(jane)).toBe(false);
    expect(users('app_metadata.migrated:true').test(jane)).toBe(true);
    expect(users('app_metadata.plan:Gold').test(jane)).toBe(false);
    expect(users('user_metadata.language:"fr"').test(jane)).toBe(true);
    expect(users('email.domain:"acme.com"').test(jane)).toBe(true);
    expect(users('user_id:"auth0|legacy-1001"').test(jane)).toBe(true);
  });

  it('supports prefix wildcards, ranges, _exists_, AND / OR / NOT and parentheses', () => {
    expect(users('email:jane*').test(jane)).toBe(true);
    expect(users('email:raj*').test(jane)).toBe(false);
    expect(users('logins_count:[3 TO *]').test(jane)).toBe(true);
    expect(users('logins_count:{3 TO *]').test(jane)).toBe(false);
    expect(users('created_at:[2024-05-01 TO 2024-05-02]').test(jane)).toBe(true);
    expect(users('_exists_:app_metadata.plan').test(jane)).toBe(true);
    expect(users('_exists_:app_metadata.missing').test(jane)).toBe(false);
    expect(users('identities.connection:"legacy-db" AND NOT app_metadata.migrated:true').test(jane)).toBe(false);
    expect(users('email:"x@y.com" OR (name:"jane doe" AND logins_count:3)').test(jane)).toBe(true);
  });

  it('exposes the exact email so the search can use the email index', () => {
    expect(users('email:"Jane.Doe@acme.com" AND identities.connection:"legacy-db"').exactEmail).toBe('jane.doe@acme.com');
    expect(users('email:jane*').exactEmail).toBeUndefined();
    expect(users('email:"a@b.co" OR email:"c@d.co"').exactEmail).toBeUndefined();
  });

  it('answers unsupported syntax with 400 invalid_query_string and a clear message', () => {
    const free = rejection(() => users('jane'));
    expect(free.status).toBe(400);
    expect(free.errorCode).toBe('invalid_query_string');
    expect(free.message).toBe('Unsupported query syntax "jane": free-text search is not supported, use field:value');
    expect(rejection(() => users('email:*doe@acme.com')).message).toBe('Unsupported wildcard "*doe@acme.com": user search supports only a trailing * (prefix search)');
    expect(rejection(() => users('user_metadata.language:f*')).message).toBe('Wildcard searches are not available on user_metadata fields');
    expect(rejection(() => users('password:"x"')).message).toMatch(/^Unsupported query field "password" for users/);
    expect(rejection(() => users('email:"a@b.co" email:"c@d.co"')).message).toMatch(/terms must be joined with AND or OR/);
    expect(rejection(() => users('(email:"a@b.co"')).message).toBe('Unsupported query syntax: missing ")"');
    expect(rejection(() => users('email:"a@b.co')).message).toBe('Unsupported query syntax: unterminated quote after email:');
  });
});

describe('log search queries', () => {
  it('matches type, description with wildcards anywhere, case-sensitively', () => {
    expect(logs('type:fs AND description:"The user already exists."').test(fsLog)).toBe(true);
    expect(logs('description:*already*').test(fsLog)).toBe(true);
    expect(logs('description:*Already*').test(fsLog)).toBe(false);
    expect(logs('type:f*').test(fsLog)).toBe(true);
    expect(logs('type:s*').test(fsLog)).toBe(false);
    expect(logs('user_name:"jane.doe@acme.com" AND connection:"legacy-db"').test(fsLog)).toBe(true);
  });

  it('compares log_id ranges numerically and date ranges as dates', () => {
    expect(logs(`log_id:[${fsLog.log_id} TO *]`).test(fsLog)).toBe(true);
    expect(logs(`log_id:{${fsLog.log_id} TO *]`).test(fsLog)).toBe(false);
    expect(logs('log_id:[90020240502103503118001023757000000000000000000000000001 TO *]').test(fsLog)).toBe(false);
    expect(logs('date:[2024-05-02 TO *]').test(fsLog)).toBe(true);
    expect(logs('date:[2024-05-03 TO *]').test(fsLog)).toBe(false);
    expect(logs('date:[2024-05-01T00:00:00Z TO 2024-05-02T10:35:03.118Z]').test(fsLog)).toBe(true);
  });

  it('rejects fields Auth0 does not index for logs and malformed ranges', () => {
    expect(rejection(() => logs('details.error:"x"')).message).toMatch(/^Unsupported query field "details.error" for logs/);
    expect(rejection(() => logs('date:[soon TO *]')).message).toBe('Unsupported query syntax: "soon" is not a date in the date range');
    expect(rejection(() => logs('date:[2024-05-01]')).message).toBe('Unsupported query syntax: a range looks like date:[A TO B]');
    expect(rejection(() => logs('   ')).message).toBe('Query validation error: the query is empty');
  });
});

describe('compareDigits', () => {
  it('orders digit strings numerically whatever their length', () => {
    expect(compareDigits('900', '1000')).toBeLessThan(0);
    expect(compareDigits('0900', '900')).toBe(0);
    expect(compareDigits('901', '900')).toBeGreaterThan(0);
  });
});
