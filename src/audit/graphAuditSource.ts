import type { Client, GraphRequest } from '@microsoft/microsoft-graph-client';
import type { Logger } from '../shared/logger';
import type { AuditPage, AuditSource, ListPagesOptions } from './auditSource';
import {
  clauseText,
  type GraphCapabilities,
  type GraphCapabilityStore,
  MemoryGraphCapabilityStore,
  type OptionalClause,
  shouldSend,
} from './graphCapabilities';
import { GraphReadError, readableGraphMessage, toGraphReadError } from './graphReadError';
import { RequestDeadline } from './graphRetry';
import type { PollWindow } from './pollWindow';

const path = '/deviceManagement/auditEvents';

/** Graph date literal: unquoted ISO 8601 in UTC with `Z` (never `+hh:mm`: the SDK does not encode `+`). */
export const graphDate = (d: Date): string => d.toISOString();

export interface GraphAuditSourceOptions {
  pageSize: number;
  /** Ask the server to drop `Get` reads (`activityOperationType ne 'Get'`); the core still filters reads itself. Default true. */
  excludeReads?: boolean;
  /** `desc` (documented, the default) or no `$orderby`. Never `asc`: undocumented (docs/reference/graph-audit-events.md §4a). */
  orderBy?: 'desc' | 'none';
  /** Key of the remembered capabilities (the tenant). */
  tenantId?: string;
  /** Where refused clauses are remembered; in memory when absent. */
  capabilities?: GraphCapabilityStore;
  log?: Logger;
  clock?: () => Date;
}

/** What one probe of the endpoint showed (doctor). */
export interface ProbeResult {
  accepted: boolean;
  status?: number;
  events?: number;
  message?: string;
}

/**
 * Lists `/beta/deviceManagement/auditEvents` for a window (https://learn.microsoft.com/graph/api/intune-auditing-auditevent-list),
 * following the opaque `@odata.nextLink` one page at a time. Uses only documented or widely observed query
 * features: the time filter, optionally `activityOperationType ne 'Get'`, `$orderby=activityDateTime desc`
 * or none, `$top`. The order of what comes back is NOT relied on, pages may hold fewer items than `$top`
 * and may repeat items (the core folds duplicates). When the server answers 400 to an optional clause, the
 * query is retried without it and the refusal is remembered (graphCapabilities.ts) and logged once.
 */
export class GraphAuditSource implements AuditSource {
  private readonly store: GraphCapabilityStore;
  private loaded?: Promise<GraphCapabilities>;

  constructor(
    private readonly client: Client,
    private readonly options: GraphAuditSourceOptions,
  ) {
    this.store = options.capabilities ?? new MemoryGraphCapabilityStore();
  }

  private get tenantId(): string {
    return this.options.tenantId ?? 'default';
  }

  private now(): Date {
    return this.options.clock?.() ?? new Date();
  }

  /** The remembered capabilities, read once per process (an unreadable row is not a reason to stop polling). */
  capabilities(): Promise<GraphCapabilities> {
    this.loaded ??= this.store.get(this.tenantId).then(
      (c) => c ?? {},
      (err: unknown) => {
        this.options.log?.warn(
          `Remembered Graph capabilities could not be read; every optional clause is tried: ${(err as Error).message}`,
        );
        return {};
      },
    );
    return this.loaded;
  }

  /** The `$filter` of a window query, with or without the read-exclusion clause. */
  filterFor(window: PollWindow, excludeReads = this.options.excludeReads !== false): string {
    const parts = [`activityDateTime ge ${graphDate(window.from)}`, `activityDateTime le ${graphDate(window.to)}`];
    if (excludeReads) parts.push(`activityOperationType ne 'Get'`);
    return parts.join(' and ');
  }

  /** The optional clauses this source wants to send, before remembered refusals are applied. */
  private wanted(): OptionalClause[] {
    const out: OptionalClause[] = [];
    if (this.options.orderBy !== 'none') out.push('orderBy');
    if (this.options.excludeReads !== false) out.push('operationTypeFilter');
    out.push('top');
    return out;
  }

