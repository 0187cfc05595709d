import type { Logger } from '../shared/logger';
import type { PollWindow } from './pollWindow';

/** One page of raw Graph audit events, in whatever order Graph returned them (never relied on). */
export interface AuditPage {
  events: unknown[];
  /** 1-based page number within this listing. */
  pageNumber: number;
  /** True when Graph announced another page (`@odata.nextLink`); the last page yielded has false. */
  hasMore: boolean;
}

export interface ListPagesOptions {
  abortSignal?: AbortSignal;
  /**
   * The run's time budget: no request starts and no retry wait ends after it. Reaching it throws (a
   * GraphReadError of kind `deadline`), so the slice counts as unread and the next run reads it.
   */
  deadline?: Date;
  /** The run's logger, for what the source learns about the server (a refused clause, logged once). */
  log?: Logger;
}

/**
 * Where audit events come from. Pages are streamed: a consumer stops pulling to stop fetching. A listing
 * ends normally only after a page with `hasMore: false`; every failure (HTTP error after retries, timeout,
 * deadline) throws. Pages may be smaller than asked, repeat items, and come in any order.
 */
export interface AuditSource {
  listPages(window: PollWindow, options?: ListPagesOptions): AsyncIterable<AuditPage>;
}
