import type { AuditEvent } from '../audit/auditEvent';
import type { AlertRule } from './alertRule';
import { evaluateThreshold, type ThresholdState, thresholdGroupKey } from './threshold';

interface Group {
  state?: ThresholdState;
  /** Matches held back while the threshold is not reached; released when it is. */
  held: AuditEvent[];
}

/**
 * In-memory threshold counting over a stream of matches, for one pass over events (offline replay,
 * backtests, one poll run). Persisted counting across runs uses evaluateThreshold with stored state.
 */
export class ThresholdTracker {
  private readonly groups = new Map<string, Group>();

  /**
   * The events to record as matches now that `event` met the rule's conditions. Rules without a threshold
   * pass the event through. Otherwise: nothing while the count is below the threshold; when it is reached,
   * the held-back events of that window plus this one; then each further event while it stays reached.
   */
  offer(rule: AlertRule, event: AuditEvent): AuditEvent[] {
    const spec = rule.threshold;
    if (!spec) return [event];
    const key = `${rule.id}\u0000${thresholdGroupKey(rule, event)}`;
    const group = this.groups.get(key) ?? { held: [] };
    this.groups.set(key, group);
    const decision = evaluateThreshold(spec, group.state, [event.activityTimeInMs]);
    group.state = decision.state;
    const spanInMs = (spec.windowInMinutes + 1) * 60_000;
    if (decision.fire) {
      const released = group.held.filter((e) => Math.abs(e.activityTimeInMs - event.activityTimeInMs) <= spanInMs);
      group.held = [];
      return [...released, event];
    }
    const oldest = (group.state.buckets[0]?.[0] ?? 0) * 60_000;
    group.held = [...group.held.filter((e) => e.activityTimeInMs >= oldest), event];
    return [];
  }
}
