import { app, type HttpResponseInit } from '@azure/functions';
import { openApiDocument } from './http/openApi';

let document: Record<string, unknown> | undefined;

/**
 * GET /api/openapi.json, anonymous: the OpenAPI 3.1 document of the admin API. It holds no data (the shape of
 * the routes and bodies only, the same for every caller), so tools and the admin page's readers can fetch it
 * without a key, like the page shell; every route it lists still demands its role.
 */
export async function openApi(): Promise<HttpResponseInit> {
  document ??= openApiDocument();
  return {
    status: 200,
    jsonBody: document,
    headers: { 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' },
  };
}

app.http('openApi', { route: 'openapi.json', methods: ['GET'], authLevel: 'anonymous', handler: openApi });
