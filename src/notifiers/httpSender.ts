import { DeliveryError, type DeliveryFailureReason } from '../shared/errors';
import { describeUrl, redactSecrets } from '../shared/redact';
import { type HttpResult, maxResponseBodyBytes } from './httpResult';
import type { DeliveryReceipt } from './notifier';
import { postPinned, type ResolveHost, systemResolver } from './pinnedRequest';

export { type HttpResult, maxResponseBodyBytes };

export interface PostJsonOptions {
  timeoutInMs: number;
  headers?: Record<string, string>;
  abortSignal?: AbortSignal;
  /** Channel id, used in messages instead of the (secret) URL. */
  label: string;
  /**
   * Generic webhooks (docs/reference/alert-delivery.md §12): resolve the host, refuse any non-public address
   * (loopback only when allowed for development) and connect to the checked address.
   */
  pinPublicAddress?: { allowLoopback: boolean };
}

/**
 * The one way notifiers send HTTP, so timeouts, redirects, body limits and redaction live in one place.
 * `postJson` resolves with any HTTP status (classify it with {@link classifyResponse}) and rejects only
 * with a {@link DeliveryError} whose message never contains the URL.
 */
export interface HttpSender {
  /** `body` is JSON-serialised, except a string, which is sent as-is (pre-serialised, e.g. signed bytes). */
  postJson(url: string, body: unknown, options: PostJsonOptions): Promise<HttpResult>;
}

export const maxRetryAfterInMs = 60 * 60 * 1000;

/**
 * An {@link HttpSender} over Node's global fetch (or node:http(s) with a checked lookup for
 * `pinPublicAddress`): no redirects followed, a hard timeout, capped body reads. `resolveHost` replaces
 * DNS in tests.
 */
export function createFetchSender(options: { resolveHost?: ResolveHost } = {}): HttpSender {
  const resolveHost = options.resolveHost ?? systemResolver;
  return {
    async postJson(url, body, options) {
      const timeout = AbortSignal.timeout(options.timeoutInMs);
      const signal = options.abortSignal ? AbortSignal.any([timeout, options.abortSignal]) : timeout;
      const headers = new Headers(options.headers);
      headers.set('content-type', 'application/json; charset=utf-8');
      if (!headers.has('user-agent')) headers.set('user-agent', 'cloud-pki-alerts');
      const payload = typeof body === 'string' ? body : (JSON.stringify(body) ?? 'null');
      try {
        if (options.pinPublicAddress) {
          const pinned = Object.fromEntries(headers.entries());
          return await postPinned(url, payload, {
            headers: pinned,
            signal,
            resolve: resolveHost,
            allowLoopback: options.pinPublicAddress.allowLoopback,
            label: options.label,
          });
        }
        // Redirects are failures (§10): following one could carry the payload to a host nobody checked.
        const response = await fetch(url, { method: 'POST', headers, body: payload, redirect: 'manual', signal });
        return { status: response.status, body: await readCapped(response), headers: response.headers };
      } catch (err) {
        const who = channel(options.label);
        if (err instanceof DeliveryError) throw toDeliveryError(err, options.label, url);
        if (options.abortSignal?.aborted)
          throw new DeliveryError('timeout', `${who}: request aborted by the caller`, true);
        if (timeout.aborted)
          throw new DeliveryError('timeout', `${who}: no complete response within ${options.timeoutInMs} ms`, true);
        throw toDeliveryError(err, options.label, url);
      }
    },
  };
}

async function readCapped(response: Response): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < maxResponseBodyBytes) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    // Stops the download of an oversized body; a no-op when the stream already ended.
    await reader.cancel().catch(() => undefined);
  }
  return new TextDecoder().decode(Buffer.concat(chunks).subarray(0, maxResponseBodyBytes));
}

