import { odata, type TableClient } from '@azure/data-tables';
import {
  type ChannelOutcome,
  type ChannelStatus,
  type DeliveryStateStore,
  type GroupWindow,
  maxOutcomes,
} from '../dispatch/deliveryState';
import { statusOf, type TableClients, tableNames } from './tableClients';

// Rows in the tenant's AlertOutbox partition, outside the alert / delivery / event RowKey ranges
// (`a|`, `d|`, `e|`), so outbox queries never see them.
const rk = {
  group: (channelId: string, groupId: string) => `g|${channelId}|${groupId}`,
  status: (channelId: string) => `s|${channelId}`,
};

interface StatusEntity {
  outcomesJson?: string;
  lastSuccessAt?: string;
  lastFailureAt?: string;
  consecutiveFailures?: number;
  incidentSince?: string;
  incidentNoticeId?: string;
}

function toStatus(channelId: string, e: StatusEntity): ChannelStatus {
  let outcomes: ChannelOutcome[];
  try {
    outcomes = JSON.parse(e.outcomesJson ?? '[]') as ChannelOutcome[];
  } catch {
    outcomes = [];
  }
  return {
    channelId,
    lastOutcomes: outcomes,
    ...(e.lastSuccessAt ? { lastSuccessAt: e.lastSuccessAt } : {}),
    ...(e.lastFailureAt ? { lastFailureAt: e.lastFailureAt } : {}),
    consecutiveFailures: Number(e.consecutiveFailures ?? 0),
    ...(e.incidentSince ? { incidentSince: e.incidentSince, incidentNoticeId: e.incidentNoticeId } : {}),
  };
}

/** Group windows and channel status in the `AlertOutbox` table (see DeliveryStateStore). */
export class TableDeliveryState implements DeliveryStateStore {
  constructor(private readonly tables: TableClients) {}

  private client(): Promise<TableClient> {
    return this.tables.get(tableNames.outbox);
  }

  private async read<T extends object>(tenantId: string, rowKey: string): Promise<(T & { etag: string }) | undefined> {
    const client = await this.client();
    try {
      return await client.getEntity<T>(tenantId, rowKey);
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
  }

  async getGroup(tenantId: string, channelId: string, groupId: string): Promise<GroupWindow | undefined> {
    const e = await this.read<Partial<GroupWindow>>(tenantId, rk.group(channelId, groupId));
    return e?.windowEndsAt && e.lastSentAt ? { windowEndsAt: e.windowEndsAt, lastSentAt: e.lastSentAt } : undefined;
  }

  async saveGroup(tenantId: string, channelId: string, groupId: string, window: GroupWindow): Promise<void> {
    const client = await this.client();
    await client.upsertEntity({ partitionKey: tenantId, rowKey: rk.group(channelId, groupId), ...window }, 'Replace');
  }

  async getChannelStatus(tenantId: string, channelId: string): Promise<ChannelStatus | undefined> {
    const e = await this.read<StatusEntity>(tenantId, rk.status(channelId));
    return e ? toStatus(channelId, e) : undefined;
  }

  async listChannelStatus(tenantId: string): Promise<ChannelStatus[]> {
    const client = await this.client();
    const out: ChannelStatus[] = [];
    const filter = odata`PartitionKey eq ${tenantId} and RowKey ge 's|' and RowKey lt 's}'`;
    for await (const e of client.listEntities<StatusEntity>({ queryOptions: { filter } }))
      out.push(toStatus(e.rowKey!.slice(2), e));
    return out;
  }

  async recordOutcome(tenantId: string, channelId: string, outcome: ChannelOutcome): Promise<void> {
    const client = await this.client();
    // Read-modify-write guarded by ETag; a lost race is retried once, then the outcome is dropped (status only).
    for (let attempt = 0; attempt < 2; attempt++) {
      const current = await this.read<StatusEntity>(tenantId, rk.status(channelId));
      const status = current ? toStatus(channelId, current) : { channelId, lastOutcomes: [], consecutiveFailures: 0 };
      const entity = {
        partitionKey: tenantId,
        rowKey: rk.status(channelId),
        outcomesJson: JSON.stringify([outcome, ...status.lastOutcomes].slice(0, maxOutcomes)),
        lastSuccessAt: outcome.ok ? outcome.at : (status.lastSuccessAt ?? ''),
        lastFailureAt: outcome.ok ? (status.lastFailureAt ?? '') : outcome.at,
        consecutiveFailures: outcome.ok ? 0 : status.consecutiveFailures + 1,
        // A success closes the incident: the next failure may raise a new notice.
        incidentSince: outcome.ok ? '' : (status.incidentSince ?? ''),
        incidentNoticeId: outcome.ok ? '' : (status.incidentNoticeId ?? ''),
      };
      try {
        if (current) await client.updateEntity(entity, 'Replace', { etag: current.etag });
        else await client.createEntity(entity);
        return;
      } catch (err) {
        if (statusOf(err) !== 412 && statusOf(err) !== 409) throw err;
      }
    }
  }

  async openIncident(tenantId: string, channelId: string, since: string, noticeId: string): Promise<boolean> {
    const client = await this.client();
    const current = await this.read<StatusEntity>(tenantId, rk.status(channelId));
    if (current?.incidentSince) return false;
    const entity = {
      partitionKey: tenantId,
      rowKey: rk.status(channelId),
      incidentSince: since,
      incidentNoticeId: noticeId,
    };
    try {
      if (current) await client.updateEntity(entity, 'Merge', { etag: current.etag });
      else await client.createEntity({ ...entity, outcomesJson: '[]', consecutiveFailures: 0 });
      return true;
    } catch (err) {
      if (statusOf(err) === 412 || statusOf(err) === 409) return false;
      throw err;
    }
  }
}
