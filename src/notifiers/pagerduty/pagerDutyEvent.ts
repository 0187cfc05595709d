import { isWatchdogAlert, watchdogAlertParts } from '../../dispatch/watchdogAlert';
import type { Alert } from '../../dispatch/alert';
import { groupIdFor } from '../../dispatch/groupDecision';
import type { Severity } from '../../rules/alertRule';
import { caFacts, compactLine, eventFacts, type FactRow, noticeFacts } from '../content/facts';
import { auditLogUrl, plural, runbookLink, timeRange } from '../content/format';
import { alertTitle } from '../content/title';
import type { AlertEnrichment } from '../enrichment';
import { safeText } from '../teams/safeText';

/**
 * PagerDuty Events API v2 trigger event (docs/reference/alert-delivery.md §13; PagerDuty's developer
 * docs, Events API v2 "Trigger Events"): `routing_key`, `event_action`, `dedup_key`, `payload` with
 * `summary` (≤ 1,024 characters), `source`, `severity`, `timestamp`, `component`, `group`, `class`,
 * `custom_details`, plus `links`, `client`, `client_url`.
 */
export interface PagerDutyEvent {
  routing_key: string;
  event_action: 'trigger';
  dedup_key: string;
  payload: {
    summary: string;
    source: string;
    severity: 'critical' | 'error' | 'warning' | 'info';
    timestamp: string;
    component?: string;
    group?: string;
    class?: string;
    custom_details: Record<string, unknown>;
  };
  links: { href: string; text: string }[];
  client: string;
  client_url?: string;
}

export const maxSummaryChars = 1024;
export const maxDedupKeyChars = 255;

export const pagerDutySeverities: Readonly<Record<Severity, PagerDutyEvent['payload']['severity']>> = {
  critical: 'critical',
  high: 'error',
  medium: 'warning',
  low: 'info',
};

/**
 * The incident key: one per alert group (tenant + rule + group key), so later alerts of the group update
 * the open incident instead of paging again. Tests and notices get keys of their own.
 */
export function dedupKeyFor(alert: Alert, deliveryId: string): string {
  const kind = alert.kind ?? 'alert';
  const key =
    kind === 'test'
      ? `cloud-pki-alerts:test:${deliveryId}`
      : kind === 'notice' && alert.notice
        ? `cloud-pki-alerts:${alert.tenantId}:notice:${alert.notice.channelId}`
        : `cloud-pki-alerts:${alert.tenantId}:group:${groupIdFor(alert)}`;
  return key.slice(0, maxDedupKeyChars);
}

/** Fact rows as `{ label: "line; line" }`; the texts are already neutralised with safeText (as on the card). */
function factsObject(rows: FactRow[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const row of rows) {
    const value = row.lines.map((line) => line.map((s) => s.text).join('')).join('; ');
    out[row.label] = out[row.label] ? `${out[row.label]}; ${value}` : value;
  }
  return out;
}

const factLimits = { properties: 12, resources: 3, fieldLength: 256 };

export interface PagerDutyEventContext {
  routingKey: string;
  deliveryId: string;
  possibleDuplicate: boolean;
  intunePortalUrl: string;
  clientUrl?: string;
  enrichment?: AlertEnrichment;
}

/** Builds the trigger event for one alert (or digest, notice, test). Pure. */
export function buildPagerDutyEvent(alert: Alert, context: PagerDutyEventContext): PagerDutyEvent {
  const [first, ...rest] = alert.events;
  const title = safeText(alertTitle(alert), 200) || 'Cloud PKI alert';
  const ca = first?.resources.find((r) => /certificationauthority/i.test(r.type ?? '')) ?? first?.resources[0];
  const caName = safeText(ca?.displayName ?? ca?.resourceId ?? null, 120);
  const actor = first
    ? safeText(
        first.actor.userPrincipalName ?? first.actor.servicePrincipalName ?? first.actor.applicationDisplayName,
        120,
      )
    : '';
  const prefix = alert.kind === 'test' ? 'TEST' : alert.severity.toUpperCase();
  const tenantName = alert.tenantName ? safeText(alert.tenantName, 120) : '';
  const parts = [
    `${prefix}: ${title}`,
    tenantName && `tenant ${tenantName}`,
    caName && `CA ${caName}`,
    actor && `by ${actor}`,
    `${alert.eventCount} ${plural(alert.eventCount, 'event')}`,
    alert.digest ? `digest of ${alert.digest.alertIds.length} alerts` : '',
    context.possibleDuplicate ? 'possible duplicate' : '',
  ].filter(Boolean);
  const summary = Array.from(parts.join(' · ')).slice(0, maxSummaryChars).join('');
  const details: Record<string, unknown> = {
    rule: safeText(alert.ruleName, 200),
    ruleId: alert.ruleId,
    severity: alert.severity,
    events: alert.eventCount,
    time: timeRange(alert),
    alertId: alert.id,
    deliveryId: context.deliveryId,
    tenant: { id: alert.tenantId, ...(tenantName ? { displayName: tenantName } : {}) },
  };
  if (alert.ruleDescription) details.description = safeText(alert.ruleDescription, 500);
  if (alert.digest)
    details.digest = {
      alerts: alert.digest.alertIds.length,
      since: alert.digest.since,
      alertIds: alert.digest.alertIds.slice(0, 20),
    };
  if (context.possibleDuplicate) details.possibleDuplicate = true;
  if (alert.notice) details.notice = factsObject(noticeFacts(alert.notice));
  if (isWatchdogAlert(alert)) details.watchdog = safeText(watchdogAlertParts(alert).summary, 1000);
  if (first) details[alert.eventCount > 1 ? 'firstEvent' : 'event'] = factsObject(eventFacts(first, factLimits));
  const cas = context.enrichment?.cas ?? [];
  if (cas.length > 0) details.caDetails = factsObject(caFacts(cas, 256));
  if (rest.length > 0) details.otherEvents = rest.slice(0, 9).map((e) => compactLine(e, first, 256));
  const links = [{ href: auditLogUrl(context.intunePortalUrl), text: 'Intune audit log' }];
  const runbook = runbookLink(alert.runbookUrl);
  if (runbook) links.push({ href: runbook, text: 'Runbook' });
  return {
    routing_key: context.routingKey,
    event_action: 'trigger',
    dedup_key: dedupKeyFor(alert, context.deliveryId),
    payload: {
      summary,
      source: `cloud-pki-alerts (tenant ${alert.tenantId})`,
      severity: pagerDutySeverities[alert.severity] ?? 'error',
      timestamp: alert.createdAt,
      ...(caName ? { component: caName } : {}),
      group: safeText(alert.ruleId, 120),
      ...(first?.activityType ? { class: safeText(first.activityType, 200) } : {}),
      custom_details: details,
    },
    links,
    client: 'cloud-pki-alerts',
    ...(context.clientUrl ? { client_url: context.clientUrl } : {}),
  };
}
