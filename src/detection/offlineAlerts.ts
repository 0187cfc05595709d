import type { AuditEvent } from '../audit/auditEvent';
import { AlertAccumulator, type PendingAlert } from '../dispatch/alertAccumulator';
import type { AlertRule } from '../rules/alertRule';
import { thresholdGroupKey } from '../rules/threshold';
import { ThresholdTracker } from '../rules/thresholdTracker';

/**
 * The grouping stage for a pass over past events (backtest, replay), as poll runs would have grouped them:
 * one alert per rule (and threshold group key) per `bucketInMinutes` of event time, whatever order the events
 * come in; threshold rules are counted over the whole pass (ThresholdTracker) and alert only once reached.
 * Pure; holds one accumulator per bucket that has matches.
 */
export class OfflineAlerts {
  private readonly tracker = new ThresholdTracker();
  private readonly buckets = new Map<string, { bucket: number; acc: AlertAccumulator; groupKey?: string }>();
  /** Matches that count as fired (all matches of plain rules; of threshold rules, those once it was reached). */
  fired = 0;

  constructor(
    private readonly tenantId: string,
    private readonly sampleSize: number,
    private readonly bucketInMinutes = 1,
  ) {}

  /** Takes one match; returns the events it releases as fired (empty while a threshold is not reached). */
  add(rule: AlertRule, event: AuditEvent): AuditEvent[] {
    const released = this.tracker.offer(rule, event);
    for (const e of released) {
      // A threshold's held-back events are alerted when it is reached: in the bucket of the event that reached it.
      const bucket = Math.floor((rule.threshold ? event : e).activityTimeInMs / (this.bucketInMinutes * 60_000));
      const groupKey = rule.threshold ? thresholdGroupKey(rule, e) : undefined;
      const id = JSON.stringify([bucket, rule.id, groupKey ?? '']);
      let entry = this.buckets.get(id);
      if (!entry)
        this.buckets.set(
          id,
          (entry = {
            bucket,
            acc: new AlertAccumulator(this.sampleSize),
            ...(groupKey !== undefined ? { groupKey } : {}),
          }),
        );
      entry.acc.add(rule, e);
      this.fired++;
    }
    return released;
  }

  /** The alerts, oldest first; each is created at the end of its bucket (when a run would have seen it). */
  drain(): PendingAlert[] {
    const out: PendingAlert[] = [];
    for (const { bucket, acc, groupKey } of this.buckets.values()) {
      const createdAt = new Date((bucket + 1) * this.bucketInMinutes * 60_000);
      for (const p of acc.drain(this.tenantId, createdAt))
        out.push(groupKey !== undefined ? { ...p, alert: { ...p.alert, groupKey } } : p);
    }
    this.buckets.clear();
    return out.sort(
      (a, b) =>
        a.alert.firstEventTime.localeCompare(b.alert.firstEventTime) || a.alert.ruleId.localeCompare(b.alert.ruleId),
    );
  }
}
