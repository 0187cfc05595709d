import type { Alert } from '../dispatch/alert';

/**
 * Cloud PKI CA details for a card, from Graph's `cloudCertificationAuthority` resource
 * (docs/reference/graph-audit-events.md §9). Every text field is data from the tenant: untrusted on cards.
 */
export interface CaDetails {
  id: string;
  displayName: string | null;
  commonName: string | null;
  /** `rootCertificationAuthority`, `issuingCertificationAuthority`, ... */
  caType: string | null;
  /** `active`, `paused`, `revoked`, `signingPending`, ... */
  status: string | null;
  validityStart: string | null;
  validityEnd: string | null;
  issuerId: string | null;
  keyPlatform: string | null;
}

/** One lookup: details, or why they are unavailable (403 without the permission, 404 for a deleted CA). */
export type CaLookup = { id: string; details: CaDetails } | { id: string; unavailable: string };

/** What is looked up once per alert before it is sent and shown by every channel. */
export interface AlertEnrichment {
  cas: CaLookup[];
}

/** Reads CA details; never throws: failures come back as `unavailable`. */
export interface CaDetailsSource {
  get(caId: string): Promise<CaLookup>;
}

const caResource = /^CloudCertificationAuthority$/i;
const caActivity = /CloudCertificationAuthority$/i;

/** The distinct CA ids an alert's events name (CA resources only, not leaf certificates), at most `max`. */
export function caIdsOf(alert: Alert, max = 3): string[] {
  const ids = new Set<string>();
  for (const event of alert.events) {
    for (const r of event.resources) {
      const isCa = r.type ? caResource.test(r.type) : caActivity.test(event.activityType ?? '');
      if (isCa && r.resourceId && /^[A-Za-z0-9-]{1,64}$/.test(r.resourceId)) ids.add(r.resourceId.toLowerCase());
      if (ids.size >= max) return [...ids];
    }
  }
  return [...ids];
}

/** Looks up the CAs of an alert, each id at most once per `cache` (one delivery run). */
export async function enrichAlert(
  alert: Alert,
  source: CaDetailsSource | undefined,
  cache: Map<string, Promise<CaLookup>>,
): Promise<AlertEnrichment> {
  if (!source || (alert.kind ?? 'alert') !== 'alert') return { cas: [] };
  const cas = await Promise.all(
    caIdsOf(alert).map((id) => {
      let lookup = cache.get(id);
      if (!lookup) cache.set(id, (lookup = source.get(id)));
      return lookup;
    }),
  );
  return { cas };
}
