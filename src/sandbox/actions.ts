import { ApiError } from './contract.js';

/**
 * The tenant's Actions, their deployed versions and the trigger bindings: what
 * `unstick metadata action --deploy` creates (create, wait until built, deploy, bind to post-login).
 * Status comes from the clock, like jobs: an action is `building` for `ACTION_BUILD_MS` after it was
 * created, then `built`. The sandbox never runs an Action: a simulated login does not execute what
 * is bound to post-login. Secret values are kept but never shown (not in answers, logs or the state).
 * docs/actions.md lists the endpoints and what is inferred.
 */

/** How long a new action stays `building` (Auth0: seconds, up to a minute with npm dependencies). */
export const ACTION_BUILD_MS = 150;
/** "Each Action may have a maximum of 50 associated versions": the oldest goes. */
export const MAX_VERSIONS = 50;
/** "Each flow may have a maximum of 20 active bound Actions." */
export const MAX_BINDINGS = 20;

/** The OAS's ActionTriggerTypeEnum. */
export const TRIGGER_IDS = [
  'post-login', 'credentials-exchange', 'pre-user-registration', 'post-user-registration', 'post-change-password',
  'send-phone-message', 'custom-phone-provider', 'custom-email-provider', 'password-reset-post-challenge',
  'custom-token-exchange', 'event-stream', 'password-hash-migration', 'login-post-identifier',
  'signup-post-identifier', 'post-credential-validation',
] as const;

export interface ActionTrigger {
  id: string;
  version: string;
}

export interface ActionDependency {
  name: string;
  version: string;
  registry_url?: string;
}

interface Secret {
  name: string;
  value: string;
  updatedAt: number;
}

interface ActionVersion {
  id: string;
  number: number;
  code: string;
  dependencies: ActionDependency[];
  runtime: string;
  secrets: Array<{ name: string; updatedAt: number }>;
  supportedTriggers: ActionTrigger[];
  createdAt: number;
}

export interface SandboxAction {
  id: string;
  name: string;
  supportedTriggers: ActionTrigger[];
  code: string;
  dependencies: ActionDependency[];
  runtime: string;
  secrets: Secret[];
  modules?: unknown[];
  createdAt: number;
  builtAt: number;
  /** `deploy: true` at creation: a version is made when the build ends. */
  deployWhenBuilt: boolean;
  versions: ActionVersion[];
  deployedVersionId?: string;
  nextVersionNumber: number;
}

export interface NewAction {
  name: string;
  supportedTriggers: ActionTrigger[];
  code: string;
  dependencies: ActionDependency[];
  runtime: string;
  secrets: Array<{ name: string; value: string }>;
  modules?: unknown[];
  deploy: boolean;
}

interface Binding {
  id: string;
  triggerId: string;
  actionId: string;
  displayName: string;
  createdAt: number;
  updatedAt: number;
}

/** A binding to set: `ref` as the PATCH body gives it (validated by the route). */
export interface BindingRef {
  type: 'action_id' | 'action_name' | 'binding_id';
  value: string;
  displayName?: string;
}

/** Auth0's answer when a draft that is not built yet is deployed (terraform-provider-auth0#470, auth0-deploy-cli#395). */
export const NOT_BUILT = "A draft must be in the 'built' state before it can be deployed.";
/** Auth0's answer when a binding names an action with no deployed version (quoted in a third-party deploy script). */
export const NOT_DEPLOYED = 'Trying to create a binding for an action that has not been deployed yet';

const HEX = '0123456789abcdef';

export class ActionBoard {
  private readonly actions = new Map<string, SandboxAction>();
  private readonly bindingsByTrigger = new Map<string, Binding[]>();

  constructor(private readonly tenant: { now: () => number; randomId(length: number, alphabet?: string): string }) {}

