import { type Client, ResponseType } from '@microsoft/microsoft-graph-client';
import type { CaDetails, CaDetailsSource, CaLookup } from './enrichment';

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

/**
 * Reads `GET /beta/deviceManagement/cloudCertificationAuthority/{id}` (docs/reference/graph-audit-events.md §9) with
 * the app's Graph client. Needs `DeviceManagementCloudCA.Read.All`; without it Graph answers 403 and the
 * card says "CA details unavailable" (remembered for `forbiddenForInMs`, so a missing permission costs one
 * call, not one per alert). Never throws.
 */
export class GraphCaDetailsSource implements CaDetailsSource {
  private forbiddenUntil = 0;

  constructor(
    private readonly graph: Client,
    private readonly options: { forbiddenForInMs?: number; now?: () => number } = {},
  ) {}

  async get(caId: string): Promise<CaLookup> {
    const now = this.options.now?.() ?? Date.now();
    if (now < this.forbiddenUntil) return { id: caId, unavailable: 'no permission to read Cloud PKI CAs' };
    try {
      const response = (await this.graph
        .api(`/deviceManagement/cloudCertificationAuthority/${encodeURIComponent(caId)}`)
        .responseType(ResponseType.RAW)
        .get()) as Response;
      if (response.status === 403 || response.status === 401) {
        await response.body?.cancel();
        this.forbiddenUntil = now + (this.options.forbiddenForInMs ?? 15 * 60_000);
        return { id: caId, unavailable: 'no permission to read Cloud PKI CAs' };
      }
      if (response.status === 404) {
        await response.body?.cancel();
        return { id: caId, unavailable: 'CA not found, it may have been deleted' };
      }
      if (!response.ok) {
        await response.body?.cancel();
        return { id: caId, unavailable: `Graph answered ${response.status}` };
      }
      const r = (await response.json()) as Record<string, unknown>;
      const details: CaDetails = {
        id: str(r.id) ?? caId,
        displayName: str(r.displayName),
        commonName: str(r.commonName),
        caType: str(r.cloudCertificationAuthorityType),
        status: str(r.certificationAuthorityStatus),
        validityStart: str(r.validityStartDateTime),
        validityEnd: str(r.validityEndDateTime),
        issuerId: str(r.certificationAuthorityIssuerId),
        keyPlatform: str(r.keyPlatform),
      };
      return { id: caId, details };
    } catch {
      return { id: caId, unavailable: 'Graph did not answer' };
    }
  }
}
