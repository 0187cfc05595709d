import type { Alert } from '../../dispatch/alert';
import { isWatchdogAlert, watchdogAlertParts } from '../../dispatch/watchdogAlert';
import type { Severity } from '../../rules/alertRule';
import {
  caFacts,
  compactLine,
  eventFacts,
  type FactRow,
  noticeFacts,
  type Segment,
  tenantFacts,
} from '../content/facts';
import { auditLogUrl, formatTime, isFailure, plural, runbookLink, timeRange } from '../content/format';
import { guidanceFor, noticeGuidance, testGuidance } from '../content/guidance';
import { alertTitle } from '../content/title';
import type { AlertEnrichment } from '../enrichment';
import { escapeMarkdown, safeText } from './safeText';

/**
 * Teams Workflows payload builder ("Send webhook alerts to a channel" template, docs/reference/alert-delivery.md
 * §3 and §6). Adaptive Card schema: https://adaptivecards.io/explorer/ (version 1.4, 1.2-era elements).
 * Trust boundary: TextBlocks hold only app-made text (labels, counts, formatted times, ids, guidance,
 * the escaped rule name); everything from event data goes in RichTextBlock TextRuns via safeText.
 */

export interface TeamsCardContext {
  deliveryId: string;
  possibleDuplicate: boolean;
  /** Base of the admin-center links, e.g. https://intune.microsoft.com (app config, never event data). */
  intunePortalUrl: string;
  /** CA details looked up before sending (absent: no CA section). */
  enrichment?: AlertEnrichment;
}

type CardElement = Record<string, unknown>;

/** The Workflows envelope: exactly one Adaptive Card attachment. */
export interface TeamsMessage {
  type: 'message';
  attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive'; contentUrl: null; content: CardElement }];
}

/** Budget below the documented 28 KB, since 413s are reported from about 21 KB (§5). */
export const maxTeamsMessageBytes = 20 * 1024;
/** Watchdog texts are app-made and short; they are shown whole (up to this many characters). */
const watchdogTextLength = 1500;

export interface CardLimits {
  details: boolean;
  samples: number;
  properties: number;
  resources: number;
  fieldLength: number;
}

// Tried in order until the message fits: first drop sample events, then shorten lists and fields.
export const cardLevels: CardLimits[] = [
  { details: true, samples: 9, properties: 12, resources: 3, fieldLength: 256 },
  { details: true, samples: 3, properties: 12, resources: 3, fieldLength: 256 },
  { details: true, samples: 0, properties: 12, resources: 3, fieldLength: 256 },
  { details: true, samples: 0, properties: 4, resources: 1, fieldLength: 128 },
  { details: true, samples: 0, properties: 0, resources: 1, fieldLength: 64 },
  { details: false, samples: 0, properties: 0, resources: 0, fieldLength: 64 },
];

export const severityStyles: Record<Severity, string> = {
  critical: 'attention',
  high: 'attention',
  medium: 'warning',
  low: 'default',
};

/** Builds the Teams message for one alert, as detailed as fits in {@link maxTeamsMessageBytes}. */
export function buildTeamsMessage(alert: Alert, context: TeamsCardContext): TeamsMessage {
  let message = envelope(card(alert, context, cardLevels[0]));
  for (const limits of cardLevels.slice(1)) {
    if (Buffer.byteLength(JSON.stringify(message)) <= maxTeamsMessageBytes) break;
    message = envelope(card(alert, context, limits));
  }
  return message;
}

function envelope(content: CardElement): TeamsMessage {
  return {
    type: 'message',
    attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, content }],
  };
}

