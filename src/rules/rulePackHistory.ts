import type { AlertRule } from './alertRule';
import { defaultRulePack, defaultRulePackVersion } from './defaultRulePack';

const t = {
  created: 'Create CloudCertificationAuthority',
  patched: 'Patch CloudCertificationAuthority',
  deleted: 'Delete CloudCertificationAuthority',
  leafRevoked: 'RevokeLeafCertAsync CloudCertificationAuthorityLeafCertificate',
  externalUploaded: 'UploadExternallySignedCertificationAuthorityCertificateAsync CloudCertificationAuthority',
  statusChanged: 'ChangeCloudCertificationAuthorityStatusAsync CloudCertificationAuthority',
  caCertRevoked: 'RevokeCloudCertificationAuthorityCertificateAsync CloudCertificationAuthority',
  search: 'Search CloudCertificationAuthority',
  get: 'Get CloudCertificationAuthority',
  leafSearch: 'Search CloudCertificationAuthorityLeafCertificate',
};

/** Pack v1 exactly as it was seeded (before rules had `origin`): frozen, so upgrades can tell an untouched v1 rule from an edited one. */
const packV1: readonly AlertRule[] = [
  {
    id: 'cloudpki-ca-certificate-revoked',
    name: 'Cloud PKI CA certificate revoked',
    enabled: true,
    severity: 'critical',
    activityTypes: [t.caCertRevoked],
    channels: ['default'],
    description:
      'A CA certificate was revoked. Revocation is permanent and revokes every active leaf certificate of the CA.',
  },
  {
    id: 'cloudpki-ca-deleted',
    name: 'Cloud PKI CA deleted',
    enabled: true,
    severity: 'high',
    activityTypes: [t.deleted],
    channels: ['default'],
    description: 'A certification authority was deleted. Deletion is permanent.',
  },
  {
    id: 'cloudpki-ca-status-changed',
    name: 'Cloud PKI CA paused or resumed',
    enabled: true,
    severity: 'high',
    activityTypes: [t.statusChanged],
    channels: ['default'],
    description: 'A CA was paused (stops issuing leaf certificates) or resumed.',
  },
  {
    id: 'cloudpki-external-ca-uploaded',
    name: 'Externally signed CA certificate uploaded',
    enabled: true,
    severity: 'high',
    activityTypes: [t.externalUploaded],
    channels: ['default'],
    description: 'A certificate signed by an external (BYOCA) root was uploaded for a CA.',
  },
  {
    id: 'cloudpki-ca-created',
    name: 'Cloud PKI CA created',
    enabled: true,
    severity: 'medium',
    activityTypes: [t.created],
    channels: ['default'],
    description: 'A new certification authority was created.',
  },
  {
    id: 'cloudpki-ca-updated',
    name: 'Cloud PKI CA properties changed',
    enabled: true,
    severity: 'medium',
    activityTypes: [t.patched],
    channels: ['default'],
    description: 'Properties of a certification authority were changed.',
  },
  {
    id: 'cloudpki-leaf-revoked',
    name: 'Cloud PKI leaf certificates revoked',
    enabled: true,
    severity: 'medium',
    activityTypes: [t.leafRevoked],
    channels: ['default'],
    description: 'Leaf certificates were revoked. Many in a short time can mean mass revocation.',
  },
  {
    id: 'cloudpki-reads',
    name: 'Cloud PKI reads (noise)',
    enabled: false,
    severity: 'low',
    activityTypes: [t.search, t.get, t.leafSearch],
    channels: ['default'],
    description:
      'Reads of CAs and leaf certificates. Off by default: reads are frequent and harmless, and Get reads are not polled.',
  },
];

/**
 * Every version of the built-in pack, by version. Never edit a past version: planPackUpgrade compares stored
 * rules with them to find the rules an admin has not touched. A new version is added here when it ships.
 */
export const rulePackHistory: ReadonlyMap<number, readonly AlertRule[]> = new Map([
  [1, packV1],
  [defaultRulePackVersion, defaultRulePack],
]);
