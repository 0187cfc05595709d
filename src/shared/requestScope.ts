import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The requests one run made, when several runs share a process and its clients (many tenants: each poll is a
 * queue invocation, several at once). Counters that see a request add it to the scope of the run it belongs
 * to (AsyncLocalStorage follows the run's awaits), so a run's ledger counts only its own requests.
 */
export interface RequestScope {
  graph: number;
  tables: number;
}

const storage = new AsyncLocalStorage<RequestScope>();

/** Runs `fn` with a fresh request scope. */
export const withRequestScope = <T>(scope: RequestScope, fn: () => Promise<T>): Promise<T> => storage.run(scope, fn);

/** The scope of the run this code belongs to, if any. */
export const currentRequestScope = (): RequestScope | undefined => storage.getStore();