function card(alert: Alert, context: TeamsCardContext, limits: CardLimits): CardElement {
  const [first, ...rest] = alert.events;
  const samples = limits.details ? rest.slice(0, limits.samples) : [];
  const shown = (first && limits.details ? 1 : 0) + samples.length;
  const notShown = Math.max(0, alert.eventCount - shown);
  const body: CardElement[] = [header(alert, limits)];
  if (alert.kind === 'test')
    body.push(banner('accent', 'TEST: sent by an administrator to check this channel. No action is needed.'));
  if (alert.digest) {
    const n = alert.digest.alertIds.length;
    body.push(
      banner(
        'emphasis',
        `Follow-up digest: ${n} ${plural(n, 'alert')} of this rule since ${formatTime(Date.parse(alert.digest.since)) ?? 'the last card'}, ${alert.eventCount} ${plural(alert.eventCount, 'event')} in total.`,
      ),
    );
  }
  if (context.possibleDuplicate) {
    body.push(
      banner(
        'warning',
        `⚠ Possible duplicate: an earlier attempt may have been delivered (delivery id ${id(context.deliveryId)})`,
      ),
    );
  }
  body.push(...tenantFacts(alert).map(row));
  if (alert.notice) body.push(...noticeFacts(alert.notice).map(row));
  if (first && limits.details) {
    body.push(textBlock(alert.eventCount > 1 ? 'First event' : 'Event', { weight: 'Bolder', spacing: 'Medium' }));
    body.push(...eventFacts(first, limits).map(row));
  }
  const cas = limits.details ? (context.enrichment?.cas ?? []) : [];
  if (cas.length > 0) body.push(...caFacts(cas, limits.fieldLength).map(row));
  if (samples.length > 0) {
    body.push(
      textBlock(`Other events (${samples.length} of ${alert.eventCount - 1})`, { weight: 'Bolder', spacing: 'Medium' }),
    );
    body.push(
      ...samples.map((event) => richText([run(compactLine(event, first, limits.fieldLength))], { spacing: 'None' })),
    );
  }
  if (notShown > 0) {
    body.push(
      textBlock(`…and ${notShown} more ${plural(notShown, 'event')} not shown: see the Intune audit log.`, {
        isSubtle: true,
      }),
    );
  }
  body.push(textBlock('What to do', { weight: 'Bolder', spacing: 'Medium' }));
  // Watchdog / heartbeat messages (no events) carry their own "what to do"; it may quote redacted error text.
  if (isWatchdogAlert(alert))
    body.push(richText([run(safeText(watchdogAlertParts(alert).whatToDo ?? '', watchdogTextLength))]));
  else
    body.push(
      textBlock(
        alert.notice
          ? noticeGuidance
          : alert.kind === 'test'
            ? testGuidance
            : isTamper(alert)
              ? tamperGuidance
              : isWindowSummary(alert)
                ? windowSummaryGuidance
                : guidanceFor(first?.activityType ?? null, alert.events.some(isFailure)),
      ),
    );
  body.push(footer(alert, context));
  const actions: CardElement[] = [
    { type: 'Action.OpenUrl', title: 'Open Intune audit log', url: auditLogUrl(context.intunePortalUrl) },
  ];
  const runbook = runbookLink(alert.runbookUrl);
  if (runbook) actions.push({ type: 'Action.OpenUrl', title: 'Open runbook', url: runbook });
  return {
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    type: 'AdaptiveCard',
    version: '1.4',
    msteams: { width: 'Full' },
    body,
    actions,
  };
}

// Alerts about the alerting itself (rule-admin features): tamper evidence and change-window summaries.
const isTamper = (alert: Alert) => alert.ruleId.startsWith('tamper:');
const isWindowSummary = (alert: Alert) => alert.ruleId.startsWith('window:');
const tamperGuidance =
  'The alerting itself was changed: a critical or high rule was disabled, deleted or downgraded, or a change window now silences one. ' +
  'Confirm the change with the person named above (rule history: GET /api/rules/{id}/history). If nobody planned it, treat it as tampering: restore the rule, end the window and review that account.';
