import { ifMatch, type Operation } from './apiOperation';

/** The tenant routes (src/functions/tenants.ts): the last part of openApi.ts's apiOperations, in the docs' order. */
export const tenantOperations: readonly Operation[] = [
  {
    operationId: 'listTenants',
    method: 'get',
    route: 'tenants',
    role: 'reader',
    tag: 'tenants',
    summary:
      'The home tenant (AZURE_TENANT_ID, `home: true`) first, then the registered tenants: display name, enabled, sign-in state and error, last successful poll, checkpoint, lag, open incidents, admin-consent link.',
    responses: { 200: '`{ value: [...] }`' },
  },
  {
    operationId: 'getTenant',
    method: 'get',
    route: 'tenants/{id}',
    role: 'reader',
    tag: 'tenants',
    summary: 'One tenant (the home tenant too); the ETag header is the version of a registered one.',
    responses: { 200: 'the tenant', 400: '`id` is not a tenant id (GUID)', 404: 'not registered' },
  },
  {
    operationId: 'putTenant',
    method: 'put',
    route: 'tenants/{id}',
    role: 'admin',
    tag: 'tenants',
    summary:
      'Register (201, Location, with the admin-consent link) or replace (200; If-Match required, 409 without it) a tenant: `{ displayName, enabled? }`. The home tenant is always polled and is refused (400).',
    params: [
      ifMatch('replace'),
      {
        name: 'If-None-Match',
        in: 'header',
        description: '`*` = register only (409 when the tenant is registered).',
        schema: { type: 'string', enum: ['*'] },
      },
    ],
    body: 'TenantInput',
    responses: {
      200: 'replaced',
      201: 'registered',
      400: 'field problems (`id` not a GUID or the home tenant, `displayName`, unknown fields)',
      409: 'already registered (If-None-Match: * or no If-Match)',
      412: 'stale ETag, or If-Match on a tenant that is not registered',
    },
  },
  {
    operationId: 'deleteTenant',
    method: 'delete',
    route: 'tenants/{id}',
    role: 'admin',
    tag: 'tenants',
    summary:
      'Unregister a tenant (If-Match optional). Polling stops; its checkpoint, run ledger, alerts and history are kept.',
    params: [ifMatch('optional')],
    responses: {
      204: 'removed',
      400: '`id` is not a GUID, or the home tenant',
      404: 'not registered',
      412: 'stale ETag',
    },
  },
  {
    operationId: 'checkTenant',
    method: 'post',
    route: 'tenants/{id}/check',
    role: 'admin',
    tag: 'tenants',
    summary:
      "Signs in to the tenant and makes one Graph request with its own token now: `{ tenantId, authState: ok | consent-missing | forbidden | unknown, error?, checkedAt }`, also recorded on the tenant's row.",
    responses: { 200: 'the outcome', 400: '`id` is not a tenant id (GUID)', 404: 'not registered' },
  },
];
