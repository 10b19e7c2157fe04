import { ApiError, json, type Route } from '../contract.js';
import { isPlainObject } from '../profile.js';
import type { Connection, SandboxTenant } from '../state.js';
import { boolParam, fieldFilter, intParam, logApiOperation, objectBody, payloadError, queryError, rejectUnknownKeys, route } from './common.js';

/** The OAS's 400 for PATCH /connections/{id} when `enabledDatabaseCustomization` would change on a database with users. */
export const CUSTOMIZATION_LOCKED = 'This database contains users. You cannot change options.enabledDatabaseCustomization';

const UPDATABLE = ['options', 'display_name', 'enabled_clients', 'metadata', 'is_domain_connection', 'show_as_button', 'realms', 'authentication', 'connected_accounts'];

export function connectionNotFound(status: 400 | 404): ApiError {
  return new ApiError(status, 'The connection does not exist.', 'inexistent_connection');
}

export function connectionView(c: Connection, forList = false): Record<string, unknown> {
  const view = structuredClone(c) as unknown as Record<string, unknown>;
  if (forList) delete view.enabled_clients; // ConnectionForList has no enabled_clients
  return view;
}

export function connectionRoutes(tenant: SandboxTenant): Route[] {
  return [
    route(tenant, 'GET', '/api/v2/connections', ['read:connections'], (req) => {
      const q = req.query;
      const strategies = q.getAll('strategy');
      const name = q.get('name');
      const pick = fieldFilter(q);
      const matching = tenant.connections().filter((c) => (strategies.length === 0 || strategies.includes(c.strategy)) && (name === null || c.name === name));
      const items = (list: Connection[]) => list.map((c) => pick(connectionView(c, true)));
      // Checkpoint pagination (what the v7 SDK always sends: take=50): `{connections, next?}`.
      if (q.has('from') || q.has('take')) {
        const take = intParam(q, 'take', 50, 1, 100);
        const from = q.get('from');
        let start = 0;
        if (from) {
          start = matching.findIndex((c) => c.id === from) + 1;
          if (start === 0) throw queryError('Invalid checkpoint', 'from');
        }
        const page = matching.slice(start, start + take);
        const last = page[page.length - 1];
        const hasMore = start + take < matching.length;
        return json(200, hasMore && last ? { connections: items(page), next: last.id } : { connections: items(page) });
      }
      const page = intParam(q, 'page', 0, 0, Number.MAX_SAFE_INTEGER);
      const perPage = intParam(q, 'per_page', 50, 1, 100);
      const slice = matching.slice(page * perPage, page * perPage + perPage);
      if (!boolParam(q, 'include_totals', false)) return json(200, items(slice));
      return json(200, { start: page * perPage, limit: perPage, total: matching.length, connections: items(slice) });
    }),

    route(tenant, 'GET', '/api/v2/connections/:id', ['read:connections'], (req) => {
      const connection = tenant.connection(req.params.id ?? '');
      if (!connection) throw connectionNotFound(404);
      return json(200, fieldFilter(req.query)(connectionView(connection)));
    }),

    route(tenant, 'PATCH', '/api/v2/connections/:id', ['update:connections'], (req) => {
      const connection = tenant.connection(req.params.id ?? '');
      if (!connection) throw connectionNotFound(404);
      const body = objectBody(req);
      rejectUnknownKeys(body, UPDATABLE);
      if (body.options !== undefined) {
        if (!isPlainObject(body.options)) {
          throw payloadError('Expected type object but found type ' + (Array.isArray(body.options) ? 'array' : typeof body.options), 'options');
        }
        // A database with users cannot be switched to or from a custom database (OAS 400). `options`
        // being replaced whole, leaving the key out turns it off: that counts as a change too.
        const customized = (o: Record<string, unknown>) => o.enabledDatabaseCustomization === true;
        if (connection.strategy === 'auth0' && customized(connection.options) !== customized(body.options) && tenant.hasUsers(connection)) {
          throw new ApiError(400, CUSTOMIZATION_LOCKED);
        }
        // Auth0 replaces `options` whole: anything not sent is gone.
        connection.options = structuredClone(body.options);
      }
      if (body.display_name !== undefined) connection.display_name = String(body.display_name);
      if (body.enabled_clients !== undefined) {
        if (!Array.isArray(body.enabled_clients) || body.enabled_clients.some((c) => typeof c !== 'string')) throw payloadError('Expected type array of strings', 'enabled_clients');
        connection.enabled_clients = [...(body.enabled_clients as string[])];
      }
      if (body.realms !== undefined) {
        if (!Array.isArray(body.realms) || body.realms.some((c) => typeof c !== 'string')) throw payloadError('Expected type array of strings', 'realms');
        connection.realms = [...(body.realms as string[])];
      }
      if (body.is_domain_connection !== undefined) connection.is_domain_connection = body.is_domain_connection === true;
      const extra = connection as unknown as Record<string, unknown>;
      for (const key of ['metadata', 'show_as_button', 'authentication', 'connected_accounts']) {
        if (body[key] !== undefined) extra[key] = structuredClone(body[key]);
      }
      const response = json(200, connectionView(connection));
      logApiOperation(tenant, req, 'Update a connection', response, body);
      return response;
    }),
  ];
}
