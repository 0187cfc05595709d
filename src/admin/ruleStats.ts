import type { Alert } from '../dispatch/alert';
import type { Outbox } from '../dispatch/outbox';

/** What the rules list shows beside each rule: how often it fired lately, and when it last did. */
export interface RuleStats {
  ruleId: string;
  /** Alerts written in the period (suppressed ones not counted). */
  alerts: number;
  /** Events those alerts cover (exact counts, not the sample). */
  events: number;
  /** Alerts recorded but not sent because a change window covered them. */
  suppressed: number;
  /** `createdAt` of the newest alert that was not suppressed, over everything still in the outbox. */
  lastFiredAt?: string;
}

export const ruleStatsDays = 7;

/**
 * Per rule, from the outbox: alerts (and their events) in the last `days`, and the last time it fired
 * (within DELIVERED_RETENTION_DAYS, the outbox's memory). Rule alerts only: notices, tests, watchdog and
 * tamper messages are not a rule's matches. Pure apart from the one outbox read.
 */
export async function ruleStats(outbox: Pick<Outbox, 'listAlerts'>, tenantId: string, now: Date, days = ruleStatsDays) {
  const since = new Date(now.getTime() - days * 86_400_000);
  const rows = await outbox.listAlerts(tenantId, { limit: Number.MAX_SAFE_INTEGER });
  return {
    since: since.toISOString(),
    days,
    value: summarize(
      rows.map((r) => r.alert),
      since,
    ),
  };
}

/** The per-rule figures for a list of alerts; exported for tests. */
export function summarize(alerts: readonly Alert[], since: Date): RuleStats[] {
  const byRule = new Map<string, RuleStats>();
  for (const a of alerts) {
    if ((a.kind ?? 'alert') !== 'alert' || a.ruleId.includes(':')) continue;
    const s = byRule.get(a.ruleId) ?? { ruleId: a.ruleId, alerts: 0, events: 0, suppressed: 0 };
    byRule.set(a.ruleId, s);
    const recent = Date.parse(a.createdAt) >= since.getTime();
    if (a.suppressedBy) {
      if (recent) s.suppressed++;
      continue;
    }
    if (recent) {
      s.alerts++;
      s.events += a.eventCount;
    }
    if (!s.lastFiredAt || a.createdAt > s.lastFiredAt) s.lastFiredAt = a.createdAt;
  }
  return [...byRule.values()].sort((x, y) => x.ruleId.localeCompare(y.ruleId));
}
