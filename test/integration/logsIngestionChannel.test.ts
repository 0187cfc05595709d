import { afterEach, describe, expect, it } from 'vitest';
import { listChannels, putChannel, testChannel } from '../../src/admin/channelAdmin';
import type { Services } from '../../src/composition/services';
import type { AlertRule } from '../../src/rules/alertRule';
import { ValidationError } from '../../src/shared/errors';
import { cloudPkiActivityTypes as T } from '../helpers/alertFixtures';
import { type DeliveryPipeline, startDeliveryPipeline } from '../helpers/deliveryPipeline';
import { graphEvent } from '../helpers/graphEvents';
import {
  type LogsIngestionReceiver,
  startLogsIngestionReceiver,
  testCredential,
} from '../helpers/logsIngestionReceiver';

let p: DeliveryPipeline;
let logs: LogsIngestionReceiver;
afterEach(async () => {
  await p?.close();
  await logs?.close();
});

const dcr = 'dcr-0123456789abcdef0123456789abcdef';
const stream = 'Custom-CloudPkiAlerts_CL';
const rule: AlertRule = {
  id: 'ca-deleted-to-sentinel',
  name: 'Cloud PKI CA deleted',
  enabled: true,
  severity: 'high',
  activityTypes: [T.caDeleted],
  channels: ['sentinel'],
};

/** The delivery pipeline with an azure-monitor-logs channel `sentinel` pointed at the loopback ingestion receiver. */
async function start() {
  logs = await startLogsIngestionReceiver();
  p = await startDeliveryPipeline();
  const credential = testCredential();
  const services = (): Services => p.services({ credential, logsClientOptions: logs.clientOptions });
  await putChannel(
    services(),
    'sentinel',
    {
      type: 'azure-monitor-logs',
      settings: { ingestionEndpoint: logs.endpoint, dcrImmutableId: dcr, streamName: stream },
    },
    { caller: 'test' },
  );
  await services().rules.upsert(p.tenantId, rule);
  return { services, credential };
}

const deleteCa = (name: string) =>
  p.sim.addEvents([
    graphEvent({
      type: T.caDeleted,
      at: new Date(p.clock.now.getTime() - 60_000),
      caName: name,
      upn: 'mallory@contoso.com',
    }),
  ]);
const sentinelDelivery = async () =>
  (await p.outbox())
    .filter((a) => a.alert.ruleId === rule.id)
    .map((a) => a.deliveries.find((d) => d.channelId === 'sentinel')!);

