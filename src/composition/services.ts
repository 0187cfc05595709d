import type { TokenCredential } from '@azure/identity';
import { createGraphClient } from '../audit/graphClient';
import { GraphAuditSource } from '../audit/graphAuditSource';
import { createFetchSender, type HttpSender } from '../notifiers/httpSender';
import type { Notifier } from '../notifiers/notifier';
import { createNotifiers, type RegistryOptions } from '../notifiers/notifierRegistry';
import { GraphCaDetailsSource } from '../notifiers/graphCaDetailsSource';
import type { ResolveHost } from '../notifiers/pinnedRequest';
import { TableChannelStore } from '../state/tableChannelStore';
import { TableDeliveryState } from '../state/tableDeliveryState';
import { ChannelDirectory } from './channels';
import { consoleLogger, errorText, type Logger } from '../shared/logger';
import { currentRequestScope, withRequestScope } from '../shared/requestScope';
import { TableCheckpointStore } from '../state/tableCheckpointStore';
import { TableGraphCapabilityStore } from '../state/tableGraphCapabilityStore';
import { probeTableStorage } from '../state/tableProbe';
import { type PipelinePolicy, RequestCounter, TableClients } from '../state/tableClients';
import { TableOutbox } from '../state/tableOutbox';
import { createTablePacing } from '../state/tableChannelPacer';
import { TableRuleStore } from '../state/tableRuleStore';
import { TenantScopedRules } from '../rules/tenantRules';
import type { AppConfig } from '../config/config';
import { type DeliverDeps, deliverPending, type DeliverySummary } from '../app/deliverPending';
import { type PollDeps, type PollSummary, runPoll, writeAlert } from '../app/runPoll';
import { createAdminServices } from './adminServices';
import type { CycleOptions, WatchResult } from '../app/runWatch';
import { createCredential } from './tenantCredentials';
import { createTenantServices } from './tenantServices';
import { createWatchServices } from './watchServices';

/** Overrides for tests and local tooling: everything else comes from the config. */
export interface ServiceOverrides {
  credential?: TokenCredential;
  sender?: HttpSender;
  /** Replaces DNS for generic webhooks (SSRF tests). */
  resolveHost?: ResolveHost;
  clock?: () => Date;
  random?: () => number;
  tablePrefix?: string;
  /** Extra Table pipeline policies, e.g. fault injection in the fault matrix. */
  tablePolicies?: PipelinePolicy[];
  afterPollStep?: PollDeps['afterStep'];
  afterDeliveryStep?: DeliverDeps['afterStep'];
  /** Logs Ingestion client options for azure-monitor-logs channels (tests: trust a loopback receiver's certificate). */
  logsClientOptions?: RegistryOptions['logsClientOptions'];
  /** Many tenants: what the services of a registered tenant share with the home ones (tenantServices.ts). */
  shared?: SharedParts;
}

/** The parts every tenant's services share in one process: Table clients, counters, credential, pacing. */
interface SharedParts {
  tables: TableClients;
  tableRequests: RequestCounter;
  credential: TokenCredential | undefined;
  /** Reads Graph in this tenant (its own token); the shared credential stays for storage and mail. */
  graphCredential: TokenCredential | undefined;
  pacing: DeliverDeps['limiter'];
  graphRequests: { count: number };
  queueRequests: { count: number };
}

export interface CycleResult {
  poll?: PollSummary;
  delivery: DeliverySummary;
  pollError?: string;
  /** The detection failure itself (sign-in and permission problems are classified from it). */
  pollFailure?: unknown;
  /** The run's ledger entry and watchdog transitions (undefined when the ledger could not be written). */
  watch?: WatchResult;
}

let warnedLoopback = false;

