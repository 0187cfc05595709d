import type { AuditEvent } from '../audit/auditEvent';
import { alertIdFor, type PendingAlert } from '../dispatch/alertAccumulator';
import type { MatchRef, Outbox, StoredCounter } from '../dispatch/outbox';
import { caOf } from '../dispatch/windowSummary';
import type { AlertRule } from '../rules/alertRule';
import { evaluateThreshold, type ThresholdDecision, thresholdGroupKey } from '../rules/threshold';
import type { Logger } from '../shared/logger';
import type { MatchRecorder } from './matchRecorder';

interface Group {
  rule: AlertRule;
  key: string;
  times: number[];
  sample: AuditEvent[];
  matches: MatchRef[];
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
 * The threshold rules' matches of one poll run. Each match is counted once per (rule, thresholdGroupKey)
 * against a counter that spans runs: a rule's counter rows are read once per run, updated in memory with
 * evaluateThreshold, and written back together with the matches they counted (and the alert, when the
 * threshold is reached) in ONE outbox transaction per (rule, key). So counting is idempotent per match: a
 * crash or fault at any point leaves either the counter and its matches, or neither, and a re-read counts
 * exactly what is missing. A counter changed by a concurrent run is re-read and the write rebuilt.
 */
export class ThresholdRun {
  private readonly groups = new Map<string, Group>();
  constructor(
    private readonly o: { tenantId: string; sampleSize: number; retainLateInMinutes: number; now: Date; log: Logger },
  ) {}

  add(rule: AlertRule, event: AuditEvent): void {
    const key = thresholdGroupKey(rule, event);
    const id = `${rule.id}\u0000${key}`;
    let g = this.groups.get(id);
    if (!g) this.groups.set(id, (g = { rule, key, times: [], sample: [], matches: [], cas: new Set(), last: event }));
    if (byTime(g.last, event) < 0) g.last = event;
    g.times.push(event.activityTimeInMs);
    g.matches.push({ ruleId: rule.id, eventId: event.id, timeInMs: event.activityTimeInMs });
    if (g.cas.size < 20) g.cas.add(caOf(event));
    g.sample.push(event);
    if (g.sample.length > this.o.sampleSize * 2) trimSample(g.sample, this.o.sampleSize);
  }

  get size(): number {
    return this.groups.size;
  }

  /** Writes each (rule, key): counter + counted matches (+ the alert when reached), one transaction each. */
  async finish(
    outbox: Outbox,
    recorder: MatchRecorder,
    channelsOf: (pending: PendingAlert) => Promise<string[]>,
  ): Promise<ThresholdRunResult> {
    const { tenantId, now } = this.o;
    const result: ThresholdRunResult = { counted: 0, fired: 0, alerts: 0, conflicts: 0 };
    const byRule = new Map<string, Group[]>();
    for (const g of this.groups.values()) byRule.set(g.rule.id, [...(byRule.get(g.rule.id) ?? []), g]);
    for (const [ruleId, groups] of byRule) {
      const spec = groups[0].rule.threshold!;
      let counters: Map<string, StoredCounter> | undefined;
      const load = async (fresh: boolean) => {
        if (!counters || fresh)
          counters = new Map((await outbox.loadCounters(tenantId, ruleId)).map((c) => [c.groupKey, c]));
        return counters;
      };
      for (const g of groups) {
        let fired: PendingAlert | undefined;
        let counted = 0;
        const outcome = await recorder.record(async (isRecorded, attempt) => {
          const stored = (await load(attempt > 0)).get(g.key);
          const matches = g.matches.filter((m) => !isRecorded(m));
          counted = matches.length;
          if (matches.length === 0) return undefined;
          const fresh = new Set(matches.map((m) => m.eventId));
          const decision = evaluateThreshold(
            spec,
            stored?.state,
            matches.map((m) => m.timeInMs),
            { retainLateInMinutes: this.o.retainLateInMinutes },
          );
          const lastEventAt = new Date(
            Math.max(g.last.activityTimeInMs, stored?.lastEventAt ? Date.parse(stored.lastEventAt) || 0 : 0),
          ).toISOString();
          const sample = g.sample.filter((e) => fresh.has(e.id));
          fired = decision.fire
            ? thresholdAlert(
                tenantId,
                { ...g, sample: sample.length ? sample : g.sample },
                decision,
                now,
                this.o.sampleSize,
              )
            : undefined;
          return {
            matches,
            recordedAs: fired ? fired.alert.id : `threshold:${ruleId}`,
            counter: {
              ruleId,
              groupKey: g.key,
              state: decision.state,
              lastEventAt,
              updatedAt: now.toISOString(),
              etag: stored?.etag,
            },
            ...(fired ? { alert: fired, channels: await channelsOf(fired) } : {}),
          };
        });
        if (outcome === 'written') {
          result.counted += counted;
          if (fired) {
            result.fired++;
            result.alerts++;
          }
        } else if (outcome === 'gave-up') result.conflicts++;
        counters?.delete(g.key);
      }
      // Counters with nothing left inside their window are dropped.
      const staleBefore = now.getTime() - (spec.windowInMinutes + this.o.retainLateInMinutes + 1) * 60_000;
      const stale = [...(counters ?? (await load(false))).values()].filter(
        (c) => !(Date.parse(c.lastEventAt) >= staleBefore),
      );
      if (stale.length)
        await recorder.record((_, attempt) =>
          attempt === 0 ? { matches: [], recordedAs: '', dropCounters: stale.slice(0, 90) } : undefined,
        );
    }
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
export function thresholdAlert(
  tenantId: string,
  g: Pick<Group, 'rule' | 'key' | 'sample' | 'last' | 'cas'>,
  decision: ThresholdDecision,
  now: Date,
  sampleSize: number,
): PendingAlert {
  const { rule, key } = g;
  const spec = rule.threshold!;
  const events = [...g.sample].sort(byTime).slice(0, sampleSize);
  const newest = g.last.activityTimeInMs;
  // The counted window ends at the newest event; its first counted minute comes from the state's buckets.
  const windowStartMinute = Math.floor(newest / 60_000) - spec.windowInMinutes;
  const firstMinute = decision.state.buckets.find(([m]) => m >= windowStartMinute)?.[0];
  const firstEventTime = new Date(
    Math.min(firstMinute !== undefined ? firstMinute * 60_000 : newest, events[0]?.activityTimeInMs ?? newest),
  ).toISOString();
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
      ...(rule.groupWindow !== undefined && rule.groupWindow !== 'auto' ? { groupWindow: rule.groupWindow } : {}),
    },
    channels: rule.channels,
    // Counted events are marked seen separately: the alert claims none, so a rule that alerts on each of the
    // same events (e.g. cloudpki-leaf-revoked) and this threshold rule never take events from each other.
    eventKeys: [],
  };
}
