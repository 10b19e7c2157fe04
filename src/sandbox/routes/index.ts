import type { Route } from '../contract.js';
import type { SandboxTenant } from '../state.js';
import { actionRoutes } from './actions.js';
import { connectionRoutes } from './connections.js';
import { endUserRoutes } from './end-user.js';
import { jobRoutes } from './jobs.js';
import { logRoutes } from './logs.js';
import { ticketRoutes } from './tickets.js';
import { userRoutes } from './users.js';

/**
 * Every route the sandbox serves: the Management API endpoints it implements (docs/sandbox.md lists
 * them with scopes and errors), then the end-user simulation under /__sandbox/.
 */
export function allRoutes(tenant: SandboxTenant): Route[] {
  return [
    ...connectionRoutes(tenant),
    ...userRoutes(tenant),
    ...jobRoutes(tenant),
    ...logRoutes(tenant),
    ...ticketRoutes(tenant),
    ...actionRoutes(tenant),
    ...endUserRoutes(tenant),
  ];
}
