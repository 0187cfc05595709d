import type { AuditEvent } from '../audit/auditEvent';
import { alertIdFor, type EventKey, type PendingAlert } from '../dispatch/alertAccumulator';
import { caOf } from '../dispatch/windowSummary';
import type { AlertRule } from '../rules/alertRule';
import { evaluateThreshold, type ThresholdDecision, type ThresholdState, thresholdGroupKey } from '../rules/threshold';
import type { Logger } from '../shared/logger';

/** One stored counter row of a (rule, group key). */
export interface StoredThreshold {
  ruleId: string;
  groupKey: string;
  rowKey: string;
  etag: string;
  state?: ThresholdState;
  lastEventAt: string;
}

/** A counter row to write (create when no etag, ETag-guarded replace otherwise) or delete. */
export interface ThresholdWrite {
  ruleId: string;
  groupKey: string;
  state?: ThresholdState;
  lastEventAt: string;
  updatedAt: string;
  etag?: string;
  delete?: boolean;
}

/** Threshold counters (the `ThresholdState` table). */
export interface ThresholdStore {
  /** Every counter row of one rule: one query. */
  loadRule(tenantId: string, ruleId: string): Promise<StoredThreshold[]>;
  /** Batched writes; a batch that hit a concurrent change comes back in `conflicts`, not written. */
  save(tenantId: string, writes: readonly ThresholdWrite[]): Promise<{ saved: ThresholdWrite[]; conflicts: ThresholdWrite[] }>;
}

interface Group {
  rule: AlertRule;
  key: string;
  times: number[];
  sample: AuditEvent[];
  keys: EventKey[];
  cas: Set<string>;
  last: AuditEvent;
}

export interface ThresholdRunResult {
  counted: number;
  fired: number;
  alerts: number;
  conflicts: number;
}

/**
 * The threshold rules' matches of one poll run. Each match is counted once (de-duplicated before it gets
 * here) per (rule, thresholdGroupKey) against state that spans runs: the state rows are read once per rule
 * per run, updated in memory with evaluateThreshold, and written back in batches, so Table transactions do
 * not grow with the number of events. A (rule, key) that reaches its threshold gives ONE alert for the run,
 * with the windowed count, the group key (actor / CA) and the affected CAs.
 *
 * Write order: alert (deterministic id), then counters, then the events' "seen" markers. A crash after the
 * alert re-finds it; a crash between the counters and the markers recounts those events on the re-read
 * (an over-count, never a missed alert). A counter changed by a concurrent run is not overwritten: those
 * events stay unmarked and the next run counts them against the fresh counter.
 */
export class ThresholdRun {
  private readonly groups = new Map<string, Group>();
  constructor(private readonly o: { tenantId: string; store: ThresholdStore; sampleSize: number; retainLateInMinutes: number; now: Date; log: Logger }) {}

  add(rule: AlertRule, event: AuditEvent): void {
    const key = thresholdGroupKey(rule, event);
    const id = `${rule.id}\u0000${key}`;
    let g = this.groups.get(id);
    if (!g) this.groups.set(id, (g = { rule, key, times: [], sample: [], keys: [], cas: new Set(), last: event }));
    if (byTime(g.last, event) < 0) g.last = event;
    g.times.push(event.activityTimeInMs);
    g.keys.push({ id: event.id, timeInMs: event.activityTimeInMs });
    if (g.cas.size < 20) g.cas.add(caOf(event));
    g.sample.push(event);
    if (g.sample.length > this.o.sampleSize * 2) trimSample(g.sample, this.o.sampleSize);
  }

  get size(): number {
    return this.groups.size;
  }

