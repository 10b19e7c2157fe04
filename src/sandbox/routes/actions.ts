import { TRIGGER_IDS, type ActionDependency, type ActionTrigger, type BindingRef, type NewAction } from '../actions.js';
import { ApiError, json, type Route } from '../contract.js';
import { isPlainObject } from '../profile.js';
import type { SandboxTenant } from '../state.js';
import { boolParam, intParam, logApiOperation, objectBody, payloadError, queryError, rejectUnknownKeys, route } from './common.js';

/**
 * The Actions endpoints the deploy path of `unstick metadata action --deploy` needs: create an
 * action, read it (by id, or listed by name), deploy it, and read or replace a trigger's bindings.
 * Scopes as Auth0's Management API spec gives them: reads `read:actions`, create and deploy
 * `create:actions`, the bindings PATCH `update:actions`. docs/actions.md has the details and what
 * is inferred.
 */

const CREATE_KEYS = ['name', 'supported_triggers', 'code', 'dependencies', 'runtime', 'secrets', 'modules', 'deploy'];
const TRIGGER_KEYS = ['id', 'version', 'status', 'runtimes', 'default_runtime', 'compatible_triggers', 'binding_policy'];
const BINDING_KEYS = ['ref', 'display_name', 'secrets'];
const REF_TYPES = ['binding_id', 'action_id', 'action_name'];
const DEFAULT_RUNTIME = 'node22';
/** Actions limits (docs: Actions Limitations). */
const MAX_DEPENDENCIES = 10;
const MAX_SECRETS = 30;
const MAX_SECRET_NAME = 128;
const MAX_SECRET_VALUE = 4096;

const actionNotFound = () => new ApiError(404, 'The action does not exist.');

function typeOf(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
}

function expectString(value: unknown, property: string): string {
  if (typeof value !== 'string') throw payloadError(`Expected type string but found type ${typeOf(value)}`, property);
  return value;
}

function expectArray(value: unknown, property: string): unknown[] {
  if (!Array.isArray(value)) throw payloadError(`Expected type array but found type ${typeOf(value)}`, property);
  return value;
}

function expectObject(value: unknown, property: string): Record<string, unknown> {
  if (!isPlainObject(value)) throw payloadError(`Expected type object but found type ${typeOf(value)}`, property);
  return value;
}

function pathError(detail: string, property?: string): ApiError {
  return new ApiError(400, `Path validation error: '${detail}'${property ? ` on property ${property}` : ''}`, 'invalid_uri');
}

function triggerId(raw: string | undefined, where: (detail: string, property?: string) => ApiError, property: string): string {
  if (!raw || !(TRIGGER_IDS as readonly string[]).includes(raw)) throw where(`No enum match for: "${raw ?? ''}"`, property);
  return raw;
}

function supportedTriggers(value: unknown): ActionTrigger[] {
  if (value === undefined) throw payloadError('Missing required property: supported_triggers');
  const list = expectArray(value, 'supported_triggers');
  if (list.length === 0) throw payloadError('Array is too short (0), minimum 1', 'supported_triggers');
  if (list.length > 1) throw new ApiError(400, 'An action can only target a single trigger at a time.', 'invalid_body');
  return list.map((item, i) => {
    const t = expectObject(item, `supported_triggers[${i}]`);
    rejectUnknownKeys(t, TRIGGER_KEYS);
    const id = triggerId(t.id === undefined ? undefined : expectString(t.id, `supported_triggers[${i}].id`), payloadError, `supported_triggers[${i}].id`);
    const version = t.version === undefined ? (id === 'post-login' ? 'v3' : 'v2') : expectString(t.version, `supported_triggers[${i}].version`);
    if (!/^v\d+$/.test(version)) throw payloadError(`String does not match pattern ^v[0-9]+$: ${version}`, `supported_triggers[${i}].version`);
    return { id, version };
  });
}

