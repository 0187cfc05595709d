import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Agent, createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { putChannel } from '../src/admin/channelAdmin';
import { loadConfig } from '../src/config/config';
import { createServices } from '../src/composition/services';
import { startAzuriteTables } from '../src/local/azuriteTables';
import { GraphSimulator } from '../src/local/graphSimulator';
import { createLogger } from '../src/shared/logger';

/**
 * Issue 16 figures: (1) detection latency of high-severity alerts that follow a first one inside what used
 * to be its group window (ALERT_GROUP_WINDOW_MINUTES at its default of 10): the first CA deletion is posted,
 * then more deletions of other CAs under the same rule; each must arrive as fast as the first.
 * (2) PagerDuty and Azure Monitor Logs delivery throughput under their pacing, with many alerts due at once.
 * Real loopback receivers (the Logs one over https with the test certificate), Azurite and the simulator.
 */
export interface OnCallFigures {
  /** ms from visible in Graph to the page: the first alert of the group, then the others. */
  firstLatency: number;
  laterLatencies: number[];
  pagerDuty: Throughput;
  logs: Throughput;
}

export interface Throughput {
  posts: number;
  postsPerSecond: number;
  maxPostsInAnySecond: number;
}

const routingKey = 'benchbenchbenchbenchbenchbench01';
const repo = path.join(__dirname, '..', '..');

function listen(server: Server): Promise<string> {
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r(String((server.address() as AddressInfo).port))));
}

/** Collects each request's body and arrival time, answering `status`. */
function recorder(status: number) {
  const got: { at: number; body: string }[] = [];
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      got.push({ at: performance.now(), body: Buffer.concat(chunks).toString('latin1') });
      res.writeHead(status).end();
    });
  };
  return { got, handle };
}

function throughput(stamps: number[]): Throughput {
  const sorted = [...stamps].sort((a, b) => a - b);
  const span = (sorted.at(-1)! - sorted[0]) / 1000;
  return {
    posts: sorted.length,
    postsPerSecond: span > 0 ? (sorted.length - 1) / span : Number.NaN,
    maxPostsInAnySecond: Math.max(...sorted.map((t) => sorted.filter((u) => u >= t && u < t + 1000).length)),
  };
}

