import type { Alert } from '../../src/dispatch/alert';
import type { PendingAlert } from '../../src/dispatch/alertAccumulator';
import {
  type Delivery,
  type DeliveryUpdate,
  deliveryIdFor,
  type MatchRef,
  type MatchWrite,
  type Outbox,
  type QuarantineItem,
  type RecordedMatches,
  type StoredCounter,
  UnstorableError,
} from '../../src/dispatch/outbox';
import { severityRank } from '../../src/rules/alertRule';
// The adapter's row layout limits, imported so the fake cannot drift from them.
import { matchesPerRow, maxMatchesPerWrite } from '../../src/state/outboxRows';

type Versioned = { outcome: 'written'; version: string | undefined } | { outcome: 'conflict' };

/** One recorded-matches row: like the Table adapter's, up to 1,000 matches of one rule, dated by the newest. */
interface MatchRow {
  ruleId: string;
  newestInMs: number;
  eventIds: string[];
  recordedAs: string;
}

interface Partition {
  version?: string;
  alerts: Map<string, Alert>;
  /** By `alertId|channelId`, like the adapter's RowKey order. */
  deliveries: Map<string, Delivery>;
  matchRows: MatchRow[];
  counters: Map<string, StoredCounter>;
  quarantine: Map<string, QuarantineItem>;
}

const maxActions = 100;
const clone = <T>(value: T): T => structuredClone(value);
const counterKey = (ruleId: string, groupKey: string) => `${ruleId}\u0000${groupKey}`;
const deliveryKey = (alertId: string, channelId: string) => `${alertId}|${channelId}`;

/**
 * The Outbox in memory, with the Table adapter's semantics (test/contracts/outboxContract.ts runs the same suite
 * against both): one tenant's writes are all-or-nothing, the match-set version and the counters are
 * ETag-guarded, deliveries are claimed by ETag, reads return copies. Not modelled: the storable reduction of
 * large text (documents are kept as given) and the legacy per-event markers.
 *
 * `refuse` makes a write fail as Table Storage does for content it cannot store (UnstorableError), so the
 * quarantine path runs without Azurite; `writes` counts the transactions, like RequestCounter.
 */
export class InMemoryOutbox implements Outbox {
  private readonly tenants = new Map<string, Partition>();
  private etags = 0;
  writes = 0;
  refuse?: (
    write:
      | { kind: 'matches'; write: MatchWrite }
      | { kind: 'alert'; pending: PendingAlert }
      | { kind: 'quarantine'; item: QuarantineItem },
  ) => boolean;

  private partition(tenantId: string): Partition {
    let p = this.tenants.get(tenantId);
    if (!p)
      this.tenants.set(
        tenantId,
        (p = { alerts: new Map(), deliveries: new Map(), matchRows: [], counters: new Map(), quarantine: new Map() }),
      );
    return p;
  }

  private nextEtag(): string {
    return `W/"mem-${++this.etags}"`;
  }

  async loadMatches(tenantId: string, fromInMs: number): Promise<RecordedMatches> {
    const p = this.partition(tenantId);
    const version = p.version;
    const seen = new Set<string>();
    for (const row of p.matchRows)
      if (row.newestInMs >= Math.max(0, fromInMs)) for (const id of row.eventIds) seen.add(counterKey(row.ruleId, id));
    return { has: (ruleId, eventId) => seen.has(counterKey(ruleId, eventId)), version, size: seen.size };
  }

  async recordMatches(tenantId: string, write: MatchWrite, version: string | undefined): Promise<Versioned> {
    if (this.refuse?.({ kind: 'matches', write }))
      throw new UnstorableError('Table Storage refused the write (400): refused by the test', 400);
    const p = this.partition(tenantId);
    const rows = toRows(write.matches, write.recordedAs);
    const actions =
      rows.length +
      (write.counter ? 1 : 0) +
      (write.dropCounters?.length ?? 0) +
      (write.alert ? 1 + (write.channels?.length ?? 0) : 0);
    if (actions + 1 > maxActions) throw new Error(`an outbox write of ${actions} rows does not fit one transaction`);
    // Every check first: any failed precondition writes nothing (the Table transaction rolls back).
    if (!this.versionHolds(p, version)) return { outcome: 'conflict' };
    if (write.counter) {
      const stored = p.counters.get(counterKey(write.counter.ruleId, write.counter.groupKey));
      if (write.counter.etag ? stored?.etag !== write.counter.etag : stored !== undefined)
        return { outcome: 'conflict' };
    }
    for (const d of write.dropCounters ?? [])
      if (!p.counters.has(counterKey(d.ruleId, d.groupKey))) return { outcome: 'conflict' };
    if (write.alert && !this.alertFits(p, write.alert, write.channels ?? [])) return { outcome: 'conflict' };
    this.writes++;
    if (write.counter) {
      const c = write.counter;
      p.counters.set(counterKey(c.ruleId, c.groupKey), {
        ruleId: c.ruleId,
        groupKey: c.groupKey,
        state: clone(c.state),
        lastEventAt: c.lastEventAt,
        etag: this.nextEtag(),
      });
    }
    for (const d of write.dropCounters ?? []) p.counters.delete(counterKey(d.ruleId, d.groupKey));
    if (write.alert) this.putAlert(p, write.alert, write.channels ?? []);
    p.matchRows.push(...rows);
    return { outcome: 'written', version: (p.version = this.nextEtag()) };
  }

