import type { AuditEvent } from '../audit/auditEvent';
import type { Severity } from '../rules/alertRule';

/**
 * What an outbox row stands for: a rule's `alert`, a delivery-failure `notice` raised on the failover
 * channel, a channel `test` (never written to the outbox), or a `watchdog` message about the app itself
 * (incidents, heartbeat; rule id `watchdog:…`, no events).
 */
export type AlertKind = 'alert' | 'notice' | 'test' | 'watchdog';

/**
 * One alert: the matches of one rule within one poll run (count + the first events), written to the
 * outbox before anything is sent.
 */
export interface Alert {
  /** Deterministic: derived from tenant, rule and first event, so a re-run recognises its own alert. */
  id: string;
  tenantId: string;
  /** Display name of a registered tenant (the Tenants table), so a message says whose Intune this was. */
  tenantName?: string;
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
  /** Absent means `alert` (rows written before notices existed). */
  kind?: AlertKind;
  /** Alerts of one rule with the same group key share a group window and realert timer per channel ('' = the rule). */
  groupKey?: string;
  /** The rule's runbook (admin data, https only; re-checked before it becomes a link). */
  runbookUrl?: string;
  /** The rule's realert suppression, copied when the alert is made: the decision is taken at delivery time. */
  realertInMinutes?: number;
  /** The rule's `groupWindow` when it is not `auto` (absent = auto: decided by severity at delivery time). */
  groupWindow?: 'none' | number;
  /** Set on a follow-up digest that folds several alerts of one group into one post. */
  digest?: { alertIds: string[]; since: string };
  /** Set on a `notice`: which channel failed, how, and the alert that could not be delivered. */
  notice?: DeliveryFailureNotice;
  /** Set on matches recorded inside a change window (written with no deliveries): the window id. */
  suppressedBy?: string;
  /** The stored sample events had to be reduced to fit storage (fields shortened, events dropped); counts are exact. */
  sampleReduced?: boolean;
}

/** The content of a failover notice (all app-made text, except the redacted error detail). */
export interface DeliveryFailureNotice {
  channelId: string;
  /** `failed` (permanent), `dead` (still failing after max age) or `misconfigured`. */
  problem: 'failed' | 'dead' | 'misconfigured';
  /** Failure reason and HTTP status, e.g. `rejected 404`. */
  reason: string;
  /** The delivery error message (already redacted: never a URL or token). */
  detail: string;
  alertId: string;
  alertRuleName: string;
  alertSeverity: Severity;
  alertEventCount: number;
  incidentSince: string;
}
