import type { AuditEvent } from '../../audit/auditEvent';
import type { Alert } from '../../dispatch/alert';
import type { Severity } from '../../rules/alertRule';
import { escapeMarkdown, safeText } from './safeText';

/**
 * Teams Workflows payload builder ("Send webhook alerts to a channel" template, docs/alert-delivery.md
 * §3 and §6). Adaptive Card schema: https://adaptivecards.io/explorer/ (version 1.4, 1.2-era elements).
 * Trust boundary: TextBlocks hold only app-made text (labels, counts, formatted times, ids, guidance,
 * the escaped rule name); everything from event data goes in RichTextBlock TextRuns via safeText.
 */

export interface TeamsCardContext {
  deliveryId: string;
  possibleDuplicate: boolean;
  /** Base of the admin-center links, e.g. https://intune.microsoft.com (app config, never event data). */
  intunePortalUrl: string;
}

type CardElement = Record<string, unknown>;

/** The Workflows envelope: exactly one Adaptive Card attachment. */
export interface TeamsMessage {
  type: 'message';
  attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive'; contentUrl: null; content: CardElement }];
}

/** Budget below the documented 28 KB, since 413s are reported from about 21 KB (§5). */
export const maxTeamsMessageBytes = 20 * 1024;

interface CardLimits {
  details: boolean;
  samples: number;
  properties: number;
  resources: number;
  fieldLength: number;
}

// Tried in order until the message fits: first drop sample events, then shorten lists and fields.
const levels: CardLimits[] = [
  { details: true, samples: 9, properties: 12, resources: 3, fieldLength: 256 },
  { details: true, samples: 3, properties: 12, resources: 3, fieldLength: 256 },
  { details: true, samples: 0, properties: 12, resources: 3, fieldLength: 256 },
  { details: true, samples: 0, properties: 4, resources: 1, fieldLength: 128 },
  { details: true, samples: 0, properties: 0, resources: 1, fieldLength: 64 },
  { details: false, samples: 0, properties: 0, resources: 0, fieldLength: 64 },
];

const styles: Record<Severity, string> = { critical: 'attention', high: 'attention', medium: 'warning', low: 'default' };

/** Builds the Teams message for one alert, as detailed as fits in {@link maxTeamsMessageBytes}. */
export function buildTeamsMessage(alert: Alert, context: TeamsCardContext): TeamsMessage {
  let message = envelope(card(alert, context, levels[0]));
  for (const limits of levels.slice(1)) {
    if (Buffer.byteLength(JSON.stringify(message)) <= maxTeamsMessageBytes) break;
    message = envelope(card(alert, context, limits));
  }
  return message;
}

function envelope(content: CardElement): TeamsMessage {
  return { type: 'message', attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, content }] };
}

function card(alert: Alert, context: TeamsCardContext, limits: CardLimits): CardElement {
  const [first, ...rest] = alert.events;
  const samples = limits.details ? rest.slice(0, limits.samples) : [];
  const shown = (first && limits.details ? 1 : 0) + samples.length;
  const notShown = Math.max(0, alert.eventCount - shown);
  const body: CardElement[] = [header(alert, limits)];
  if (context.possibleDuplicate) {
    body.push({
      type: 'Container',
      style: 'warning',
      items: [textBlock(`⚠ Possible duplicate: an earlier attempt may have been delivered (delivery id ${id(context.deliveryId)})`, { weight: 'Bolder' })],
    });
  }
  if (first && limits.details) body.push(...eventDetails(first, alert.eventCount, limits));
  if (samples.length > 0) {
    body.push(textBlock(`Other events (${samples.length} of ${alert.eventCount - 1})`, { weight: 'Bolder', spacing: 'Medium' }));
    body.push(...samples.map((event) => richText([run(compactLine(event, first, limits.fieldLength))], { spacing: 'None' })));
  }
  if (notShown > 0) {
    body.push(textBlock(`…and ${notShown} more ${plural(notShown, 'event')} not shown: see the Intune audit log.`, { isSubtle: true }));
  }
  body.push(textBlock('What to do', { weight: 'Bolder', spacing: 'Medium' }));
  body.push(textBlock(guidanceFor(first?.activityType ?? null, alert.events.some(isFailure))));
  body.push(footer(alert, context));
  return {
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    type: 'AdaptiveCard',
    version: '1.4',
    msteams: { width: 'Full' },
    body,
    actions: [{ type: 'Action.OpenUrl', title: 'Open Intune audit log', url: auditLogUrl(context.intunePortalUrl) }],
  };
}

