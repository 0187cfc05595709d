import type { Alert } from '../../dispatch/alert';
import type { HttpSender } from '../httpSender';
import type { DeliveryContext, DeliveryReceipt, Notifier } from '../notifier';
import { postToChannel } from '../postToChannel';
import { checkWebhookUrl, type WebhookUrlCheck } from '../urlPolicy';
import { buildTeamsMessage } from './teamsCard';

export interface TeamsNotifierOptions {
  channelId: string;
  /** Workflows trigger URL. A secret: it never appears in an error message. */
  url: string;
  sender: HttpSender;
  timeoutInMs: number;
  intunePortalUrl: string;
  /** URL policy extras; loopback receivers need `allowLoopback` (development and tests only). */
  urlPolicy?: { extraAllowedHosts?: readonly string[]; allowLoopback?: boolean };
  /** Default 4: Teams throttles bursts (docs/alert-delivery.md §5). */
  maxPerSecond?: number;
}

/**
 * Posts alerts to a Teams channel through a Workflows webhook ("Send webhook alerts to a channel").
 * A 202 only means the flow was triggered; card errors show up in the flow's run history, not here.
 */
export class TeamsNotifier implements Notifier {
  readonly type = 'teams';
  readonly channelId: string;
  readonly maxPerSecond: number;
  private readonly urlCheck: WebhookUrlCheck;

  constructor(private readonly options: TeamsNotifierOptions) {
    this.channelId = options.channelId;
    this.maxPerSecond = options.maxPerSecond ?? 4;
    // Checked again here, not only at config time, so no code path can post to an unchecked URL.
    this.urlCheck = checkWebhookUrl(options.url, { kind: 'teams', ...options.urlPolicy });
  }

  /** Sends one alert; resolves with a receipt or rejects with a DeliveryError that never contains the URL. */
  async send(alert: Alert, context: DeliveryContext): Promise<DeliveryReceipt> {
    const { intunePortalUrl } = this.options;
    return postToChannel({ ...this.options, urlCheck: this.urlCheck }, () => ({
      body: buildTeamsMessage(alert, { deliveryId: context.deliveryId, possibleDuplicate: context.possibleDuplicate, intunePortalUrl, enrichment: context.enrichment }),
    }), { abortSignal: context.abortSignal });
  }
}
