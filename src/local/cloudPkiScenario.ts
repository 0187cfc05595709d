/**
 * Made-up but Graph-shaped Intune audit events (https://learn.microsoft.com/graph/api/resources/intune-auditing-auditevent)
 * telling one Cloud PKI story: CAs created, changed, paused, revoked and deleted, a failed delete, a burst of leaf
 * revocations, read noise, unrelated Intune changes, a read by the app itself, and a CA named to inject Markdown.
 * Deterministic per seed.
 *
 * ILLUSTRATIVE GUESSES: no public sample of a Cloud PKI audit event exists (docs/reference/graph-audit-events.md §4a).
 * Only the ten `activityType` strings are documented (§3); the Cloud PKI `category`, `componentName`,
 * `auditResourceType`, modified property names and values below are made up to exercise the app, not
 * copied from a tenant. Every event follows the one real event shape the docs show (§2.1): `actor.type` and
 * `resources[].type` empty, the `audit…Type` fields filled.
 */

import { graphTimestamp, guid, hashText, hex, seededRandom, type SeededRandom, usDate } from './scenarioRandom';
import type { Actor, Change, EventSpec, TenantCa, UnrelatedEvent } from './scenarioTypes';

/** Options for {@link cloudPkiScenario}. */
export interface CloudPkiScenarioOptions {
  now: Date;
  /** Used in UPNs and CA names (default `contoso.com`). */
  tenantDomain?: string;
  seed?: number;
  /** How far back the events go (default 2). */
  hours?: number;
  /** The app's own client id, put on the one event the app itself caused. */
  ownApplicationId?: string;
}

/** Options for {@link liveCloudPkiEvent}. */
export interface LiveCloudPkiEventOptions {
  now: Date;
  seed: number;
  tenantDomain?: string;
}

/** Guessed; Cloud PKI's category and component strings are undocumented. */
export const CLOUD_PKI_CATEGORY = 'CloudPKI';
const CLOUD_PKI_COMPONENT = 'CloudPKI';
/** Believed to be the id of "Microsoft Intune portal extension", i.e. the admin center. */
const PORTAL_APP_ID = '5926fc8e-304e-4f59-8bed-58ca97cc39a4';
const CA = 'CloudCertificationAuthority';
const LEAF = 'CloudCertificationAuthorityLeafCertificate';
const STATUS = 'CertificationAuthorityStatus';
const SET_STATUS = 'ChangeCloudCertificationAuthorityStatusAsync';
const UPLOAD = 'UploadExternallySignedCertificationAuthorityCertificateAsync';
const REVOKE_CA = 'RevokeCloudCertificationAuthorityCertificateAsync';
const REVOKE_LEAF = 'RevokeLeafCertAsync';

