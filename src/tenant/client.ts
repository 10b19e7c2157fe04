import { ManagementClient } from 'auth0';
import { InterruptedError, NotAuthorizedError, TenantUnreachableError } from '../errors.js';
import type { TenantConfig } from './config.js';
import { fromManagementError, TenantApiError } from './errors.js';
import { Pacer, type PacerOptions } from './pacer.js';
import { isNoopScript } from './scripts.js';
import type { ConnectionInfo, Identity, ImportJob, ImportJobError, TenantApi, TenantLogRecord, UserProfile } from './types.js';

export interface OpenTenantOptions {
  signal?: AbortSignal;
  pacer?: Pacer;
  /** Used when no pacer is given. */
  pacing?: PacerOptions;
  /** The fetch the pacer wraps (default: the global fetch). */
  fetch?: typeof fetch;
  timeoutSeconds?: number;
}

/** The tenant through the official SDK, with unstick's pacer as its fetch and the SDK's own retries off. */
export function openTenant(config: TenantConfig, options: OpenTenantOptions = {}): TenantApi & { pacer: Pacer } {
  const pacer = options.pacer ?? new Pacer({ ...options.pacing, ...(options.signal ? { signal: options.signal } : {}) });
  // The SDK fetches the token itself; its answer says which scopes the token carries (doctor shows them).
  let tokenScopes: string[] | null = config.auth.kind === 'token' ? scopesOfJwt(config.auth.token) : null;
  const paced = pacer.wrap(options.fetch ?? fetch);
  const watched: typeof fetch = async (input, init) => {
    const response = await paced(input, init);
    if (response.ok && new URL(input instanceof Request ? input.url : String(input)).pathname === '/oauth/token') {
      const body = (await response.clone().json().catch(() => null)) as { scope?: unknown } | null;
      if (typeof body?.scope === 'string') tokenScopes = body.scope.split(' ').filter(Boolean);
    }
    return response;
  };
  const base = {
    domain: config.domain,
    fetch: watched,
    maxRetries: 0,
    timeoutInSeconds: options.timeoutSeconds ?? 60,
  };
  const sdk =
    config.auth.kind === 'token'
      ? new ManagementClient({ ...base, token: config.auth.token })
      : new ManagementClient({ ...base, clientId: config.auth.clientId, clientSecret: config.auth.clientSecret });
  // Not the SDK's `abortSignal`: the pacer joins the run's signal to each request (see Pacer).
  const request = {};
  const host = config.domain;
  const call = async <T>(operation: string, fn: () => Promise<T>, creates = false): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      // An aborted request surfaces from the SDK as a network error: it is Ctrl+C, not the network.
      if (options.signal?.aborted) throw new InterruptedError();
      throw fromManagementError(err, operation, host, creates);
    }
  };
  const notFoundAsNull = async <T>(operation: string, fn: () => Promise<T>): Promise<T | null> => {
    try {
      return await call(operation, fn);
    } catch (err) {
      if (err instanceof TenantApiError && err.status === 404) return null;
      throw err;
    }
  };

  return {
    domain: config.domain,
    pacer,
    pacing: () => pacer.stats(),

    usersByEmail: (email) =>
      call(`look up ${email}`, async () => (await sdk.users.listUsersByEmail({ email }, request)).map((u) => toProfile(u as unknown as Record<string, unknown>))),

    getUser: (userId) => notFoundAsNull(`read user ${userId}`, async () => toProfile((await sdk.users.get(userId, {}, request)) as unknown as Record<string, unknown>)),

    deleteUser: (userId) => call(`Delete a User ${userId}`, async () => void (await sdk.users.delete(userId, request))),

    deleteConnectionUser: (connectionId, email) =>
      call(`Delete a Connection User ${email}`, async () => void (await sdk.connections.users.deleteByEmail(connectionId, { email }, request))),

    databaseConnections: () =>
      call('list database connections', async () => {
        const out: ConnectionInfo[] = [];
        const page = await sdk.connections.list({ strategy: ['auth0'] }, request);
        for await (const c of page) out.push(toConnection(c as unknown as Record<string, unknown>));
        return out;
      }),

    findConnection: async (idOrName) => {
      if (/^con_[A-Za-z0-9]+$/.test(idOrName)) {
        return notFoundAsNull(`read connection ${idOrName}`, async () => toConnection((await sdk.connections.get(idOrName, {}, request)) as unknown as Record<string, unknown>));
      }
      return call(`find connection ${idOrName}`, async () => {
        const page = await sdk.connections.list({ name: idOrName }, request);
        for await (const c of page) {
          const connection = toConnection(c as unknown as Record<string, unknown>);
          if (connection.name === idOrName) return connection;
        }
        return null;
      });
    },

    passwordChangeTicket: ({ connectionId, email }) =>
      call(`create a password-change ticket for ${email}`, async () => {
        const res = await sdk.tickets.changePassword({ connection_id: connectionId, email }, request);
        if (!res.ticket) throw new TenantApiError('Auth0 created no ticket URL', null, null, false);
        return res.ticket;
      }, true),

    createImportJob: ({ connectionId, users, externalId }) =>
      call('create an import job', async () =>
        toJob(
          (await sdk.jobs.usersImports.create(
            { users, connection_id: connectionId, upsert: false, send_completion_email: false, ...(externalId ? { external_id: externalId } : {}) },
            request,
          )) as unknown as Record<string, unknown>,
        ),
        true,
      ),

    getJob: (jobId) => call(`read job ${jobId}`, async () => toJob((await sdk.jobs.get(jobId, request)) as unknown as Record<string, unknown>)),

    jobErrors: (jobId) =>
      call(`read the errors of job ${jobId}`, async () => {
        const body = (await sdk.jobs.errors.get(jobId, request)) as unknown;
        // 204 (no errors), an array of per-user errors, or the job itself when it failed as a whole.
        if (!Array.isArray(body)) return [];
        return body.map((entry: Record<string, unknown>): ImportJobError => {
          const user = (entry.user ?? {}) as Record<string, unknown>;
          const errors = Array.isArray(entry.errors) ? (entry.errors as Array<Record<string, unknown>>) : [];
          return {
            email: typeof user.email === 'string' ? user.email.trim().toLowerCase() : null,
            errors: errors.map((e) => ({ code: String(e.code ?? ''), message: String(e.message ?? '') })),
          };
        });
      }),

    searchLogs: (q, { perPage = 100, sort = 'date:-1' } = {}) =>
      call('search the tenant logs', async () => {
        // The v7 SDK's `search` parameter is not what Auth0 reads: send `q` as Auth0 documents it.
        const page = await sdk.logs.list({ per_page: perPage, sort }, { ...request, queryParams: q ? { q } : {} });
        return logRecords(page.response);
      }),

    logsAfter: (from, take = 100) =>
      call('read the tenant logs', async () => {
        // The v7 SDK has no from/take; Auth0 ignores every other parameter in checkpoint mode.
        const page = await sdk.logs.list({}, { ...request, queryParams: { from, take } });
        return logRecords(page.response);
      }),

    createExportJob: ({ connectionId, format, fields }) =>
      call(
        'create a users export job',
        async () => toJob((await sdk.jobs.usersExports.create({ connection_id: connectionId, format, fields } as never, request)) as unknown as Record<string, unknown>),
        true,
      ),

    downloadExport: async (location) => {
      let response: Response;
      try {
        // Not through the SDK or the pacer: another host, and a signed URL must not get the bearer token.
        response = await (options.fetch ?? fetch)(location, options.signal ? { signal: options.signal } : {});
      } catch (err) {
        if (options.signal?.aborted) throw new InterruptedError();
        throw new TenantUnreachableError(`download the users export: ${new URL(location).host} cannot be reached (${(err as Error).message})`, { cause: err });
      }
      if (response.status === 403 || response.status === 410) {
        await response.body?.cancel();
        return 'expired';
      }
      if (!response.ok) throw new TenantApiError(`download the users export: ${new URL(location).host} answered ${response.status}`, response.status, null, false);
      return Buffer.from(await response.arrayBuffer());
    },

    updateMetadata: (userId, patch) =>
      call(`update the metadata of ${userId}`, async () => toProfile((await sdk.users.update(userId, patch as never, request)) as unknown as Record<string, unknown>)),

    actionByName: (name) =>
      call(`find the Action ${name}`, async () => {
        const page = await sdk.actions.list({ actionName: name } as never, request);
        const found = (page.data as unknown as Array<Record<string, unknown>>).find((a) => a.name === name);
        return found ? { id: String(found.id), status: String(found.status ?? '') } : null;
      }),

    createAction: ({ name, code, runtime, trigger, secrets }) =>
      call(
        `create the Action ${name}`,
        async () => {
          const a = (await sdk.actions.create({ name, code, runtime, supported_triggers: [trigger], dependencies: [], secrets } as never, request)) as unknown as Record<string, unknown>;
          return { id: String(a.id), status: String(a.status ?? '') };
        },
        true,
      ),

    actionStatus: (id) => call(`read the Action ${id}`, async () => String(((await sdk.actions.get(id, request)) as unknown as Record<string, unknown>).status ?? '')),

    deployAction: (id) => call(`deploy the Action ${id}`, async () => void (await sdk.actions.deploy(id, request))),

    triggerBindings: (trigger) =>
      call(`read the ${trigger} bindings`, async () => {
        const out: Array<{ id?: string; display_name?: string; action?: { id?: string } }> = [];
        const page = await sdk.actions.triggers.bindings.list(trigger as never, {} as never, request);
        for await (const b of page) out.push(b as never);
        return out;
      }),

    replaceTriggerBindings: (trigger, bindings) =>
      call(`bind the ${trigger} trigger`, async () => void (await sdk.actions.triggers.bindings.updateMany(trigger as never, { bindings } as never, request))),

    connectionOptions: (connectionId) =>
      notFoundAsNull(`read connection ${connectionId}`, async () => {
        const c = (await sdk.connections.get(connectionId, {}, request)) as unknown as Record<string, unknown>;
        return isObject(c.options) ? c.options : {};
      }),

    replaceConnectionOptions: (connectionId, next) =>
      call(`update connection ${connectionId}`, async () => {
        const c = (await sdk.connections.update(connectionId, { options: next } as never, request)) as unknown as Record<string, unknown>;
        return isObject(c.options) ? c.options : {};
      }),

    grantedScopes: async () => {
      if (tokenScopes === null && config.auth.kind === 'client-credentials') {
        // Any call fetches the token first; its answer (the scopes) is what counts, not the call's.
        try {
          await call('read the connections', async () => void (await sdk.connections.list({ take: 1 } as never, request)));
        } catch (err) {
          if (!(err instanceof NotAuthorizedError) || tokenScopes === null) throw err;
        }
      }
      return tokenScopes;
    },

    jobRecord: (jobId) => call(`read job ${jobId}`, async () => (await sdk.jobs.get(jobId, request)) as unknown as Record<string, unknown>),

    jobErrorRecords: (jobId) => call(`read the errors of job ${jobId}`, async () => ((await sdk.jobs.errors.get(jobId, request)) as unknown) ?? []),
  };
}

