import type { Alert } from '../../dispatch/alert';
import { DeliveryError } from '../../shared/errors';
import { redactSecrets } from '../../shared/redact';
import { classifyResponse, type HttpResult, type HttpSender, toDeliveryError } from '../httpSender';
import type { DeliveryContext, DeliveryReceipt, Notifier } from '../notifier';
import { safeText } from '../teams/safeText';
import { buildPagerDutyEvent } from './pagerDutyEvent';

export interface PagerDutyNotifierOptions {
  channelId: string;
  /** The checked Events API URL (region endpoint, or a loopback receiver in development). */
  endpoint: string;
  /** The integration key: a secret, sent only in the body, never in a message. */
  routingKey: string;
  sender: HttpSender;
  timeoutInMs: number;
  intunePortalUrl: string;
  clientUrl?: string;
  maxPerSecond?: number;
}

// PagerDuty documents per-key limits of roughly 120 events per minute: stay well below.
const defaultMaxPerSecond = 2;

/**
 * Pages through PagerDuty's Events API v2 (`POST /v2/enqueue`): one trigger event per alert with
 * `dedup_key` = the alert group. 202 is accepted; 400 is permanent (PagerDuty's `errors` shown, redacted);
 * 429 and 5xx are retried by the outbox with backoff, honouring Retry-After.
 */
export class PagerDutyNotifier implements Notifier {
  readonly type = 'pagerduty';
  readonly channelId: string;
  readonly maxPerSecond: number;

  constructor(private readonly options: PagerDutyNotifierOptions) {
    this.channelId = options.channelId;
    this.maxPerSecond = options.maxPerSecond ?? defaultMaxPerSecond;
  }

  async send(alert: Alert, context: DeliveryContext): Promise<DeliveryReceipt> {
    const { channelId, endpoint, routingKey, sender, timeoutInMs } = this.options;
    try {
      const body = buildPagerDutyEvent(alert, {
        routingKey,
        deliveryId: context.deliveryId,
        possibleDuplicate: context.possibleDuplicate,
        intunePortalUrl: this.options.intunePortalUrl,
        clientUrl: this.options.clientUrl,
        enrichment: context.enrichment,
      });
      const result = await sender.postJson(endpoint, body, {
        timeoutInMs,
        abortSignal: context.abortSignal,
        label: channelId,
      });
      const outcome = classifyResponse(result, channelId, {
        hints: {
          400: 'PagerDuty rejected the event',
          401: 'unauthorized',
          403: 'forbidden',
          404: 'not found: check the region (us / eu)',
        },
      });
      if (!(outcome instanceof DeliveryError)) return outcome;
      throw outcome.status === 400 ? withErrors(outcome, result, routingKey) : outcome;
    } catch (err) {
      throw scrubKey(toDeliveryError(err, channelId, endpoint), routingKey);
    }
  }
}

/** Adds PagerDuty's `errors` list of a 400 to the message: neutralised, capped, the key and any token removed. */
function withErrors(error: DeliveryError, result: HttpResult, routingKey: string): DeliveryError {
  let errors: unknown;
  try {
    errors = (JSON.parse(result.body) as { errors?: unknown }).errors;
  } catch {
    errors = undefined;
  }
  const list = Array.isArray(errors) ? errors.filter((e): e is string => typeof e === 'string').slice(0, 5) : [];
  if (list.length === 0) return error;
  const text = list.map((e) => safeText(redact(e, routingKey), 160)).join('; ');
  return new DeliveryError(error.reason, `${error.message}: ${text}`, false, error.status);
}

function scrubKey(error: DeliveryError, routingKey: string): DeliveryError {
  const message = redact(error.message, routingKey);
  return message === error.message
    ? error
    : new DeliveryError(error.reason, message, error.retryable, error.status, error.retryAfterInMs);
}

/** Removes the routing key and anything shaped like one (32 letters and digits) from free text. */
export function redact(text: string, routingKey: string): string {
  return redactSecrets(routingKey ? text.split(routingKey).join('REDACTED') : text).replace(
    /\b[A-Za-z0-9]{32}\b/g,
    (m) => (/[0-9]/.test(m) && /[A-Za-z]/.test(m) ? 'REDACTED' : m),
  );
}
