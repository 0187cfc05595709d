import type { PollWindow } from './pollWindow';

/** One page of raw Graph audit events, in the order Graph returned them. */
export interface AuditPage {
  events: unknown[];
  /** 1-based page number within this listing. */
  pageNumber: number;
  /** True when Graph announced another page (`@odata.nextLink`). */
  hasMore: boolean;
}

/** Where audit events come from. Pages are streamed: a consumer stops pulling to stop fetching. */
export interface AuditSource {
  listPages(window: PollWindow, options?: { abortSignal?: AbortSignal }): AsyncIterable<AuditPage>;
}
