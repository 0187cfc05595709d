import { type Client, ResponseType } from '@microsoft/microsoft-graph-client';
import type { Alert } from '../../dispatch/alert';
import { DeliveryError } from '../../shared/errors';
import { classifyResponse, maxResponseBodyBytes, toDeliveryError } from '../httpSender';
import type { DeliveryContext, DeliveryReceipt, Notifier } from '../notifier';
import { buildEmail } from './emailBody';

export interface GraphMailNotifierOptions {
  channelId: string;
  /** The sender mailbox (UPN or object id); the app needs Mail.Send scoped to it with Exchange RBAC for Applications. */
  mailbox: string;
  to: string[];
  /** The app's Graph client (auth, per-attempt timeout; built without retries: the outbox retries). */
  graph: Client;
  intunePortalUrl: string;
  maxPerSecond?: number;
}

const hints: Record<number, string> = {
  401: 'Graph rejected the token',
  403: 'the app may not send as this mailbox: grant Mail.Send with Exchange RBAC for Applications',
  404: 'the mailbox does not exist',
};

/**
 * Sends alerts as email with Graph `POST /users/{mailbox}/sendMail` (docs/reference/alert-delivery.md §7). A 202 only
 * means accepted. Graph has no idempotency key: the delivery id goes in an `x-alert-id` header so a
 * resend is recognisable.
 */
export class GraphMailNotifier implements Notifier {
  readonly type = 'email-graph';
  readonly channelId: string;
  readonly maxPerSecond: number;

  constructor(private readonly options: GraphMailNotifierOptions) {
    this.channelId = options.channelId;
    // About 30 messages a minute per mailbox (§7): pace well below it.
    this.maxPerSecond = options.maxPerSecond ?? 0.5;
  }

  async send(alert: Alert, context: DeliveryContext): Promise<DeliveryReceipt> {
    const { channelId, mailbox, to, graph } = this.options;
    try {
      const email = buildEmail(alert, {
        deliveryId: context.deliveryId,
        possibleDuplicate: context.possibleDuplicate,
        intunePortalUrl: this.options.intunePortalUrl,
        enrichment: context.enrichment,
      });
      const message = {
        message: {
          subject: email.subject,
          body: { contentType: 'HTML', content: email.html },
          toRecipients: to.map((address) => ({ emailAddress: { address } })),
          internetMessageHeaders: [{ name: 'x-alert-id', value: context.deliveryId }],
        },
        saveToSentItems: false,
      };
      let request = graph.api(`/users/${encodeURIComponent(mailbox)}/sendMail`).responseType(ResponseType.RAW);
      if (context.abortSignal) request = request.option('signal', context.abortSignal);
      const response = (await request.post(message)) as Response;
      const body = (await response.text()).slice(0, maxResponseBodyBytes);
      const outcome = classifyResponse({ status: response.status, body, headers: response.headers }, channelId, {
        acceptAnyBody: true,
        hints,
      });
      if (outcome instanceof DeliveryError) throw outcome;
      return outcome;
    } catch (err) {
      throw toDeliveryError(err, channelId);
    }
  }
}
