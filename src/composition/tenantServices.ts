import type { TokenCredential } from '@azure/identity';
import { Cron } from 'croner';
import type { GraphAuditSource } from '../audit/graphAuditSource';
import { dispatchTenantPolls, type PollQueue, runTenantPoll } from '../app/tenantFanOut';
import type { AppConfig } from '../config/config';
import type { Outbox } from '../dispatch/outbox';
import { errorText, type Logger } from '../shared/logger';
import { poisonQueueName, StorageQueues, tenantPollQueueName } from '../state/storageQueues';
import type { TableClients } from '../state/tableClients';
import { TableDispatchSlots } from '../state/tableDispatchSlots';
import { TableTenantStore } from '../state/tableTenantStore';
import { adminConsentUrl, readPoisonedPoll, type Tenant, type TenantAuthState } from '../tenants/tenant';
import { tenantPollPoisonAlert } from '../watch/tenantPollNotice';
import { TenantCredentials } from './tenantCredentials';

/** The part of one tenant's services the fan-out uses (createServices' result). */
export interface TenantCycle {
  cycle(log: Logger, options?: { trigger?: string }): Promise<{ pollFailure?: unknown }>;
  deliver(log: Logger): Promise<unknown>;
  source: Pick<GraphAuditSource, 'probeOrder'>;
}

export interface TenantWiring<S extends TenantCycle> {
  config: AppConfig;
  tables: TableClients;
  outbox: Outbox;
  /** The deployment's own credential (storage, the home tenant's Graph). */
  credential: TokenCredential | undefined;
  clock: () => Date;
  /** This configuration's services (the home tenant's). */
  home: () => S;
  /** Builds the services of another tenant over the same tables, reading Graph with `graphCredential`. */
  build: (tenant: { id: string; name?: string; graphCredential: TokenCredential | undefined }) => S;
  queueCounter?: { count: number };
  /** Where operator alerts go (the watch services' resolution: WATCHDOG_CHANNEL, failover, defaults). */
  watchdogChannels: (log: Logger) => Promise<{ watchdog: readonly string[] }>;
}

/** The timer's interval, from two consecutive occurrences of TIMER_SCHEDULE (UTC). */
export function scheduleIntervalInMs(schedule: string, from = new Date()): number {
  const cron = new Cron(schedule, { timezone: 'UTC' });
  const [a, b] = cron.nextRuns(2, from);
  return a && b ? Math.max(1000, b.getTime() - a.getTime()) : 60_000;
}

/**
 * Many tenants (docs/multi-tenant.md): the Tenants table, the poll queue, one credential per tenant and one
 * set of services per tenant (cached; they share the Table clients), the dispatcher and the queue worker.
 */