function header(alert: Alert, limits: CardLimits): CardElement {
  const severity = styles[alert.severity] ? alert.severity.toUpperCase() : 'ALERT';
  const title = escapeMarkdown(safeText(alert.ruleName, 120)) || 'Cloud PKI alert';
  const items: CardElement[] = [
    textBlock(`${severity} · ${title}`, { weight: 'Bolder', size: 'Medium' }),
    textBlock(`${alert.eventCount} ${plural(alert.eventCount, 'event')} · ${timeRange(alert)}`, { spacing: 'None' }),
  ];
  // Admin-written free text: treated like event data.
  if (alert.ruleDescription) items.push(richText([run(safeText(alert.ruleDescription, limits.fieldLength), { isSubtle: true })]));
  return { type: 'Container', style: styles[alert.severity] ?? 'default', bleed: true, items };
}

function eventDetails(event: AuditEvent, eventCount: number, limits: CardLimits): CardElement[] {
  const s = (value: string | null) => safeText(value, limits.fieldLength);
  const { actor } = event;
  const who = actor.userPrincipalName ?? actor.servicePrincipalName ?? actor.applicationDisplayName;
  const app = [who === actor.applicationDisplayName ? null : actor.applicationDisplayName, actor.applicationId && `app id ${actor.applicationId}`];
  const rows: CardElement[] = [textBlock(eventCount > 1 ? 'First event' : 'Event', { weight: 'Bolder', spacing: 'Medium' })];
  rows.push(row('Who', [[run(s(who) || '(not recorded)')], ...line(app.filter((v): v is string => !!v).map(s).join(' · '))]));
  if (actor.type) rows.push(row('Actor type', [[run(s(actor.type))]]));
  if (actor.remoteTenantId) rows.push(row('Partner tenant', [[run([actor.remoteTenantId, actor.remoteUserId].filter(Boolean).map(s).join(' · user '))]]));
  if (actor.ipAddress) rows.push(row('IP address', [[run(s(actor.ipAddress))]]));
  rows.push(row('What', [[run([event.activityType ?? '(unknown activity)', event.activityOperationType].filter(Boolean).map(s).join(' · '))]]));
  rows.push(row('When', [[run(formatTime(event.activityTimeInMs) ?? s(event.activityDateTime))]]));
  const resources = event.resources.slice(0, limits.resources);
  const isCa = /CloudCertificationAuthority$/i.test(event.activityType ?? '');
  if (resources.length > 0) {
    const lines = resources.map((r) => [run(s(r.displayName) || '(no name)'), ...(r.resourceId ? [run(` · ${s(r.resourceId)}`, { isSubtle: true })] : [])]);
    rows.push(row(isCa ? 'CA' : 'Resource', [...lines, ...more(event.resources.length - resources.length, 'resource')]));
  }
  const failed = isFailure(event);
  rows.push(row('Result', [[run(s(event.activityResult) || '(not recorded)', failed ? { color: 'Attention', weight: 'Bolder' } : {})]]));
  if (event.correlationId) rows.push(row('Correlation id', [[run(s(event.correlationId))]]));
  const changes = event.resources.flatMap((r) => r.modifiedProperties);
  const listed = changes.slice(0, limits.properties);
  if (changes.length > 0) {
    const lines = listed.map((p) => [run(`${s(p.name) || '(unnamed)'}: `, { weight: 'Bolder' }), run(s(p.oldValue) || '(none)'), run(' → '), run(s(p.newValue) || '(none)')]);
    rows.push(row('Changes', [...lines, ...more(changes.length - listed.length, 'change')]));
  }
  return rows;
}

function compactLine(event: AuditEvent, first: AuditEvent | undefined, fieldLength: number): string {
  const s = (value: string | null) => safeText(value, Math.min(fieldLength, 96));
  const { actor } = event;
  const parts = [
    formatTime(event.activityTimeInMs)?.slice(11) ?? s(event.activityDateTime),
    s(actor.userPrincipalName ?? actor.servicePrincipalName ?? actor.applicationDisplayName) || '(unknown actor)',
    event.activityType !== first?.activityType ? s(event.activityType) : '',
    event.resources.map((r) => s(r.displayName)).filter(Boolean).slice(0, 2).join(', '),
    s(event.activityResult),
  ];
  return parts.filter(Boolean).join(' · ');
}

