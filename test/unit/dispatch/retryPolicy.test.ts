import { describe, expect, it } from 'vitest';
import { maxRetryDelayInMs, nextRetryDelayInMs } from '../../../src/dispatch/retryPolicy';

describe('nextRetryDelayInMs', () => {
  it.each([
    [1, 30_000, undefined, 0, 15_000],
    [1, 30_000, undefined, 1, 30_000],
    [3, 30_000, undefined, 0, 60_000],
    [3, 30_000, undefined, 1, 120_000],
    [20, 30_000, undefined, 1, maxRetryDelayInMs],
    [1, 30_000, 90_000, 0, 90_000],
    [1, 30_000, 24 * 3_600_000, 0, maxRetryDelayInMs],
  ])('attempt %i, base %i, Retry-After %s, random %d → %i ms', (attempts, base, retryAfter, random, expected) => {
    expect(nextRetryDelayInMs(attempts, base, retryAfter, () => random)).toBe(expected);
  });
});
