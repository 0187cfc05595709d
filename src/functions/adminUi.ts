import { app, type HttpHandler, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import { loadUiAssets, notBuiltText, pageHtml, pageSecurityHeaders } from './http/adminPage';
import { getServices } from '../composition/appServices';
import type { Role } from './http/authorization';
import { previewCard } from '../admin/cardPreview';
import { checkCsrf } from './http/csrf';
import { ruleStats } from '../admin/ruleStats';
import { getWindow } from '../admin/windowAdmin';
import { adminAuthLevel, type ApiContext, apiHandler, ok, readJson } from './http/httpApi';

/*
 * The admin page (GET /api/ui) and the small API it needs beyond the admin API. Routes live under `ui/`,
 * not `admin/`: the Azure Functions host rejects any route starting with "admin" (its own admin API).
 * The shell and its assets are anonymous and carry no data; every data route is an apiHandler route.
 */

/** An apiHandler route that also refuses cross-site browser writes in `entra` mode (see functions/http/csrf.ts). */
const guarded = (
  role: Role,
  handler: (request: HttpRequest, api: ApiContext) => Promise<HttpResponseInit>,
): HttpHandler =>
  apiHandler(role, async (request, api) => {
    checkCsrf(request.method, request.headers, api.services.config.auth);
    return handler(request, api);
  });

const authMode = (): 'key' | 'entra' => {
  try {
    return getServices().config.auth.mode;
  } catch {
    return 'key'; // a configuration error is reported by the API calls the page makes
  }
};

/** GET /api/ui: the HTML shell (anonymous: no data in it). */
export async function uiPage(): Promise<HttpResponseInit> {
  const assets = loadUiAssets();
  if (!assets)
    return {
      status: 503,
      body: notBuiltText,
      headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...pageSecurityHeaders },
    };
  return {
    status: 200,
    body: pageHtml({ authMode: authMode(), version: assets.version }),
    headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', ...pageSecurityHeaders },
  };
}

/** GET /api/ui/static/{name}: app.js (with the Adaptive Cards renderer) and app.css, revalidated by ETag. */
export async function uiAsset(request: HttpRequest): Promise<HttpResponseInit> {
  const asset = loadUiAssets()?.files.get(request.params.name ?? '');
  if (!asset)
    return {
      status: 404,
      body: 'not found',
      headers: { 'content-type': 'text/plain; charset=utf-8', ...pageSecurityHeaders },
    };
  const headers = {
    'content-type': asset.contentType,
    'cache-control': 'no-cache',
    etag: asset.etag,
    ...pageSecurityHeaders,
  };
  if (request.headers.get('if-none-match') === asset.etag) return { status: 304, headers };
  return { status: 200, body: asset.body, headers };
}

/** GET /api/ui/me (reader): who the page is signed in as, and which roles it may use. */
export const uiMe = apiHandler('reader', async (_request, { caller, services }) =>
  ok({ name: caller.name, roles: [...caller.roles].sort(), via: caller.via, mode: services.config.auth.mode }),
);

/** GET /api/ui/rule-stats (reader): per rule, alerts and events in the last 7 days and when it last fired. */
export const uiRuleStats = apiHandler('reader', async (_request, { services, log }) =>
  ok(await ruleStats(services.outbox, services.config.tenantId, services.admin.deps(log).clock())),
);

/** GET /api/ui/windows/{id}/suppressed (reader): the matches a change window kept from being sent. */
export const uiWindowSuppressed = apiHandler('reader', async (request, { services, log }) => {
  const window = await getWindow(services.admin.deps(log), request.params.id ?? '');
  const alerts = await services.outbox.listSuppressed(services.config.tenantId, window.id);
  const value = alerts
    .map((a) => ({
      id: a.id,
      ruleId: a.ruleId,
      ruleName: a.ruleName,
      severity: a.severity,
      eventCount: a.eventCount,
      firstEventTime: a.firstEventTime,
      lastEventTime: a.lastEventTime,
      createdAt: a.createdAt,
    }))
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  return ok({ windowId: window.id, status: window.status, value });
});

/** POST /api/ui/preview (reader): the Teams card a rule would send for { event } / { eventRef } / a sample. */
export const uiPreview = guarded('reader', async (request, { services, log }) =>
  ok(
    await previewCard(
      {
        tenantId: services.config.tenantId,
        source: services.source,
        clock: services.admin.deps(log).clock,
        intunePortalUrl: services.config.intunePortalUrl,
      },
      await readJson(request),
    ),
  ),
);

app.http('uiPage', { route: 'ui', methods: ['GET'], authLevel: 'anonymous', handler: uiPage });
app.http('uiAsset', { route: 'ui/static/{name}', methods: ['GET'], authLevel: 'anonymous', handler: uiAsset });
app.http('uiMe', { route: 'ui/me', methods: ['GET'], authLevel: adminAuthLevel(), handler: uiMe });
app.http('uiRuleStats', {
  route: 'ui/rule-stats',
  methods: ['GET'],
  authLevel: adminAuthLevel(),
  handler: uiRuleStats,
});
app.http('uiWindowSuppressed', {
  route: 'ui/windows/{id}/suppressed',
  methods: ['GET'],
  authLevel: adminAuthLevel(),
  handler: uiWindowSuppressed,
});
app.http('uiPreview', { route: 'ui/preview', methods: ['POST'], authLevel: adminAuthLevel(), handler: uiPreview });
