import type { ChannelDefinition } from '../notifiers/channel';
import type { ChannelProblem, ChannelStore, StoredChannel } from '../notifiers/channelStore';
import type { Notifier } from '../notifiers/notifier';
import { createTableNotifier, definitionsFromConfig, type RegistryOptions } from '../notifiers/notifierRegistry';
import type { Logger } from '../shared/logger';
import type { AppConfig } from '../config/config';

/**
 * Every channel a tenant's alerts may use: the global ones (app settings: TEAMS_WEBHOOK_URL, local inbox; the
 * home tenant's partition of the Channels table) and, for a registered tenant, its own partition's.
 */
export interface ChannelSet {
  definitions: ChannelDefinition[];
  stored: Map<string, StoredChannel>;
  /** Table channels only (app-settings notifiers are built once at start). */
  tableNotifiers: Map<string, Notifier>;
  problems: ChannelProblem[];
  /** Ids of the channels from the tenant's own partition (empty for the home tenant: all its channels are global). */
  tenantOwned: Set<string>;
}

/**
 * Resolves channel ids against every source. App-settings channels win an id clash (they cannot be edited
 * through the API), then the home partition's (global) channels: a tenant channel whose id a global channel
 * has is ignored, so a global rule naming a global channel always means that channel. Table channels are
 * read when needed: when an alert is written or a delivery names one, never on an idle run. A tenant's
 * services see no other tenant's channels at all, so no alert of theirs can reach one.
 */
export class ChannelDirectory {
  constructor(
    private readonly config: AppConfig,
    private readonly store: ChannelStore,
    private readonly registry: RegistryOptions,
  ) {}

  /** The app-settings channels, as definitions. */
  get configured(): ChannelDefinition[] {
    return definitionsFromConfig(this.config.channels);
  }

  /** True when this directory's tenant is the home tenant (its partition holds the global channels). */
  get isHome(): boolean {
    return this.config.tenantId.toLowerCase() === this.config.tenancy.homeTenantId.toLowerCase();
  }

  async load(log?: Logger): Promise<ChannelSet> {
    const configured = this.configured;
    const home = this.config.tenancy.homeTenantId;
    const [global, own] = await Promise.all([
      this.store.list(this.isHome ? this.config.tenantId : home),
      this.isHome ? undefined : this.store.list(this.config.tenantId),
    ]);
    const set: ChannelSet = {
      definitions: [...configured],
      stored: new Map(),
      tableNotifiers: new Map(),
      problems: [],
      tenantOwned: new Set(),
    };
    const taken = new Map<string, string>(configured.map((c) => [c.id, 'a channel from app settings']));
    const add = (partition: { channels: StoredChannel[]; problems: ChannelProblem[] }, tenantOwned: boolean) => {
      const where = tenantOwned ? ` of tenant ${this.config.tenantId}` : '';
      for (const p of partition.problems) {
        set.problems.push(p);
        log?.error(`Channel "${p.channelId}"${where} skipped: ${p.message}`);
      }
      for (const stored of partition.channels) {
        const def = stored.channel;
        const holder = taken.get(def.id);
        if (holder) {
          set.problems.push({ channelId: def.id, message: `the id is taken by ${holder}; the table row is ignored` });
          log?.error(`Channel "${def.id}"${where} in the Channels table is ignored: the id is taken by ${holder}`);
          continue;
        }
        taken.set(def.id, 'a global channel');
        set.definitions.push(def);
        set.stored.set(def.id, stored);
        set.tableNotifiers.set(def.id, createTableNotifier(def, this.registry));
        if (tenantOwned) set.tenantOwned.add(def.id);
      }
    };
    add(global, false);
    if (own) add(own, true);
    return set;
  }

  /** Known and default channel ids of the table, global and the tenant's own (for a rule's `channels`). */
  async ids(log?: Logger): Promise<{ known: string[]; defaults: string[] }> {
    const set = await this.load(log);
    const table = set.definitions.filter((d) => d.source === 'table');
    return { known: table.map((d) => d.id), defaults: table.filter((d) => d.isDefault).map((d) => d.id) };
  }
}
