import type { Alert } from './alert';
import type { ThresholdState } from '../rules/threshold';
import type { PendingAlert } from './alertAccumulator';

/** `suppressed`: recorded but deliberately not sent (realert suppression); final, like sent / failed / dead. */
export type DeliveryState = 'pending' | 'sending' | 'sent' | 'failed' | 'dead' | 'suppressed';

/** One (alert, channel) delivery record; `id` is stable across retries. */
export interface Delivery {
  id: string;
  alertId: string;
  channelId: string;
  state: DeliveryState;
  attempts: number;
  createdAt: string;
  nextAttemptAt: string;
  leaseUntil?: string;
  sentAt?: string;
  lastError?: string;
  lastStatus?: number;
  possibleDuplicate: boolean;
  /** Severity rank of the alert (0 = critical): due deliveries are sent most severe first. */
  priority: number;
  /** Set when the alert went out folded into a follow-up digest: the digest's delivery id. */
  digestId?: string;
  /** Why the delivery waits or was not sent (group window, realert suppression), for the status API. */
  note?: string;
  etag: string;
}

export type DeliveryUpdate = Partial<
  Pick<
    Delivery,
    | 'state'
    | 'attempts'
    | 'nextAttemptAt'
    | 'leaseUntil'
    | 'sentAt'
    | 'lastError'
    | 'lastStatus'
    | 'possibleDuplicate'
    | 'digestId'
    | 'note'
  >
>;

/** One match: a rule and an event. The unit of de-duplication: an event matching k rules is k matches. */
export interface MatchRef {
  ruleId: string;
  eventId: string;
  timeInMs: number;
}

/** The matches already recorded from some time on, and the version of the tenant's match set they were read at. */
export interface RecordedMatches {
  has(ruleId: string, eventId: string): boolean;
  /** Opaque; a write with a stale version is refused (`conflict`), so two runs never record one match twice. */
  version: string | undefined;
  size: number;
}

/** A threshold counter row of one (rule, group key), kept beside the matches it counted. */
export interface StoredCounter {
  ruleId: string;
  groupKey: string;
  state?: ThresholdState;
  lastEventAt: string;
  etag: string;
}

/**
 * What one atomic outbox write records: matches (each recorded once, as `recordedAs`), optionally the alert
 * they raise with its deliveries, optionally the threshold counter that counted them. All or nothing.
 */
export interface MatchWrite {
  matches: readonly MatchRef[];
  /** The alert id, `threshold:<rule>` for matches counted without firing, `quarantine:<id>`. */
  recordedAs: string;
  alert?: PendingAlert;
  channels?: readonly string[];
  counter?: {
    ruleId: string;
    groupKey: string;
    state: ThresholdState;
    lastEventAt: string;
    updatedAt: string;
    etag?: string;
  };
  /** Counters to drop in the same write (nothing left inside their window). */
  dropCounters?: readonly StoredCounter[];
}

/** An alert or delivery set aside because it could not be stored or built; listed and retried by the operator. */
export interface QuarantineItem {
  id: string;
  kind: 'alert' | 'delivery';
  ruleId: string;
  /** Redacted, one line. */
  reason: string;
  createdAt: string;
  matchCount: number;
  /** The alert, reduced to what can always be stored (no sample events if need be), for a retry. */
  alert?: Alert;
  channels: string[];
  /** For a delivery: which one. */
  deliveryId?: string;
  retries: number;
}

/**
 * The durable outbox: alerts, their deliveries and the matches already recorded, written before anything is
 * sent. A match write (matches + alert + deliveries + counter) is one transaction, so an alert never exists
 * without its deliveries or without all of its matches recorded, and a re-run never alerts a match twice.
 */
export interface Outbox {
  /** Every match recorded for events at or after `fromInMs` (one range query, after reading the version). */
  loadMatches(tenantId: string, fromInMs: number): Promise<RecordedMatches>;
  /** `conflict`: the version, the alert or the counter changed since read; nothing was written. */
  recordMatches(
    tenantId: string,
    write: MatchWrite,
    version: string | undefined,
  ): Promise<{ outcome: 'written'; version: string | undefined } | { outcome: 'conflict' }>;
  /** Every counter row of one rule: one query. */
  loadCounters(tenantId: string, ruleId: string): Promise<StoredCounter[]>;
  /** An alert that records no match (watchdog, notice, window summary); `conflict` when it already exists. */
  writeAlert(pending: PendingAlert, channelIds: readonly string[]): Promise<'created' | 'conflict'>;
  listDue(tenantId: string, now: Date): Promise<Delivery[]>;
  getAlert(tenantId: string, alertId: string): Promise<Alert | undefined>;
  /** Conditional update: undefined when the record changed since it was read (another run has it). */
  updateDelivery(tenantId: string, delivery: Delivery, update: DeliveryUpdate): Promise<Delivery | undefined>;
  listAlerts(tenantId: string, options?: { limit?: number }): Promise<{ alert: Alert; deliveries: Delivery[] }[]>;
  /** The matches a change window suppressed (alerts with `suppressedBy` = windowId). */
  listSuppressed(tenantId: string, windowId: string): Promise<Alert[]>;
  /** One alert with its deliveries, or undefined. */
  getAlertStatus(tenantId: string, alertId: string): Promise<{ alert: Alert; deliveries: Delivery[] } | undefined>;
  /** Sets an item aside (with the matches it covers recorded, so re-reads do not set it aside again). */
  quarantine(
    tenantId: string,
    item: QuarantineItem,
    matches: readonly MatchRef[],
    version: string | undefined,
  ): Promise<{ outcome: 'written'; version: string | undefined } | { outcome: 'conflict' }>;
  listQuarantine(tenantId: string): Promise<QuarantineItem[]>;
  /** Replaces (retry count) or removes (`undefined`) a quarantined item. */
  updateQuarantine(tenantId: string, id: string, item: QuarantineItem | undefined): Promise<void>;
  cleanup(
    tenantId: string,
    now: Date,
    retention: { seenBefore: Date; deliveredBefore: Date },
  ): Promise<{ deleted: number }>;
}

/** Deterministic delivery id, shown on cards and sent as an idempotency key. */
export const deliveryIdFor = (alertId: string, channelId: string): string => `${alertId}.${channelId}`;

/** The store refused the content of a write (Table Storage 400 / 413): the data, not the service, is the problem. */
export class UnstorableError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
  ) {
    super(message);
    this.name = 'UnstorableError';
  }
}
