import type { Alert } from '../../dispatch/alert';
import type { HttpSender } from '../httpSender';
import type { DeliveryContext, DeliveryReceipt, Notifier } from '../notifier';
import { postToChannel } from '../postToChannel';
import { checkWebhookUrl, type WebhookUrlCheck } from '../urlPolicy';
import { signWebhook } from './standardWebhook';
import { buildWebhookPayload } from './webhookPayload';

export interface WebhookNotifierOptions {
  channelId: string;
  url: string;
  /** Signing keys from the `whsec_` secret(s) of the channel's secret setting. */
  keys: Buffer[];
  sender: HttpSender;
  timeoutInMs: number;
  intunePortalUrl: string;
  /** WEBHOOK_ALLOWED_HOSTS and the development loopback flag. */
  urlPolicy: { extraAllowedHosts?: readonly string[]; allowLoopback?: boolean };
  clock?: () => Date;
  maxPerSecond?: number;
}

/**
 * Posts alerts to a SIEM / SOAR endpoint as signed Standard Webhooks. The host must be on
 * WEBHOOK_ALLOWED_HOSTS, and the connection goes only to a checked public address (no DNS rebinding).
 * Success is 2xx only; 410 says the endpoint is gone (permanent).
 */
export class WebhookNotifier implements Notifier {
  readonly type = 'webhook';
  readonly channelId: string;
  readonly maxPerSecond: number;
  private readonly urlCheck: WebhookUrlCheck;

  constructor(private readonly options: WebhookNotifierOptions) {
    this.channelId = options.channelId;
    this.maxPerSecond = options.maxPerSecond ?? 10;
    this.urlCheck = checkWebhookUrl(options.url, { kind: 'webhook', ...options.urlPolicy });
  }

  async send(alert: Alert, context: DeliveryContext): Promise<DeliveryReceipt> {
    const { keys } = this.options;
    return postToChannel({ ...this.options, urlCheck: this.urlCheck }, () => {
      const body = buildWebhookPayload(alert, { deliveryId: context.deliveryId, possibleDuplicate: context.possibleDuplicate, intunePortalUrl: this.options.intunePortalUrl, enrichment: context.enrichment });
      const timestamp = Math.floor((this.options.clock?.() ?? new Date()).getTime() / 1000);
      return { body, headers: signWebhook(keys, context.deliveryId, timestamp, body) };
    }, { abortSignal: context.abortSignal, acceptAnyBody: true, pinPublicAddress: { allowLoopback: this.options.urlPolicy.allowLoopback === true } });
  }
}