const windowSummaryGuidance =
  'These matches happened inside a declared change window and were recorded, not sent. Check that they fit the planned work (rules, CAs, actors above); investigate anything unexpected as a live alert.';

function header(alert: Alert, limits: CardLimits): CardElement {
  const severity =
    alert.kind === 'test' ? 'TEST' : severityStyles[alert.severity] ? alert.severity.toUpperCase() : 'ALERT';
  const title = escapeMarkdown(safeText(alertTitle(alert), 120)) || 'Cloud PKI alert';
  const summary =
    isWatchdogAlert(alert) || isTamper(alert)
      ? timeRange(alert)
      : isWindowSummary(alert)
        ? `${alert.eventCount} suppressed ${plural(alert.eventCount, 'event')} · ${timeRange(alert)}`
        : alert.notice
          ? `Delivery problem since ${formatTime(Date.parse(alert.notice.incidentSince)) ?? 'unknown'}`
          : `${alert.eventCount} ${plural(alert.eventCount, 'event')} · ${timeRange(alert)}`;
  const items: CardElement[] = [
    textBlock(`${severity} · ${title}`, { weight: 'Bolder', size: 'Medium' }),
    textBlock(summary, { spacing: 'None' }),
  ];
  // Admin-written free text: treated like event data.
  if (isWatchdogAlert(alert))
    items.push(richText([run(safeText(watchdogAlertParts(alert).summary, watchdogTextLength))]));
  else if (alert.ruleDescription)
    items.push(richText([run(safeText(alert.ruleDescription, limits.fieldLength), { isSubtle: true })]));
  const style = alert.kind === 'test' ? 'accent' : (severityStyles[alert.severity] ?? 'default');
  return { type: 'Container', style, bleed: true, items };
}

function footer(alert: Alert, context: TeamsCardContext): CardElement {
  const detected = formatTime(Date.parse(alert.createdAt));
  const what = alert.digest
    ? `Digest of alerts ${alert.digest.alertIds.slice(0, 5).map(id).join(', ')}${alert.digest.alertIds.length > 5 ? ` and ${alert.digest.alertIds.length - 5} more` : ''}`
    : `${alert.kind === 'notice' ? 'Notice' : 'Alert'} ${id(alert.id)}`;
  const text = `${what} · delivery ${id(context.deliveryId)} · rule ${id(alert.ruleId)}${detected ? ` · detected ${detected}` : ''}`;
  return textBlock(text, { isSubtle: true, size: 'Small', spacing: 'Medium' });
}

/** App-generated ids (hashes, rule ids) still go through the TextBlock rules in case one is odd. */
function id(value: string): string {
  return escapeMarkdown(safeText(value, 80));
}

function banner(style: string, text: string): CardElement {
  return { type: 'Container', style, items: [textBlock(text, { weight: 'Bolder' })] };
}

function textBlock(text: string, options: CardElement = {}): CardElement {
  return { type: 'TextBlock', text, wrap: true, ...options };
}

function run(text: string, options: CardElement = {}): CardElement {
  return { type: 'TextRun', text, ...options };
}

function segmentRun(s: Segment): CardElement {
  const options: CardElement = {};
  if (s.attention) options.color = 'Attention';
  if (s.bold) options.weight = 'Bolder';
  if (s.subtle) options.isSubtle = true;
  return run(s.text, options);
}

function richText(inlines: CardElement[], options: CardElement = {}): CardElement {
  return { type: 'RichTextBlock', inlines, ...options };
}

/** A key/value row: trusted label TextBlock, untrusted values as one RichTextBlock per line (§6 rule 1). */
function row({ label, lines }: FactRow): CardElement {
  return {
    type: 'ColumnSet',
    spacing: 'Small',
    columns: [
      { type: 'Column', width: '120px', items: [textBlock(label, { weight: 'Bolder' })] },
      { type: 'Column', width: 'stretch', items: lines.map((inlines) => richText(inlines.map(segmentRun))) },
    ],
  };
}
