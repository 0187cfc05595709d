import type { ReplaySummary } from '../app/replayEvents';
import type { AuditEvent } from '../audit/auditEvent';
import type { Alert } from '../dispatch/alert';

/** What `pki-alerts replay` shows of one alert: the rule, and what happened, by whom, on which CA. */
export interface ReplayLine {
  alertId: string;
  ruleId: string;
  ruleName: string;
  severity: string;
  eventCount: number;
  firstEventTime: string;
  lastEventTime: string;
  activityTypes: string[];
  actors: string[];
  cas: string[];
  /** True when the lists come from the alert's sample events only (ALERT_SAMPLE_EVENTS), not all of them. */
  sampled: boolean;
  eventIds: string[];
}

const distinct = (values: (string | null | undefined)[]): string[] => [
  ...new Set(values.filter((v): v is string => !!v)),
];
const actorOf = (e: AuditEvent) =>
  e.actor.userPrincipalName ?? e.actor.servicePrincipalName ?? e.actor.applicationDisplayName ?? e.actor.applicationId;
/** A CA is a resource of type CloudCertificationAuthority, or any resource of a CA activity (its type is often empty). */
const casOf = (e: AuditEvent) =>
  e.resources
    .filter(
      (r) =>
        /^CloudCertificationAuthority$/i.test(r.type ?? '') ||
        (!r.type && /\sCloudCertificationAuthority$/i.test(e.activityType ?? '')),
    )
    .map((r) => r.displayName ?? r.resourceId);

/** One alert as a replay line. Pure. */
export function replayLine(a: Alert): ReplayLine {
  return {
    alertId: a.id,
    ruleId: a.ruleId,
    ruleName: a.ruleName,
    severity: a.severity,
    eventCount: a.eventCount,
    firstEventTime: a.firstEventTime,
    lastEventTime: a.lastEventTime,
    activityTypes: distinct(a.events.map((e) => e.activityType)),
    actors: distinct(a.events.map(actorOf)),
    cas: distinct(a.events.flatMap(casOf)),
    sampled: a.eventCount > a.events.length,
    eventIds: a.events.map((e) => e.id),
  };
}

const clip = (text: string, width: number) => (text.length > width ? `${text.slice(0, width - 1)}…` : text);
const list = (values: string[], sampled: boolean) =>
  (values.length ? values.join(', ') : '—') + (sampled && values.length ? ' …' : '');

/** The table a person reads on a terminal: one row per alert, then the summary. Pure. */
export function replayTable(lines: readonly ReplayLine[], summary: ReplaySummary & { rules: number }): string[] {
  const header = ['SEVERITY', 'RULE', 'EVENTS', 'ACTIVITY TYPE(S)', 'ACTOR(S)', 'CA(S)', 'FIRST – LAST (UTC)'];
  const widths = [8, 34, 6, 44, 30, 30, 33];
  const rows = lines.map((l) => [
    l.severity.toUpperCase(),
    l.ruleName,
    String(l.eventCount),
    list(l.activityTypes, l.sampled),
    list(l.actors, l.sampled),
    list(l.cas, l.sampled),
    `${l.firstEventTime.slice(0, 16).replace('T', ' ')} – ${l.lastEventTime.slice(11, 16)}`,
  ]);
  const render = (cells: string[]) =>
    cells
      .map((c, i) => clip(c, widths[i]).padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  const out = [render(header), ...rows.map(render)];
  if (lines.some((l) => l.sampled)) out.push('(… = from the first events of the alert only; --json lists the ids)');
  out.push(
    '',
    `${summary.alerts} alert(s) from ${summary.events} event(s) (${summary.matches} match(es), ${summary.malformed} malformed, ${summary.ignoredOwn} by the app itself) against ${summary.rules} rule(s).`,
  );
  return out;
}
