import type { Alert } from '../../dispatch/alert';
import {
  caFacts,
  compactLine,
  eventFacts,
  type FactRow,
  noticeFacts,
  type Segment,
  tenantFacts,
  tenantLine,
} from '../content/facts';
import { auditLogUrl, formatTime, isFailure, plural, runbookLink, timeRange } from '../content/format';
import { guidanceFor, noticeGuidance, testGuidance } from '../content/guidance';
import { alertTitle } from '../content/title';
import type { AlertEnrichment } from '../enrichment';
import { safeText } from '../teams/safeText';

/** An alert as email: the same content as the Teams card, as escaped HTML and as plain text. */
export interface EmailBody {
  subject: string;
  html: string;
  text: string;
}

export interface EmailContext {
  deliveryId: string;
  possibleDuplicate: boolean;
  intunePortalUrl: string;
  enrichment?: AlertEnrichment;
}

const limits = { properties: 12, resources: 3, fieldLength: 256 };
const colours: Record<string, string> = { critical: '#a4262c', high: '#d13438', medium: '#ca5010', low: '#605e5c' };

/** Escapes text for HTML element content and double-quoted attributes. */
export function escapeHtml(value: string): string {
  return value.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

/**
 * Builds subject, HTML and text. Every piece of event or admin text goes through safeText (controls
 * stripped, URLs defanged) and then escapeHtml; the only links are the app-built admin-center link and
 * the rule's https runbook URL.
 */
export function buildEmail(alert: Alert, context: EmailContext): EmailBody {
  const [first, ...rest] = alert.events;
  const samples = rest.slice(0, 9);
  const notShown = Math.max(0, alert.eventCount - (first ? 1 : 0) - samples.length);
  const label = alert.kind === 'test' ? 'TEST' : alert.severity.toUpperCase();
  // What happened (a CA status change names its transition), as on the card; not just the rule name.
  const title = safeText(alertTitle(alert), 200) || 'Cloud PKI alert';
  const tenant = tenantLine(alert);
  const summary = alert.notice
    ? `Delivery problem since ${formatTime(Date.parse(alert.notice.incidentSince)) ?? 'unknown'}`
    : `${alert.eventCount} ${plural(alert.eventCount, 'event')} · ${timeRange(alert)}`;
  const banners: string[] = [];
  if (alert.kind === 'test') banners.push('TEST: sent by an administrator to check this channel. No action is needed.');
  if (alert.digest)
    banners.push(
      `Follow-up digest: ${alert.digest.alertIds.length} ${plural(alert.digest.alertIds.length, 'alert')} of this rule, ${alert.eventCount} ${plural(alert.eventCount, 'event')} in total.`,
    );
  if (context.possibleDuplicate)
    banners.push(`Possible duplicate: an earlier attempt may have been delivered (delivery id ${context.deliveryId}).`);
  const sections: { heading?: string; rows: FactRow[] }[] = [];
  if (tenant) sections.push({ rows: tenantFacts(alert) });
  if (alert.notice) sections.push({ rows: noticeFacts(alert.notice) });
  if (first)
    sections.push({ heading: alert.eventCount > 1 ? 'First event' : 'Event', rows: eventFacts(first, limits) });
  const cas = context.enrichment?.cas ?? [];
  if (cas.length > 0) sections.push({ heading: 'Certification authority', rows: caFacts(cas, limits.fieldLength) });
  const otherLines = samples.map((e) => compactLine(e, first, 256));
  const guidance = alert.notice
    ? noticeGuidance
    : alert.kind === 'test'
      ? testGuidance
      : guidanceFor(first?.activityType ?? null, alert.events.some(isFailure));
  const links = [{ title: 'Open Intune audit log', url: auditLogUrl(context.intunePortalUrl) }];
  const runbook = runbookLink(alert.runbookUrl);
  if (runbook) links.push({ title: 'Open runbook', url: runbook });
  const footer = `${alert.digest ? `Digest of alerts ${alert.digest.alertIds.join(', ')}` : `Alert ${alert.id}`} · delivery ${context.deliveryId} · rule ${alert.ruleId}`;
  const description = alert.ruleDescription ? safeText(alert.ruleDescription, 1000) : '';
  const more =
    notShown > 0 ? `…and ${notShown} more ${plural(notShown, 'event')} not shown: see the Intune audit log.` : '';

  const text = [
    `${label} · ${title}`,
    summary,
    description,
    ...banners.map((b) => `! ${b}`),
    '',
    ...sections.flatMap((s) => [...(s.heading ? [s.heading] : []), ...s.rows.flatMap(textRow), '']),
    ...(otherLines.length
      ? [`Other events (${otherLines.length} of ${alert.eventCount - 1})`, ...otherLines.map((l) => `  - ${l}`), '']
      : []),
    ...(more ? [more, ''] : []),
    'What to do',
    guidance,
    '',
    ...links.map((l) => `${l.title}: ${l.url}`),
    '',
    footer,
  ]
    .filter((line, i, all) => !(line === '' && all[i - 1] === ''))
    .join('\n');

  const h = escapeHtml;
  const html = [
    '<!DOCTYPE html><html><body style="font-family:Segoe UI,Arial,sans-serif;font-size:14px;color:#201f1e">',
    `<div style="border-left:6px solid ${colours[alert.severity] ?? '#605e5c'};padding:8px 12px;background:#f3f2f1">`,
    `<div style="font-size:18px;font-weight:600">${h(`${label} · ${title}`)}</div><div>${h(summary)}</div>`,
    description ? `<div style="color:#605e5c">${h(description)}</div>` : '',
    '</div>',
    ...banners.map((b) => `<p style="font-weight:600;background:#fff4ce;padding:6px">${h(b)}</p>`),
    ...sections.map(
      (s) =>
        `${s.heading ? `<h3>${h(s.heading)}</h3>` : ''}<table cellpadding="4" style="border-collapse:collapse">${s.rows.map(htmlRow).join('')}</table>`,
    ),
    otherLines.length
      ? `<h3>Other events (${otherLines.length} of ${alert.eventCount - 1})</h3><ul>${otherLines.map((l) => `<li>${h(l)}</li>`).join('')}</ul>`
      : '',
    more ? `<p style="color:#605e5c">${h(more)}</p>` : '',
    `<h3>What to do</h3><p>${h(guidance)}</p>`,
    `<p>${links.map((l) => `<a href="${h(l.url)}">${h(l.title)}</a>`).join(' · ')}</p>`,
    `<p style="color:#605e5c;font-size:12px">${h(footer)}</p>`,
    '</body></html>',
  ].join('');
  const subject = `${label}: ${title}${alert.tenantName ? ` · ${safeText(alert.tenantName, 80)}` : ''}${alert.digest ? ' (digest)' : ''}`;
  return { subject: Array.from(subject).slice(0, 250).join(''), html, text };
}

function textRow({ label, lines }: FactRow): string[] {
  return lines.map(
    (segments, i) => `${i === 0 ? `${label}:`.padEnd(16) : ' '.repeat(16)}${segments.map((s) => s.text).join('')}`,
  );
}

function htmlRow({ label, lines }: FactRow): string {
  const value = lines.map((segments) => segments.map(htmlSegment).join('')).join('<br>');
  return `<tr><td style="font-weight:600;vertical-align:top">${escapeHtml(label)}</td><td>${value}</td></tr>`;
}

function htmlSegment(s: Segment): string {
  const style = [s.bold ? 'font-weight:600' : '', s.subtle ? 'color:#605e5c' : '', s.attention ? 'color:#a4262c' : '']
    .filter(Boolean)
    .join(';');
  return style ? `<span style="${style}">${escapeHtml(s.text)}</span>` : escapeHtml(s.text);
}
