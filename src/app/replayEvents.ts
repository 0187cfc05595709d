import { toAuditEvent } from '../audit/toAuditEvent';
import type { Alert } from '../dispatch/alert';
import { AlertAccumulator } from '../dispatch/alertAccumulator';
import type { AlertRule } from '../rules/alertRule';
import { compileRules, matchRules } from '../rules/matchRules';
import { ThresholdTracker } from '../rules/thresholdTracker';

export interface ReplaySummary {
  events: number;
  malformed: number;
  ignoredOwn: number;
  matches: number;
  alerts: number;
}

/**
 * Runs raw Graph events through rules offline, as one poll run would (one alert per rule), with no
 * storage and no sending: for testing rules against exported audit logs. Pure.
 */
export function replayEvents(rawEvents: readonly unknown[], rules: readonly AlertRule[], options: { tenantId?: string; sampleSize?: number; ownClientId?: string; now?: Date } = {}): { alerts: Alert[]; summary: ReplaySummary; problems: string[] } {
  const compiled = compileRules(rules);
  const acc = new AlertAccumulator(options.sampleSize ?? 10);
  // Threshold rules count over the whole file: their matches are held back until the threshold is reached.
  const thresholds = new ThresholdTracker();
  const summary: ReplaySummary = { events: 0, malformed: 0, ignoredOwn: 0, matches: 0, alerts: 0 };
  const problems: string[] = [];
  for (const raw of rawEvents) {
    const r = toAuditEvent(raw);
    if (!r.ok) {
      summary.malformed++;
      problems.push(`event ${r.id ?? '(no id)'}: ${r.problem}`);
      continue;
    }
    summary.events++;
    if (options.ownClientId && r.event.actor.applicationId?.toLowerCase() === options.ownClientId.toLowerCase()) {
      summary.ignoredOwn++;
      continue;
    }
    for (const rule of matchRules(compiled, r.event)) {
      for (const event of thresholds.offer(rule, r.event)) {
        acc.add(rule, event);
        summary.matches++;
      }
    }
  }
  const alerts = acc.drain(options.tenantId ?? 'replay', options.now ?? new Date()).map((p) => p.alert);
  summary.alerts = alerts.length;
  return { alerts, summary, problems };
}
