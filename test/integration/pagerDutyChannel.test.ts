import { afterEach, describe, expect, it } from 'vitest';
import { listChannels, putChannel, testChannel } from '../../src/admin/channelAdmin';
import type { AlertRule } from '../../src/rules/alertRule';
import { ValidationError } from '../../src/shared/errors';
import { cloudPkiActivityTypes as T } from '../helpers/alertFixtures';
import { type DeliveryPipeline, startDeliveryPipeline } from '../helpers/deliveryPipeline';
import { graphEvent } from '../helpers/graphEvents';
import { type Receiver, startReceiver } from '../helpers/httpReceiver';

let p: DeliveryPipeline;
let pd: Receiver;
afterEach(async () => {
  await p?.close();
  await pd?.close();
});

const routingKey = 'e93facc04764012d7bfb002500d5d1a6';
const rule: AlertRule = {
  id: 'ca-deleted-page',
  name: 'Cloud PKI CA deleted',
  enabled: true,
  severity: 'high',
  activityTypes: [T.caDeleted],
  channels: ['pagerduty'],
  runbookUrl: 'https://wiki.contoso.com/pki/ca-deleted',
};

/** The delivery pipeline (default group window: 10 minutes) with a `pagerduty` channel posting to a loopback receiver. */
async function start() {
  pd = await startReceiver();
  p = await startDeliveryPipeline({
    env: {
      PD_ROUTING_KEY: routingKey,
      KV_KEY: '@Microsoft.KeyVault(VaultName=kv;SecretName=pd)',
      ALERT_GROUP_WINDOW_MINUTES: '10',
    },
  });
  await putChannel(
    p.services(),
    'pagerduty',
    { type: 'pagerduty', settings: { routingKeySetting: 'PD_ROUTING_KEY', endpoint: `${pd.url}/v2/enqueue` } },
    { caller: 'test' },
  );
  await p.services().rules.upsert(p.tenantId, rule);
  return p.services();
}

const deleteCa = (name: string, result = 'Success') =>
  p.sim.addEvents([
    graphEvent({ type: T.caDeleted, at: new Date(p.clock.now.getTime() - 30_000), caName: name, result }),
  ]);
const accepted = { status: 202, body: { status: 'success', message: 'Event processed', dedup_key: 'k' } };
const pdDelivery = async () =>
  (await p.outbox())
    .filter((a) => a.alert.ruleId === rule.id)
    .map((a) => a.deliveries.find((d) => d.channelId === 'pagerduty')!);
type Event = {
  routing_key: string;
  event_action: string;
  dedup_key: string;
  payload: Record<string, unknown>;
  links: unknown[];
  client: string;
};
const events = () => pd.requests.map((r) => r.body as Event);

