import type { Alert } from '../../dispatch/alert';
import { auditLogUrl, runbookLink } from '../content/format';
import { alertTitle } from '../content/title';
import type { AlertEnrichment } from '../enrichment';
import { safeText } from '../teams/safeText';

/**
 * One row of the custom table (`CloudPkiAlerts_CL`), typed columns rather than one JSON blob so a Sentinel
 * analytics rule can map them to incident fields. The DCR's stream declaration
 * (infra/modules/alertLogs.bicep) lists the same columns; docs/channels.md documents them.
 */
export interface AlertLogRow {
  TimeGenerated: string;
  AlertId: string;
  DeliveryId: string;
  /** `alert`, `notice`, `test` or `watchdog`. */
  Kind: string;
  TenantId: string;
  /** The registered tenant's display name ('' when the alert names none). */
  TenantName: string;
  RuleId: string;
  RuleName: string;
  Title: string;
  Severity: string;
  ActivityType: string;
  ActivityResult: string;
  Actor: string;
  ActorIpAddress: string;
  CaName: string;
  CaId: string;
  CaStatus: string;
  EventCount: number;
  /** Events of the alert that are in its sample and did not succeed. */
  FailedSampleEvents: number;
  FirstEventTime: string;
  LastEventTime: string;
  CorrelationId: string;
  EventIds: string[];
  /** Member alert ids of a digest (empty otherwise). */
  DigestAlertIds: string[];
  PossibleDuplicate: boolean;
  IntuneAuditLogUrl: string;
  RunbookUrl: string;
}

/** Event data is untrusted: neutralised like card text (no controls or bidi, URLs defanged), capped. */
const s = (value: string | null | undefined, max = 512) => safeText(value, max);

/** Builds the row for one alert. Pure. */
export function buildLogRow(
  alert: Alert,
  context: { deliveryId: string; possibleDuplicate: boolean; intunePortalUrl: string; enrichment?: AlertEnrichment },
): AlertLogRow {
  const first = alert.events[0];
  const ca = first?.resources.find((r) => /certificationauthority/i.test(r.type ?? '')) ?? first?.resources[0];
  const details = context.enrichment?.cas.find((c) => c.id === ca?.resourceId);
  const actor = first?.actor;
  return {
    TimeGenerated: alert.createdAt,
    AlertId: alert.id,
    DeliveryId: context.deliveryId,
    Kind: alert.kind ?? 'alert',
    TenantId: alert.tenantId,
    TenantName: s(alert.tenantName, 256),
    RuleId: alert.ruleId,
    RuleName: s(alert.ruleName, 200),
    Title: s(alertTitle(alert), 200),
    Severity: alert.severity,
    ActivityType: s(first?.activityType, 200),
    ActivityResult: s(first?.activityResult, 100),
    Actor: s(actor?.userPrincipalName ?? actor?.servicePrincipalName ?? actor?.applicationDisplayName, 320),
    ActorIpAddress: s(actor?.ipAddress, 64),
    CaName: s(ca?.displayName, 256),
    CaId: s(ca?.resourceId, 128),
    CaStatus: details && 'details' in details ? s(details.details.status, 32) : '',
    EventCount: alert.eventCount,
    FailedSampleEvents: alert.events.filter((e) => e.activityResult !== null && e.activityResult !== 'Success').length,
    FirstEventTime: alert.firstEventTime,
    LastEventTime: alert.lastEventTime,
    CorrelationId: s(first?.correlationId, 128),
    EventIds: alert.events.slice(0, 20).map((e) => s(e.id, 128)),
    DigestAlertIds: alert.digest?.alertIds.slice(0, 50) ?? [],
    PossibleDuplicate: context.possibleDuplicate,
    IntuneAuditLogUrl: auditLogUrl(context.intunePortalUrl),
    RunbookUrl: runbookLink(alert.runbookUrl) ?? '',
  };
}
