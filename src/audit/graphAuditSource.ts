import type { Client } from '@microsoft/microsoft-graph-client';
import type { AuditPage, AuditSource } from './auditSource';
import type { PollWindow } from './pollWindow';

const path = '/deviceManagement/auditEvents';

/** Graph date literal: unquoted ISO 8601 in UTC with `Z` (never `+hh:mm`: the SDK does not encode `+`). */
export const graphDate = (d: Date): string => d.toISOString();

/**
 * Lists `/beta/deviceManagement/auditEvents` for a window, oldest first, following `@odata.nextLink`
 * one page at a time (https://learn.microsoft.com/graph/api/intune-auditing-auditevent-list).
 */
export class GraphAuditSource implements AuditSource {
  constructor(
    private readonly client: Client,
    private readonly options: { pageSize: number; excludeReads?: boolean },
  ) {}

  /** The `$filter` of a window query; reads (`Get`) are dropped server-side as noise. */
  filterFor(window: PollWindow): string {
    const parts = [`activityDateTime ge ${graphDate(window.from)}`, `activityDateTime le ${graphDate(window.to)}`];
    if (this.options.excludeReads !== false) parts.push(`activityOperationType ne 'Get'`);
    return parts.join(' and ');
  }

  async *listPages(window: PollWindow, options: { abortSignal?: AbortSignal } = {}): AsyncIterable<AuditPage> {
    let request = this.client.api(path).filter(this.filterFor(window)).orderby('activityDateTime asc').top(this.options.pageSize);
    for (let pageNumber = 1; ; pageNumber++) {
      if (options.abortSignal) request = request.option('signal', options.abortSignal);
      const body: unknown = await request.get();
      const page = body as { value?: unknown; '@odata.nextLink'?: unknown };
      if (!page || !Array.isArray(page.value)) throw new Error(`Graph page ${pageNumber} has no "value" array`);
      const nextLink = typeof page['@odata.nextLink'] === 'string' ? page['@odata.nextLink'] : undefined;
      yield { events: page.value, pageNumber, hasMore: nextLink !== undefined };
      if (!nextLink) return;
      request = this.client.api(nextLink);
    }
  }
}
