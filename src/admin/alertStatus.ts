import type { Alert } from '../dispatch/alert';
import type { Delivery } from '../dispatch/outbox';
import { NotFoundError } from '../shared/errors';
import type { Services } from '../composition/services';

/** An alert with each channel's delivery status, as the API and the CLI show it (never a URL). */
export type AlertStatusView = Alert & { deliveries: Omit<Delivery, 'etag'>[] };

export const toStatusView = ({ alert, deliveries }: { alert: Alert; deliveries: Delivery[] }): AlertStatusView => ({
  ...alert,
  deliveries: deliveries.map(({ etag: _etag, ...d }) => d),
});

export async function listAlertStatus(services: Services, limit: number): Promise<AlertStatusView[]> {
  return (await services.outbox.listAlerts(services.config.tenantId, { limit })).map(toStatusView);
}

export async function getAlertStatus(services: Services, id: string): Promise<AlertStatusView> {
  const found = /^[A-Za-z0-9._-]{1,100}$/.test(id)
    ? await services.outbox.getAlertStatus(services.config.tenantId, id)
    : undefined;
  if (!found)
    throw new NotFoundError(
      `alert "${id}" is not in the outbox (it may have been cleaned up after DELIVERED_RETENTION_DAYS)`,
    );
  return toStatusView(found);
}