describe('Azure Monitor Logs channel (Logs Ingestion API through @azure/monitor-ingestion)', () => {
  it('uploads one typed row per alert to the DCR stream with a bearer token for https://monitor.azure.com/.default', async () => {
    const { services, credential } = await start();
    deleteCa('Contoso Issuing CA 07');
    await services().cycle(p.log);
    expect(logs.requests).toHaveLength(1);
    const [req] = logs.requests;
    expect(req).toMatchObject({
      dcrImmutableId: dcr,
      stream,
      apiVersion: '2023-01-01',
      authorization: `Bearer ${credential.token}`,
      contentEncoding: 'gzip',
    });
    expect(credential.scopes).toContainEqual(['https://monitor.azure.com/.default']);
    expect(req.rows).toHaveLength(1);
    const [delivery] = await sentinelDelivery();
    expect(req.rows[0]).toMatchObject({
      AlertId: delivery.alertId,
      DeliveryId: delivery.id,
      Kind: 'alert',
      TenantId: p.tenantId,
      RuleId: rule.id,
      RuleName: 'Cloud PKI CA deleted',
      Severity: 'high',
      ActivityType: T.caDeleted,
      ActivityResult: 'Success',
      Actor: 'mallory@contoso.com',
      CaName: 'Contoso Issuing CA 07',
      EventCount: 1,
      PossibleDuplicate: false,
      IntuneAuditLogUrl: expect.stringMatching(/^https:\/\/intune\.microsoft\.com\//),
    });
    expect(delivery).toMatchObject({ state: 'sent', lastStatus: 204 });
  });

  it.each([
    [
      '429 with Retry-After: retried after it',
      {
        status: 429,
        headers: { 'retry-after': '120' },
        body: { error: { code: 'TooManyRequests', message: 'slow down' } },
      },
      'pending',
      /throttled.*retry after 120 s/,
    ],
    [
      '503: retried with backoff',
      { status: 503, body: { error: { code: 'ServiceUnavailable', message: 'try later' } } },
      'pending',
      /HTTP 503/,
    ],
    [
      '413: permanent (payload too large)',
      { status: 413, body: { error: { code: 'ContentLengthLimitExceeded', message: 'too big' } } },
      'failed',
      /HTTP 413 \(payload too large\) \[ContentLengthLimitExceeded\]/,
    ],
    [
      '403: the identity lacks Monitoring Metrics Publisher',
      { status: 403, body: { error: { code: 'OperationFailed', message: 'forbidden' } } },
      'failed',
      /Monitoring Metrics Publisher/,
    ],
  ] as const)('%s', async (_n, response, state, error) => {
    const { services, credential } = await start();
    logs.respondWith(response);
    deleteCa('Contoso Issuing CA 08');
    const s = services();
    await s.cycle(p.log);
    const [delivery] = await sentinelDelivery();
    expect(delivery.state).toBe(state);
    expect(delivery.lastError).toMatch(error);
    if (state === 'pending') {
      // Retry-After (120 s) or backoff (base 30 s): not before, and then delivered.
      expect(Date.parse(delivery.nextAttemptAt) - p.clock.now.getTime()).toBeGreaterThanOrEqual(
        response.status === 429 ? 120_000 : 1,
      );
      p.advance(3);
      await s.cycle(p.log);
      expect((await sentinelDelivery())[0].state).toBe('sent');
      expect(logs.requests).toHaveLength(2);
    } else {
      // A permanent failure raises the failover notice on the failover channel.
      expect(p.mails().some((m) => m.subject.includes('sentinel'))).toBe(true);
    }
    const text = [...p.logs, JSON.stringify(await p.outbox())].join('\n');
    expect(text).not.toContain(credential.token);
  });

  it('channel test works and the channel list shows the endpoint host; no token in results or logs', async () => {
    const { services, credential } = await start();
    const result = await testChannel(services(), 'sentinel');
    expect(result).toMatchObject({ ok: true, status: 204, detail: 'accepted' });
    expect(logs.requests[0].rows[0]).toMatchObject({ Kind: 'test', Severity: 'low' });
    const view = (await listChannels(services())).find((c) => c.id === 'sentinel')!;
    expect(view).toMatchObject({
      type: 'azure-monitor-logs',
      host: new URL(logs.endpoint).host,
      configuration: 'ok',
      settings: { dcrImmutableId: dcr, streamName: stream },
    });
    logs.respondWith({ status: 500 });
    expect(await testChannel(services(), 'sentinel')).toMatchObject({ ok: false, status: 500 });
    expect(JSON.stringify([result, view, p.logs])).not.toContain(credential.token);
  });

  it.each([
    ['a DCR id that is not an immutable id', { dcrImmutableId: 'my-dcr' }, 'settings.dcrImmutableId'],
    ['a stream not starting with Custom-', { streamName: 'Microsoft-Syslog' }, 'settings.streamName'],
    ['an http endpoint', { ingestionEndpoint: 'http://127.0.0.1:1' }, 'settings.ingestionEndpoint'],
    [
      'an endpoint off the Azure Monitor hosts',
      { ingestionEndpoint: 'https://logs.example.com' },
      'settings.ingestionEndpoint',
    ],
  ])('refuses %s when the channel is saved, naming the field', async (_n, change, field) => {
    const { services } = await start();
    const settings = { ingestionEndpoint: logs.endpoint, dcrImmutableId: dcr, streamName: stream, ...change };
    const err = await putChannel(
      services(),
      'sentinel-2',
      { type: 'azure-monitor-logs', settings },
      { caller: 'test' },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).problems.map((x) => x.field)).toContain(field);
  });

  it('without a credential, the channel fails its deliveries as misconfigured (retried) and raises the failover notice', async () => {
    await start();
    deleteCa('Contoso Issuing CA 09');
    await p.services().cycle(p.log); // no credential: the simulator setup has no identity
    const [delivery] = await sentinelDelivery();
    expect(delivery.state).toBe('pending');
    expect(delivery.lastError).toMatch(/^misconfigured: .*no Azure credential/);
    expect(p.mails().some((m) => m.subject.includes('sentinel'))).toBe(true);
  });
});
