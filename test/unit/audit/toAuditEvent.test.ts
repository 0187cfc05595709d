import { describe, expect, it } from 'vitest';
import { parseGraphDate, toAuditEvent } from '../../../src/audit/toAuditEvent';
import page from '../../fixtures/graph/auditEventsPage.json';

describe('toAuditEvent', () => {
  it('converts the documented Graph example, preferring auditActorType / auditResourceType', () => {
    const r = toAuditEvent(page.value[0]);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.event.id).toBe('3f0c6a52-7c1e-4d7b-9a57-2f2b7f1c9e11');
    expect(r.event.activityDateTime).toBe('2025-01-10T08:00:41.7023255Z');
    expect(r.event.activityTimeInMs).toBe(Date.parse('2025-01-10T08:00:41.702Z'));
    expect(r.event.actor).toMatchObject({ type: 'ItPro', userPrincipalName: 'admin@contoso.com', ipAddress: null });
    expect(r.event.resources[0]).toMatchObject({
      type: 'DeviceEnrollmentLimitConfiguration',
      displayName: 'Test restriction',
    });
    expect(r.event.resources[0].modifiedProperties[0]).toEqual({ name: 'Limit', oldValue: null, newValue: '5' });
  });

  it.each([
    ['actor.type only', { actor: { type: 'Application' } }, (e: any) => e.actor.type, 'Application'],
    [
      'both actor types, auditActorType wins',
      { actor: { type: 'X', auditActorType: 'ItPro' } },
      (e: any) => e.actor.type,
      'ItPro',
    ],
    ['null actor', { actor: null }, (e: any) => e.actor.userPrincipalName, null],
    ['missing resources', { resources: undefined }, (e: any) => e.resources, []],
    ['null resources', { resources: null }, (e: any) => e.resources, []],
    [
      'resource type fallback',
      { resources: [{ type: 'CloudCertificationAuthority' }] },
      (e: any) => e.resources[0].type,
      'CloudCertificationAuthority',
    ],
    [
      'non-string modified values',
      { resources: [{ modifiedProperties: [{ displayName: 'n', oldValue: 5, newValue: true }] }] },
      (e: any) => e.resources[0].modifiedProperties[0],
      { name: 'n', oldValue: '5', newValue: 'true' },
    ],
    [
      'a displayName that is not the activityType',
      { activityType: 'Delete MobileApp', displayName: 'Delete application.' },
      (e: any) => [e.activityType, e.displayName],
      ['Delete MobileApp', 'Delete application.'],
    ],
    [
      'no activityType: displayName never stands in for it',
      { activityType: null, displayName: 'Delete CloudCertificationAuthority' },
      (e: any) => e.activityType,
      null,
    ],
    [
      '"<null>" as a resource name',
      { resources: [{ displayName: '<null>', resourceId: '<NULL>' }] },
      (e: any) => [e.resources[0].displayName, e.resources[0].resourceId],
      [null, null],
    ],
    [
      '"<null>" as modified values',
      { resources: [{ modifiedProperties: [{ displayName: 'Status', oldValue: '<null>', newValue: ' <null> ' }] }] },
      (e: any) => e.resources[0].modifiedProperties[0],
      { name: 'Status', oldValue: null, newValue: null },
    ],
    [
      '"<null>" in actor and top-level fields',
      {
        activityResult: '<null>',
        correlationId: '<null>',
        actor: { userPrincipalName: '<null>', applicationDisplayName: 'Intune', auditActorType: '<null>' },
      },
      (e: any) => [
        e.activityResult,
        e.correlationId,
        e.actor.userPrincipalName,
        e.actor.applicationDisplayName,
        e.actor.type,
      ],
      [null, null, null, 'Intune', null],
    ],
    ['"<null>" activityType', { activityType: '<null>' }, (e: any) => e.activityType, null],
    [
      'several resources, the first with no modified properties',
      {
        resources: [
          { displayName: 'Contoso Root CA', auditResourceType: 'CloudCertificationAuthority' },
          {
            displayName: 'Contoso Issuing CA',
            modifiedProperties: [{ displayName: 'Status', oldValue: 'active', newValue: 'paused' }],
          },
        ],
      },
      (e: any) => e.resources.map((r: any) => [r.displayName, r.modifiedProperties.length]),
      [
        ['Contoso Root CA', 0],
        ['Contoso Issuing CA', 1],
      ],
    ],
    [
      'garbage in resources array',
      { resources: [null, 3, 'x', { displayName: 'CA' }] },
      (e: any) => e.resources.map((r: any) => r.displayName),
      ['CA'],
    ],
  ])('tolerates %s', (_name, patch, pick, expected) => {
    const r = toAuditEvent({ id: 'e1', activityDateTime: '2025-01-10T08:00:41.7023255Z', ...patch });
    expect(r.ok).toBe(true);
    if (r.ok) expect(pick(r.event)).toEqual(expected);
  });

  it.each([
    ['not an object', 'x', 'event is not a JSON object'],
    ['array', [], 'event is not a JSON object'],
    ['missing id', { activityDateTime: '2025-01-10T08:00:41Z' }, 'id is missing'],
    ['missing date', { id: 'a' }, 'activityDateTime is missing'],
    ['bad date', { id: 'a', activityDateTime: 'yesterday' }, 'is not an ISO 8601 date'],
  ])('rejects %s with a reason', (_name, raw, problem) => {
    const r = toAuditEvent(raw);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problem).toContain(problem);
  });
});

describe('parseGraphDate', () => {
  it.each([
    ['2025-01-10T08:00:41.7023255Z', '2025-01-10T08:00:41.702Z'],
    ['2025-01-10T08:00:41Z', '2025-01-10T08:00:41.000Z'],
    ['2025-01-10T08:00:41.7Z', '2025-01-10T08:00:41.700Z'],
    ['2025-01-10T10:00:41.1234567+02:00', '2025-01-10T08:00:41.123Z'],
  ])('%s → %s (sub-millisecond digits truncated)', (text, iso) => {
    expect(new Date(parseGraphDate(text)).toISOString()).toBe(iso);
  });
});
