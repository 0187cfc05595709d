import type { Alert } from '../../dispatch/alert';
import type { DeliveryContext, DeliveryReceipt } from '../notifier';
import { postToChannel, UrlNotifier, type UrlNotifierOptions } from '../postToChannel';
import { buildTeamsMessage } from './teamsCard';

/** `url` is the Workflows trigger URL; `maxPerSecond` defaults to 4 (Teams throttles bursts, docs/reference/alert-delivery.md §5). */
export interface TeamsNotifierOptions extends UrlNotifierOptions {
  intunePortalUrl: string;
}

/**
 * Posts alerts to a Teams channel through a Workflows webhook ("Send webhook alerts to a channel").
 * A 202 only means the flow was triggered; card errors show up in the flow's run history, not here.
 */
export class TeamsNotifier extends UrlNotifier<TeamsNotifierOptions> {
  readonly type = 'teams';

  constructor(options: TeamsNotifierOptions) {
    super(options, 'teams', 4);
  }

  /** Sends one alert; resolves with a receipt or rejects with a DeliveryError that never contains the URL. */
  async send(alert: Alert, context: DeliveryContext): Promise<DeliveryReceipt> {
    const { intunePortalUrl } = this.options;
    return postToChannel(
      this.target,
      () => ({
        body: buildTeamsMessage(alert, {
          deliveryId: context.deliveryId,
          possibleDuplicate: context.possibleDuplicate,
          intunePortalUrl,
          enrichment: context.enrichment,
        }),
      }),
      { abortSignal: context.abortSignal },
    );
  }
}