export async function measureOnCall(options: {
  intervalInMs: number;
  laterAlerts: number;
  pacedAlerts: number;
}): Promise<OnCallFigures> {
  const azurite = await startAzuriteTables();
  const sim = await GraphSimulator.start();
  const teams = recorder(202);
  const pd = recorder(202);
  const logs = recorder(204);
  const cert = readFileSync(path.join(repo, 'test/fixtures/tls/loopback-cert.pem'));
  const servers = [
    createServer(teams.handle),
    createServer(pd.handle),
    createHttpsServer({ cert, key: readFileSync(path.join(repo, 'test/fixtures/tls/loopback-key.pem')) }, logs.handle),
  ];
  const [teamsPort, pdPort, logsPort] = await Promise.all(servers.map(listen));
  const agent = new Agent({ ca: cert });
  try {
    const env = {
      AzureWebJobsStorage: azurite.connectionString,
      GRAPH_BASE_URL: sim.baseUrl,
      AZURE_TENANT_ID: `oncall${Date.now()}`,
      ALLOW_LOOPBACK_WEBHOOKS: 'true',
      TEAMS_WEBHOOK_URL: `http://127.0.0.1:${teamsPort}/workflows/0123456789abcdef0123456789abcdef/triggers/manual/paths/invoke?sig=bench`,
      ALERT_GROUP_WINDOW_MINUTES: '10',
      BENCH_PD_KEY: routingKey,
    };
    const credential = { getToken: async () => ({ token: 'bench-token', expiresOnTimestamp: Date.now() + 3_600_000 }) };
    const logsClientOptions = {
      additionalPolicies: [
        {
          position: 'perCall' as const,
          policy: {
            name: 'benchCa',
            sendRequest: (req: { agent?: unknown }, next: (r: never) => Promise<unknown>) => {
              req.agent = agent;
              return next(req as never);
            },
          },
        },
      ],
    };
    const services = createServices(loadConfig(env), { credential, logsClientOptions: logsClientOptions as never });
    const log = createLogger(() => undefined);
    await putChannel(
      services,
      'pagerduty',
      {
        type: 'pagerduty',
        settings: { routingKeySetting: 'BENCH_PD_KEY', endpoint: `http://127.0.0.1:${pdPort}/v2/enqueue` },
      },
      { caller: 'bench' },
    );
    await putChannel(
      services,
      'sentinel',
      {
        type: 'azure-monitor-logs',
        settings: {
          ingestionEndpoint: `https://127.0.0.1:${logsPort}`,
          dcrImmutableId: 'dcr-0123456789abcdef0123456789abcdef',
          streamName: 'Custom-CloudPkiAlerts_CL',
        },
      },
      { caller: 'bench' },
    );
    await services.rules.upsert(env.AZURE_TENANT_ID, {
      id: 'bench-ca-deleted',
      name: 'Cloud PKI CA deleted',
      enabled: true,
      severity: 'high',
      activityTypes: ['Delete CloudCertificationAuthority'],
      channels: ['pagerduty'],
    });
    await services.cycle(log); // seeds the pack (which also posts CA deletions to Teams) and the checkpoint

    // 1. Latency: one CA deletion, then `laterAlerts` more of other CAs, each inside the first one's old window.
    const visible = new Map<number, number>();
    let stop = false;
    const poller = (async () => {
      while (!stop) {
        const started = Date.now();
        await services.cycle(log);
        await new Promise((r) => setTimeout(r, Math.max(0, options.intervalInMs - (Date.now() - started))));
      }
    })();
    const arrival = (i: number) =>
      pd.got.find((g) => g.body.includes(`Bench CA ${i} `) || g.body.includes(`Bench CA ${i}"`))?.at;
    for (let i = 0; i <= options.laterAlerts; i++) {
      const at = Date.now();
      sim.addEvents([
        {
          id: `oncall-${i}-${at}`,
          activityDateTime: new Date(at - 500).toISOString(),
          activityType: 'Delete CloudCertificationAuthority',
          activityOperationType: 'Delete',
          activityResult: 'Success',
          actor: { auditActorType: 'ItPro', userPrincipalName: 'pkiadmin@contoso.com' },
          resources: [
            {
              displayName: `Bench CA ${i}`,
              resourceId: `bench-ca-${i}`,
              auditResourceType: 'CloudCertificationAuthority',
            },
          ],
        },
      ]);
      visible.set(i, performance.now());
      const deadline = Date.now() + options.intervalInMs * 3 + 10_000;
      while (arrival(i) === undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    }
    stop = true;
    await poller;
    const latency = (i: number) => (arrival(i) ?? Number.POSITIVE_INFINITY) - visible.get(i)!;

    // 2. Throughput: `pacedAlerts` rules (distinct groups) match one event at once; each alert goes to both channels.
    for (let i = 0; i < options.pacedAlerts; i++)
      await services.rules.upsert(env.AZURE_TENANT_ID, {
        id: `bench-paced-${i}`,
        name: `Bench paced ${i}`,
        enabled: true,
        severity: 'critical',
        activityTypes: ['RevokeCloudCertificationAuthorityCertificateAsync CloudCertificationAuthority'],
        channels: ['pagerduty', 'sentinel'],
      });
    const [pdBefore, logsBefore] = [pd.got.length, logs.got.length];
    sim.addEvents([
      {
        id: `paced-${Date.now()}`,
        activityDateTime: new Date(Date.now() - 500).toISOString(),
        activityType: 'RevokeCloudCertificationAuthorityCertificateAsync CloudCertificationAuthority',
        activityOperationType: 'Action',
        activityResult: 'Success',
        actor: { auditActorType: 'ItPro', userPrincipalName: 'pkiadmin@contoso.com' },
        resources: [
          {
            displayName: 'Bench CA paced',
            resourceId: 'bench-ca-paced',
            auditResourceType: 'CloudCertificationAuthority',
          },
        ],
      },
    ]);
    for (
      let run = 0;
      run < 5 && (pd.got.length - pdBefore < options.pacedAlerts || logs.got.length - logsBefore < options.pacedAlerts);
      run++
    )
      await services.cycle(log);
    return {
      firstLatency: latency(0),
      laterLatencies: Array.from({ length: options.laterAlerts }, (_, i) => latency(i + 1)),
      pagerDuty: throughput(pd.got.slice(pdBefore).map((g) => g.at)),
      logs: throughput(logs.got.slice(logsBefore).map((g) => g.at)),
    };
  } finally {
    agent.destroy();
    for (const s of servers) s.close();
    await sim.close();
    await azurite.close();
  }
}

type Target = { text: string; ok: (v: number) => boolean };

/** The rows `npm run bench` prints for these figures (BENCH_ONLY=oncall; sizes BENCH_ONCALL_LATER, BENCH_ONCALL_PACED). */
export async function onCallRows<R>(h: {
  repeat: <T>(f: () => Promise<T>) => Promise<T[]>;
  row: (name: string, xs: number[], unit: string, target?: Target) => R;
  setting: (name: string, fallback: number) => number;
}): Promise<R[]> {
  const intervalInMs = h.setting('BENCH_LATENCY_INTERVAL_MS', 2000);
  const pacedAlerts = h.setting('BENCH_ONCALL_PACED', 20);
  const runs = await h.repeat(() =>
    measureOnCall({ intervalInMs, laterAlerts: h.setting('BENCH_ONCALL_LATER', 4), pacedAlerts }),
  );
  const budget = intervalInMs + 5000;
  const within = { text: `≤ interval + 5 s = ${budget} ms (same as the first)`, ok: (v: number) => v <= budget };
  return [
    h.row(
      `On-call: first high-severity page, detection latency (poll every ${intervalInMs / 1000} s, group window 10 min)`,
      runs.map((r) => r.firstLatency),
      'ms',
      within,
    ),
    h.row(
      'On-call: later pages of the same rule inside the old group window, worst latency',
      runs.map((r) => Math.max(...r.laterLatencies)),
      'ms',
      within,
    ),
    h.row(
      `On-call: PagerDuty, ${pacedAlerts} alerts due at once, most events in any 1 s`,
      runs.map((r) => r.pagerDuty.maxPostsInAnySecond),
      'events',
      { text: '≤ 2 (PagerDuty pacing)', ok: (v) => v <= 2 },
    ),
    h.row(
      'On-call: PagerDuty paced throughput',
      runs.map((r) => r.pagerDuty.postsPerSecond),
      'events/s',
    ),
    h.row(
      `On-call: Azure Monitor Logs, ${pacedAlerts} alerts due at once, most uploads in any 1 s`,
      runs.map((r) => r.logs.maxPostsInAnySecond),
      'uploads',
      { text: '≤ 5 (Logs pacing)', ok: (v) => v <= 5 },
    ),
    h.row(
      'On-call: Azure Monitor Logs paced throughput',
      runs.map((r) => r.logs.postsPerSecond),
      'uploads/s',
    ),
  ];
}
