import type { CheckpointStore } from '../audit/checkpointStore';
import type { GraphCapabilityStore } from '../audit/graphCapabilities';
import type { Outbox } from '../dispatch/outbox';
import type { Notifier } from '../notifiers/notifier';
import type { RuleStore } from '../rules/ruleStore';
import type { Logger } from '../shared/logger';
import type { TableClients } from '../state/tableClients';
import { TableWatchStore } from '../state/tableWatchStore';
import { readScannedTo } from '../state/tableCheckpointStore';
import { TableTenantStore } from '../state/tableTenantStore';
import { readTenantPolls } from '../watch/tenantStalls';
import { summarizeLedger } from '../watch/coverage';
import { heartbeatAlert } from '../watch/heartbeat';
import { authConfigRecord } from '../dispatch/authConfigTamper';
import { adminAuthPosture } from '../config/adminAuthPosture';
import type { AppConfig } from '../config/config';
import { checkHealth, type HealthDeps, healthDetail } from '../admin/healthReport';
import { type CycleOptions, startRunWatch } from '../app/runWatch';

export interface WatchWiring {
  config: AppConfig;
  tables: TableClients;
  rules: RuleStore;
  outbox: Outbox;
  checkpoints: CheckpointStore;
  notifiers: ReadonlyMap<string, Notifier>;
  clock: () => Date;
  /** Remembered Graph query capabilities, shown in the health detail. */
  graphCapabilities?: GraphCapabilityStore;
  counters: { graphRequests: () => number; tableRequests: () => number };
  /** Channels of the Channels table (read only when needed): ids, and their notifiers. */
  tableChannels?: (
    log: Logger,
  ) => Promise<{ known: readonly string[]; defaults: readonly string[]; notifiers: ReadonlyMap<string, Notifier> }>;
}

/**
 * Which channels watchdog messages go to: WATCHDOG_CHANNEL (comma-separated ids), else the failover
 * channel, else the default channels. Unknown ids are reported and skipped; none left = the defaults. Pure.
 */
export function resolveWatchdogChannels(input: {
  watchdogChannel?: string;
  failoverChannel?: string;
  defaultChannels: readonly string[];
  knownChannels: readonly string[];
}): { channels: string[]; problems: string[] } {
  const wanted = (input.watchdogChannel ?? input.failoverChannel ?? '')
    .split(',')
    .map((c) => c.trim())
    .filter(Boolean);
  const problems = wanted
    .filter((c) => !input.knownChannels.includes(c))
    .map((c) => `watchdog channel "${c}" is not a configured channel; using the default channels`);
  const channels = wanted.filter((c) => input.knownChannels.includes(c));
  return { channels: channels.length ? channels : [...input.defaultChannels], problems };
}

/** Composition of the watch side (ledger, watchdog, health, heartbeat) over the services' own adapters. */
export function createWatchServices(w: WatchWiring) {
  const { config } = w;
  const store = new TableWatchStore(w.tables);
  const defaults = config.channels.filter((c) => c.isDefault).map((c) => c.id);
  const empty = { known: [], defaults: [], notifiers: new Map<string, Notifier>() };
  const allChannels = async (log: Logger) => {
    const table = w.tableChannels ? await w.tableChannels(log).catch(() => empty) : empty;
    return {
      known: [...w.notifiers.keys(), ...table.known],
      defaults: [...defaults, ...table.defaults],
      notifiers: [...w.notifiers.values(), ...table.notifiers.values()],
    };
  };
  // The home tenant's run checks that every registered tenant is still polled (tenant-stalled incidents).
  const homeTenantId = config.tenancy.homeTenantId;
  const tenantPolls =
    config.tenantId === homeTenantId
      ? (now: Date) => {
          const source = {
            list: () => new TableTenantStore(w.tables, homeTenantId).list(),
            scannedTo: (ids: readonly string[]) => readScannedTo(w.tables, ids),
          };
          return readTenantPolls(source, homeTenantId, now, config.watch.maxLagInMinutes);
        }
      : undefined;
  // Re-read each time: the platform's Authentication variables change with the app's configuration.
  const adminApi = () => adminAuthPosture(config.auth, config.readSetting);
  const healthDeps: HealthDeps = {
    tenantId: config.tenantId,
    store,
    rules: w.rules,
    outbox: w.outbox,
    clock: w.clock,
    graphCapabilities: w.graphCapabilities,
    settings: { maxLagInMinutes: config.watch.maxLagInMinutes, failedPolls: config.watch.failedPolls },
    adminApi,
    tenantPolls,
  };
  let reported = false;

  /** Where watchdog and operator messages go (WATCHDOG_CHANNEL, else failover, else the defaults). */
  const watchdogChannels = async (log: Logger) => {
    const all = await allChannels(log);
    const resolved = resolveWatchdogChannels({
      watchdogChannel: config.watch.channel,
      failoverChannel: config.delivery.failoverChannel,
      defaultChannels: all.defaults,
      knownChannels: all.known,
    });
    if (!reported) resolved.problems.forEach((p) => log.error(p));
    reported = true;
    return { watchdog: resolved.channels, all: all.known, defaults: all.defaults };
  };

  return {
    store,
    watchdogChannels,
    /** Starts watching one cycle (see startRunWatch). */
    start(log: Logger, options: CycleOptions = {}) {
      const channels = () => watchdogChannels(log);
      return startRunWatch(
        {
          tenantId: config.tenantId,
          store,
          checkpoints: w.checkpoints,
          outbox: w.outbox,
          clock: w.clock,
          log,
          counters: w.counters,
          settings: config.watch,
          channels,
          tenantPolls,
          adminAuth: () => {
            const posture = adminApi();
            return { record: authConfigRecord(config.auth), ...(posture.ok ? {} : { problem: posture.problem }) };
          },
        },
        options,
      );
    },
    health: () => checkHealth(healthDeps),
    healthDetail: () => healthDetail(healthDeps),
    /** Writes the heartbeat of one scheduled occurrence to every Teams channel's outbox (send with `deliver`). */
    async heartbeat(occurrence: Date, log: Logger): Promise<{ alertId: string; written: boolean }> {
      const now = w.clock();
      const [entries, { watch }] = await Promise.all([
        store.list(config.tenantId, new Date(now.getTime() - 86_400_000)),
        store.read(config.tenantId),
      ]);
      const alert = heartbeatAlert(config.tenantId, occurrence, now, summarizeLedger(entries), watch?.state);
      const channels = (await allChannels(log)).notifiers.filter((n) => n.type === 'teams').map((n) => n.channelId);
      const written = (await w.outbox.writeAlert({ alert, channels: [], eventKeys: [] }, channels)) === 'created';
      log.info(
        `Heartbeat ${written ? 'queued' : 'already queued'} for ${channels.join(', ') || 'no channel'}: ${alert.ruleDescription?.split('\n')[0]}`,
      );
      return { alertId: alert.id, written };
    },
  };
}

export type WatchServices = ReturnType<typeof createWatchServices>;
