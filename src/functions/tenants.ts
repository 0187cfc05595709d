import { app, type HttpRequest } from '@azure/functions';
import { checkTenant, getTenant, listTenants, putTenant, removeTenant } from '../admin/tenantAdmin';
import { tenantAdminDeps } from '../composition/tenantAdminDeps';
import { adminAuthLevel, apiHandler, ok, readJson } from './http/httpApi';

const conditions = (request: HttpRequest) => ({
  ifMatch: request.headers.get('if-match') ?? undefined,
  ifNoneMatch: request.headers.get('if-none-match') ?? undefined,
});

/** GET /api/tenants: the home tenant first, then the registered ones, with sign-in state, last poll, lag, incidents. */
export const listTenantsHandler = apiHandler('reader', async (_request, { services, log }) =>
  ok({ value: await listTenants(tenantAdminDeps(services, log)) }),
);

/** GET /api/tenants/{id}: one tenant (the home tenant too); its ETag is the version to send in If-Match. */
export const getTenantHandler = apiHandler('reader', async (request, { services, log }) => {
  const tenant = await getTenant(tenantAdminDeps(services, log), request.params.id);
  return ok(tenant, 200, tenant.etag ? { etag: tenant.etag } : {});
});

/** PUT /api/tenants/{id}: register (201; If-None-Match: * = only that, 409 when registered) or replace (If-Match; 412 when stale). */
export const putTenantHandler = apiHandler('admin', async (request, { services, log, caller }) => {
  const { tenant, created } = await putTenant(
    tenantAdminDeps(services, log),
    request.params.id,
    await readJson(request),
    conditions(request),
    caller.name,
  );
  return ok(tenant, created ? 201 : 200, {
    etag: tenant.etag ?? '',
    ...(created ? { location: `/api/tenants/${tenant.id}` } : {}),
  });
});

/** DELETE /api/tenants/{id}: unregisters (404 when not registered; If-Match optional); its state and history are kept. */
export const deleteTenantHandler = apiHandler('admin', async (request, { services, log, caller }) => {
  await removeTenant(tenantAdminDeps(services, log), request.params.id, conditions(request), caller.name);
  return { status: 204, headers: { 'cache-control': 'no-store' } };
});

/** POST /api/tenants/{id}/check: signs in to the tenant and reads Graph once now; records and returns the sign-in state. */
export const checkTenantHandler = apiHandler('admin', async (request, { services, log }) =>
  ok(await checkTenant(tenantAdminDeps(services, log), request.params.id)),
);

app.http('listTenants', {
  route: 'tenants',
  methods: ['GET'],
  authLevel: adminAuthLevel(),
  handler: listTenantsHandler,
});
app.http('getTenant', {
  route: 'tenants/{id}',
  methods: ['GET'],
  authLevel: adminAuthLevel(),
  handler: getTenantHandler,
});
app.http('putTenant', {
  route: 'tenants/{id}',
  methods: ['PUT'],
  authLevel: adminAuthLevel(),
  handler: putTenantHandler,
});
app.http('deleteTenant', {
  route: 'tenants/{id}',
  methods: ['DELETE'],
  authLevel: adminAuthLevel(),
  handler: deleteTenantHandler,
});
app.http('checkTenant', {
  route: 'tenants/{id}/check',
  methods: ['POST'],
  authLevel: adminAuthLevel(),
  handler: checkTenantHandler,
});
