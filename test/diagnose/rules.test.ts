import { describe, expect, it } from 'vitest';
import { classify } from '../../src/diagnose/rules.js';
import { event } from '../helpers/events.js';

describe('classify', () => {
  it('a failed signup with "The user already exists." is USER_ALREADY_EXISTS', () => {
    expect(classify(event())).toEqual({ kind: 'USER_ALREADY_EXISTS' });
    expect(classify(event({ codes: [], description: 'THE USER ALREADY  EXISTS' }))).toEqual({ kind: 'USER_ALREADY_EXISTS' });
  });

  it('import DUPLICATED_USER is a stuck user unless Auth0 says it was provided twice in the file', () => {
    const ghost = event({ type: 'import_error', codes: ['DUPLICATED_USER'], description: 'The user already exist and upsert parameter is false' });
    expect(classify(ghost)).toEqual({ kind: 'DUPLICATED_USER' });
    const inFile = event({ type: 'import_error', codes: ['DUPLICATED_USER'], description: 'A user with this email was already provided.' });
    expect(classify(inFile)).toEqual({ inFileDuplicate: true });
  });

  it('import conflicts and email-change conflicts are supporting kinds', () => {
    expect(classify(event({ type: 'import_error', codes: ['CONFLICT_EMAIL'], description: 'x' }))).toEqual({ kind: 'IMPORT_CONFLICT' });
    expect(classify(event({ type: 'import_error', codes: ['CONFLICT_USERNAME'], description: 'x' }))).toEqual({ kind: 'IMPORT_CONFLICT' });
    expect(classify(event({ type: 'import_error', codes: ['CONFLICT'], description: 'x' }))).toEqual({ kind: 'IMPORT_CONFLICT' });
    const fce = event({ type: 'fce', codes: ['EMAIL_EXISTS'], description: 'The specified new email already exists' });
    expect(classify(fce)).toEqual({ kind: 'EMAIL_CHANGE_CONFLICT' });
  });

  it('console text with a marker counts like a log record', () => {
    expect(classify(event({ type: 'console', codes: ['DUPLICATED_USER'], description: 'migration: DUPLICATED_USER jane@acme.com' }))).toEqual({
      kind: 'DUPLICATED_USER',
    });
    expect(classify(event({ type: 'console', codes: ['USER_EXISTS', 'auth0_idp_error'], statusCode: 409, description: '{"statusCode":409}' }))).toEqual({
      kind: 'USER_ALREADY_EXISTS',
    });
  });

  it('noise is no finding: wrong password, weak password, successful login, success events', () => {
    expect(classify(event({ type: 'fp', codes: [], description: 'Wrong email or password.' }))).toBeNull();
    expect(classify(event({ type: 'fs', codes: [], description: 'Password is too weak' }))).toBeNull();
    expect(classify(event({ type: 's', codes: [], description: 'Successful login' }))).toBeNull();
    // A success record never reports a stuck user, even if its text quotes the phrase.
    expect(classify(event({ type: 'sapi', codes: ['USER_EXISTS'], description: 'Create a User: The user already exists.' }))).toBeNull();
  });
});
