import { isIP } from 'node:net';

/** PagerDuty service regions: the account's region decides the Events API host. */
export const pagerDutyRegions = ['us', 'eu'] as const;
export type PagerDutyRegion = (typeof pagerDutyRegions)[number];

/** Events API v2 enqueue URLs (docs/reference/alert-delivery.md §13; PagerDuty developer docs, events-API-v2). */
export const pagerDutyEnqueueUrls: Readonly<Record<PagerDutyRegion, string>> = {
  us: 'https://events.pagerduty.com/v2/enqueue',
  eu: 'https://events.eu.pagerduty.com/v2/enqueue',
};

export type EndpointCheck = { ok: true; url: URL } | { ok: false; message: string };

/**
 * Where a channel posts its events: the region's fixed Events API URL, or (development and tests only,
 * with ALLOW_LOOPBACK_WEBHOOKS) a loopback `endpoint` that stands in for PagerDuty. No other host is
 * accepted: the routing key must never travel to a host nobody checked.
 */
export function pagerDutyEndpoint(
  region: PagerDutyRegion | undefined,
  endpoint: string | undefined,
  allowLoopback: boolean,
): EndpointCheck {
  if (endpoint === undefined) return { ok: true, url: new URL(pagerDutyEnqueueUrls[region ?? 'us']) };
  if (!URL.canParse(endpoint)) return { ok: false, message: 'is not a valid absolute URL' };
  const url = new URL(endpoint);
  if (!isLoopback(url.hostname))
    return {
      ok: false,
      message: `may only name a loopback test receiver; real accounts use region us or eu (${pagerDutyEnqueueUrls.us}, ${pagerDutyEnqueueUrls.eu})`,
    };
  if (!allowLoopback)
    return { ok: false, message: 'is a loopback host, allowed only in development (ALLOW_LOOPBACK_WEBHOOKS)' };
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { ok: false, message: 'must use http or https' };
  if (url.username || url.password) return { ok: false, message: 'must not contain user info' };
  return { ok: true, url };
}

/** 127.0.0.0/8, ::1 and localhost: the only hosts a development endpoint may name. */
export function isLoopback(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  if (host === 'localhost' || host.endsWith('.localhost') || host === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}
