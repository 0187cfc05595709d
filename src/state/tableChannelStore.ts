import { odata, type TableClient } from '@azure/data-tables';
import { type ChannelDefinition, parseChannel } from '../notifiers/channel';
import type { ChannelProblem, ChannelStore, StoredChannel } from '../notifiers/channelStore';
import { ConflictError, PreconditionFailedError } from '../shared/errors';
import { statusOf, type TableClients, tableNames } from './tableClients';

/** Channel row: scalars as columns, settings as JSON (setting NAMES, mailbox, recipients: never a secret value). */
interface ChannelEntity {
  type?: unknown;
  isDefault?: unknown;
  description?: unknown;
  settingsJson?: unknown;
  updatedAt?: unknown;
  updatedBy?: unknown;
}

function toStored(id: string, e: ChannelEntity & { etag: string }): StoredChannel {
  let settings: unknown;
  try {
    settings = JSON.parse(String(e.settingsJson ?? '{}'));
  } catch {
    settings = 'not JSON';
  }
  const input = {
    id,
    type: e.type,
    isDefault: e.isDefault === true,
    settings,
    ...(e.description ? { description: e.description } : {}),
  };
  return {
    channel: parseChannel(input, 'stored channel'),
    etag: e.etag,
    updatedAt: e.updatedAt ? String(e.updatedAt) : undefined,
    updatedBy: e.updatedBy ? String(e.updatedBy) : undefined,
  };
}

const toEntity = (tenantId: string, c: ChannelDefinition, updatedBy: string) => ({
  partitionKey: tenantId,
  rowKey: c.id,
  type: c.type,
  isDefault: c.isDefault,
  description: c.description ?? '',
  settingsJson: JSON.stringify(c.settings),
  updatedAt: new Date().toISOString(),
  updatedBy,
});

/** Channels in the `Channels` table, one partition per tenant. */
export class TableChannelStore implements ChannelStore {
  constructor(private readonly tables: TableClients) {}

  private client(): Promise<TableClient> {
    return this.tables.get(tableNames.channels);
  }

  async list(tenantId: string): Promise<{ channels: StoredChannel[]; problems: ChannelProblem[] }> {
    const client = await this.client();
    const channels: StoredChannel[] = [];
    const problems: ChannelProblem[] = [];
    for await (const e of client.listEntities<ChannelEntity>({
      queryOptions: { filter: odata`PartitionKey eq ${tenantId}` },
    })) {
      try {
        channels.push(toStored(e.rowKey!, e));
      } catch (err) {
        problems.push({ channelId: e.rowKey!, message: err instanceof Error ? err.message : String(err) });
      }
    }
    return { channels, problems };
  }

  async get(tenantId: string, id: string): Promise<StoredChannel | undefined> {
    const client = await this.client();
    try {
      return toStored(id, await client.getEntity<ChannelEntity>(tenantId, id));
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
  }

  async upsert(
    tenantId: string,
    channel: ChannelDefinition,
    options: { ifMatch?: string; updatedBy: string },
  ): Promise<string> {
    const client = await this.client();
    const { source: _source, ...doc } = channel;
    const entity = toEntity(tenantId, parseChannel(doc), options.updatedBy);
    try {
      const res =
        options.ifMatch === undefined
          ? await client.createEntity(entity)
          : await client.updateEntity(entity, 'Replace', { etag: options.ifMatch });
      return res.etag ?? '';
    } catch (err) {
      if (statusOf(err) === 409)
        throw new ConflictError(`channel "${channel.id}" already exists; send If-Match to replace it`);
      if (statusOf(err) === 412)
        throw new PreconditionFailedError(
          `channel "${channel.id}" was changed since it was read (If-Match does not match)`,
        );
      if (statusOf(err) === 404)
        throw new PreconditionFailedError(`channel "${channel.id}" does not exist; create it without If-Match`);
      throw err;
    }
  }

  async delete(tenantId: string, id: string): Promise<void> {
    const client = await this.client();
    try {
      await client.deleteEntity(tenantId, id);
    } catch (err) {
      if (statusOf(err) !== 404) throw err;
    }
  }
}
