import type { AuditEvent } from '../../audit/auditEvent';
import type { Alert } from '../../dispatch/alert';

/** `YYYY-MM-DD HH:MM:SS UTC`, built from a number so it is trusted text. */
export function formatTime(ms: number | undefined): string | undefined {
  if (ms === undefined || !Number.isFinite(ms)) return undefined;
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;
}

/** `first – last` of an alert's events, the date left out of the end when it is the same day. */
export function timeRange(alert: Alert): string {
  const from = formatTime(Date.parse(alert.firstEventTime)) ?? formatTime(alert.events[0]?.activityTimeInMs);
  const to = formatTime(Date.parse(alert.lastEventTime)) ?? formatTime(alert.events.at(-1)?.activityTimeInMs);
  if (!from) return 'time unknown';
  if (!to || to === from) return from;
  return `${from} – ${to.slice(0, 10) === from.slice(0, 10) ? to.slice(11) : to}`;
}

export function plural(count: number, noun: string): string {
  return count === 1 ? noun : `${noun}s`;
}

export function isFailure(event: AuditEvent): boolean {
  return event.activityResult !== null && event.activityResult !== 'Success';
}

/** The Intune admin center audit log, from the configured portal (app config, never event data). */
export function auditLogUrl(portal: string): string {
  return `${portal.replace(/\/+$/, '')}/#view/Microsoft_Intune_DeviceSettings/TenantAdminMenu/~/auditLogs`;
}

/**
 * A rule's runbook URL as a link, or undefined: https only, no user info, at most 2,000 characters.
 * Rules validate it on write; this re-check keeps a bad stored row from becoming a link.
 */
export function runbookLink(url: string | undefined): string | undefined {
  if (!url || url.length > 2000 || !URL.canParse(url)) return undefined;
  const parsed = new URL(url);
  if (parsed.protocol !== 'https:' || parsed.username || parsed.password || /[\s"'<>`]/.test(url)) return undefined;
  return parsed.href;
}