  /** A UUID-shaped id (Auth0's action, version and binding ids are UUIDs), from the tenant's random source. */
  private uuid(): string {
    const h = this.tenant.randomId(32, HEX);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${'89ab'[parseInt(h[16]!, 16) % 4]}${h.slice(17, 20)}-${h.slice(20, 32)}`;
  }

  private iso(ms: number): string {
    return new Date(ms).toISOString();
  }

  create(input: NewAction): SandboxAction {
    if (this.byName(input.name)) throw new ApiError(409, `An action with the name "${input.name}" already exists.`);
    const now = this.tenant.now();
    const action: SandboxAction = {
      id: this.uuid(),
      name: input.name,
      supportedTriggers: input.supportedTriggers.map((t) => ({ ...t })),
      code: input.code,
      dependencies: input.dependencies.map((d) => ({ ...d })),
      runtime: input.runtime,
      secrets: input.secrets.map((s) => ({ name: s.name, value: s.value, updatedAt: now })),
      ...(input.modules === undefined ? {} : { modules: structuredClone(input.modules) }),
      createdAt: now,
      builtAt: now + ACTION_BUILD_MS,
      deployWhenBuilt: input.deploy,
      versions: [],
      nextVersionNumber: 1,
    };
    this.actions.set(action.id, action);
    return action;
  }

  get(id: string): SandboxAction | undefined {
    const action = this.actions.get(id);
    if (action) this.settle(action);
    return action;
  }

  byName(name: string): SandboxAction | undefined {
    for (const action of this.actions.values()) if (action.name === name) return this.settle(action);
    return undefined;
  }

  list(): SandboxAction[] {
    return [...this.actions.values()].map((a) => this.settle(a));
  }

  status(action: SandboxAction): 'building' | 'built' {
    return this.tenant.now() >= action.builtAt ? 'built' : 'building';
  }

  /** Applies `deploy: true` once the build is over, dated at the end of the build. */
  private settle(action: SandboxAction): SandboxAction {
    if (action.deployWhenBuilt && this.status(action) === 'built') {
      action.deployWhenBuilt = false;
      this.addVersion(action, action.builtAt);
    }
    return action;
  }

  /** POST /actions/actions/{id}/deploy: a new immutable version, now the deployed one. */
  deploy(action: SandboxAction): ActionVersion {
    this.settle(action);
    if (this.status(action) !== 'built') throw new ApiError(400, NOT_BUILT);
    return this.addVersion(action, this.tenant.now());
  }

  private addVersion(action: SandboxAction, at: number): ActionVersion {
    const version: ActionVersion = {
      id: this.uuid(),
      number: action.nextVersionNumber++,
      code: action.code,
      dependencies: action.dependencies.map((d) => ({ ...d })),
      runtime: action.runtime,
      secrets: action.secrets.map((s) => ({ name: s.name, updatedAt: s.updatedAt })),
      supportedTriggers: action.supportedTriggers.map((t) => ({ ...t })),
      createdAt: at,
    };
    action.versions.push(version);
    if (action.versions.length > MAX_VERSIONS) action.versions.shift();
    action.deployedVersionId = version.id;
    return version;
  }

  deployedVersion(action: SandboxAction): ActionVersion | undefined {
    return action.versions.find((v) => v.id === action.deployedVersionId);
  }

  // ------------------------------------------------------------------------------------ bindings

  bindings(triggerId: string): Binding[] {
    return this.bindingsByTrigger.get(triggerId) ?? [];
  }

  /**
   * PATCH /actions/triggers/{triggerId}/bindings: the list **replaces** the trigger's bindings (a
   * binding left out is gone). Everything is checked before anything changes.
   */
  replaceBindings(triggerId: string, refs: BindingRef[]): Binding[] {
    const current = this.bindings(triggerId);
    const now = this.tenant.now();
    const next: Binding[] = [];
    const seen = new Set<string>();
    for (const [i, ref] of refs.entries()) {
      let action: SandboxAction | undefined;
      let previous: Binding | undefined;
      if (ref.type === 'binding_id') {
        previous = current.find((b) => b.id === ref.value);
        if (!previous) throw new ApiError(400, `bindings[${i}]: no binding with the id ${ref.value} on the trigger ${triggerId}`, 'invalid_body');
        action = this.get(previous.actionId);
      } else {
        action = ref.type === 'action_id' ? this.get(ref.value) : this.byName(ref.value);
        if (!action) throw new ApiError(400, `bindings[${i}]: no action with the ${ref.type === 'action_id' ? 'id' : 'name'} ${ref.value}`, 'invalid_body');
        previous = current.find((b) => b.actionId === action!.id);
      }
      if (!action) throw new ApiError(400, `bindings[${i}]: the action of binding ${ref.value} is gone`, 'invalid_body');
      if (!action.supportedTriggers.some((t) => t.id === triggerId)) {
        throw new ApiError(400, `bindings[${i}]: the action ${action.name} does not support the trigger ${triggerId}`, 'invalid_body');
      }
      if (!this.deployedVersion(action)) throw new ApiError(400, NOT_DEPLOYED);
      if (seen.has(action.id)) throw new ApiError(400, `bindings[${i}]: the action ${action.name} is already in the list`, 'invalid_body');
      seen.add(action.id);
      const displayName = ref.displayName ?? previous?.displayName ?? action.name;
      next.push(
        previous
          ? { ...previous, displayName, updatedAt: previous.displayName === displayName ? previous.updatedAt : now }
          : { id: this.uuid(), triggerId, actionId: action.id, displayName, createdAt: now, updatedAt: now },
      );
    }
    if (next.length > MAX_BINDINGS) throw new ApiError(400, `A trigger can have at most ${MAX_BINDINGS} bound actions`, 'invalid_body');
    this.bindingsByTrigger.set(triggerId, next);
    return next;
  }

  // ------------------------------------------------------------------------------------ views

  /** The API's Action object (secrets by name only). */
  view(action: SandboxAction): Record<string, unknown> {
    this.settle(action);
    const status = this.status(action);
    const deployed = this.deployedVersion(action);
    return {
      id: action.id,
      name: action.name,
      supported_triggers: action.supportedTriggers.map((t) => ({ ...t })),
      // Without an update endpoint, the draft only differs from the deployed version before the first deploy.
      all_changes_deployed: deployed !== undefined,
      created_at: this.iso(action.createdAt),
      updated_at: this.iso(status === 'built' ? action.builtAt : action.createdAt),
      code: action.code,
      dependencies: action.dependencies.map((d) => ({ ...d })),
      runtime: action.runtime,
      secrets: action.secrets.map((s) => ({ name: s.name, updated_at: this.iso(s.updatedAt) })),
      ...(deployed ? { deployed_version: this.versionView(action, deployed) } : {}),
      status,
      ...(status === 'built' ? { built_at: this.iso(action.builtAt) } : {}),
      ...(action.modules === undefined ? {} : { modules: structuredClone(action.modules) }),
    };
  }

  /** The API's ActionVersion object (what deploy answers). */
  versionView(action: SandboxAction, version: ActionVersion): Record<string, unknown> {
    return {
      id: version.id,
      action_id: action.id,
      code: version.code,
      dependencies: version.dependencies.map((d) => ({ ...d })),
      deployed: version.id === action.deployedVersionId,
      runtime: version.runtime,
      secrets: version.secrets.map((s) => ({ name: s.name, updated_at: this.iso(s.updatedAt) })),
      status: 'built',
      number: version.number,
      errors: [],
      action: {
        id: action.id,
        name: action.name,
        supported_triggers: action.supportedTriggers.map((t) => ({ ...t })),
        all_changes_deployed: true,
        created_at: this.iso(action.createdAt),
        updated_at: this.iso(action.builtAt),
      },
      built_at: this.iso(version.createdAt),
      created_at: this.iso(version.createdAt),
      updated_at: this.iso(version.createdAt),
      supported_triggers: version.supportedTriggers.map((t) => ({ ...t })),
    };
  }

  bindingView(binding: Binding): Record<string, unknown> {
    const action = this.actions.get(binding.actionId);
    return {
      id: binding.id,
      trigger_id: binding.triggerId,
      display_name: binding.displayName,
      ...(action ? { action: this.view(action) } : {}),
      created_at: this.iso(binding.createdAt),
      updated_at: this.iso(binding.updatedAt),
    };
  }

  /** For /__sandbox/state: every action (secrets by name) and each trigger's bindings, in order. */
  snapshot(): { actions: unknown[]; bindings: Record<string, unknown[]> } {
    return {
      actions: this.list().map((a) => this.view(a)),
      bindings: Object.fromEntries(
        [...this.bindingsByTrigger].map(([trigger, list]) => [
          trigger,
          list.map((b) => ({ id: b.id, action_id: b.actionId, action_name: this.actions.get(b.actionId)?.name, display_name: b.displayName })),
        ]),
      ),
    };
  }
}