describe('PagerDuty channel (Events API v2, POST /v2/enqueue)', () => {
  it('pages each high-severity alert when detected; repeats of the group carry the same dedup_key (one incident)', async () => {
    const s = await start();
    pd.respondWith(accepted, Infinity);
    deleteCa('Contoso Issuing CA 01');
    await s.cycle(p.log);
    p.advance(1);
    deleteCa('Contoso Issuing CA 02');
    await s.cycle(p.log); // a minute later, inside what used to be the group window: not held
    expect(events()).toHaveLength(2);
    const [first, second] = events();
    expect(first).toMatchObject({
      routing_key: routingKey,
      event_action: 'trigger',
      client: 'cloud-pki-alerts',
      payload: { severity: 'error', component: 'Contoso Issuing CA 01', class: T.caDeleted, group: rule.id },
    });
    expect(second.payload.component).toBe('Contoso Issuing CA 02');
    expect(second.dedup_key).toBe(first.dedup_key);
    expect(first.links).toContainEqual({ href: 'https://wiki.contoso.com/pki/ca-deleted', text: 'Runbook' });
    expect(pd.requests[0].path).toBe('/v2/enqueue');
    expect((await pdDelivery()).map((d) => [d.state, d.lastStatus])).toEqual([
      ['sent', 202],
      ['sent', 202],
    ]);
    expect(p.logs.join('\n')).not.toContain(routingKey);
  });

  it('400: a permanent failure showing PagerDuty errors (redacted), and the failover notice', async () => {
    const s = await start();
    pd.respondWith({
      status: 400,
      body: {
        status: 'invalid event',
        message: 'Event object is invalid',
        errors: [`'routing_key' ${routingKey} is invalid`, "'payload.summary' is missing"],
      },
    });
    deleteCa('Contoso Issuing CA 03');
    await s.cycle(p.log);
    const [delivery] = await pdDelivery();
    expect(delivery.state).toBe('failed');
    expect(delivery.lastError).toContain(
      "HTTP 400 (PagerDuty rejected the event): 'routing_key' REDACTED is invalid; 'payload.summary' is missing",
    );
    expect(p.mails().some((m) => m.subject.includes('pagerduty'))).toBe(true);
    const everything = [...p.logs, JSON.stringify(await p.outbox()), JSON.stringify(p.mails())].join('\n');
    expect(everything).not.toContain(routingKey);
  });

  it.each([
    [
      '429',
      {
        status: 429,
        headers: { 'retry-after': '90' },
        body: { status: 'throttle event', message: 'Requests for this service are arriving too quickly' },
      },
      /throttled.*retry after 90 s/,
    ],
    ['502', { status: 502, body: 'bad gateway' }, /HTTP 502/],
  ])('%s: retried with backoff, then delivered', async (_n, response, error) => {
    const s = await start();
    pd.respondWith(response);
    deleteCa('Contoso Issuing CA 04');
    await s.cycle(p.log);
    const [delivery] = await pdDelivery();
    expect(delivery.state).toBe('pending');
    expect(delivery.lastError).toMatch(error);
    p.advance(2);
    await s.cycle(p.log);
    expect((await pdDelivery())[0].state).toBe('sent');
    expect(pd.requests).toHaveLength(2);
  });

  it('channel test and the channel list (host, setting name, never the key)', async () => {
    const s = await start();
    const result = await testChannel(s, 'pagerduty');
    expect(result).toMatchObject({ ok: true, status: 202, detail: 'accepted' });
    expect(events()[0]).toMatchObject({
      payload: { severity: 'info', summary: expect.stringMatching(/^TEST: /) },
      dedup_key: expect.stringMatching(/^cloud-pki-alerts:test:/),
    });
    const view = (await listChannels(s)).find((c) => c.id === 'pagerduty')!;
    expect(view).toMatchObject({
      type: 'pagerduty',
      host: new URL(pd.url).host,
      configuration: 'ok',
      settings: { routingKeySetting: 'PD_ROUTING_KEY', region: 'us' },
    });
    expect(JSON.stringify([result, view])).not.toContain(routingKey);
  });

  it.each([
    [
      'a missing routing-key setting',
      { routingKeySetting: 'PD_NOPE' },
      'settings.routingKeySetting',
      /app setting PD_NOPE is not set/,
    ],
    [
      'an unresolved Key Vault reference',
      { routingKeySetting: 'KV_KEY' },
      'settings.routingKeySetting',
      /unresolved Key Vault reference/,
    ],
    [
      'the key itself instead of a setting name',
      { routingKeySetting: 'R0123-not-a-name!' },
      'settings.routingKeySetting',
      /app setting NAME/,
    ],
    ['an invalid region', { region: 'apac' }, 'settings.region', /must be one of us, eu/],
    [
      'a non-loopback endpoint',
      { endpoint: 'https://events.example.com/v2/enqueue' },
      'settings.endpoint',
      /loopback test receiver/,
    ],
  ])('refuses %s when the channel is saved, naming the field', async (_n, change, field, message) => {
    await start();
    const err = await putChannel(
      p.services(),
      'pd-2',
      { type: 'pagerduty', settings: { routingKeySetting: 'PD_ROUTING_KEY', ...change } },
      { caller: 'test' },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    const problem = (err as ValidationError).problems.find((x) => x.field === field);
    expect(problem?.message).toMatch(message);
    expect(JSON.stringify(err)).not.toContain(routingKey);
  });

  it('a channel whose key setting disappears later fails its deliveries as misconfigured and raises the failover notice', async () => {
    await start();
    delete p.env.PD_ROUTING_KEY;
    deleteCa('Contoso Issuing CA 05');
    await p.services().cycle(p.log);
    const [delivery] = await pdDelivery();
    expect(delivery.state).toBe('pending');
    expect(delivery.lastError).toMatch(/^misconfigured: .*app setting PD_ROUTING_KEY is not set/);
    expect(pd.requests).toHaveLength(0);
    expect(p.mails().some((m) => m.subject.includes('pagerduty'))).toBe(true);
  });
});