  private firstRequest(window: PollWindow, clauses: ReadonlySet<OptionalClause>): GraphRequest {
    let request = this.client.api(path).filter(this.filterFor(window, clauses.has('operationTypeFilter')));
    if (clauses.has('orderBy')) request = request.orderby('activityDateTime desc');
    if (clauses.has('top')) request = request.top(this.options.pageSize);
    return request;
  }

  async *listPages(window: PollWindow, options: ListPagesOptions = {}): AsyncIterable<AuditPage> {
    const deadlineInMs = options.deadline?.getTime();
    const limit = budgetSignal(options.abortSignal, deadlineInMs);
    try {
      const send = async (request: GraphRequest, what: string): Promise<unknown> => {
        if (deadlineInMs !== undefined && Date.now() >= deadlineInMs)
          throw new GraphReadError(`The run's time budget ended before Graph ${what} was read`, 'deadline');
        const deadline = new RequestDeadline(deadlineInMs ?? Number.POSITIVE_INFINITY);
        try {
          return await request.option('signal', limit.signal).middlewareOptions([deadline]).get();
        } catch (err) {
          if (
            deadlineInMs !== undefined &&
            Date.now() >= deadlineInMs &&
            !(err as { statusCode?: number }).statusCode
          ) {
            throw new GraphReadError(`The run's time budget ended while Graph ${what} was read`, 'deadline');
          }
          throw toGraphReadError(err, what, deadline.gaveUp);
        }
      };
      let body = await this.readFirstPage(window, send, options.log ?? this.options.log);
      let previousLink: string | undefined;
      for (let pageNumber = 1; ; pageNumber++) {
        const page = body as { value?: unknown; '@odata.nextLink'?: unknown } | null;
        if (!page || !Array.isArray(page.value))
          throw new GraphReadError(`Graph page ${pageNumber} has no "value" array`, 'shape');
        const nextLink =
          typeof page['@odata.nextLink'] === 'string' && page['@odata.nextLink'] !== ''
            ? page['@odata.nextLink']
            : undefined;
        yield { events: page.value, pageNumber, hasMore: nextLink !== undefined };
        if (!nextLink) return;
        if (nextLink === previousLink)
          throw new GraphReadError(
            `Graph returned the same @odata.nextLink again after page ${pageNumber}; stopped so the run cannot loop`,
            'shape',
          );
        previousLink = nextLink;
        body = await send(this.client.api(nextLink), `page ${pageNumber + 1}`);
      }
    } finally {
      limit.dispose();
    }
  }

  /**
   * The first page, with the optional clauses not known to be refused. On a 400 each clause is dropped in
   * turn (then all of them); the first variant the server accepts tells which clause it refused.
   */
  private async readFirstPage(
    window: PollWindow,
    send: (request: GraphRequest, what: string) => Promise<unknown>,
    log: Logger | undefined,
  ): Promise<unknown> {
    const now = this.now();
    const known = await this.capabilities();
    const clauses = this.wanted().filter((c) => shouldSend(known, c, now));
    let first: GraphReadError;
    try {
      const body = await send(this.firstRequest(window, new Set(clauses)), 'page 1');
      await this.remember(
        clauses.filter((c) => known[c]?.accepted === false),
        [],
        undefined,
        log,
      );
      return body;
    } catch (err) {
      if (!(err instanceof GraphReadError) || err.status !== 400 || clauses.length === 0) throw err;
      first = err;
    }
    const variants: OptionalClause[][] = clauses.map((c) => [c]);
    if (clauses.length > 1) variants.push([...clauses]);
    for (const dropped of variants) {
      let body: unknown;
      try {
        body = await send(this.firstRequest(window, new Set(clauses.filter((c) => !dropped.includes(c)))), 'page 1');
      } catch (err) {
        if (err instanceof GraphReadError && err.status === 400) continue;
        throw err;
      }
      await this.remember(
        clauses.filter((c) => !dropped.includes(c) && known[c]?.accepted === false),
        dropped,
        first.message,
        log,
      );
      return body;
    }
    throw first;
  }

