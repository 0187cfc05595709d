import { odata, type TableClient, type TransactionAction } from '@azure/data-tables';
import type { Alert } from '../dispatch/alert';
import type { PendingAlert } from '../dispatch/alertAccumulator';
import {
  type Delivery,
  type DeliveryUpdate,
  type MatchRef,
  type MatchWrite,
  type Outbox,
  type QuarantineItem,
  type RecordedMatches,
  type StoredCounter,
  UnstorableError,
} from '../dispatch/outbox';
import { storableJson, storableText } from '../dispatch/storable';
import { severityRank } from '../rules/alertRule';
import type { ThresholdState } from '../rules/threshold';
import { chunk, statusOf, type TableClients, tableNames } from './tableClients';

import {
  alertEntity,
  matchKey,
  matchRows,
  oneLine,
  parseJson,
  quarantineEntity,
  rk,
  toAlert,
  toDelivery,
  unescapeLegacy,
} from './outboxRows';

export { maxMatchesPerWrite } from './outboxRows';

export class TableOutbox implements Outbox {
  constructor(private readonly tables: TableClients) {}

  private client(): Promise<TableClient> {
    return this.tables.get(tableNames.outbox);
  }

  async loadMatches(tenantId: string, fromInMs: number): Promise<RecordedMatches> {
    const client = await this.client();
    // The version first: a write that lands between the two reads makes ours stale, and ours is refused.
    let version: string | undefined;
    try {
      version = (await client.getEntity(tenantId, rk.version)).etag;
    } catch (err) {
      if (statusOf(err) !== 404) throw err;
    }
    const seen = new Set<string>();
    // Markers of the per-event design (before per-match records) still count, for every rule, until cleanup.
    const legacy = new Set<string>();
    const iso = new Date(Math.max(0, fromInMs)).toISOString();
    const filter = odata`PartitionKey eq ${tenantId} and ((RowKey ge ${`m|${iso}`} and RowKey lt 'm}') or (RowKey ge ${`e|${iso}`} and RowKey lt 'e}'))`;
    for await (const e of client.listEntities<Record<string, unknown>>({
      queryOptions: { filter, select: ['RowKey', 'ruleId', 'keys'] },
    })) {
      if (e.rowKey!.startsWith('e|')) {
        legacy.add(unescapeLegacy(e.rowKey!.slice(e.rowKey!.indexOf('|', 2) + 1)));
        continue;
      }
      const ruleId = String(e.ruleId);
      const keys = String(e.keys ?? '');
      for (let k = 0; k + 16 <= keys.length; k += 16) seen.add(`${ruleId}\u0000${keys.slice(k, k + 16)}`);
    }
    return {
      has: (ruleId, eventId) => seen.has(matchKey(ruleId, eventId)) || legacy.has(eventId),
      version,
      size: seen.size + legacy.size,
    };
  }

  async recordMatches(
    tenantId: string,
    write: MatchWrite,
    version: string | undefined,
  ): Promise<{ outcome: 'written'; version: string | undefined } | { outcome: 'conflict' }> {
    const actions: TransactionAction[] = [];
    if (write.counter) {
      const c = write.counter;
      const entity = {
        partitionKey: tenantId,
        rowKey: rk.counter(c.ruleId, c.groupKey),
        ruleId: c.ruleId,
        groupKey: storableText(c.groupKey, 1_000),
        stateJson: storableJson(c.state),
        lastEventAt: c.lastEventAt,
        updatedAt: c.updatedAt,
      };
      actions.push(c.etag ? ['update', entity, 'Replace', { etag: c.etag }] : ['create', entity]);
    }
    // Transactions cannot guard a delete with an ETag; a stale counter is one with nothing left in its window.
    for (const d of write.dropCounters ?? [])
      actions.push(['delete', { partitionKey: tenantId, rowKey: rk.counter(d.ruleId, d.groupKey) }]);
    if (write.alert) actions.push(...this.alertActions(write.alert, write.channels ?? []));
    actions.push(...matchRows(tenantId, write.matches, write.recordedAs));
    return this.submitVersioned(tenantId, actions, version);
  }

  async quarantine(
    tenantId: string,
    item: QuarantineItem,
    matches: readonly MatchRef[],
    version: string | undefined,
  ): Promise<{ outcome: 'written'; version: string | undefined } | { outcome: 'conflict' }> {
    const actions: TransactionAction[] = [
      ['upsert', quarantineEntity(tenantId, item), 'Replace'],
      ...matchRows(tenantId, matches, `quarantine:${item.id}`),
    ];
    return this.submitVersioned(tenantId, actions, version);
  }

