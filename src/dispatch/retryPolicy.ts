/** Upper bound of any retry delay, Retry-After included. */
export const maxRetryDelayInMs = 15 * 60_000;

/**
 * When to try a failed delivery again: exponential backoff from `baseInMs` with "equal jitter" (half fixed,
 * half random, so retries never bunch at zero), never earlier than the receiver's Retry-After. Pure.
 */
export function nextRetryDelayInMs(
  attempts: number,
  baseInMs: number,
  retryAfterInMs: number | undefined,
  random: () => number,
): number {
  const exp = Math.min(maxRetryDelayInMs, baseInMs * 2 ** Math.max(0, attempts - 1));
  const jittered = exp / 2 + random() * (exp / 2);
  return Math.min(maxRetryDelayInMs, Math.max(jittered, retryAfterInMs ?? 0));
}
