import type { AuditEvent } from '../audit/auditEvent';
import type { AlertRule, ThresholdSpec } from './alertRule';

/**
 * Counter state of one (rule, group key), small enough for one Table row: matching events counted per UTC
 * minute, `[epochMinute, count]` pairs in ascending order. At most windowInMinutes + 1 + retainLateInMinutes
 * pairs are kept (about 20 KB of JSON for a one-day window).
 */
export interface ThresholdState {
  buckets: [minute: number, count: number][];
}

export interface ThresholdDecision {
  /** True when a window of the rule's length that contains one of the new events holds at least `count` events. */
  fire: boolean;
  /** The largest number of events in such a window (0 when no usable event was given). */
  count: number;
  state: ThresholdState;
}

/**
 * How events of a threshold rule are counted apart: `actor` = the UPN lower-cased, else the application id,
 * else `unknown`; `resource` = the first resource id, else `unknown`; `none` (or no threshold) = `*`.
 * Callers that use it in a Table key must encode it (a resource id may contain `/`).
 */
export function thresholdGroupKey(rule: AlertRule, event: AuditEvent): string {
  switch (rule.threshold?.groupBy) {
    case 'actor':
      return event.actor.userPrincipalName?.toLowerCase() ?? event.actor.applicationId?.toLowerCase() ?? 'unknown';
    case 'resource':
      return event.resources.find((r) => r.resourceId !== null)?.resourceId?.toLowerCase() ?? 'unknown';
    default:
      return '*';
  }
}

const minuteOf = (ms: number) => Math.floor(ms / 60_000);
const isCount = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;

/** Upper bound: index of the first element of `sorted` greater than `x`. */
function upper(sorted: readonly number[], x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Adds new matching events (epoch ms, any order; each event exactly once, after de-duplication) to the state
 * of one (rule, group key) and decides whether the threshold is reached. Pure.
 *
 * Counting is per whole minute: a window of N minutes spans N + 1 minute buckets, so a burst inside N minutes
 * is never missed, and events up to N + 1 minutes apart may count together. Nothing is consumed by firing:
 * while a burst goes on every call fires, and re-alerting is limited by grouping and `realertInMinutes`.
 * Buckets older than the newest minute − N − `retainLateInMinutes` are dropped; keep that at least the poll
 * lookback so that late events still count with the ones around them.
 */
export function evaluateThreshold(
  spec: ThresholdSpec,
  state: ThresholdState | undefined,
  eventTimesInMs: readonly number[],
  options: { retainLateInMinutes?: number } = {},
): ThresholdDecision {
  const counts = new Map<number, number>();
  for (const pair of Array.isArray(state?.buckets) ? state.buckets : []) {
    // Tolerates a damaged stored state: bad pairs are dropped, never thrown on.
    if (Array.isArray(pair) && isCount(pair[0]) && isCount(pair[1]) && pair[1] > 0)
      counts.set(pair[0], (counts.get(pair[0]) ?? 0) + pair[1]);
  }
  const fresh = new Set<number>();
  for (const t of eventTimesInMs) {
    if (!Number.isFinite(t) || t < 0) continue;
    const m = minuteOf(t);
    fresh.add(m);
    counts.set(m, (counts.get(m) ?? 0) + 1);
  }
  const keys = [...counts.keys()].sort((a, b) => a - b);
  const span = spec.windowInMinutes;
  const newest = keys.length ? keys[keys.length - 1] : 0;
  const oldestKept = newest - span - Math.max(0, options.retainLateInMinutes ?? 60);
  const kept = keys.filter((k) => k >= oldestKept);

  let best = 0;
  if (fresh.size > 0) {
    const prefix = [0];
    for (const k of kept) prefix.push(prefix[prefix.length - 1] + counts.get(k)!);
    const freshSorted = [...fresh].sort((a, b) => a - b);
    // The densest window containing a new minute starts at some bucket in [new − N, new] (see tests).
    for (let i = 0; i < kept.length; i++) {
      const start = kept[i];
      const f = upper(freshSorted, start - 1);
      if (f >= freshSorted.length || freshSorted[f] > start + span) continue;
      best = Math.max(best, prefix[upper(kept, start + span)] - prefix[i]);
    }
  }
  return { fire: best >= spec.count, count: best, state: { buckets: kept.map((k) => [k, counts.get(k)!]) } };
}