export function createTenantServices<S extends TenantCycle>(w: TenantWiring<S>) {
  const { config } = w;
  const homeTenantId = config.tenancy.homeTenantId;
  const store = new TableTenantStore(w.tables, homeTenantId);
  const queues = new StorageQueues({
    connectionString: config.tenancy.queue.connectionString,
    queueServiceUri: config.tenancy.queue.queueServiceUri,
    credential: w.credential,
    queuePrefix: config.tenancy.queue.prefix,
    counter: w.queueCounter,
  });
  const credentials = new TenantCredentials(config, w.credential);
  const cache = new Map<string, { name?: string; services: S }>();
  const intervalInMs = scheduleIntervalInMs(config.timerSchedule);
  const queue: PollQueue = {
    send: (text, ttl) => queues.send(tenantPollQueueName, text, { timeToLiveInSeconds: ttl }),
    setAside: (text) => queues.send(poisonQueueName(tenantPollQueueName), text, { timeToLiveInSeconds: -1 }),
  };

  /** The services of one tenant: the home ones for the home tenant, else built once (again if renamed). */
  function forTenant(tenantId: string, name?: string): S {
    if (tenantId === homeTenantId) return w.home();
    const cached = cache.get(tenantId);
    if (cached && (name === undefined || cached.name === name)) return cached.services;
    let graphCredential: TokenCredential | undefined;
    try {
      graphCredential = credentials.for(tenantId);
    } catch (err) {
      // A setup problem is this tenant's sign-in failure (its incident), not a crash of every poll.
      graphCredential = { getToken: () => Promise.reject(err instanceof Error ? err : new Error(errorText(err))) };
    }
    const services = w.build({ id: tenantId, name: name ?? cached?.name, graphCredential });
    cache.set(tenantId, { name: name ?? cached?.name, services });
    return services;
  }

  const workerDeps = (log: Logger) => ({
    homeTenantId,
    tenants: store,
    queue,
    clock: w.clock,
    log,
    intervalInMs,
    authRetryMinutes: config.tenancy.authRetryMinutes,
    cycle: (tenantId: string, name: string | undefined, tenantLog: Logger) =>
      forTenant(tenantId, name).cycle(tenantLog, { trigger: 'queue' }),
  });

  return {
    store,
    homeTenantId,
    queues,
    intervalInMs,
    forTenant,
    consentUrl: (tenantId: string): string | undefined => {
      const app =
        config.tenancy.appClientId ??
        (config.graph.auth.kind !== 'managedIdentity' && config.graph.auth.kind !== 'none'
          ? config.graph.auth.clientId
          : undefined);
      return app ? adminConsentUrl(tenantId, app) : undefined;
    },
    /** Whether any tenant is registered: without one, the timer polls the home tenant inline (as a single-tenant app). */
    async registered() {
      return store.list();
    },
    /** The timer with registered tenants: one queue message per due tenant for this interval. */
    dispatch: (log: Logger, listed?: readonly Tenant[]) =>
      dispatchTenantPolls({
        homeTenantId,
        // The timer has just listed them (to decide whether to dispatch at all): no second query.
        tenants: listed ? { list: async () => [...listed] } : store,
        queue,
        slots: new TableDispatchSlots(w.tables, homeTenantId),
        clock: w.clock,
        log,
        intervalInMs,
      }),
    /** The queue worker: one message → one tenant's cycle. */
    runMessage: (input: unknown, log: Logger) => runTenantPoll(input, workerDeps(log)),
    /** The poison queue's worker: an operator alert naming the tenant, sent now. */
    async poisoned(input: unknown, meta: { messageId: string; dequeueCount?: number }, log: Logger) {
      const { message: m, unreadable, text } = readPoisonedPoll(input, homeTenantId);
      const reason = unreadable
        ? `the message could not be read (${unreadable})`
        : `it failed ${meta.dequeueCount ?? 5} time(s)`;
      const alert = tenantPollPoisonAlert(homeTenantId, {
        tenantId: m?.tenantId,
        tenantName: m?.name,
        slot: m?.slot,
        reason,
        messageId: meta.messageId,
        at: w.clock(),
      });
      const channels = [...(await w.watchdogChannels(log)).watchdog];
      const written = await w.outbox.writeAlert({ alert, channels: [], eventKeys: [] }, channels);
      log.error(
        `Tenant poll message ${meta.messageId} poisoned (${m ? `tenant ${m.tenantId}` : text.slice(0, 200)}): ${reason}; operator alert ${alert.id} ${written === 'created' ? 'queued' : 'already queued'}`,
      );
      await w.home().deliver(log);
      return { alertId: alert.id, tenantId: m?.tenantId };
    },
    /** One Graph request with the tenant's own token; records the outcome on the tenant's row. */
    async check(tenantId: string, log: Logger) {
      const now = w.clock();
      const to = now;
      const from = new Date(now.getTime() - 5 * 60_000);
      const probe = await forTenant(tenantId).source.probeOrder({ from, to, basis: 'lookback' }, 'desc');
      const authState: TenantAuthState = probe.accepted
        ? 'ok'
        : probe.status === 401 || probe.status === 403
          ? 'forbidden'
          : probe.status === undefined && /AADSTS|sign in|credential|token/i.test(probe.message ?? '')
            ? 'consent-missing'
            : 'unknown';
      const error = probe.accepted ? undefined : (probe.message ?? `HTTP ${probe.status}`).slice(0, 500);
      if (tenantId !== homeTenantId)
        await store.recordAuth(tenantId, {
          authState,
          authError: error,
          authCheckedAt: now.toISOString(),
          nextAuthRetryAt:
            authState === 'ok' || authState === 'unknown'
              ? undefined
              : new Date(now.getTime() + config.tenancy.authRetryMinutes * 60_000).toISOString(),
        });
      log.info(`Tenant ${tenantId}: check ${authState}${error ? `: ${error}` : ''}`);
      return { tenantId, authState, ...(error ? { error } : {}), checkedAt: now.toISOString() };
    },
  };
}
