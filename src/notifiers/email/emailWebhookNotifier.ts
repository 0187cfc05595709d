import type { Alert } from '../../dispatch/alert';
import type { DeliveryContext, DeliveryReceipt } from '../notifier';
import { postToChannel, UrlNotifier, type UrlNotifierOptions } from '../postToChannel';
import { buildEmail } from './emailBody';

/**
 * The JSON body posted to an email webhook (a Logic App "When a HTTP request is received" or Power
 * Automate HTTP trigger followed by "Send an email (V2)"). Documented in docs/channels.md; `deliveryId` is the
 * idempotency key (same for every attempt of one delivery).
 */
export interface EmailWebhookBody {
  alertId: string;
  deliveryId: string;
  severity: string;
  subject: string;
  to: string[];
  html: string;
  text: string;
}

/** `url` is the trigger URL with its `sig`. */
export interface EmailWebhookNotifierOptions extends UrlNotifierOptions {
  to: string[];
  intunePortalUrl: string;
}

/** Sends alerts as email through a Logic App / Power Automate HTTP trigger (docs/reference/alert-delivery.md §7). */
export class EmailWebhookNotifier extends UrlNotifier<EmailWebhookNotifierOptions> {
  readonly type = 'email-webhook';

  constructor(options: EmailWebhookNotifierOptions) {
    super(options, 'email-webhook', 4);
  }

  async send(alert: Alert, context: DeliveryContext): Promise<DeliveryReceipt> {
    // A Logic App's Response action may answer 200 with any body; only the status counts (acceptAnyBody).
    return postToChannel(
      this.target,
      () => {
        const email = buildEmail(alert, {
          deliveryId: context.deliveryId,
          possibleDuplicate: context.possibleDuplicate,
          intunePortalUrl: this.options.intunePortalUrl,
          enrichment: context.enrichment,
        });
        const body: EmailWebhookBody = {
          alertId: alert.id,
          deliveryId: context.deliveryId,
          severity: alert.severity,
          subject: email.subject,
          to: this.options.to,
          html: email.html,
          text: email.text,
        };
        return { body };
      },
      { abortSignal: context.abortSignal, acceptAnyBody: true },
    );
  }
}
