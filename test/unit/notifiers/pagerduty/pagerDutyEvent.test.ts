import { describe, expect, it } from 'vitest';
import { buildPagerDutyEvent, dedupKeyFor, maxSummaryChars } from '../../../../src/notifiers/pagerduty/pagerDutyEvent';
import { redact } from '../../../../src/notifiers/pagerduty/pagerDutyNotifier';
import { cloudPkiActivityTypes as T, sampleAlert, sampleEvent, sampleResource } from '../../../helpers/alertFixtures';

const routingKey = 'R0123456789abcdefABCDEF012345678';
const context = {
  routingKey,
  deliveryId: 'd-1',
  possibleDuplicate: false,
  intunePortalUrl: 'https://intune.microsoft.com',
  clientUrl: 'https://pki-alerts.azurewebsites.net/api/ui',
};

describe('PagerDuty Events API v2 trigger event', () => {
  it.each([
    ['critical', 'critical'],
    ['high', 'error'],
    ['medium', 'warning'],
    ['low', 'info'],
  ] as const)('maps severity %s to %s', (severity, expected) => {
    expect(buildPagerDutyEvent(sampleAlert({ severity }), context).payload.severity).toBe(expected);
  });

  it('carries the contract fields: routing key, trigger, dedup_key = the alert group, component, group, class, links, client', () => {
    const event = buildPagerDutyEvent(sampleAlert({ runbookUrl: 'https://wiki.contoso.com/pki' }), context);
    expect(event).toMatchObject({
      routing_key: routingKey,
      event_action: 'trigger',
      dedup_key: expect.stringMatching(/^cloud-pki-alerts:contoso\.onmicrosoft\.com:group:[0-9a-f]{32}$/),
      payload: {
        source: 'cloud-pki-alerts (tenant contoso.onmicrosoft.com)',
        component: 'Contoso Issuing CA 01',
        group: 'ca-cert-revoked',
        class: T.caCertificateRevoked,
        timestamp: '2025-01-10T08:10:05.000Z',
      },
      links: [
        {
          href: 'https://intune.microsoft.com/#view/Microsoft_Intune_DeviceSettings/TenantAdminMenu/~/auditLogs',
          text: 'Intune audit log',
        },
        { href: 'https://wiki.contoso.com/pki', text: 'Runbook' },
      ],
      client: 'cloud-pki-alerts',
      client_url: 'https://pki-alerts.azurewebsites.net/api/ui',
    });
    expect(event.payload.summary).toBe(
      'CRITICAL: Cloud PKI CA certificate revoked · CA Contoso Issuing CA 01 · by pkiadmin@contoso.com · 1 event',
    );
    expect(event.payload.custom_details).toMatchObject({
      rule: 'Cloud PKI CA certificate revoked',
      events: 1,
      alertId: 'alert-7f3c9a1e5b2d4c6f',
      event: { What: expect.stringContaining(T.caCertificateRevoked) },
    });
  });

  it('repeats of one group share the dedup_key; another rule or group key gets another', () => {
    const a = sampleAlert({ id: 'a1' });
    expect(dedupKeyFor(sampleAlert({ id: 'a2' }), 'x')).toBe(dedupKeyFor(a, 'y'));
    expect(dedupKeyFor(sampleAlert({ ruleId: 'other' }), 'x')).not.toBe(dedupKeyFor(a, 'x'));
    expect(dedupKeyFor(sampleAlert({ groupKey: 'actor-b' }), 'x')).not.toBe(dedupKeyFor(a, 'x'));
    expect(dedupKeyFor(sampleAlert({ kind: 'test' }), 'x').length).toBeLessThanOrEqual(255);
  });

  it('keeps the summary at most 1,024 characters and neutralises untrusted text as on the card', () => {
    const evil = `[Open Intune](https://evil.example) \u202Egnp.exe ${'A'.repeat(3000)}`;
    const alert = sampleAlert({
      ruleName: 'R'.repeat(300),
      events: [
        sampleEvent({
          resources: [sampleResource({ displayName: evil })],
          actor: { userPrincipalName: 'x\n<at>all</at>@contoso.com' },
        }),
      ],
    });
    const event = buildPagerDutyEvent(alert, context);
    expect(Array.from(event.payload.summary).length).toBeLessThanOrEqual(maxSummaryChars);
    const json = JSON.stringify(event);
    expect(json).not.toContain('https://evil.example');
    expect(json).toContain('hxxps://evil[.]example');
    expect(json).not.toContain('\u202E');
    expect(json).not.toContain('<at>');
    expect(event.payload.component!.length).toBeLessThanOrEqual(120);
  });

  it('redacts the routing key and key-shaped tokens from error text', () => {
    expect(redact(`bad key ${routingKey} and e93facc04764012d7bfb002500d5d1a6`, routingKey)).toBe(
      'bad key REDACTED and REDACTED',
    );
    expect(redact("'payload.summary' is missing", routingKey)).toBe("'payload.summary' is missing");
  });
});
