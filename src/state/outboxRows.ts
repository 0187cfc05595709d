import { randomUUID } from 'node:crypto';
import type { TransactionAction } from '@azure/data-tables';
import type { Alert } from '../dispatch/alert';
import { type Delivery, deliveryIdFor, type MatchRef, type QuarantineItem } from '../dispatch/outbox';
import { keyDigest, storableAlertText, storableEvents, storableJson, storableText } from '../dispatch/storable';
import { severityRank } from '../rules/alertRule';
import { chunk } from './tableClients';

// The Table outbox's rows (tableOutbox.ts): their RowKeys, and the conversions between entities and domain values.

// Row kinds share one partition per tenant so one transaction can hold an alert, its deliveries, the matches
// it records and the counter that counted them. Prefixes keep each kind a contiguous RowKey range:
//   a|<alert id>                      alert            d|<alert id>|<channel>   delivery
//   m|<newest event time>|<write>|<n> recorded matches (up to 1,000 per row, as digests of the event ids)
//   s|matches                         the version of the tenant's match set: every match write updates it
//   t|<rule>|<group key digest>       threshold counter q|<id>                   quarantined item
//   e|…                               markers of the old per-event design: only deleted by cleanup
// Keys never hold event text: event ids and group keys are digested, so no id is too long or has a bad character.
export const rk = {
  alert: (id: string) => `a|${id}`,
  delivery: (alertId: string, channelId: string) => `d|${alertId}|${channelId}`,
  matches: (newestInMs: number, writeId: string, n: number) =>
    `m|${new Date(newestInMs).toISOString()}|${writeId}|${n}`,
  version: 's|matches',
  counter: (ruleId: string, groupKey: string) => `t|${ruleId}|${keyDigest(groupKey)}`,
  quarantine: (id: string) => `q|${id}`,
};
export const matchesPerRow = 1_000;
/** Matches one write may carry: 60 rows, well inside a transaction's 100 entities and 4 MiB. */
export const maxMatchesPerWrite = 60_000;
export const matchKey = (ruleId: string, eventId: string) => `${ruleId}\u0000${keyDigest(eventId)}`;

export function alertEntity(alert: Alert) {
  const { json, reduced } = storableEvents(alert.events);
  const { events: _events, tenantId, notice, digest: _digest, ...rest } = alert;
  const text = storableAlertText(alert);
  return {
    partitionKey: tenantId,
    rowKey: rk.alert(alert.id),
    ...rest,
    ...text,
    ruleDescription: text.ruleDescription ?? '',
    eventsJson: json,
    ...(reduced ? { sampleReduced: true } : {}),
    ...(notice ? { noticeJson: storableJson(notice) } : {}),
  };
}

export function parseJson<T>(text: unknown, fallback: T): T {
  try {
    return typeof text === 'string' ? (JSON.parse(text) as T) : fallback;
  } catch {
    return fallback;
  }
}

export function toAlert(tenantId: string, e: Record<string, unknown>): Alert {
  return {
    id: String(e.id),
    tenantId,
    ...(typeof e.tenantName === 'string' && e.tenantName ? { tenantName: e.tenantName } : {}),
    ruleId: String(e.ruleId),
    ruleName: String(e.ruleName),
    severity: e.severity as Alert['severity'],
    ruleDescription: e.ruleDescription ? String(e.ruleDescription) : undefined,
    eventCount: Number(e.eventCount),
    // A row that cannot be parsed (written by an older version) still delivers: its counts, without samples.
    events: parseJson<Alert['events']>(e.eventsJson, []),
    firstEventTime: String(e.firstEventTime),
    lastEventTime: String(e.lastEventTime),
    createdAt: String(e.createdAt),
    ...(e.kind === 'notice' || e.kind === 'test' || e.kind === 'watchdog' ? { kind: e.kind } : {}),
    ...(typeof e.groupKey === 'string' && e.groupKey ? { groupKey: e.groupKey } : {}),
    ...(typeof e.runbookUrl === 'string' && e.runbookUrl ? { runbookUrl: e.runbookUrl } : {}),
    ...(typeof e.realertInMinutes === 'number' ? { realertInMinutes: e.realertInMinutes } : {}),
    ...(typeof e.noticeJson === 'string' && parseJson(e.noticeJson, undefined)
      ? { notice: parseJson(e.noticeJson, undefined) }
      : {}),
    ...(e.sampleReduced === true ? { sampleReduced: true } : {}),
    ...(e.groupWindow === 'none' || typeof e.groupWindow === 'number' ? { groupWindow: e.groupWindow } : {}),
    ...(typeof e.suppressedBy === 'string' && e.suppressedBy ? { suppressedBy: e.suppressedBy } : {}),
  };
}

export function toDelivery(e: Record<string, unknown> & { etag: string }): Delivery {
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
/** The rows recording `matches` as `recordedAs`: per rule, up to 1,000 event-id digests a row, keyed by the newest event. */
export function matchRows(tenantId: string, matches: readonly MatchRef[], recordedAs: string): TransactionAction[] {
  if (matches.length > maxMatchesPerWrite)
    throw new Error(`one write records at most ${maxMatchesPerWrite} matches (got ${matches.length})`);
  const byRule = new Map<string, MatchRef[]>();
  for (const m of matches) byRule.set(m.ruleId, [...(byRule.get(m.ruleId) ?? []), m]);
  const writeId = randomUUID().slice(0, 8);
  const out: TransactionAction[] = [];
  let n = 0;
  for (const [ruleId, refs] of byRule) {
    const sorted = [...refs].sort((a, b) => a.timeInMs - b.timeInMs);
    for (const part of chunk(sorted, matchesPerRow)) {
      const newest = part[part.length - 1].timeInMs;
      out.push([
        'create',
        {
          partitionKey: tenantId,
          rowKey: rk.matches(newest, writeId, n++),
          ruleId,
          recordedAs: storableText(recordedAs, 200),
          keys: part.map((m) => keyDigest(m.eventId)).join(''),
          count: part.length,
        },
      ]);
    }
  }
  return out;
}

export function quarantineEntity(tenantId: string, item: QuarantineItem) {
  // The item is reduced until it fits: the sample events go first, the counts and ids always stay.
  let stored: QuarantineItem = { ...item, reason: storableText(item.reason, 2_000) };
  if (stored.alert) {
    const { events } = storableEvents(stored.alert.events, 20_000);
    stored = { ...stored, alert: { ...stored.alert, ...storableAlertText(stored.alert), events } };
  }
  let itemJson = storableJson(stored);
  if (itemJson.length > 30_000 && stored.alert)
    itemJson = storableJson({
      ...stored,
      alert: { ...stored.alert, events: [], ruleDescription: storableText(stored.alert.ruleDescription ?? '', 2_000) },
    });
  return {
    partitionKey: tenantId,
    rowKey: rk.quarantine(item.id),
    kind: item.kind,
    ruleId: item.ruleId,
    createdAt: item.createdAt,
    itemJson,
  };
}

export const unescapeLegacy = (s: string) =>
  s.replace(/%([0-9a-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));

export const oneLine = (err: unknown) =>
  storableText(String(err instanceof Error ? err.message : err).replace(/\s+/g, ' '), 300);
