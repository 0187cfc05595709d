import { randomUUID } from 'node:crypto';

/**
 * How the Graph simulator behaves where Graph's documentation is silent (docs/reference/graph-audit-events.md §4a).
 * `strict` is the default and stricter than the docs: newest first when no `$orderby` is sent, `asc`
 * refused with 400, pages smaller than `$top`. Every other mode is `strict` plus one alternative seen or
 * reported in the field. Exported so the pipeline's integration tests can run in each (`describe.each`).
 */
export const graphServerModes = [
  'strict',
  'asc-accepted',
  'asc-ignored',
  'repeated-items',
  'throttled-no-retry-after',
  'intune-error-body',
  'hanging-next-link',
] as const;
export type GraphServerMode = (typeof graphServerModes)[number];

/** What a mode changes. Pure data, so tests can state what they expect of each mode. */
export interface ServerBehaviour {
  /** `$orderby=activityDateTime asc`: refused with 400, served oldest first, or accepted and served newest first. */
  ascending: 'refuse' | 'accept' | 'ignore';
  /** Items of the previous page repeated at the start of the next one (at most; never all of a page). */
  repeatedItems: number;
  /** List requests answered 429 without Retry-After: the first one, then every `throttleEvery`-th (0 = none). */
  throttleEvery: number;
  /** Shape of error bodies: Graph's, or Intune's with a JSON string in `error.message`. */
  errorBody: 'graph' | 'intune';
  /** How many `@odata.nextLink` requests are never answered (the first ones). */
  hangingNextLinks: number;
}

const strict: ServerBehaviour = {
  ascending: 'refuse',
  repeatedItems: 0,
  throttleEvery: 0,
  errorBody: 'graph',
  hangingNextLinks: 0,
};

export function behaviourOf(mode: GraphServerMode): ServerBehaviour {
  switch (mode) {
    case 'strict':
      return strict;
    case 'asc-accepted':
      return { ...strict, ascending: 'accept' };
    case 'asc-ignored':
      return { ...strict, ascending: 'ignore' };
    case 'repeated-items':
      return { ...strict, repeatedItems: 2 };
    case 'throttled-no-retry-after':
      return { ...strict, throttleEvery: 4 };
    case 'intune-error-body':
      return { ...strict, throttleEvery: 4, errorBody: 'intune' };
    case 'hanging-next-link':
      return { ...strict, hangingNextLinks: 1 };
  }
}

/** The page size served for a `$top`: below it (three quarters, at least 1) unless exact pages are asked for. */
export function servedPageSize(top: number, capBelowTop: boolean): number {
  return capBelowTop && top > 1 ? Math.max(1, Math.floor((top * 3) / 4)) : top;
}

/**
 * Intune's error body as observed on auditEvents (IntuneCD #217): `error.message` is itself JSON whose
 * `Message` carries the operation id and the back-end URL (here with a made-up query string).
 */
export function intuneErrorBody(code: string, headers: Record<string, string>): string {
  const inner = {
    _version: 3,
    Message: `An error has occurred - Operation ID (for customer support): 00000000-0000-0000-0000-000000000000 - Activity ID: ${headers['client-request-id'] ?? randomUUID()} - Url: https://fef.msua06.manage.microsoft.com/StatelessAuditingFEService/deviceManagement/auditEvents?api-version=5023-05-04&$filter=activityDateTime+ge+2026-01-01 - CustomApiErrorPhrase: `,
    CustomApiErrorPhrase: '',
    RetryAfter: null,
    ErrorSourceService: '',
    HttpHeaders: '{}',
  };
  return JSON.stringify({
    error: {
      code,
      message: JSON.stringify(inner),
      innerError: {
        date: new Date().toISOString().slice(0, 19),
        'request-id': headers['request-id'],
        'client-request-id': headers['client-request-id'],
      },
    },
  });
}