/** A past-`hours` Cloud PKI scenario, sorted by `activityDateTime`. */
export function cloudPkiScenario(options: CloudPkiScenarioOptions): unknown[] {
  const hours = options.hours ?? 2;
  if (!(hours > 0)) throw new Error(`cloudPkiScenario: hours must be positive, got ${hours}`);
  const t = tenant(options.tenantDomain ?? 'contoso.com');
  const random = seededRandom(options.seed ?? 1);
  const nowMs = options.now.getTime();
  const span = hours * 3_600_000;
  // Keep every event in the past so a poll that stops at `now` sees all of them.
  const at = (fraction: number): number =>
    Math.min(nowMs - span + fraction * span + random.int(0, 60_000), nowMs - 1_000);
  const e = (fraction: number, spec: Omit<EventSpec, 'at'>): unknown =>
    auditEvent(random, { at: at(fraction), ...spec });
  const { pkiAdmin, secOps, helpdesk, admin, partner } = t.admins;
  const { root, issuing, byoca, lab, injection } = t.cas;
  const created =
    (ca: TenantCa, type: string, status = 'active') =>
    (ms: number): Change[] => [
      ['DisplayName', null, ca.name],
      ['CloudCertificationAuthorityType', null, type],
      [STATUS, null, status],
      ['KeyPlatform', null, 'software'],
      ['ValidityPeriodInYears', null, type === 'rootCertificationAuthority' ? '10' : '5'],
      ['CreatedDateTime', null, usDate(ms)],
      ['$Collection.RoleScopeTagIds[0]', null, '0'],
    ];
  type Changes = Change[] | ((ms: number) => Change[]);
  const caEvent = (
    fraction: number,
    actor: Actor,
    verb: string,
    ca: TenantCa,
    changes: Changes,
    result = 'Success',
  ): unknown => {
    const ms = at(fraction);
    const resource = caResource(ca, typeof changes === 'function' ? changes(ms) : changes);
    return auditEvent(random, {
      at: ms,
      actor,
      activityType: `${verb} ${CA}`,
      operation: operationOf(verb),
      result,
      resource,
    });
  };
  const leafRevoke = (actor: Actor, ms: number): unknown =>
    auditEvent(random, {
      at: ms,
      actor,
      activityType: `${REVOKE_LEAF} ${LEAF}`,
      operation: 'Action',
      resource: leaf(random),
    });

  const events: unknown[] = [
    caEvent(0.04, pkiAdmin, 'Create', root, created(root, 'rootCertificationAuthority')),
    caEvent(0.07, pkiAdmin, 'Create', issuing, created(issuing, 'issuingCertificationAuthority')),
    caEvent(0.1, pkiAdmin, 'Create', lab, created(lab, 'issuingCertificationAuthority')),
    caEvent(0.13, helpdesk, 'Create', injection, created(injection, 'issuingCertificationAuthority')),
    caEvent(0.18, pkiAdmin, 'Patch', issuing, (ms) => [
      ['Description', 'Issuing CA', 'Issuing CA for Wi-Fi and VPN'],
      ['LastModifiedDateTime', null, usDate(ms)],
    ]),
    caEvent(0.22, partner, 'Patch', injection, [['Description', null, 'Please review: https://evil.example']]),
    caEvent(
      0.26,
      pkiAdmin,
      'Create',
      byoca,
      created(byoca, 'issuingCertificationAuthorityWithExternalRoot', 'signingPending'),
    ),
    caEvent(0.3, pkiAdmin, UPLOAD, byoca, [
      [STATUS, 'signingPending', 'active'],
      ['Thumbprint', null, hex(random, 40)],
    ]),
    caEvent(0.36, pkiAdmin, SET_STATUS, lab, [[STATUS, 'active', 'paused']]),
    leafRevoke(helpdesk, at(0.4)),
    caEvent(0.44, pkiAdmin, REVOKE_CA, lab, [[STATUS, 'paused', 'revoked']]),
    caEvent(0.5, pkiAdmin, 'Delete', lab, []),
    // A root CA can't be deleted while issuing CAs anchor to it, so this attempt fails.
    caEvent(0.56, helpdesk, 'Delete', root, [], 'Failure'),
    caEvent(0.62, secOps, SET_STATUS, issuing, [[STATUS, 'active', 'paused']]),
    caEvent(0.65, secOps, SET_STATUS, issuing, [[STATUS, 'paused', 'active']]),
    leafRevoke(pkiAdmin, at(0.88)),
  ];
  // One admin revokes 25 leaf certificates within about four minutes.
  const burstStart = at(0.72);
  for (let i = 0; i < 25; i++) {
    events.push(leafRevoke(secOps, Math.min(burstStart + i * 10_000 + random.int(0, 999), nowMs - 1_000)));
  }
  // Read noise: Get names one CA; Search lists CAs, or one CA's leaf certificates.
  for (let i = 0; i < 9; i++) {
    const [verb, onLeaves] = (
      [
        ['Get', false],
        ['Search', false],
        ['Search', true],
      ] as const
    )[i % 3];
    const ca = random.pick([root, issuing, byoca, injection]);
    const resource = verb === 'Get' || onLeaves ? caResource(ca, []) : caResource({ name: null, id: null }, []);
    const actor = random.pick([pkiAdmin, secOps, helpdesk]);
    events.push(
      e(random.next(), { actor, activityType: `${verb} ${onLeaves ? LEAF : CA}`, operation: verb, resource }),
    );
  }
  // The app's own enrichment read; a Search, so it survives the poller's server-side `ne 'Get'` filter.
  const self = appActor(options.ownApplicationId ?? guid(random));
  const anyCa = caResource({ name: null, id: null }, []);
  events.push(e(0.9, { actor: self, activityType: `Search ${CA}`, operation: 'Search', resource: anyCa }));
  for (const [fraction, activityType, category, component, name, changes] of UNRELATED) {
    const resource = { name, type: activityType.split(' ')[1], id: guid(random), changes };
    const operation = operationOf(activityType.split(' ')[0]);
    events.push(e(fraction, { actor: admin, activityType, operation, category, component, resource }));
  }
  const time = (event: unknown): string => (event as { activityDateTime: string }).activityDateTime;
  return events.sort((a, b) => (time(a) < time(b) ? -1 : time(a) > time(b) ? 1 : 0));
}

