import type { AuditEvent } from '../audit/auditEvent';
import type { Severity } from '../rules/alertRule';

/**
 * One alert: the matches of one rule within one poll run (count + the first events), written to the
 * outbox before anything is sent.
 */
export interface Alert {
  /** Deterministic: derived from tenant, rule and first event, so a re-run recognises its own alert. */
  id: string;
  tenantId: string;
  ruleId: string;
  ruleName: string;
  severity: Severity;
  ruleDescription?: string;
  /** How many events matched (may exceed `events.length`). */
  eventCount: number;
  /** The first matching events, oldest first, capped by ALERT_SAMPLE_EVENTS. */
  events: AuditEvent[];
  firstEventTime: string;
  lastEventTime: string;
  createdAt: string;
}
