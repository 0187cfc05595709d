import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../src/config/config';
import { createServices } from '../src/composition/services';
import { startAzuriteTables } from '../src/local/azuriteTables';
import { GraphSimulator } from '../src/local/graphSimulator';
import { createLogger } from '../src/shared/logger';

/**
 * Detection latency: the app polls on a short interval while Cloud PKI events become visible in the
 * simulator at random moments; latency = card arrival at the receiver − the moment the event became
 * visible. Each event names its own CA, so each card is matched to its event.
 */
export async function measureDetectionLatency(options: {
  intervalInMs: number;
  events: number;
  seed?: number;
}): Promise<number[]> {
  const azurite = await startAzuriteTables();
  const sim = await GraphSimulator.start();
  const arrivals = new Map<string, number>();
  const receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      for (const m of body.matchAll(/Latency CA (\d+)/g)) if (!arrivals.has(m[1])) arrivals.set(m[1], Date.now());
      res.writeHead(202).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/workflows/0123456789abcdef0123456789abcdef/triggers/manual/paths/invoke?sig=bench`;
  // Group window off: this measures detection, and every event here belongs to one alert group.
  const services = createServices(
    loadConfig({
      AzureWebJobsStorage: azurite.connectionString,
      GRAPH_BASE_URL: sim.baseUrl,
      AZURE_TENANT_ID: 'latency',
      TEAMS_WEBHOOK_URL: url,
      ALLOW_LOOPBACK_WEBHOOKS: 'true',
      ALERT_GROUP_WINDOW_MINUTES: '0',
    }),
  );
  const log = createLogger(() => undefined);
  let random = options.seed ?? 7;
  const next = () => (random = (random * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  let stop = false;
  const poller = (async () => {
    while (!stop) {
      const started = Date.now();
      await services.cycle(log);
      await new Promise((r) => setTimeout(r, Math.max(0, options.intervalInMs - (Date.now() - started))));
    }
  })();
  const visibleAt = new Map<string, number>();
  try {
    await services.cycle(log); // first run: seeds rules and the checkpoint
    for (let i = 0; i < options.events; i++) {
      await new Promise((r) => setTimeout(r, (0.5 + next()) * options.intervalInMs * 1.5));
      const now = Date.now();
      sim.addEvents([
        {
          id: `lat-${i}-${now}`,
          activityDateTime: new Date(now - Math.floor(next() * 2000)).toISOString(),
          activityType: 'Delete CloudCertificationAuthority',
          activityOperationType: 'Delete',
          activityResult: 'Success',
          actor: { auditActorType: 'ItPro', userPrincipalName: 'pkiadmin@contoso.com' },
          resources: [
            { displayName: `Latency CA ${i}`, resourceId: `ca-${i}`, auditResourceType: 'CloudCertificationAuthority' },
          ],
        },
      ]);
      visibleAt.set(String(i), now);
    }
    const deadline = Date.now() + options.intervalInMs * 3 + 10_000;
    while (arrivals.size < options.events && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  } finally {
    stop = true;
    await poller;
    receiver.close();
    await sim.close();
    await azurite.close();
  }
  return [...visibleAt].map(([k, at]) => (arrivals.has(k) ? arrivals.get(k)! - at : Number.POSITIVE_INFINITY));
}
