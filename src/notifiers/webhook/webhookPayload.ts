import type { AuditEvent } from '../../audit/auditEvent';
import type { Alert } from '../../dispatch/alert';
import type { AlertEnrichment } from '../enrichment';
import { auditLogUrl, runbookLink } from '../content/format';

/** Standard Webhooks payload: `{ type, timestamp, data }` (the Standard Webhooks spec, "Payload structure"; docs/reference/alert-delivery.md §8). */
export interface WebhookPayload {
  type: string;
  timestamp: string;
  data: Record<string, unknown>;
}

export const maxWebhookPayloadBytes = 20 * 1024;

// Dot-separated [a-zA-Z0-9_] types, by lower-cased Cloud PKI activityType (docs/reference/graph-audit-events.md §3).
const typesByActivity: Record<string, string> = {
  'revokecloudcertificationauthoritycertificateasync cloudcertificationauthority': 'pkica.ca.revoked',
  'delete cloudcertificationauthority': 'pkica.ca.deleted',
  'changecloudcertificationauthoritystatusasync cloudcertificationauthority': 'pkica.ca.status_changed',
  'uploadexternallysignedcertificationauthoritycertificateasync cloudcertificationauthority':
    'pkica.ca.external_certificate_uploaded',
  'create cloudcertificationauthority': 'pkica.ca.created',
  'patch cloudcertificationauthority': 'pkica.ca.updated',
  'revokeleafcertasync cloudcertificationauthorityleafcertificate': 'pkica.leaf.revoked',
};

/** The event type of an alert: by its first event's activity, `pkica.alert` otherwise. */
export function webhookTypeFor(alert: Alert): string {
  if (alert.kind === 'test') return 'pkica.test';
  if (alert.kind === 'notice') return 'pkica.delivery.failing';
  return typesByActivity[(alert.events[0]?.activityType ?? '').toLowerCase()] ?? 'pkica.alert';
}

/** A thin event: ids, times, who and which resources (raw Graph values: receivers must treat them as data). */
function thinEvent(e: AuditEvent) {
  return {
    id: e.id,
    activityDateTime: e.activityDateTime,
    activityType: e.activityType,
    activityResult: e.activityResult,
    correlationId: e.correlationId,
    actor: {
      userPrincipalName: e.actor.userPrincipalName,
      applicationId: e.actor.applicationId,
      type: e.actor.type,
      ipAddress: e.actor.ipAddress,
    },
    resources: e.resources.map((r) => ({
      resourceId: r.resourceId,
      displayName: r.displayName,
      type: r.type,
      modifiedProperties: r.modifiedProperties,
    })),
  };
}

/**
 * Builds the payload, dropping sample events (then CA details) until it is at most 20 KB; the count of
 * events is always exact and `eventsOmitted` says how many matched events are not included.
 */
export function buildWebhookPayload(
  alert: Alert,
  context: { deliveryId: string; possibleDuplicate: boolean; intunePortalUrl: string; enrichment?: AlertEnrichment },
): string {
  const runbook = runbookLink(alert.runbookUrl);
  const make = (events: AuditEvent[], withCa: boolean): string => {
    const data: Record<string, unknown> = {
      alertId: alert.id,
      deliveryId: context.deliveryId,
      kind: alert.kind ?? 'alert',
      tenantId: alert.tenantId,
      // Whose Intune: the registered tenant's display name (null for a single-tenant deployment's home tenant).
      tenant: { id: alert.tenantId, displayName: alert.tenantName ?? null },
      ruleId: alert.ruleId,
      ruleName: alert.ruleName,
      severity: alert.severity,
      eventCount: alert.eventCount,
      firstEventTime: alert.firstEventTime,
      lastEventTime: alert.lastEventTime,
      possibleDuplicate: context.possibleDuplicate,
      links: { intuneAuditLog: auditLogUrl(context.intunePortalUrl), ...(runbook ? { runbook } : {}) },
      events: events.map(thinEvent),
      eventsOmitted: alert.eventCount - events.length,
    };
    if (alert.digest) data.digest = alert.digest;
    if (alert.notice) data.notice = alert.notice;
    if (withCa && context.enrichment?.cas.length) data.certificationAuthorities = context.enrichment.cas;
    return JSON.stringify({ type: webhookTypeFor(alert), timestamp: alert.createdAt, data } satisfies WebhookPayload);
  };
  for (const count of [alert.events.length, 3, 1, 0]) {
    const body = make(alert.events.slice(0, count), true);
    if (Buffer.byteLength(body) <= maxWebhookPayloadBytes) return body;
  }
  return make([], false);
}