/** One fresh Cloud PKI admin action at about `now`, for `npm start` to drip into the simulator. */
export function liveCloudPkiEvent(options: LiveCloudPkiEventOptions): unknown {
  const t = tenant(options.tenantDomain ?? 'contoso.com');
  const random = seededRandom(options.seed);
  const actor = random.pick([t.admins.pkiAdmin, t.admins.secOps, t.admins.helpdesk, t.admins.partner]);
  const ca = random.pick([t.cas.issuing, t.cas.byoca, t.cas.injection, t.cas.root]);
  const at = options.now.getTime() - random.int(0, 999);
  const status = random.pick([
    ['active', 'paused'],
    ['paused', 'active'],
  ] as const);
  const caAction = (
    verb: string,
    changes: Change[],
    target = ca,
    result?: string,
  ): Omit<EventSpec, 'at' | 'actor'> => ({
    activityType: `${verb} ${CA}`,
    operation: operationOf(verb),
    result,
    resource: caResource(target, changes),
  });
  const choices = [
    { activityType: `${REVOKE_LEAF} ${LEAF}`, operation: 'Action', resource: leaf(random) },
    caAction('Patch', [['Description', null, `Changed ${usDate(at)}`]]),
    caAction(SET_STATUS, [[STATUS, ...status]]),
    caAction('Delete', [], ca, 'Failure'),
    caAction(REVOKE_CA, [[STATUS, 'active', 'revoked']]),
    caAction(UPLOAD, [['Thumbprint', null, hex(random, 40)]], t.cas.byoca),
  ];
  // Leaf revocations and patches are the everyday actions; the rest are rarer.
  const weights = [5, 3, 2, 1, 1, 1];
  let roll = random.int(0, weights.reduce((a, b) => a + b) - 1);
  const index = weights.findIndex((w) => (roll -= w) < 0);
  return auditEvent(random, { at, actor, ...choices[index] });
}

function operationOf(verb: string): string {
  return ['Create', 'Patch', 'Delete', 'Get', 'Search'].includes(verb) ? verb : 'Action';
}

function caResource(ca: { name: string | null; id: string | null }, changes: Change[]): EventSpec['resource'] {
  return { name: ca.name, type: CA, id: ca.id, changes };
}

const UNRELATED: UnrelatedEvent[] = [
  [0.02, 'Create DeviceEnrollmentConfiguration', 'Enrollment', 'Enrollment', 'Device limit', [['Limit', null, '5']]],
  [
    0.16,
    'Patch DeviceConfiguration',
    'DeviceConfiguration',
    'DeviceConfiguration',
    'Wi-Fi Corp',
    [['Ssid', 'CORP', 'CORP-5G']],
  ],
  [
    0.28,
    'Create DeviceCompliancePolicy',
    'Compliance',
    'Compliance',
    'Windows baseline',
    [['PasswordRequired', null, 'True']],
  ],
  [0.47, 'Patch MobileApp', 'Application', 'MobileApps', 'Company Portal', [['IsFeatured', 'False', 'True']]],
  [
    0.58,
    'Create RoleAssignment',
    'Role',
    'RoleBasedAccessControl',
    'Helpdesk operators',
    [['$Collection.Members[0]', null, 'helpdesk']],
  ],
  [0.7, 'wipe ManagedDevice', 'Device', 'ManagedDevices', 'DESKTOP-LOST01', []],
  [0.8, 'Delete DeviceManagementScript', 'DeviceConfiguration', 'DeviceConfiguration', 'Legacy cleanup.ps1', []],
  [0.93, 'Patch DeviceEnrollmentConfiguration', 'Enrollment', 'Enrollment', 'Device limit', [['Limit', '5', '10']]],
];

