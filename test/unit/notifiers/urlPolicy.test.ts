import { describe, expect, it } from 'vitest';
import { blockedAddressClass, checkWebhookUrl, type WebhookUrlPolicy } from '../../../src/notifiers/urlPolicy';

const flow = '0123456789abcdef0123456789abcdef';
const sig = 'sig=S3cr3tSig';
const invoke = '/triggers/manual/paths/invoke?api-version=1&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&' + sig;
const powerPlatform = `https://default1234abcd.56.environment.api.powerplatform.com:443/powerautomate/automations/direct/workflows/${flow}${invoke}`;
const powerPlatformCu = `https://contosoprod.0a.environment.api.powerplatform.com/powerautomate/automations/direct/cu/01/workflows/${flow}${invoke}`;
const logicApps = `https://prod-12.westeurope.logic.azure.com:443/workflows/${flow}${invoke}`;
const teams: WebhookUrlPolicy = { kind: 'teams' };
const dev: WebhookUrlPolicy = { kind: 'teams', allowLoopback: true };

describe('checkWebhookUrl: accepted', () => {
  it.each([
    ['Workflows (Power Platform)', powerPlatform, teams],
    ['Workflows, cu/NN variant, default port', powerPlatformCu, teams],
    ['Logic Apps', logicApps, teams],
    [
      'extra allowed host (API Management)',
      `https://alerts-apim.azure-api.net/workflows/${flow}${invoke}`,
      { kind: 'teams', extraAllowedHosts: ['Alerts-APIM.azure-api.net'] },
    ],
    ['loopback IPv4 over http with allowLoopback', 'http://127.0.0.1:7071/inbox?sig=abc', dev],
    ['other 127/8 address with allowLoopback', 'http://127.0.0.2:8080/', dev],
    ['IPv6 loopback with allowLoopback', 'http://[::1]:8080/x', dev],
    ['localhost with allowLoopback', 'http://localhost:3000/teams', dev],
    [
      'generic webhook, host on the allow-list',
      'https://hooks.example.com/pki?token=x',
      { kind: 'webhook', extraAllowedHosts: ['hooks.example.com'] },
    ],
    [
      'generic webhook, subdomain of a wildcard entry',
      'https://eu.siem.example.net/in',
      { kind: 'webhook', extraAllowedHosts: ['*.siem.example.net'] },
    ],
    [
      'email webhook, Logic Apps trigger',
      `https://prod-12.westeurope.logic.azure.com:443/workflows/${'a'.repeat(32)}/triggers/manual/paths/invoke?api-version=2016-06-01&${sig}`,
      { kind: 'email-webhook' },
    ],
  ] as const)('%s', (_name, url, policy) => {
    const result = checkWebhookUrl(url, policy);
    expect(result).toMatchObject({ ok: true });
    if (result.ok) expect(result.url.href).toBe(new URL(url).href);
  });
});

