import type { Alert } from '../../dispatch/alert';
import type { DeliveryStateStore } from '../../dispatch/deliveryState';
import { mayRaiseNotice, noticeAlert, noticeIdFor } from '../../dispatch/failoverNotice';
import type { Outbox } from '../../dispatch/outbox';
import type { DeliveryError } from '../../shared/errors';
import { errorText, type Logger } from '../../shared/logger';

export interface FailoverDeps {
  tenantId: string;
  outbox: Outbox;
  state: DeliveryStateStore;
  log: Logger;
  failoverChannel?: string;
  /** Whether the failover channel exists (a notice to an unknown channel would only fail). */
  isKnownChannel: (channelId: string) => boolean;
}

/**
 * Raises a notice on the failover channel for a channel that failed permanently, dead-lettered or is
 * misconfigured: once per incident (the incident stays open until a delivery to that channel succeeds),
 * through the outbox (so the notice itself is retried, and survives a crash), and never about a notice
 * or about the failover channel itself, so it cannot loop. Returns true when a notice was written.
 */
export async function raiseFailoverNotice(
  deps: FailoverDeps,
  failed: { channelId: string; alert: Alert; problem: 'failed' | 'dead' | 'misconfigured'; error: DeliveryError },
  now: Date,
): Promise<boolean> {
  const { channelId, alert, problem, error } = failed;
  if (!mayRaiseNotice(alert, channelId, deps.failoverChannel)) {
    if (!deps.failoverChannel && (alert.kind ?? 'alert') === 'alert')
      deps.log.warn(`No FAILOVER_CHANNEL is set: nobody is told that channel ${channelId} is failing`);
    return false;
  }
  const failover = deps.failoverChannel!;
  if (!deps.isKnownChannel(failover)) {
    deps.log.error(
      `FAILOVER_CHANNEL names unknown channel "${failover}": the notice about channel ${channelId} cannot be sent`,
    );
    return false;
  }
  try {
    const status = await deps.state.getChannelStatus(deps.tenantId, channelId);
    let since = status?.incidentSince;
    if (since) {
      // Open incident: its notice exists unless a crash hit between opening it and writing the notice.
      if (status?.incidentNoticeId && (await deps.outbox.getAlert(deps.tenantId, status.incidentNoticeId)))
        return false;
    } else {
      since = now.toISOString();
      if (
        !(await deps.state.openIncident(deps.tenantId, channelId, since, noticeIdFor(deps.tenantId, channelId, since)))
      )
        return false;
    }
    const pending = noticeAlert(
      deps.tenantId,
      {
        channelId,
        problem,
        reason: `${error.reason}${error.status ? ` ${error.status}` : ''}`,
        detail: error.message.slice(0, 500),
        alertId: alert.id,
        alertRuleName: alert.ruleName,
        alertSeverity: alert.severity,
        alertEventCount: alert.eventCount,
        incidentSince: since,
      },
      failover,
      now,
    );
    const written = await deps.outbox.writeAlert(pending, [failover]);
    if (written === 'created')
      deps.log.warn(
        `Channel ${channelId} is failing (${problem}): notice ${pending.alert.id} queued on failover channel ${failover}`,
      );
    return written === 'created';
  } catch (err) {
    // The failure itself is recorded on the delivery; a notice that could not be queued is retried on the next failure.
    deps.log.error(`Could not queue the failover notice for channel ${channelId}: ${errorText(err)}`);
    return false;
  }
}
