import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main';
import { getServices } from '../../src/composition/appServices';
import { alertIdFor } from '../../src/dispatch/alertAccumulator';
import { getAlert, listAlerts } from '../../src/functions/alerts';
import { listChannelsHandler, putChannelHandler } from '../../src/functions/channels';
import { getRuleHandler, listRulesHandler, putRuleHandler } from '../../src/functions/rules';
import { parseChannel } from '../../src/notifiers/channel';
import { sampleAlert } from '../helpers/alertFixtures';
import { callApi } from '../helpers/apiCalls';
import { usePipelineEnvironment } from '../helpers/pipeline';

// Rules, channels and alerts across tenants, through the real handlers on Azurite: the home partition holds the
// global rules and channels, each registered tenant its own (src/rules/tenantRules.ts, src/composition/ruleScope.ts).
usePipelineEnvironment();

// Fresh tenant ids per test: the Tenants and Channels tables are shared by every test on this Azurite.
let contoso = '';
let fabrikam = '';
let contosoOps = '';
let fabrikamOps = '';
const webhook = (id: string) =>
  parseChannel({ id, type: 'teams', settings: { urlSetting: 'TEAMS_WEBHOOK_URL' }, description: id });
const rule = (channels: string[], extra: Record<string, unknown> = {}) => ({
  name: 'CA deleted',
  enabled: true,
  severity: 'high',
  activityTypes: ['Delete CloudCertificationAuthority'],
  channels,
  ...extra,
});
const put = (id: string, body: unknown, tenant?: string) =>
  callApi(putRuleHandler, {
    method: 'PUT',
    path: `rules/${id}${tenant ? `?tenant=${tenant}` : ''}`,
    params: { id },
    body,
  });

/** Two registered tenants, a global table channel, a channel of each tenant, and a tenant channel clashing with a global id. */
async function setUp() {
  [contoso, fabrikam] = [randomUUID(), randomUUID()];
  [contosoOps, fabrikamOps] = [`ops-${contoso.slice(0, 8)}`, `ops-${fabrikam.slice(0, 8)}`];
  const s = getServices();
  const home = s.config.tenancy.homeTenantId;
  const at = new Date().toISOString();
  for (const [id, displayName] of [
    [contoso, 'Contoso'],
    [fabrikam, 'Fabrikam'],
  ])
    await s.tenants.store.put({ id, displayName, enabled: true, authState: 'unknown', addedAt: at });
  await s.channelStore.upsert(home, webhook('soc'), { updatedBy: 'test' });
  await s.channelStore.upsert(contoso, webhook(contosoOps), { updatedBy: 'test' });
  await s.channelStore.upsert(contoso, webhook('soc'), { updatedBy: 'test' });
  await s.channelStore.upsert(fabrikam, webhook(fabrikamOps), { updatedBy: 'test' });
  return { s, home };
}

describe('channels across tenants', () => {
  it("a registered tenant's services see the global channels (app settings, home partition) and its own, never another tenant's", async () => {
    const { s } = await setUp();
    const set = await s.tenants.forTenant(contoso, 'Contoso').channels.load();
    expect(set.definitions.map((d) => d.id)).toEqual(['teams', 'soc', contosoOps]);
    expect([...set.tenantOwned]).toEqual([contosoOps]);
    // Contoso's own "soc" is ignored: a global rule naming soc always means the global one.
    expect(set.problems).toEqual([
      { channelId: 'soc', message: 'the id is taken by a global channel; the table row is ignored' },
    ]);
    const home = await s.channels.load();
    expect(home.definitions.map((d) => d.id)).toEqual(['teams', 'soc']);
    expect(home.tenantOwned.size).toBe(0);
  });
});

describe('channels API with ?tenant=', () => {
  const putChannel = (id: string, tenant?: string) =>
    callApi(putChannelHandler, {
      method: 'PUT',
      path: `channels/${id}${tenant ? `?tenant=${tenant}` : ''}`,
      params: { id },
      body: { type: 'teams', settings: { urlSetting: 'TEAMS_WEBHOOK_URL' } },
    });

  it("creates a tenant's own channel in its partition, lists it beside the global ones, and refuses a global id", async () => {
    const { s, home } = await setUp();
    const id = `own-${contoso.slice(0, 8)}`;
    const created = await putChannel(id, contoso);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id, tenantId: contoso, source: 'table' });
    expect(created.headers.location).toBe(`/api/channels/${id}?tenant=${contoso}`);
    expect((await s.channelStore.get(contoso, id))?.channel.id).toBe(id);
    expect(await s.channelStore.get(home, id)).toBeUndefined();

    const list = await callApi(listChannelsHandler, { method: 'GET', path: `channels?tenant=${contoso}` });
    expect(list.body.value.map((c: any) => [c.id, c.tenantId ?? 'global'])).toEqual([
      ['teams', 'global'],
      ['soc', 'global'],
      [contosoOps, contoso],
      [id, contoso],
    ]);
    // The global list does not show it; another tenant does not see it.
    const global = await callApi(listChannelsHandler, { method: 'GET', path: 'channels' });
    expect(global.body.value.map((c: any) => c.id)).toEqual(['teams', 'soc']);
    const other = await callApi(listChannelsHandler, { method: 'GET', path: `channels?tenant=${fabrikam}` });
    expect(other.body.value.map((c: any) => c.id)).not.toContain(id);

    const clash = await putChannel('soc', contoso);
    expect(clash.status).toBe(409);
    expect(clash.body.error.message).toContain('"soc" is a global channel');
    expect((await putChannel('x', randomUUID())).status).toBe(404);
    expect((await callApi(listChannelsHandler, { method: 'GET', path: 'channels?tenant=nope' })).status).toBe(400);
  });
});