const retryableStatuses = new Set([408, 425, 429, 500, 502, 503, 504]);
const statusHints: Record<number, string> = {
  400: 'the receiver rejected the payload: schema validation',
  401: 'authentication mismatch: check the trigger auth mode',
  403: 'forbidden: trigger auth mode mismatch, or the allowed identity was removed',
  404: 'not found: the flow was deleted or its URL rotated',
  405: 'method not allowed',
  408: 'the receiver timed out',
  410: 'gone: disable this destination',
  413: 'payload too large',
  422: 'the receiver could not process the payload',
  425: 'too early',
  429: 'throttled',
};

/**
 * Maps a receiver's answer to a receipt or a typed failure (docs/reference/alert-delivery.md §4, §10).
 * `acceptAnyBody` skips the legacy-connector check of 200 bodies, for generic webhooks whose 200 may
 * carry any text.
 */
export function classifyResponse(
  result: HttpResult,
  label: string,
  options: { acceptAnyBody?: boolean; now?: number; hints?: Record<number, string> } = {},
): DeliveryReceipt | DeliveryError {
  const { status } = result;
  const who = channel(label);
  if (status >= 200 && status < 300) {
    if (status === 202) return { status, detail: 'accepted' };
    if (status !== 200 || options.acceptAnyBody || isSuccessBody(result.body)) return { status, detail: 'ok' };
    // Legacy connectors answered 200 with the real error as text, e.g. "… returned HTTP error 429".
    const embedded = /\b(429|5\d\d|4\d\d)\b/.exec(result.body)?.[1];
    const retryable = embedded !== undefined && (embedded === '429' || embedded.startsWith('5'));
    return new DeliveryError(
      'error-in-body',
      `${who}: HTTP 200 with an error in the body${embedded ? ` (embedded HTTP ${embedded})` : ''}`,
      retryable,
      status,
    );
  }
  if (status >= 300 && status < 400) {
    const location = result.headers.get('location');
    const target = location && URL.canParse(location) ? ` to ${describeUrl(location)}` : '';
    return new DeliveryError(
      'redirect',
      `${who}: HTTP ${status} redirect${target}; redirects are never followed, update the destination URL`,
      false,
      status,
    );
  }
  const code = errorCode(result.body);
  const hint = options.hints?.[status] ?? statusHints[status];
  const text = `${who}: HTTP ${status}${hint ? ` (${hint})` : ''}${code ? ` [${code}]` : ''}`;
  // 501 and 505 say the receiver will never support the request; every other 5xx may pass.
  if (retryableStatuses.has(status) || (status >= 500 && status < 600 && status !== 501 && status !== 505)) {
    const retryAfterInMs = parseRetryAfter(result.headers.get('retry-after'), options.now ?? Date.now());
    const reason = status === 429 || status === 425 ? 'throttled' : status === 408 ? 'timeout' : 'server-error';
    const wait = retryAfterInMs !== undefined ? `; retry after ${Math.ceil(retryAfterInMs / 1000)} s` : '';
    return new DeliveryError(reason, `${text}${wait}`, true, status, retryAfterInMs);
  }
  return new DeliveryError(status >= 500 && status < 600 ? 'server-error' : 'rejected', text, false, status);
}

function isSuccessBody(body: string): boolean {
  const trimmed = body.trim();
  if (trimmed === '' || trimmed === '1') return true;
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch {
    return false;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return true;
  const record = parsed as Record<string, unknown>;
  return !record.error && record.success !== false && record.ok !== false;
}

/** A short token-like error code from a JSON error body (`{ error: { code } }`); raw bodies are never echoed. */
function errorCode(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { error?: unknown; code?: unknown };
    const candidate =
      typeof parsed.error === 'object' && parsed.error ? (parsed.error as { code?: unknown }).code : parsed.code;
    return typeof candidate === 'string' && /^[A-Za-z0-9_.-]{1,64}$/.test(candidate) ? candidate : undefined;
  } catch {
    return undefined;
  }
}

