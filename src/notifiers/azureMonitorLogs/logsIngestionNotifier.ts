import type { TokenCredential } from '@azure/identity';
import { LogsIngestionClient, type LogsIngestionClientOptions } from '@azure/monitor-ingestion';
import type { Alert } from '../../dispatch/alert';
import { DeliveryError } from '../../shared/errors';
import { redactSecrets } from '../../shared/redact';
import { parseRetryAfter } from '../httpSender';
import type { DeliveryContext, DeliveryReceipt, Notifier } from '../notifier';
import { buildLogRow } from './logsRow';

export interface LogsIngestionNotifierOptions {
  channelId: string;
  /** The checked data collection endpoint origin. */
  endpoint: string;
  /** Token audience of the endpoint's cloud (`https://monitor.azure.com` for the public cloud). */
  audience: string;
  dcrImmutableId: string;
  streamName: string;
  /** The app's identity; the identity needs "Monitoring Metrics Publisher" on the DCR. */
  credential: TokenCredential;
  timeoutInMs: number;
  intunePortalUrl: string;
  maxPerSecond?: number;
  /** Extra SDK client options (tests: a pipeline policy that trusts the loopback receiver's certificate). */
  clientOptions?: LogsIngestionClientOptions;
}

/**
 * Sends one row per alert to a custom Log Analytics table through the Logs Ingestion API
 * (`POST {endpoint}/dataCollectionRules/{dcr}/streams/{stream}?api-version=2023-01-01`, 204 = accepted;
 * docs/reference/alert-delivery.md §14) with `@azure/monitor-ingestion`'s LogsIngestionClient. SDK retries are off:
 * the outbox retries with backoff, so one slow answer never blocks a run. Failures are classified by HTTP
 * status (413 and other 4xx permanent, 429 / 5xx retryable with Retry-After); a message never holds a token.
 */
export class LogsIngestionNotifier implements Notifier {
  readonly type = 'azure-monitor-logs';
  readonly channelId: string;
  readonly maxPerSecond: number;
  private readonly client: LogsIngestionClient;

  constructor(private readonly options: LogsIngestionNotifierOptions) {
    this.channelId = options.channelId;
    this.maxPerSecond = options.maxPerSecond ?? 5;
    const { endpoint, credential, audience, clientOptions } = options;
    this.client = new LogsIngestionClient(endpoint, credential, {
      ...clientOptions,
      audience,
      retryOptions: { maxRetries: 0 },
      userAgentOptions: { userAgentPrefix: 'cloud-pki-alerts' },
    });
  }

  async send(alert: Alert, context: DeliveryContext): Promise<DeliveryReceipt> {
    const { channelId, dcrImmutableId, streamName, timeoutInMs } = this.options;
    const timeout = AbortSignal.timeout(timeoutInMs);
    const abortSignal = context.abortSignal ? AbortSignal.any([timeout, context.abortSignal]) : timeout;
    const row = buildLogRow(alert, {
      deliveryId: context.deliveryId,
      possibleDuplicate: context.possibleDuplicate,
      intunePortalUrl: this.options.intunePortalUrl,
      enrichment: context.enrichment,
    });
    try {
      await this.client.upload(dcrImmutableId, streamName, [row as unknown as Record<string, unknown>], {
        abortSignal,
        maxConcurrency: 1,
      });
      return { status: 204, detail: 'accepted' };
    } catch (err) {
      throw classifyUploadError(err, channelId, timeout.aborted ? timeoutInMs : undefined);
    }
  }
}

interface RestErrorLike {
  name?: string;
  message?: string;
  code?: unknown;
  statusCode?: unknown;
  response?: { headers?: { get?(name: string): string | undefined } };
}

const hints: Record<number, string> = {
  400: 'the row does not match the DCR stream declaration',
  401: 'token rejected: check the identity',
  403: 'forbidden: the identity needs "Monitoring Metrics Publisher" on the DCR',
  404: 'not found: check the DCR immutable id, the stream name and that the endpoint belongs to the DCR',
  413: 'payload too large',
  429: 'throttled',
};

/**
 * Maps what `upload` threw (an AggregateLogsUploadError whose `errors[].cause` is a RestError, an abort,
 * or a credential failure) to a DeliveryError. Only the status, a token-like error code and error names
 * are used: SDK messages and the request object (which holds the Authorization header) are never copied.
 */
export function classifyUploadError(err: unknown, channelId: string, timedOutAfterMs?: number): DeliveryError {
  const who = `channel '${redactSecrets(channelId)}'`;
  const failures = (err as { errors?: { cause?: unknown }[] })?.errors;
  const cause = (Array.isArray(failures) && failures[0]?.cause ? failures[0].cause : err) as RestErrorLike;
  const status = typeof cause?.statusCode === 'number' ? cause.statusCode : undefined;
  const code = typeof cause?.code === 'string' && /^[A-Za-z0-9_.-]{1,64}$/.test(cause.code) ? cause.code : undefined;
  if (timedOutAfterMs !== undefined)
    return new DeliveryError('timeout', `${who}: no complete response within ${timedOutAfterMs} ms`, true);
  if (status !== undefined) {
    const text = `${who}: HTTP ${status}${hints[status] ? ` (${hints[status]})` : ''}${code ? ` [${code}]` : ''}`;
    if (status === 429 || status === 408 || (status >= 500 && status !== 501 && status !== 505)) {
      const retryAfterInMs = parseRetryAfter(cause.response?.headers?.get?.('retry-after') ?? null, Date.now());
      const reason = status === 429 ? 'throttled' : status === 408 ? 'timeout' : 'server-error';
      return new DeliveryError(
        reason,
        `${text}${retryAfterInMs !== undefined ? `; retry after ${Math.ceil(retryAfterInMs / 1000)} s` : ''}`,
        true,
        status,
        retryAfterInMs,
      );
    }
    const reason =
      status === 401 || status === 403 || status === 404
        ? 'misconfigured'
        : status >= 500
          ? 'server-error'
          : 'rejected';
    return new DeliveryError(reason, text, false, status);
  }
  const name = typeof cause?.name === 'string' ? cause.name : 'Error';
  if (name === 'AbortError') return new DeliveryError('timeout', `${who}: request aborted`, true);
  if (/Credential|Authentication/i.test(name)) {
    // The identity could not get a token: fix the identity, then the held deliveries go out.
    return new DeliveryError('misconfigured', `${who}: no access token for Azure Monitor (${name})`, true);
  }
  return new DeliveryError('network', `${who}: network error (${code ?? name})`, true);
}
