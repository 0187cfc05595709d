import type { Alert } from '../dispatch/alert';
import { Detector } from '../detection/detector';
import { OfflineAlerts } from '../detection/offlineAlerts';
import type { AlertRule } from '../rules/alertRule';

export interface ReplaySummary {
  events: number;
  malformed: number;
  /** Ids that appeared more than once in the file: counted once. */
  repeated: number;
  ignoredOwn: number;
  matches: number;
  alerts: number;
}

/**
 * Runs raw Graph events through rules offline with the poll's own detection stages (convert, fold repeated
 * ids, drop own reads, match) and the backtest's grouping (per rule per minute of event time, thresholds over
 * the whole file), with no storage and no sending: for testing rules against exported audit logs. Pure.
 */
export function replayEvents(
  rawEvents: readonly unknown[],
  rules: readonly AlertRule[],
  options: { tenantId?: string; sampleSize?: number; ownClientId?: string; now?: Date } = {},
): { alerts: Alert[]; summary: ReplaySummary; problems: string[] } {
  const detector = new Detector(rules, { ownClientId: options.ownClientId });
  const offline = new OfflineAlerts(options.tenantId ?? 'replay', options.sampleSize ?? 10);
  const problems: string[] = [];
  for (const raw of rawEvents) {
    const offered = detector.offerSync(raw);
    if (offered.kind === 'malformed') problems.push(`event ${offered.id ?? '(no id)'}: ${offered.problem}`);
    if (offered.kind !== 'event') continue;
    for (const rule of offered.rules) offline.add(rule, offered.event);
  }
  const alerts = offline.drain().map((p) => p.alert);
  const { events, malformed, repeated, ignoredOwn } = detector.counts;
  return {
    alerts,
    summary: { events, malformed, repeated, ignoredOwn, matches: offline.fired, alerts: alerts.length },
    problems,
  };
}
