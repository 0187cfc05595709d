import { readFileSync } from 'node:fs';
import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import { ClientCertificateCredential, ClientSecretCredential, ManagedIdentityCredential, type TokenCredential } from '@azure/identity';
import { createGraphClient } from '../audit/graphClient';
import { GraphAuditSource } from '../audit/graphAuditSource';
import { createFetchSender, type HttpSender } from '../notifiers/httpSender';
import type { Notifier } from '../notifiers/notifier';
import { createNotifiers } from '../notifiers/notifierRegistry';
import { errorText, type Logger } from '../shared/logger';
import { TableCheckpointStore } from '../state/tableCheckpointStore';
import { RequestCounter, TableClients } from '../state/tableClients';
import { TableOutbox } from '../state/tableOutbox';
import { TableRuleStore } from '../state/tableRuleStore';
import type { AppConfig } from './config';
import { type DeliverDeps, deliverPending, type DeliverySummary } from './deliverPending';
import { type PollDeps, type PollSummary, runPoll } from './runPoll';

/** Overrides for tests and local tooling: everything else comes from the config. */
export interface ServiceOverrides {
  credential?: TokenCredential;
  sender?: HttpSender;
  clock?: () => Date;
  random?: () => number;
  tablePrefix?: string;
  /** Extra Table pipeline policies, e.g. fault injection in the fault matrix. */
  tablePolicies?: PipelinePolicy[];
  afterPollStep?: PollDeps['afterStep'];
  afterDeliveryStep?: DeliverDeps['afterStep'];
}

export interface CycleResult {
  poll?: PollSummary;
  delivery: DeliverySummary;
  pollError?: string;
}

let warnedLoopback = false;

/** The composition root: the only place that wires adapters (Graph, Tables, HTTP) into the use cases. */
export function createServices(config: AppConfig, overrides: ServiceOverrides = {}) {
  const credential = overrides.credential ?? createCredential(config);
  const tableRequests = new RequestCounter();
  let graphRequests = 0;
  const tables = new TableClients({ connectionString: config.storage.connectionString, tableServiceUri: config.storage.tableServiceUri, credential, tablePrefix: overrides.tablePrefix, counter: tableRequests, policies: overrides.tablePolicies });
  const graph = createGraphClient({
    rewriteToOrigin: config.graph.isSimulator ? config.graph.baseUrl : undefined,
    credential: config.graph.isSimulator ? undefined : credential,
    requestTimeoutInMs: config.graph.requestTimeoutInMs,
    maxRetries: config.graph.maxRetries,
    retryDelayInSeconds: config.graph.retryDelayInSeconds,
    onRequest: () => graphRequests++,
  });
  const source = new GraphAuditSource(graph, { pageSize: config.graph.pageSize });
  const checkpoints = new TableCheckpointStore(tables);
  const rules = new TableRuleStore(tables);
  const outbox = new TableOutbox(tables);
  const notifiers: Map<string, Notifier> = createNotifiers(config.channels, {
    sender: overrides.sender ?? createFetchSender(),
    timeoutInMs: config.delivery.timeoutInMs,
    intunePortalUrl: config.intunePortalUrl,
    extraAllowedHosts: config.webhookPolicy.extraAllowedHosts,
    allowLoopback: config.webhookPolicy.allowLoopback,
  });
  if (config.webhookPolicy.allowLoopback && !warnedLoopback) {
    warnedLoopback = true;
    console.warn('WARNING: ALLOW_LOOPBACK_WEBHOOKS=true: webhook URLs on 127.0.0.1 / localhost are accepted. For local development and tests only; never set it in Azure.');
  }
  const clock = overrides.clock ?? (() => new Date());
  const random = overrides.random ?? Math.random;

  const pollDeps = (log: Logger): PollDeps => ({
    tenantId: config.tenantId,
    source,
    checkpoints,
    rules,
    outbox,
    clock,
    log,
    afterStep: overrides.afterPollStep,
    settings: {
      lookbackInMinutes: config.lookbackInMinutes,
      initialLookbackInMinutes: config.initialLookbackInMinutes,
      maxPagesPerRun: config.graph.maxPagesPerRun,
      alertSampleEvents: config.alertSampleEvents,
      ownClientId: config.ownClientId,
      defaultChannels: config.channels.filter((c) => c.isDefault).map((c) => c.id),
      knownChannels: config.channels.map((c) => c.id),
      seenRetentionInHours: config.seenRetentionInHours,
      deliveredRetentionInDays: config.deliveredRetentionInDays,
    },
  });
  const deliverDeps = (log: Logger): DeliverDeps => ({ tenantId: config.tenantId, outbox, notifiers, clock, random, log, settings: config.delivery, afterStep: overrides.afterDeliveryStep });

  return {
    config,
    tables,
    rules,
    outbox,
    checkpoints,
    notifiers,
    counters: { tableRequests, get graphRequests() { return graphRequests; } },
    /** Detection only (no sending). */
    poll: (log: Logger) => runPoll(pollDeps(log)),
    /** Sending only. */
    deliver: (log: Logger) => deliverPending(deliverDeps(log)),
    /**
     * One timer cycle: detect, then deliver whatever is pending, even when detection failed (a Graph
     * outage must not hold back alerts already detected). A detection failure is returned, not thrown.
     */
    async cycle(log: Logger): Promise<CycleResult> {
      let poll: PollSummary | undefined;
      let pollError: string | undefined;
      try {
        poll = await runPoll(pollDeps(log));
      } catch (err) {
        pollError = errorText(err);
      }
      const delivery = await deliverPending(deliverDeps(log));
      return { poll, delivery, pollError };
    },
  };
}

export type Services = ReturnType<typeof createServices>;

function createCredential(config: AppConfig): TokenCredential | undefined {
  const auth = config.graph.auth;
  const needsIdentity = !config.graph.isSimulator || Boolean(config.storage.tableServiceUri);
  if (!needsIdentity) return undefined;
  switch (auth.kind) {
    case 'clientSecret':
      return new ClientSecretCredential(config.tenantId, auth.clientId, auth.clientSecret);
    case 'certificate':
      return new ClientCertificateCredential(config.tenantId, auth.clientId, { certificate: readFileSync(auth.certificatePath, 'utf8') });
    default:
      return auth.kind === 'managedIdentity' && auth.clientId ? new ManagedIdentityCredential({ clientId: auth.clientId }) : new ManagedIdentityCredential();
  }
}