  /** Submits `actions` together with the version row's move; `conflict` when any guarded row changed. */
  private async submitVersioned(
    tenantId: string,
    actions: TransactionAction[],
    version: string | undefined,
  ): Promise<{ outcome: 'written'; version: string | undefined } | { outcome: 'conflict' }> {
    if (actions.length + 1 > 100)
      throw new Error(`an outbox write of ${actions.length} rows does not fit one transaction`);
    const client = await this.client();
    const versionRow = { partitionKey: tenantId, rowKey: rk.version, at: new Date().toISOString() };
    const all: TransactionAction[] = [
      version ? ['update', versionRow, 'Replace', { etag: version }] : ['create', versionRow],
      ...actions,
    ];
    try {
      const res = await client.submitTransaction(all);
      return { outcome: 'written', version: res.getResponseForEntity(rk.version)?.etag ?? res.subResponses[0]?.etag };
    } catch (err) {
      const status = statusOf(err);
      // 409 (exists), 412 (changed) or 404 (gone): another run wrote first; the whole transaction rolled back.
      if (status === 409 || status === 412 || status === 404) return { outcome: 'conflict' };
      if (status === 400 || status === 413)
        throw new UnstorableError(`Table Storage refused the write (${status}): ${oneLine(err)}`, status);
      throw err;
    }
  }

  private alertActions(pending: PendingAlert, channelIds: readonly string[]): TransactionAction[] {
    const { alert } = pending;
    const pk = alert.tenantId;
    const now = alert.createdAt;
    const out: TransactionAction[] = [['create', alertEntity(alert)]];
    for (const channelId of channelIds) {
      out.push([
        'create',
        {
          partitionKey: pk,
          rowKey: rk.delivery(alert.id, channelId),
          alertId: alert.id,
          channelId,
          priority: severityRank[alert.severity],
          state: 'pending',
          attempts: 0,
          createdAt: now,
          nextAttemptAt: now,
          possibleDuplicate: false,
        },
      ]);
    }
    return out;
  }

