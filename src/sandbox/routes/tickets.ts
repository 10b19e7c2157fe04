import { ApiError, json, type Route } from '../contract.js';
import type { SandboxTenant } from '../state.js';
import { logApiOperation, objectBody, payloadError, rejectUnknownKeys, route } from './common.js';
import { connectionNotFound } from './connections.js';

const TICKET_KEYS = ['user_id', 'connection_id', 'email', 'result_url', 'client_id', 'organization_id', 'ttl_sec', 'mark_email_as_verified', 'includeEmailInRedirect', 'identity'];
const DEFAULT_TTL_SECONDS = 432_000;

/**
 * POST /api/v2/tickets/password-change: returns a URL and sends nothing (like Auth0). The URL points
 * at the sandbox; the end user "completes" it with POST /__sandbox/change-password {ticket, password}.
 * (Not `/__sandbox/reset`: that path is the control plane's tenant reset.)
 */
export function ticketRoutes(tenant: SandboxTenant): Route[] {
  return [
    route(tenant, 'POST', '/api/v2/tickets/password-change', ['create:user_tickets'], (req) => {
      const body = objectBody(req);
      rejectUnknownKeys(body, TICKET_KEYS);
      if (body.user_id !== undefined && body.connection_id !== undefined) throw new ApiError(400, 'You cannot send user_id when specifying a connection_id', 'invalid_body');
      const ttl = body.ttl_sec === undefined || body.ttl_sec === 0 ? DEFAULT_TTL_SECONDS : body.ttl_sec;
      if (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl < 0) throw payloadError('Expected type integer', 'ttl_sec');
      const userNotFound = new ApiError(404, 'User not found.', 'inexistent_user');

      let target: { connectionName: string; email: string };
      if (body.user_id !== undefined) {
        if (typeof body.user_id !== 'string') throw payloadError(`Expected type string but found type ${typeof body.user_id}`, 'user_id');
        const profile = tenant.user(body.user_id);
        if (!profile) throw userNotFound;
        const primary = profile.identities[0]!;
        if (primary.provider !== 'auth0') throw new ApiError(400, 'Password change tickets are only available for database connection users', 'invalid_body');
        target = { connectionName: primary.connection, email: profile.email };
      } else {
        if (typeof body.connection_id !== 'string' || typeof body.email !== 'string') throw payloadError('Missing required property: user_id (or connection_id and email)');
        const connection = tenant.connection(body.connection_id);
        if (!connection) throw connectionNotFound(400);
        // The store entry (a ghost counts) or, under import mode, the Get User script finds the user.
        const known = tenant.storeEntry(connection, body.email) ?? tenant.legacyVia(connection, 'get_user', body.email);
        if (!known) throw userNotFound;
        target = { connectionName: connection.name, email: body.email.toLowerCase() };
      }
      const connection = tenant.connectionNamed(target.connectionName)!;
      const ticket = tenant.issueTicket(connection, target.email, ttl);
      const response = json(201, { ticket: `${tenant.baseUrl}/__sandbox/reset-password?ticket=${ticket}` });
      logApiOperation(tenant, req, 'Create a Password Change Ticket', response, body);
      return response;
    }),
  ];
}
