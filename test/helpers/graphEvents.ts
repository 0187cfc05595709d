import { cloudPkiActivityTypes } from './alertFixtures';

let counter = 0;

/** A raw Graph `auditEvent` (the wire shape the simulator serves), with 7-digit fractional seconds. */
export function graphEvent(options: {
  type?: string;
  at: Date;
  id?: string;
  upn?: string;
  applicationId?: string;
  caName?: string;
  caId?: string;
  result?: string;
  modified?: { displayName: string; oldValue: string | null; newValue: string | null }[];
}): Record<string, unknown> {
  counter++;
  const id = options.id ?? `00000000-0000-4000-8000-${String(counter).padStart(12, '0')}`;
  const type = options.type ?? cloudPkiActivityTypes.caDeleted;
  return {
    id,
    displayName: type,
    componentName: 'CloudPKI',
    activity: null,
    activityDateTime: options.at.toISOString().replace('Z', '1234Z'),
    activityType: type,
    activityOperationType: type.split(' ')[0].replace(/Async$/, ''),
    activityResult: options.result ?? 'Success',
    correlationId: `c0000000-0000-4000-8000-${String(counter).padStart(12, '0')}`,
    category: 'CloudPki',
    actor: {
      type: null,
      auditActorType: 'ItPro',
      userPermissions: ['*'],
      applicationId: options.applicationId ?? '11111111-2222-3333-4444-555555555555',
      applicationDisplayName: 'Microsoft Intune portal extension',
      userPrincipalName: options.upn ?? 'pkiadmin@contoso.com',
      servicePrincipalName: null,
      ipAddress: null,
      userId: '7f6e5d4c-3b2a-4190-8877-665544332211',
    },
    resources: [
      {
        displayName: options.caName ?? 'Contoso Issuing CA 01',
        type: null,
        auditResourceType: 'CloudCertificationAuthority',
        resourceId: options.caId ?? '96c8868d-868d-96c8-8d86-c8968d86c896',
        modifiedProperties: options.modified ?? [],
      },
    ],
  };
}

export const minutesBefore = (now: Date, minutes: number) => new Date(now.getTime() - minutes * 60_000);
