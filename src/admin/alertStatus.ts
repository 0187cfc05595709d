import type { Alert } from '../dispatch/alert';
import type { Delivery } from '../dispatch/outbox';
import { NotFoundError } from '../shared/errors';
import { normaliseTenantId, type Tenant } from '../tenants/tenant';
import type { Services } from '../composition/services';
import { tenantParam } from './tenantParam';

/** An alert with its tenant's name and each channel's delivery status, as the API and the CLI show it (never a URL). */
export type AlertStatusView = Alert & { tenantName: string; deliveries: Omit<Delivery, 'etag'>[] };

/** How an alert of the home tenant is labelled when the configuration gives the home tenant no name. */
export const homeTenantLabel = 'Home tenant';

/** Outbox partitions read at once when listing across tenants. */
const parallelReads = 8;

export const toStatusView = (
  { alert, deliveries }: { alert: Alert; deliveries: Delivery[] },
  tenantName?: string,
): AlertStatusView => ({
  ...alert,
  tenantName: alert.tenantName ?? tenantName ?? alert.tenantId,
  deliveries: deliveries.map(({ etag: _etag, ...d }) => d),
});

/** The tenants whose outbox partitions an alert query reads: one (`tenant` given) or the home tenant and every registered one. */
async function scope(services: Services, tenant: string | null | undefined): Promise<{ id: string; name: string }[]> {
  const home = services.config.tenancy.homeTenantId;
  const homeName = services.config.tenantName ?? homeTenantLabel;
  const only = tenantParam(tenant, home);
  if (only === home) return [{ id: home, name: homeName }];
  if (only) {
    // A removed tenant's alerts stay until cleaned up: still listed, under its id.
    const row = await services.tenants.store.get(only);
    return [{ id: only, name: row?.displayName ?? only }];
  }
  const registered: Tenant[] = await services.tenants.store.list();
  return [
    { id: home, name: homeName },
    ...registered.filter((t) => t.id !== home).map((t) => ({ id: t.id, name: t.displayName })),
  ];
}

/**
 * The most recent alerts, newest first: of one tenant (`tenant`: a tenant id, or the home tenant's id), or of
 * the home tenant and every registered tenant together. Each alert names its tenant (`tenantId`, `tenantName`).
 */
export async function listAlertStatus(
  services: Services,
  limit: number,
  tenant?: string | null,
): Promise<AlertStatusView[]> {
  const tenants = await scope(services, tenant);
  const views: AlertStatusView[] = [];
  for (let i = 0; i < tenants.length; i += parallelReads) {
    const part = tenants.slice(i, i + parallelReads);
    const lists = await Promise.all(part.map((t) => services.outbox.listAlerts(t.id, { limit })));
    lists.forEach((list, k) => views.push(...list.map((found) => toStatusView(found, part[k].name))));
  }
  return views.sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0)).slice(0, limit);
}

/** One alert by id: in `tenant`'s outbox, or (no `tenant`) in the home tenant's, then each registered tenant's. */
export async function getAlertStatus(services: Services, id: string, tenant?: string | null): Promise<AlertStatusView> {
  const tenants = await scope(services, tenant);
  if (/^[A-Za-z0-9._-]{1,100}$/.test(id))
    for (const t of tenants) {
      const found = await services.outbox.getAlertStatus(t.id, id);
      if (found) return toStatusView(found, t.name);
    }
  throw new NotFoundError(
    `alert "${id}" is not in the outbox${tenant ? ` of tenant ${normaliseTenantId(tenant) ?? tenant}` : ''} (it may have been cleaned up after DELIVERED_RETENTION_DAYS)`,
  );
}
