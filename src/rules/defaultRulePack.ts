import type { AlertRule } from './alertRule';

/** Version of the built-in pack; bumped whenever one of its rules changes (see rulePackHistory.ts). */
export const defaultRulePackVersion = 2;

/** The 10 Cloud PKI activity types Microsoft documents (docs/reference/graph-audit-events.md §3). */
export const cloudPkiActivityTypes = {
  created: 'Create CloudCertificationAuthority',
  searched: 'Search CloudCertificationAuthority',
  read: 'Get CloudCertificationAuthority',
  patched: 'Patch CloudCertificationAuthority',
  deleted: 'Delete CloudCertificationAuthority',
  leafSearched: 'Search CloudCertificationAuthorityLeafCertificate',
  leafRevoked: 'RevokeLeafCertAsync CloudCertificationAuthorityLeafCertificate',
  externalUploaded: 'UploadExternallySignedCertificationAuthorityCertificateAsync CloudCertificationAuthority',
  statusChanged: 'ChangeCloudCertificationAuthorityStatusAsync CloudCertificationAuthority',
  caCertRevoked: 'RevokeCloudCertificationAuthorityCertificateAsync CloudCertificationAuthority',
} as const;

const t = cloudPkiActivityTypes;
const origin = `pack@${defaultRulePackVersion}`;
const knownTypesFilter = `not (${Object.values(t)
  .map((v) => `activityType eq '${v}'`)
  .join(' or ')})`;

/**
 * The Cloud PKI rule pack seeded into an empty `AlertRules` table and offered by planPackUpgrade. Every
 * documented activity type has a severity or is off (reads are noise); on top: mass leaf revocation, any
 * failed Cloud PKI action, and any Cloud PKI activity type Microsoft has not documented. docs/rules.md
 * "Default rules (pack v2)" is the table of this pack.
 */
export const defaultRulePack: readonly AlertRule[] = [
  {
    id: 'cloudpki-ca-certificate-revoked',
    name: 'Cloud PKI CA certificate revoked',
    enabled: true,
    severity: 'critical',
    activityTypes: [t.caCertRevoked],
    channels: ['default'],
    description:
      'A CA certificate was revoked. Revocation is permanent and revokes every active leaf certificate of the CA.',
    origin,
  },
  {
    id: 'cloudpki-ca-deleted',
    name: 'Cloud PKI CA deleted',
    enabled: true,
    severity: 'high',
    activityTypes: [t.deleted],
    channels: ['default'],
    description:
      'A certification authority was deleted. Deletion is permanent; the usual order is pause, revoke, delete.',
    origin,
  },
  {
    id: 'cloudpki-ca-status-changed',
    name: 'Cloud PKI CA paused or resumed',
    enabled: true,
    severity: 'high',
    activityTypes: [t.statusChanged],
    channels: ['default'],
    description: 'A CA was paused (stops issuing leaf certificates) or resumed.',
    origin,
  },
  {
    id: 'cloudpki-external-ca-uploaded',
    name: 'Externally signed CA certificate uploaded',
    enabled: true,
    severity: 'high',
    activityTypes: [t.externalUploaded],
    channels: ['default'],
    description: 'A certificate signed by an external (BYOCA) root was uploaded for a CA.',
    origin,
  },
  {
    id: 'cloudpki-leaf-mass-revocation',
    name: 'Cloud PKI mass leaf certificate revocation',
    enabled: true,
    severity: 'high',
    activityTypes: [t.leafRevoked],
    threshold: { count: 20, windowInMinutes: 10, groupBy: 'actor' },
    realertInMinutes: 60,
    channels: ['default'],
    description: 'One actor revoked 20 or more leaf certificates within 10 minutes.',
    origin,
  },
  {
    id: 'cloudpki-ca-created',
    name: 'Cloud PKI CA created',
    enabled: true,
    severity: 'medium',
    activityTypes: [t.created],
    channels: ['default'],
    description: 'A new certification authority was created.',
    origin,
  },
  {
    id: 'cloudpki-ca-updated',
    name: 'Cloud PKI CA properties changed',
    enabled: true,
    severity: 'medium',
    activityTypes: [t.patched],
    channels: ['default'],
    description: 'Properties of a certification authority were changed.',
    origin,
  },
  {
    id: 'cloudpki-leaf-revoked',
    name: 'Cloud PKI leaf certificates revoked',
    enabled: true,
    severity: 'medium',
    activityTypes: [t.leafRevoked],
    channels: ['default'],
    description: 'Leaf certificates were revoked. Many in a short time can mean mass revocation.',
    origin,
  },
  {
    id: 'cloudpki-action-failed',
    name: 'Cloud PKI action failed',
    enabled: true,
    severity: 'medium',
    activityTypes: ['* CloudCertificationAuthority*'],
    result: 'Failure',
    channels: ['default'],
    description:
      'A Cloud PKI action did not succeed: a missing permission, a wrong order of steps, or someone probing.',
    origin,
  },
  {
    id: 'cloudpki-unknown-activity',
    name: 'Unknown Cloud PKI activity type',
    enabled: true,
    severity: 'medium',
    activityTypes: ['*CloudCertificationAuthority*'],
    filter: knownTypesFilter,
    channels: ['default'],
    description:
      'A Cloud PKI activity type Microsoft does not document yet. Review it, then give it a rule of its own.',
    origin,
  },
  {
    id: 'cloudpki-reads',
    name: 'Cloud PKI reads (noise)',
    enabled: false,
    severity: 'low',
    activityTypes: [t.searched, t.read, t.leafSearched],
    channels: ['default'],
    description:
      'Reads of CAs and leaf certificates. Off by default: reads are frequent and harmless, and Get reads are not polled.',
    origin,
  },
];
