import { describe, expect, it } from 'vitest';
import type { Alert } from '../../../src/dispatch/alert';
import { buildLogRow } from '../../../src/notifiers/azureMonitorLogs/logsRow';
import { buildEmail } from '../../../src/notifiers/email/emailBody';
import { buildPagerDutyEvent } from '../../../src/notifiers/pagerduty/pagerDutyEvent';
import { buildTeamsMessage } from '../../../src/notifiers/teams/teamsCard';
import { buildWebhookPayload } from '../../../src/notifiers/webhook/webhookPayload';
import { cloudPkiActivityTypes, sampleAlert, sampleEvent, sampleResource } from '../../helpers/alertFixtures';
import { expectGolden } from '../../helpers/expectGolden';

const context = {
  deliveryId: 'd-5e1f0c2a9b7d4e3f',
  possibleDuplicate: false,
  intunePortalUrl: 'https://intune.microsoft.com',
};
const tenantId = '3f2b8c1d-6a4e-4f0b-9c7d-1e2f3a4b5c6d';

/** A CA paused in a registered tenant: the title says what happened, every channel names the tenant. */
const paused = (overrides: Partial<Alert> = {}): Alert =>
  sampleAlert({
    tenantId,
    tenantName: 'Fabrikam Retail',
    ruleId: 'cloudpki-ca-status-changed',
    ruleName: 'Cloud PKI CA paused or resumed',
    severity: 'high',
    events: [
      sampleEvent({
        activityType: cloudPkiActivityTypes.caStatusChanged,
        activityOperationType: 'Action',
        resources: [
          sampleResource({
            modifiedProperties: [{ name: 'CertificationAuthorityStatus', oldValue: 'active', newValue: 'paused' }],
          }),
        ],
      }),
    ],
    ...overrides,
  });

const hostileName = 'Evil\u202E [Open](https://evil.example/x) <b>corp</b>\nline';

describe('messages name the tenant (display name and id)', () => {
  it('golden: the Teams card has a Tenant fact "Fabrikam Retail (id)"', () => {
    const message = buildTeamsMessage(paused(), context);
    expectGolden('cards/registered-tenant-ca-paused.json', message);
    const text = JSON.stringify(message);
    expect(text).toContain('"text":"Tenant"');
    expect(text).toContain('Fabrikam Retail');
    expect(text).toContain(`(${tenantId})`);
  });

  it('golden: the email names the tenant in subject and body; the subject says what happened, not the rule name', () => {
    const email = buildEmail(paused(), context);
    expectGolden('email/registered-tenant-ca-paused.json', email);
    expect(email.subject).toBe('HIGH: Cloud PKI CA paused · Fabrikam Retail');
    expect(email.text).toContain(`Tenant:         Fabrikam Retail (${tenantId})`);
  });

  it('the email subject of a single-tenant alert (no tenant name) is the title alone', () => {
    expect(buildEmail(paused({ tenantName: undefined }), context).subject).toBe('HIGH: Cloud PKI CA paused');
  });

  it('PagerDuty: the summary and custom_details name the tenant', () => {
    const event = buildPagerDutyEvent(paused(), { ...context, routingKey: 'R0UT1NGKEY000000000000000000000A' });
    expect(event.payload.summary).toMatch(/^HIGH: Cloud PKI CA paused · tenant Fabrikam Retail · /);
    expect(event.payload.custom_details.tenant).toEqual({ id: tenantId, displayName: 'Fabrikam Retail' });
    expect(event.payload.source).toBe(`cloud-pki-alerts (tenant ${tenantId})`);
  });

  it('generic webhook: data.tenant is { id, displayName } (displayName null without a name)', () => {
    const data = (alert: Alert) => (JSON.parse(buildWebhookPayload(alert, context)) as { data: any }).data;
    expect(data(paused()).tenant).toEqual({ id: tenantId, displayName: 'Fabrikam Retail' });
    expect(data(paused()).tenantId).toBe(tenantId);
    expect(data(paused({ tenantName: undefined })).tenant).toEqual({ id: tenantId, displayName: null });
  });

  it('Azure Monitor Logs row: TenantId and TenantName columns', () => {
    const row = buildLogRow(paused(), context);
    expect(row).toMatchObject({ TenantId: tenantId, TenantName: 'Fabrikam Retail' });
    expect(Object.keys(row).slice(4, 6)).toEqual(['TenantId', 'TenantName']);
    expect(buildLogRow(paused({ tenantName: undefined }), context).TenantName).toBe('');
  });

  it('a hostile tenant name is neutralised everywhere (no bidi control, no link, one line; escaped in HTML)', () => {
    const alert = paused({ tenantName: hostileName });
    const card = JSON.stringify(buildTeamsMessage(alert, context));
    const email = buildEmail(alert, context);
    const pd = buildPagerDutyEvent(alert, { ...context, routingKey: 'R0UT1NGKEY000000000000000000000A' });
    for (const text of [
      card,
      email.subject,
      email.html,
      email.text,
      pd.payload.summary,
      buildLogRow(alert, context).TenantName,
    ]) {
      expect(text).not.toContain('\u202E');
      expect(text).not.toContain('https://evil.example');
    }
    expect(email.text.split('\n').find((l) => l.startsWith('Tenant:'))).toContain('<b>corp</b> line');
    // On the card the name is a TextRun (no Markdown, no HTML); in the email it is escaped.
    expect(email.html).not.toContain('<b>corp');
    expect(email.subject).not.toContain('\n');
    expect(email.html).toContain('&lt;b&gt;corp&lt;/b&gt;');
  });

  it('an alert without a tenant name has no Tenant fact (single-tenant deployments look as before)', () => {
    const card = JSON.stringify(buildTeamsMessage(paused({ tenantName: undefined }), context));
    expect(card).not.toContain('"text":"Tenant"');
  });
});
