import type { Alert } from './alert';
import type { EventKey, PendingAlert } from './alertAccumulator';

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

export type DeliveryUpdate = Partial<Pick<Delivery, 'state' | 'attempts' | 'nextAttemptAt' | 'leaseUntil' | 'sentAt' | 'lastError' | 'lastStatus' | 'possibleDuplicate' | 'digestId' | 'note'>>;

/**
 * The durable outbox: alerts, their deliveries and the ids of events already alerted, written before
 * anything is sent. Alert + deliveries + the first event ids go in one transaction, so an alert never
 * exists without its deliveries and a re-run recognises events it already alerted on.
 */
export interface Outbox {
  /** The subset of `keys` not yet recorded as alerted. */
  filterUnseen(tenantId: string, keys: readonly EventKey[]): Promise<EventKey[]>;
  /**
   * Every event already alerted in a time range, loaded with one range query, so a run checks re-read
   * events without a query per page. Undefined when more than `limit` (the caller then asks per page).
   */
  loadSeen(tenantId: string, fromInMs: number, toInMs: number, limit: number): Promise<SeenEvents | undefined>;
  /** `conflict` when another run already wrote this alert or claimed one of its events (nothing written). */
  writeAlert(pending: PendingAlert, channelIds: readonly string[]): Promise<'created' | 'conflict'>;
  listDue(tenantId: string, now: Date): Promise<Delivery[]>;
  getAlert(tenantId: string, alertId: string): Promise<Alert | undefined>;
  /** Conditional update: undefined when the record changed since it was read (another run has it). */
  updateDelivery(tenantId: string, delivery: Delivery, update: DeliveryUpdate): Promise<Delivery | undefined>;
  listAlerts(tenantId: string, options?: { limit?: number }): Promise<{ alert: Alert; deliveries: Delivery[] }[]>;
  /** Records events as processed without an alert (e.g. counted by a threshold rule): idempotent. */
  markSeen(tenantId: string, keys: readonly EventKey[], note: string): Promise<void>;
  /** The matches a change window suppressed (alerts with `suppressedBy` = windowId). */
  listSuppressed(tenantId: string, windowId: string): Promise<Alert[]>;
  /** One alert with its deliveries, or undefined. */
  getAlertStatus(tenantId: string, alertId: string): Promise<{ alert: Alert; deliveries: Delivery[] } | undefined>;
  cleanup(tenantId: string, now: Date, retention: { seenBefore: Date; deliveredBefore: Date }): Promise<{ deleted: number }>;
}

/** A loaded set of already-alerted events. */
export interface SeenEvents {
  has(key: EventKey): boolean;
}

/** Deterministic delivery id, shown on cards and sent as an idempotency key. */
export const deliveryIdFor = (alertId: string, channelId: string): string => `${alertId}.${channelId}`;
