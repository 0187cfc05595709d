import type { Alert } from '../dispatch/alert';
import { watchdogRulePrefix } from '../dispatch/watchdogAlert';
import { message } from './watchdogMessages';

/** Rule id of the operator alert for a tenant poll message that failed every attempt (or could not be read). */
export const tenantPollRuleId = `${watchdogRulePrefix}tenant-poll`;

/**
 * The operator alert for a poll message in the poison queue: it names the tenant (display name and id) when
 * the message says which, and what failed. Its id derives from the message, so a retried poison handler
 * writes it once. Pure.
 */
export function tenantPollPoisonAlert(
  homeTenantId: string,
  n: { tenantId?: string; tenantName?: string; slot?: string; reason: string; messageId: string; at: Date },
): Alert {
  // In the home tenant's outbox (that tenant's deliveries may be what fails); the text names the tenant.
  const who = n.tenantId
    ? `${n.tenantName && n.tenantName !== n.tenantId ? `${n.tenantName} (${n.tenantId})` : n.tenantId}`
    : 'an unknown tenant';
  return message(
    homeTenantId,
    tenantPollRuleId,
    `${n.tenantId ?? 'unknown'}#${n.slot ?? n.messageId}`,
    'high',
    {
      title: `Watchdog: the poll of tenant ${who} was set aside`,
      summary: `A poll of ${who}${n.slot ? ` for the interval starting ${n.slot}` : ''} did not complete and its queue message was moved to the poison queue: ${n.reason}. The other tenants are polled as usual; this tenant's next interval is polled again from its checkpoint, so nothing is skipped if that poll succeeds.`,
      whatToDo:
        'Look up the failed pollTenant invocations of this tenant in Application Insights. If every interval fails, check its sign-in (pki-alerts tenants check <id>) and Table Storage access; the poison queue tenant-polls-poison keeps the message for inspection.',
    },
    n.at.toISOString(),
    n.at.toISOString(),
  );
}
