import type { TenantAdminDeps } from '../admin/tenantAdmin';
import type { Logger } from '../shared/logger';
import type { Services } from './services';

/** What the tenant use cases (src/admin/tenantAdmin.ts) take, from the home services: for the API and the CLI. */
export const tenantAdminDeps = (services: Services, log: Logger): TenantAdminDeps => ({
  ...services.admin.deps(log),
  tenants: services.tenants,
  watch: services.watch.store,
  settings: { maxLagInMinutes: services.config.watch.maxLagInMinutes, failedPolls: services.config.watch.failedPolls },
});
