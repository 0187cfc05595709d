import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { getServices, resetServices } from '../../src/composition/appServices';
import {
  checkTenantHandler,
  deleteTenantHandler,
  getTenantHandler,
  listTenantsHandler,
  putTenantHandler,
} from '../../src/functions/tenants';
import { TenantGraph } from '../../src/local/tenantGraph';
import { TableClients } from '../../src/state/tableClients';
import { TableTenantStore } from '../../src/state/tableTenantStore';
import { adminConsentUrl } from '../../src/tenants/tenant';
import { callApi, entraBehindEasyAuth, principalHeader } from '../helpers/apiCalls';
import { type Pipeline, usePipelineEnvironment } from '../helpers/pipeline';

// The tenant routes as the Functions host calls them, on Azurite, with each registered tenant's Graph behind
// TenantGraph (routed by the tenant its token names; one tenant answers 403). The Tenants table is shared by
// every test of the run, so each test registers fresh GUIDs, looks only at its own, and removes them afterwards.
const appClientId = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';
const consented = randomUUID();
const revoked = randomUUID();
let graph: TenantGraph;
beforeAll(async () => {
  graph = await TenantGraph.start([{ id: consented }, { id: revoked, forbidden: true }]);
});
afterAll(() => graph?.close());

const created: { home: string; id: string }[] = [];
const put = (id: string, body: unknown, headers: Record<string, string> = {}) => {
  created.push({ home: process.env.AZURE_TENANT_ID!.toLowerCase(), id });
  return callApi(putTenantHandler, { method: 'PUT', path: `tenants/${id}`, params: { id }, body, headers });
};
const get = (id: string, headers: Record<string, string> = {}) =>
  callApi(getTenantHandler, { method: 'GET', path: `tenants/${id}`, params: { id }, headers });
const list = (headers: Record<string, string> = {}) =>
  callApi(listTenantsHandler, { method: 'GET', path: 'tenants', headers });
const del = (id: string, headers: Record<string, string> = {}) =>
  callApi(deleteTenantHandler, { method: 'DELETE', path: `tenants/${id}`, params: { id }, headers });
const check = (id: string, headers: Record<string, string> = {}) =>
  callApi(checkTenantHandler, { method: 'POST', path: `tenants/${id}/check`, params: { id }, headers });

// The same table the app's services use (no prefix; the home tenant's partition), reached without the
// environment (restored by then).
const tables = new TableClients({ connectionString: inject('tablesConnectionString') });
afterEach(async () => {
  for (const c of created.splice(0)) await new TableTenantStore(tables, c.home).remove(c.id.toLowerCase());
});

