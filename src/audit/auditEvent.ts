/**
 * An Intune audit event as the app uses it, converted from Graph's `microsoft.graph.auditEvent`
 * (https://learn.microsoft.com/graph/api/resources/intune-auditing-auditevent). Every field Graph may
 * leave null is `null` here, never `undefined`, and so is Intune's literal `"<null>"`, so rules and cards
 * handle one "absent" value. `activityType` says what happened; `displayName` is free text.
 */
export interface AuditEvent {
  id: string;
  /** Graph's own text, 7 fractional digits kept (a JS Date would keep 3). */
  activityDateTime: string;
  /** `activityDateTime` in epoch milliseconds (truncated). */
  activityTimeInMs: number;
  activityType: string | null;
  activityOperationType: string | null;
  activityResult: string | null;
  activity: string | null;
  category: string | null;
  componentName: string | null;
  correlationId: string | null;
  displayName: string | null;
  actor: AuditActor;
  resources: AuditResource[];
}

export interface AuditActor {
  /** `auditActorType`, falling back to the documented but empty `type`. */
  type: string | null;
  userPrincipalName: string | null;
  userId: string | null;
  applicationId: string | null;
  applicationDisplayName: string | null;
  servicePrincipalName: string | null;
  ipAddress: string | null;
  remoteTenantId: string | null;
  remoteUserId: string | null;
}

export interface AuditResource {
  displayName: string | null;
  /** `auditResourceType`, falling back to `type`. */
  type: string | null;
  resourceId: string | null;
  modifiedProperties: ModifiedProperty[];
}

export interface ModifiedProperty {
  name: string | null;
  oldValue: string | null;
  newValue: string | null;
}
