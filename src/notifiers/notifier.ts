import type { Alert } from '../dispatch/alert';
import type { AlertEnrichment } from './enrichment';

/** What a notifier needs to know about one send attempt besides the alert itself. */
export interface DeliveryContext {
  /** Stable id of this (alert, channel) pair; shown on the card and sent as an idempotency key. */
  deliveryId: string;
  /** True when an earlier attempt may have reached the channel (crash between POST and record). */
  possibleDuplicate: boolean;
  attempt: number;
  abortSignal?: AbortSignal;
  /** CA details looked up once per alert before sending. */
  enrichment?: AlertEnrichment;
}

/** Outcome of a successful send. */
export interface DeliveryReceipt {
  status: number;
  /** e.g. "accepted" for a 202 that only means the flow was triggered. */
  detail: string;
}

/** A channel: builds its payload and sends it through the shared HTTP sender (or the Graph client, for mail). */
export interface Notifier {
  readonly channelId: string;
  readonly type: string;
  /** Pacing: at most this many sends per second to this channel. */
  readonly maxPerSecond: number;
  send(alert: Alert, context: DeliveryContext): Promise<DeliveryReceipt>;
}
