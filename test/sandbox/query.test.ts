import { describe, expect, it } from 'vitest';
import { ApiError } from '../../src/sandbox/contract.js';
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

  it('exposes an exact connection for the connection index, and says when the index alone answers', () => {
    expect(users('identities.connection:"legacy-db"')).toMatchObject({ exactConnection: 'legacy-db', indexOnly: true });
    const anded = users('identities.connection:"legacy-db" AND app_metadata.plan:gold');
    expect(anded.exactConnection).toBe('legacy-db');
    expect(anded.indexOnly).toBeUndefined();
    expect(users('identities.connection:legacy*').exactConnection).toBeUndefined();
    expect(users('NOT identities.connection:"legacy-db"').exactConnection).toBeUndefined();
    expect(users('email:"x@y.com"')).toMatchObject({ exactEmail: 'x@y.com', indexOnly: true });
    // The email index wins when both are pinned.
    expect(users('email:"x@y.com" AND identities.connection:"legacy-db"')).toMatchObject({ exactEmail: 'x@y.com' });
  });

  it('accepts suffix wildcards with at least 3 literal characters (Auth0 v3: name:*usa yes, name:*sa no)', () => {
    expect(users('email:*@acme.com').test(jane)).toBe(true);
    expect(users('email:*@ACME.COM').test(jane)).toBe(true); // normalized field: case-insensitive
    expect(users('email:*@gmail.com').test(jane)).toBe(false);
    expect(users('name:*Doe').test(jane)).toBe(true);
    expect(users('name:*doe AND identities.connection:"legacy-db"').test(jane)).toBe(true);
    expect(users('user_id:*1001').test(jane)).toBe(true);
    expect(users('user_id:*1002').test(jane)).toBe(false);
    expect(users('nickname:*doe').test(jane)).toBe(false); // no nickname at all
    expect(rejection(() => users('name:*oe')).status).toBe(400);
    expect(rejection(() => users('user_metadata.language:*fr')).message).toBe('Wildcard searches are not available on user_metadata fields');
  });

  it('accepts free-text terms: a word, a phrase or a wildcard, matched against the normalized fields only', () => {
    expect(users('jane').test(jane)).toBe(true); // a word of the name, and of the email
    expect(users('JANE').test(jane)).toBe(true);
    expect(users('doe').test(jane)).toBe(true);
    expect(users('"jane doe"').test(jane)).toBe(true);
    expect(users('"doe jane"').test(jane)).toBe(false);
    expect(users('jane.doe@acme.com').test(jane)).toBe(true);
    expect(users('acme').test(jane)).toBe(true);
    expect(users('ja').test(jane)).toBe(false); // a word, not a substring
    expect(users('ja*').test(jane)).toBe(true);
    expect(users('*@acme.com').test(jane)).toBe(true);
    expect(users('fr').test(jane)).toBe(false); // user_metadata.language is not searched
    expect(users('gold').test(jane)).toBe(false); // nor app_metadata
    expect(users('legacy-1001').test(jane)).toBe(false); // nor user_id
    expect(users('jane AND identities.connection:"legacy-db"').test(jane)).toBe(true);
    expect(users('raj OR doe').test(jane)).toBe(true);
    expect(users('NOT jane').test(jane)).toBe(false);
    expect(rejection(() => users('*ne')).status).toBe(400);
    expect(rejection(() => users('"jane')).message).toBe('Unsupported query syntax: unterminated quote');
    expect(rejection(() => users('jane[1]')).message).toMatch(/quote free-text terms that contain special characters/);
  });

  it('answers unsupported syntax with 400 invalid_query_string and a clear message', () => {
    const operator = rejection(() => users('jane && doe'));
    expect(operator.status).toBe(400);
    expect(operator.errorCode).toBe('invalid_query_string');
    expect(operator.message).toBe('Unsupported query syntax "&&": use AND, OR and NOT');
    expect(rejection(() => users('email:*sa')).message).toBe('Unsupported wildcard "*sa": for suffix matching the literal must have 3 characters or more');
    expect(rejection(() => users('email:j*@acme.com')).message).toBe(
      'Unsupported wildcard "j*@acme.com": user search supports a trailing * (prefix) or a leading * followed by at least 3 characters (suffix)',
    );
    expect(rejection(() => users('email:*doe*')).message).toMatch(/^Unsupported wildcard "\*doe\*"/);
    expect(rejection(() => users('jan?')).message).toMatch(/^Unsupported wildcard "jan\?"/);
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

  it('bare terms match the whole value of a bare-term field (user_name, connection, client_name, type, ip, log_id, description), case-sensitively', () => {
    const rec = { ...fsLog, client_name: 'Acme Portal', ip: '203.0.113.21', user_id: 'auth0|x', connection_id: 'con_1' };
    for (const q of ['fs', 'legacy-db', 'jane.doe@acme.com', '"Acme Portal"', '203.0.113.21', fsLog.log_id, '"The user already exists."', '*already*', 'jane*', 'fs AND legacy-db', '(fs OR s) AND NOT "Acme Web"']) {
      expect(logs(q).test(rec), q).toBe(true);
    }
    for (const q of ['FS', 'already', 'Acme', '"acme portal"', 'auth0|x', 'con_1', 'Jane.Doe@acme.com', 'NOT fs']) {
      expect(logs(q).test(rec), q).toBe(false);
    }
    expect(logs('*already*').node).toEqual({ kind: 'text', value: '*already*', wildcard: true });
  });

  it('wildcards as Auth0 documents them for logs: a prefix, or at least 3 literal characters; ? is not supported', () => {
    expect(logs('type:s*').test({ ...fsLog, type: 'sapi' })).toBe(true);
    expect(logs('user_name:jane*com').test(fsLog)).toBe(true);
    expect(rejection(() => logs('user_name:*om')).message).toMatch(/^Unsupported wildcard "\*om"/);
    expect(rejection(() => logs('*om')).message).toMatch(/^Unsupported wildcard "\*om"/);
    expect(rejection(() => logs('type:f?')).message).toBe('Unsupported wildcard "f?": log search does not support ?');
  });

  it('details.<path> is searchable; other fields Auth0 does not index for logs and malformed ranges are rejected', () => {
    const rec = { ...fsLog, details: { request: { channel: 'https://manage.auth0.com/' }, error: { message: 'boom' } } };
    expect(logs('details.request.channel:"https://manage.auth0.com/"').test(rec)).toBe(true);
    expect(logs('details.error.message:boom').test(rec)).toBe(true);
    expect(logs('details.error.message:boom').test(fsLog)).toBe(false);
    expect(rejection(() => logs('details:"x"')).message).toMatch(/^Unsupported query field "details" for logs/);
    expect(rejection(() => logs('user_email:"x"')).message).toMatch(/^Unsupported query field "user_email" for logs/);
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
