import type { AuditActor, AuditEvent, AuditResource } from '../../src/audit/auditEvent';
import type { Alert } from '../../src/dispatch/alert';

/** The documented Cloud PKI `activityType` values (docs/reference/graph-audit-events.md §3). */
export const cloudPkiActivityTypes = {
  caCreated: 'Create CloudCertificationAuthority',
  caPatched: 'Patch CloudCertificationAuthority',
  caDeleted: 'Delete CloudCertificationAuthority',
  caStatusChanged: 'ChangeCloudCertificationAuthorityStatusAsync CloudCertificationAuthority',
  caCertificateRevoked: 'RevokeCloudCertificationAuthorityCertificateAsync CloudCertificationAuthority',
  externalCaUploaded: 'UploadExternallySignedCertificationAuthorityCertificateAsync CloudCertificationAuthority',
  leafRevoked: 'RevokeLeafCertAsync CloudCertificationAuthorityLeafCertificate',
  caSearched: 'Search CloudCertificationAuthority',
} as const;

export type AuditEventOverrides = Partial<Omit<AuditEvent, 'actor'>> & { actor?: Partial<AuditActor> };

/** A resource with defaults for everything not given. */
export function sampleResource(overrides: Partial<AuditResource> = {}): AuditResource {
  return {
    displayName: 'Contoso Issuing CA 01',
    type: 'CloudCertificationAuthority',
    resourceId: '96c8868d-868d-96c8-8d86-c8968d86c896',
    modifiedProperties: [],
    ...overrides,
  };
}

/**
 * A deterministic Cloud PKI audit event (by default: an admin revokes the CA certificate of
 * "Contoso Issuing CA 01" at 2025-01-10T08:03:12Z). `actor` overrides merge into the default actor;
 * `activityTimeInMs` follows `activityDateTime` unless given.
 */
export function sampleEvent(overrides: AuditEventOverrides = {}): AuditEvent {
  const { actor, ...rest } = overrides;
  const activityDateTime = rest.activityDateTime ?? '2025-01-10T08:03:12.1234567Z';
  const activityType = rest.activityType ?? cloudPkiActivityTypes.caCertificateRevoked;
  return {
    id: 'b4a1d0f3-2222-4c6e-8f00-9a1b2c3d4e5f',
    activityDateTime,
    activityTimeInMs: Date.parse(activityDateTime),
    activityType,
    activityOperationType: 'Action',
    activityResult: 'Success',
    activity: null,
    category: null,
    componentName: null,
    correlationId: '1e2d3c4b-5a69-4788-9900-aabbccddeeff',
    displayName: activityType,
    resources: [sampleResource()],
    ...rest,
    actor: {
      type: 'ItPro',
      userPrincipalName: 'pkiadmin@contoso.com',
      userId: '7f6e5d4c-3b2a-4190-8877-665544332211',
      applicationId: '11111111-2222-3333-4444-555555555555',
      applicationDisplayName: 'Microsoft Intune portal extension',
      servicePrincipalName: null,
      ipAddress: null,
      remoteTenantId: null,
      remoteUserId: null,
      ...actor,
    },
  };
}

/**
 * A deterministic alert (by default: rule "Cloud PKI CA certificate revoked", critical, one event).
 * When `events` is given, `eventCount` and the first/last event times follow it unless also given.
 */
export function sampleAlert(overrides: Partial<Alert> = {}): Alert {
  const events = overrides.events ?? [sampleEvent()];
  return {
    id: 'alert-7f3c9a1e5b2d4c6f',
    tenantId: 'contoso.onmicrosoft.com',
    ruleId: 'ca-cert-revoked',
    ruleName: 'Cloud PKI CA certificate revoked',
    severity: 'critical',
    eventCount: events.length,
    firstEventTime: events[0]?.activityDateTime ?? '2025-01-10T08:03:12.1234567Z',
    lastEventTime: events.at(-1)?.activityDateTime ?? '2025-01-10T08:03:12.1234567Z',
    createdAt: '2025-01-10T08:10:05.000Z',
    ...overrides,
    events,
  };
}
