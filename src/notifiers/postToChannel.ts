import { DeliveryError } from '../shared/errors';
import { classifyResponse, type HttpSender, type PostJsonOptions, toDeliveryError } from './httpSender';
import type { DeliveryReceipt } from './notifier';
import type { WebhookUrlCheck } from './urlPolicy';

/** Where a webhook-style notifier posts: its channel, its (secret) URL and that URL's allow-list verdict. */
export interface ChannelTarget {
  channelId: string;
  url: string;
  urlCheck: WebhookUrlCheck;
  sender: HttpSender;
  timeoutInMs: number;
}

/**
 * The send step shared by every webhook-style notifier: refuse a URL that failed the allow-list, build the
 * body, post it, classify the answer. Anything thrown becomes a DeliveryError that never contains the URL.
 */
export async function postToChannel(
  target: ChannelTarget,
  build: () => { body: unknown; headers?: Record<string, string> },
  options: { abortSignal?: AbortSignal; acceptAnyBody?: boolean; pinPublicAddress?: PostJsonOptions['pinPublicAddress'] } = {},
): Promise<DeliveryReceipt> {
  const { channelId, url, urlCheck, sender, timeoutInMs } = target;
  try {
    if (!urlCheck.ok) throw new DeliveryError('blocked-url', `channel '${channelId}': ${urlCheck.message}`, false);
    const { body, headers } = build();
    const result = await sender.postJson(url, body, { timeoutInMs, abortSignal: options.abortSignal, label: channelId, headers, pinPublicAddress: options.pinPublicAddress });
    const outcome = classifyResponse(result, channelId, { acceptAnyBody: options.acceptAnyBody });
    if (outcome instanceof DeliveryError) throw outcome;
    return outcome;
  } catch (err) {
    throw toDeliveryError(err, channelId, url);
  }
}
