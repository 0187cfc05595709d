import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { putChannel } from '../../src/admin/channelAdmin';
import { main } from '../../src/cli/main';
import { deliveryCommand } from '../../src/cli/deliveryCommands';
import { listChannelsHandler, putChannelHandler, testChannelHandler } from '../../src/functions/channels';
import { callApi } from '../helpers/apiCalls';
import { type Receiver, startReceiver } from '../helpers/httpReceiver';
import {
  type LogsIngestionReceiver,
  startLogsIngestionReceiver,
  testCredential,
} from '../helpers/logsIngestionReceiver';
import { usePipelineEnvironment } from '../helpers/pipeline';

const routingKey = 'e93facc04764012d7bfb002500d5d1a6';
let pd: Receiver;
let logs: LogsIngestionReceiver;
beforeEach(async () => {
  pd = await startReceiver();
  logs = await startLogsIngestionReceiver();
});
afterEach(async () => {
  await pd.close();
  await logs.close();
});
const pipeline = usePipelineEnvironment({ env: { PD_ROUTING_KEY: routingKey } });

describe('channel test for the on-call channel types through the API and the CLI', () => {
  it('PagerDuty: PUT, list (host), POST …/test via the API; channels test via the CLI; the key never shown', async () => {
    const put = await callApi(putChannelHandler, {
      method: 'PUT',
      path: 'channels/pd',
      params: { id: 'pd' },
      body: {
        type: 'pagerduty',
        settings: { routingKeySetting: 'PD_ROUTING_KEY', region: 'eu', endpoint: `${pd.url}/v2/enqueue` },
      },
    });
    expect(put.status).toBe(201);
    const list = await callApi(listChannelsHandler, { method: 'GET', path: 'channels' });
    expect((list.body as { value: unknown[] }).value).toContainEqual(
      expect.objectContaining({ id: 'pd', type: 'pagerduty', host: new URL(pd.url).host, configuration: 'ok' }),
    );
    pd.respondWith({ status: 202, body: { status: 'success', message: 'Event processed' } });
    const tested = await callApi(testChannelHandler, {
      method: 'POST',
      path: 'channels/pd/test',
      params: { id: 'pd' },
    });
    expect(tested).toMatchObject({ status: 200, body: { ok: true, status: 202, detail: 'accepted' } });
    pd.respondWith({
      status: 400,
      body: {
        status: 'invalid event',
        message: 'Event object is invalid',
        errors: ["Length of 'summary' is incorrect"],
      },
    });
    const lines: string[] = [];
    expect(await main(['channels', 'test', 'pd'], (l) => lines.push(l))).toBe(1);
    expect(JSON.parse(lines[0])).toMatchObject({
      ok: false,
      status: 400,
      detail: expect.stringContaining("Length of 'summary' is incorrect"),
    });
    const listed: string[] = [];
    await main(['channels', 'list'], (l) => listed.push(l));
    expect(listed.find((l) => l.startsWith('pd '))).toContain(new URL(pd.url).host);
    expect(JSON.stringify([put, list, tested, lines, listed, pipeline().logs])).not.toContain(routingKey);
    expect(pd.requests).toHaveLength(2);
  });

  it('Azure Monitor Logs: channels test via the CLI with the app credential (test credential, loopback https receiver)', async () => {
    const credential = testCredential();
    const services = pipeline().services({ credential, logsClientOptions: logs.clientOptions });
    await putChannel(
      services,
      'sentinel',
      {
        type: 'azure-monitor-logs',
        settings: {
          ingestionEndpoint: logs.endpoint,
          dcrImmutableId: 'dcr-0123456789abcdef0123456789abcdef',
          streamName: 'Custom-CloudPkiAlerts_CL',
        },
      },
      { caller: 'test' },
    );
    const lines: string[] = [];
    expect(await deliveryCommand('channels', ['test', 'sentinel'], (l) => lines.push(l), services)).toBe(0);
    expect(JSON.parse(lines[0])).toMatchObject({ ok: true, status: 204 });
    expect(logs.requests[0]).toMatchObject({
      authorization: `Bearer ${credential.token}`,
      rows: [expect.objectContaining({ Kind: 'test' })],
    });
    expect(JSON.stringify([lines, pipeline().logs])).not.toContain(credential.token);
  });
});
