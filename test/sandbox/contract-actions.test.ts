import { readFileSync } from 'node:fs';
import { Management } from 'auth0';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACTION_NAME, ACTION_RUNTIME, ACTION_TRIGGER, actionCode, actionSecrets, bindingsWithAction } from '../../src/repair/action-code.js';
import { ACTION_BUILD_MS } from '../../src/sandbox/actions.js';
import { ACME_SCENARIO, rejection, startTestSandbox, useSandbox, type TestSandbox } from '../helpers/sandbox.js';

/**
 * Contract tests for the Actions endpoints through the official auth0 v7 SDK: the deploy path of
 * `unstick metadata action --deploy` (create, wait until built, deploy, bind to post-login without
 * unbinding what is there), the scopes, and the errors a deploy meets on a tenant.
 */

const ACME = JSON.parse(readFileSync(ACME_SCENARIO, 'utf8')) as Record<string, unknown>;
const TENANT = { ...ACME, rateLimit: undefined };
const MARKER = { marker: 'app_metadata.legacy_id', connection: 'legacy-db' };
const SECRET_VALUES = { LEGACY_API_URL: 'https://legacy.acme.test/users', LEGACY_API_TOKEN: 'sEcReT-token-42' };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sb = useSandbox(TENANT);

function createBody(name = ACTION_NAME): Management.CreateActionRequestContent {
  return {
    name,
    supported_triggers: [{ ...ACTION_TRIGGER }],
    code: actionCode(MARKER),
    runtime: ACTION_RUNTIME,
    dependencies: [],
    secrets: actionSecrets(MARKER).map((s) => ({ name: s.name, value: SECRET_VALUES[s.name as keyof typeof SECRET_VALUES] })),
  };
}

/** Polls actions.get until the action is built (what a deploy must wait for). */
async function waitUntilBuilt(id: string, timeoutMs = 3000): Promise<{ action: Management.GetActionResponseContent; seen: string[] }> {
  const seen: string[] = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const action = await sb().mgmt.actions.get(id);
    if (seen.at(-1) !== action.status) seen.push(action.status!);
    if (action.status === 'built') return { action, seen };
    if (Date.now() > deadline) throw new Error(`action ${id} still ${action.status} after ${timeoutMs} ms`);
    await sleep(10);
  }
}

/** Create, wait, deploy: an action ready to bind. */
async function deployedAction(name: string) {
  const created = await sb().mgmt.actions.create({ ...createBody(name), secrets: [] });
  await waitUntilBuilt(created.id!);
  await sb().mgmt.actions.deploy(created.id!);
  return created.id!;
}

/** Every binding of post-login, through the SDK's pages. */
async function postLoginBindings(): Promise<Management.ActionBinding[]> {
  const all: Management.ActionBinding[] = [];
  for await (const b of await sb().mgmt.actions.triggers.bindings.list('post-login')) all.push(b);
  return all;
}