export function toProfile(raw: Record<string, unknown>): UserProfile {
  const identities = Array.isArray(raw.identities) ? (raw.identities as Array<Record<string, unknown>>) : [];
  return {
    user_id: String(raw.user_id ?? ''),
    email: typeof raw.email === 'string' ? raw.email : null,
    identities: identities.map(
      (i): Identity => ({ connection: String(i.connection ?? ''), provider: String(i.provider ?? ''), user_id: String(i.user_id ?? ''), isSocial: i.isSocial === true }),
    ),
    logins_count: typeof raw.logins_count === 'number' ? raw.logins_count : null,
    last_login: typeof raw.last_login === 'string' ? raw.last_login : null,
    created_at: typeof raw.created_at === 'string' ? raw.created_at : null,
    user_metadata: isObject(raw.user_metadata) ? raw.user_metadata : {},
    app_metadata: isObject(raw.app_metadata) ? raw.app_metadata : {},
    raw,
  };
}

export function toConnection(raw: Record<string, unknown>): ConnectionInfo {
  const options = isObject(raw.options) ? raw.options : {};
  return {
    id: String(raw.id ?? ''),
    name: String(raw.name ?? ''),
    strategy: String(raw.strategy ?? ''),
    customDatabase: options.enabledDatabaseCustomization === true,
    importMode: options.import_mode === true,
    legacyConnected: options.enabledDatabaseCustomization === true && !isNoopScript((options.customScripts as Record<string, unknown> | undefined)?.login),
  };
}

