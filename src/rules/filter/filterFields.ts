import type { AuditActor, AuditEvent, AuditResource, ModifiedProperty } from '../../audit/auditEvent';

/**
 * The Graph `auditEvent` properties a filter may use, by the name Graph uses in `$filter`
 * (https://learn.microsoft.com/graph/api/resources/intune-auditing-auditevent). Names compare
 * case-insensitively, as Graph's do. Each maps to the AuditEvent field that holds it.
 */
export const eventFields: Readonly<Record<string, keyof AuditEvent>> = {
  id: 'id',
  activitydatetime: 'activityDateTime',
  activitytype: 'activityType',
  activityoperationtype: 'activityOperationType',
  activityresult: 'activityResult',
  activity: 'activity',
  category: 'category',
  componentname: 'componentName',
  correlationid: 'correlationId',
  displayname: 'displayName',
};

export const actorFields: Readonly<Record<string, keyof AuditActor>> = {
  userprincipalname: 'userPrincipalName',
  applicationid: 'applicationId',
  applicationdisplayname: 'applicationDisplayName',
  ipaddress: 'ipAddress',
  // Graph documents `type` but fills `auditActorType`; both read the same value.
  type: 'type',
  auditactortype: 'type',
  userid: 'userId',
  serviceprincipalname: 'servicePrincipalName',
  remotetenantid: 'remoteTenantId',
  remoteuserid: 'remoteUserId',
};

export const resourceFields: Readonly<Record<string, keyof Omit<AuditResource, 'modifiedProperties'>>> = {
  displayname: 'displayName',
  resourceid: 'resourceId',
  type: 'type',
  auditresourcetype: 'type',
};

export const propertyFields: Readonly<Record<string, keyof ModifiedProperty>> = {
  displayname: 'name',
  oldvalue: 'oldValue',
  newvalue: 'newValue',
};

/** Readable lists for error messages. */
export const fieldHints = {
  event:
    'activityType, activityOperationType, activityResult, activityDateTime, category, componentName, correlationId, displayName, activity, id, actor/…, resources/any(r: …)',
  actor:
    'userPrincipalName, applicationId, applicationDisplayName, ipAddress, type, auditActorType, userId, servicePrincipalName, remoteTenantId, remoteUserId',
  resource: 'displayName, resourceId, type, auditResourceType, modifiedProperties/any(p: …)',
  property: 'displayName, oldValue, newValue',
};
