import { odata, type TableClient, type TransactionAction } from '@azure/data-tables';
import type { Alert } from '../dispatch/alert';
import type { EventKey, PendingAlert } from '../dispatch/alertAccumulator';
import { type Delivery, type DeliveryUpdate, deliveryIdFor, type Outbox, type SeenEvents } from '../dispatch/outbox';
import { severityRank } from '../rules/alertRule';
import { chunk, statusOf, type TableClients, tableNames } from './tableClients';

// Row kinds share one partition per tenant so one transaction can hold an alert, its deliveries and the
// event markers it claims. Prefixes keep each kind a contiguous RowKey range.
// RowKeys may not contain / \\ # ? or control characters; event ids come from Graph, so escape them.
const safeKey = (s: string) => s.replace(/[%/\\#?\u0000-\u001f\u007f-\u009f]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
const rk = {
  alert: (id: string) => `a|${id}`,
  delivery: (alertId: string, channelId: string) => `d|${alertId}|${channelId}`,
  event: (k: EventKey) => `e|${new Date(k.timeInMs).toISOString()}|${safeKey(k.id)}`,
};
const maxJsonChars = 30_000; // a Table string property holds 32K UTF-16 characters

function alertEntity(alert: Alert) {
  const sample = [...alert.events];
  let eventsJson = JSON.stringify(sample);
  while (eventsJson.length > maxJsonChars && sample.length > 1) {
    sample.pop();
    eventsJson = JSON.stringify(sample);
  }
  const { events: _events, tenantId, notice, digest: _digest, ...rest } = alert;
  return { partitionKey: tenantId, rowKey: rk.alert(alert.id), ...rest, ruleDescription: alert.ruleDescription ?? '', eventsJson: eventsJson.slice(0, maxJsonChars), ...(notice ? { noticeJson: JSON.stringify(notice) } : {}) };
}

function toAlert(tenantId: string, e: Record<string, unknown>): Alert {
  return {
    id: String(e.id),
    tenantId,
    ruleId: String(e.ruleId),
    ruleName: String(e.ruleName),
    severity: e.severity as Alert['severity'],
    ruleDescription: e.ruleDescription ? String(e.ruleDescription) : undefined,
    eventCount: Number(e.eventCount),
    events: JSON.parse(String(e.eventsJson ?? '[]')),
    firstEventTime: String(e.firstEventTime),
    lastEventTime: String(e.lastEventTime),
    createdAt: String(e.createdAt),
    ...(e.kind === 'notice' || e.kind === 'test' || e.kind === 'watchdog' ? { kind: e.kind } : {}),
    ...(typeof e.groupKey === 'string' && e.groupKey ? { groupKey: e.groupKey } : {}),
    ...(typeof e.runbookUrl === 'string' && e.runbookUrl ? { runbookUrl: e.runbookUrl } : {}),
    ...(typeof e.realertInMinutes === 'number' ? { realertInMinutes: e.realertInMinutes } : {}),
    ...(typeof e.noticeJson === 'string' ? { notice: JSON.parse(e.noticeJson) } : {}),
    ...(typeof e.suppressedBy === 'string' && e.suppressedBy ? { suppressedBy: e.suppressedBy } : {}),
  };
}

function toDelivery(e: Record<string, unknown> & { etag: string }): Delivery {
  return {
    id: deliveryIdFor(String(e.alertId), String(e.channelId)),
    alertId: String(e.alertId),
    channelId: String(e.channelId),
    state: e.state as Delivery['state'],
    attempts: Number(e.attempts ?? 0),
    createdAt: String(e.createdAt),
    nextAttemptAt: String(e.nextAttemptAt),
    leaseUntil: e.leaseUntil ? String(e.leaseUntil) : undefined,
    sentAt: e.sentAt ? String(e.sentAt) : undefined,
    lastError: e.lastError ? String(e.lastError) : undefined,
    lastStatus: typeof e.lastStatus === 'number' ? e.lastStatus : undefined,
    possibleDuplicate: e.possibleDuplicate === true,
    priority: typeof e.priority === 'number' ? e.priority : severityRank.low,
    ...(e.digestId ? { digestId: String(e.digestId) } : {}),
    ...(e.note ? { note: String(e.note) } : {}),
    etag: e.etag,
  };
}

/** The outbox in the `AlertOutbox` table (see Outbox for the guarantees). */
export class TableOutbox implements Outbox {
  constructor(private readonly tables: TableClients) {}

  private client(): Promise<TableClient> {
    return this.tables.get(tableNames.outbox);
  }

  async filterUnseen(tenantId: string, keys: readonly EventKey[]): Promise<EventKey[]> {
    if (keys.length === 0) return [];
    let min = Infinity;
    let max = -Infinity;
    for (const k of keys) {
      min = Math.min(min, k.timeInMs);
      max = Math.max(max, k.timeInMs);
    }
    const seen = (await this.markersIn(tenantId, min, max, Number.POSITIVE_INFINITY))!;
    return keys.filter((k) => !seen.has(rk.event(k)));
  }

  async loadSeen(tenantId: string, fromInMs: number, toInMs: number, limit: number): Promise<SeenEvents | undefined> {
    const seen = await this.markersIn(tenantId, fromInMs, toInMs, limit);
    return seen && { has: (k: EventKey) => seen.has(rk.event(k)) };
  }

  /** Row keys of the event markers in a time range (one range query); undefined past `limit`. */
  private async markersIn(tenantId: string, fromInMs: number, toInMs: number, limit: number): Promise<Set<string> | undefined> {
    const client = await this.client();
    const seen = new Set<string>();
    const from = `e|${new Date(fromInMs).toISOString()}|`;
    const to = `e|${new Date(toInMs).toISOString()}|~`;
    const filter = odata`PartitionKey eq ${tenantId} and RowKey ge ${from} and RowKey le ${to}`;
    for await (const e of client.listEntities({ queryOptions: { filter, select: ['RowKey'] } })) {
      seen.add(e.rowKey!);
      if (seen.size > limit) return undefined;
    }
    return seen;
  }

  async writeAlert(pending: PendingAlert, channelIds: readonly string[]): Promise<'created' | 'conflict'> {
    const client = await this.client();
    const { alert } = pending;
    const pk = alert.tenantId;
    const now = alert.createdAt;
    const head: TransactionAction[] = [['create', alertEntity(alert)]];
    for (const channelId of channelIds) {
      head.push(['create', { partitionKey: pk, rowKey: rk.delivery(alert.id, channelId), alertId: alert.id, channelId, priority: severityRank[alert.severity], state: 'pending', attempts: 0, createdAt: now, nextAttemptAt: now, possibleDuplicate: false }]);
    }
    const markers = pending.eventKeys.map((k) => ({ partitionKey: pk, rowKey: rk.event(k), alertId: alert.id }));
    const inHead = markers.slice(0, 100 - head.length);
    head.push(...inHead.map((m): TransactionAction => ['create', m]));
    try {
      await client.submitTransaction(head);
    } catch (err) {
      // 409: the alert or one of its events is already recorded; the whole transaction rolled back.
      if (statusOf(err) === 409) return 'conflict';
      throw err;
    }
    // The alert exists now; the remaining markers are idempotent upserts. A crash here leaves some events
    // unmarked, and the next run alerts them as a continuation: never lost, never counted twice.
    for (const part of chunk(markers.slice(inHead.length))) await client.submitTransaction(part.map((m) => ['upsert', m, 'Replace']));
    return 'created';
  }

  async listDue(tenantId: string, now: Date): Promise<Delivery[]> {
    const client = await this.client();
    const filter = odata`PartitionKey eq ${tenantId} and RowKey ge 'd|' and RowKey lt 'd}' and (state eq 'pending' or state eq 'sending')`;
    const due: Delivery[] = [];
    const nowIso = now.toISOString();
    for await (const e of client.listEntities<Record<string, unknown>>({ queryOptions: { filter } })) {
      const d = toDelivery(e as Record<string, unknown> & { etag: string });
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
      const res = await client.updateEntity({ partitionKey: tenantId, rowKey: rk.delivery(delivery.alertId, delivery.channelId), ...patch }, 'Merge', { etag: delivery.etag });
      return { ...delivery, ...update, etag: res.etag ?? delivery.etag };
    } catch (err) {
      if (statusOf(err) === 412 || statusOf(err) === 404) return undefined;
      throw err;
    }
  }

  async listAlerts(tenantId: string, options: { limit?: number } = {}): Promise<{ alert: Alert; deliveries: Delivery[] }[]> {
    const client = await this.client();
    const alerts = new Map<string, { alert: Alert; deliveries: Delivery[] }>();
    const filter = odata`PartitionKey eq ${tenantId} and RowKey ge 'a|' and RowKey lt 'e|'`;
    for await (const e of client.listEntities<Record<string, unknown>>({ queryOptions: { filter } })) {
      if (e.rowKey!.startsWith('a|')) {
        const alert = toAlert(tenantId, e);
        alerts.set(alert.id, { alert, deliveries: alerts.get(alert.id)?.deliveries ?? [] });
      } else {
        const d = toDelivery(e as Record<string, unknown> & { etag: string });
        const entry = alerts.get(d.alertId);
        if (entry) entry.deliveries.push(d);
      }
    }
    return [...alerts.values()].sort((a, b) => b.alert.createdAt.localeCompare(a.alert.createdAt)).slice(0, options.limit ?? 100);
  }

  async markSeen(tenantId: string, keys: readonly EventKey[], note: string): Promise<void> {
    if (keys.length === 0) return;
    const client = await this.client();
    const markers = keys.map((k) => ({ partitionKey: tenantId, rowKey: rk.event(k), alertId: note }));
    for (const part of chunk(markers)) await client.submitTransaction(part.map((m): TransactionAction => ['upsert', m, 'Replace']));
  }

  async listSuppressed(tenantId: string, windowId: string): Promise<Alert[]> {
    const client = await this.client();
    const filter = odata`PartitionKey eq ${tenantId} and RowKey ge 'a|' and RowKey lt 'a}' and suppressedBy eq ${windowId}`;
    const out: Alert[] = [];
    for await (const e of client.listEntities<Record<string, unknown>>({ queryOptions: { filter } })) out.push(toAlert(tenantId, e));
    return out;
  }

  async getAlertStatus(tenantId: string, alertId: string): Promise<{ alert: Alert; deliveries: Delivery[] } | undefined> {
    const alert = await this.getAlert(tenantId, alertId);
    if (!alert) return undefined;
    const client = await this.client();
    const from = rk.delivery(alertId, '');
    const filter = odata`PartitionKey eq ${tenantId} and RowKey ge ${from} and RowKey lt ${`${from}~`}`;
    const deliveries: Delivery[] = [];
    for await (const e of client.listEntities<Record<string, unknown>>({ queryOptions: { filter } })) deliveries.push(toDelivery(e as Record<string, unknown> & { etag: string }));
    return { alert, deliveries };
  }

  async cleanup(tenantId: string, _now: Date, retention: { seenBefore: Date; deliveredBefore: Date }): Promise<{ deleted: number }> {
    const client = await this.client();
    let deleted = 0;
    const deleteAll = async (rowKeys: string[]) => {
      for (const part of chunk(rowKeys)) {
        await client.submitTransaction(part.map((rowKey) => ['delete', { partitionKey: tenantId, rowKey }]));
        deleted += part.length;
      }
    };
    const seenCutoff = `e|${retention.seenBefore.toISOString()}`;
    const markers: string[] = [];
    for await (const e of client.listEntities({ queryOptions: { filter: odata`PartitionKey eq ${tenantId} and RowKey ge 'e|' and RowKey lt ${seenCutoff}`, select: ['RowKey'] } })) markers.push(e.rowKey!);
    await deleteAll(markers);
    // An old alert goes only when every one of its deliveries is finished (sent or dead).
    const old = await this.listAlerts(tenantId, { limit: Number.MAX_SAFE_INTEGER });
    const cutoff = retention.deliveredBefore.toISOString();
    const rows: string[] = [];
    for (const { alert, deliveries } of old) {
      if (alert.createdAt >= cutoff || deliveries.some((d) => d.state === 'pending' || d.state === 'sending')) continue;
      rows.push(rk.alert(alert.id), ...deliveries.map((d) => rk.delivery(d.alertId, d.channelId)));
    }
    await deleteAll(rows);
    return { deleted };
  }
}