describe('checkWebhookUrl: rejected', () => {
  it.each([
    [
      'legacy connector',
      'https://contoso.webhook.office.com/webhookb2/g@t/IncomingWebhook/abc/owner/V2tok',
      teams,
      /legacy Office 365 connector.*Send webhook alerts to a channel/,
    ],
    [
      'generic webhook, host not on the allow-list',
      'https://hooks.example.com/pki',
      { kind: 'webhook', extraAllowedHosts: ['other.example.com'] },
      /not on WEBHOOK_ALLOWED_HOSTS/,
    ],
    [
      'generic webhook, wildcard does not match the bare domain',
      'https://siem.example.net/in',
      { kind: 'webhook', extraAllowedHosts: ['*.siem.example.net'] },
      /not on WEBHOOK_ALLOWED_HOSTS/,
    ],
    [
      'email webhook, host not a Logic Apps / Power Platform host',
      'https://mail.example.com/triggers/manual/paths/invoke',
      { kind: 'email-webhook' },
      /^Email webhook destination .* is not a Logic Apps \/ Power Platform host/,
    ],
    [
      'legacy connector for generic webhooks too',
      'https://contoso.webhook.office.com/webhookb2/g@t/IncomingWebhook/abc/owner',
      { kind: 'webhook' },
      /legacy Office 365 connector/,
    ],
    [
      'pre-2021 outlook.office.com',
      'https://outlook.office.com/webhook/abc@t/IncomingWebhook/def/ghi',
      teams,
      /legacy Office 365 connector/,
    ],
    [
      'pre-2021 outlook.office365.com',
      'https://outlook.office365.com/webhook/abc@t/IncomingWebhook/def/ghi',
      teams,
      /legacy Office 365 connector/,
    ],
    ['http', logicApps.replace('https:', 'http:').replace(':443', ''), teams, /must use https/],
    ['userinfo', logicApps.replace('https://', 'https://user:pw@'), teams, /user info/],
    ['wrong port', logicApps.replace(':443', ':8443'), teams, /port 443/],
    ['host not allowed', `https://evil.example.com/workflows/${flow}${invoke}`, teams, /not a Teams Workflows host/],
    [
      'suffix lookalike',
      `https://prod-1.logic.azure.com.evil.example/workflows/${flow}${invoke}`,
      teams,
      /not a Teams Workflows host/,
    ],
    [
      'wrong path',
      'https://prod-12.westeurope.logic.azure.com/workflows/x/run?' + sig,
      teams,
      /triggers\/manual\/paths\/invoke/,
    ],
    ['not a URL', 'prod-12.westeurope.logic.azure.com/workflows?' + sig, teams, /not a valid absolute URL/],
    [
      'unresolved Key Vault reference',
      '@Microsoft.KeyVault(SecretUri=https://v.vault.azure.net/secrets/teams/)',
      teams,
      /Key Vault reference/,
    ],
    [
      'loopback without allowLoopback',
      'http://127.0.0.1:7071/x?' + sig,
      teams,
      /loopback host, allowed only in development/,
    ],
    [
      'localhost without allowLoopback',
      'https://localhost/x?' + sig,
      { kind: 'webhook' },
      /loopback host, allowed only in development/,
    ],
    ['decimal loopback form', 'https://2130706433/x?' + sig, teams, /loopback/],
    ['private 10/8', 'https://10.1.2.3/x?' + sig, teams, /private \(RFC 1918\)/],
    ['private 172.16/12', 'https://172.20.0.1/x?' + sig, { kind: 'webhook' }, /private \(RFC 1918\)/],
    ['private 192.168/16', 'https://192.168.1.1/x?' + sig, teams, /private \(RFC 1918\)/],
    [
      'link-local metadata',
      'https://169.254.169.254/metadata?' + sig,
      { kind: 'webhook' },
      /link-local \(instance metadata\)/,
    ],
    ['link-local', 'https://169.254.10.1/x', { kind: 'webhook' }, /link-local/],
    ['Azure WireServer', 'https://168.63.129.16/x', { kind: 'webhook' }, /Azure platform/],
    ['CGNAT', 'https://100.64.0.1/x', { kind: 'webhook' }, /carrier-grade NAT/],
    ['unspecified', 'https://0.0.0.0/x', { kind: 'webhook' }, /unspecified/],
    ['IPv6 ULA', 'https://[fd00::1]/x', { kind: 'webhook' }, /unique local/],
    ['IPv6 link-local', 'https://[fe80::1]/x', { kind: 'webhook' }, /link-local/],
    ['IPv6 loopback', 'https://[::1]/x', teams, /loopback/],
    ['IPv4-mapped IPv6', 'https://[::ffff:127.0.0.1]/x', { kind: 'webhook' }, /IPv4-mapped/],
    [
      'IPv4-mapped IPv6 of a private address, even with allowLoopback',
      'http://[::ffff:10.0.0.1]/x',
      dev,
      /IPv4-mapped/,
    ],
    ['public IP literal', 'https://20.50.2.1/x?' + sig, { kind: 'webhook' }, /IP-literal host; use a host name/],
    ['private address with allowLoopback', 'http://192.168.1.10:8080/x', dev, /private/],
    ['non-http scheme on loopback', 'ftp://127.0.0.1/x', dev, /https/],
  ] as const)('%s', (_name, url, policy, message) => {
    const result = checkWebhookUrl(url, policy);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.message).toMatch(message);
    expect(result.message).not.toContain('S3cr3tSig');
    expect(result.message).not.toMatch(/IncomingWebhook|webhookb2|\/x\b|metadata\?|V2tok/);
  });
});

describe('blockedAddressClass', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['10.255.255.255', 'private (RFC 1918)'],
    ['172.15.0.1', undefined],
    ['172.16.0.1', 'private (RFC 1918)'],
    ['172.31.255.255', 'private (RFC 1918)'],
    ['172.32.0.1', undefined],
    ['192.168.0.1', 'private (RFC 1918)'],
    ['169.254.169.254', 'link-local (instance metadata)'],
    ['168.63.129.16', 'Azure platform (168.63.129.16)'],
    ['100.63.255.255', undefined],
    ['100.64.0.0', 'carrier-grade NAT'],
    ['100.127.255.255', 'carrier-grade NAT'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['20.190.128.1', undefined],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['::ffff:7f00:1', 'IPv4-mapped'],
    ['::ffff:8.8.8.8', 'IPv4-mapped'],
    ['64:ff9b::a00:1', 'IPv4-translated (NAT64)'],
    ['fc00::1', 'unique local (ULA)'],
    ['fdff:ffff::1', 'unique local (ULA)'],
    ['fe80::1%eth0', 'link-local'],
    ['ff02::1', 'multicast'],
    ['2001:db8::1', 'documentation'],
    ['2603:1030:20e:3::23c', undefined],
    ['not-an-ip', 'unparseable'],
  ])('%s → %s', (address, expected) => {
    expect(blockedAddressClass(address)).toBe(expected);
  });
});
