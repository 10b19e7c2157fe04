import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import vm from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ACTION_NAME,
  ACTION_RUNTIME,
  ACTION_TRIGGER,
  actionCode,
  actionSecrets,
  bindingsWithAction,
  type ActionCodeOptions,
} from '../../src/repair/action-code.js';
import { UsageError } from '../../src/errors.js';

/**
 * The post-login Action is code that runs inside Auth0, so it is tested the way Auth0 runs it: the
 * generated source evaluated on its own (a fresh vm context holding only what Actions give it:
 * `exports`, `fetch`, `console`, timers, AbortController), a fake `event`, and a fake `api` that
 * records every call. Here a fake fetch is right: it stands for the legacy store's API, not for
 * unstick's own HTTP. A last group uses Node's real fetch against a local HTTP server.
 */

const URL_VALUE = 'https://legacy.example.test/api/users';
const TOKEN_VALUE = 'tok-5ecr3t-VALUE';

type FetchFn = (url: string, init: RequestInit) => Promise<unknown>;

interface Run {
  calls: Array<{ method: string; key?: string; value?: unknown }>;
  logs: string[];
  fetches: Array<{ url: string; init: RequestInit }>;
  threw: unknown;
}

function load(options: ActionCodeOptions, fetchImpl: FetchFn) {
  const exports: Record<string, unknown> = {};
  const logs: string[] = [];
  const fetches: Run['fetches'] = [];
  const context = vm.createContext({
    exports,
    console: { log: (...args: unknown[]) => logs.push(args.map(String).join(' ')) },
    fetch: (url: string, init: RequestInit) => {
      fetches.push({ url, init });
      return fetchImpl(url, init);
    },
    setTimeout,
    clearTimeout,
    AbortController,
  });
  vm.runInContext(actionCode(options), context, { filename: 'action.js' });
  const handler = exports.onExecutePostLogin as (event: unknown, api: unknown) => Promise<void>;
  expect(typeof handler).toBe('function');
  return {
    async run(event: object): Promise<Run> {
      logs.length = 0;
      fetches.length = 0;
      const calls: Run['calls'] = [];
      const api = {
        user: {
          setUserMetadata: (key: string, value: unknown) => void calls.push({ method: 'setUserMetadata', key, value }),
          setAppMetadata: (key: string, value: unknown) => void calls.push({ method: 'setAppMetadata', key, value }),
        },
        access: { deny: (...args: unknown[]) => void calls.push({ method: 'access.deny', value: args }) },
      };
      let threw: unknown;
      try {
        await handler(event, api);
      } catch (err) {
        threw = err ?? 'thrown';
      }
      return { calls, logs: [...logs], fetches: [...fetches], threw };
    },
  };
}

function event(user: Record<string, unknown>, connection = 'legacy-db', secrets: Record<string, string> = { LEGACY_API_URL: URL_VALUE, LEGACY_API_TOKEN: TOKEN_VALUE }) {
  return {
    user: { user_id: 'auth0|legacy-1001', email: 'jane.doe+x@acme.com', user_metadata: {}, app_metadata: {}, ...user },
    connection: { name: connection, strategy: 'auth0' },
    secrets,
  };
}

const json = (body: unknown, status = 200) => Promise.resolve(new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } }));

const LEGACY_ANSWER = {
  user_metadata: { language: 'fr', preferences: { theme: 'dark', beta: true } },
  app_metadata: { legacy_id: 'legacy-1001', plan: 'gold', roles: ['admin'] },
};

/** Nothing the Action logs may carry the secrets' values (the URL is a secret too). */
function expectNoSecretsLogged(run: Run) {
  for (const line of run.logs) {
    expect(line).not.toContain(TOKEN_VALUE);
    expect(line).not.toContain('legacy.example.test');
    expect(line).not.toMatch(/[\r\n]/);
    expect(line.length).toBeLessThanOrEqual(256);
  }
}

/** The login went on: nothing thrown, access never denied, no metadata written. */
function expectLoginUntouched(run: Run) {
  expect(run.threw).toBeUndefined();
  expect(run.calls).toEqual([]);
  expectNoSecretsLogged(run);
}

