import type { ChannelDefinition } from '../notifiers/channel';
import type { ChannelProblem, ChannelStore, StoredChannel } from '../notifiers/channelStore';
import type { Notifier } from '../notifiers/notifier';
import { createTableNotifier, definitionsFromConfig, type RegistryOptions } from '../notifiers/notifierRegistry';
import type { Logger } from '../shared/logger';
import type { AppConfig } from '../config/config';

/** Every channel: the app-settings ones (TEAMS_WEBHOOK_URL, local inbox) and the Channels table's. */
export interface ChannelSet {
  definitions: ChannelDefinition[];
  stored: Map<string, StoredChannel>;
  /** Table channels only (app-settings notifiers are built once at start). */
  tableNotifiers: Map<string, Notifier>;
  problems: ChannelProblem[];
}

/**
 * Resolves channel ids against both sources. App-settings channels win an id clash (they cannot be edited
 * through the API). Table channels are read when needed: when an alert is written or a delivery names
 * one, never on an idle run.
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

  async load(log?: Logger): Promise<ChannelSet> {
    const configured = this.configured;
    const taken = new Set(configured.map((c) => c.id));
    const { channels, problems } = await this.store.list(this.config.tenantId);
    const set: ChannelSet = {
      definitions: [...configured],
      stored: new Map(),
      tableNotifiers: new Map(),
      problems: [...problems],
    };
    for (const p of problems) log?.error(`Channel "${p.channelId}" skipped: ${p.message}`);
    for (const stored of channels) {
      const def = stored.channel;
      if (taken.has(def.id)) {
        set.problems.push({
          channelId: def.id,
          message: 'the id is taken by a channel from app settings; the table row is ignored',
        });
        log?.error(
          `Channel "${def.id}" in the Channels table is ignored: the id is taken by a channel from app settings`,
        );
        continue;
      }
      set.definitions.push(def);
      set.stored.set(def.id, stored);
      set.tableNotifiers.set(def.id, createTableNotifier(def, this.registry));
    }
    return set;
  }

  /** Known and default channel ids of the table (for a rule's `channels`). */
  async ids(log?: Logger): Promise<{ known: string[]; defaults: string[] }> {
    const set = await this.load(log);
    const table = set.definitions.filter((d) => d.source === 'table');
    return { known: table.map((d) => d.id), defaults: table.filter((d) => d.isDefault).map((d) => d.id) };
  }
}
