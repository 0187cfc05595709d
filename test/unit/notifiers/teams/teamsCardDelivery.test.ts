import { describe, expect, it } from 'vitest';
import type { Alert } from '../../../../src/dispatch/alert';
import { foldAlerts } from '../../../../src/dispatch/digest';
import type { AlertEnrichment } from '../../../../src/notifiers/enrichment';
import {
  buildTeamsMessage,
  maxTeamsMessageBytes,
  type TeamsCardContext,
} from '../../../../src/notifiers/teams/teamsCard';
import { expectValidAdaptiveCards } from '../../../helpers/adaptiveCards';
import { cloudPkiActivityTypes, sampleAlert, sampleEvent, sampleResource } from '../../../helpers/alertFixtures';
import { expectGolden } from '../../../helpers/expectGolden';

const context: TeamsCardContext = {
  deliveryId: 'd-5e1f0c2a9b7d4e3f',
  possibleDuplicate: false,
  intunePortalUrl: 'https://intune.microsoft.com',
};
const caId = '96c8868d-868d-96c8-8d86-c8968d86c896';
const enriched: AlertEnrichment = {
  cas: [
    {
      id: caId,
      details: {
        id: caId,
        displayName: 'Contoso Issuing CA 01',
        commonName: 'Contoso Issuing CA 01',
        caType: 'issuingCertificationAuthority',
        status: 'revoked',
        validityStart: '2024-01-01T00:00:00Z',
        validityEnd: '2030-01-01T00:00:00Z',
        issuerId: 'root-1',
        keyPlatform: 'hardwareSecurityModule',
      },
    },
  ],
};
const unavailable: AlertEnrichment = { cas: [{ id: caId, unavailable: 'no permission to read Cloud PKI CAs' }] };

const later = (minutes: number, id: string) =>
  sampleAlert({
    id: `alert-${id}`,
    createdAt: new Date(Date.parse('2025-01-10T08:10:05Z') + minutes * 60_000).toISOString(),
    events: [
      sampleEvent({
        id: `ev-${id}`,
        activityDateTime: new Date(Date.parse('2025-01-10T08:03:12Z') + minutes * 60_000).toISOString(),
      }),
    ],
  });

const notice: Alert = {
  ...sampleAlert({ events: [] }),
  id: 'notice-0a1b2c3d',
  kind: 'notice',
  ruleId: 'delivery-failure-notice',
  ruleName: 'Alert delivery failing on channel pki-teams',
  severity: 'critical',
  eventCount: 0,
  notice: {
    channelId: 'pki-teams',
    problem: 'failed',
    reason: 'rejected 404',
    detail: "channel 'pki-teams': HTTP 404 (not found: the flow was deleted or its URL rotated)",
    alertId: 'alert-7f3c9a1e5b2d4c6f',
    alertRuleName: 'Cloud PKI CA certificate revoked',
    alertSeverity: 'critical',
    alertEventCount: 1,
    incidentSince: '2025-01-10T08:11:00.000Z',
  },
};

const cases: Array<[string, Alert, Partial<TeamsCardContext>]> = [
  [
    'ca-details',
    sampleAlert({ runbookUrl: 'https://wiki.contoso.com/pki/runbooks/ca-revoked' }),
    { enrichment: enriched },
  ],
  ['ca-details-unavailable', sampleAlert(), { enrichment: unavailable }],
  ['digest', foldAlerts([later(1, 'a'), later(4, 'b'), later(7, 'c')], 'digest.0123456789abcdef0123456789abcdef'), {}],
  ['failover-notice', notice, {}],
  [
    'channel-test',
    {
      ...sampleAlert(),
      kind: 'test',
      ruleId: 'channel-test',
      ruleName: 'Test alert from cloud-pki-alerts',
      severity: 'low',
    },
    {},
  ],
];

describe('cards for delivery features', () => {
  it.each(cases)('%s: golden payload, parsed by the Adaptive Cards SDK, ≤ 20 KB', (name, alert, extra) => {
    const message = buildTeamsMessage(alert, { ...context, ...extra });
    expectGolden(`cards/${name}.json`, message);
    expectValidAdaptiveCards(message);
    expect(Buffer.byteLength(JSON.stringify(message))).toBeLessThanOrEqual(maxTeamsMessageBytes);
  });

  it('shows CA name, root / issuing, status and validity from Graph, all in TextRuns', () => {
    const text = JSON.stringify(buildTeamsMessage(sampleAlert(), { ...context, enrichment: enriched }));
    expect(text).toMatch(/"TextRun","text":"Contoso Issuing CA 01".*"text":" · issuing CA"/);
    expect(text).toContain('"text":"revoked"');
    expect(text).toContain('Valid 2024-01-01 00:00:00 UTC – 2030-01-01 00:00:00 UTC');
  });

  it('says "CA details unavailable" when Graph refused or did not find the CA', () => {
    expect(JSON.stringify(buildTeamsMessage(sampleAlert(), { ...context, enrichment: unavailable }))).toContain(
      'CA details unavailable',
    );
  });

  it.each([
    ['https runbook', 'https://wiki.contoso.com/runbook', true],
    ['http runbook', 'http://wiki.contoso.com/runbook', false],
    ['javascript: URL', 'javascript:alert(1)', false],
    ['user info', 'https://user:pw@wiki.contoso.com/', false],
    ['quote in URL', 'https://wiki.contoso.com/"onmouseover', false],
  ])('runbook link only for a clean https URL: %s', (_name, url, shown) => {
    const actions = buildTeamsMessage(sampleAlert({ runbookUrl: url }), context).attachments[0].content.actions as {
      title: string;
    }[];
    expect(actions.some((a) => a.title === 'Open runbook')).toBe(shown);
  });

  it('a digest of 10,000 events stays one card under 20 KB with "and N more"', () => {
    const alerts = Array.from({ length: 40 }, (_, i) => ({ ...later(i, String(i)), eventCount: 250 }));
    const message = buildTeamsMessage(foldAlerts(alerts, 'digest.x'), context);
    const text = JSON.stringify(message);
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(maxTeamsMessageBytes);
    expect(text).toContain('Follow-up digest: 40 alerts of this rule');
    expect(text).toContain('10000 events in total');
    expect(text).toMatch(/and 35 more/);
    expectValidAdaptiveCards(message);
  });

  it('event data never becomes a link, even on a digest with hostile events', () => {
    const hostile = sampleEvent({
      activityType: cloudPkiActivityTypes.caDeleted,
      resources: [sampleResource({ displayName: '[x](https://evil.example)' })],
    });
    const message = buildTeamsMessage(foldAlerts([sampleAlert({ events: [hostile] }), later(2, 'z')], 'digest.y'), {
      ...context,
      enrichment: enriched,
    });
    expect(JSON.stringify(message)).not.toContain('https://evil');
  });
});