function dependencies(value: unknown): ActionDependency[] {
  if (value === undefined) return [];
  const list = expectArray(value, 'dependencies');
  if (list.length > MAX_DEPENDENCIES) throw new ApiError(400, `An action may have at most ${MAX_DEPENDENCIES} npm modules`, 'invalid_body');
  return list.map((item, i) => {
    const d = expectObject(item, `dependencies[${i}]`);
    rejectUnknownKeys(d, ['name', 'version', 'registry_url']);
    for (const key of ['name', 'version']) if (d[key] === undefined) throw payloadError(`Missing required property: ${key}`, `dependencies[${i}]`);
    const dep: ActionDependency = { name: expectString(d.name, `dependencies[${i}].name`), version: expectString(d.version, `dependencies[${i}].version`) };
    if (d.registry_url !== undefined) dep.registry_url = expectString(d.registry_url, `dependencies[${i}].registry_url`);
    return dep;
  });
}

function secrets(value: unknown): Array<{ name: string; value: string }> {
  if (value === undefined) return [];
  const list = expectArray(value, 'secrets');
  if (list.length > MAX_SECRETS) throw new ApiError(400, `An action may have at most ${MAX_SECRETS} secrets`, 'invalid_body');
  const names = new Set<string>();
  return list.map((item, i) => {
    const s = expectObject(item, `secrets[${i}]`);
    if (s.name === undefined) throw payloadError('Missing required property: name', `secrets[${i}]`);
    const name = expectString(s.name, `secrets[${i}].name`);
    if (name === '' || name.length > MAX_SECRET_NAME) throw payloadError(`String length must be 1 to ${MAX_SECRET_NAME}`, `secrets[${i}].name`);
    if (names.has(name)) throw new ApiError(400, `secrets[${i}]: the secret ${name} is listed twice`, 'invalid_body');
    names.add(name);
    if (s.value === undefined) throw payloadError('Missing required property: value', `secrets[${i}]`);
    const secret = expectString(s.value, `secrets[${i}].value`);
    if (secret.length > MAX_SECRET_VALUE) throw payloadError(`String is too long (${secret.length} chars), maximum ${MAX_SECRET_VALUE}`, `secrets[${i}].value`);
    return { name, value: secret };
  });
}

/** A request body as it is logged: every secret's value masked, at any depth (the `sapi` log must not carry them). */
function maskedSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(maskedSecrets);
  if (!isPlainObject(value)) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, v]) => [
      key,
      key === 'secrets' && Array.isArray(v) ? v.map((s) => (isPlainObject(s) && s.value !== undefined ? { ...s, value: '*****' } : s)) : maskedSecrets(v),
    ]),
  );
}

function bindingRefs(body: Record<string, unknown>): BindingRef[] {
  rejectUnknownKeys(body, ['bindings']);
  // The spec leaves `bindings` optional; an empty body is refused here rather than read as "unbind everything".
  if (body.bindings === undefined) throw payloadError('Missing required property: bindings');
  return expectArray(body.bindings, 'bindings').map((item, i) => {
    const b = expectObject(item, `bindings[${i}]`);
    rejectUnknownKeys(b, BINDING_KEYS);
    if (b.ref === undefined) throw payloadError('Missing required property: ref', `bindings[${i}]`);
    const ref = expectObject(b.ref, `bindings[${i}].ref`);
    const type = ref.type === undefined ? 'action_name' : expectString(ref.type, `bindings[${i}].ref.type`);
    if (!REF_TYPES.includes(type)) throw payloadError(`No enum match for: "${type}"`, `bindings[${i}].ref.type`);
    if (ref.value === undefined) throw payloadError('Missing required property: value', `bindings[${i}].ref`);
    const value = expectString(ref.value, `bindings[${i}].ref.value`);
    if (b.secrets !== undefined) expectArray(b.secrets, `bindings[${i}].secrets`);
    const result: BindingRef = { type: type as BindingRef['type'], value };
    if (b.display_name !== undefined) result.displayName = expectString(b.display_name, `bindings[${i}].display_name`);
    return result;
  });
}

