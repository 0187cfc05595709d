import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { getServices } from '../composition/appServices';
import type { Services } from '../composition/services';
import { createLogger, errorText } from '../shared/logger';
import { poisonQueueName, tenantPollQueueName } from '../state/storageQueues';
import { type HealthReport, publicHealth } from '../watch/health';
import { adminAuthLevel, apiHandler, ok } from './http/httpApi';

const headers = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' };
const cacheInMs = 10_000; // probes every few seconds must not turn into Table reads every few seconds
const cache = new WeakMap<Services, { at: number; report: HealthReport }>();

/**
 * GET /api/health, anonymous (load balancers, uptime checks): 200 healthy / degraded, 503 unhealthy, and
 * only the verdict and each check's status: never an id, an error text or a URL. Detail: /api/health/detail.
 */
export async function health(_request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  try {
    const services = getServices();
    let cached = cache.get(services);
    if (!cached || Date.now() - cached.at > cacheInMs)
      cache.set(services, (cached = { at: Date.now(), report: await services.watch.health() }));
    return { status: cached.report.status === 'unhealthy' ? 503 : 200, jsonBody: publicHealth(cached.report), headers };
  } catch (err) {
    createLogger((level, line) => context[level](line)).error(
      `Health check could not read the app state: ${errorText(err)}`,
    );
    return {
      status: 503,
      jsonBody: { status: 'unhealthy', checkedAt: new Date().toISOString(), error: 'the app state could not be read' },
      headers,
    };
  }
}

/** GET /api/health/detail (reader): lag, last success, incidents, gaps, channels, deliveries, rule problems, last 24 h. */
export const healthDetail = apiHandler('reader', async (_request, { services }) => {
  const [detail, pollQueue] = await Promise.all([services.watch.healthDetail(), pollQueueDepth(services)]);
  return ok({ ...detail, pollQueue }, detail.status === 'unhealthy' ? 503 : 200);
});

/**
 * The tenant poll queue and its poison queue (approximate counts, 2 requests): a growing `pending` means the
 * workers do not keep up; `poisoned` counts messages the poison function has not handled yet.
 */
async function pollQueueDepth(services: Services) {
  const { queues } = services.tenants;
  try {
    const [pending, poisoned] = await Promise.all([
      queues.approximateCount(tenantPollQueueName),
      queues.approximateCount(poisonQueueName(tenantPollQueueName)),
    ]);
    return { pending, poisoned };
  } catch (err) {
    return { error: `the poll queue could not be read: ${errorText(err)}` };
  }
}

app.http('health', { route: 'health', methods: ['GET'], authLevel: 'anonymous', handler: health });
app.http('healthDetail', {
  route: 'health/detail',
  methods: ['GET'],
  authLevel: adminAuthLevel(),
  handler: healthDetail,
});
