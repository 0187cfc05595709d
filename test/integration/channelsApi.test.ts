import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { getServices } from '../../src/composition/appServices';
import { getAlert } from '../../src/functions/alerts';
import {
  deleteChannelHandler,
  getChannelHandler,
  listChannelsHandler,
  putChannelHandler,
  testChannelHandler,
} from '../../src/functions/channels';
import { callApi } from '../helpers/apiCalls';
import { graphEvent, minutesBefore } from '../helpers/graphEvents';
import { newWebhookSecret } from '../helpers/deliveryPipeline';
import { type Receiver, startReceiver } from '../helpers/httpReceiver';
import { usePipelineEnvironment } from '../helpers/pipeline';

const siemToken = 'SIEMTOKEN-abc123';
const signing = newWebhookSecret();
let siem: Receiver;
beforeEach(async () => {
  siem = await startReceiver();
  process.env.SIEM_URL = `${siem.url}/ingest/pki?token=${siemToken}`;
  process.env.SIEM_SECRET = signing;
});
afterEach(async () => {
  await siem.close();
});
const pipeline = usePipelineEnvironment({
  env: {
    BROKEN_URL: '@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/x/)',
    NOT_A_SECRET: 'hello',
    OFFLIST_URL: `https://siem.example.com/ingest/pki?token=${siemToken}`,
  },
});

const webhook = {
  type: 'webhook',
  description: 'SIEM',
  settings: { urlSetting: 'SIEM_URL', secretSetting: 'SIEM_SECRET' },
};
const put = (id: string, body: unknown, headers: Record<string, string> = {}) =>
  callApi(putChannelHandler, { method: 'PUT', path: `channels/${id}`, params: { id }, body, headers });

/** Fails when an answer carries any part of a secret. */
function expectNoSecrets(value: unknown) {
  const text = JSON.stringify(value);
  for (const secret of [
    siemToken,
    signing,
    signing.slice(6, 30),
    '/ingest/pki',
    'sig-SECRET',
    '/workflows/0123456789abcdef',
    'KeyVault(SecretUri',
  ])
    expect(text).not.toContain(secret);
}

