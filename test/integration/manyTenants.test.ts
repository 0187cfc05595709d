import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { getServices, resetServices } from '../../src/composition/appServices';
import { appSettings } from '../../src/config/settings';
import { cloudPkiScenario } from '../../src/local/cloudPkiScenario';
import { startFunctionsHost, type FunctionsHost } from '../../src/local/functionsHost';
import { TenantGraph } from '../../src/local/tenantGraph';
import { poisonQueueName, tenantPollQueueName } from '../../src/state/storageQueues';
import { createLogger } from '../../src/shared/logger';
import { startReceiver } from '../helpers/httpReceiver';

// Many tenants through the real queue path: the timer function dispatches, the local host's queue trigger runs
// pollTenant for each message against Azurite's Queue service, each tenant's Graph is its own simulator behind
// TenantGraph (routed by the tenant the token names). The function modules are loaded by the host only.
const modules = ['pollAuditEvents', 'pollTenant', 'health'].map((f) =>
  path.join(__dirname, '..', '..', 'src', 'functions', `${f}.ts`),
);
const never = '0 0 0 1 1 *';
const tenantCount = 50;
const tenantIds: string[] = Array.from({ length: tenantCount }, () => randomUUID());
const forbiddenTenant = tenantIds[7];
/** Its Graph hangs: its poll waits out GRAPH_REQUEST_TIMEOUT_MS while the others go on. */
const hangingTenant = tenantIds[9];
const requestTimeoutInMs = 20_000;
/** Its Graph throttles (429, Retry-After 120 s): its poll ends, the others are not held. */
const throttledTenant = tenantIds[11];
/** Serves odd data beside its CA deletion: a string, null, a 3,000-character id and a 100,000-character CA name. */
const oddDataTenant = tenantIds[13];

let graph: TenantGraph;
let teams: Awaited<ReturnType<typeof startReceiver>>;
let host: FunctionsHost;
const saved = { ...process.env };
const lines: string[] = [];
const log = createLogger((level, line) => lines.push(`${level} ${line}`));
const homeTenantId = randomUUID();

beforeAll(async () => {
  const now = new Date();
  graph = await TenantGraph.start([
    { id: homeTenantId, events: caDeletion(now, 1, 'home.example') },
    ...tenantIds.map((id, i) => ({
      id,
      events: [...caDeletion(now, 100 + i, `tenant${i}.example`), ...(id === oddDataTenant ? oddEvents(now) : [])],
      forbidden: id === forbiddenTenant,
    })),
  ]);
  graph.simulator(hangingTenant).injectFault({ kind: 'hang' }, { times: 1 });
  graph.simulator(throttledTenant).injectFault({ kind: 'status', status: 429, retryAfterSeconds: 120 }, { times: 5 });
  teams = await startReceiver();
  for (const spec of appSettings) delete process.env[spec.name];
  Object.assign(process.env, {
    AzureWebJobsStorage: inject('tablesConnectionString'),
    GRAPH_BASE_URL: graph.baseUrl,
    AZURE_TENANT_ID: homeTenantId,
    TEAMS_WEBHOOK_URL: `${teams.url}/workflows/0123456789abcdef/triggers/manual/paths/invoke?sig=s3cret`,
    ALLOW_LOOPBACK_WEBHOOKS: 'true',
    GRAPH_RETRY_DELAY_SECONDS: '0',
    GRAPH_MAX_RETRIES: '0',
    GRAPH_REQUEST_TIMEOUT_MS: String(requestTimeoutInMs),
    ALERT_GROUP_WINDOW_MINUTES: '0',
    DELIVERY_PACING: 'process',
    TIMER_SCHEDULE: never,
    HEARTBEAT_SCHEDULE: '',
    LOCAL_QUEUE_PREFIX: `mt${randomUUID().replace(/-/g, '').slice(0, 10)}`,
  });
  resetServices();
  host = await startFunctionsHost({
    port: 0,
    functionModules: modules,
    functionKey: 'many-tenants-key',
    env: process.env,
    log: (l) => lines.push(l),
  });
  const store = getServices().tenants.store;
  for (const [i, id] of tenantIds.entries())
    await store.put({
      id,
      displayName: `Tenant ${i}`,
      enabled: true,
      authState: 'unknown',
      addedAt: now.toISOString(),
    });
}, 60_000);