/** Parses `Retry-After` (delay seconds or HTTP-date) into milliseconds from `now`, capped at one hour. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.min(Math.round(Number(text) * 1000), maxRetryAfterInMs);
  if (!/[a-z]/i.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.min(Math.max(0, at - now), maxRetryAfterInMs);
}

const timeoutCodes = new Set([
  'ETIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);
const configCodes = new Set([
  'ERR_INVALID_URL',
  'ERR_INVALID_ARG_TYPE',
  'ERR_INVALID_CHAR',
  'ERR_INVALID_HTTP_TOKEN',
  'UND_ERR_INVALID_ARG',
]);

/**
 * Turns anything thrown while sending into a {@link DeliveryError}. Node's fetch puts the URL into
 * some messages and causes, so the text is rebuilt from error names and codes, scrubbed of `url`
 * and redacted; the original error is deliberately not attached as `cause`.
 */
export function toDeliveryError(err: unknown, label: string, url?: string): DeliveryError {
  const scrub = (text: string) => redactSecrets(url ? scrubUrl(text, url) : text).slice(0, 500);
  if (err instanceof DeliveryError) {
    const message = scrub(err.message);
    return message === err.message
      ? err
      : new DeliveryError(err.reason, message, err.retryable, err.status, err.retryAfterInMs);
  }
  const [reason, message, retryable] = describeFailure(err, channel(label));
  return new DeliveryError(reason, scrub(message), retryable);
}

function describeFailure(err: unknown, who: string): [DeliveryFailureReason, string, boolean] {
  const chain = causeChain(err);
  const code = chain.map((e) => e.code).find((c): c is string => typeof c === 'string');
  const names = chain.map((e) => e.name);
  const first = chain[0];
  if (names.includes('TimeoutError') || (code && timeoutCodes.has(code))) {
    return ['timeout', `${who}: timed out${code ? ` (${code})` : ''}`, true];
  }
  if (names.includes('AbortError')) return ['timeout', `${who}: request aborted`, true];
  if ((code && configCodes.has(code)) || /Failed to parse URL|Invalid URL/i.test(first?.message ?? '')) {
    return ['misconfigured', `${who}: invalid request (${code ?? 'invalid URL'})`, false];
  }
  if (code || /fetch failed|terminated|socket/i.test(first?.message ?? '')) {
    return ['network', `${who}: network error (${code ?? first?.message ?? 'unknown'})`, true];
  }
  // Unknown failures are retried: delivery is bounded by max age, and dropping an alert is worse.
  const detail = first ? `${first.name}: ${first.message}` : 'non-error value thrown';
  return ['network', `${who}: unexpected error (${detail})`, true];
}

interface ErrorLike {
  name: string;
  message: string;
  code?: unknown;
}

function causeChain(err: unknown): ErrorLike[] {
  const chain: ErrorLike[] = [];
  let current: unknown = err;
  for (let depth = 0; depth < 5 && current !== null && typeof current === 'object'; depth++) {
    const e = current as { name?: unknown; message?: unknown; code?: unknown; cause?: unknown };
    chain.push({ name: String(e.name ?? 'Error'), message: String(e.message ?? ''), code: e.code });
    current = e.cause;
  }
  return chain;
}

/** Replaces the URL, its normalised form and its path+query with `scheme://host`. */
function scrubUrl(text: string, url: string): string {
  const safe = describeUrl(url);
  const forms = [url, url.trim()];
  if (URL.canParse(url)) {
    const parsed = new URL(url);
    forms.push(parsed.href, `${parsed.pathname}${parsed.search}`, parsed.search);
    if (parsed.pathname.length > 1) forms.push(parsed.pathname);
  }
  let result = text;
  for (const form of forms.filter((f) => f.length > 1).sort((a, b) => b.length - a.length)) {
    result = result.split(form).join(form.startsWith('http') ? safe : '<redacted>');
  }
  return result;
}

function channel(label: string): string {
  return `channel '${redactSecrets(label)}'`;
}
