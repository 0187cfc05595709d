import { describe, expect, it } from 'vitest';
import { toAuditEvent } from '../../../../src/audit/toAuditEvent';
import { eventFacts, type FactRow } from '../../../../src/notifiers/content/facts';
import { sampleEvent, sampleResource } from '../../../helpers/alertFixtures';

const limits = { properties: 10, resources: 5, fieldLength: 200 };
const text = (row: FactRow | undefined) => row?.lines.map((line) => line.map((s) => s.text).join(''));
const row = (rows: FactRow[], label: string) => rows.find((r) => r.label === label);

describe('eventFacts with several resources per event', () => {
  it('lists every resource under "CAs" and says whose each change is', () => {
    const rows = eventFacts(
      sampleEvent({
        resources: [
          sampleResource({ displayName: 'Contoso Root CA', resourceId: 'root-id' }),
          sampleResource({
            displayName: 'Contoso Issuing CA',
            resourceId: 'issuing-id',
            modifiedProperties: [{ name: 'Status', oldValue: 'active', newValue: 'revoked' }],
          }),
          sampleResource({
            displayName: null,
            resourceId: 'third-id',
            modifiedProperties: [{ name: 'Thumbprint', oldValue: null, newValue: 'AB12' }],
          }),
        ],
      }),
      limits,
    );
    expect(text(row(rows, 'CAs'))).toEqual([
      'Contoso Root CA · root-id',
      'Contoso Issuing CA · issuing-id',
      '(no name) · third-id',
    ]);
    expect(text(row(rows, 'Changes'))).toEqual([
      'Contoso Issuing CA › Status: active → revoked',
      'third-id › Thumbprint: (none) → AB12',
    ]);
  });

  it('one resource: the label and the changes read as before (no owner prefix)', () => {
    const rows = eventFacts(
      sampleEvent({
        resources: [
          sampleResource({ modifiedProperties: [{ name: 'Status', oldValue: 'active', newValue: 'paused' }] }),
        ],
      }),
      limits,
    );
    expect(row(rows, 'CA')).toBeDefined();
    expect(text(row(rows, 'Changes'))).toEqual(['Status: active → paused']);
  });

  it('resources of different types show their type; the first without changes gives no owner to the rest', () => {
    const rows = eventFacts(
      sampleEvent({
        activityType: 'Delete MobileApp',
        resources: [
          sampleResource({ displayName: 'Company Portal', type: 'MobileApp' }),
          sampleResource({
            displayName: 'All users',
            type: 'Group',
            modifiedProperties: [{ name: 'Assigned', oldValue: 'True', newValue: 'False' }],
          }),
        ],
      }),
      limits,
    );
    expect(text(row(rows, 'Resources'))).toEqual([
      'Company Portal · 96c8868d-868d-96c8-8d86-c8968d86c896 · MobileApp',
      'All users · 96c8868d-868d-96c8-8d86-c8968d86c896 · Group',
    ]);
    expect(text(row(rows, 'Changes'))).toEqual(['Assigned: True → False']);
  });

  it('"<null>" from Graph shows as absent on the card, the activityType as what happened', () => {
    const converted = toAuditEvent({
      id: 'e1',
      activityDateTime: '2025-01-10T08:00:41.7023255Z',
      activityType: 'Delete CloudCertificationAuthority',
      displayName: 'Delete certification authority.',
      activityResult: '<null>',
      actor: { userPrincipalName: '<null>', applicationDisplayName: 'Microsoft Intune portal extension' },
      resources: [
        {
          displayName: '<null>',
          resourceId: 'ca-1',
          modifiedProperties: [{ displayName: 'Status', oldValue: '<null>', newValue: 'deleted' }],
        },
      ],
    });
    if (!converted.ok) throw new Error(converted.problem);
    const rows = eventFacts(converted.event, limits);
    expect(text(row(rows, 'Who'))).toEqual(['Microsoft Intune portal extension']);
    expect(text(row(rows, 'What'))).toEqual(['Delete CloudCertificationAuthority']);
    expect(text(row(rows, 'CA'))).toEqual(['(no name) · ca-1']);
    expect(text(row(rows, 'Result'))).toEqual(['(not recorded)']);
    expect(text(row(rows, 'Changes'))).toEqual(['Status: (none) → deleted']);
    expect(JSON.stringify(rows)).not.toContain('<null>');
  });
});
