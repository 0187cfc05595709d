import type { GraphServerMode } from './graphServerModes';

/* The Graph simulator's option, request and fault types (graphSimulator.ts). */

/** Options for {@link GraphSimulator.start}. */
export interface GraphSimulatorOptions {
  events?: unknown[];
  port?: number;
  /** Page size when `$top` is absent (default 100). */
  defaultPageSize?: number;
  /** `$top` is capped here (default 1000). */
  maxPageSize?: number;
  /** Origin written into `@odata.nextLink` (default the real Graph one, which the app's client rewrites). */
  nextLinkOrigin?: string;
  /** When true, requests without `Authorization: Bearer …` get Graph's 401. */
  requireAuthorization?: boolean;
  /** Server behaviour where the docs are silent (default `strict`, see graphServerModes.ts). */
  mode?: GraphServerMode;
  /** Serve pages smaller than `$top`, as nothing promises full pages (default true). */
  capPagesBelowTop?: boolean;
}

/** One request as the simulator saw it; `query` is the raw text after `?`. */
export interface SimulatedRequest {
  method: string;
  path: string;
  query: string;
  authorization?: string;
  status: number;
  at: number;
}

/**
 * A failure the simulator plays instead of (or before, for `delay`) a normal list response. `status` sends
 * `Retry-After` only when `retryAfterSeconds` is given, since some Intune endpoints reportedly omit it.
 */
export type GraphFault =
  | { kind: 'status'; status: number; retryAfterSeconds?: number; body?: string }
  | { kind: 'delay'; ms: number }
  | { kind: 'hang' }
  | { kind: 'malformedJson' };

/** Which list requests a fault applies to, and how many times. */
export interface GraphFaultOptions {
  times?: number;
  on?: 'any' | 'firstPage' | 'nextPage';
}

export interface QueuedFault {
  fault: GraphFault;
  remaining: number;
  on: 'any' | 'firstPage' | 'nextPage';
}
