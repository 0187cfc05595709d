import { type AlertRule, type Severity, severityRank } from '../rules/alertRule';
import type { ChangeWindow } from './changeWindow';
import { windowMayCoverRule } from './changeWindow';
import { alertIdFor, type PendingAlert } from './alertAccumulator';

/**
 * Rules whose weakening raises a tamper alert: critical and high. Medium and low rules are noisy enough that
 * admins tune them often; their changes are only in the history.
 */
export const protectedSeverities: readonly Severity[] = ['critical', 'high'];
export const isProtected = (rule: AlertRule): boolean => rule.enabled && protectedSeverities.includes(rule.severity);

/** How a rule change weakens detection. */
export type RuleTamper = 'disabled' | 'deleted' | 'downgraded';

/**
 * Decides whether a rule change is tampering: an enabled critical / high rule that is deleted, disabled,
 * or lowered below high (which would otherwise be a way around the first two). Pure.
 */
export function ruleTamperKind(before: AlertRule | undefined, after: AlertRule | undefined): RuleTamper | undefined {
  if (!before || !isProtected(before)) return undefined;
  if (!after) return 'deleted';
  if (!after.enabled) return 'disabled';
  if (!protectedSeverities.includes(after.severity)) return 'downgraded';
  return undefined;
}

/** The enabled critical / high rules a window could silence. Pure. */
export const protectedRulesCoveredBy = (window: ChangeWindow, rules: readonly AlertRule[]): AlertRule[] =>
  rules.filter((r) => isProtected(r) && windowMayCoverRule(window, r.id));

export interface TamperNotice {
  tenantId: string;
  /** `tamper:<ruleId>` or `tamper:window:<windowId>`: a synthetic rule id, so the card and the alert list name it. */
  ruleId: string;
  /** The history entry that recorded the change: makes the alert id unique and deterministic. */
  historyId: string;
  severity: Severity;
  title: string;
  description: string;
  channels: string[];
  at: Date;
}

/** A tamper alert for the outbox: no events, delivered on the affected rules' channels like any alert. Pure. */
export function tamperAlert(n: TamperNotice): PendingAlert {
  const at = n.at.toISOString();
  return {
    alert: {
      id: alertIdFor(n.tenantId, n.ruleId, n.historyId),
      tenantId: n.tenantId,
      ruleId: n.ruleId,
      ruleName: n.title,
      severity: n.severity,
      ruleDescription: n.description,
      eventCount: 0,
      events: [],
      firstEventTime: at,
      lastEventTime: at,
      createdAt: at,
    },
    channels: n.channels.length > 0 ? [...new Set(n.channels)] : ['default'],
    eventKeys: [],
  };
}

/** The most severe of some severities (critical first). */
export const mostSevere = (severities: readonly Severity[]): Severity =>
  [...severities].sort((a, b) => severityRank[a] - severityRank[b])[0] ?? 'high';
