import type { Alert } from '../../dispatch/alert';
import type { DeliveryContext, DeliveryReceipt } from '../notifier';
import { postToChannel, UrlNotifier, type UrlNotifierOptions } from '../postToChannel';
import { signWebhook } from './standardWebhook';
import { buildWebhookPayload } from './webhookPayload';

export interface WebhookNotifierOptions extends UrlNotifierOptions {
  /** Signing keys from the `whsec_` secret(s) of the channel's secret setting. */
  keys: Buffer[];
  intunePortalUrl: string;
  /** WEBHOOK_ALLOWED_HOSTS and the development loopback flag. */
  urlPolicy: { extraAllowedHosts?: readonly string[]; allowLoopback?: boolean };
  clock?: () => Date;
}

/**
 * Posts alerts to a SIEM / SOAR endpoint as signed Standard Webhooks. The host must be on
 * WEBHOOK_ALLOWED_HOSTS, and the connection goes only to a checked public address (no DNS rebinding).
 * Success is 2xx only; 410 says the endpoint is gone (permanent).
 */
export class WebhookNotifier extends UrlNotifier<WebhookNotifierOptions> {
  readonly type = 'webhook';

  constructor(options: WebhookNotifierOptions) {
    super(options, 'webhook', 10);
  }

  async send(alert: Alert, context: DeliveryContext): Promise<DeliveryReceipt> {
    const { keys } = this.options;
    return postToChannel(
      this.target,
      () => {
        const body = buildWebhookPayload(alert, {
          deliveryId: context.deliveryId,
          possibleDuplicate: context.possibleDuplicate,
          intunePortalUrl: this.options.intunePortalUrl,
          enrichment: context.enrichment,
        });
        const timestamp = Math.floor((this.options.clock?.() ?? new Date()).getTime() / 1000);
        return { body, headers: signWebhook(keys, context.deliveryId, timestamp, body) };
      },
      {
        abortSignal: context.abortSignal,
        acceptAnyBody: true,
        pinPublicAddress: { allowLoopback: this.options.urlPolicy.allowLoopback === true },
      },
    );
  }
}
