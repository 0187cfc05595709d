import type { Api, Me } from './api';

/** What every view gets. */
export interface ViewContext {
  api: Api;
  me: Me;
  /** True when the signed-in caller may change things; write controls are shown only then. */
  isAdmin: boolean;
  /** Goes to a hash route, e.g. `#/rules/new`. */
  navigate(hash: string): void;
  /** Re-renders the current route. */
  refresh(): void;
}

/** A view renders into `main` and returns nothing; errors are shown by the router. */
export type View = (ctx: ViewContext, main: HTMLElement, params: string[]) => Promise<void>;