  /** Records what was learnt (only changes are written) and logs each new refusal once. */
  private async remember(
    accepted: OptionalClause[],
    refused: OptionalClause[],
    detail: string | undefined,
    log: Logger | undefined,
  ): Promise<void> {
    if (accepted.length === 0 && refused.length === 0) return;
    const at = this.now().toISOString();
    const next: GraphCapabilities = { ...(await this.capabilities()) };
    for (const c of accepted) next[c] = { accepted: true, at };
    for (const c of refused) {
      next[c] = { accepted: false, at, ...(detail ? { detail: readableGraphMessage(detail).slice(0, 300) } : {}) };
      log?.warn(
        `Graph refused ${clauseText[c]} (HTTP 400); polling goes on without it and it is not sent again for 7 days. ${detail ?? ''}`.trim(),
      );
    }
    for (const c of accepted) log?.info(`Graph accepts ${clauseText[c]} again; it is sent again`);
    this.loaded = Promise.resolve(next);
    try {
      await this.store.upsert(this.tenantId, next);
    } catch (err) {
      log?.warn(`Graph capabilities could not be saved (kept for this process): ${(err as Error).message}`);
    }
  }

  /**
   * One request with `$top=1` over the window and the given order, never retried on 400: what doctor shows
   * as "which order options the server accepts". `asc` is only ever sent here.
   */
  async probeOrder(
    window: PollWindow,
    order: 'asc' | 'desc' | 'none',
    abortSignal?: AbortSignal,
  ): Promise<ProbeResult> {
    let request = this.client.api(path).filter(this.filterFor(window, false)).top(1);
    if (order !== 'none') request = request.orderby(`activityDateTime ${order}`);
    if (abortSignal) request = request.option('signal', abortSignal);
    try {
      const body = (await request.get()) as { value?: unknown };
      return { accepted: true, events: Array.isArray(body?.value) ? body.value.length : 0 };
    } catch (err) {
      const e = toGraphReadError(err, `the ${order} probe`);
      return { accepted: false, ...(e.status ? { status: e.status } : {}), message: e.message };
    }
  }

  /** `getAuditCategories` (docs/reference/graph-audit-events.md §3.1). */
  async listCategories(abortSignal?: AbortSignal): Promise<string[]> {
    return this.listStrings(`${path}/getAuditCategories`, 'the audit categories', abortSignal);
  }

  /** `getAuditActivityTypes(category='…')`. */
  async listActivityTypes(category: string, abortSignal?: AbortSignal): Promise<string[]> {
    return this.listStrings(
      `${path}/getAuditActivityTypes(category='${encodeURIComponent(category.replace(/'/g, "''"))}')`,
      `the activity types of ${category}`,
      abortSignal,
    );
  }

  private async listStrings(url: string, what: string, abortSignal?: AbortSignal): Promise<string[]> {
    let request = this.client.api(url);
    if (abortSignal) request = request.option('signal', abortSignal);
    try {
      const body = (await request.get()) as { value?: unknown };
      return Array.isArray(body?.value) ? body.value.filter((v): v is string => typeof v === 'string') : [];
    } catch (err) {
      throw toGraphReadError(err, what);
    }
  }
}

/** One signal for a listing: the caller's abort, or the deadline passing. */
function budgetSignal(
  outer: AbortSignal | undefined,
  deadlineInMs: number | undefined,
): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const onAbort = () => controller.abort(outer?.reason);
  if (outer?.aborted) controller.abort(outer.reason);
  outer?.addEventListener('abort', onAbort, { once: true });
  const timer =
    deadlineInMs === undefined
      ? undefined
      : setTimeout(
          () => controller.abort(new DOMException("The run's time budget ended", 'TimeoutError')),
          Math.max(0, deadlineInMs - Date.now()),
        );
  return {
    signal: controller.signal,
    dispose: () => {
      clearTimeout(timer);
      outer?.removeEventListener('abort', onAbort);
    },
  };
}
