import type { Alert } from '../../dispatch/alert';
import type { HttpSender } from '../httpSender';
import type { DeliveryContext, DeliveryReceipt, Notifier } from '../notifier';
import { postToChannel } from '../postToChannel';
import { checkWebhookUrl, type WebhookUrlCheck } from '../urlPolicy';
import { buildEmail } from './emailBody';

/**
 * The JSON body posted to an email webhook (a Logic App "When a HTTP request is received" or Power
 * Automate HTTP trigger followed by "Send an email (V2)"). Documented in the README; `deliveryId` is the
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

export interface EmailWebhookNotifierOptions {
  channelId: string;
  /** Trigger URL with its `sig`: a secret, never in a message. */
  url: string;
  to: string[];
  sender: HttpSender;
  timeoutInMs: number;
  intunePortalUrl: string;
  urlPolicy?: { extraAllowedHosts?: readonly string[]; allowLoopback?: boolean };
  maxPerSecond?: number;
}

/** Sends alerts as email through a Logic App / Power Automate HTTP trigger (docs/alert-delivery.md §7). */
export class EmailWebhookNotifier implements Notifier {
  readonly type = 'email-webhook';
  readonly channelId: string;
  readonly maxPerSecond: number;
  private readonly urlCheck: WebhookUrlCheck;

  constructor(private readonly options: EmailWebhookNotifierOptions) {
    this.channelId = options.channelId;
    this.maxPerSecond = options.maxPerSecond ?? 4;
    this.urlCheck = checkWebhookUrl(options.url, { kind: 'email-webhook', ...options.urlPolicy });
  }

  async send(alert: Alert, context: DeliveryContext): Promise<DeliveryReceipt> {
    // A Logic App's Response action may answer 200 with any body; only the status counts (acceptAnyBody).
    return postToChannel({ ...this.options, urlCheck: this.urlCheck }, () => {
      const email = buildEmail(alert, { deliveryId: context.deliveryId, possibleDuplicate: context.possibleDuplicate, intunePortalUrl: this.options.intunePortalUrl, enrichment: context.enrichment });
      const body: EmailWebhookBody = { alertId: alert.id, deliveryId: context.deliveryId, severity: alert.severity, subject: email.subject, to: this.options.to, html: email.html, text: email.text };
      return { body };
    }, { abortSignal: context.abortSignal, acceptAnyBody: true });
  }
}
