import type { Route } from '../http.js';
import type { Tenant } from '../state.js';
import { connectionRoutes } from './connections.js';
import { jobRoutes } from './jobs.js';
import { logRoutes } from './logs.js';
import { ticketRoutes } from './tickets.js';
import { userRoutes } from './users.js';

/** The Management API endpoints the sandbox implements (docs/sandbox.md lists them with scopes and errors). */
export function managementRoutes(tenant: Tenant): Route[] {
  return [...connectionRoutes(tenant), ...userRoutes(tenant), ...jobRoutes(tenant), ...logRoutes(tenant), ...ticketRoutes(tenant)];
}
