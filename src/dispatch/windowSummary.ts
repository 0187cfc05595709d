import type { AuditEvent } from '../audit/auditEvent';
import type { AlertRule } from '../rules/alertRule';
import type { Alert } from './alert';
import { AlertAccumulator, alertIdFor, type PendingAlert } from './alertAccumulator';
import type { ChangeWindow } from './changeWindow';
import { mostSevere } from './tamper';

/** Who did it, for grouping and for the summary: UPN, else service principal, else application id. */
export const actorOf = (e: AuditEvent): string =>
  e.actor.userPrincipalName ?? e.actor.servicePrincipalName ?? e.actor.applicationId ?? '(unknown actor)';
/** Which CA: the first resource's name (or id). */
export const caOf = (e: AuditEvent): string => e.resources[0]?.displayName ?? e.resources[0]?.resourceId ?? '(no CA)';

/**
 * Groups the matches one run suppressed: one record per (window, rule, actor, CA), so the summary can give
 * exact counts per rule, CA and actor from the records alone. Records go to the outbox with no deliveries.
 */
export class SuppressionAccumulator {
  private readonly groups = new Map<string, { window: ChangeWindow; acc: AlertAccumulator }>();
  constructor(private readonly sampleSize: number) {}

  add(window: ChangeWindow, rule: AlertRule, event: AuditEvent): void {
    const key = JSON.stringify([window.id, actorOf(event).toLowerCase(), caOf(event)]);
    let group = this.groups.get(key);
    if (!group) this.groups.set(key, (group = { window, acc: new AlertAccumulator(this.sampleSize) }));
    group.acc.add(rule, event);
  }

  get size(): number {
    return this.groups.size;
  }

  drain(tenantId: string, now: Date): PendingAlert[] {
    const out: PendingAlert[] = [];
    for (const [key, { window, acc }] of this.groups) {
      for (const p of acc.drain(tenantId, now)) {
        const id = alertIdFor(
          tenantId,
          `suppressed|${key}|${p.alert.ruleId}`,
          p.alert.events[0]?.id ?? p.eventKeys[0].id,
        );
        out.push({ ...p, alert: { ...p.alert, id, suppressedBy: window.id } });
      }
    }
    this.groups.clear();
    return out;
  }
}

function tally(entries: [string, number][]): string {
  const totals = new Map<string, number>();
  for (const [k, n] of entries) totals.set(k, (totals.get(k) ?? 0) + n);
  const sorted = [...totals].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  return (
    sorted
      .slice(0, 4)
      .map(([k, n]) => `${k} ×${n}`)
      .join(', ') + (sorted.length > 4 ? `, +${sorted.length - 4} more` : '')
  );
}

/**
 * The one summary of a change window that has ended: what was suppressed, with counts per rule, CA and
 * actor, on the channels of the suppressed rules. Its id is fixed per window, so writing it twice (a crash
 * before the window was marked summarized) finds the first one. Pure.
 */
export function windowSummaryAlert(
  tenantId: string,
  window: ChangeWindow,
  suppressed: readonly Alert[],
  channels: readonly string[],
  now: Date,
  sampleSize: number,
): PendingAlert {
  const total = suppressed.reduce((n, a) => n + a.eventCount, 0);
  const events = suppressed
    .flatMap((a) => a.events)
    .sort((a, b) => a.activityTimeInMs - b.activityTimeInMs || a.id.localeCompare(b.id))
    .slice(0, sampleSize);
  const first = suppressed.map((a) => a.firstEventTime).sort()[0] ?? window.start;
  const last =
    suppressed
      .map((a) => a.lastEventTime)
      .sort()
      .at(-1) ?? window.end;
  const rules = tally(suppressed.map((a) => [a.ruleId, a.eventCount]));
  const cas = tally(suppressed.map((a) => [a.events[0] ? caOf(a.events[0]) : '(no CA)', a.eventCount]));
  const actors = tally(suppressed.map((a) => [a.events[0] ? actorOf(a.events[0]) : '(unknown actor)', a.eventCount]));
  return {
    alert: {
      id: alertIdFor(tenantId, `window:${window.id}`, 'summary'),
      tenantId,
      ruleId: `window:${window.id}`,
      ruleName: `Change window ended: ${total} suppressed match${total === 1 ? '' : 'es'}`,
      severity: mostSevere(suppressed.map((a) => a.severity)),
      ruleDescription: `Rules: ${rules}. CAs: ${cas}. Actors: ${actors}. Window ${window.id} (${window.start} to ${window.end}), owner ${window.owner}, reason: ${window.reason}.`,
      eventCount: total,
      events,
      firstEventTime: first,
      lastEventTime: last,
      createdAt: now.toISOString(),
    },
    channels: channels.length > 0 ? [...new Set(channels)] : ['default'],
    eventKeys: [],
  };
}
