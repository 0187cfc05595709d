import { describe, expect, it } from 'vitest';
import { buildEmail, escapeHtml } from '../../../../src/notifiers/email/emailBody';
import { sampleAlert, sampleEvent, sampleResource } from '../../../helpers/alertFixtures';
import { expectGolden } from '../../../helpers/expectGolden';

const context = {
  deliveryId: 'd-5e1f0c2a9b7d4e3f',
  possibleDuplicate: false,
  intunePortalUrl: 'https://intune.microsoft.com',
};

describe('buildEmail', () => {
  it('golden: subject, HTML and text of a CA revocation with changes and a runbook', () => {
    const alert = sampleAlert({
      runbookUrl: 'https://wiki.contoso.com/pki/ca-revoked',
      events: [
        sampleEvent({
          actor: { ipAddress: '203.0.113.7' },
          resources: [
            sampleResource({
              modifiedProperties: [{ name: 'CertificationAuthorityStatus', oldValue: 'active', newValue: 'revoked' }],
            }),
          ],
        }),
      ],
    });
    expectGolden('email/ca-certificate-revoked.json', buildEmail(alert, context));
  });

  it.each([
    ['&', '&amp;'],
    ['<', '&lt;'],
    ['>', '&gt;'],
    ['"', '&quot;'],
    ["'", '&#39;'],
  ])('escapes %s', (raw, escaped) => {
    expect(escapeHtml(`a${raw}b`)).toBe(`a${escaped}b`);
  });

  const attack =
    '<script>alert(1)</script><img src=x onerror=alert(2)> [Open](https://evil.example/x) <a href="https://evil.example">x</a>';
  const hostile = sampleAlert({
    ruleName: attack,
    ruleDescription: attack,
    events: [
      sampleEvent({
        actor: { userPrincipalName: attack },
        resources: [
          sampleResource({
            displayName: attack,
            modifiedProperties: [{ name: attack, oldValue: attack, newValue: attack }],
          }),
        ],
      }),
    ],
  });
  const email = buildEmail(hostile, context);

  it('never puts event or admin text into HTML unescaped', () => {
    expect(email.html).not.toMatch(/<script|<img|onerror=alert\(2\)>|<a href="https:\/\/evil/);
    expect(email.html).toContain('&lt;script&gt;');
    // The only links are the app's own.
    expect([...email.html.matchAll(/<a href="([^"]+)"/g)].map((m) => m[1])).toEqual([
      'https://intune.microsoft.com/#view/Microsoft_Intune_DeviceSettings/TenantAdminMenu/~/auditLogs',
    ]);
  });

  it('defangs URLs from event data in HTML and text', () => {
    expect(email.html).not.toContain('https://evil');
    expect(email.text).not.toContain('https://evil');
    expect(email.text).toContain('hxxps://evil[.]example');
  });

  it('says so on a possible duplicate, a digest and a test', () => {
    expect(buildEmail(sampleAlert(), { ...context, possibleDuplicate: true }).text).toContain('Possible duplicate');
    expect(buildEmail({ ...sampleAlert(), kind: 'test' }, context).subject).toMatch(/^TEST: /);
    expect(
      buildEmail({ ...sampleAlert(), digest: { alertIds: ['a', 'b'], since: '2025-01-10T08:00:00Z' } }, context)
        .subject,
    ).toMatch(/\(digest\)$/);
  });
});
