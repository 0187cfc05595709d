import { isIP } from 'node:net';
import { describeUrl } from '../shared/redact';

/**
 * Which destination rules apply (docs/reference/alert-delivery.md §2 for Teams, §12 for generic webhooks): Teams and
 * email webhooks (Logic Apps / Power Automate HTTP triggers) must be Workflows / Logic Apps trigger URLs;
 * generic webhooks must be on a host of WEBHOOK_ALLOWED_HOSTS.
 */
export interface WebhookUrlPolicy {
  kind: 'teams' | 'email-webhook' | 'webhook';
  /**
   * WEBHOOK_ALLOWED_HOSTS: for Teams / email webhooks, hosts accepted besides the Workflows / Logic Apps
   * hosts (API Management, sovereign clouds); for generic webhooks, the only hosts accepted. An entry
   * `*.example.com` matches any subdomain of example.com.
   */
  extraAllowedHosts?: readonly string[];
  /** DEVELOPMENT ONLY: accept http(s) URLs on 127.0.0.0/8, ::1 or localhost (local inbox, test receivers). */
  allowLoopback?: boolean;
}

export type WebhookUrlCheck = { ok: true; url: URL } | { ok: false; message: string };

const teamsHostSuffixes = ['.environment.api.powerplatform.com', '.logic.azure.com'];
const teamsTriggerPath = '/triggers/manual/paths/invoke';
const migrationHint =
  'Office 365 connectors (incoming webhooks) are retired. In Teams, create a workflow from the ' +
  '"Send webhook alerts to a channel" template and use its URL (…/triggers/manual/paths/invoke?…&sig=…).';

/**
 * Decides whether a destination URL may be called. This is a static check on the text only (no DNS);
 * generic webhooks additionally need the resolved address checked with {@link blockedAddressClass}.
 * Messages name the destination as `scheme://host` only, never its path or query.
 */
export function checkWebhookUrl(url: string, policy: WebhookUrlPolicy): WebhookUrlCheck {
  const what =
    policy.kind === 'teams'
      ? 'Teams destination'
      : policy.kind === 'email-webhook'
        ? 'Email webhook destination'
        : 'Webhook destination';
  const trimmed = url.trim();
  if (trimmed.startsWith('@Microsoft.KeyVault(')) {
    return fail(`${what} is an unresolved Key Vault reference: check the app's identity and the secret name`);
  }
  if (!URL.canParse(trimmed)) return fail(`${what} is not a valid absolute URL`);
  const parsed = new URL(trimmed);
  const where = `${what} ${describeUrl(trimmed)}`;
  const host = parsed.hostname.toLowerCase();
  const path = parsed.pathname.toLowerCase();

  if (isLegacyConnector(host, path)) return fail(`${where} is a legacy Office 365 connector URL. ${migrationHint}`);
  if (parsed.username !== '' || parsed.password !== '') return fail(`${where} must not contain user info`);

  const bareHost = host.startsWith('[') ? host.slice(1, -1) : host;
  const loopback = isLoopbackHost(bareHost);
  if (loopback && policy.allowLoopback) {
    // Dev-only stand-in for the real service (local inbox, test receivers): scheme, port and the
    // Teams host/path shape are not checked, so a plain http://127.0.0.1:<port>/ works.
    return parsed.protocol === 'https:' || parsed.protocol === 'http:'
      ? { ok: true, url: parsed }
      : fail(`${where} must use https (or http on loopback)`);
  }
  if (loopback) return fail(`${where} is a loopback host, allowed only in development (ALLOW_LOOPBACK_WEBHOOKS)`);
  if (isIP(bareHost) !== 0) {
    const blocked = blockedAddressClass(bareHost);
    return fail(`${where} uses an IP-literal host${blocked ? ` (${blocked} address)` : ''}; use a host name`);
  }
  if (parsed.protocol !== 'https:') return fail(`${where} must use https`);
  if (parsed.port !== '' && parsed.port !== '443') return fail(`${where} must use port 443`);

  const extra = (policy.extraAllowedHosts ?? []).map((h) => h.trim().toLowerCase()).filter(Boolean);
  const listed = extra.some((h) => (h.startsWith('*.') ? host.endsWith(h.slice(1)) : h === host));
  if (policy.kind === 'webhook') {
    return listed
      ? { ok: true, url: parsed }
      : fail(
          `${where} is not on WEBHOOK_ALLOWED_HOSTS; an administrator must add the host before generic webhooks may call it`,
        );
  }

  if (!teamsHostSuffixes.some((suffix) => host.endsWith(suffix)) && !listed) {
    return fail(
      `${where} is not a ${policy.kind === 'teams' ? 'Teams Workflows' : 'Logic Apps / Power Platform'} host (*${teamsHostSuffixes.join(' or *')}); ` +
        'add it to WEBHOOK_ALLOWED_HOSTS if it is a front door you operate',
    );
  }
  if (!path.includes(teamsTriggerPath)) {
    return fail(`${where} is not a Workflows trigger URL (its path must contain ${teamsTriggerPath})`);
  }
  return { ok: true, url: parsed };
}