function toJob(raw: Record<string, unknown>): ImportJob {
  const s = isObject(raw.summary) ? raw.summary : null;
  return {
    id: String(raw.id ?? ''),
    status: String(raw.status ?? ''),
    connectionId: typeof raw.connection_id === 'string' ? raw.connection_id : null,
    location: typeof raw.location === 'string' ? raw.location : null,
    summary: s ? { inserted: Number(s.inserted ?? 0), updated: Number(s.updated ?? 0), failed: Number(s.failed ?? 0), total: Number(s.total ?? 0) } : null,
    statusDetails: typeof raw.status_details === 'string' ? raw.status_details : null,
  };
}

/** The `scope` claim of a JWT access token, without verifying it (it only says what the token claims). */
function scopesOfJwt(token: string): string[] | null {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { scope?: unknown };
    return typeof payload.scope === 'string' ? payload.scope.split(' ').filter(Boolean) : null;
  } catch {
    return null;
  }
}

/** A logs answer is an array (checkpoint, or no totals) or `{logs: [...]}`; the SDK's Page reads only the latter. */
function logRecords(body: unknown): TenantLogRecord[] {
  if (Array.isArray(body)) return body as TenantLogRecord[];
  if (isObject(body) && Array.isArray(body.logs)) return body.logs as TenantLogRecord[];
  return [];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
