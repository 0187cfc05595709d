import type { AuditEvent } from '../../audit/auditEvent';
import type { Alert } from '../../dispatch/alert';

/** What a CA status change did, read from its modified properties (docs/reference/graph-audit-events.md §9). */
export type StatusTransition = 'paused' | 'resumed' | 'revoked';

const statusChanged = 'changecloudcertificationauthoritystatusasync cloudcertificationauthority';
const knownStatuses = new Set(['active', 'paused', 'revoked']);
/** The pack's rule name, which cannot say which way the status went. */
const genericStatusRuleName = 'cloud pki ca paused or resumed';

const norm = (v: string | null | undefined) => (v ?? '').trim().replace(/^"|"$/g, '').toLowerCase();

function transitionOf(event: AuditEvent): StatusTransition | undefined {
  const changes = event.resources
    .flatMap((r) => r.modifiedProperties)
    .filter((p) => knownStatuses.has(norm(p.newValue)));
  // The property's display name is unverified; prefer one that says "status", else a single candidate.
  const change = changes.find((p) => /status/i.test(p.name ?? '')) ?? (changes.length === 1 ? changes[0] : undefined);
  if (!change) return undefined;
  const [from, to] = [norm(change.oldValue), norm(change.newValue)];
  if (to === from) return undefined;
  return to === 'paused' ? 'paused' : to === 'revoked' ? 'revoked' : 'resumed';
}

/**
 * The transition every event of a CA status-change alert made, when all of them are known and agree;
 * undefined for other alerts, mixed transitions, or events not all in the sample.
 */
export function statusTransition(alert: Pick<Alert, 'events' | 'eventCount'>): StatusTransition | undefined {
  const { events } = alert;
  if (events.length === 0 || alert.eventCount > events.length) return undefined;
  if (events.some((e) => norm(e.activityType) !== statusChanged)) return undefined;
  const found = new Set(events.map(transitionOf));
  const [only] = found;
  return found.size === 1 ? only : undefined;
}

/**
 * The alert's title (raw: renderers neutralise it like any admin text). A CA status change names its
 * transition ("Cloud PKI CA paused") when the new status is known; otherwise the rule name.
 */
export function alertTitle(alert: Pick<Alert, 'ruleName' | 'events' | 'eventCount' | 'kind'>): string {
  const transition = (alert.kind ?? 'alert') === 'alert' ? statusTransition(alert) : undefined;
  if (!transition) return alert.ruleName;
  const cas = new Set(alert.events.flatMap((e) => e.resources.map((r) => r.resourceId ?? r.displayName ?? '')));
  const what = `Cloud PKI ${cas.size > 1 ? `CAs (${cas.size})` : 'CA'} ${transition}`;
  return norm(alert.ruleName) === genericStatusRuleName || !alert.ruleName.trim()
    ? what
    : `${alert.ruleName}: ${what.replace('Cloud PKI ', '')}`;
}