/** The composition root: the only place that wires adapters (Graph, Tables, HTTP) into the use cases. */
export function createServices(config: AppConfig, overrides: ServiceOverrides = {}) {
  const shared = overrides.shared;
  const credential = shared ? shared.credential : (overrides.credential ?? createCredential(config));
  const graphCredential = shared ? shared.graphCredential : credential;
  const tableRequests = shared?.tableRequests ?? new RequestCounter();
  // Audit-event reads (all tenants of this process) and queue requests, for the ledger and the bench.
  const graphCounter = shared?.graphRequests ?? { count: 0 };
  const queueRequests = shared?.queueRequests ?? { count: 0 };
  const tables =
    shared?.tables ??
    new TableClients({
      connectionString: config.storage.connectionString,
      tableServiceUri: config.storage.tableServiceUri,
      credential,
      tablePrefix: overrides.tablePrefix,
      counter: tableRequests,
      policies: overrides.tablePolicies,
    });
  const simulatorTenantId = config.graph.isSimulator ? config.tenantId : undefined;
  const graph = createGraphClient({
    rewriteToOrigin: config.graph.isSimulator ? config.graph.baseUrl : undefined,
    credential: config.graph.isSimulator ? undefined : graphCredential,
    simulatorTenantId,
    requestTimeoutInMs: config.graph.requestTimeoutInMs,
    maxRetries: config.graph.maxRetries,
    retryDelayInSeconds: config.graph.retryDelayInSeconds,
    random: overrides.random,
    onRequest: () => {
      graphCounter.count++;
      const scope = currentRequestScope();
      if (scope) scope.graph++;
    },
  });
  // Optional query clauses the server refused are remembered in PollState (graphCapabilities.ts).
  const graphCapabilities = new TableGraphCapabilityStore(tables);
  const source = new GraphAuditSource(graph, {
    pageSize: config.graph.pageSize,
    tenantId: config.tenantId,
    capabilities: graphCapabilities,
    log: consoleLogger,
  });
  const checkpoints = new TableCheckpointStore(tables);
  // Global rules (home partition) merged with a registered tenant's own (src/rules/tenantRules.ts).
  const rules = new TenantScopedRules(new TableRuleStore(tables), config.tenancy.homeTenantId);
  const outbox = new TableOutbox(tables);
  // Mail (the deployment's own mailbox: the home credential) and CA lookups (this tenant's token): no SDK
  // retries (the outbox retries), a delivery-sized timeout. Not counted in graphRequests (audit-event reads).
  const deliveryGraphFor = (tokenCredential: TokenCredential | undefined, tenant: string | undefined) =>
    createGraphClient({
      rewriteToOrigin: config.graph.isSimulator ? config.graph.baseUrl : undefined,
      credential: config.graph.isSimulator ? undefined : tokenCredential,
      simulatorTenantId: tenant,
      requestTimeoutInMs: Math.min(config.delivery.timeoutInMs, config.graph.requestTimeoutInMs),
      maxRetries: 0,
      retryDelayInSeconds: 0,
    });
  const deliveryGraph = deliveryGraphFor(
    credential,
    config.graph.isSimulator ? config.tenancy.homeTenantId : undefined,
  );
  const caGraph = graphCredential === credential ? deliveryGraph : deliveryGraphFor(graphCredential, simulatorTenantId);
  const registryOptions: RegistryOptions = {
    sender: overrides.sender ?? createFetchSender({ resolveHost: overrides.resolveHost }),
    graph: deliveryGraph,
    timeoutInMs: config.delivery.timeoutInMs,
    intunePortalUrl: config.intunePortalUrl,
    extraAllowedHosts: config.webhookPolicy.extraAllowedHosts,
    allowLoopback: config.webhookPolicy.allowLoopback,
    readSetting: config.readSetting,
    credential,
    logsClientOptions: overrides.logsClientOptions,
  };
  const notifiers: Map<string, Notifier> = createNotifiers(config.channels, registryOptions);
  const channelStore = new TableChannelStore(tables);
  const channels = new ChannelDirectory(config, channelStore, registryOptions);
  const deliveryState = new TableDeliveryState(tables);
  const caDetails = new GraphCaDetailsSource(caGraph);
  if (config.webhookPolicy.allowLoopback && !warnedLoopback) {
    warnedLoopback = true;
    console.warn(
      'WARNING: ALLOW_LOOPBACK_WEBHOOKS=true: webhook URLs on 127.0.0.1 / localhost are accepted. For local development and tests only; never set it in Azure.',
    );
  }
  const clock = overrides.clock ?? (() => new Date());
  const random = overrides.random ?? Math.random;
  // Rule administration, change windows, thresholds, pack upgrade, backtest (src/composition/adminServices.ts).
  const admin = createAdminServices({
    config,
    tables,
    rules,
    outbox,
    checkpoints,
    source,
    clock,
    writeAlert: (pending, log) => writeAlert(pollDeps(log), pending),
  });

  const pollDeps = (log: Logger): PollDeps => ({
    tenantId: config.tenantId,
    tenantName: config.tenantName,
    source,
    checkpoints,
    rules,
    outbox,
    clock,
    log,
    afterStep: overrides.afterPollStep,
    extras: admin.extras,
    channelIds: () => channels.ids(log),
    settings: {
      lookbackInMinutes: config.lookbackInMinutes,
      initialLookbackInMinutes: config.initialLookbackInMinutes,
      maxPagesPerRun: config.graph.maxPagesPerRun,
      runTimeBudgetInMs: config.graph.runTimeBudgetInMs,
      alertSampleEvents: config.alertSampleEvents,
      ownClientId: config.ownClientId,
      defaultChannels: config.channels.filter((c) => c.isDefault).map((c) => c.id),
      knownChannels: config.channels.map((c) => c.id),
      seenRetentionInHours: config.seenRetentionInHours,
      deliveredRetentionInDays: config.deliveredRetentionInDays,
    },
  });
  // Coverage ledger, watchdog, health and heartbeat (src/composition/watchServices.ts).
  const watch = createWatchServices({
    config,
    tables,
    rules,
    outbox,
    checkpoints,
    notifiers,
    clock,
    graphCapabilities,
    // Within a cycle, the cycle's own requests (other tenants' runs in this process share the clients).
    counters: {
      graphRequests: () => currentRequestScope()?.graph ?? graphCounter.count,
      tableRequests: () => currentRequestScope()?.tables ?? tableRequests.count,
    },
    tableChannels: async (log) => ({
      ...(await channels.ids(log)),
      notifiers: (await channels.load(log)).tableNotifiers,
    }),
  });
  // DELIVERY_PACING=table: channel rates held in Table Storage across instances; `process`: deliverPending's default.
  const pacing = shared ? shared.pacing : config.delivery.pacing === 'table' ? createTablePacing(tables) : undefined;
  const deliverDeps = (log: Logger): DeliverDeps => ({
    tenantId: config.tenantId,
    tenantName: config.tenantName,
    outbox,
    notifiers,
    clock,
    random,
    log,
    settings: config.delivery,
    afterStep: overrides.afterDeliveryStep,
    limiter: pacing,
    loadNotifiers: async () => (await channels.load(log)).tableNotifiers,
    state: deliveryState,
    caDetails,
  });

  // Many tenants: the Tenants table, the poll queue and the services of each registered tenant (built lazily).
  let tenants: ReturnType<typeof createTenantServices<Services>> | undefined;
  const tenantServices = () =>
    (tenants ??= createTenantServices<Services>({
      config,
      tables,
      outbox,
      credential,
      clock,
      home: () => self,
      queueCounter: queueRequests,
      watchdogChannels: (log) => watch.watchdogChannels(log),
      build: (tenant) =>
        createServices(
          { ...config, tenantId: tenant.id, tenantName: tenant.name },
          {
            ...overrides,
            shared: {
              tables,
              tableRequests,
              credential,
              graphCredential: tenant.graphCredential,
              pacing,
              graphRequests: graphCounter,
              queueRequests,
            },
          },
        ),
    }));

  const self = {
    config,
    tables,
    rules,
    outbox,
    checkpoints,
    /** The Graph audit-event source (backtests, the admin page's card preview of a backtested event, doctor). */
    source,
    /** Optional query clauses Graph refused (health detail, doctor). */
    graphCapabilities,
    /** The Azure credential (doctor asks it for a Graph token); undefined for a Graph stand-in on Azurite. */
    credential,
    /** Writes, reads and deletes a probe row (doctor). */
    probeStorage: () => probeTableStorage(tables, config.tenantId),
    notifiers,
    channels,
    channelStore,
    deliveryState,
    registryOptions,
    watch,
    admin,
    counters: {
      tableRequests,
      get graphRequests() {
        return graphCounter.count;
      },
      get queueRequests() {
        return queueRequests.count;
      },
    },
    /** Many tenants: the Tenants table, dispatch, the queue worker, per-tenant services (tenantServices.ts). */
    get tenants() {
      return tenantServices();
    },
    /** Detection only (no sending). */
    poll: (log: Logger) => runPoll(pollDeps(log)),
    /** Sending only. */
    deliver: (log: Logger) => deliverPending(deliverDeps(log)),
    /**
     * One timer cycle: detect, then deliver whatever is pending, even when detection failed (a Graph
     * outage must not hold back alerts already detected). A detection failure is returned, not thrown.
     * The run is recorded in the coverage ledger and checked by the watchdog (runWatch.ts).
     */
    cycle: (log: Logger, options: CycleOptions = {}): Promise<CycleResult> =>
      withRequestScope({ graph: 0, tables: 0 }, () => cycle(log, options)),
  };

  async function cycle(log: Logger, options: CycleOptions): Promise<CycleResult> {
    const run = watch.start(log, options);
    let poll: PollSummary | undefined;
    let pollError: string | undefined;
    let pollFailure: unknown;
    try {
      poll = await runPoll({ ...pollDeps(log), checkpoints: run.checkpoints, onSummary: run.onSummary });
    } catch (err) {
      pollError = errorText(err);
      pollFailure = err;
      run.pollFailed(err);
    }
    let delivery: DeliverySummary;
    try {
      const deps = deliverDeps(log);
      const load = deps.loadNotifiers;
      delivery = await deliverPending({
        ...deps,
        notifiers: run.observe(deps.notifiers),
        loadNotifiers: load && (async () => run.observe(await load())),
      });
    } catch (err) {
      await run.finish(undefined, err);
      throw err;
    }
    const recorded = await run.finish(delivery);
    // Watchdog messages go out now, not a timer tick later.
    if (recorded?.alertsWritten) await deliverPending(deliverDeps(log));
    return { poll, delivery, pollError, pollFailure, watch: recorded };
  }
  return self;
}

export type Services = ReturnType<typeof createServices>;
export type { SharedParts };