  async quarantine(
    tenantId: string,
    item: QuarantineItem,
    matches: readonly MatchRef[],
    version: string | undefined,
  ): Promise<Versioned> {
    if (this.refuse?.({ kind: 'quarantine', item }))
      throw new UnstorableError('Table Storage refused the write (400): refused by the test', 400);
    const p = this.partition(tenantId);
    const rows = toRows(matches, `quarantine:${item.id}`);
    if (rows.length + 2 > maxActions)
      throw new Error(`an outbox write of ${rows.length + 1} rows does not fit one transaction`);
    if (!this.versionHolds(p, version)) return { outcome: 'conflict' };
    this.writes++;
    p.quarantine.set(item.id, clone(item));
    p.matchRows.push(...rows);
    return { outcome: 'written', version: (p.version = this.nextEtag()) };
  }

  async loadCounters(tenantId: string, ruleId: string): Promise<StoredCounter[]> {
    return [...this.partition(tenantId).counters.values()].filter((c) => c.ruleId === ruleId).map(clone);
  }

  async writeAlert(pending: PendingAlert, channelIds: readonly string[]): Promise<'created' | 'conflict'> {
    if (this.refuse?.({ kind: 'alert', pending }))
      throw new UnstorableError('Table Storage refused the alert (400): refused by the test', 400);
    const p = this.partition(pending.alert.tenantId);
    if (!this.alertFits(p, pending, channelIds)) return 'conflict';
    this.writes++;
    this.putAlert(p, pending, channelIds);
    return 'created';
  }

  async listDue(tenantId: string, now: Date): Promise<Delivery[]> {
    const nowIso = now.toISOString();
    const due = this.sortedDeliveries(this.partition(tenantId)).filter((d) =>
      d.state === 'pending' ? d.nextAttemptAt <= nowIso : d.state === 'sending' && (d.leaseUntil ?? '') <= nowIso,
    );
    return due.sort((a, b) => a.priority - b.priority || a.createdAt.localeCompare(b.createdAt)).map(clone);
  }

  async getAlert(tenantId: string, alertId: string): Promise<Alert | undefined> {
    const alert = this.partition(tenantId).alerts.get(alertId);
    return alert && clone(alert);
  }

  async updateDelivery(tenantId: string, delivery: Delivery, update: DeliveryUpdate): Promise<Delivery | undefined> {
    const p = this.partition(tenantId);
    const key = deliveryKey(delivery.alertId, delivery.channelId);
    const stored = p.deliveries.get(key);
    if (!stored || stored.etag !== delivery.etag) return undefined;
    // A Merge: fields given as undefined keep their stored value (the returned copy shows them undefined, like the adapter's).
    const patch = Object.fromEntries(Object.entries(update).filter(([, v]) => v !== undefined)) as DeliveryUpdate;
    const etag = this.nextEtag();
    this.writes++;
    p.deliveries.set(key, { ...stored, ...patch, etag });
    return { ...delivery, ...update, etag };
  }

  async listAlerts(
    tenantId: string,
    options: { limit?: number } = {},
  ): Promise<{ alert: Alert; deliveries: Delivery[] }[]> {
    const p = this.partition(tenantId);
    const all = [...p.alerts.values()]
      .sort((a, b) => a.id.localeCompare(b.id))
      .map((alert) => ({ alert: clone(alert), deliveries: this.deliveriesOf(p, alert.id) }));
    return all.sort((a, b) => b.alert.createdAt.localeCompare(a.alert.createdAt)).slice(0, options.limit ?? 100);
  }