// What the on-call engineer should do first, keyed by lower-cased Cloud PKI activityType
// (docs/graph-audit-events.md §3 and §9: pause is reversible, revoke and delete are permanent).
const guidance: Record<string, string> = {
  'revokecloudcertificationauthoritycertificateasync cloudcertificationauthority':
    'Revocation is permanent and also revokes every active leaf certificate of this CA: expect Wi-Fi, VPN and ' +
    "other certificate-based access to fail. Confirm with the PKI owner immediately; if unplanned treat as a security incident: review the actor's sign-ins and roles.",
  'delete cloudcertificationauthority':
    'Deletion is permanent. The normal order is pause → revoke → delete, so a delete without them is unusual. Confirm with the PKI owner; ' +
    "if unplanned treat as a security incident: review the actor's sign-ins and roles, and check which certificate profiles used this CA.",
  'changecloudcertificationauthoritystatusasync cloudcertificationauthority':
    'A paused CA stops issuing leaf certificates (CRL and AIA keep working); resuming undoes it. Check the status change above with the PKI owner; ' +
    "if unplanned, resume the CA and review the actor's sign-ins and roles.",
  'revokeleafcertasync cloudcertificationauthorityleafcertificate':
    'Leaf revocation is permanent for that certificate and cuts the access that depends on it. Many revocations in a short time are unusual: ' +
    "confirm with the PKI owner and review the actor's sign-ins.",
  'uploadexternallysignedcertificationauthoritycertificateasync cloudcertificationauthority':
    'An externally signed CA certificate was uploaded (bring your own CA). Confirm the upload and its signing root with the PKI owner; ' +
    "if unplanned treat as a security incident: review the actor's sign-ins and roles.",
  'create cloudcertificationauthority':
    'A new CA was created. Confirm with the PKI owner that it is planned and check which root it is anchored to.',
  'patch cloudcertificationauthority': 'CA properties changed. Review the changes above with the PKI owner.',
};

const fallbackGuidance =
  "Confirm with the PKI owner that this Cloud PKI change was planned. If not, treat it as a security incident: review the actor's sign-ins, " +
  'roles and recent Intune audit events.';

function guidanceFor(activityType: string | null, anyFailed: boolean): string {
  const text = guidance[(activityType ?? '').toLowerCase()] ?? fallbackGuidance;
  // A failed attempt can mean someone probing without the rights to do it.
  return anyFailed ? `${text} At least one attempt did not succeed: someone may be trying without the needed rights.` : text;
}

function footer(alert: Alert, context: TeamsCardContext): CardElement {
  const detected = formatTime(Date.parse(alert.createdAt));
  const text = `Alert ${id(alert.id)} · delivery ${id(context.deliveryId)} · rule ${id(alert.ruleId)}${detected ? ` · detected ${detected}` : ''}`;
  return textBlock(text, { isSubtle: true, size: 'Small', spacing: 'Medium' });
}

function auditLogUrl(portal: string): string {
  return `${portal.replace(/\/+$/, '')}/#view/Microsoft_Intune_DeviceSettings/TenantAdminMenu/~/auditLogs`;
}

function timeRange(alert: Alert): string {
  const from = formatTime(Date.parse(alert.firstEventTime)) ?? formatTime(alert.events[0]?.activityTimeInMs);
  const to = formatTime(Date.parse(alert.lastEventTime)) ?? formatTime(alert.events.at(-1)?.activityTimeInMs);
  if (!from) return 'time unknown';
  if (!to || to === from) return from;
  return `${from} – ${to.slice(0, 10) === from.slice(0, 10) ? to.slice(11) : to}`;
}

/** `YYYY-MM-DD HH:MM:SS UTC`, built from a number so it is trusted text. */
function formatTime(ms: number | undefined): string | undefined {
  if (ms === undefined || !Number.isFinite(ms)) return undefined;
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;
}

/** App-generated ids (hashes, rule ids) still go through the TextBlock rules in case one is odd. */
function id(value: string): string {
  return escapeMarkdown(safeText(value, 80));
}

function isFailure(event: AuditEvent): boolean {
  return event.activityResult !== null && event.activityResult !== 'Success';
}

function plural(count: number, noun: string): string {
  return count === 1 ? noun : `${noun}s`;
}

function line(text: string): CardElement[][] {
  return text ? [[run(text, { isSubtle: true })]] : [];
}

function more(count: number, noun: string): CardElement[][] {
  return count > 0 ? [[run(`…and ${count} more ${plural(count, noun)}`, { isSubtle: true })]] : [];
}

function textBlock(text: string, options: CardElement = {}): CardElement {
  return { type: 'TextBlock', text, wrap: true, ...options };
}

function run(text: string, options: CardElement = {}): CardElement {
  return { type: 'TextRun', text, ...options };
}

function richText(inlines: CardElement[], options: CardElement = {}): CardElement {
  return { type: 'RichTextBlock', inlines, ...options };
}

/** A key/value row: trusted label TextBlock, untrusted values as one RichTextBlock per line (§6 rule 1). */
function row(label: string, lines: CardElement[][]): CardElement {
  return {
    type: 'ColumnSet',
    spacing: 'Small',
    columns: [
      { type: 'Column', width: '120px', items: [textBlock(label, { weight: 'Bolder' })] },
      { type: 'Column', width: 'stretch', items: lines.map((inlines) => richText(inlines)) },
    ],
  };
}
