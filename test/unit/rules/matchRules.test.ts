import { describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../../src/audit/auditEvent';
import type { AlertRule } from '../../../src/rules/alertRule';
import { defaultRulePack } from '../../../src/rules/defaultRulePack';
import { compileRules, matchRules } from '../../../src/rules/matchRules';

const event = (activityType: string | null, activityResult: string | null = 'Success'): AuditEvent => ({
  id: 'e', activityDateTime: '2025-01-10T08:00:00Z', activityTimeInMs: 0, activityType, activityResult,
  activityOperationType: null, activity: null, category: null, componentName: null, correlationId: null, displayName: null,
  actor: { type: null, userPrincipalName: null, userId: null, applicationId: null, applicationDisplayName: null, servicePrincipalName: null, ipAddress: null, remoteTenantId: null, remoteUserId: null },
  resources: [],
});
const rule = (patch: Partial<AlertRule>): AlertRule => ({ id: 'r', name: 'r', enabled: true, severity: 'high', activityTypes: ['Delete CloudCertificationAuthority'], channels: ['default'], ...patch });

describe('matchRules', () => {
  it.each([
    ['exact type', rule({}), event('Delete CloudCertificationAuthority'), true],
    ['type compare ignores case', rule({}), event('delete cloudcertificationauthority'), true],
    ['other type', rule({}), event('Create CloudCertificationAuthority'), false],
    ['null type', rule({}), event(null), false],
    ['disabled rule', rule({ enabled: false }), event('Delete CloudCertificationAuthority'), false],
    ['result Success matches Success', rule({ result: 'Success' }), event('Delete CloudCertificationAuthority', 'Success'), true],
    ['result Success rejects Failure', rule({ result: 'Success' }), event('Delete CloudCertificationAuthority', 'Failure'), false],
    ['result Failure matches any non-success', rule({ result: 'Failure' }), event('Delete CloudCertificationAuthority', 'ClientError'), true],
    ['result Failure rejects Success', rule({ result: 'Failure' }), event('Delete CloudCertificationAuthority', 'Success'), false],
    ['result Failure rejects unknown (null)', rule({ result: 'Failure' }), event('Delete CloudCertificationAuthority', null), false],
    ['no result filter matches a failure too', rule({}), event('Delete CloudCertificationAuthority', 'Failure'), true],
  ])('%s', (_n, r, e, expected) => {
    expect(matchRules(compileRules([r]), e).length > 0).toBe(expected);
  });

  it.each([
    ['RevokeCloudCertificationAuthorityCertificateAsync CloudCertificationAuthority', 'cloudpki-ca-certificate-revoked', 'critical'],
    ['Delete CloudCertificationAuthority', 'cloudpki-ca-deleted', 'high'],
    ['ChangeCloudCertificationAuthorityStatusAsync CloudCertificationAuthority', 'cloudpki-ca-status-changed', 'high'],
    ['UploadExternallySignedCertificationAuthorityCertificateAsync CloudCertificationAuthority', 'cloudpki-external-ca-uploaded', 'high'],
    ['Create CloudCertificationAuthority', 'cloudpki-ca-created', 'medium'],
    ['Patch CloudCertificationAuthority', 'cloudpki-ca-updated', 'medium'],
    ['RevokeLeafCertAsync CloudCertificationAuthorityLeafCertificate', 'cloudpki-leaf-revoked', 'medium'],
  ])('default pack: %s → exactly %s (%s)', (type, id, severity) => {
    const matched = matchRules(compileRules(defaultRulePack), event(type));
    expect(matched.map((r) => [r.id, r.severity])).toEqual([[id, severity]]);
  });

  it.each(['Get CloudCertificationAuthority', 'Search CloudCertificationAuthority', 'Search CloudCertificationAuthorityLeafCertificate', 'Create DeviceEnrollmentConfiguration'])(
    'default pack ignores %s',
    (type) => expect(matchRules(compileRules(defaultRulePack), event(type))).toEqual([]),
  );
});