  async finish(write: (pending: PendingAlert) => Promise<number>, markSeen: (keys: EventKey[]) => Promise<void>): Promise<ThresholdRunResult> {
    const { tenantId, store, now } = this.o;
    const result: ThresholdRunResult = { counted: 0, fired: 0, alerts: 0, conflicts: 0 };
    if (this.groups.size === 0) return result;
    const byRule = new Map<string, Group[]>();
    for (const g of this.groups.values()) byRule.set(g.rule.id, [...(byRule.get(g.rule.id) ?? []), g]);
    const writes: ThresholdWrite[] = [];
    const groupOf = new Map<ThresholdWrite, Group>();
    for (const [ruleId, groups] of byRule) {
      const spec = groups[0].rule.threshold!;
      const stored = new Map((await store.loadRule(tenantId, ruleId)).map((s) => [s.groupKey, s]));
      for (const g of groups) {
        const s = stored.get(g.key);
        stored.delete(g.key);
        const decision = evaluateThreshold(spec, s?.state, g.times, { retainLateInMinutes: this.o.retainLateInMinutes });
        result.counted += g.times.length;
        if (decision.fire) {
          result.fired++;
          result.alerts += await write(thresholdAlert(tenantId, g, decision, now, this.o.sampleSize));
        }
        const w: ThresholdWrite = { ruleId, groupKey: g.key, state: decision.state, lastEventAt: new Date(Math.max(g.last.activityTimeInMs, s?.lastEventAt ? Date.parse(s.lastEventAt) || 0 : 0)).toISOString(), updatedAt: now.toISOString(), etag: s?.etag };
        writes.push(w);
        groupOf.set(w, g);
      }
      // Counters with nothing left inside their window are dropped.
      const staleBefore = now.getTime() - (spec.windowInMinutes + this.o.retainLateInMinutes + 1) * 60_000;
      for (const s of stored.values()) if (!(Date.parse(s.lastEventAt) >= staleBefore)) writes.push({ ruleId, groupKey: s.groupKey, lastEventAt: s.lastEventAt, updatedAt: now.toISOString(), delete: true });
    }
    const { saved, conflicts } = await store.save(tenantId, writes);
    const keys = saved.flatMap((w) => groupOf.get(w)?.keys ?? []);
    await markSeen(keys);
    result.conflicts = conflicts.filter((w) => groupOf.has(w)).length;
    if (result.conflicts > 0) this.o.log.warn(`${result.conflicts} threshold counter(s) were changed by a concurrent run; their events are counted again next run`);
    this.groups.clear();
    return result;
  }
}

const byTime = (a: AuditEvent, b: AuditEvent) => a.activityTimeInMs - b.activityTimeInMs || (a.id < b.id ? -1 : 1);

function trimSample(sample: AuditEvent[], size: number): void {
  sample.sort(byTime);
  sample.length = size;
}

/** The alert of a (rule, key) whose threshold was reached in this run. Pure. */
export function thresholdAlert(tenantId: string, g: Pick<Group, 'rule' | 'key' | 'sample' | 'last' | 'cas'>, decision: ThresholdDecision, now: Date, sampleSize: number): PendingAlert {
  const { rule, key } = g;
  const spec = rule.threshold!;
  const events = [...g.sample].sort(byTime).slice(0, sampleSize);
  const newest = g.last.activityTimeInMs;
  // The counted window ends at the newest event; its first counted minute comes from the state's buckets.
  const windowStartMinute = Math.floor(newest / 60_000) - spec.windowInMinutes;
  const firstMinute = decision.state.buckets.find(([m]) => m >= windowStartMinute)?.[0];
  const firstEventTime = new Date(Math.min(firstMinute !== undefined ? firstMinute * 60_000 : newest, events[0]?.activityTimeInMs ?? newest)).toISOString();
  const by = spec.groupBy === 'actor' ? ` by ${key}` : spec.groupBy === 'resource' ? ` on ${key}` : '';
  const cas = [...g.cas];
  const text = `${decision.count} matching events within ${spec.windowInMinutes} min${by} (threshold ${spec.count}).${cas.length ? ` CAs: ${cas.slice(0, 5).join(', ')}${cas.length > 5 ? ` and ${cas.length - 5} more` : ''}.` : ''}`;
  return {
    alert: {
      id: alertIdFor(tenantId, `${rule.id}|${key}`, events[0].id),
      tenantId,
      ruleId: rule.id,
      ruleName: rule.name,
      severity: rule.severity,
      ruleDescription: rule.description ? `${text} ${rule.description}` : text,
      eventCount: decision.count,
      events,
      firstEventTime,
      lastEventTime: g.last.activityDateTime,
      createdAt: now.toISOString(),
      groupKey: key,
      ...(rule.runbookUrl ? { runbookUrl: rule.runbookUrl } : {}),
      ...(rule.realertInMinutes ? { realertInMinutes: rule.realertInMinutes } : {}),
    },
    channels: rule.channels,
    // Counted events are marked seen separately: the alert claims none, so a rule that alerts on each of the
    // same events (e.g. cloudpki-leaf-revoked) and this threshold rule never take events from each other.
    eventKeys: [],
  };
}
