import { describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../../src/audit/auditEvent';
import { compileFilter } from '../../../src/rules/filter/compileFilter';
import { parseFilter } from '../../../src/rules/filter/filterParser';
import { type AuditEventOverrides, sampleEvent, sampleResource } from '../../helpers/alertFixtures';

/** One event with every field set to something distinct. */
const base: AuditEventOverrides = {
  id: 'evt-1',
  activityDateTime: '2025-01-10T08:03:12.1234567Z',
  activityType: 'ChangeCloudCertificationAuthorityStatusAsync CloudCertificationAuthority',
  activityOperationType: 'Action',
  activityResult: 'Success',
  activity: null,
  category: 'CloudPki',
  componentName: 'CloudPKI',
  correlationId: '1e2d3c4b-5a69-4788-9900-aabbccddeeff',
  displayName: 'Change status',
  actor: {
    type: 'ItPro',
    userPrincipalName: 'PkiAdmin@Contoso.com',
    applicationId: '11111111-2222-3333-4444-555555555555',
    applicationDisplayName: 'Microsoft Intune portal extension',
    ipAddress: '203.0.113.9',
    userId: 'u-1',
    servicePrincipalName: null,
    remoteTenantId: null,
    remoteUserId: null,
  },
  resources: [
    sampleResource({
      displayName: 'Contoso Issuing CA 01',
      resourceId: 'ca-1',
      type: 'CloudCertificationAuthority',
      modifiedProperties: [
        { name: 'Status', oldValue: 'active', newValue: 'paused' },
        { name: 'Limit', oldValue: '5', newValue: '12' },
        { name: 'Enabled', oldValue: 'False', newValue: 'True' },
      ],
    }),
    sampleResource({
      displayName: 'Contoso Root CA',
      resourceId: 'ca-root',
      type: 'CloudCertificationAuthority',
      modifiedProperties: [],
    }),
  ],
};
const event = (patch: AuditEventOverrides = {}): AuditEvent =>
  sampleEvent({ ...base, ...patch, actor: { ...base.actor, ...patch.actor } });
const evaluate = (filter: string, e: AuditEvent) => compileFilter(parseFilter(filter))(e);

describe('filter evaluation: every property', () => {
  it.each([
    ["id eq 'EVT-1'", true],
    ["activityType eq 'changecloudcertificationauthoritystatusasync cloudcertificationauthority'", true],
    ["activityOperationType eq 'Action'", true],
    ["activityResult eq 'success'", true],
    ['activity eq null', true],
    ["category eq 'CloudPki'", true],
    ["componentName eq 'cloudpki'", true],
    ["correlationId eq '1E2D3C4B-5A69-4788-9900-AABBCCDDEEFF'", true],
    ["displayName eq 'Change status'", true],
    ["actor/userPrincipalName eq 'pkiadmin@contoso.com'", true],
    ["actor/applicationId eq '11111111-2222-3333-4444-555555555555'", true],
    ["actor/applicationDisplayName eq 'Microsoft Intune portal extension'", true],
    ["actor/ipAddress eq '203.0.113.9'", true],
    ["actor/type eq 'itpro'", true],
    ["actor/auditActorType eq 'ItPro'", true],
    ["actor/userId eq 'u-1'", true],
    ['actor/servicePrincipalName eq null', true],
    ['actor/remoteTenantId eq null and actor/remoteUserId eq null', true],
    ["resources/any(r: r/displayName eq 'contoso root ca')", true],
    ["resources/any(r: r/resourceId eq 'ca-root')", true],
    [
      "resources/any(r: r/type eq 'CloudCertificationAuthority') and resources/any(r: r/auditResourceType eq 'cloudcertificationauthority')",
      true,
    ],
    [
      "resources/any(r: r/modifiedProperties/any(p: p/displayName eq 'status' and p/oldValue eq 'ACTIVE' and p/newValue eq 'paused'))",
      true,
    ],
    ["resources/any(r: r/modifiedProperties/any(p: p/displayName eq 'status' and p/newValue eq 'active'))", false],
    [
      "resources/any(r: r/displayName eq 'Contoso Root CA' and r/modifiedProperties/any(p: p/displayName eq 'Status'))",
      false,
    ],
  ])('%s → %s', (filter, expected) => {
    expect(evaluate(filter, event())).toBe(expected);
  });
});

describe('filter evaluation: every operator', () => {
  it.each([
    // strings: case-insensitive equality and ordering
    ["category eq 'CLOUDPKI'", true],
    ["category eq 'Role'", false],
    ["category ne 'Role'", true],
    ["category ne 'cloudpki'", false],
    ["category gt 'Cloud'", true],
    ["category gt 'cloudpki'", false],
    ["category ge 'cloudpki'", true],
    ["category lt 'd'", true],
    ["category lt 'cloudpki'", false],
    ["category le 'CLOUDPKI'", true],
    ["category le 'a'", false],
    // null
    ['actor/remoteTenantId eq null', true],
    ['actor/ipAddress eq null', false],
    ['actor/ipAddress ne null', true],
    ['actor/remoteTenantId ne null', false],
    ["actor/remoteTenantId eq 'x'", false],
    ["actor/remoteTenantId ne 'x'", true],
    ["actor/remoteTenantId lt 'x'", false],
    ["actor/remoteTenantId ge 'x'", false],
    // property vs property
    ['activityType eq displayName', false],
    ['actor/remoteTenantId eq actor/remoteUserId', true],
    ['resources/any(r: r/displayName eq r/type)', false],
    // numbers: the string value read as a number
    ["resources/any(r: r/modifiedProperties/any(p: p/displayName eq 'Limit' and p/newValue gt 5))", true],
    ["resources/any(r: r/modifiedProperties/any(p: p/displayName eq 'Limit' and p/newValue gt 12))", false],
    ["resources/any(r: r/modifiedProperties/any(p: p/displayName eq 'Limit' and p/newValue ge 12))", true],
    ["resources/any(r: r/modifiedProperties/any(p: p/displayName eq 'Limit' and p/newValue lt 1.2e1))", false],
    ["resources/any(r: r/modifiedProperties/any(p: p/displayName eq 'Limit' and p/newValue le 12.0))", true],
    ["resources/any(r: r/modifiedProperties/any(p: p/displayName eq 'Limit' and p/oldValue eq 5))", true],
    ["resources/any(r: r/modifiedProperties/any(p: p/displayName eq 'Limit' and p/oldValue ne 5))", false],
    ["resources/any(r: r/modifiedProperties/any(p: p/displayName eq 'Limit' and p/oldValue gt -1))", true],
    // text that is not a number never compares as one (only ne holds)
    ["resources/any(r: r/modifiedProperties/any(p: p/displayName eq 'Status' and p/newValue gt 0))", false],
    ["resources/any(r: r/modifiedProperties/any(p: p/displayName eq 'Status' and p/newValue lt 0))", false],
    ["resources/any(r: r/modifiedProperties/any(p: p/displayName eq 'Status' and p/newValue eq 0))", false],
    ["resources/any(r: r/modifiedProperties/any(p: p/displayName eq 'Status' and p/newValue ne 0))", true],
    // booleans: the string value as True / False text
    ["resources/any(r: r/modifiedProperties/any(p: p/displayName eq 'Enabled' and p/newValue eq true))", true],
    ["resources/any(r: r/modifiedProperties/any(p: p/displayName eq 'Enabled' and p/oldValue eq true))", false],
    ["resources/any(r: r/modifiedProperties/any(p: p/displayName eq 'Enabled' and p/oldValue ne true))", true],
    ["resources/any(r: r/modifiedProperties/any(p: p/displayName eq 'Enabled' and p/oldValue eq false))", true],
    // datetimes, with 7-digit precision and offsets
    ['activityDateTime eq 2025-01-10T08:03:12.1234567Z', true],
    ['activityDateTime eq 2025-01-10T08:03:12.123Z', false],
    ['activityDateTime gt 2025-01-10T08:03:12.1234566Z', true],
    ['activityDateTime gt 2025-01-10T08:03:12.1234567Z', false],
    ['activityDateTime ge 2025-01-10T08:03:12.1234567Z', true],
    ['activityDateTime lt 2025-01-10T08:03:12.1234568Z', true],
    ['activityDateTime lt 2025-01-10T08:03:12.1234567Z', false],
    ['activityDateTime le 2025-01-10T09:03:12.1234567+01:00', true],
    ['activityDateTime le 2025-01-10T08:03:12.1234566Z', false],
    ['activityDateTime ne 2025-01-10T08:03:12Z', true],
    ['activityDateTime gt 2025-01-10 and activityDateTime lt 2025-01-11', true],
    ['activityDateTime ne null', true],
    ['activityDateTime eq null', false],
    ['activityDateTime eq activityDateTime', true],
    // functions: case-insensitive, null → false
    ["startswith(actor/userPrincipalName, 'pkiadmin@')", true],
    ["startswith(actor/userPrincipalName, 'contoso')", false],
    ["endswith(actor/userPrincipalName, '@CONTOSO.COM')", true],
    ["endswith(actor/userPrincipalName, '@fabrikam.com')", false],
    ["contains(activityType, 'status')", true],
    ["contains(activityType, 'Revoke')", false],
    ["contains(actor/remoteTenantId, 'x')", false],
    ["contains('ChangeCloudCertificationAuthorityStatusAsync', category)", false],
    ["contains('xx cloudpki xx', category)", true],
    ["startswith(actor/userPrincipalName, 'pkiadmin') eq true", true],
    ["startswith(actor/userPrincipalName, 'pkiadmin') eq false", false],
    ["startswith(actor/userPrincipalName, 'pkiadmin') ne true", false],
    ["startswith(actor/userPrincipalName, 'x') ne true", true],
    // logic
    ["category eq 'CloudPki' and activityResult eq 'Success'", true],
    ["category eq 'CloudPki' and activityResult eq 'Failure'", false],
    ["category eq 'Role' or activityResult eq 'Success'", true],
    ["category eq 'Role' or activityResult eq 'Failure'", false],
    ["not category eq 'Role'", true],
    ["not (category eq 'Role' or category eq 'CloudPki')", false],
    ["not not category eq 'CloudPki'", true],
    ['true', true],
    ['false', false],
    ["'cloudpki' eq category", true],
    ["'d' gt category", true],
    // lambdas
    ['resources/any()', true],
    ["resources/any(r: r/displayName eq 'Other')", false],
    ["resources/all(r: startswith(r/displayName, 'Contoso'))", true],
    ["resources/all(r: r/displayName eq 'Contoso Root CA')", false],
    ['resources/any(r: r/modifiedProperties/any())', true],
    ['resources/all(r: r/modifiedProperties/any())', false],
    ['resources/any(r: r/modifiedProperties/all(p: p/oldValue ne null))', true],
    ['resources/any(r: r/modifiedProperties/any(p: p/newValue eq r/displayName))', false],
    ["resources/any(r: activityOperationType eq 'Action' and r/resourceId eq 'ca-1')", true],
  ])('%s → %s', (filter, expected) => {
    expect(evaluate(filter, event())).toBe(expected);
  });

  it.each([
    ['resources/any()', false],
    ["resources/all(r: r/displayName eq 'x')", true],
    ["not resources/any(r: r/resourceId eq 'ca-1')", true],
  ])('with no resources: %s → %s (OData: all over an empty collection is true)', (filter, expected) => {
    expect(evaluate(filter, event({ resources: [] }))).toBe(expected);
  });

  it('keeps lambda variables apart when the same lambda runs for several resources', () => {
    const f = "resources/any(r: r/resourceId eq 'ca-root' and r/modifiedProperties/all(p: p/newValue eq 'paused'))";
    expect(evaluate(f, event())).toBe(true); // Root CA has no properties: all() is vacuously true
    expect(
      evaluate(
        "resources/any(r: r/resourceId eq 'ca-1' and r/modifiedProperties/all(p: p/newValue eq 'paused'))",
        event(),
      ),
    ).toBe(false);
  });

  it('reads event dates with fewer fractional digits', () => {
    const e = event({ activityDateTime: '2025-01-10T08:03:12Z' });
    expect(evaluate('activityDateTime eq 2025-01-10T08:03:12Z', e)).toBe(true);
    expect(evaluate('activityDateTime lt 2025-01-10T08:03:12.0000001Z', e)).toBe(true);
  });
});