function fail(message: string): WebhookUrlCheck {
  return { ok: false, message };
}

function isLegacyConnector(host: string, path: string): boolean {
  if (host.endsWith('.webhook.office.com') || host === 'webhook.office.com') return true;
  if (path.includes('/webhookb2/')) return true;
  return (host === 'outlook.office.com' || host === 'outlook.office365.com') && path.startsWith('/webhook');
}

function isLoopbackHost(host: string): boolean {
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  const v4 = parseIPv4(host);
  if (v4) return v4[0] === 127;
  return host === '::1';
}

/**
 * Names the class of a blocked (non-public-unicast) IP address, or returns undefined for a public
 * address. Covers loopback, RFC 1918, link-local (incl. IMDS 169.254.169.254), Azure's 168.63.129.16,
 * CGNAT, IPv6 ULA / link-local, and IPv4-mapped or -translated IPv6 forms.
 */
export function blockedAddressClass(address: string): string | undefined {
  const v4 = parseIPv4(address);
  if (v4) return blockedIPv4Class(v4);
  const v6 = parseIPv6(address);
  if (!v6) return 'unparseable';
  if (v6.every((g) => g === 0)) return 'unspecified';
  if (v6.slice(0, 7).every((g) => g === 0) && v6[7] === 1) return 'loopback';
  if (v6.slice(0, 5).every((g) => g === 0) && v6[5] === 0xffff) return 'IPv4-mapped';
  if (v6.slice(0, 6).every((g) => g === 0)) return 'IPv4-compatible';
  if (v6[0] === 0x64 && v6[1] === 0xff9b) return 'IPv4-translated (NAT64)';
  if ((v6[0] & 0xfe00) === 0xfc00) return 'unique local (ULA)';
  if ((v6[0] & 0xffc0) === 0xfe80) return 'link-local';
  if ((v6[0] & 0xffc0) === 0xfec0) return 'site-local';
  if ((v6[0] & 0xff00) === 0xff00) return 'multicast';
  if (v6[0] === 0x2001 && v6[1] === 0x0db8) return 'documentation';
  if (v6[0] === 0x2002) return '6to4';
  return undefined;
}

function blockedIPv4Class([a, b, c, d]: number[]): string | undefined {
  if (a === 168 && b === 63 && c === 129 && d === 16) return 'Azure platform (168.63.129.16)';
  if (a === 169 && b === 254) return c === 169 && d === 254 ? 'link-local (instance metadata)' : 'link-local';
  if (a === 0) return 'unspecified';
  if (a === 127) return 'loopback';
  if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)) return 'private (RFC 1918)';
  if (a === 100 && b >= 64 && b <= 127) return 'carrier-grade NAT';
  if (a === 192 && b === 0 && c === 0) return 'IETF protocol assignment';
  if (a === 198 && (b === 18 || b === 19)) return 'benchmarking';
  if (a >= 224 && a <= 239) return 'multicast';
  if (a >= 240) return 'reserved';
  return undefined;
}

function parseIPv4(text: string): number[] | undefined {
  if (isIP(text) !== 4) return undefined;
  return text.split('.').map(Number);
}

/** Expands an IPv6 address (with `::` and an optional dotted IPv4 tail) into eight 16-bit groups. */
function parseIPv6(text: string): number[] | undefined {
  const address = text.split('%')[0];
  if (isIP(address) !== 6) return undefined;
  let groups = address;
  const lastColon = groups.lastIndexOf(':');
  const tail = groups.slice(lastColon + 1);
  const v4 = parseIPv4(tail);
  if (v4) {
    groups = `${groups.slice(0, lastColon + 1)}${((v4[0] << 8) | v4[1]).toString(16)}:${((v4[2] << 8) | v4[3]).toString(16)}`;
  }
  const [head, rest] = groups.split('::') as [string, string | undefined];
  const toNumbers = (part: string) => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const left = toNumbers(head);
  if (rest === undefined) return left;
  const right = toNumbers(rest);
  return [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
}