describe('tenants API (key mode)', () => {
  const pipeline = usePipelineEnvironment({ env: { MULTI_TENANT_APP_CLIENT_ID: appClientId } });
  let p: Pipeline;
  beforeEach(() => {
    p = pipeline();
    process.env.GRAPH_BASE_URL = graph.baseUrl;
    resetServices();
  });

  it('registers a tenant (201, ETag, Location, consent link) and lists it after the home tenant', async () => {
    const id = randomUUID();
    const res = await put(id.toUpperCase(), { displayName: 'Contoso EU' }, { 'if-none-match': '*' });
    expect(res.status).toBe(201);
    expect(res.headers.location).toBe(`/api/tenants/${id}`);
    expect(res.headers.etag).toBeTruthy();
    expect(res.body).toMatchObject({
      id,
      displayName: 'Contoso EU',
      home: false,
      enabled: true,
      authState: 'unknown',
      addedBy: 'function-key',
      openIncidents: 0,
      consentUrl: adminConsentUrl(id, appClientId),
    });
    const all = await list();
    expect(all.status).toBe(200);
    expect(all.body.value[0]).toMatchObject({ id: p.tenantId, home: true, enabled: true, openIncidents: 0 });
    expect(all.body.value.filter((t: { id: string }) => t.id === id)).toHaveLength(1);
    const one = await get(id);
    expect(one.headers.etag).toBe(res.headers.etag);
    expect(one.body.consentUrl).toBe(res.body.consentUrl);
    const home = await get(p.tenantId);
    expect(home.body).toMatchObject({ id: p.tenantId, home: true });
    expect(home.body.consentUrl).toBeUndefined();
  });

  it.each<[string, string, unknown, Record<string, string>, number, string]>([
    ['a tenant id that is not a GUID', 'contoso.onmicrosoft.com', { displayName: 'C' }, {}, 400, 'id'],
    ['an empty display name', randomUUID(), { displayName: '' }, {}, 400, 'displayName'],
    ['an unknown field', randomUUID(), { displayName: 'C', color: 'blue' }, {}, 400, 'color'],
    ['a body that is not JSON', randomUUID(), '{displayName', {}, 400, 'body'],
    [
      'If-None-Match other than *',
      randomUUID(),
      { displayName: 'C' },
      { 'if-none-match': 'W/"1"' },
      400,
      'If-None-Match',
    ],
  ])('refuses %s with %#: a 400 naming the field', async (_name, id, body, headers, status, field) => {
    const res = await put(id, body, headers);
    expect(res.status).toBe(status);
    expect(res.body.error.code).toBe('ValidationFailed');
    expect(res.body.error.problems.map((x: { field: string }) => x.field)).toContain(field);
    expect(res.body.error.message).toContain(field);
    expect((await get(id)).status).not.toBe(200);
  });

  it('refuses the home tenant (400: always polled) and a duplicate (409 naming it); replaces only with If-Match', async () => {
    const home = await put(p.tenantId, { displayName: 'Home' });
    // The home tenant of these tests is not a GUID: refused as an id; a GUID home tenant is refused as home (unit test).
    expect(home.status).toBe(400);
    const id = randomUUID();
    const first = await put(id, { displayName: 'Fabrikam' }, { 'if-none-match': '*' });
    const dup = await put(id, { displayName: 'Fabrikam 2' }, { 'if-none-match': '*' });
    expect(dup.status).toBe(409);
    expect(dup.body.error.message).toBe(`tenant ${id} ("Fabrikam") is already registered`);
    expect((await put(id, { displayName: 'Fabrikam 2' })).status).toBe(409);
    expect((await put(id, { displayName: 'Fabrikam 2' }, { 'if-match': 'W/"stale"' })).status).toBe(412);
    const replaced = await put(id, { displayName: 'Fabrikam 2', enabled: false }, { 'if-match': first.headers.etag });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ displayName: 'Fabrikam 2', enabled: false });
    expect(replaced.headers.etag).not.toBe(first.headers.etag);
  });

  it('removes a tenant (204; 404 when it is not registered) and keeps its history', async () => {
    const id = randomUUID();
    await put(id, { displayName: 'Gone', enabled: false });
    expect((await del(id)).status).toBe(204);
    expect((await get(id)).status).toBe(404);
    const again = await del(id);
    expect(again.status).toBe(404);
    expect(again.body.error.message).toBe(`tenant ${id} is not registered`);
    const history = await getServices().admin.history.list(p.tenantId, 'tenant', id);
    expect(history.map((e) => e.action).sort()).toEqual(['create', 'delete']);
  });

  it("checks a tenant's sign-in with its own token: ok for a consented tenant, forbidden on Graph's 403, recorded on the row", async () => {
    await put(consented, { displayName: 'Consented', enabled: false });
    await put(revoked, { displayName: 'Revoked', enabled: false });
    const ok = await check(consented);
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ tenantId: consented, authState: 'ok' });
    const bad = await check(revoked);
    expect(bad.body).toMatchObject({ tenantId: revoked, authState: 'forbidden' });
    expect(bad.body.error).toBeTruthy();
    expect((await get(revoked)).body).toMatchObject({ authState: 'forbidden', authError: bad.body.error });
    expect((await get(consented)).body.authState).toBe('ok');
    expect((await check(randomUUID())).status).toBe(404);
    expect(graph.requestsByTenant().get(consented)).toBeGreaterThan(0);
  });
});

describe('tenants API (entra mode): readers read, admins write', () => {
  usePipelineEnvironment({ env: { ...entraBehindEasyAuth } });
  const reader = principalHeader('rita@contoso.com', ['PkiAlerts.Reader']);
  const admin = principalHeader('adam@contoso.com', ['PkiAlerts.Admin']);

  it('refuses a reader every write with 403 and lets her list; records the admin as the one who added', async () => {
    const id = randomUUID();
    expect((await put(id, { displayName: 'R' }, reader)).status).toBe(403);
    const added = await put(id, { displayName: 'By Adam', enabled: false }, admin);
    expect(added.status).toBe(201);
    expect(added.body.addedBy).toBe('adam@contoso.com');
    expect(added.body.consentUrl).toBeUndefined(); // no MULTI_TENANT_APP_CLIENT_ID, no client-secret app
    expect((await list(reader)).status).toBe(200);
    expect((await get(id, reader)).body.displayName).toBe('By Adam');
    expect((await del(id, reader)).status).toBe(403);
    expect((await check(id, reader)).status).toBe(403);
    expect((await del(id, admin)).status).toBe(204);
  });
});
