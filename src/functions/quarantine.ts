import { app } from '@azure/functions';
import { listQuarantine, retryQuarantined } from '../admin/quarantine';
import { adminAuthLevel, apiHandler, ok } from './http/httpApi';

/** GET /api/quarantine: alerts set aside because they could not be stored (never a secret; no sample events). */
export const listQuarantined = apiHandler('reader', async (_request, { services }) =>
  ok({ value: await listQuarantine(services) }),
);

/** POST /api/quarantine/{id}/retry: writes the alert to the outbox again and removes the item. */
export const retryQuarantine = apiHandler('admin', async (request, { services }) =>
  ok(await retryQuarantined(services, request.params.id)),
);

app.http('listQuarantine', {
  route: 'quarantine',
  methods: ['GET'],
  authLevel: adminAuthLevel(),
  handler: listQuarantined,
});
app.http('retryQuarantine', {
  route: 'quarantine/{id}/retry',
  methods: ['POST'],
  authLevel: adminAuthLevel(),
  handler: retryQuarantine,
});