  async listSuppressed(tenantId: string, windowId: string): Promise<Alert[]> {
    return [...this.partition(tenantId).alerts.values()]
      .filter((a) => a.suppressedBy === windowId)
      .sort((a, b) => a.id.localeCompare(b.id))
      .map(clone);
  }

  async getAlertStatus(
    tenantId: string,
    alertId: string,
  ): Promise<{ alert: Alert; deliveries: Delivery[] } | undefined> {
    const p = this.partition(tenantId);
    const alert = p.alerts.get(alertId);
    return alert && { alert: clone(alert), deliveries: this.deliveriesOf(p, alertId) };
  }

  async listQuarantine(tenantId: string): Promise<QuarantineItem[]> {
    return [...this.partition(tenantId).quarantine.values()]
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt))
      .map(clone);
  }

  async updateQuarantine(tenantId: string, id: string, item: QuarantineItem | undefined): Promise<void> {
    const p = this.partition(tenantId);
    if (item) p.quarantine.set(item.id, clone(item));
    else p.quarantine.delete(id);
  }

  async cleanup(
    tenantId: string,
    _now: Date,
    retention: { seenBefore: Date; deliveredBefore: Date },
  ): Promise<{ deleted: number }> {
    const p = this.partition(tenantId);
    const seenBefore = retention.seenBefore.toISOString();
    const kept = p.matchRows.filter((row) => new Date(row.newestInMs).toISOString() >= seenBefore);
    let deleted = p.matchRows.length - kept.length;
    p.matchRows = kept;
    // An old alert goes only when every one of its deliveries is finished.
    const cutoff = retention.deliveredBefore.toISOString();
    for (const alert of [...p.alerts.values()]) {
      const deliveries = this.deliveriesOf(p, alert.id);
      if (alert.createdAt >= cutoff || deliveries.some((d) => d.state === 'pending' || d.state === 'sending')) continue;
      p.alerts.delete(alert.id);
      for (const d of deliveries) p.deliveries.delete(deliveryKey(d.alertId, d.channelId));
      deleted += 1 + deliveries.length;
    }
    return { deleted };
  }

  private versionHolds(p: Partition, version: string | undefined): boolean {
    return version === undefined ? p.version === undefined : p.version === version;
  }

  private alertFits(p: Partition, pending: PendingAlert, channelIds: readonly string[]): boolean {
    return (
      !p.alerts.has(pending.alert.id) && channelIds.every((c) => !p.deliveries.has(deliveryKey(pending.alert.id, c)))
    );
  }

  private putAlert(p: Partition, pending: PendingAlert, channelIds: readonly string[]): void {
    // The adapter keeps no digest on the stored row (it is rebuilt at delivery time).
    const { digest: _digest, ...alert } = clone(pending.alert);
    p.alerts.set(alert.id, alert);
    for (const channelId of channelIds) {
      const at = alert.createdAt;
      p.deliveries.set(deliveryKey(alert.id, channelId), {
        id: deliveryIdFor(alert.id, channelId),
        alertId: alert.id,
        channelId,
        state: 'pending',
        attempts: 0,
        createdAt: at,
        nextAttemptAt: at,
        possibleDuplicate: false,
        priority: severityRank[alert.severity],
        etag: this.nextEtag(),
      });
    }
  }

  private sortedDeliveries(p: Partition): Delivery[] {
    return [...p.deliveries.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, d]) => d);
  }

  private deliveriesOf(p: Partition, alertId: string): Delivery[] {
    return this.sortedDeliveries(p)
      .filter((d) => d.alertId === alertId)
      .map(clone);
  }
}

/** The rows recording `matches`: per rule, oldest first, up to 1,000 a row (the adapter's layout, so cleanup deletes the same). */
function toRows(matches: readonly MatchRef[], recordedAs: string): MatchRow[] {
  if (matches.length > maxMatchesPerWrite)
    throw new Error(`one write records at most ${maxMatchesPerWrite} matches (got ${matches.length})`);
  const byRule = new Map<string, MatchRef[]>();
  for (const m of matches) byRule.set(m.ruleId, [...(byRule.get(m.ruleId) ?? []), m]);
  const rows: MatchRow[] = [];
  for (const [ruleId, refs] of byRule) {
    const sorted = [...refs].sort((a, b) => a.timeInMs - b.timeInMs);
    for (let i = 0; i < sorted.length; i += matchesPerRow) {
      const part = sorted.slice(i, i + matchesPerRow);
      rows.push({
        ruleId,
        newestInMs: part[part.length - 1].timeInMs,
        eventIds: part.map((m) => m.eventId),
        recordedAs,
      });
    }
  }
  return rows;
}
