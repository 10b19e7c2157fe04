import { describe, expect, it } from 'vitest';
import { InterruptedError } from '../../src/errors.js';
import { abortableSleep, decideRetry, isRepeatable, networkFailure } from '../../src/tenant/pacer.js';

const url = new URL('https://acme.auth0.com/api/v2/users/x');

describe('the retry policy', () => {
  it('waits on 429 for every method; repeats 5xx and 408 only when repeating cannot repeat harm', () => {
    expect(decideRetry(429, false)).toBe('rate-limit');
    expect(decideRetry(503, true)).toBe('retry');
    expect(decideRetry(408, true)).toBe('retry');
    expect(decideRetry(503, false)).toBe('done');
    expect(decideRetry(404, true)).toBe('done');
    expect(decideRetry(200, true)).toBe('done');
  });

  it('POSTs that create are not repeatable; the token request is', () => {
    expect(isRepeatable('POST', new URL('https://a.auth0.com/api/v2/jobs/users-imports'))).toBe(false);
    expect(isRepeatable('POST', new URL('https://a.auth0.com/oauth/token'))).toBe(true);
    for (const m of ['GET', 'DELETE', 'PATCH', 'PUT']) expect(isRepeatable(m, url)).toBe(true);
  });

  it('tells network failures apart: not sent (safe), fatal (no retry helps), or maybe sent', () => {
    const err = (code: string) => Object.assign(new TypeError('fetch failed'), { cause: { code, message: code } });
    expect(networkFailure(err('ECONNREFUSED'), url)).toMatchObject({ notSent: true, fatal: false, message: 'acme.auth0.com refused the connection' });
    expect(networkFailure(err('ENOTFOUND'), url)).toMatchObject({ notSent: true, fatal: true });
    expect(networkFailure(err('UNABLE_TO_VERIFY_LEAF_SIGNATURE'), url)).toMatchObject({ fatal: true, message: expect.stringMatching(/not trusted/) });
    expect(networkFailure(err('ECONNRESET'), url)).toMatchObject({ notSent: false, fatal: false });
  });

  it('sleeps are cut short by an abort', async () => {
    const controller = new AbortController();
    const sleeping = abortableSleep(60_000, controller.signal);
    controller.abort();
    await expect(sleeping).rejects.toBeInstanceOf(InterruptedError);
    await expect(abortableSleep(1, controller.signal)).rejects.toBeInstanceOf(InterruptedError);
  });
});