describe('actionCode: the generated post-login Action', () => {
  const options = { marker: 'app_metadata.legacy_id', connection: 'legacy-db' };

  it('metadata missing: fetches the legacy store (URL and bearer token from the secrets) and sets every key', async () => {
    const action = load(options, () => json(LEGACY_ANSWER));
    const run = await action.run(event({}));
    expect(run.threw).toBeUndefined();
    expect(run.fetches).toHaveLength(1);
    expect(run.fetches[0]!.url).toBe(`${URL_VALUE}?email=${encodeURIComponent('jane.doe+x@acme.com')}`);
    expect(run.fetches[0]!.url).toContain('jane.doe%2Bx%40acme.com');
    const init = run.fetches[0]!.init;
    expect(init.headers).toMatchObject({ Authorization: `Bearer ${TOKEN_VALUE}` });
    expect(init.redirect).toBe('manual'); // the token never follows a redirect elsewhere
    expect(init.signal).toBeDefined();
    expect(run.calls).toEqual([
      { method: 'setUserMetadata', key: 'language', value: 'fr' },
      { method: 'setUserMetadata', key: 'preferences', value: { theme: 'dark', beta: true } }, // nested: sent whole
      { method: 'setAppMetadata', key: 'legacy_id', value: 'legacy-1001' },
      { method: 'setAppMetadata', key: 'plan', value: 'gold' },
      { method: 'setAppMetadata', key: 'roles', value: ['admin'] },
    ]);
    expect(run.logs).toEqual(['unstick-restore-legacy-metadata: restored for auth0|legacy-1001: user_metadata [language, preferences], app_metadata [legacy_id, plan, roles]']);
    expectNoSecretsLogged(run);
  });

  it('sets only the missing first-level keys: a key the user has is never overwritten, even a nested one', async () => {
    const action = load(options, () => json(LEGACY_ANSWER));
    const run = await action.run(event({
      user_metadata: { language: 'de', preferences: { theme: 'light' } },
      app_metadata: { plan: 'silver' },
    }));
    expect(run.calls).toEqual([
      { method: 'setAppMetadata', key: 'legacy_id', value: 'legacy-1001' },
      { method: 'setAppMetadata', key: 'roles', value: ['admin'] },
    ]);
  });

  it('a user with no metadata objects at all (undefined) gets everything', async () => {
    const action = load(options, () => json({ user_metadata: { language: 'fr' } }));
    const run = await action.run(event({ user_metadata: undefined, app_metadata: undefined }));
    expect(run.calls).toEqual([{ method: 'setUserMetadata', key: 'language', value: 'fr' }]);
  });

  it('the marker present: no fetch, no change, no log', async () => {
    const action = load(options, () => json(LEGACY_ANSWER));
    const run = await action.run(event({ app_metadata: { legacy_id: 'legacy-1001' } }));
    expect(run.fetches).toEqual([]);
    expect(run.calls).toEqual([]);
    expect(run.logs).toEqual([]);
  });

  it('a nested marker is followed segment by segment; null counts as missing', async () => {
    const nested = load({ marker: 'user_metadata.legacy.id' }, () => json({ user_metadata: { legacy: { id: 7 } } }));
    expect((await nested.run(event({ user_metadata: { legacy: { id: 7 } } }))).fetches).toEqual([]);
    const partial = await nested.run(event({ user_metadata: { legacy: {} } }));
    expect(partial.fetches).toHaveLength(1);
    expect(partial.calls).toEqual([]); // user_metadata.legacy exists: not overwritten
    expect((await nested.run(event({ user_metadata: { legacy: { id: null } } }))).fetches).toHaveLength(1);
    // A marker value inherited from the prototype chain does not count.
    expect((await nested.run(event({ user_metadata: Object.create({ legacy: { id: 1 } }) }))).fetches).toHaveLength(1);
  });

  it('another connection: nothing at all; without --connection, every connection', async () => {
    const action = load(options, () => json(LEGACY_ANSWER));
    const other = await action.run(event({}, 'google-oauth2'));
    expect(other.fetches).toEqual([]);
    expect(other.calls).toEqual([]);
    expect(other.logs).toEqual([]);

    const everyone = load({ marker: 'app_metadata.legacy_id' }, () => json(LEGACY_ANSWER));
    expect((await everyone.run(event({}, 'google-oauth2'))).calls).toHaveLength(5);
  });

  it('the legacy store down (fetch rejects): the login goes on, one line without secrets', async () => {
    const action = load(options, () => Promise.reject(Object.assign(new TypeError(`fetch failed ${URL_VALUE}?token=${TOKEN_VALUE}`), { cause: { code: 'ECONNREFUSED' } })));
    const run = await action.run(event({}));
    expectLoginUntouched(run);
    expect(run.logs).toEqual(['unstick-restore-legacy-metadata: the legacy store is unreachable (TypeError ECONNREFUSED); the login goes on without restoring metadata']);
  });

  it('a 500 (or any status but 200): the login goes on', async () => {
    const action = load(options, () => json({ error: 'boom' }, 500));
    const run = await action.run(event({}));
    expectLoginUntouched(run);
    expect(run.logs).toEqual(['unstick-restore-legacy-metadata: the legacy store answered 500; the login goes on without restoring metadata']);
    for (const status of [201, 204, 302, 404]) {
      const other = await load(options, () => Promise.resolve(new Response(status === 204 ? null : '{}', { status }))).run(event({}));
      expectLoginUntouched(other);
      expect(other.logs[0]).toContain(`answered ${status}`);
    }
  });

  it('invalid JSON, JSON that is not an object, metadata that is not an object: the login goes on', async () => {
    const invalid = await load(options, () => Promise.resolve(new Response('<html>maintenance</html>', { status: 200 }))).run(event({}));
    expectLoginUntouched(invalid);
    expect(invalid.logs).toEqual(['unstick-restore-legacy-metadata: the legacy store answered something that is not JSON; the login goes on without restoring metadata']);

    for (const body of [null, [1, 2], 'text', 42]) {
      const run = await load(options, () => json(body)).run(event({}));
      expectLoginUntouched(run);
      expect(run.logs[0]).toContain('JSON that is not an object');
    }
    const badMetadata = await load(options, () => json({ user_metadata: ['x'], app_metadata: 'gold' })).run(event({}));
    expectLoginUntouched(badMetadata);
    expect(badMetadata.logs.slice(0, 2)).toEqual([
      'unstick-restore-legacy-metadata: the legacy store answered a user_metadata that is not an object; it is left alone',
      'unstick-restore-legacy-metadata: the legacy store answered a app_metadata that is not an object; it is left alone',
    ]);
  });

  it('a timeout: fetch never settles (even ignoring the signal), the request is aborted and the login goes on', async () => {
    let signal: AbortSignal | undefined;
    const action = load({ ...options, timeoutMs: 100 }, (_url, init) => {
      signal = init.signal ?? undefined;
      return new Promise(() => {}); // never resolves, never rejects
    });
    const started = Date.now();
    const run = await action.run(event({}));
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(90);
    expect(elapsed).toBeLessThan(2000);
    expect(signal?.aborted).toBe(true);
    expectLoginUntouched(run);
    expect(run.logs).toEqual(['unstick-restore-legacy-metadata: the legacy store did not answer within 100 ms; the login goes on without restoring metadata']);
  });

  it('a timeout while the body is read: aborted too', async () => {
    const action = load({ ...options, timeoutMs: 100 }, () => Promise.resolve({ status: 200, json: () => new Promise(() => {}) }));
    const run = await action.run(event({}));
    expectLoginUntouched(run);
    expect(run.logs[0]).toContain('did not answer within 100 ms');
  });

  it('a fetch that honours the signal (as the real one does) rejects with AbortError: reported as the timeout', async () => {
    const action = load({ ...options, timeoutMs: 100 }, (_url, init) =>
      new Promise((_resolve, reject) => init.signal!.addEventListener('abort', () => reject(new DOMException('This operation was aborted', 'AbortError')))));
    const run = await action.run(event({}));
    expectLoginUntouched(run);
    expect(run.logs[0]).toContain('did not answer within 100 ms');
  });

  it('secrets not set, or a user without an email: no fetch, the login goes on', async () => {
    const action = load(options, () => json(LEGACY_ANSWER));
    const noSecrets = await action.run(event({}, 'legacy-db', {}));
    expect(noSecrets.fetches).toEqual([]);
    expectLoginUntouched(noSecrets);
    expect(noSecrets.logs).toEqual(['unstick-restore-legacy-metadata: the secret LEGACY_API_URL or LEGACY_API_TOKEN is not set; auth0|legacy-1001 keeps the metadata they have']);
    const noEmail = await action.run(event({ email: undefined }));
    expect(noEmail.fetches).toEqual([]);
    expectLoginUntouched(noEmail);
  });

  it('a bug in the api object (a setter throws) is caught: nothing escapes to Auth0', async () => {
    const action = load(options, () => json(LEGACY_ANSWER));
    const exports: Record<string, unknown> = {};
    vm.runInContext(actionCode(options), vm.createContext({ exports, console: { log() {} }, fetch: () => json(LEGACY_ANSWER), setTimeout, clearTimeout, AbortController }));
    const handler = exports.onExecutePostLogin as (e: unknown, a: unknown) => Promise<void>;
    await expect(handler(event({}), { user: { setUserMetadata() { throw new Error('boom'); }, setAppMetadata() {} } })).resolves.toBeUndefined();
    // And an event without user or connection objects at all.
    expect((await action.run({ connection: { name: 'legacy-db' }, secrets: {} })).threw).toBeUndefined();
  });

  it('names Auth0 refuses ("." or "$", at any depth) are skipped, the rest restored; null values are not sent (they would delete)', async () => {
    const action = load(options, () => json({ user_metadata: { 'a.b': 1, $set: 2, ok: 3, deep: { 'x.y': 1 }, gone: null, fine: { nested: [{ k: 1 }] } } }));
    const run = await action.run(event({}));
    expect(run.calls).toEqual([
      { method: 'setUserMetadata', key: 'ok', value: 3 },
      { method: 'setUserMetadata', key: 'fine', value: { nested: [{ k: 1 }] } },
    ]);
    expect(run.logs.filter((l) => l.includes('skipped'))).toHaveLength(3);
    expectNoSecretsLogged(run);
  });

  it('nothing the profile lacks: no setter called, one line', async () => {
    const action = load(options, () => json({ app_metadata: { plan: 'gold' } }));
    const run = await action.run(event({ app_metadata: { plan: 'silver' } }));
    expect(run.calls).toEqual([]);
    expect(run.logs).toEqual(['unstick-restore-legacy-metadata: the legacy store has nothing auth0|legacy-1001 lacks']);
  });

  it('a URL secret that already has a query string gets &email=', async () => {
    const action = load(options, () => json({}));
    const run = await action.run(event({}, 'legacy-db', { LEGACY_API_URL: `${URL_VALUE}?tenant=acme`, LEGACY_API_TOKEN: TOKEN_VALUE }));
    expect(run.fetches[0]!.url).toBe(`${URL_VALUE}?tenant=acme&email=jane.doe%2Bx%40acme.com`);
  });

  it('custom secret names are read from event.secrets; the code holds no URL, token or secret value', async () => {
    const custom = { marker: 'user_metadata.crm_id', urlSecret: 'CRM_URL', tokenSecret: 'CRM_KEY', timeoutMs: 2500 };
    const src = actionCode(custom);
    expect(src).toContain('exports.onExecutePostLogin = async (event, api) =>');
    expect(src).toContain('timeoutMs: 2500');
    expect(src).not.toContain('http'); // no URL of any kind
    expect(src).not.toContain('api.access');
    expect(src).not.toContain('require(');
    const action = load(custom, () => json({ user_metadata: { crm_id: 'c-1' } }));
    const run = await action.run(event({}, 'any', { CRM_URL: URL_VALUE, CRM_KEY: TOKEN_VALUE, LEGACY_API_URL: 'https://wrong.test' }));
    expect(run.fetches[0]!.url.startsWith(URL_VALUE)).toBe(true);
    expect(run.fetches[0]!.init.headers).toMatchObject({ Authorization: `Bearer ${TOKEN_VALUE}` });
    expect(run.calls).toEqual([{ method: 'setUserMetadata', key: 'crm_id', value: 'c-1' }]);
  });

  it('is deterministic, and parses as a script of its own (what the Actions editor gets)', () => {
    expect(actionCode(options)).toBe(actionCode({ ...options }));
    expect(() => new vm.Script(actionCode(options))).not.toThrow();
  });
});

