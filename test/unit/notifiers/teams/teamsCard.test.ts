import { describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../../../src/audit/auditEvent';
import type { Alert } from '../../../../src/dispatch/alert';
import {
  buildTeamsMessage,
  maxTeamsMessageBytes,
  type TeamsCardContext,
} from '../../../../src/notifiers/teams/teamsCard';
import { cloudPkiActivityTypes, sampleAlert, sampleEvent, sampleResource } from '../../../helpers/alertFixtures';
import { expectGolden } from '../../../helpers/expectGolden';

const context: TeamsCardContext = {
  deliveryId: 'd-5e1f0c2a9b7d4e3f',
  possibleDuplicate: false,
  intunePortalUrl: 'https://intune.microsoft.com',
};
const auditLogUrl = 'https://intune.microsoft.com/#view/Microsoft_Intune_DeviceSettings/TenantAdminMenu/~/auditLogs';

type Node = Record<string, unknown>;

/** Every object in the card, depth first, with the type of the element that holds it. */
function walk(value: unknown, visit: (node: Node) => void): void {
  if (Array.isArray(value)) value.forEach((v) => walk(v, visit));
  else if (value !== null && typeof value === 'object') {
    visit(value as Node);
    Object.values(value).forEach((v) => walk(v, visit));
  }
}

function cardOf(message: ReturnType<typeof buildTeamsMessage>): Node {
  return message.attachments[0].content;
}

function texts(message: ReturnType<typeof buildTeamsMessage>, type: string): string[] {
  const found: string[] = [];
  walk(cardOf(message), (node) => {
    if (node.type === type && typeof node.text === 'string') found.push(node.text);
  });
  return found;
}

const leafEvents = Array.from({ length: 10 }, (_, i) =>
  sampleEvent({
    id: `leaf-${i}`,
    activityType: cloudPkiActivityTypes.leafRevoked,
    activityDateTime: new Date(Date.parse('2025-01-10T08:03:00Z') + i * 7000).toISOString(),
    correlationId: `c0ffee00-0000-4000-8000-${String(i).padStart(12, '0')}`,
    resources: [
      sampleResource({
        displayName: `LAPTOP-${String(i + 1).padStart(4, '0')}`,
        type: 'CloudCertificationAuthorityLeafCertificate',
        resourceId: `leaf-serial-${i}`,
      }),
    ],
    actor: i === 9 ? { userPrincipalName: 'helpdesk@contoso.com' } : {},
  }),
);

const goldenCases: Array<[string, Alert, Partial<TeamsCardContext>]> = [
  [
    'ca-deleted',
    sampleAlert({
      ruleId: 'ca-deleted',
      ruleName: 'Cloud PKI CA deleted',
      severity: 'high',
      events: [sampleEvent({ activityType: cloudPkiActivityTypes.caDeleted, activityOperationType: 'Delete' })],
    }),
    {},
  ],
  [
    'ca-certificate-revoked',
    sampleAlert({
      ruleDescription: 'Any revocation of a Cloud PKI CA certificate. Page the PKI owner.',
      events: [
        sampleEvent({
          actor: { ipAddress: '203.0.113.7' },
          resources: [
            sampleResource({
              modifiedProperties: [
                { name: 'CertificationAuthorityStatus', oldValue: 'active', newValue: 'revoked' },
                { name: 'RevocationDateTime', oldValue: null, newValue: '1/10/2025 8:03:12 AM' },
              ],
            }),
          ],
        }),
      ],
    }),
    {},
  ],
  [
    'ca-paused',
    sampleAlert({
      ruleId: 'ca-status-changed',
      ruleName: 'Cloud PKI CA status changed',
      severity: 'medium',
      events: [
        sampleEvent({
          activityType: cloudPkiActivityTypes.caStatusChanged,
          resources: [
            sampleResource({
              modifiedProperties: [{ name: 'CertificationAuthorityStatus', oldValue: 'active', newValue: 'paused' }],
            }),
          ],
        }),
      ],
    }),
    {},
  ],
  [
    'leaf-revocation-burst',
    sampleAlert({
      ruleId: 'leaf-revocations',
      ruleName: 'Cloud PKI leaf certificates revoked',
      severity: 'high',
      eventCount: 25,
      events: leafEvents,
      lastEventTime: '2025-01-10T08:05:40.0000000Z',
    }),
    {},
  ],
  [
    'possible-duplicate',
    sampleAlert({
      ruleId: 'ca-deleted',
      ruleName: 'Cloud PKI CA deleted',
      severity: 'high',
      events: [sampleEvent({ activityType: cloudPkiActivityTypes.caDeleted, activityOperationType: 'Delete' })],
    }),
    { possibleDuplicate: true },
  ],
  [
    'failed-upload-by-partner',
    sampleAlert({
      ruleId: 'cloud-pki-failures',
      ruleName: 'Cloud PKI action failed',
      severity: 'low',
      events: [
        sampleEvent({
          activityType: cloudPkiActivityTypes.externalCaUploaded,
          activityResult: 'Failure',
          actor: {
            type: 'Partner',
            userPrincipalName: null,
            remoteTenantId: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
            remoteUserId: 'ffffffff-0000-1111-2222-333333333333',
          },
        }),
      ],
    }),
    {},
  ],
];

describe('buildTeamsMessage: golden payloads', () => {
  it.each(goldenCases)('%s', (name, alert, extra) => {
    const message = buildTeamsMessage(alert, { ...context, ...extra });
    expectGolden(`cards/${name}.json`, message);
    expect(Buffer.byteLength(JSON.stringify(message))).toBeLessThanOrEqual(maxTeamsMessageBytes);
  });
});

describe('buildTeamsMessage: structure', () => {
  const allowed = new Set([
    'AdaptiveCard',
    'Container',
    'ColumnSet',
    'Column',
    'TextBlock',
    'RichTextBlock',
    'TextRun',
    'FactSet',
    'Action.OpenUrl',
  ]);

  it.each(goldenCases)(
    '%s: Workflows envelope with one Adaptive Card 1.4 of 1.2-era elements',
    (_name, alert, extra) => {
      const message = buildTeamsMessage(alert, { ...context, ...extra });
      expect(message.type).toBe('message');
      expect(message.attachments).toHaveLength(1);
      expect(message.attachments[0]).toMatchObject({
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
      });
      expect(cardOf(message)).toMatchObject({ type: 'AdaptiveCard', version: '1.4', msteams: { width: 'Full' } });
      walk(cardOf(message), (node) => {
        if (typeof node.type === 'string') expect(allowed).toContain(node.type);
        if (node.type === 'TextBlock') expect(node.wrap).toBe(true);
        if (typeof node.type === 'string' && node.type.startsWith('Action.')) expect(node.url).toBe(auditLogUrl);
      });
    },
  );

  it.each([
    ['critical', 'attention', 'CRITICAL'],
    ['high', 'attention', 'HIGH'],
    ['medium', 'warning', 'MEDIUM'],
    ['low', 'default', 'LOW'],
  ] as const)('severity %s → header style %s, stated in text', (severity, style, label) => {
    const header = (cardOf(buildTeamsMessage(sampleAlert({ severity }), context)).body as Node[])[0];
    expect(header).toMatchObject({ type: 'Container', style });
    expect((header?.items as Node[])[0].text).toBe(`${label} · Cloud PKI CA certificate revoked`);
  });

  it.each([
    ['one event', sampleAlert(), '1 event · 2025-01-10 08:03:12 UTC'],
    [
      'range on one day',
      sampleAlert({ eventCount: 3, lastEventTime: '2025-01-10T08:05:40.9990000Z' }),
      '3 events · 2025-01-10 08:03:12 UTC – 08:05:40 UTC',
    ],
    [
      'range over midnight',
      sampleAlert({ eventCount: 2, lastEventTime: '2025-01-11T00:00:01Z' }),
      '2 events · 2025-01-10 08:03:12 UTC – 2025-01-11 00:00:01 UTC',
    ],
  ])('summary line: %s', (_name, alert, expected) => {
    expect(texts(buildTeamsMessage(alert, context), 'TextBlock')).toContain(expected);
  });

  it('shows the possible-duplicate warning with the delivery id only when asked', () => {
    const warning = 'Possible duplicate: an earlier attempt may have been delivered (delivery id d-5e1f0c2a9b7d4e3f)';
    expect(
      texts(buildTeamsMessage(sampleAlert(), { ...context, possibleDuplicate: true }), 'TextBlock').join('\n'),
    ).toContain(warning);
    expect(texts(buildTeamsMessage(sampleAlert(), context), 'TextBlock').join('\n')).not.toContain(
      'Possible duplicate',
    );
  });

  it('builds the action URL from the configured portal, ignoring a trailing slash', () => {
    const message = buildTeamsMessage(sampleAlert(), { ...context, intunePortalUrl: 'https://intune.microsoft.us/' });
    expect(cardOf(message).actions).toEqual([
      {
        type: 'Action.OpenUrl',
        title: 'Open Intune audit log',
        url: 'https://intune.microsoft.us/#view/Microsoft_Intune_DeviceSettings/TenantAdminMenu/~/auditLogs',
      },
    ]);
  });

  it.each([
    [cloudPkiActivityTypes.caCertificateRevoked, /^Revocation is permanent/],
    [cloudPkiActivityTypes.caDeleted, /^Deletion is permanent/],
    [cloudPkiActivityTypes.caStatusChanged, /^A paused CA stops issuing/],
    [cloudPkiActivityTypes.leafRevoked, /^Leaf revocation is permanent/],
    [cloudPkiActivityTypes.externalCaUploaded, /^An externally signed CA certificate/],
    [cloudPkiActivityTypes.caCreated, /^A new CA was created/],
    ['FutureThing CloudCertificationAuthority', /^Confirm with the PKI owner that this Cloud PKI change was planned/],
  ])('guidance for %s', (activityType, expected) => {
    const blocks = texts(
      buildTeamsMessage(sampleAlert({ events: [sampleEvent({ activityType })] }), context),
      'TextBlock',
    );
    expect(blocks[blocks.indexOf('What to do') + 1]).toMatch(expected);
  });
});

describe('buildTeamsMessage: untrusted text', () => {
  const attack = (field: string) =>
    `[Open Evil ${field}](https://evil.example/${field}) **${field}** <at>All</at>\u202E\n# ${field}`;
  const hostile: AuditEvent = sampleEvent({
    activityType: attack('activityType'),
    activityOperationType: attack('operation'),
    activityResult: attack('result'),
    correlationId: attack('correlation'),
    activityDateTime: attack('dateTime'),
    activityTimeInMs: Number.NaN,
    actor: {
      type: attack('actorType'),
      userPrincipalName: attack('upn'),
      applicationDisplayName: attack('appName'),
      applicationId: attack('appId'),
      ipAddress: attack('ip'),
      remoteTenantId: attack('remoteTenant'),
      remoteUserId: attack('remoteUser'),
    },
    resources: [
      sampleResource({
        displayName: attack('caName'),
        resourceId: attack('resourceId'),
        modifiedProperties: [{ name: attack('propName'), oldValue: attack('oldValue'), newValue: attack('newValue') }],
      }),
    ],
  });
  const second = sampleEvent({
    id: 'second',
    actor: { userPrincipalName: attack('sampleUpn') },
    resources: [sampleResource({ displayName: attack('sampleCa') })],
  });
  const alert = sampleAlert({ events: [hostile, second], ruleDescription: attack('ruleDescription') });
  const message = buildTeamsMessage(alert, context);
  const fields = [
    'activityType',
    'operation',
    'result',
    'correlation',
    'dateTime',
    'actorType',
    'upn',
    'appName',
    'appId',
    'ip',
    'remoteTenant',
    'remoteUser',
    'caName',
    'resourceId',
    'propName',
    'oldValue',
    'newValue',
    'sampleUpn',
    'sampleCa',
    'ruleDescription',
  ];

  it('puts untrusted text only in TextRuns', () => {
    walk(cardOf(message), (node) => {
      if (node.type === 'TextRun') return;
      for (const value of Object.values(node)) {
        if (typeof value === 'string') expect(value).not.toMatch(/evil|Open Evil|<at>/);
      }
    });
  });

  it.each(fields)('shows %s defanged, in a TextRun', (field) => {
    const runs = texts(message, 'TextRun').filter((t) => t.includes(`Open Evil ${field}]`));
    expect(runs.length).toBeGreaterThan(0);
    for (const run of runs) {
      expect(run).toContain(`(hxxps://evil[.]example/${field})`);
      expect(run).not.toMatch(/https?:\/\/|<at>|[\u202E\n]/);
    }
  });

  it('escapes Markdown in the admin-written rule name', () => {
    const title = texts(
      buildTeamsMessage(sampleAlert({ ruleName: '[Click](https://evil.example) *now*' }), context),
      'TextBlock',
    )[0];
    expect(title).toBe('CRITICAL · \\[Click\\]\\(hxxps://evil\\[.\\]example\\) \\*now\\*');
  });

  it('never turns event data into a link', () => {
    walk(cardOf(message), (node) => {
      if ('url' in node) expect(node.url).toBe(auditLogUrl);
      expect(node).not.toHaveProperty('selectAction');
    });
  });
});

describe('buildTeamsMessage: 20 KB budget', () => {
  const big = (n: number) => 'Ünïcødé 🔒 '.repeat(n);
  const hugeEvent = (i: number) =>
    sampleEvent({
      id: `huge-${i}`,
      actor: { userPrincipalName: big(100), applicationDisplayName: big(100) },
      resources: Array.from({ length: 5 }, (_, r) =>
        sampleResource({
          displayName: big(100),
          resourceId: `${r}-${big(50)}`,
          modifiedProperties: Array.from({ length: 60 }, (_, p) => ({
            name: `Prop${p} ${big(20)}`,
            oldValue: big(100),
            newValue: big(100),
          })),
        }),
      ),
    });

  it('keeps a huge alert under 20 KB with header, counts, guidance, footer and action', () => {
    const alert = sampleAlert({
      eventCount: 5000,
      events: Array.from({ length: 50 }, (_, i) => hugeEvent(i)),
      ruleName: big(500),
      ruleDescription: big(5000),
    });
    const message = buildTeamsMessage(alert, { ...context, possibleDuplicate: true });
    expect(Buffer.byteLength(JSON.stringify(message))).toBeLessThanOrEqual(maxTeamsMessageBytes);
    const blocks = texts(message, 'TextBlock').join('\n');
    expect(blocks).toMatch(/^CRITICAL · /);
    expect(blocks).toContain('5000 events · ');
    expect(blocks).toMatch(/more events? not shown/);
    expect(blocks).toContain('What to do');
    expect(blocks).toContain('Possible duplicate');
    expect(blocks).toContain('Alert alert-7f3c9a1e5b2d4c6f · delivery d-5e1f0c2a9b7d4e3f');
    expect(cardOf(message).actions).toHaveLength(1);
  });

  it('drops sample events before shortening the first event details', () => {
    const props = Array.from({ length: 12 }, (_, p) => ({ name: `P${p}`, oldValue: big(30), newValue: big(30) }));
    const events = Array.from({ length: 10 }, (_, i) =>
      sampleEvent({
        id: `e${i}`,
        actor: { userPrincipalName: big(20) },
        resources: [sampleResource({ displayName: big(20), modifiedProperties: props })],
      }),
    );
    const message = buildTeamsMessage(sampleAlert({ eventCount: 10, events }), context);
    const blocks = texts(message, 'TextBlock');
    expect(Buffer.byteLength(JSON.stringify(message))).toBeLessThanOrEqual(maxTeamsMessageBytes);
    expect(blocks).toContain('Other events (3 of 9)');
    expect(blocks).toContain('…and 6 more events not shown: see the Intune audit log.');
    expect(texts(message, 'TextRun').filter((t) => /^P\d+: $/.test(t))).toHaveLength(12);
  });

  it('shows up to 9 sample events when they fit', () => {
    const blocks = texts(buildTeamsMessage(goldenCases[3][1], context), 'TextBlock');
    expect(blocks).toContain('Other events (9 of 24)');
    expect(blocks).toContain('…and 15 more events not shown: see the Intune audit log.');
  });
});
