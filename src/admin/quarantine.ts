import { type QuarantineItem, UnstorableError } from '../dispatch/outbox';
import { ConflictError, NotFoundError } from '../shared/errors';
import { errorText } from '../shared/logger';
import type { Services } from '../composition/services';

/** What the API and the CLI show of a quarantined item: everything but the stored sample events. */
export type QuarantineView = Omit<QuarantineItem, 'alert'> & {
  alert?: {
    id: string;
    ruleName: string;
    severity: string;
    eventCount: number;
    firstEventTime: string;
    lastEventTime: string;
    sampleEvents: number;
  };
};

const view = (item: QuarantineItem): QuarantineView => {
  const { alert, ...rest } = item;
  return {
    ...rest,
    ...(alert
      ? {
          alert: {
            id: alert.id,
            ruleName: alert.ruleName,
            severity: alert.severity,
            eventCount: alert.eventCount,
            firstEventTime: alert.firstEventTime,
            lastEventTime: alert.lastEventTime,
            sampleEvents: alert.events.length,
          },
        }
      : {}),
  };
};

/** Items set aside because they could not be stored (docs/detection-model.md, "One write, all or nothing"). */
export async function listQuarantine(services: Services): Promise<QuarantineView[]> {
  return (await services.outbox.listQuarantine(services.config.tenantId)).map(view);
}

/**
 * Writes a quarantined alert to the outbox again (its matches are already recorded), with its deliveries;
 * removes the item when it is in (or was already). A store that still refuses it keeps the item, with the
 * attempt counted and the new reason.
 */
export async function retryQuarantined(
  services: Services,
  id: string,
): Promise<{ id: string; outcome: 'written' | 'already-written' }> {
  const tenantId = services.config.tenantId;
  const item = (await services.outbox.listQuarantine(tenantId)).find((q) => q.id === id);
  if (!item) throw new NotFoundError(`quarantined item "${id}" does not exist`);
  if (!item.alert)
    throw new ConflictError(
      `quarantined item "${id}" holds no alert to write again; review it in the Intune audit log and delete it`,
    );
  try {
    const result = await services.outbox.writeAlert(
      { alert: item.alert, channels: item.channels, eventKeys: [] },
      item.channels,
    );
    await services.outbox.updateQuarantine(tenantId, id, undefined);
    return { id, outcome: result === 'created' ? 'written' : 'already-written' };
  } catch (err) {
    if (!(err instanceof UnstorableError)) throw err;
    await services.outbox.updateQuarantine(tenantId, id, {
      ...item,
      retries: item.retries + 1,
      reason: errorText(err),
    });
    throw new ConflictError(`quarantined item "${id}" is still refused by Table Storage: ${errorText(err)}`);
  }
}
