import { app } from '@azure/functions';
import { apiHandler, ok } from './httpApi';

/** GET /api/alerts?limit=N: recent alerts, newest first, with per-channel delivery status (never a URL). */
export const listAlerts = apiHandler('reader', async (request, { services }) => {
  const limit = Math.min(500, Math.max(1, Number(request.query.get('limit') ?? 50) || 50));
  const entries = await services.outbox.listAlerts(services.config.tenantId, { limit });
  return ok({
    value: entries.map(({ alert, deliveries }) => ({
      ...alert,
      deliveries: deliveries.map(({ etag: _etag, ...d }) => d),
    })),
  });
});

app.http('listAlerts', { route: 'alerts', methods: ['GET'], authLevel: 'function', handler: listAlerts });