describe('actionCode: options', () => {
  it.each([
    ['', 'marker'],
    ['legacy_id', 'marker'],
    ['profile.legacy_id', 'marker'],
    ['app_metadata', 'marker'],
    ['app_metadata.', 'marker'],
    ['app_metadata.a b', 'marker'],
    ['app_metadata.x*/evil', 'marker'],
  ])('refuses the marker %j (UsageError)', (marker) => {
    expect(() => actionCode({ marker })).toThrow(UsageError);
    expect(() => actionCode({ marker })).toThrow(/dotted path under user_metadata or app_metadata/);
  });

  it('refuses a bad connection, secret names, equal secrets and a timeout outside 100-15000', () => {
    const marker = 'app_metadata.legacy_id';
    expect(() => actionCode({ marker, connection: 'legacy db' })).toThrow(/connection "legacy db"/);
    expect(() => actionCode({ marker, urlSecret: '1URL' })).toThrow(/url secret "1URL"/);
    expect(() => actionCode({ marker, tokenSecret: 'A-B' })).toThrow(/token secret "A-B"/);
    expect(() => actionCode({ marker, urlSecret: 'X', tokenSecret: 'X' })).toThrow(/must differ/);
    for (const timeoutMs of [0, 99, 15_001, 20_000, 1.5, Number.NaN]) expect(() => actionCode({ marker, timeoutMs })).toThrow(/timeout/);
    expect(() => actionCode({ marker, timeoutMs: 100 })).not.toThrow();
    expect(() => actionCode({ marker, timeoutMs: 15_000 })).not.toThrow();
  });

  it('actionSecrets: the two secret names with what goes in them; the defaults', () => {
    expect(actionSecrets({ marker: 'app_metadata.legacy_id' })).toEqual([
      { name: 'LEGACY_API_URL', description: expect.stringContaining('?email=') },
      { name: 'LEGACY_API_TOKEN', description: expect.stringContaining('Authorization: Bearer') },
    ]);
    expect(actionSecrets({ marker: 'app_metadata.legacy_id', urlSecret: 'U', tokenSecret: 'T' }).map((s) => s.name)).toEqual(['U', 'T']);
    expect(() => actionSecrets({ marker: 'nope' })).toThrow(UsageError);
    expect(ACTION_NAME).toBe('unstick-restore-legacy-metadata');
    expect(ACTION_TRIGGER).toEqual({ id: 'post-login', version: 'v3' });
    expect(ACTION_RUNTIME).toBe('node22');
  });
});

