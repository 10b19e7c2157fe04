import type { Route } from '../http.js';
import type { Tenant } from '../state.js';
import { endUserRoutes } from './end-user.js';
import { managementRoutes } from './management.js';

export function allRoutes(tenant: Tenant): Route[] {
  return [...managementRoutes(tenant), ...endUserRoutes(tenant)];
}
