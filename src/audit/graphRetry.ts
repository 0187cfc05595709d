import type { Context, Middleware, MiddlewareOptions } from '@microsoft/microsoft-graph-client';

/** Statuses retried: throttling and the two transient gateway answers (as the SDK's RetryHandler). */
export const retryStatuses: ReadonlySet<number> = new Set([429, 503, 504]);

export interface RetryPolicy {
  maxRetries: number;
  /** First wait when the server sends no Retry-After; doubles per attempt. */
  baseDelayInSeconds: number;
  /** No wait is longer; a Retry-After asking for more ends the retries (the next run resumes). */
  maxDelayInSeconds: number;
  /** [0, 1): jitter source (tests fix it). */
  random?: () => number;
}

/**
 * Seconds to wait before retry `attempt` (1-based), or undefined to stop retrying. `Retry-After` is
 * honoured in seconds or as an HTTP date; without it (observed on Intune's auditEvents, IntuneCD #217) the
 * wait is exponential with "equal jitter": half fixed, half random, so many clients do not retry in step. Pure.
 */
export function retryDelayInSeconds(
  retryAfter: string | null,
  attempt: number,
  policy: RetryPolicy,
  nowInMs: number,
): number | undefined {
  if (retryAfter !== null && retryAfter.trim() !== '') {
    const text = retryAfter.trim();
    const seconds = /^\d+(\.\d+)?$/.test(text) ? Number(text) : (Date.parse(text) - nowInMs) / 1000;
    if (Number.isFinite(seconds)) return seconds > policy.maxDelayInSeconds ? undefined : Math.max(0, seconds);
  }
  const ceiling = Math.min(policy.maxDelayInSeconds, policy.baseDelayInSeconds * 2 ** (attempt - 1));
  return ceiling / 2 + (ceiling / 2) * (policy.random ?? Math.random)();
}

/**
 * Per-request limit of the run's time budget (`request.middlewareOptions([new RequestDeadline(at)])`): no
 * retry wait may end after it. The handler notes why it gave up, for the error message.
 */
export class RequestDeadline implements MiddlewareOptions {
  gaveUp?: string;
  constructor(readonly atInMs: number) {}
}

/**
 * Replaces the SDK's RetryHandler: the same statuses, but a bounded exponential backoff with real jitter
 * when Retry-After is missing, a cap instead of a 180 s wait, waits that end on abort, and no wait past the
 * run's deadline. After the last retry the response is passed on and the SDK throws its GraphError.
 */
export class ThrottleRetryHandler implements Middleware {
  private next?: Middleware;
  constructor(private readonly policy: RetryPolicy) {}

  async execute(context: Context): Promise<void> {
    const deadline = context.middlewareControl?.getMiddlewareOptions(RequestDeadline) as RequestDeadline | undefined;
    for (let attempt = 1; ; attempt++) {
      await this.next!.execute(context);
      const response = context.response;
      if (!response || !retryStatuses.has(response.status) || attempt > this.policy.maxRetries) {
        if (response && retryStatuses.has(response.status) && this.policy.maxRetries > 0 && deadline)
          deadline.gaveUp ??= `gave up after ${this.policy.maxRetries} retries`;
        return;
      }
      const delay = retryDelayInSeconds(response.headers.get('retry-after'), attempt, this.policy, Date.now());
      if (delay === undefined) {
        if (deadline)
          deadline.gaveUp = `Retry-After ${response.headers.get('retry-after')} is longer than the ${this.policy.maxDelayInSeconds} s this run waits`;
        return;
      }
      if (deadline && Date.now() + delay * 1000 > deadline.atInMs) {
        deadline.gaveUp = `not retried: the wait of ${delay.toFixed(1)} s would pass the run's time budget`;
        return;
      }
      await response.body?.cancel().catch(() => undefined);
      await sleep(delay * 1000, context.options?.signal ?? undefined);
      setHeader(context, 'Retry-Attempt', String(attempt));
    }
  }

  setNext(next: Middleware): void {
    this.next = next;
  }
}

function setHeader(context: Context, name: string, value: string): void {
  if (typeof context.request !== 'string') {
    context.request.headers.set(name, value);
    return;
  }
  const headers = new Headers(context.options?.headers);
  headers.set(name, value);
  context.options = { ...context.options, headers: Object.fromEntries(headers) };
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
