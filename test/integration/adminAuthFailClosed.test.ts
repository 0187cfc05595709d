import { odata } from '@azure/data-tables';
import { beforeEach, describe, expect, it } from 'vitest';
import { getServices, resetServices } from '../../src/composition/appServices';
import { healthDetail, health } from '../../src/functions/health';
import { deleteRuleHandler, listRulesHandler, putRuleHandler } from '../../src/functions/rules';
import { createWindowHandler } from '../../src/functions/windows';
import { defaultRulePack } from '../../src/rules/defaultRulePack';
import { createLogger } from '../../src/shared/logger';
import { type TableName, tableNames } from '../../src/state/tableClients';
import { callApi, entraBehindEasyAuth, entraClientId, principalHeader } from '../helpers/apiCalls';
import { acceptedCards, type Pipeline, usePipelineEnvironment, watchdogCards } from '../helpers/pipeline';

const log = createLogger(() => undefined);
const forgedAdmin = principalHeader('mallory@evil.example', ['PkiAlerts.Admin']);
const ruleId = 'cloudpki-ca-certificate-revoked';
const disabled = {
  id: ruleId,
  name: 'Cloud PKI CA certificate revoked',
  enabled: false,
  severity: 'critical',
  activityTypes: ['RevokeCACertificate'],
  channels: ['default'],
};
const putRule = (headers: Record<string, string>, body: unknown = disabled) =>
  callApi(putRuleHandler, {
    method: 'PUT',
    path: `rules/${ruleId}`,
    params: { id: ruleId },
    body,
    headers: { 'if-match': '*', ...headers },
  });

/** The default rule pack in the tenant's table, then one poll cycle. */
async function seedAndPoll() {
  const services = getServices();
  await services.rules.seedIfEmpty(services.config.tenantId, defaultRulePack);
  await services.cycle(log);
}

/** Every row of a table in the tenant's partition, with ETag and timestamp: any write shows. */
async function rows(table: TableName, tenantId: string) {
  const client = await getServices().tables.get(table);
  const out: unknown[] = [];
  for await (const e of client.listEntities({ queryOptions: { filter: odata`PartitionKey eq ${tenantId}` } }))
    out.push(e);
  return out;
}

/** A snapshot of what an admin write could touch: rules, their history, change windows, the outbox. */
const snapshot = async (tenantId: string) => ({
  rules: await rows(tableNames.rules, tenantId),
  history: await rows(tableNames.ruleHistory, tenantId),
  windows: await rows(tableNames.changeWindows, tenantId),
  outbox: await rows(tableNames.outbox, tenantId),
});

describe('entra mode with App Service Authentication off: the admin API fails closed', () => {
  const pipeline = usePipelineEnvironment({ env: { ADMIN_AUTH_MODE: 'entra', ADMIN_AUTH_CLIENT_ID: entraClientId } });
  let p: Pipeline;
  beforeEach(async () => {
    p = pipeline();
    await seedAndPoll();
  });

  it('MUST SHOW: PUT /api/rules/{id} with a forged admin principal is refused (503 naming the problem) and nothing is written', async () => {
    const before = await snapshot(p.tenantId);
    expect(before.rules.length).toBeGreaterThan(0);
    const answer = await putRule(forgedAdmin);
    expect(answer.status).toBe(503);
    expect(answer.body.error.code).toBe('AdminApiClosed');
    expect(answer.body.error.message).toMatch(
      /App Service Authentication is not on \(the platform variable WEBSITE_AUTH_ENABLED is not set\)/,
    );
    // The other writes of a would-be attacker: delete the rule, open a change window that silences it.
    expect(
      (
        await callApi(deleteRuleHandler, {
          method: 'DELETE',
          path: `rules/${ruleId}`,
          params: { id: ruleId },
          headers: forgedAdmin,
        })
      ).status,
    ).toBe(503);
    expect(
      (
        await callApi(createWindowHandler, {
          method: 'POST',
          path: 'windows',
          body: { scope: { ruleIds: [ruleId] }, end: new Date(Date.now() + 3_600_000).toISOString(), reason: 'x' },
          headers: forgedAdmin,
        })
      ).status,
    ).toBe(503);
    expect(await snapshot(p.tenantId)).toEqual(before);
    // Reads too, with or without a principal: no decision is ever based on the header.
    expect((await callApi(listRulesHandler, { method: 'GET', path: 'rules', headers: forgedAdmin })).status).toBe(503);
    expect((await callApi(listRulesHandler, { method: 'GET', path: 'rules' })).status).toBe(503);
  });

  it('a platform that reports another app registration keeps it closed', async () => {
    Object.assign(process.env, {
      WEBSITE_AUTH_ENABLED: 'True',
      WEBSITE_AUTH_CLIENT_ID: 'ffffffff-0000-4000-8000-000000000000',
    });
    const before = await snapshot(p.tenantId);
    const answer = await putRule(forgedAdmin);
    expect(answer.status).toBe(503);
    expect(answer.body.error.message).toContain(
      `ffffffff-0000-4000-8000-000000000000 (WEBSITE_AUTH_CLIENT_ID), not the expected ${entraClientId}`,
    );
    expect(await snapshot(p.tenantId)).toEqual(before);
  });

  it('is checked on every request: the same process opens when Authentication comes on and closes when it goes off', async () => {
    const reader = principalHeader('rita@contoso.com', ['PkiAlerts.Reader']);
    expect((await callApi(listRulesHandler, { method: 'GET', path: 'rules', headers: reader })).status).toBe(503);
    Object.assign(process.env, { WEBSITE_AUTH_ENABLED: 'True', WEBSITE_AUTH_CLIENT_ID: entraClientId });
    expect((await callApi(listRulesHandler, { method: 'GET', path: 'rules', headers: reader })).status).toBe(200);
    delete process.env.WEBSITE_AUTH_ENABLED;
    expect((await callApi(listRulesHandler, { method: 'GET', path: 'rules', headers: reader })).status).toBe(503);
  });

  it('health: the detail reports the closed API; the anonymous verdict stays as it was', async () => {
    const detail = await callApi(healthDetail, {
      method: 'GET',
      path: 'health/detail',
      headers: principalHeader('rita@contoso.com', ['PkiAlerts.Reader']),
    });
    expect(detail).toMatchObject({ status: 503, body: { error: { code: 'AdminApiClosed' } } });
    expect(await getServices().watch.healthDetail()).toMatchObject({
      adminApi: { mode: 'entra', open: false, detail: expect.stringMatching(/WEBSITE_AUTH_ENABLED/) },
    });
    const verdict = await callApi(health, { method: 'GET', path: 'health' });
    expect(verdict.status).toBe(200);
    expect(Object.keys(verdict.body).sort()).toEqual(['checkedAt', 'checks', 'status']);
  });

  it('the watchdog says the admin API is closed once, and once that it is open again', async () => {
    // beforeEach ran the first cycle: it found the API closed.
    const closed = watchdogCards(p).filter((c) => c.text.includes('admin API is closed'));
    expect(closed).toHaveLength(1);
    expect(closed[0].text).toContain('WEBSITE_AUTH_ENABLED');
    await getServices().cycle(log);
    expect(watchdogCards(p).filter((c) => c.text.includes('admin API is closed'))).toHaveLength(1);
    Object.assign(process.env, { WEBSITE_AUTH_ENABLED: 'True', WEBSITE_AUTH_CLIENT_ID: entraClientId });
    await getServices().cycle(log);
    await getServices().cycle(log);
    expect(watchdogCards(p).filter((c) => c.text.includes('admin API is open again'))).toHaveLength(1);
    expect(watchdogCards(p).filter((c) => c.text.includes('admin API is closed'))).toHaveLength(1);
  });
});