function auditEvent(random: SeededRandom, spec: EventSpec): unknown {
  const { actor, resource } = spec;
  return {
    id: guid(random),
    displayName: spec.activityType,
    componentName: spec.component ?? CLOUD_PKI_COMPONENT,
    activity: null,
    activityDateTime: graphTimestamp(spec.at, random),
    activityType: spec.activityType,
    activityOperationType: spec.operation,
    activityResult: spec.result ?? 'Success',
    correlationId: guid(random),
    category: spec.category ?? CLOUD_PKI_CATEGORY,
    actor: {
      type: null,
      auditActorType: actor.auditActorType,
      userPermissions: actor.auditActorType === 'Application' ? [] : ['*'],
      applicationId: actor.applicationId,
      applicationDisplayName: actor.applicationDisplayName,
      userPrincipalName: actor.userPrincipalName,
      servicePrincipalName: actor.servicePrincipalName,
      ipAddress: null,
      userId: actor.userId,
      remoteTenantId: actor.remoteTenantId,
      remoteUserId: actor.remoteUserId,
      userRoleScopeTags: [{ displayName: 'Default', roleScopeTagId: '0' }],
    },
    resources: [
      {
        displayName: resource.name,
        type: null,
        auditResourceType: resource.type,
        resourceId: resource.id,
        modifiedProperties: resource.changes.map(([displayName, oldValue, newValue]) => ({
          displayName,
          oldValue,
          newValue,
        })),
      },
    ],
  };
}

/** Fixed per tenant domain, not per seed, so live events refer to the scenario's CAs and admins. */
function tenant(domain: string) {
  const random = seededRandom(hashText(domain));
  const org = domain.split('.')[0].replace(/^./, (c) => c.toUpperCase());
  const ca = (name: string): TenantCa => ({ name, id: guid(random) });
  const admin = (name: string): Actor => ({
    auditActorType: 'ItPro',
    userPrincipalName: `${name}@${domain}`,
    userId: guid(random),
    applicationId: PORTAL_APP_ID,
    applicationDisplayName: 'Microsoft Intune portal extension',
    servicePrincipalName: null,
    remoteTenantId: null,
    remoteUserId: null,
  });
  return {
    cas: {
      root: ca(`${org} Root CA`),
      issuing: ca(`${org} Issuing CA 01`),
      byoca: ca(`${org} BYOCA Issuing CA`),
      lab: ca(`${org} Lab Test CA`),
      injection: ca(`${org} CA [Open Intune](https://evil.example) **urgent**`),
    },
    admins: {
      pkiAdmin: admin('pkiadmin'),
      secOps: admin('secops'),
      helpdesk: admin('helpdesk'),
      admin: admin('admin'),
      // A GDAP partner admin acts from another tenant.
      partner: {
        ...admin('partner'),
        auditActorType: 'Partner',
        userPrincipalName: 'admin@fabrikampartner.onmicrosoft.com',
        remoteTenantId: guid(random),
        remoteUserId: guid(random),
      } as Actor,
    },
  };
}

function appActor(applicationId: string): Actor {
  return {
    auditActorType: 'Application',
    userPrincipalName: null,
    userId: null,
    applicationId,
    applicationDisplayName: 'cloud-pki-alerts',
    servicePrincipalName: 'cloud-pki-alerts',
    remoteTenantId: null,
    remoteUserId: null,
  };
}

function leaf(random: SeededRandom): EventSpec['resource'] {
  const device = `DESKTOP-${hex(random, 7).toUpperCase()}`;
  return { name: device, type: LEAF, id: guid(random), changes: [['CertificateStatus', 'active', 'revoked']] };
}
