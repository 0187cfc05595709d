import { app } from '@azure/functions';
import { getAlertStatus, listAlertStatus } from '../admin/alertStatus';
import { adminAuthLevel, apiHandler, ok } from './http/httpApi';

/**
 * GET /api/alerts?limit=N&tenant=<id>: recent alerts, newest first, with per-channel delivery status (never a URL);
 * of one tenant, or (no `tenant`) of the home tenant and every registered tenant; each names its tenant.
 */
export const listAlerts = apiHandler('reader', async (request, { services }) => {
  const limit = Math.min(500, Math.max(1, Number(request.query.get('limit') ?? 50) || 50));
  return ok({ value: await listAlertStatus(services, limit, request.query.get('tenant')) });
});

/** GET /api/alerts/{id}?tenant=<id>: one alert (or notice) with each channel's delivery: state, attempts, last status / error, digest, note. */
export const getAlert = apiHandler('reader', async (request, { services }) =>
  ok(await getAlertStatus(services, request.params.id, request.query.get('tenant'))),
);

app.http('listAlerts', { route: 'alerts', methods: ['GET'], authLevel: adminAuthLevel(), handler: listAlerts });
app.http('getAlert', { route: 'alerts/{id}', methods: ['GET'], authLevel: adminAuthLevel(), handler: getAlert });
