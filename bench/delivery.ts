import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../src/config/config';
import { createServices } from '../src/composition/services';
import type { Alert } from '../src/dispatch/alert';
import type { EventKey } from '../src/dispatch/alertAccumulator';
import { startAzuriteTables } from '../src/local/azuriteTables';
import { GraphSimulator } from '../src/local/graphSimulator';
import { createLogger } from '../src/shared/logger';

/** Delivery-stage figures (outbox → pacing → receiver), measured on Azurite and a real loopback receiver. */
export interface DeliveryFigures {
  /** 10,000-event burst: alerts written over the burst, and posts per (rule, group) while the window is open. */
  burstAlerts: number;
  burstEvents: number;
  maxPostsPerGroupInWindow: number;
  digestPosts: number;
  burstTotalPosts: number;
  /** Rate limit: distinct groups due at once on one Teams channel. */
  paced: number;
  maxPostsInAnySecond: number;
  postsPerSecond: number;
}

function alert(tenantId: string, id: string, ruleId: string, createdAt: Date, eventCount: number): Alert {
  const at = createdAt.toISOString();
  return {
    id,
    tenantId,
    ruleId,
    ruleName: `Bench rule ${ruleId}`,
    severity: 'medium',
    eventCount,
    events: [],
    firstEventTime: at,
    lastEventTime: at,
    createdAt: at,
  };
}

const keys = (prefix: string, count: number, at: Date): EventKey[] =>
  Array.from({ length: count }, (_, i) => ({ id: `${prefix}-${i}`, timeInMs: at.getTime() - 60_000 + (i % 60_000) }));

export async function measureDelivery(options: { pacedGroups?: number } = {}): Promise<DeliveryFigures> {
  const pacedGroups = options.pacedGroups ?? 40;
  const azurite = await startAzuriteTables();
  const sim = await GraphSimulator.start();
  const received: { at: number; body: string }[] = [];
  const receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push({ at: performance.now(), body });
      res.writeHead(202).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  try {
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/workflows/0123456789abcdef0123456789abcdef/triggers/manual/paths/invoke?sig=bench`;
    const clock = { now: new Date('2026-11-25T10:00:00Z') };
    const tenantId = `deliv${Date.now()}`;
    const env = {
      AzureWebJobsStorage: azurite.connectionString,
      GRAPH_BASE_URL: sim.baseUrl,
      AZURE_TENANT_ID: tenantId,
      TEAMS_WEBHOOK_URL: url,
      ALLOW_LOOPBACK_WEBHOOKS: 'true',
      ALERT_GROUP_WINDOW_MINUTES: '10',
    };
    const services = createServices(loadConfig(env), { clock: () => clock.now, random: () => 0.5 });
    const log = createLogger(() => undefined);
    const advance = (minutes: number) => (clock.now = new Date(clock.now.getTime() + minutes * 60_000));

    // 1. A 10,000-event burst of one rule over five runs a minute apart (as runPoll writes it: one alert per run).
    const rule = 'bench-leaf-revoked';
    let burstEvents = 0;
    const perRun = [1, 2_500, 2_500, 2_500, 2_499];
    for (const [run, count] of perRun.entries()) {
      await services.outbox.writeAlert(
        {
          alert: { ...alert(tenantId, `burst-${run}`, rule, clock.now, count), events: [] },
          channels: ['teams'],
          eventKeys: keys(`b${run}`, count, clock.now),
        },
        ['teams'],
      );
      burstEvents += count;
      await services.deliver(log);
      advance(1);
    }
    const inWindow = received.length;
    advance(10); // the window opened by the first card ends: one digest
    await services.deliver(log);
    const digestPosts = received.length - inWindow;

    // 2. Pacing: `pacedGroups` (40) distinct groups due at once on one Teams channel.
    const before = received.length;
    for (let i = 0; i < pacedGroups; i++)
      await services.outbox.writeAlert(
        {
          alert: alert(tenantId, `rate-${i}`, `bench-rule-${i}`, clock.now, 1),
          channels: ['teams'],
          eventKeys: keys(`r${i}`, 1, clock.now),
        },
        ['teams'],
      );
    const started = performance.now();
    await services.deliver(log);
    const stamps = received.slice(before).map((r) => r.at);
    const elapsed = (performance.now() - started) / 1000;
    const maxInSecond = Math.max(...stamps.map((t) => stamps.filter((u) => u >= t && u < t + 1000).length));
    return {
      burstAlerts: perRun.length,
      burstEvents,
      maxPostsPerGroupInWindow: inWindow,
      digestPosts,
      burstTotalPosts: inWindow + digestPosts,
      paced: stamps.length,
      maxPostsInAnySecond: maxInSecond,
      postsPerSecond: stamps.length / elapsed,
    };
  } finally {
    await new Promise<void>((r) => receiver.close(() => r()));
    await sim.close();
    await azurite.close();
  }
}
