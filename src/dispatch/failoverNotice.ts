import { createHash } from 'node:crypto';
import type { Alert, DeliveryFailureNotice } from './alert';
import type { PendingAlert } from './alertAccumulator';

/** The rule id notices carry; not a real rule, so it never matches a rule's group or realert state. */
export const noticeRuleId = 'delivery-failure-notice';

/** Deterministic: one notice per (channel, incident), whichever run raises it. */
export const noticeIdFor = (tenantId: string, channelId: string, incidentSince: string): string =>
  createHash('sha256').update(`${tenantId}|notice|${channelId}|${incidentSince}`).digest('hex').slice(0, 32);

/**
 * Whether a delivery problem on `channelId` may raise a notice on `failoverChannel`: never for a notice
 * itself, never for the failover channel (a notice about it could only go to it), never without one.
 */
export function mayRaiseNotice(
  alert: Pick<Alert, 'kind'>,
  channelId: string,
  failoverChannel: string | undefined,
): boolean {
  return Boolean(failoverChannel) && channelId !== failoverChannel && (alert.kind ?? 'alert') === 'alert';
}

/** The notice alert for the outbox, addressed to the failover channel only. Pure. */
export function noticeAlert(
  tenantId: string,
  notice: DeliveryFailureNotice,
  failoverChannel: string,
  now: Date,
): PendingAlert {
  const at = now.toISOString();
  return {
    alert: {
      id: noticeIdFor(tenantId, notice.channelId, notice.incidentSince),
      tenantId,
      kind: 'notice',
      ruleId: noticeRuleId,
      ruleName: `Alert delivery failing on channel ${notice.channelId}`,
      severity: notice.alertSeverity === 'critical' ? 'critical' : 'high',
      eventCount: 0,
      events: [],
      firstEventTime: at,
      lastEventTime: at,
      createdAt: at,
      notice,
    },
    channels: [failoverChannel],
    eventKeys: [],
  };
}
