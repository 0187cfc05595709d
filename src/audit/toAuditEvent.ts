import type { AuditActor, AuditEvent, AuditResource, ModifiedProperty } from './auditEvent';

export type ConversionResult = { ok: true; event: AuditEvent } | { ok: false; id: string | null; problem: string };

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
/** Real Intune payloads carry the literal text `"<null>"` for a missing name or value: it reads as null. */
const nullText = /^\s*<null>\s*$/i;
const str = (v: unknown): string | null =>
  typeof v === 'string'
    ? nullText.test(v)
      ? null
      : v
    : typeof v === 'number' || typeof v === 'boolean'
      ? String(v)
      : null;
const first = (...values: unknown[]): string | null => {
  for (const v of values) {
    const s = str(v);
    if (s !== null && s !== '') return s;
  }
  return null;
};

// Graph sends 7 fractional digits; accept 0-9 digits and an explicit Z or offset.
const isoDate = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;

/** Parses Graph's ISO text to epoch milliseconds (truncating sub-millisecond digits), or NaN. */
export function parseGraphDate(text: string): number {
  const m = isoDate.exec(text);
  if (!m) return Number.NaN;
  const ms = (m[2] ?? '').padEnd(3, '0').slice(0, 3);
  return Date.parse(`${m[1]}.${ms}${m[3]}`);
}

/**
 * Converts one raw Graph `auditEvent` object into an AuditEvent. Tolerates null / missing fields, the
 * literal `"<null>"`, both `type` and `auditActorType` (real payloads fill only the `audit…Type` ones) and
 * any number of resources; only a missing id or an unparseable `activityDateTime` is fatal.
 */
export function toAuditEvent(raw: unknown): ConversionResult {
  if (!isObj(raw)) return { ok: false, id: null, problem: 'event is not a JSON object' };
  const id = first(raw.id);
  if (!id) return { ok: false, id: null, problem: 'id is missing' };
  const when = str(raw.activityDateTime);
  if (!when) return { ok: false, id, problem: 'activityDateTime is missing' };
  const timeInMs = parseGraphDate(when);
  if (Number.isNaN(timeInMs))
    return { ok: false, id, problem: `activityDateTime "${when.slice(0, 40)}" is not an ISO 8601 date` };
  return {
    ok: true,
    event: {
      id,
      activityDateTime: when,
      activityTimeInMs: timeInMs,
      // The source of truth for what happened: `displayName` is free text ("Delete application." for
      // "Delete MobileApp"), so it is never used in its place.
      activityType: first(raw.activityType),
      activityOperationType: first(raw.activityOperationType),
      activityResult: first(raw.activityResult),
      activity: first(raw.activity),
      category: first(raw.category),
      componentName: first(raw.componentName),
      correlationId: first(raw.correlationId),
      displayName: first(raw.displayName),
      actor: toActor(raw.actor),
      resources: Array.isArray(raw.resources) ? raw.resources.filter(isObj).map(toResource) : [],
    },
  };
}

function toActor(raw: unknown): AuditActor {
  const a = isObj(raw) ? raw : {};
  return {
    type: first(a.auditActorType, a.type),
    userPrincipalName: first(a.userPrincipalName),
    userId: first(a.userId),
    applicationId: first(a.applicationId),
    applicationDisplayName: first(a.applicationDisplayName),
    servicePrincipalName: first(a.servicePrincipalName),
    ipAddress: first(a.ipAddress),
    remoteTenantId: first(a.remoteTenantId),
    remoteUserId: first(a.remoteUserId),
  };
}

function toResource(r: Obj): AuditResource {
  const props = Array.isArray(r.modifiedProperties) ? r.modifiedProperties.filter(isObj) : [];
  return {
    displayName: first(r.displayName),
    type: first(r.auditResourceType, r.type),
    resourceId: first(r.resourceId),
    modifiedProperties: props.map((p): ModifiedProperty => ({
      name: first(p.displayName),
      oldValue: str(p.oldValue),
      newValue: str(p.newValue),
    })),
  };
}
