import { createHash } from 'node:crypto';
import type { AuditEvent } from '../audit/auditEvent';
import { severityRank } from '../rules/alertRule';
import type { Alert } from './alert';

/**
 * Id of a digest post: derived from the delivery ids it covers, so a retry with the same members keeps
 * the id (receivers may de-duplicate on it) and a retry with more members gets a new one.
 */
export function digestIdFor(deliveryIds: readonly string[]): string {
  return `digest.${createHash('sha256')
    .update([...deliveryIds].sort().join('\n'))
    .digest('hex')
    .slice(0, 32)}`;
}

const earlier = (a: AuditEvent, b: AuditEvent) =>
  a.activityTimeInMs - b.activityTimeInMs || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * Folds alerts of one group into one follow-up digest alert: exact total count, the earliest sample
 * events (10, or as many as the largest member kept), the whole time range, and the member alert ids. Pure.
 */
export function foldAlerts(alerts: readonly Alert[], digestId: string): Alert {
  if (alerts.length === 0) throw new Error('foldAlerts needs at least one alert');
  const sorted = [...alerts].sort(
    (a, b) => a.firstEventTime.localeCompare(b.firstEventTime) || a.id.localeCompare(b.id),
  );
  const first = sorted[0];
  // At least the usual sample (10), or the largest member's, so a digest shows as much as a card.
  const sampleSize = Math.max(10, ...alerts.map((a) => a.events.length));
  const seen = new Set<string>();
  const events = sorted
    .flatMap((a) => a.events)
    .filter((e) => !seen.has(e.id) && seen.add(e.id))
    .sort(earlier)
    .slice(0, sampleSize);
  const severity = [...alerts].sort((a, b) => severityRank[a.severity] - severityRank[b.severity])[0].severity;
  return {
    ...first,
    id: digestId,
    severity,
    eventCount: alerts.reduce((n, a) => n + a.eventCount, 0),
    events,
    firstEventTime: sorted.map((a) => a.firstEventTime).sort()[0],
    lastEventTime: sorted
      .map((a) => a.lastEventTime)
      .sort()
      .at(-1)!,
    createdAt: sorted
      .map((a) => a.createdAt)
      .sort()
      .at(-1)!,
    digest: { alertIds: sorted.map((a) => a.id), since: sorted.map((a) => a.createdAt).sort()[0] },
  };
}
