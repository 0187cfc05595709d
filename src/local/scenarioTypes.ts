// The shapes the local Cloud PKI scenario (cloudPkiScenario.ts) builds its audit events from.

export type Change = [name: string, oldValue: string | null, newValue: string | null];
export interface Actor {
  auditActorType: 'ItPro' | 'Partner' | 'Application';
  userPrincipalName: string | null;
  userId: string | null;
  applicationId: string;
  applicationDisplayName: string;
  servicePrincipalName: string | null;
  remoteTenantId: string | null;
  remoteUserId: string | null;
}
export interface EventSpec {
  at: number;
  actor: Actor;
  activityType: string;
  operation: string;
  result?: string;
  category?: string;
  component?: string;
  resource: { name: string | null; type: string; id: string | null; changes: Change[] };
}
export interface TenantCa {
  name: string;
  id: string;
}

/** An unrelated Intune change in the scenario: when (fraction of the span), what, where, its changes. */
export type UnrelatedEvent = [
  fraction: number,
  activityType: string,
  category: string,
  component: string,
  name: string,
  changes: Change[],
];