  async loadCounters(tenantId: string, ruleId: string): Promise<StoredCounter[]> {
    const client = await this.client();
    const filter = odata`PartitionKey eq ${tenantId} and RowKey ge ${`t|${ruleId}|`} and RowKey lt ${`t|${ruleId}}`}`;
    const out: StoredCounter[] = [];
    for await (const e of client.listEntities<Record<string, unknown>>({ queryOptions: { filter } })) {
      const state = parseJson<ThresholdState | undefined>(e.stateJson, undefined);
      out.push({
        ruleId,
        groupKey: String(e.groupKey ?? ''),
        etag: e.etag,
        state: state && Array.isArray(state.buckets) ? state : undefined,
        lastEventAt: String(e.lastEventAt ?? ''),
      });
    }
    return out;
  }

  async writeAlert(pending: PendingAlert, channelIds: readonly string[]): Promise<'created' | 'conflict'> {
    const client = await this.client();
    try {
      await client.submitTransaction(this.alertActions(pending, channelIds));
    } catch (err) {
      // 409: the alert is already recorded; the whole transaction rolled back.
      if (statusOf(err) === 409) return 'conflict';
      if (statusOf(err) === 400 || statusOf(err) === 413)
        throw new UnstorableError(`Table Storage refused the alert (${statusOf(err)}): ${oneLine(err)}`, statusOf(err));
      throw err;
    }
    return 'created';
  }

  async listQuarantine(tenantId: string): Promise<QuarantineItem[]> {
    const client = await this.client();
    const out: QuarantineItem[] = [];
    const filter = odata`PartitionKey eq ${tenantId} and RowKey ge 'q|' and RowKey lt 'q}'`;
    for await (const e of client.listEntities<Record<string, unknown>>({ queryOptions: { filter } })) {
      const item = parseJson<QuarantineItem | undefined>(e.itemJson, undefined);
      if (item) out.push(item);
    }
    return out.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  async updateQuarantine(tenantId: string, id: string, item: QuarantineItem | undefined): Promise<void> {
    const client = await this.client();
    if (item) await client.upsertEntity(quarantineEntity(tenantId, item), 'Replace');
    else {
      try {
        await client.deleteEntity(tenantId, rk.quarantine(id));
      } catch (err) {
        if (statusOf(err) !== 404) throw err;
      }
    }
  }

  async listDue(tenantId: string, now: Date): Promise<Delivery[]> {
    const client = await this.client();
    const filter = odata`PartitionKey eq ${tenantId} and RowKey ge 'd|' and RowKey lt 'd}' and (state eq 'pending' or state eq 'sending')`;
    const due: Delivery[] = [];
    const nowIso = now.toISOString();
    for await (const e of client.listEntities<Record<string, unknown>>({ queryOptions: { filter } })) {
      const d = toDelivery(e);
      if (d.state === 'pending' ? d.nextAttemptAt <= nowIso : (d.leaseUntil ?? '') <= nowIso) due.push(d);
    }
    // Most severe first, then oldest: a critical card must not queue behind a burst of medium ones.
    return due.sort((a, b) => a.priority - b.priority || a.createdAt.localeCompare(b.createdAt));
  }

  async getAlert(tenantId: string, alertId: string): Promise<Alert | undefined> {
    const client = await this.client();
    try {
      return toAlert(tenantId, await client.getEntity<Record<string, unknown>>(tenantId, rk.alert(alertId)));
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
  }

  async updateDelivery(tenantId: string, delivery: Delivery, update: DeliveryUpdate): Promise<Delivery | undefined> {
    const client = await this.client();
    const patch = Object.fromEntries(Object.entries(update).filter(([, v]) => v !== undefined));
    try {
      const res = await client.updateEntity(
        { partitionKey: tenantId, rowKey: rk.delivery(delivery.alertId, delivery.channelId), ...patch },
        'Merge',
        { etag: delivery.etag },
      );
      return { ...delivery, ...update, etag: res.etag ?? delivery.etag };
    } catch (err) {
      if (statusOf(err) === 412 || statusOf(err) === 404) return undefined;
      throw err;
    }
  }

  async listAlerts(
    tenantId: string,
    options: { limit?: number } = {},
  ): Promise<{ alert: Alert; deliveries: Delivery[] }[]> {
    const client = await this.client();
    const alerts = new Map<string, { alert: Alert; deliveries: Delivery[] }>();
    const filter = odata`PartitionKey eq ${tenantId} and RowKey ge 'a|' and RowKey lt 'e|'`;
    for await (const e of client.listEntities<Record<string, unknown>>({ queryOptions: { filter } })) {
      if (e.rowKey!.startsWith('a|')) {
        const alert = toAlert(tenantId, e);
        alerts.set(alert.id, { alert, deliveries: alerts.get(alert.id)?.deliveries ?? [] });
      } else {
        const d = toDelivery(e);
        const entry = alerts.get(d.alertId);
        if (entry) entry.deliveries.push(d);
      }
    }
    return [...alerts.values()]
      .sort((a, b) => b.alert.createdAt.localeCompare(a.alert.createdAt))
      .slice(0, options.limit ?? 100);
  }

  async listSuppressed(tenantId: string, windowId: string): Promise<Alert[]> {
    const client = await this.client();
    const filter = odata`PartitionKey eq ${tenantId} and RowKey ge 'a|' and RowKey lt 'a}' and suppressedBy eq ${windowId}`;
    const out: Alert[] = [];
    for await (const e of client.listEntities<Record<string, unknown>>({ queryOptions: { filter } }))
      out.push(toAlert(tenantId, e));
    return out;
  }

  async getAlertStatus(
    tenantId: string,
    alertId: string,
  ): Promise<{ alert: Alert; deliveries: Delivery[] } | undefined> {
    const alert = await this.getAlert(tenantId, alertId);
    if (!alert) return undefined;
    const client = await this.client();
    const from = rk.delivery(alertId, '');
    const filter = odata`PartitionKey eq ${tenantId} and RowKey ge ${from} and RowKey lt ${`${from}~`}`;
    const deliveries: Delivery[] = [];
    for await (const e of client.listEntities<Record<string, unknown>>({ queryOptions: { filter } }))
      deliveries.push(toDelivery(e));
    return { alert, deliveries };
  }

  async cleanup(
    tenantId: string,
    _now: Date,
    retention: { seenBefore: Date; deliveredBefore: Date },
  ): Promise<{ deleted: number }> {
    const client = await this.client();
    let deleted = 0;
    const deleteAll = async (rowKeys: string[]) => {
      for (const part of chunk(rowKeys)) {
        await client.submitTransaction(part.map((rowKey) => ['delete', { partitionKey: tenantId, rowKey }]));
        deleted += part.length;
      }
    };
    // Recorded matches of events older than the retention (legacy per-event markers: all of them).
    const cutoff0 = retention.seenBefore.toISOString();
    const markers: string[] = [];
    const old = odata`PartitionKey eq ${tenantId} and ((RowKey ge 'e|' and RowKey lt 'e}') or (RowKey ge 'm|' and RowKey lt ${`m|${cutoff0}`}))`;
    for await (const e of client.listEntities({ queryOptions: { filter: old, select: ['RowKey'] } }))
      markers.push(e.rowKey!);
    await deleteAll(markers);
    // An old alert goes only when every one of its deliveries is finished (sent or dead).
    const alerts = await this.listAlerts(tenantId, { limit: Number.MAX_SAFE_INTEGER });
    const cutoff = retention.deliveredBefore.toISOString();
    const rows: string[] = [];
    for (const { alert, deliveries } of alerts) {
      if (alert.createdAt >= cutoff || deliveries.some((d) => d.state === 'pending' || d.state === 'sending')) continue;
      rows.push(rk.alert(alert.id), ...deliveries.map((d) => rk.delivery(d.alertId, d.channelId)));
    }
    await deleteAll(rows);
    return { deleted };
  }
}