describe('channels API', () => {
  it('creates a webhook channel and lists it beside the app-settings channel: setting names and host only', async () => {
    const created = await put('siem', webhook);
    expect(created.status).toBe(201);
    expect(created.headers.etag).toBeTruthy();
    expect(created.body).toMatchObject({
      id: 'siem',
      type: 'webhook',
      source: 'table',
      settings: { urlSetting: 'SIEM_URL', secretSetting: 'SIEM_SECRET' },
      host: new URL(siem.url).host,
      configuration: 'ok',
    });
    const list = await callApi(listChannelsHandler, { method: 'GET', path: 'channels' });
    expect(list.status).toBe(200);
    expect(list.body.value.map((c: { id: string; source: string }) => [c.id, c.source])).toEqual([
      ['teams', 'app-settings'],
      ['siem', 'table'],
    ]);
    expectNoSecrets(created.body);
    expectNoSecrets(list.body);
  });

  it.each([
    [
      'a secret setting that is not set',
      { ...webhook, settings: { urlSetting: 'SIEM_URL', secretSetting: 'NO_SUCH_SETTING' } },
      'settings.secretSetting',
      /app setting NO_SUCH_SETTING is not set/,
    ],
    [
      'an unresolved Key Vault reference',
      { ...webhook, settings: { urlSetting: 'BROKEN_URL', secretSetting: 'SIEM_SECRET' } },
      'settings.urlSetting',
      /BROKEN_URL is an unresolved Key Vault reference/,
    ],
    [
      'a secret that is not whsec_',
      { ...webhook, settings: { urlSetting: 'SIEM_URL', secretSetting: 'NOT_A_SECRET' } },
      'settings.secretSetting',
      /NOT_A_SECRET must be a Standard Webhooks secret/,
    ],
    [
      'a URL that is not a URL',
      { ...webhook, settings: { urlSetting: 'NOT_A_SECRET', secretSetting: 'SIEM_SECRET' } },
      'settings.urlSetting',
      /not a valid absolute URL/,
    ],
    [
      "one of the app's own settings",
      { ...webhook, settings: { urlSetting: 'SIEM_URL', secretSetting: 'AZURE_CLIENT_SECRET' } },
      'settings.secretSetting',
      /app's own settings/,
    ],
    [
      'a Teams channel on a non-Workflows host',
      { type: 'teams', settings: { urlSetting: 'OFFLIST_URL' } },
      'settings.urlSetting',
      /not a Teams Workflows host/,
    ],
    [
      'a webhook host off WEBHOOK_ALLOWED_HOSTS',
      { ...webhook, settings: { urlSetting: 'OFFLIST_URL', secretSetting: 'SIEM_SECRET' } },
      'settings.urlSetting',
      /not on WEBHOOK_ALLOWED_HOSTS/,
    ],
    ['an unknown type', { type: 'pager', settings: {} }, 'type', /type must be one of/],
    [
      'a secret value instead of a setting name',
      { ...webhook, settings: { urlSetting: 'https://evil.example/x', secretSetting: 'SIEM_SECRET' } },
      'settings.urlSetting',
      /app setting NAME/,
    ],
    [
      'email without recipients',
      { type: 'email-graph', settings: { mailbox: 'alerts@contoso.com', to: [] } },
      'settings.to',
      /at least one recipient/,
    ],
  ])('400 for %s, naming the field and never the value', async (_name, body, field, message) => {
    const res = await put('bad', body);
    expect(res.status).toBe(400);
    const problem = res.body.error.problems.find((p: { field: string }) => p.field === field);
    expect(problem?.message).toMatch(message);
    expectNoSecrets(res.body);
  });

  it('409 for an id taken by an app-settings channel or an existing channel; 412 for a stale If-Match; delete is idempotent', async () => {
    expect((await put('teams', webhook)).status).toBe(409);
    const created = await put('siem', webhook);
    expect((await put('siem', webhook)).status).toBe(409);
    expect((await put('siem', webhook, { 'if-match': 'W/"datetime\'2020-01-01T00%3A00%3A00Z\'"' })).status).toBe(412);
    const replaced = await put('siem', { ...webhook, description: 'new' }, { 'if-match': created.headers.etag });
    expect(replaced.status).toBe(200);
    expect(
      (await callApi(deleteChannelHandler, { method: 'DELETE', path: 'channels/siem', params: { id: 'siem' } })).status,
    ).toBe(204);
    expect(
      (await callApi(deleteChannelHandler, { method: 'DELETE', path: 'channels/siem', params: { id: 'siem' } })).status,
    ).toBe(204);
    expect(
      (await callApi(getChannelHandler, { method: 'GET', path: 'channels/siem', params: { id: 'siem' } })).status,
    ).toBe(404);
    expect(
      (await callApi(deleteChannelHandler, { method: 'DELETE', path: 'channels/teams', params: { id: 'teams' } }))
        .status,
    ).toBe(409);
  });

  it('POST /channels/{id}/test sends a signed sample alert and reports the outcome; a failure names status and reason, never the URL', async () => {
    await put('siem', webhook);
    const ok = await callApi(testChannelHandler, {
      method: 'POST',
      path: 'channels/siem/test',
      params: { id: 'siem' },
    });
    expect(ok.body).toMatchObject({ channelId: 'siem', ok: true, status: 202, detail: 'accepted' });
    expect(siem.requests).toHaveLength(1);
    expect(JSON.parse(siem.requests[0].rawBody)).toMatchObject({ type: 'pkica.test', data: { kind: 'test' } });
    siem.respondWith({ status: 500, body: `upstream failed for ${process.env.SIEM_URL}` });
    const failed = await callApi(testChannelHandler, {
      method: 'POST',
      path: 'channels/siem/test',
      params: { id: 'siem' },
    });
    expect(failed.body).toMatchObject({
      ok: false,
      status: 500,
      detail: expect.stringMatching(/^server-error: channel 'siem': HTTP 500/),
    });
    expectNoSecrets(failed.body);
    const teams = await callApi(testChannelHandler, {
      method: 'POST',
      path: 'channels/teams/test',
      params: { id: 'teams' },
    });
    expect(teams.body).toMatchObject({ ok: true, status: 202 });
    expect(JSON.stringify(pipeline().teams.requests[0].body)).toContain('TEST · Test alert from cloud-pki-alerts');
    pipeline().cards(); // parsed by the Adaptive Cards SDK
    const listed = await callApi(getChannelHandler, { method: 'GET', path: 'channels/siem', params: { id: 'siem' } });
    expect(listed.body.status.lastOutcomes.map((o: { ok: boolean; status: number }) => [o.ok, o.status])).toEqual([
      [false, 500],
      [true, 202],
    ]);
    expectNoSecrets(listed.body);
    expect(
      (await callApi(testChannelHandler, { method: 'POST', path: 'channels/nope/test', params: { id: 'nope' } }))
        .status,
    ).toBe(404);
  });

  it('GET /alerts/{id}: an alert with its delivery status per channel; 404 for an unknown id', async () => {
    const p = pipeline();
    p.sim.addEvents([graphEvent({ at: minutesBefore(p.clock.now, 2) })]);
    await getServices().cycle(p.log);
    const [row] = await getServices().outbox.listAlerts(getServices().config.tenantId);
    const res = await callApi(getAlert, {
      method: 'GET',
      path: `alerts/${row.alert.id}`,
      params: { id: row.alert.id },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      id: row.alert.id,
      deliveries: [{ channelId: 'teams', state: 'sent', attempts: 1, lastStatus: 202 }],
    });
    expect(res.body.deliveries[0].etag).toBeUndefined();
    expectNoSecrets(res.body);
    expect((await callApi(getAlert, { method: 'GET', path: 'alerts/nope', params: { id: 'nope' } })).status).toBe(404);
  });
});
