import { createHash } from 'node:crypto';
import type { AuditEvent } from '../audit/auditEvent';
import { type AlertRule, severityRank } from '../rules/alertRule';
import type { Alert } from './alert';

/** Identifies one processed event for de-duplication (time first, so keys sort by time). */
export interface EventKey {
  id: string;
  timeInMs: number;
}

/** An alert ready for the outbox, with the keys of every event it covers. */
export interface PendingAlert {
  alert: Alert;
  channels: string[];
  eventKeys: EventKey[];
}

interface Group {
  rule: AlertRule;
  count: number;
  sample: AuditEvent[];
  keys: EventKey[];
  first: AuditEvent;
  last: AuditEvent;
}

const before = (a: AuditEvent, b: AuditEvent) =>
  a.activityTimeInMs < b.activityTimeInMs || (a.activityTimeInMs === b.activityTimeInMs && a.id < b.id);

/** Deterministic alert id: the same rule and first event give the same id on a re-run or a concurrent run. */
export const alertIdFor = (tenantId: string, ruleId: string, firstEventId: string): string =>
  createHash('sha256').update(`${tenantId}|${ruleId}|${firstEventId}`).digest('hex').slice(0, 32);

/**
 * Collects the matches of one run into one alert per rule (count + the earliest events), so a burst
 * becomes one card. Memory is bounded by the run's page budget: only event keys grow with the count.
 */
export class AlertAccumulator {
  private readonly groups = new Map<string, Group>();
  /** Groups that reached `maxMatchesPerAlert`: closed, a new one takes the rule's further matches. */
  private readonly full: Group[] = [];
  constructor(
    private readonly sampleSize: number,
    private readonly maxMatchesPerAlert = 50_000,
  ) {}

  add(rule: AlertRule, event: AuditEvent): void {
    let group = this.groups.get(rule.id);
    if (group && group.count >= this.maxMatchesPerAlert) {
      this.full.push(group);
      group = undefined;
    }
    if (!group) {
      group = { rule, count: 0, sample: [], keys: [], first: event, last: event };
      this.groups.set(rule.id, group);
    }
    group.count++;
    group.keys.push({ id: event.id, timeInMs: event.activityTimeInMs });
    if (before(event, group.first)) group.first = event;
    if (before(group.last, event)) group.last = event;
    group.sample.push(event);
    if (group.sample.length > this.sampleSize) {
      group.sample.sort((a, b) => (before(a, b) ? -1 : 1));
      group.sample.length = this.sampleSize;
    }
  }

  get size(): number {
    return this.groups.size + this.full.length;
  }

  /** The alerts of this run, most severe rules first. */
  drain(tenantId: string, createdAt: Date): PendingAlert[] {
    const out: PendingAlert[] = [];
    for (const g of [...this.full, ...this.groups.values()]) {
      g.sample.sort((a, b) => (before(a, b) ? -1 : 1));
      out.push({
        alert: {
          id: alertIdFor(tenantId, g.rule.id, g.first.id),
          tenantId,
          ruleId: g.rule.id,
          ruleName: g.rule.name,
          severity: g.rule.severity,
          ruleDescription: g.rule.description,
          eventCount: g.count,
          events: g.sample,
          firstEventTime: g.first.activityDateTime,
          lastEventTime: g.last.activityDateTime,
          createdAt: createdAt.toISOString(),
          ...(g.rule.runbookUrl ? { runbookUrl: g.rule.runbookUrl } : {}),
          ...(g.rule.realertInMinutes ? { realertInMinutes: g.rule.realertInMinutes } : {}),
          ...(g.rule.groupWindow !== undefined && g.rule.groupWindow !== 'auto'
            ? { groupWindow: g.rule.groupWindow }
            : {}),
        },
        channels: g.rule.channels,
        eventKeys: g.keys,
      });
    }
    this.groups.clear();
    this.full.length = 0;
    return out.sort((a, b) => severityRank[a.alert.severity] - severityRank[b.alert.severity]);
  }
}
