import { isLoopback } from '../pagerduty/pagerDutyEndpoint';

/**
 * Host suffixes of data collection endpoints and DCR ingestion endpoints
 * (`<dce>.<region>-1.ingest.monitor.azure.com`, `<dcr>-<id>.<region>-1.logs.z1.ingest.monitor.azure.com`),
 * with the token audience of each cloud.
 */
const clouds: readonly { suffix: string; audience: string }[] = [
  { suffix: '.ingest.monitor.azure.com', audience: 'https://monitor.azure.com' },
  { suffix: '.ingest.monitor.azure.us', audience: 'https://monitor.azure.us' },
  { suffix: '.ingest.monitor.azure.cn', audience: 'https://monitor.azure.cn' },
];

/** `dcr-` and 32 hex digits: the DCR's immutableId (not its resource id or name). */
export const dcrImmutableIdPattern = /^dcr-[0-9a-f]{32}$/i;
/** A custom stream declared in the DCR: `Custom-<name>` (the table is usually `<name>_CL`). */
export const customStreamPattern = /^Custom-[A-Za-z0-9_]{1,100}(_CL)?$/;

export type LogsEndpointCheck = { ok: true; url: URL; audience: string } | { ok: false; message: string };

/**
 * Checks a Logs Ingestion endpoint: https (the SDK sends its bearer token only over TLS) on an Azure Monitor
 * ingestion host, or, with ALLOW_LOOPBACK_WEBHOOKS, an https loopback receiver for tests. Returns the token
 * audience of the endpoint's cloud.
 */
export function checkLogsEndpoint(endpoint: string, allowLoopback: boolean): LogsEndpointCheck {
  if (!URL.canParse(endpoint)) return { ok: false, message: 'is not a valid absolute URL' };
  const url = new URL(endpoint);
  if (url.protocol !== 'https:')
    return { ok: false, message: 'must use https (the access token is only sent over TLS)' };
  if (url.username || url.password) return { ok: false, message: 'must not contain user info' };
  if (url.search || url.hash || (url.pathname !== '/' && url.pathname !== ''))
    return {
      ok: false,
      message:
        'must be the endpoint origin only (https://<dce>.<region>-1.ingest.monitor.azure.com), without a path or query',
    };
  const host = url.hostname.toLowerCase();
  if (isLoopback(host)) {
    return allowLoopback
      ? { ok: true, url, audience: clouds[0].audience }
      : { ok: false, message: 'is a loopback host, allowed only in development (ALLOW_LOOPBACK_WEBHOOKS)' };
  }
  const cloud = clouds.find((c) => host.endsWith(c.suffix));
  if (!cloud)
    return {
      ok: false,
      message: `must be a data collection endpoint or DCR ingestion endpoint (host ending ${clouds.map((c) => c.suffix).join(', ')})`,
    };
  if (url.port !== '' && url.port !== '443') return { ok: false, message: 'must use port 443' };
  return { ok: true, url, audience: cloud.audience };
}