afterAll(async () => {
  await host?.close();
  await graph?.close();
  await teams?.close();
  process.env = { ...saved };
  resetServices();
});

function oddEvents(now: Date): unknown[] {
  const at = new Date(now.getTime() - 4 * 60_000).toISOString();
  return [
    'just a string',
    null,
    {
      id: 'x'.repeat(3000),
      activityDateTime: at,
      activityType: 'Delete CloudCertificationAuthority',
      activityResult: 'Success',
      activityOperationType: 'Delete',
      actor: { userPrincipalName: 'admin@odd.example' },
      resources: [{ displayName: 'A'.repeat(100_000), resourceId: 'ca-odd' }],
    },
  ];
}

/** One CA deletion from the tenant's own Cloud PKI story (its CA names and admins): one alert per tenant. */
function caDeletion(now: Date, seed: number, tenantDomain: string): unknown[] {
  const events = cloudPkiScenario({ now, seed, tenantDomain }) as { activityType?: string; activityResult?: string }[];
  const deletion = events.find(
    (e) => e.activityType === 'Delete CloudCertificationAuthority' && e.activityResult === 'Success',
  );
  return [{ ...deletion, activityDateTime: new Date(now.getTime() - 5 * 60_000).toISOString() }];
}

describe('many tenants through the poll queue', () => {
  it('polls 50 registered tenants and the home tenant once each from one timer run; a 403 tenant is marked and the others alert', async () => {
    await host.runTimer('pollAuditEvents');
    await host.drainQueue(undefined, { timeoutMs: 120_000 });
    const services = getServices();
    const byTenant = graph.requestsByTenant();
    expect((await services.checkpoints.get(hangingTenant))?.checkpoint.complete).not.toBe(true);
    expect((await services.checkpoints.get(throttledTenant))?.checkpoint.complete).not.toBe(true);
    for (const id of [homeTenantId, ...tenantIds]) expect(byTenant.get(id) ?? 0, id).toBeGreaterThan(0);
    expect(byTenant.get('unknown') ?? 0).toBe(0);
    // The hanging tenant held one worker slot; every other tenant's reads were done before its request gave up
    // (51 polls, 24 at a time, their cards paced at 4 / s: about 13 s), so nobody waited for it.
    const hungAt = graph.simulator(hangingTenant).requests[0].at;
    const othersDone = Math.max(
      ...[homeTenantId, ...tenantIds.filter((t) => ![hangingTenant, forbiddenTenant, throttledTenant].includes(t))].map(
        (id) => Math.max(...graph.simulator(id).requests.map((r) => r.at)),
      ),
    );
    expect(othersDone).toBeLessThan(hungAt + requestTimeoutInMs);

    for (const id of [
      homeTenantId,
      ...tenantIds.filter((t) => ![forbiddenTenant, hangingTenant, throttledTenant].includes(t)),
    ]) {
      const alerts = await services.outbox.listAlerts(id);
      const ruleAlerts = alerts.filter((a) => !a.alert.ruleId.startsWith('watchdog:'));
      expect(ruleAlerts.length, `alerts of ${id}`).toBeGreaterThan(0);
      expect(ruleAlerts.every((a) => a.alert.tenantId === id)).toBe(true);
      const checkpoint = await services.checkpoints.get(id);
      expect(checkpoint?.checkpoint.complete, `checkpoint of ${id}`).toBe(true);
    }
    // The 403 tenant: no rule alert, its state recorded with a slow retry, one watchdog incident.
    const forbidden = await services.tenants.store.get(forbiddenTenant);
    expect(forbidden?.authState).toBe('forbidden');
    expect(Date.parse(forbidden!.nextAuthRetryAt!)).toBeGreaterThan(Date.now() + 25 * 60_000);
    const forbiddenAlerts = await services.outbox.listAlerts(forbiddenTenant);
    expect(forbiddenAlerts.map((a) => a.alert.ruleId)).toEqual(['watchdog:graph-auth']);
    // Its incident card names the tenant (display name and id), like the rule alerts of the others.
    const incidentCards = teams.requests.filter((r) => JSON.stringify(r.body).includes(forbiddenAlerts[0].alert.id));
    expect(incidentCards).toHaveLength(1);
    expect(JSON.stringify(incidentCards[0].body)).toContain('Tenant 7');
    expect(JSON.stringify(incidentCards[0].body)).toContain(forbiddenTenant);
    const listed = await services.tenants.store.list();
    const others = listed.filter((t) => ![forbiddenTenant, hangingTenant, throttledTenant].includes(t.id));
    expect(others.every((t) => t.authState === 'ok')).toBe(true);
    // A timeout is an outage of that tenant (its watchdog), not a sign-in problem: nothing recorded on its row.
    expect(listed.find((t) => t.id === hangingTenant)?.authState).toBe('unknown');
    expect(listed.find((t) => t.id === throttledTenant)?.authState).toBe('unknown');
    // The odd data: both deletions alerted (the odd one stored reduced), nothing quarantined, nothing else broke.
    const odd = (await services.outbox.listAlerts(oddDataTenant)).filter(
      (a) => a.alert.ruleId === 'cloudpki-ca-deleted',
    );
    expect(odd.reduce((n, a) => n + a.alert.eventCount, 0)).toBe(2);
    expect(await services.outbox.listQuarantine(oddDataTenant)).toEqual([]);
    expect(await services.tenants.queues.approximateCount(tenantPollQueueName)).toBe(0);

    // The same interval again (a repeated timer run): nothing is enqueued, nothing polled twice.
    const before = [...byTenant.values()].reduce((a, b) => a + b, 0);
    await host.runTimer('pollAuditEvents');
    await host.drainQueue(undefined, { timeoutMs: 30_000 });
    const after = [...graph.requestsByTenant().values()].reduce((a, b) => a + b, 0);
    expect(after).toBe(before);
  }, 180_000);

  it('sets aside a message that does not parse, and raises an operator alert naming the tenant of a poisoned one', async () => {
    const services = getServices();
    const queues = services.tenants.queues;
    await queues.send(tenantPollQueueName, '{"v":1,"tenantId":"not-a-guid","slot":"2026-01-01T00:00:00Z"}', {
      timeToLiveInSeconds: 300,
    });
    await host.drainQueue(undefined, { timeoutMs: 30_000 });
    // Set aside at once (never retried) and turned into an operator alert by tenantPollPoison.
    const home = await services.outbox.listAlerts(homeTenantId);
    const notice = home.find((a) => a.alert.ruleId === 'watchdog:tenant-poll');
    expect(notice?.alert.ruleDescription).toContain('field "tenantId": must be a tenant id');
    expect(await services.tenants.queues.approximateCount(poisonQueueName(tenantPollQueueName))).toBe(0);
    // The health detail shows both queues drained.
    const detail = await fetch(`${host.url}/api/health/detail`, { headers: { 'x-functions-key': 'many-tenants-key' } });
    expect(((await detail.json()) as { pollQueue?: unknown }).pollQueue).toEqual({ pending: 0, poisoned: 0 });
    // What the poison queue's function does with a message the host gave up on.
    const outcome = await services.tenants.poisoned(
      { v: 1, tenantId: tenantIds[3], slot: new Date().toISOString(), name: 'Tenant 3' },
      { messageId: 'm-1', dequeueCount: 5 },
      log,
    );
    expect(outcome.tenantId).toBe(tenantIds[3]);
    const alert = await services.outbox.getAlert(homeTenantId, outcome.alertId);
    expect(alert?.ruleName).toContain(`Tenant 3 (${tenantIds[3]})`);
    expect(teams.requests.some((r) => JSON.stringify(r.body).includes(tenantIds[3]))).toBe(true);
  }, 60_000);
});
