import { tenantParam } from '../admin/tenantParam';
import { NotFoundError } from '../shared/errors';
import type { Services } from './services';

/**
 * The services a `?tenant=` (API) / `--tenant` (CLI) request works with, from the home services: the home
 * services themselves (default, `home`, or the home tenant's id: the global channels), or a registered
 * tenant's (its own partition; they see the global channels too). A tenant that is not registered is a 404,
 * so no services are built for an arbitrary id.
 */
export async function scopedServices(
  services: Services,
  tenant: string | null | undefined,
): Promise<{ services: Services; tenant: string }> {
  const home = services.config.tenancy.homeTenantId;
  const id = tenantParam(tenant, home) ?? home;
  if (id === home) return { services, tenant: 'global' };
  const row = await services.tenants.store.get(id);
  if (!row) throw new NotFoundError(`tenant ${id} is not registered (GET /api/tenants lists the registered tenants)`);
  return { services: services.tenants.forTenant(id, row.displayName), tenant: id };
}