describe('entra mode with App Service Authentication on: the role decides', () => {
  const pipeline = usePipelineEnvironment({ env: { ...entraBehindEasyAuth } });
  let p: Pipeline;
  beforeEach(async () => {
    p = pipeline();
    await seedAndPoll();
  });

  it('a reader is refused (403) and no principal is 401, with nothing written; an admin writes (200)', async () => {
    const before = await snapshot(p.tenantId);
    expect((await putRule(principalHeader('rita@contoso.com', ['PkiAlerts.Reader']))).status).toBe(403);
    expect((await putRule({})).status).toBe(401);
    expect(await snapshot(p.tenantId)).toEqual(before);
    expect((await putRule(principalHeader('adam@contoso.com', ['PkiAlerts.Admin']))).status).toBe(200);
    expect(await getServices().watch.healthDetail()).toMatchObject({ adminApi: { mode: 'entra', open: true } });
    expect(watchdogCards(p).filter((c) => c.text.includes('admin API'))).toEqual([]);
  });
});

describe('tamper evidence for the authorization setup', () => {
  const pipeline = usePipelineEnvironment({ env: { ...entraBehindEasyAuth } });
  let p: Pipeline;
  beforeEach(() => {
    p = pipeline();
  });

  it('the first run records the setup silently; a switch to function keys raises one critical tamper alert; no change, no alert', async () => {
    await getServices().cycle(log);
    expect(acceptedCards(p).filter((c) => c.text.includes('tamper:admin-auth'))).toEqual([]);
    const { watch } = await getServices().watch.store.read(p.tenantId);
    expect(watch?.state.adminAuth).toEqual({
      mode: 'entra',
      clientId: entraClientId,
      adminRole: 'PkiAlerts.Admin',
      readerRole: 'PkiAlerts.Reader',
    });

    process.env.ADMIN_AUTH_MODE = 'key';
    resetServices(); // a restart with the new settings
    await getServices().cycle(log);
    await getServices().cycle(log);
    const tamper = acceptedCards(p).filter((c) => c.text.includes('tamper:admin-auth'));
    expect(tamper).toHaveLength(1);
    expect(tamper[0].text).toContain('CRITICAL · Tamper: admin API authorization changed');
    expect(tamper[0].text).toContain('ADMIN_AUTH_MODE entra → key');
    expect((await getServices().watch.store.read(p.tenantId)).watch?.state.adminAuth).toEqual({ mode: 'key' });
  });

  it('another admin role is a change too (and each change alerts once)', async () => {
    await getServices().cycle(log);
    process.env.ADMIN_APP_ROLE = 'Everyone';
    resetServices();
    await getServices().cycle(log);
    process.env.ADMIN_APP_ROLE = 'PkiAlerts.Admin';
    resetServices();
    await getServices().cycle(log);
    const tamper = acceptedCards(p).filter((c) => c.text.includes('tamper:admin-auth'));
    expect(tamper.map((c) => /ADMIN_APP_ROLE \S+ → \S+?(?=[.;] )/.exec(c.text)?.[0])).toEqual([
      'ADMIN_APP_ROLE PkiAlerts.Admin → Everyone',
      'ADMIN_APP_ROLE Everyone → PkiAlerts.Admin',
    ]);
  });
});