describe('rules API with ?tenant=', () => {
  it("writes a tenant's own rule naming its channel and a global one; lists each partition", async () => {
    await setUp();
    expect((await put('contoso-deleted', rule([contosoOps, 'soc']), contoso)).status).toBe(201);
    const created = await put('global-deleted', rule(['soc', 'default'], { excludeTenants: [fabrikam.toUpperCase()] }));
    expect(created.status).toBe(201);
    expect(created.body.rule.excludeTenants).toEqual([fabrikam]);
    const own = await callApi(listRulesHandler, { method: 'GET', path: `rules?tenant=${contoso.toUpperCase()}` });
    expect(own.status).toBe(200);
    expect(own.body).toMatchObject({ tenant: contoso, packVersion: 0 });
    expect(own.body.value.map((r: { id: string }) => r.id)).toEqual(['contoso-deleted']);
    const global = await callApi(listRulesHandler, { method: 'GET', path: 'rules' });
    expect(global.body.tenant).toBe('global');
    expect(global.body.value.map((r: { id: string }) => r.id)).toContain('global-deleted');
    expect(global.body.value.map((r: { id: string }) => r.id)).not.toContain('contoso-deleted');
    const one = await callApi(getRuleHandler, {
      method: 'GET',
      path: `rules/contoso-deleted?tenant=${contoso}`,
      params: { id: 'contoso-deleted' },
    });
    expect(one.status).toBe(200);
    expect(one.body.rule.channels).toEqual([contosoOps, 'soc']);
  });

  it("refuses a tenant rule naming another tenant's channel, naming channels and the channel; the other tenants are untouched", async () => {
    await setUp();
    const res = await put('steal', rule([fabrikamOps]), contoso);
    expect(res.status).toBe(400);
    expect(res.body.error.problems).toEqual([
      {
        field: 'channels[0]',
        message: `"${fabrikamOps}" is neither a global channel nor a channel of tenant Contoso (${contoso}); a tenant's rule may name only those`,
      },
    ]);
    // Nothing was written, and Fabrikam can still write its own rule on its own channel.
    expect((await callApi(listRulesHandler, { method: 'GET', path: `rules?tenant=${contoso}` })).body.value).toEqual(
      [],
    );
    expect((await put('fabrikam-deleted', rule([fabrikamOps]), fabrikam)).status).toBe(201);
  });

  it("refuses a global rule naming a tenant's channel, naming the tenant", async () => {
    await setUp();
    const res = await put('global-bad', rule(['default', contosoOps]));
    expect(res.status).toBe(400);
    expect(res.body.error.problems).toEqual([
      {
        field: 'channels[1]',
        message: `"${contosoOps}" is a channel of tenant Contoso (${contoso}); a global rule applies to every tenant and may name only global channels (write the rule with ?tenant=${contoso} instead)`,
      },
    ]);
  });

  it("refuses excludeTenants on a tenant's rule, a tenant that is not registered (404) and a tenant that is not an id (400 naming tenant)", async () => {
    await setUp();
    const excl = await put('x', rule(['default'], { excludeTenants: [fabrikam] }), contoso);
    expect(excl.status).toBe(400);
    expect(excl.body.error.problems.map((p: { field: string }) => p.field)).toEqual(['excludeTenants']);
    const unknown = randomUUID();
    const missing = await put('x', rule(['default']), unknown);
    expect(missing.status).toBe(404);
    expect(missing.body.error.message).toContain(`tenant ${unknown} is not registered`);
    const bad = await put('x', rule(['default']), 'contoso.onmicrosoft.com');
    expect(bad.status).toBe(400);
    expect(bad.body.error.problems[0].field).toBe('tenant');
  });
});

