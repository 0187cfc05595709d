// What the OpenAPI document (openApi.ts) says about one admin API route, and the parameters routes share.

export type ApiRole = 'anonymous' | 'reader' | 'admin';
export type Method = 'get' | 'put' | 'post' | 'delete';

export interface Param {
  name: string;
  in: 'query' | 'header';
  description: string;
  schema: Record<string, unknown>;
}

export interface Operation {
  /** The function name given to app.http: the operation id. */
  operationId: string;
  method: Method;
  /** The route as registered (without the `api/` prefix). */
  route: string;
  role: ApiRole;
  tag: string;
  summary: string;
  params?: Param[];
  /** A component schema name, and whether the body is required. */
  body?: string;
  /** Status → description. 2xx entries get the JSON (or stated) content; errors the Error schema. */
  responses: Record<string, string>;
  /** Content type of the success body when it is not JSON. */
  produces?: string;
}

export const limit = (max: number, fallback: number): Param => ({
  name: 'limit',
  in: 'query',
  description: `How many to return (1–${max}; default ${fallback}).`,
  schema: { type: 'integer', minimum: 1, maximum: max, default: fallback },
});
export const ifMatch = (what: string): Param => ({
  name: 'If-Match',
  in: 'header',
  description: `The ETag read (or *): ${what}; 412 when stale.`,
  schema: { type: 'string' },
});
export const ifNoneMatch: Param = {
  name: 'If-None-Match',
  in: 'header',
  description: '`*` = create only (409 when the rule exists).',
  schema: { type: 'string', enum: ['*'] },
};
