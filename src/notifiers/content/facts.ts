import type { AuditEvent } from '../../audit/auditEvent';
import type { Alert, DeliveryFailureNotice } from '../../dispatch/alert';
import type { CaLookup } from '../enrichment';
import { safeText } from '../teams/safeText';
import { formatTime, isFailure, plural } from './format';

/**
 * The facts shown for an alert, shared by the Teams card and the email body so both say the same. A
 * segment's text is already neutralised with safeText; renderers still treat it as untrusted (TextRun
 * on cards, HTML-escaped in email).
 */
export interface Segment {
  text: string;
  bold?: boolean;
  subtle?: boolean;
  attention?: boolean;
}

/** A labelled row (trusted label) whose value is one or more lines of segments. */
export interface FactRow {
  label: string;
  lines: Segment[][];
}

export interface FactLimits {
  properties: number;
  resources: number;
  fieldLength: number;
}

const seg = (text: string, style: Omit<Segment, 'text'> = {}): Segment => ({ text, ...style });
const more = (count: number, noun: string): Segment[][] =>
  count > 0 ? [[seg(`…and ${count} more ${plural(count, noun)}`, { subtle: true })]] : [];

/** Who, what, when, which CA, result, correlation id and modified properties (old → new) of one event. */
export function eventFacts(event: AuditEvent, limits: FactLimits): FactRow[] {
  const s = (value: string | null) => safeText(value, limits.fieldLength);
  const { actor } = event;
  const who = actor.userPrincipalName ?? actor.servicePrincipalName ?? actor.applicationDisplayName;
  const app = [
    who === actor.applicationDisplayName ? null : actor.applicationDisplayName,
    actor.applicationId && `app id ${actor.applicationId}`,
  ];
  const appLine = app
    .filter((v): v is string => !!v)
    .map(s)
    .join(' · ');
  const rows: FactRow[] = [
    {
      label: 'Who',
      lines: [[seg(s(who) || '(not recorded)')], ...(appLine ? [[seg(appLine, { subtle: true })]] : [])],
    },
  ];
  if (actor.type) rows.push({ label: 'Actor type', lines: [[seg(s(actor.type))]] });
  if (actor.remoteTenantId)
    rows.push({
      label: 'Partner tenant',
      lines: [[seg([actor.remoteTenantId, actor.remoteUserId].filter(Boolean).map(s).join(' · user '))]],
    });
  if (actor.ipAddress) rows.push({ label: 'IP address', lines: [[seg(s(actor.ipAddress))]] });
  rows.push({
    label: 'What',
    lines: [
      [
        seg(
          [event.activityType ?? '(unknown activity)', event.activityOperationType].filter(Boolean).map(s).join(' · '),
        ),
      ],
    ],
  });
  rows.push({ label: 'When', lines: [[seg(formatTime(event.activityTimeInMs) ?? s(event.activityDateTime))]] });
  const resources = event.resources.slice(0, limits.resources);
  const isCa = /CloudCertificationAuthority$/i.test(event.activityType ?? '');
  // Real events can name several resources (the first often without changes): list each, with its type when they differ.
  const several = event.resources.length > 1;
  const mixedTypes = new Set(event.resources.map((r) => r.type ?? '')).size > 1;
  if (resources.length > 0) {
    const lines = resources.map((r) => [
      seg(s(r.displayName) || '(no name)'),
      ...(r.resourceId ? [seg(` · ${s(r.resourceId)}`, { subtle: true })] : []),
      ...(mixedTypes && r.type ? [seg(` · ${s(r.type)}`, { subtle: true })] : []),
    ]);
    const label = isCa ? (several ? 'CAs' : 'CA') : several ? 'Resources' : 'Resource';
    rows.push({ label, lines: [...lines, ...more(event.resources.length - resources.length, 'resource')] });
  }
  const failed = isFailure(event);
  rows.push({
    label: 'Result',
    lines: [[seg(s(event.activityResult) || '(not recorded)', failed ? { attention: true, bold: true } : {})]],
  });
  if (event.correlationId) rows.push({ label: 'Correlation id', lines: [[seg(s(event.correlationId))]] });
  // With changes on more than one resource, each change says whose it is.
  const changed = event.resources.filter((r) => r.modifiedProperties.length > 0);
  const owner = (r: (typeof changed)[number]) =>
    changed.length > 1 ? `${s(r.displayName) || s(r.resourceId) || '(no name)'} › ` : '';
  const changes = changed.flatMap((r) => r.modifiedProperties.map((p) => ({ ...p, owner: owner(r) })));
  const listed = changes.slice(0, limits.properties);
  if (changes.length > 0) {
    const lines = listed.map((p) => [
      seg(`${p.owner}${s(p.name) || '(unnamed)'}: `, { bold: true }),
      seg(s(p.oldValue) || '(none)'),
      seg(' → '),
      seg(s(p.newValue) || '(none)'),
    ]);
    rows.push({ label: 'Changes', lines: [...lines, ...more(changes.length - listed.length, 'change')] });
  }
  return rows;
}

