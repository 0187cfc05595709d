import { DeliveryError } from '../shared/errors';
import { classifyResponse, type HttpSender, type PostJsonOptions, toDeliveryError } from './httpSender';
import type { Alert } from '../dispatch/alert';
import type { DeliveryContext, DeliveryReceipt, Notifier } from './notifier';
import { checkWebhookUrl, type WebhookUrlCheck, type WebhookUrlPolicy } from './urlPolicy';

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
  options: {
    abortSignal?: AbortSignal;
    acceptAnyBody?: boolean;
    pinPublicAddress?: PostJsonOptions['pinPublicAddress'];
  } = {},
): Promise<DeliveryReceipt> {
  const { channelId, url, urlCheck, sender, timeoutInMs } = target;
  try {
    if (!urlCheck.ok) throw new DeliveryError('blocked-url', `channel '${channelId}': ${urlCheck.message}`, false);
    const { body, headers } = build();
    const result = await sender.postJson(url, body, {
      timeoutInMs,
      abortSignal: options.abortSignal,
      label: channelId,
      headers,
      pinPublicAddress: options.pinPublicAddress,
    });
    const outcome = classifyResponse(result, channelId, { acceptAnyBody: options.acceptAnyBody });
    if (outcome instanceof DeliveryError) throw outcome;
    return outcome;
  } catch (err) {
    throw toDeliveryError(err, channelId, url);
  }
}

/** What every webhook-style notifier is built with. The URL is a secret: it never appears in a message. */
export interface UrlNotifierOptions {
  channelId: string;
  url: string;
  sender: HttpSender;
  timeoutInMs: number;
  /** URL policy extras; loopback receivers need `allowLoopback` (development and tests only). */
  urlPolicy?: { extraAllowedHosts?: readonly string[]; allowLoopback?: boolean };
  maxPerSecond?: number;
}

/** Base of the notifiers that post to a URL: the URL is checked once, here, so no path can post unchecked. */
export abstract class UrlNotifier<O extends UrlNotifierOptions> implements Notifier {
  abstract readonly type: string;
  readonly channelId: string;
  readonly maxPerSecond: number;
  protected readonly target: ChannelTarget;

  constructor(
    protected readonly options: O,
    kind: WebhookUrlPolicy['kind'],
    defaultMaxPerSecond: number,
  ) {
    this.channelId = options.channelId;
    this.maxPerSecond = options.maxPerSecond ?? defaultMaxPerSecond;
    this.target = { ...options, urlCheck: checkWebhookUrl(options.url, { kind, ...options.urlPolicy }) };
  }

  /** Sends one alert; resolves with a receipt or rejects with a DeliveryError that never contains the URL. */
  abstract send(alert: Alert, context: DeliveryContext): Promise<DeliveryReceipt>;
}