describe('the deploy path, end to end through the SDK', () => {
  it('create → building → built → deploy → bind after what is bound; the secrets never come back', async () => {
    // Another team's Action is already bound to post-login.
    const mfa = await deployedAction('acme-mfa-policy');
    await sb().mgmt.actions.triggers.bindings.updateMany('post-login', { bindings: [{ ref: { type: 'action_id', value: mfa }, display_name: 'MFA policy' }] });

    // 1. Create: 201, status building, secrets by name only.
    const created = await sb().mgmt.actions.create(createBody()).withRawResponse();
    expect(created.rawResponse.status).toBe(201);
    const action = created.data;
    expect(action.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(action).toMatchObject({
      name: ACTION_NAME,
      supported_triggers: [{ id: 'post-login', version: 'v3' }],
      runtime: 'node22',
      status: 'building',
      all_changes_deployed: false,
      code: actionCode(MARKER),
    });
    expect(action.secrets).toEqual([
      { name: 'LEGACY_API_URL', updated_at: expect.any(String) },
      { name: 'LEGACY_API_TOKEN', updated_at: expect.any(String) },
    ]);
    expect(action.deployed_version).toBeUndefined();

    // 2. Wait until built (deploying earlier is a 400: see "the build, on the tenant clock"), then
    //    deploy: 202 and version 1, deployed.
    const { action: built, seen } = await waitUntilBuilt(action.id!);
    expect(seen.at(-1)).toBe('built');
    expect(built.built_at).toEqual(expect.any(String));
    const deployed = await sb().mgmt.actions.deploy(action.id!).withRawResponse();
    expect(deployed.rawResponse.status).toBe(202);
    expect(deployed.data).toMatchObject({ action_id: action.id, number: 1, deployed: true, status: 'built', runtime: 'node22', code: actionCode(MARKER), supported_triggers: [{ id: 'post-login', version: 'v3' }] });
    expect(deployed.data.secrets!.map((s) => s.name)).toEqual(['LEGACY_API_URL', 'LEGACY_API_TOKEN']);
    const after = await sb().mgmt.actions.get(action.id!);
    expect(after).toMatchObject({ all_changes_deployed: true, deployed_version: { id: deployed.data.id, number: 1, deployed: true } });

    // 3. Bind: read every binding, send them back with ours at the end.
    const current = await postLoginBindings();
    expect(current.map((b) => b.display_name)).toEqual(['MFA policy']);
    const bindings = bindingsWithAction(current, action.id!);
    const updated = await sb().mgmt.actions.triggers.bindings.updateMany('post-login', { bindings: bindings! });
    expect(updated.bindings!.map((b) => [b.display_name, b.action?.id])).toEqual([
      ['MFA policy', mfa],
      [ACTION_NAME, action.id],
    ]);
    expect(updated.bindings![0]!.id).toBe(current[0]!.id); // the existing binding is kept, not remade
    expect(updated.bindings![1]).toMatchObject({ trigger_id: 'post-login', action: { id: action.id, name: ACTION_NAME, status: 'built' } });
    expect((await postLoginBindings()).map((b) => b.action?.name)).toEqual(['acme-mfa-policy', ACTION_NAME]);
    expect(bindingsWithAction(await postLoginBindings(), action.id!)).toBeNull(); // run again: nothing to do

    // Nothing anywhere shows a secret value: answers, the state, the sapi logs.
    const state = await sb().control.state();
    const everything = JSON.stringify([state, created.data, deployed.data, after, updated]);
    expect(everything).not.toContain(SECRET_VALUES.LEGACY_API_TOKEN);
    expect(everything).not.toContain(SECRET_VALUES.LEGACY_API_URL);
    expect(state.bindings['post-login']).toEqual([
      { id: current[0]!.id, action_id: mfa, action_name: 'acme-mfa-policy', display_name: 'MFA policy' },
      { id: updated.bindings![1]!.id, action_id: action.id, action_name: ACTION_NAME, display_name: ACTION_NAME },
    ]);
    expect(state.actions.map((a: { name: string }) => a.name)).toEqual(['acme-mfa-policy', ACTION_NAME]);
    const sapi = state.logs.filter((l: { type: string }) => l.type === 'sapi').map((l: { description: string }) => l.description);
    expect(sapi).toEqual(['Create an Action', 'Deploy an Action', 'Update Trigger Bindings', 'Create an Action', 'Deploy an Action', 'Update Trigger Bindings']);
    const createLog = state.logs.filter((l: { description: string }) => l.description === 'Create an Action').at(-1);
    expect(createLog.details.request.body.secrets).toEqual([
      { name: 'LEGACY_API_URL', value: '*****' },
      { name: 'LEGACY_API_TOKEN', value: '*****' },
    ]);
  });

  it('the trap: the bindings PATCH replaces the whole list, so sending only ours unbinds the others', async () => {
    const mfa = await deployedAction('acme-mfa-policy');
    const ours = await deployedAction(ACTION_NAME);
    await sb().mgmt.actions.triggers.bindings.updateMany('post-login', { bindings: [{ ref: { type: 'action_id', value: mfa } }] });
    expect((await postLoginBindings()).map((b) => b.display_name)).toEqual(['acme-mfa-policy']); // display_name defaults to the action's name

    await sb().mgmt.actions.triggers.bindings.updateMany('post-login', { bindings: [{ ref: { type: 'action_id', value: ours }, display_name: ACTION_NAME }] });
    expect((await postLoginBindings()).map((b) => b.action?.id)).toEqual([ours]); // the MFA policy is gone

    await sb().mgmt.actions.triggers.bindings.updateMany('post-login', { bindings: [] });
    expect(await postLoginBindings()).toEqual([]);
  });

  it('list by actionName: exact names only, the way to find an action created by an earlier run', async () => {
    await sb().mgmt.actions.create({ ...createBody(), secrets: [] });
    await sb().mgmt.actions.create({ ...createBody(`${ACTION_NAME}-old`), secrets: [] });
    const page = await sb().mgmt.actions.list({ actionName: ACTION_NAME });
    expect(page.data.map((a) => a.name)).toEqual([ACTION_NAME]);
    expect(page.response).toMatchObject({ total: 1, page: 0, per_page: 50 }); // the SDK sends page=0 and per_page=50
    expect((await sb().mgmt.actions.list({ actionName: 'nobody' })).data).toEqual([]);
    expect((await sb().mgmt.actions.list()).data).toHaveLength(2);
    expect((await sb().mgmt.actions.list({ triggerId: 'post-login', deployed: true })).data).toEqual([]);
    const journal = await sb().control.journal();
    expect(journal.filter((e) => e.path === '/api/v2/actions/actions' && e.method === 'GET')[0]!.query).toMatchObject({ actionName: ACTION_NAME });
  });

  it('deploy: true at creation deploys once the build is over', async () => {
    const created = await sb().mgmt.actions.create({ ...createBody(), secrets: [], deploy: true });
    expect(created.deployed_version).toBeUndefined();
    await sleep(ACTION_BUILD_MS + 20);
    const action = await sb().mgmt.actions.get(created.id!);
    expect(action).toMatchObject({ status: 'built', all_changes_deployed: true, deployed_version: { number: 1, deployed: true } });
    // A second deploy is version 2, the first no longer deployed.
    const second = await sb().mgmt.actions.deploy(created.id!);
    expect(second).toMatchObject({ number: 2, deployed: true });
    expect((await sb().mgmt.actions.get(created.id!)).deployed_version).toMatchObject({ id: second.id, number: 2 });
  });
});

describe('the build, on the tenant clock', () => {
  let clock = Date.parse('2026-05-02T10:00:00.000Z');
  let running: TestSandbox;
  beforeAll(async () => {
    running = await startTestSandbox(TENANT, { now: () => clock });
  });
  afterAll(() => running.close());

  it('building for ACTION_BUILD_MS after creation: a deploy meanwhile is 400, then built and deployable', async () => {
    const created = await running.mgmt.actions.create(createBody());
    expect(created).toMatchObject({ status: 'building', created_at: '2026-05-02T10:00:00.000Z' });
    expect(created.built_at).toBeUndefined();

    const early = await rejection(running.mgmt.actions.deploy(created.id!));
    expect(early).toBeInstanceOf(Management.BadRequestError);
    expect(early.body).toEqual({ statusCode: 400, error: 'Bad Request', message: "A draft must be in the 'built' state before it can be deployed." });

    clock += ACTION_BUILD_MS - 1;
    expect((await running.mgmt.actions.get(created.id!)).status).toBe('building');
    clock += 1;
    const built = await running.mgmt.actions.get(created.id!);
    expect(built).toMatchObject({ status: 'built', built_at: new Date(Date.parse('2026-05-02T10:00:00.000Z') + ACTION_BUILD_MS).toISOString() });
    expect(await running.mgmt.actions.deploy(created.id!)).toMatchObject({ number: 1, deployed: true, created_at: new Date(clock).toISOString() });
  });
});

describe('errors on the deploy path', () => {
  it('binding an action that was never deployed is refused, and nothing changes', async () => {
    const mfa = await deployedAction('acme-mfa-policy');
    await sb().mgmt.actions.triggers.bindings.updateMany('post-login', { bindings: [{ ref: { type: 'action_id', value: mfa } }] });
    const draft = await sb().mgmt.actions.create({ ...createBody(), secrets: [] });
    await waitUntilBuilt(draft.id!);
    const err = await rejection(sb().mgmt.actions.triggers.bindings.updateMany('post-login', { bindings: [{ ref: { type: 'action_id', value: mfa } }, { ref: { type: 'action_id', value: draft.id! } }] }));
    expect(err).toBeInstanceOf(Management.BadRequestError);
    expect((err.body as { message: string }).message).toBe('Trying to create a binding for an action that has not been deployed yet');
    expect((await postLoginBindings()).map((b) => b.action?.id)).toEqual([mfa]);
  });

  it('unknown action ids: 404 on get and deploy; 400 in a binding; an unknown trigger: 400', async () => {
    const missing = '00000000-0000-4000-8000-000000000000';
    const get = await rejection(sb().mgmt.actions.get(missing));
    expect(get).toBeInstanceOf(Management.NotFoundError);
    expect(get.body).toEqual({ statusCode: 404, error: 'Not Found', message: 'The action does not exist.' });
    expect((await rejection(sb().mgmt.actions.deploy(missing))).statusCode).toBe(404);
    const bind = await rejection(sb().mgmt.actions.triggers.bindings.updateMany('post-login', { bindings: [{ ref: { type: 'action_id', value: missing } }] }));
    expect(bind.statusCode).toBe(400);
    const trigger = await rejection(sb().mgmt.actions.triggers.bindings.list('post-logon' as Management.ActionTriggerTypeEnum));
    expect(trigger.statusCode).toBe(400);
    expect((trigger.body as { message: string }).message).toContain('No enum match for: "post-logon"');
  });

  it('a second action with the same name: 409; the body is validated like the spec says', async () => {
    await sb().mgmt.actions.create({ ...createBody(), secrets: [] });
    const twice = await rejection(sb().mgmt.actions.create({ ...createBody(), secrets: [] }));
    expect(twice.statusCode).toBe(409);
    expect((twice.body as { message: string }).message).toBe(`An action with the name "${ACTION_NAME}" already exists.`);

    const cases: Array<[object, string]> = [
      [{ supported_triggers: [{ id: 'post-login' }] }, 'Missing required property: name'],
      [{ name: 'x' }, 'Missing required property: supported_triggers'],
      [{ name: 'x', supported_triggers: [] }, 'Array is too short (0), minimum 1'],
      [{ name: 'x', supported_triggers: [{ id: 'post-logon' }] }, 'No enum match for: "post-logon"'],
      [{ name: 'x', supported_triggers: [{ id: 'post-login' }], secrets: [{ name: 'A' }] }, 'Missing required property: value'],
      [{ name: 'x', supported_triggers: [{ id: 'post-login' }], secrets: [{ name: 'A', value: '1' }, { name: 'A', value: '2' }] }, 'listed twice'],
      [{ name: 'x', supported_triggers: [{ id: 'post-login' }], bindings: [] }, 'Additional properties not allowed: bindings'],
      [{ name: 'x', supported_triggers: [{ id: 'post-login' }], runtime: 'python3' }, 'Unsupported runtime: python3'],
    ];
    for (const [body, message] of cases) {
      const err = await rejection(sb().mgmt.actions.create(body as Management.CreateActionRequestContent));
      expect(err.statusCode, JSON.stringify(body)).toBe(400);
      expect((err.body as { message: string }).message).toContain(message);
    }
    // An empty bindings body is refused rather than read as "unbind everything".
    const empty = await rejection(sb().mgmt.actions.triggers.bindings.updateMany('post-login', {}));
    expect((empty.body as { message: string }).message).toContain('Missing required property: bindings');
  });

  it('an action for another trigger cannot be bound to post-login; the same action twice is refused', async () => {
    const created = await sb().mgmt.actions.create({ ...createBody('pre-reg'), secrets: [], supported_triggers: [{ id: 'pre-user-registration', version: 'v2' }] });
    await waitUntilBuilt(created.id!);
    await sb().mgmt.actions.deploy(created.id!);
    const wrong = await rejection(sb().mgmt.actions.triggers.bindings.updateMany('post-login', { bindings: [{ ref: { type: 'action_name', value: 'pre-reg' } }] }));
    expect((wrong.body as { message: string }).message).toContain('does not support the trigger post-login');
    const ours = await deployedAction(ACTION_NAME);
    const twice = await rejection(sb().mgmt.actions.triggers.bindings.updateMany('post-login', { bindings: [{ ref: { type: 'action_id', value: ours } }, { ref: { type: 'action_name', value: ACTION_NAME } }] }));
    expect((twice.body as { message: string }).message).toContain('already in the list');
  });
});

describe('scopes', () => {
  const scoped = useSandbox({
    ...TENANT,
    clients: [
      { client_id: 'reader', client_secret: 'reader-secret', scopes: ['read:actions'] },
      { client_id: 'creator', client_secret: 'creator-secret', scopes: ['read:actions', 'create:actions'] },
    ],
  });

  it('read:actions reads; create and deploy need create:actions; the bindings PATCH needs update:actions', async () => {
    const reader = scoped().client({ clientId: 'reader', clientSecret: 'reader-secret' });
    const creator = scoped().client({ clientId: 'creator', clientSecret: 'creator-secret' });
    expect((await reader.actions.list()).data).toEqual([]);
    expect(await reader.actions.triggers.bindings.list('post-login').then((p) => p.data)).toEqual([]);

    const denied = await rejection(reader.actions.create(createBody()));
    expect(denied).toBeInstanceOf(Management.ForbiddenError);
    expect(denied.body).toEqual({ statusCode: 403, error: 'Forbidden', message: 'Insufficient scope, expected any of: create:actions', errorCode: 'insufficient_scope' });

    const created = await creator.actions.create(createBody());
    expect((await rejection(reader.actions.deploy(created.id!))).body).toMatchObject({ message: 'Insufficient scope, expected any of: create:actions' });
    await sleep(ACTION_BUILD_MS + 20);
    await creator.actions.deploy(created.id!);
    const bind = await rejection(creator.actions.triggers.bindings.updateMany('post-login', { bindings: [{ ref: { type: 'action_id', value: created.id! } }] }));
    expect(bind.body).toMatchObject({ statusCode: 403, message: 'Insufficient scope, expected any of: update:actions' });
    expect(await reader.actions.triggers.bindings.list('post-login').then((p) => p.data)).toEqual([]);
  });

  it('the default client has the three Actions scopes', async () => {
    await sb().control.reset(TENANT);
    const state = await sb().control.state();
    expect(state.clients[0].scopes).toEqual(expect.arrayContaining(['read:actions', 'create:actions', 'update:actions']));
  });
});