describe('bindingsWithAction: the list to PATCH (it replaces the whole list)', () => {
  const current = [
    { id: 'b-1', display_name: 'mfa', action: { id: 'act-mfa' } },
    { id: 'b-2', display_name: 'claims', action: { id: 'act-claims' } },
  ];

  it('sends back every bound action, in order, then ours', () => {
    expect(bindingsWithAction(current, 'act-ours')).toEqual([
      { ref: { type: 'action_id', value: 'act-mfa' }, display_name: 'mfa' },
      { ref: { type: 'action_id', value: 'act-claims' }, display_name: 'claims' },
      { ref: { type: 'action_id', value: 'act-ours' }, display_name: ACTION_NAME },
    ]);
    expect(bindingsWithAction([], 'act-ours', 'restore')).toEqual([{ ref: { type: 'action_id', value: 'act-ours' }, display_name: 'restore' }]);
  });

  it('null when ours is already bound (nothing to send); a binding without an action id is an error', () => {
    expect(bindingsWithAction([...current, { id: 'b-3', action: { id: 'act-ours' } }], 'act-ours')).toBeNull();
    expect(() => bindingsWithAction([{ id: 'b-9' }], 'act-ours')).toThrow(/no action.id/);
  });
});

describe('the Action with Node\'s real fetch against a local HTTP server', () => {
  let server: Server;
  let base = '';
  const seen: IncomingMessage[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push(req);
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname === '/slow') return; // never answers
      if (url.pathname === '/redirect') {
        res.writeHead(302, { location: `${base}/ok` }).end();
        return;
      }
      if (req.headers.authorization !== `Bearer ${TOKEN_VALUE}`) {
        res.writeHead(401).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ app_metadata: { legacy_id: url.searchParams.get('email') } }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const real: FetchFn = (url, init) => fetch(url, init);
  const options = { marker: 'app_metadata.legacy_id', timeoutMs: 200 };

  it('200: restored, the server saw the bearer token and the encoded email', async () => {
    const run = await load(options, real).run(event({}, 'legacy-db', { LEGACY_API_URL: `${base}/ok`, LEGACY_API_TOKEN: TOKEN_VALUE }));
    expect(run.threw).toBeUndefined();
    expect(run.calls).toEqual([{ method: 'setAppMetadata', key: 'legacy_id', value: 'jane.doe+x@acme.com' }]);
  });

  it('a server that never answers is aborted after the timeout; a redirect is not followed; a refused port is "unreachable"', async () => {
    const slow = await load(options, real).run(event({}, 'legacy-db', { LEGACY_API_URL: `${base}/slow`, LEGACY_API_TOKEN: TOKEN_VALUE }));
    expectLoginUntouched(slow);
    expect(slow.logs[0]).toContain('did not answer within 200 ms');

    const redirected = await load(options, real).run(event({}, 'legacy-db', { LEGACY_API_URL: `${base}/redirect`, LEGACY_API_TOKEN: TOKEN_VALUE }));
    expectLoginUntouched(redirected);
    expect(redirected.logs[0]).toContain('answered 302');

    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const refused = await load(options, real).run(event({}, 'legacy-db', { LEGACY_API_URL: `http://127.0.0.1:${port}/x`, LEGACY_API_TOKEN: TOKEN_VALUE }));
    expectLoginUntouched(refused);
    expect(refused.logs[0]).toMatch(/unreachable \(TypeError ECONNREFUSED\)/);
    expect(refused.logs[0]).not.toContain(String(port));
  });
});