/**
 * Whose Intune the alert is about: "Contoso (tenant id)" when the alert names a registered tenant; nothing
 * for an alert without a tenant name (a single-tenant deployment). The name is operator data: neutralised.
 */
export function tenantFacts(alert: Pick<Alert, 'tenantId' | 'tenantName'>): FactRow[] {
  if (!alert.tenantName) return [];
  return [
    {
      label: 'Tenant',
      lines: [[seg(safeText(alert.tenantName, 120), { bold: true }), seg(` (${safeText(alert.tenantId, 64)})`)]],
    },
  ];
}

/** "Contoso (tenant id)" as one line of text, or '' when the alert names no tenant. */
export function tenantLine(alert: Pick<Alert, 'tenantId' | 'tenantName'>): string {
  return (
    tenantFacts(alert)[0]
      ?.lines[0].map((s) => s.text)
      .join('') ?? ''
  );
}

/** One line per other sample event: time, actor, activity (when it differs), resources, result. */
export function compactLine(event: AuditEvent, first: AuditEvent | undefined, fieldLength: number): string {
  const s = (value: string | null) => safeText(value, Math.min(fieldLength, 96));
  const { actor } = event;
  const parts = [
    formatTime(event.activityTimeInMs)?.slice(11) ?? s(event.activityDateTime),
    s(actor.userPrincipalName ?? actor.servicePrincipalName ?? actor.applicationDisplayName) || '(unknown actor)',
    event.activityType !== first?.activityType ? s(event.activityType) : '',
    event.resources
      .map((r) => s(r.displayName))
      .filter(Boolean)
      .slice(0, 2)
      .join(', '),
    s(event.activityResult),
  ];
  return parts.filter(Boolean).join(' · ');
}

const caTypes: Record<string, string> = {
  rootcertificationauthority: 'root CA',
  issuingcertificationauthority: 'issuing CA',
  issuingcertificationauthoritywithexternalroot: 'issuing CA (external root)',
};

/** CA details rows (name, root / issuing, status, validity), or one "unavailable" line per CA. */
export function caFacts(cas: readonly CaLookup[], fieldLength: number): FactRow[] {
  const s = (value: string | null) => safeText(value, fieldLength);
  return cas.map((ca) => {
    if (!('details' in ca))
      return {
        label: 'CA details',
        lines: [
          [
            seg('CA details unavailable', { subtle: true }),
            seg(` (${s(ca.unavailable)}) · ${s(ca.id)}`, { subtle: true }),
          ],
        ],
      };
    const d = ca.details;
    const type = d.caType ? (caTypes[d.caType.toLowerCase()] ?? s(d.caType)) : 'CA';
    const validity = [d.validityStart, d.validityEnd]
      .map((v) => (v ? (formatTime(Date.parse(v)) ?? s(v)) : '?'))
      .join(' – ');
    const status = s(d.status) || 'unknown';
    return {
      label: 'CA details',
      lines: [
        [seg(s(d.displayName ?? d.commonName) || '(no name)', { bold: true }), seg(` · ${type}`)],
        [seg('Status: '), seg(status, status === 'active' ? {} : { attention: true, bold: true })],
        [seg(`Valid ${validity}`, { subtle: true })],
        ...(d.keyPlatform ? [[seg(`Key: ${s(d.keyPlatform)}`, { subtle: true })]] : []),
      ],
    };
  });
}

/** What a failover notice states: channel, problem, reason, detail and the alert that was not delivered. */
export function noticeFacts(n: DeliveryFailureNotice): FactRow[] {
  const s = (value: string) => safeText(value, 400);
  return [
    { label: 'Channel', lines: [[seg(s(n.channelId), { bold: true })]] },
    {
      label: 'Problem',
      lines: [
        [
          seg(
            n.problem === 'dead'
              ? 'still failing after the maximum delivery age (dead-lettered)'
              : n.problem === 'failed'
                ? 'permanent failure'
                : 'misconfigured channel',
            { attention: true, bold: true },
          ),
        ],
      ],
    },
    { label: 'Reason', lines: [[seg(s(n.reason))], ...(n.detail ? [[seg(s(n.detail), { subtle: true })]] : [])] },
    {
      label: 'Not delivered',
      lines: [
        [seg(`${n.alertSeverity.toUpperCase()} · ${s(n.alertRuleName)}`, { bold: true })],
        [seg(`${n.alertEventCount} ${plural(n.alertEventCount, 'event')} · alert ${s(n.alertId)}`, { subtle: true })],
      ],
    },
    { label: 'Since', lines: [[seg(formatTime(Date.parse(n.incidentSince)) ?? s(n.incidentSince))]] },
  ];
}