export function actionRoutes(tenant: SandboxTenant): Route[] {
  const board = tenant.actions;
  return [
    route(tenant, 'POST', '/api/v2/actions/actions', ['create:actions'], (req) => {
      const body = objectBody(req);
      rejectUnknownKeys(body, CREATE_KEYS);
      if (body.name === undefined) throw payloadError('Missing required property: name');
      const name = expectString(body.name, 'name');
      if (name.trim() === '') throw payloadError('String is too short (0 chars), minimum 1', 'name');
      const runtime = body.runtime === undefined ? DEFAULT_RUNTIME : expectString(body.runtime, 'runtime');
      if (!/^node\d+(-actions)?$/.test(runtime)) throw new ApiError(400, `Unsupported runtime: ${runtime}`, 'invalid_body');
      if (body.deploy !== undefined && typeof body.deploy !== 'boolean') throw payloadError(`Expected type boolean but found type ${typeOf(body.deploy)}`, 'deploy');
      const input: NewAction = {
        name,
        supportedTriggers: supportedTriggers(body.supported_triggers),
        code: body.code === undefined ? '' : expectString(body.code, 'code'),
        dependencies: dependencies(body.dependencies),
        runtime,
        secrets: secrets(body.secrets),
        deploy: body.deploy === true,
      };
      if (body.modules !== undefined) input.modules = expectArray(body.modules, 'modules');
      const action = board.create(input);
      const response = json(201, board.view(action));
      logApiOperation(tenant, req, 'Create an Action', response, maskedSecrets(body));
      return response;
    }),

    route(tenant, 'GET', '/api/v2/actions/actions', ['read:actions'], (req) => {
      const q = req.query;
      const trigger = q.get('triggerId') ? triggerId(q.get('triggerId')!, queryError, 'triggerId') : null;
      const actionName = q.get('actionName');
      const deployed = q.has('deployed') ? boolParam(q, 'deployed', false) : null;
      // Every sandbox action is a custom one (none comes from the Marketplace).
      const installed = q.has('installed') ? boolParam(q, 'installed', false) : null;
      const page = intParam(q, 'page', 0, 0, Number.MAX_SAFE_INTEGER);
      const perPage = intParam(q, 'per_page', 20, 0, 100);
      const matching = board.list().filter(
        (a) =>
          (trigger === null || a.supportedTriggers.some((t) => t.id === trigger)) &&
          (!actionName || a.name === actionName) &&
          (deployed === null || (board.deployedVersion(a) !== undefined) === deployed) &&
          installed !== true,
      );
      const slice = matching.slice(page * perPage, page * perPage + perPage);
      return json(200, { total: matching.length, page, per_page: perPage, actions: slice.map((a) => board.view(a)) });
    }),

    route(tenant, 'GET', '/api/v2/actions/actions/:id', ['read:actions'], (req) => {
      const action = board.get(req.params.id ?? '');
      if (!action) throw actionNotFound();
      return json(200, board.view(action));
    }),

    route(tenant, 'POST', '/api/v2/actions/actions/:id/deploy', ['create:actions'], (req) => {
      const action = board.get(req.params.id ?? '');
      if (!action) throw actionNotFound();
      const version = board.deploy(action);
      const response = json(202, board.versionView(action, version));
      logApiOperation(tenant, req, 'Deploy an Action', response);
      return response;
    }),

    route(tenant, 'GET', '/api/v2/actions/triggers/:triggerId/bindings', ['read:actions'], (req) => {
      const trigger = triggerId(req.params.triggerId, pathError, 'triggerId');
      const page = intParam(req.query, 'page', 0, 0, Number.MAX_SAFE_INTEGER);
      const perPage = intParam(req.query, 'per_page', 20, 0, 100);
      const all = board.bindings(trigger);
      const slice = all.slice(page * perPage, page * perPage + perPage);
      return json(200, { total: all.length, page, per_page: perPage, bindings: slice.map((b) => board.bindingView(b)) });
    }),

    route(tenant, 'PATCH', '/api/v2/actions/triggers/:triggerId/bindings', ['update:actions'], (req) => {
      const trigger = triggerId(req.params.triggerId, pathError, 'triggerId');
      const body = objectBody(req);
      const refs = bindingRefs(body);
      const bindings = board.replaceBindings(trigger, refs);
      const response = json(200, { bindings: bindings.map((b) => board.bindingView(b)) });
      logApiOperation(tenant, req, 'Update Trigger Bindings', response, maskedSecrets(body));
      return response;
    }),
  ];
}