describe('alerts API across tenants', () => {
  async function writeAlerts() {
    const { s, home } = await setUp();
    const t0 = Date.parse('2026-11-25T10:00:00.000Z');
    const write = async (tenantId: string, minute: number, tenantName?: string) => {
      const alert = sampleAlert({
        id: alertIdFor(tenantId, 'r', `e${minute}`),
        tenantId,
        ...(tenantName ? { tenantName } : {}),
        createdAt: new Date(t0 + minute * 60_000).toISOString(),
      });
      await s.outbox.writeAlert({ alert, channels: ['default'], eventKeys: [] }, ['teams']);
      return alert.id;
    };
    return {
      home,
      ids: {
        home: await write(home, 1),
        contoso: await write(contoso, 2, 'Contoso'),
        // Written before names were stored: named from the Tenants table.
        fabrikam: await write(fabrikam, 3),
      },
    };
  }

  it('without tenant: the home tenant and every registered tenant, newest first, each naming its tenant', async () => {
    const { home, ids } = await writeAlerts();
    const res = await callApi(listAlerts, { method: 'GET', path: 'alerts?limit=500' });
    expect(res.status).toBe(200);
    // Other tests may have registered tenants of their own on this Azurite: look at ours.
    const ours = res.body.value.filter((a: any) => [home, contoso, fabrikam].includes(a.tenantId));
    expect(ours.map((a: any) => [a.id, a.tenantId, a.tenantName])).toEqual([
      [ids.fabrikam, fabrikam, 'Fabrikam'],
      [ids.contoso, contoso, 'Contoso'],
      [ids.home, home, 'Home tenant'],
    ]);
    expect(ours[0].deliveries).toMatchObject([{ channelId: 'teams', state: 'pending' }]);
  });

  it('with tenant: only that tenant (its id in any case, or home); a bad tenant is a 400 naming tenant', async () => {
    const { home, ids } = await writeAlerts();
    const only = await callApi(listAlerts, { method: 'GET', path: `alerts?tenant=${contoso.toUpperCase()}` });
    expect(only.body.value.map((a: any) => a.id)).toEqual([ids.contoso]);
    for (const value of ['home', home]) {
      const res = await callApi(listAlerts, { method: 'GET', path: `alerts?tenant=${value}` });
      expect(res.body.value.map((a: any) => a.id)).toEqual([ids.home]);
    }
    const bad = await callApi(listAlerts, { method: 'GET', path: 'alerts?tenant=not-a-tenant' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.problems).toMatchObject([{ field: 'tenant' }]);
    expect(bad.body.error.problems[0].message).toContain('"not-a-tenant"');
  });

  it('GET /api/alerts/{id} finds an alert of a registered tenant; with tenant= only in that tenant', async () => {
    const { ids } = await writeAlerts();
    const found = await callApi(getAlert, {
      method: 'GET',
      path: `alerts/${ids.fabrikam}`,
      params: { id: ids.fabrikam },
    });
    expect(found.status).toBe(200);
    expect(found.body).toMatchObject({ id: ids.fabrikam, tenantId: fabrikam, tenantName: 'Fabrikam' });
    const elsewhere = await callApi(getAlert, {
      method: 'GET',
      path: `alerts/${ids.fabrikam}?tenant=${contoso}`,
      params: { id: ids.fabrikam },
    });
    expect(elsewhere.status).toBe(404);
  });
});

describe('pki-alerts rules --tenant', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'pki-tenant-rules-'));
  async function cli(args: string[]) {
    const lines: string[] = [];
    const errors: string[] = [];
    const write = process.stderr.write;
    process.stderr.write = (chunk: string) => errors.push(String(chunk)) > 0;
    try {
      return { code: await main(args, (l) => lines.push(l)), out: lines.join('\n'), err: errors.join('') };
    } finally {
      process.stderr.write = write;
    }
  }

  it("imports into a tenant's own rules, lists them apart from the global ones, and refuses another tenant's channel", async () => {
    await setUp();
    const good = path.join(dir, `good-${contoso}.json`);
    writeFileSync(good, JSON.stringify({ rules: [{ id: 'own', ...rule([contosoOps]) }] }));
    const imported = await cli(['rules', 'import', good, '--tenant', contoso]);
    expect(imported.code).toBe(0);
    expect((await cli(['rules', 'list', '--tenant', contoso])).out).toContain('own');
    expect((await cli(['rules', 'list'])).out).not.toMatch(/^own /m);

    const bad = path.join(dir, `bad-${contoso}.json`);
    writeFileSync(
      bad,
      JSON.stringify({
        rules: [
          { id: 'own', ...rule([contosoOps]) },
          { id: 'steal', ...rule([fabrikamOps]) },
        ],
      }),
    );
    const refused = await cli(['rules', 'import', bad, '--tenant', contoso]);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain(
      `channels[0]: "${fabrikamOps}" is neither a global channel nor a channel of tenant Contoso`,
    );
    expect((await cli(['rules', 'list', '--tenant', 'not-a-tenant'])).code).toBe(2);
  });
});
